"""``depslim.report``: what a lock weighs, and what PyPI's builds would have weighed."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from packaging.version import Version

from depslim.index.cache import Cache
from depslim.index.client import ClientSettings, IndexClient
from depslim.index.routing import Routing
from depslim.lockfile import (
    LockedPin,
    ReadLock,
)
from depslim.models import Lock
from depslim.report import ReportRow, SizeReport
from depslim.target import Target
from depslim.variants import (
    is_gpu_local,
    torch_family,
)

__all__ = ["as_read_lock", "lock_routing", "report", "size_rows"]


from depslim.api._files import (
    PYPI,
    Progress,
    cache_root,
    find_project_config,
    load_settings,
    read_lock_file,
)
from depslim.api.lock import LockResult, bound_routing, lock


def as_read_lock(locked: Lock) -> ReadLock:
    return ReadLock(
        pins=tuple(
            LockedPin(name=p.name, version=p.version, hashes=p.hashes, line=0, url=p.url)
            for p in locked.pins
        ),
        target=locked.target.platform,
        python=locked.target.python_full,
        inputs_hash=locked.inputs_hash,
        torch_index_url=locked.torch_index_url,
        index_url=locked.index_url,
        extra_index_urls=locked.extra_index_urls,
        find_links=locked.find_links,
    )


def lock_routing(read: ReadLock, extra_family: Sequence[str]) -> Routing:
    """Routing that finds a lock's files where the lock says they come from."""
    torch_index = read.torch_index_url
    extras = [
        u
        for u in read.extra_index_urls
        if torch_index is None or u.rstrip("/") != torch_index.rstrip("/")
    ]
    plain = Routing.simple(
        None if read.no_index else (read.index_url or PYPI), extras, read.find_links
    )
    if torch_index is None:
        return plain
    labels = {
        p.name: p.version.local
        for p in read.pins
        if p.version is not None and p.version.local and is_gpu_local(p.version.local)
    }
    return bound_routing(
        plain, index_url=torch_index, family=torch_family(extra_family), labels=labels
    )


def size_rows(read: ReadLock, client: IndexClient, target: Target) -> tuple[ReportRow, ...]:
    pins = [(p, p.version) for p in read.pins if p.version is not None]
    client.prefetch([p.name for p, _ in pins])

    def row(item: tuple[LockedPin, Version]) -> ReportRow:
        pin, version = item
        links = [
            link
            for link in client.links(pin.name)
            if link.version == version
            and (not link.is_wheel or target.supports(link.tags))
            and (not pin.hashes or not link.sha256 or link.sha256 in pin.hashes)
        ]
        if not links:
            return ReportRow(
                name=pin.name,
                version=version,
                index="",
                filename="",
                download_size=None,
                installed_size=None,
                method="not found",
            )
        best = min(links, key=lambda lk: (not lk.is_wheel, target.best_rank(lk.tags) or 0))
        facts = client.file_facts(best)
        return ReportRow(
            name=pin.name,
            version=version,
            index=best.index,
            filename=best.filename,
            download_size=facts.download_size,
            installed_size=facts.installed_size,
            method=facts.method,
        )

    with ThreadPoolExecutor(max_workers=client.settings.concurrency) as pool:
        return tuple(pool.map(row, pins))


def report(
    lockfile: str | Path | LockResult,
    *,
    compare: bool = True,
    cache_dir: str | Path | None = None,
    no_cache: bool = False,
    offline: bool = False,
    config: str | Path | bool | None = True,
    progress: Progress | None = None,
    client_settings: ClientSettings | None = None,
) -> SizeReport:
    """Download and installed size of every pin of a lock, and in total.

    Installed sizes are exact: read from each wheel's zip directory with HTTP range
    requests and cached. For a lock whose torch family was rerouted to a CPU index and
    ``compare`` on, the same pins are also resolved as PyPI serves them
    (``--torch-backend pypi``) and sized, so the report shows the saving.
    """
    if isinstance(lockfile, LockResult):
        read = as_read_lock(lockfile.lock)
        config_path = None if config is True else config
    else:
        path = Path(lockfile)
        read = read_lock_file(path)
        config_path = find_project_config(path) if config is True else config
    settings = load_settings(config_path if isinstance(config_path, str | Path) else None)
    target = Target.parse(read.target or "linux/amd64", python=read.python)
    cache = None if no_cache else Cache(cache_root(cache_dir, settings))
    conf = replace(client_settings or ClientSettings(), offline=offline)
    routing = lock_routing(read, settings.torch_family or ())

    def on_event(kind: str, url: str) -> None:
        if progress is not None:
            progress(f"{kind} {url}")

    with IndexClient(conf, routing=routing, cache=cache, on_event=on_event) as client:
        rows = size_rows(read, client, target)
    baseline = None
    rerouted = read.torch_index_url is not None and any(
        p.name in torch_family(settings.torch_family or ()) for p in read.pins
    )
    if compare and rerouted:
        baseline = _pypi_baseline(
            read,
            target,
            cache_dir=cache_dir,
            no_cache=no_cache,
            offline=offline,
            progress=progress,
            client_settings=client_settings,
        )
    return SizeReport(
        target=str(target),
        rows=rows,
        baseline=baseline,
        baseline_label="PyPI's builds of the same pins (--torch-backend pypi)" if baseline else "",
    )


def _pypi_baseline(
    read: ReadLock,
    target: Target,
    *,
    cache_dir: str | Path | None,
    no_cache: bool,
    offline: bool,
    progress: Progress | None,
    client_settings: ClientSettings | None,
) -> SizeReport:
    """Resolve the lock's pins (public versions) with the torch family from PyPI, and size it."""
    lines = [f"{p.name}=={p.version.public}" for p in read.pins if p.version is not None]
    torch_index = (read.torch_index_url or "").rstrip("/")
    extras = [u for u in read.extra_index_urls if u.rstrip("/") != torch_index]
    with tempfile.TemporaryDirectory(prefix="depslim-baseline-") as tmp:
        source = Path(tmp) / "baseline.in"
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = lock(
            [source],
            target=target,
            index_url=read.index_url or PYPI,
            extra_index_urls=extras,
            find_links=read.find_links,
            torch_backend="pypi",
            # only sizes are wanted: never download PyPI's multi-GB CUDA wheels to hash them
            verify_hashes=False,
            cache_dir=cache_dir,
            no_cache=no_cache,
            offline=offline,
            config=False,
            progress=progress,
            client_settings=client_settings,
        )
    return report(
        result,
        compare=False,
        cache_dir=cache_dir,
        no_cache=no_cache,
        offline=offline,
        config=False,
        progress=progress,
        client_settings=client_settings,
    )
