"""``depslim.layers``: order a lock by how often its pins change and cut it into layers.

Evidence comes from the edges (git history of the lock, release cadence from the
index, exact sizes from the wheels) and goes into the pure partition of
:mod:`depslim.layers`.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from packaging.utils import NormalizedName

from depslim.api._files import (
    Progress,
    cache_root,
    load_settings,
    package_version,
    read_lock_file,
    write_atomic,
)
from depslim.api.lock import LockResult
from depslim.api.report import as_read_lock, lock_routing, size_rows
from depslim.errors import InputError
from depslim.index.cache import Cache
from depslim.index.client import ClientSettings, IndexClient
from depslim.index.filenames import parse_filename
from depslim.layers import (
    LayerPlan,
    count_pin_changes,
    estimate_change_rates,
    layer_filenames,
    layer_heading,
    layer_items,
    partition,
    plan_to_dict,
    read_lock_history,
    release_times,
    render_dockerfile,
    render_snippet,
    volatility_rule,
)
from depslim.lockfile import ReadLock, render_requirements_txt
from depslim.models import Lock, Pin, PinnedFile
from depslim.target import Target

__all__ = ["LayersResult", "layers", "parse_size"]

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {
    "": 1,
    "b": 1,
    "k": 10**3,
    "m": 10**6,
    "g": 10**9,
    "t": 10**12,
    "ki": 2**10,
    "mi": 2**20,
    "gi": 2**30,
    "ti": 2**40,
}


def parse_size(text: str | int) -> int:
    """``"500MB"``, ``"1.5G"``, ``"700MiB"``, ``1000`` → bytes."""
    if isinstance(text, int):
        return text
    match = _SIZE.match(text)
    if not match:
        raise InputError(f"size {text!r}: write it as a number with a unit, like 500MB or 1.5GB")
    unit = (match.group(2) or "").lower().removesuffix("b")
    return int(float(match.group(1)) * _UNITS[unit])


@dataclass(frozen=True, slots=True, kw_only=True)
class LayersResult:
    """A layer plan for a lock, and the files that realise it."""

    plan: LayerPlan
    lock: Lock
    target: Target
    sources: dict[str, str] = field(default_factory=dict)

    def filenames(self) -> tuple[str, ...]:
        return layer_filenames(self.plan)

    def layer_locks(self) -> dict[str, str]:
        """File name → requirements text with hashes, one per layer, stable first."""
        pins = {p.name: p for p in self.lock.pins}
        out = {}
        for name, layer in zip(self.filenames(), self.plan.layers, strict=True):
            chosen = tuple(pins[n] for n in layer.packages if n in pins)
            out[name] = render_requirements_txt(
                replace(self.lock, pins=chosen, notes=(*self.lock.notes, layer_heading(layer)[2:])),
                version=package_version(),
            )
        return out

    def snippet(self, directory: str = "layers") -> str:
        return render_snippet(self.plan, directory=directory, files=self.filenames())

    def dockerfile(self, directory: str = "layers") -> str:
        from depslim.layers import pins_without_wheels

        return render_dockerfile(
            self.plan,
            target=self.target,
            build_from_source=pins_without_wheels(self.lock.pins),
            directory=directory,
            files=self.filenames(),
        )

    def ordered_text(self) -> str:
        """The whole lock in one file, stable first, under ``# layer N: …`` headings."""
        sections = [(layer_heading(layer), sorted(layer.packages)) for layer in self.plan.layers]
        return render_requirements_txt(self.lock, version=package_version(), sections=sections)

    def to_json(self) -> dict[str, Any]:
        data = plan_to_dict(self.plan)
        data["files"] = list(self.filenames())
        data["sources"] = dict(self.sources)
        data["target"] = self.target.platform
        return data

    def write(self, folder: str | Path, *, dockerfile: bool = False) -> list[Path]:
        """Write the layer files and a Dockerfile snippet (or a full Dockerfile) to ``folder``."""
        root = Path(folder)
        written = []
        for name, text in self.layer_locks().items():
            write_atomic(root / name, text)
            written.append(root / name)
        docker_name = "Dockerfile" if dockerfile else "Dockerfile.snippet"
        text = self.dockerfile(root.name) if dockerfile else self.snippet(root.name)
        write_atomic(root / docker_name, text)
        written.append(root / docker_name)
        return written


