"""Resolve root requirements for a target into a pinned graph.

:func:`resolve` is the resolver's one entry point: root requirements and
constraints in, a :class:`Resolution` out (or :class:`~depslim.errors.NoSolutionError`
with an explanation).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Unpack, cast

from packaging.utils import NormalizedName
from packaging.version import Version
from resolvelib import BaseReporter, ResolutionImpossible, ResolutionTooDeep, Resolver

from depslim.errors import Conflict, NoSolutionError
from depslim.models import InputRequirement, Location
from depslim.resolve.candidates import Candidate, group_candidates
from depslim.resolve.explain import conflict_causes, explain_conflict, explain_missing
from depslim.resolve.overrides import apply_overrides
from depslim.resolve.protocol import PackageFinder
from depslim.resolve.provider import Provider, ProviderOptions
from depslim.resolve.requirements import PYTHON, Req, split_identifier
from depslim.target import Target

if TYPE_CHECKING:
    from depslim.models import CoreMetadata

__all__ = ["Resolution", "resolve"]

MAX_ROUNDS = 200_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolution:
    """A pinned graph: one candidate per project, who requires whom, and the roots' origins.

    ``metadata`` is the core metadata the resolution read for each pinned candidate:
    every wheel later downloaded for the lock must carry the same (see
    :func:`depslim.index.metadata.metadata_differences`).
    """

    target: Target
    candidates: Mapping[NormalizedName, Candidate]
    dependencies: Mapping[NormalizedName, tuple[NormalizedName, ...]]
    via: Mapping[NormalizedName, tuple[str, ...]]
    extras: Mapping[NormalizedName, frozenset[NormalizedName]] = field(default_factory=dict)
    metadata: Mapping[NormalizedName, CoreMetadata] = field(default_factory=dict)


class _Progress(BaseReporter[Req, Candidate, str]):
    def __init__(self, callback: Callable[[str], None] | None) -> None:
        self.callback = callback
        self.pinned = 0

    def pinning(self, candidate: Candidate) -> None:
        if candidate.name == PYTHON:
            return
        self.pinned += 1
        if self.callback:
            self.callback(f"pinned {candidate} ({self.pinned})")


class ResolveOptions(ProviderOptions, total=False):
    """:class:`~depslim.resolve.provider.ProviderOptions`, and what the resolution
    reports: ``progress`` (one line per pin), ``root_label`` and ``override_label``."""

    progress: Callable[[str], None] | None
    root_label: Callable[[Location], str]
    override_label: Callable[[Location], str]


def _override_via(where: Location) -> str:
    return f"--override {where.path}"


def resolve(
    requirements: Sequence[InputRequirement],
    finder: PackageFinder,
    target: Target,
    **options: Unpack[ResolveOptions],
) -> Resolution:
    """Pin every project the target needs; raise NoSolutionError if impossible.

    ``options``: :class:`ResolveOptions`. ``root_label`` turns the location of a
    top-level requirement into its ``# via`` text (``-r requirements.in``).
    ``overrides`` replace every requirement on their projects (the inputs' and the
    dependencies'), and add constraints (see :mod:`depslim.resolve.overrides`); a
    project they replaced is also ``# via`` ``override_label(origin)`` (``--override
    overrides.txt``, as uv writes). ``direct`` pins and reads references to source
    repositories (``name @ git+https://…@ref``); without it they are refused.
    """
    roots, labels, constraints = _roots(requirements, target, options)
    provider_options = cast(
        "ProviderOptions",
        {k: v for k, v in options.items() if k not in ("progress", "root_label", "override_label")},
    )
    provider = Provider(finder, target, constraints=constraints, **provider_options)
    provider.look_ahead(roots)
    reporter = _Progress(options.get("progress"))
    resolver: Resolver[Req, Candidate, str] = Resolver(provider, reporter)
    try:
        result = resolver.resolve(roots, max_rounds=MAX_ROUNDS)
    except ResolutionImpossible as exc:
        message, conflicts = _explain(exc.causes, provider, finder, target)
        raise NoSolutionError(message, causes=conflicts) from None
    except ResolutionTooDeep as exc:
        raise NoSolutionError(
            f"No solution found for {target}: the resolver gave up after {exc.round_count} "
            "rounds of backtracking. Pin some of the packages it keeps trying (with ==) to "
            "narrow the search."
        ) from None
    return _resolution(result, provider, labels, options)


def _roots(
    requirements: Sequence[InputRequirement], target: Target, options: ResolveOptions
) -> tuple[list[Req], dict[str, str], dict[NormalizedName, list[Req]]]:
    """The top-level requirements that apply on the target, after overrides and the
    requirement hook; each one's ``# via`` label; the constraints by project."""
    overrides = options.get("overrides")
    requirement_hook = options.get("requirement_hook")
    root_label = options.get("root_label", str)
    roots: list[Req] = []
    labels: dict[str, str] = {}
    constraints: dict[NormalizedName, list[Req]] = defaultdict(list)
    extra = overrides.constraints if overrides else ()
    for item in [*requirements, *extra]:
        req = item.requirement
        if overrides and not item.constraint and item.name in overrides.names:
            pass  # replaced below, whatever its marker says (uv's meaning of an override)
        elif not target.marker_applies(req.marker, where=str(item.origin)):
            continue
        if item.constraint or not overrides:
            news = [requirement_hook(req) if requirement_hook is not None else req]
        else:
            news = apply_overrides(
                overrides,
                req,
                applies=lambda m: target.marker_applies(m, where="an override"),
                hook=requirement_hook,
            )
        for new in news:
            value = Req.from_requirement(new, origin=str(item.origin))
            labels[value.origin] = root_label(item.origin)
            (constraints[value.name] if item.constraint else roots).append(value)
    return roots, labels, constraints


def _resolution(
    result: Any, provider: Provider, labels: Mapping[str, str], options: ResolveOptions
) -> Resolution:
    """resolvelib's result as a :class:`Resolution`: one candidate per project, the
    graph, and each pin's ``# via`` (its dependants, inputs and overrides)."""
    target = provider.target
    candidates: dict[NormalizedName, Candidate] = {}
    extras: dict[NormalizedName, set[NormalizedName]] = defaultdict(set)
    for identifier, cand in result.mapping.items():
        name, ids_extras = split_identifier(identifier)
        if name == PYTHON:
            continue
        candidates.setdefault(name, cand.with_extras(frozenset()))
        extras[name] |= ids_extras
    deps: dict[NormalizedName, set[NormalizedName]] = defaultdict(set)
    via: dict[NormalizedName, set[str]] = defaultdict(set)
    for identifier, criterion in result.criteria.items():
        name, _ = split_identifier(identifier)
        if name not in candidates:
            continue
        for info in criterion.information:
            if info.parent is None:
                via[name].add(labels.get(info.requirement.origin, info.requirement.origin))
            elif info.parent.name != name:
                deps[info.parent.name].add(name)
                via[name].add(info.parent.name)
    overrides = options.get("overrides")
    override_label = options.get("override_label", _override_via)
    for item in overrides.overrides if overrides else ():
        marker = item.requirement.marker
        if item.name in candidates and target.marker_applies(marker, where=str(item.origin)):
            via[item.name].add(override_label(item.origin))
    return Resolution(
        target=target,
        candidates=dict(sorted(candidates.items())),
        dependencies={n: tuple(sorted(deps.get(n, ()))) for n in sorted(candidates)},
        via={n: tuple(sorted(via.get(n, ()))) for n in sorted(candidates)},
        extras={n: frozenset(e) for n, e in extras.items() if e},
        metadata={
            n: meta
            for n in sorted(candidates)
            if (meta := provider.read_metadata(candidates[n])) is not None
        },
    )


def _none(_name: NormalizedName) -> list[Version]:
    return []


def _explain(
    causes: Collection[Any], provider: Provider, finder: PackageFinder, target: Target
) -> tuple[str, list[Conflict]]:
    pairs: list[tuple[Req, str | None]] = []
    for cause in causes:
        req: Req = cause.requirement
        parent = cause.parent
        pairs.append((req, None if parent is None else str(parent)))
    names = {r.name for r, _ in pairs if r.name != PYTHON and not r.url}
    if len(names) == 1 and not any(r.name == PYTHON for r, _ in pairs):
        (name,) = names
        links = finder.links(name)
        if not group_candidates(name, links, target):
            req, parent = pairs[0]
            text = explain_missing(
                name,
                target=target,
                indexes=list(finder.searched(name)),
                seen_versions=sorted({lk.version for lk in links}),
                wheel_platforms=sorted({t.platform for lk in links for t in lk.tags}),
                origin=parent or req.origin or "your requirements",
            )
            return text, conflict_causes(pairs, required_by=provider.required_by, versions_of=_none)

    def versions_of(name: NormalizedName) -> list[Version]:
        return [c.version for c in group_candidates(name, finder.links(name), target)]

    text = explain_conflict(
        pairs, target=target, required_by=provider.required_by, versions_of=versions_of
    )
    return text, conflict_causes(pairs, required_by=provider.required_by, versions_of=versions_of)
