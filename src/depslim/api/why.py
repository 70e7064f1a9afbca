"""``depslim.why``: every chain from a lock's inputs to one package, with what each adds."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Unpack

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

from depslim.api._locking import LockResult, as_lock
from depslim.api._session import Session, session_for
from depslim.api._sizes import weigh
from depslim.errors import DepslimError, InputError
from depslim.models import Lock
from depslim.settings import Options
from depslim.target import Target
from depslim.why import Chain, Step, find_chains, render_why, why_to_json

__all__ = ["WhyResult", "why"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WhyResult:
    """The chains that bring ``name`` into a lock, and the warnings met reading sizes."""

    name: str
    chains: tuple[Chain, ...]
    truncated: bool = False
    warnings: tuple[str, ...] = ()

    def text(self) -> str:
        return render_why(self.name, list(self.chains), cut=self.truncated)

    def to_json(self) -> dict[str, Any]:
        data = why_to_json(self.name, list(self.chains), cut=self.truncated)
        data["warnings"] = list(self.warnings)
        return data


def why(
    name: str,
    lockfile: str | Path | Lock | LockResult = "requirements.txt",
    *,
    sizes: bool = True,
    session: Session | None = None,
    **options: Unpack[Options],
) -> WhyResult:
    """Every chain from the lock's inputs to ``name`` (a lock file, a tier file, a
    :class:`Lock` or a lock result), each link with the requirement its dependant
    declares and its installed size (read from the index; ``sizes=False`` skips that).
    """
    anchor = lockfile if isinstance(lockfile, str | Path) else None
    run, owned = session_for(session, options, anchor=anchor)
    try:
        lock = as_lock(lockfile, run.settings.target)
        if lock.pin(name) is None:
            shown = lock.source or "the lock"
            raise InputError(f"{name} is not pinned in {shown}; nothing brings it in")
        paths, cut = find_chains(lock, name)
        edges: dict[tuple[NormalizedName, NormalizedName], str] = {}
        installed: dict[NormalizedName, int | None] = {}
        warnings: tuple[str, ...] = ()
        if sizes:
            involved = {n for _, path in paths for n in path}
            edges, installed, warnings = _from_index(run, lock, involved)
        versions = {p.name: str(p.version) if p.version else None for p in lock.pins}
        chains = tuple(
            Chain(
                root=root,
                steps=tuple(
                    Step(
                        name=step,
                        version=versions.get(step),
                        requirement=edges.get((path[i - 1], step)) if i else None,
                        installed_size=installed.get(step),
                    )
                    for i, step in enumerate(path)
                ),
            )
            for root, path in paths
        )
        return WhyResult(name=name, chains=chains, truncated=cut, warnings=warnings)
    finally:
        if owned:
            run.close()


def _applies(requirement: Requirement, target: Target) -> bool:
    """Whether a requirement's marker holds on the target (extras aside); a marker no
    installer can evaluate does not."""
    try:
        return target.marker_applies(requirement.marker)
    except InputError:
        return False


def _from_index(
    run: Session, lock: Lock, involved: set[NormalizedName]
) -> tuple[
    dict[tuple[NormalizedName, NormalizedName], str],
    dict[NormalizedName, int | None],
    tuple[str, ...],
]:
    """Installed sizes of the involved pins and the requirement each declares on the next."""
    part = replace(lock, pins=tuple(p for p in lock.pins if p.name in involved))
    sized = weigh(run, part, links=True)
    installed = {NormalizedName(r.name): r.installed_size for r in sized.rows}
    edges: dict[tuple[NormalizedName, NormalizedName], str] = {}
    client = run.client(sized.routing) if sized.routing is not None else None
    if client is None:
        return edges, installed, sized.warnings
    for parent, link in sized.links.items():
        try:
            metadata = client.metadata(link)
        except DepslimError:
            continue
        for requirement in sorted(
            metadata.requires_dist, key=lambda r: not _applies(r, lock.target)
        ):
            child = canonicalize_name(requirement.name)
            if child in involved:
                edges.setdefault((parent, child), str(requirement))
    return edges, installed, sized.warnings