def _as_pins(read: ReadLock) -> tuple[Pin, ...]:
    out = []
    for p in read.pins:
        version = p.version
        if version is None and p.url:
            parsed = parse_filename(p.url.split("#")[0].rsplit("/", 1)[-1])
            version = parsed[1] if parsed else None
        if version is None:
            continue
        files = tuple(PinnedFile(filename="", url="", sha256=h) for h in p.hashes)
        out.append(Pin(name=p.name, version=version, index="", files=files, url=p.url))
    return tuple(out)


def layers(
    lockfile: str | Path | LockResult,
    *,
    max_layers: int | None = None,
    max_layer_size: str | int | None = None,
    closed: bool | None = None,
    history_months: int | None = None,
    now: datetime | None = None,
    cache_dir: str | Path | None = None,
    no_cache: bool = False,
    offline: bool = False,
    config: str | Path | bool | None = True,
    progress: Progress | None = None,
) -> LayersResult:
    """Plan cache-friendly layers for a lock (a requirements.txt path or a lock result).

    Change rates come from the git history of the lockfile (and its ``.in`` next to it)
    over ``history_months``, the release cadence on the index (upload times), and rules
    (direct URL/path pins are the most volatile); sizes are exact installed sizes read
    from the wheels. Offline, the index evidence is skipped; outside git, the history is.
    ``now`` (default: today, UTC midnight, so one day's runs agree) anchors both windows.
    """
    path: Path | None = None
    if isinstance(lockfile, LockResult):
        read = as_read_lock(lockfile.lock)
        pins = lockfile.lock.pins
        base_lock = lockfile.lock
        config_path = None if config is True else config
    else:
        path = Path(lockfile)
        read = read_lock_file(path)
        pins = _as_pins(read)
        base_lock = Lock(
            target=Target.parse(read.target or "linux/amd64", python=read.python),
            pins=pins,
            index_url=read.index_url,
            extra_index_urls=read.extra_index_urls,
            find_links=read.find_links,
            command=f"depslim layers {path}",
            torch_index_url=read.torch_index_url,
        )
        config_path = path.parent / "pyproject.toml" if config is True else config
    settings = load_settings(
        config_path if isinstance(config_path, str | Path) and Path(config_path).is_file() else None
    )
    max_layers = max_layers or settings.max_layers or 4
    if max_layers < 1:
        raise InputError("--max-layers must be at least 1")
    size_limit = max_layer_size if max_layer_size is not None else settings.max_layer_size
    limit = parse_size(size_limit) if size_limit is not None else None
    closed = bool(closed if closed is not None else settings.closed_layers)
    months = history_months or settings.history_months or 24
    today = now or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    target = base_lock.target
    sources: dict[str, str] = {}

    history = None
    if path is not None:
        watched = [path] + [p for p in (path.with_suffix(".in"),) if p.is_file()]
        lock_history = read_lock_history(
            watched, since=today - timedelta(days=30.44 * months), until=today
        )
        history = count_pin_changes(lock_history)
        sources["history"] = lock_history.note or f"{len(lock_history.snapshots)} commits"
    else:
        sources["history"] = "none (the lock was not read from a file)"

    cache = None if no_cache else Cache(cache_root(cache_dir, settings))
    releases: dict[str, list[datetime]] | None = None
    sizes: dict[NormalizedName, int] = {}
    conf = ClientSettings(offline=offline)
    with IndexClient(
        conf, routing=lock_routing(read, settings.torch_family or ()), cache=cache
    ) as client:
        if progress:
            progress("reading sizes from the wheels")
        rows = size_rows(read, client, target)
        sizes = {r.name: (r.installed_size or r.download_size or 0) for r in rows}
        if not offline:
            names = [p.name for p in pins if p.url is None]

            def links_of(name: NormalizedName) -> list[Any]:
                return list(client.links(name))

            with ThreadPoolExecutor(max_workers=conf.concurrency) as pool:
                all_links = [lk for found in pool.map(links_of, names) for lk in found]
            releases = {str(k): v for k, v in release_times(all_links).items()}
            sources["cadence"] = f"upload times of {len(releases)} projects"
        else:
            sources["cadence"] = "none (offline)"

    volatile: dict[str, str] = {
        p.name: rule for p in pins if (rule := volatility_rule(url=p.url)) is not None
    }
    estimates = estimate_change_rates(
        [p.name for p in pins], now=today, history=history, releases=releases, volatile=volatile
    )
    items = layer_items(pins, estimates, sizes=sizes)
    plan = partition(items, max_layers=max_layers, max_layer_size=limit, closed=closed)
    return LayersResult(plan=plan, lock=base_lock, target=target, sources=sources)
