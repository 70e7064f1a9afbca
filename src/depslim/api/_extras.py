"""What the optional parts of a project (extras, dependency groups) do to its tiers.

``split`` resolves the main dependencies with every chosen extra and group at once, so
one of them can hold a shipped tier back (an evaluation extra saying ``openai<1`` pins
the API's openai to 0.28) or break the whole resolution (an extra whose sdist needs
torch to build). Both are found by resolving again without the optional parts, in
memory and through the same session (pages and metadata are cached by then), and the
message names the extra or group and the flag that leaves it out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from depslim.api._locking import LockRequest, LockResult, resolve_lock
from depslim.api._session import Session
from depslim.errors import BuildFailedError, DepslimError, NoSolutionError
from depslim.inputs.declared import Declared, DeclaredProject
from depslim.scan import Tier
from depslim.scan.tiers import closure

__all__ = ["blame_optional", "optional_pin_changes"]

#: at most this many extras and groups are tried one by one to find a failing one
MAX_TRIED = 8

_SDIST_ONLY = re.compile(r"^(\S+) \S+ is only available as a source distribution")


def _flag(group: str) -> tuple[str, str]:
    """``("extra 'eval'", "--no-extra eval")`` for ``extra:eval``."""
    kind, _, name = group.partition(":")
    return f"{kind} '{name}'", f"--no-{kind} {name}"


def _optional(project: DeclaredProject) -> dict[str, list[Declared]]:
    """The chosen extras and groups, each with its declared requirements."""
    out: dict[str, list[Declared]] = {}
    for item in project.dependencies:
        if item.group != "main":
            out.setdefault(item.group, []).append(item)
    return out


def _resolve(session: Session, items: Sequence[Declared]) -> LockResult:
    """A resolution of ``items`` alone, in memory, trusting the index's hashes."""
    requirements = tuple(d.requirement for d in items)
    return resolve_lock(session, LockRequest(requirements=requirements, verify_hashes=False))


def optional_pin_changes(
    session: Session,
    project: DeclaredProject,
    result: LockResult,
    tiers: Mapping[Tier, Sequence[NormalizedName]],
) -> list[str]:
    """One warning per package of a shipped tier (base, ml) whose pin an extra or group
    changes, compared with the resolution of the main dependencies alone."""
    optional = _optional(project)
    main = [d for d in project.dependencies if d.group == "main"]
    if not optional or not main or result.resolution is None:
        return []
    graph = result.resolution.dependencies
    reach = {
        group: closure(graph, [d.requirement.name for d in items])
        for group, items in optional.items()
    }
    shipped = {*tiers.get(Tier.BASE, ()), *tiers.get(Tier.ML, ())}
    if not any(names & shipped for names in reach.values()):
        return []  # no extra or group requires anything a shipped tier installs
    try:
        alone = _resolve(session, main).lock.versions
    except DepslimError:
        return []  # the main dependencies alone do not resolve: nothing to compare with
    full = result.lock.versions
    out = []
    for name in sorted(shipped):
        before, after = alone.get(name), full.get(name)
        if before is None or after is None or before == after:
            continue
        for group in sorted(g for g, names in reach.items() if name in names):
            what, flag = _flag(group)
            out.append(
                f"{what} changes {name} in a shipped tier: {before} without it, {after} with "
                f"it; leave it out with {flag}"
            )
    return out


def _failing_names(exc: DepslimError) -> set[NormalizedName]:
    """The projects an error is about, where it says."""
    if isinstance(exc, BuildFailedError):
        return {canonicalize_name(exc.package)}
    names: set[NormalizedName] = set()
    if isinstance(exc, NoSolutionError):
        for cause in exc.causes:
            try:
                names.add(canonicalize_name(Requirement(cause.requirement).name))
            except InvalidRequirement:
                continue
    if match := _SDIST_ONLY.match(str(exc.message)):
        names.add(canonicalize_name(match.group(1)))
    return names


def blame_optional(session: Session, exc: DepslimError, project: DeclaredProject) -> DepslimError:
    """``exc`` (a failed split resolution), naming the extras or groups it comes from and
    the flags that leave them out, when the main dependencies resolve without them."""
    optional = _optional(project)
    if not optional:
        return exc
    main = [d for d in project.dependencies if d.group == "main"]
    named = _failing_names(exc)
    main_names = {d.requirement.name for d in main}
    culprits = sorted(
        group
        for group, items in optional.items()
        if any(d.requirement.name in named and d.requirement.name not in main_names for d in items)
    )
    if not culprits:
        culprits = _tried_one_by_one(session, main, optional)
    if culprits:
        lines = [f"{_flag(g)[0]} brings this in; leave it out with {_flag(g)[1]}" for g in culprits]
        exc.message = f"{exc.message}\n" + "\n".join(lines)
    return exc


def _tried_one_by_one(
    session: Session, main: list[Declared], optional: Mapping[str, list[Declared]]
) -> list[str]:
    """The extras and groups that fail to resolve with the main dependencies, when
    those resolve alone (each tried once, a few at most)."""
    try:
        _resolve(session, main)
    except DepslimError:
        return []  # the failure is in the main dependencies themselves
    failing = []
    for group, items in list(optional.items())[:MAX_TRIED]:
        try:
            _resolve(session, [*main, *items])
        except DepslimError:
            failing.append(group)
    return failing
