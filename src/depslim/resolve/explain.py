"""Turn resolvelib's failure data into an explanation a person can act on.

The text always starts with ``No solution found`` (what CI log scanners look for),
then names each conflicting requirement, who asked for it, and through which chain
of packages it was reached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from packaging.utils import NormalizedName
from packaging.version import Version

from depslim.errors import Conflict
from depslim.resolve.requirements import PYTHON, Req
from depslim.target import Target

__all__ = ["conflict_causes", "explain_conflict", "explain_missing"]

_MAX_CHAIN = 8
_MAX_VERSIONS = 12


def _chain(parent: str | None, required_by: Mapping[NormalizedName, str]) -> str:
    """``a 1.0 ← b 2.0 ← requirements.in:3``: who brought ``parent`` in, walking to a root."""
    if parent is None:
        return ""
    names = [parent]
    seen = set()
    current = parent
    while len(names) < _MAX_CHAIN:
        name = NormalizedName(current.split(" ")[0].split("[")[0])
        if name in seen or name not in required_by:
            break
        seen.add(name)
        current = required_by[name]
        names.append(current)
    return " ← ".join(names)


def explain_conflict(
    causes: Sequence[tuple[Req, str | None]],
    *,
    target: Target,
    required_by: Mapping[NormalizedName, str],
    versions_of: Callable[[NormalizedName], Iterable[Version]],
) -> str:
    """Explain a conflict from ``(requirement, parent)`` pairs (parent ``None`` = the user)."""
    lines = [f"No solution found for {target}:"]
    python_causes = [(r, p) for r, p in causes if r.name == PYTHON]
    for req, parent in python_causes:
        lines.append(
            f"  {parent} requires Python {req.specifier}, "
            f"but the target is CPython {target.python_full}"
        )
    by_name: dict[NormalizedName, list[tuple[Req, str | None]]] = {}
    for req, parent in causes:
        if req.name != PYTHON:
            by_name.setdefault(req.name, []).append((req, parent))
    for name, items in by_name.items():
        summary = ", ".join(_who(req, parent) for req, parent in items)
        lines.append(f"  {summary}")
        for _req, parent in items:
            chain = _chain(parent, required_by)
            if parent is not None and " ← " in chain:
                lines.append(f"    ({chain})")
        versions = sorted(set(versions_of(name)), reverse=True)
        if versions:
            shown = ", ".join(str(v) for v in versions[:_MAX_VERSIONS])
            more = (
                f" and {len(versions) - _MAX_VERSIONS} more"
                if len(versions) > _MAX_VERSIONS
                else ""
            )
            lines.append(f"    versions of {name} that fit the target: {shown}{more}")
        else:
            lines.append(f"    no version of {name} fits the target")
    lines.append("Loosen one of these requirements, or pin the package that brings it in.")
    return "\n".join(lines)


def conflict_causes(
    causes: Sequence[tuple[Req, str | None]],
    *,
    required_by: Mapping[NormalizedName, str],
    versions_of: Callable[[NormalizedName], Iterable[Version]],
) -> list[Conflict]:
    """The conflict as data, one :class:`~depslim.errors.Conflict` per requirement."""
    out = []
    for req, parent in causes:
        what = _who(req, None).split(" needs ", 1)[1]
        chain = _chain(parent, required_by).split(" ← ") if parent else []
        fitting = () if req.name == PYTHON else sorted(set(versions_of(req.name)), reverse=True)
        out.append(
            Conflict(
                requirement=what if req.name != PYTHON else f"Python {req.specifier}",
                required_by=parent or req.origin or "you",
                chain=tuple(chain[1:]),
                versions=tuple(str(v) for v in fitting[:_MAX_VERSIONS]),
            )
        )
    return out


def _who(req: Req, parent: str | None) -> str:
    if req.url:
        what = f"{req.name} @ {req.shown_url}"
    elif str(req.specifier):
        what = f"{req.name}{req.specifier}"
    else:
        what = f"{req.name} (any version)"
    return f"{parent or req.origin or 'you'} needs {what}"


def explain_missing(
    name: NormalizedName,
    *,
    target: Target,
    indexes: Sequence[str],
    seen_versions: Sequence[Version],
    wheel_platforms: Sequence[str],
    origin: str,
) -> str:
    """A project without any usable file: say whether it is absent or just not built for us."""
    where = ", ".join(indexes) or "no index configured"
    if not seen_versions:
        return (
            f"No solution found for {target}: no index has a project named {name!r} "
            f"(needed by {origin}; searched {where}). Check the spelling, or add the index "
            "that serves it with --extra-index-url."
        )
    shown = ", ".join(str(v) for v in sorted(seen_versions, reverse=True)[:_MAX_VERSIONS])
    platforms = ", ".join(sorted(set(wheel_platforms))[:8]) or "none"
    return (
        f"No solution found for {target}: {name} has versions {shown} on {where}, "
        f"but none with a file for this target (wheel platforms seen: {platforms}; "
        f"needed by {origin}). Pick another --python-platform/--python-version, "
        "or a version that ships a wheel or an sdist for it."
    )
