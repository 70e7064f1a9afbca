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
from typing import Any, Unpack

from packaging.utils import NormalizedName

from depslim.api._files import package_version, write_atomic
from depslim.api._locking import LockResult, as_lock
from depslim.api._session import Session, session_for
from depslim.api._sizes import lock_routing, weigh
from depslim.errors import InputError
from depslim.layers import (
    LayerPlan,
    PinChanges,
    count_pin_changes,
    estimate_change_rates,
    layer_filenames,
    layer_heading,
    layer_items,
    partition,
    pins_without_wheels,
    plan_to_dict,
    read_lock_history,
    release_times,
    render_dockerfile,
    render_dockerignore,
    render_snippet,
    volatility_rule,
)
from depslim.lockfile import render_requirements_txt
from depslim.models import Link, Lock
from depslim.settings import Options
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
    warnings: tuple[str, ...] = ()

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

    def snippet(self, directory: str = "layers", *, context: str | None = None) -> str:
        """``COPY`` + ``RUN pip install`` lines per layer; ``directory`` holds the layer
        files, relative to the build ``context`` (or, with ``context``, a path like it)."""
        return render_snippet(
            self.plan, directory=directory, files=self.filenames(), context=context
        )

    def dockerfile(
        self,
        directory: str = "layers",
        *,
        context: str | None = None,
        app_exclude: tuple[str, ...] = (),
        base_image: str | None = None,
    ) -> str:
        """A full multi-stage Dockerfile: builder, one layer per plan layer, the app last.

        Compilers are installed only for pins that lack a wheel for the target;
        ``base_image`` defaults to the official ``python`` image of the target."""
        return render_dockerfile(
            self.plan,
            target=self.target,
            build_from_source=pins_without_wheels(self.lock.pins),
            directory=directory,
            files=self.filenames(),
            context=context,
            app_exclude=app_exclude,
            base_image=base_image,
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
        data["warnings"] = list(self.warnings)
        return data

    def write(
        self,
        folder: str | Path,
        *,
        dockerfile: bool = False,
        context: str | Path | None = None,
        dockerignore: bool = True,
        base_image: str | None = None,
    ) -> list[Path]:
        """Write the layer files and a Dockerfile snippet (or a full Dockerfile) to
        ``folder``, every ``COPY`` path relative to the build ``context`` (default: the
        folder's parent; the CLI's default is the current directory). With
        ``dockerfile``, also a ``.dockerignore`` in the context when it has none (an
        existing one is never overwritten)."""
        root = Path(folder)
        base = Path(context).resolve() if context is not None else root.resolve().parent
        where, ctx = str(root.resolve()), str(base)
        # check the paths before writing anything: a folder outside the context is an error
        if dockerfile:
            source = Path(self.lock.source).resolve() if self.lock.source else None
            exclude = (str(source),) if source is not None and source.is_relative_to(base) else ()
            text = self.dockerfile(where, context=ctx, app_exclude=exclude, base_image=base_image)
        else:
            text = self.snippet(where, context=ctx)
        written = []
        for name, layer_text in self.layer_locks().items():
            write_atomic(root / name, layer_text)
            written.append(root / name)
        docker_name = "Dockerfile" if dockerfile else "Dockerfile.snippet"
        write_atomic(root / docker_name, text)
        written.append(root / docker_name)
        ignore = base / ".dockerignore"
        if dockerfile and dockerignore and not ignore.exists():
            write_atomic(
                ignore,
                render_dockerignore(dockerfile=str((root / docker_name).resolve()), context=ctx),
            )
            written.append(ignore)
        return written


def layers(
    lockfile: str | Path | Lock | LockResult = "requirements.txt",
    *,
    now: datetime | None = None,
    session: Session | None = None,
    **options: Unpack[Options],
) -> LayersResult:
    """Plan cache-friendly layers for a lock (a path, a :class:`Lock` or a lock result).

    Change rates come from the git history of the lockfile (and its ``.in`` next to it)
    over ``history_months``, the release cadence on the index (upload times), and rules
    (direct URL/path pins are the most volatile); sizes are exact installed sizes read
    from the wheels. Offline, the index evidence is skipped; outside git, the history is.
    ``now`` (default: the current time, UTC) anchors both windows. Options
    (``max_layers``, ``max_layer_size``, ``closed_layers``, ``history_months`` and the
    index and network ones) are ``[tool.depslim]`` keys with ``_``.
    """
    path = Path(lockfile) if isinstance(lockfile, str | Path) else None
    run, owned = session_for(session, options, anchor=path)
    try:
        settings = run.settings.layers
        if settings.max_layers < 1:
            raise InputError("--max-layers must be at least 1")
        limit = parse_size(settings.max_layer_size) if settings.max_layer_size else None
        lock = as_lock(lockfile, run.settings.target)
        today = now or datetime.now(UTC)
        sources: dict[str, str] = {}
        history = _history(path, settings.history_months, today, sources)
        run.say("reading sizes from the wheels")
        sized = weigh(run, lock)
        # what each pin adds to an image layer: its install, byte-code and tar overhead
        sizes = {
            r.name: (r.layer_size or r.installed_size or r.download_size or 0) for r in sized.rows
        }
        releases = _cadence(run, sized.lock, sources)
        pins = sized.lock.pins
        volatile: dict[str, str] = {
            p.name: rule for p in pins if (rule := volatility_rule(url=p.url)) is not None
        }
        estimates = estimate_change_rates(
            [p.name for p in pins], now=today, history=history, releases=releases, volatile=volatile
        )
        items = layer_items(pins, estimates, sizes=sizes)
        plan = partition(
            items,
            max_layers=settings.max_layers,
            max_layer_size=limit,
            closed=settings.closed_layers,
        )
        return LayersResult(
            plan=plan,
            lock=sized.lock,
            target=lock.target,
            sources=sources,
            warnings=sized.warnings,
        )
    finally:
        if owned:
            run.close()


def _history(
    path: Path | None, months: int, today: datetime, sources: dict[str, str]
) -> dict[NormalizedName, PinChanges] | None:
    """Pin changes in the git history of the lockfile (and its ``.in``), up to ``today``."""
    if path is None:
        sources["history"] = "none (the lock was not read from a file)"
        return None
    watched = [path] + [p for p in (path.with_suffix(".in"),) if p.is_file()]
    lock_history = read_lock_history(
        watched, since=today - timedelta(days=30.44 * months), until=today
    )
    sources["history"] = lock_history.note or f"{len(lock_history.snapshots)} commits"
    return count_pin_changes(lock_history)


def _cadence(
    session: Session, lock: Lock, sources: dict[str, str]
) -> dict[str, list[datetime]] | None:
    """Upload times of every release of each pinned project (none offline)."""
    if session.settings.network.offline:
        sources["cadence"] = "none (offline)"
        return None
    client = session.client(lock_routing(lock, session.settings))
    names = [p.name for p in lock.pins if p.url is None]

    def links_of(name: NormalizedName) -> list[Link]:
        return list(client.links(name))

    with ThreadPoolExecutor(max_workers=session.settings.network.concurrency) as pool:
        all_links = [lk for found in pool.map(links_of, names) for lk in found]
    releases = {str(k): v for k, v in release_times(all_links).items()}
    sources["cadence"] = f"upload times of {len(releases)} projects"
    return releases
