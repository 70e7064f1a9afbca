"""``depslim.report``: what a lock weighs, and what PyPI's builds would have weighed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Unpack

from packaging.requirements import Requirement

from depslim.api._locking import LockRequest, LockResult, as_lock, resolve_lock
from depslim.api._session import Session, session_for
from depslim.api._sizes import weigh
from depslim.models import InputRequirement, Location, Lock
from depslim.report import SizeReport
from depslim.settings import PYPI, IndexSettings, Options
from depslim.variants import torch_family

__all__ = ["SizeReport", "report"]

BASELINE_LABEL = "PyPI's builds of the same pins (--torch-backend pypi)"


def report(
    lockfile: str | Path | Lock | LockResult = "requirements.txt",
    *,
    compare: bool = True,
    session: Session | None = None,
    **options: Unpack[Options],
) -> SizeReport:
    """Download and installed size of every pin of a lock, and in total.

    ``lockfile`` is a path (requirements.txt, depslim's or any pip-compile-like lock) or
    the lock itself (what :func:`~depslim.lock` returned). Installed sizes are exact:
    read from each wheel's zip directory with HTTP range requests, and cached. For a
    lock whose torch family comes from a CPU index and ``compare`` on, the same pins are
    also resolved as PyPI serves them (``--torch-backend pypi``), in memory, and sized,
    so the report shows the saving. A pin whose files cannot be found is a warning.
    """
    anchor = lockfile if isinstance(lockfile, str | Path) else None
    run, owned = session_for(session, options, anchor=anchor)
    try:
        lock = as_lock(lockfile, run.settings.target)
        sized = weigh(run, lock)
        baseline = None
        family = torch_family(run.settings.gpu.torch_family)
        if compare and lock.torch_index_url and any(p.name in family for p in lock.pins):
            baseline = _pypi_baseline(run, lock)
        return SizeReport(
            target=str(lock.target),
            rows=sized.rows,
            baseline=baseline,
            baseline_label=BASELINE_LABEL if baseline else "",
            warnings=sized.warnings,
        )
    finally:
        if owned:
            run.close()


def _pypi_baseline(session: Session, lock: Lock) -> SizeReport:
    """The lock's pins (public versions) resolved with the torch family from PyPI, sized.

    Resolved in memory through the same session (one client, one cache); only sizes are
    wanted, so PyPI's multi-GB CUDA wheels are never downloaded to hash them.
    """
    settings = session.settings
    torch_index = (lock.torch_index_url or "").rstrip("/")
    indexes = IndexSettings(
        index_url=lock.index_url or PYPI,
        extra_index_urls=tuple(u for u in lock.extra_index_urls if u.rstrip("/") != torch_index),
        find_links=lock.find_links,
    )
    baseline = replace(
        settings,
        indexes=indexes,
        gpu=replace(settings.gpu, torch_backend="pypi"),
        extras=(),
        groups=(),
        all_extras=False,
    )
    requirements = tuple(
        InputRequirement(
            requirement=Requirement(f"{p.name}=={p.version.public}"),
            origin=Location(path=lock.source or "the lock", line=p.line),
        )
        for p in lock.pins
        if p.version is not None
    )
    with session.with_settings(baseline) as run:
        request = LockRequest(requirements=requirements, verify_hashes=False)
        result = resolve_lock(run, request)
        sized = weigh(run, result.lock)
    return SizeReport(target=str(lock.target), rows=sized.rows, warnings=sized.warnings)
