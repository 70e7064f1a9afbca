"""One truth for tiers (pure): what the table and ``--json`` show is what the files pin.

``base.txt`` pins the base tier; ``ml.txt`` starts with ``-r base.txt`` and pins what
the ML tier adds; ``dev.txt`` starts with ``-r ml.txt``. A package's *shown* tier is
the tier whose file pins it (:func:`shown_tiers`). What the code needs is satisfied
when a package imported by code of tier T is pinned in T's file or in a file below it
that T's file installs on top of (:func:`tier_problems` lists where it is not).
:func:`tier_roots` makes that hold by construction: an undeclared package imported by
tier-T code (installed only through some dependency) becomes a root of T, so an import
in API code of a package only a dev tool pulls in is pinned in base, not in dev.
:func:`declared_groups` decides the group of a distribution declared twice: the
main list wins over an extra, an extra over a dependency group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from packaging.utils import NormalizedName, canonicalize_name

from depslim.scan.roles import Tier
from depslim.scan.tiers import Classification

__all__ = ["declared_groups", "shown_tiers", "tier_problems", "tier_roots"]


def shown_tiers(pinned: Mapping[Tier, Iterable[str]]) -> dict[NormalizedName, Tier]:
    """Each package → the tier whose file pins it (``pinned``: the tier partition, or
    the names read back from the tier files). A package pinned twice shows the lowest
    tier (the one every image above installs)."""
    out: dict[NormalizedName, Tier] = {}
    for tier in sorted(Tier, key=lambda t: t.rank, reverse=True):
        for name in pinned.get(tier, ()):
            out[canonicalize_name(name)] = tier
    return out


def tier_roots(classification: Classification) -> dict[Tier, frozenset[NormalizedName]]:
    """The roots to lock per tier: declared placements, missing (not optional) ones,
    and undeclared-but-installed packages at the tier of the code importing them."""
    roots = {t: set(v) for t, v in classification.roots_by_tier().items()}
    for item in classification.transitive:
        roots[item.tier].add(item.name)
    return {t: frozenset(v) for t, v in roots.items()}


def tier_problems(
    classification: Classification, pinned: Mapping[Tier, Iterable[str]]
) -> list[str]:
    """Where the files would not give the code what it imports: one line per package
    whose needed tier (its placement, or the tier of the code importing it) is below
    the tier whose file pins it, or that no file pins. Empty: one truth holds."""
    shown = shown_tiers(pinned)
    needed: dict[NormalizedName, Tier] = {n: p.tier for n, p in classification.placements.items()}
    for item in classification.transitive:
        needed[item.name] = min(needed.get(item.name, item.tier), item.tier, key=lambda t: t.rank)
    out = []
    for name, tier in sorted(needed.items()):
        at = shown.get(name)
        if at is None:
            out.append(f"{name}: needed in {tier.value}, pinned in no tier file")
        elif at.rank > tier.rank:
            out.append(f"{name}: needed in {tier.value}, pinned only in {at.value}.txt")
    return out


def _group_rank(group: str) -> int:
    kind = group.partition(":")[0]
    return {"main": 0, "extra": 1, "group": 2}.get(kind, 3 if group != "main" else 0)


def declared_groups(pairs: Iterable[tuple[str, str]]) -> dict[NormalizedName, str]:
    """Each declared distribution → its group, from ``(name, group)`` pairs in any
    order (``"main"``, ``"extra:NAME"``, ``"group:NAME"``): a distribution in
    ``[project] dependencies`` *and* in an extra belongs to main; in two extras, to the
    first one listed; an extra beats a dependency group."""
    out: dict[NormalizedName, str] = {}
    for raw, group in pairs:
        name = canonicalize_name(raw)
        known = out.get(name)
        if known is None or _group_rank(group) < _group_rank(known):
            out[name] = group
    return out
