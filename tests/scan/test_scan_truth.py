"""One truth for tiers: the tier shown is the tier whose file pins the package."""

from __future__ import annotations

from types import MappingProxyType

from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.utils import NormalizedName, canonicalize_name

from depslim.scan import Classification, Evidence, Placement, Tier, Transitive, partition_closure
from depslim.scan.truth import declared_groups, shown_tiers, tier_problems, tier_roots

N = canonicalize_name
TIERS = list(Tier)


def _evidence(tier: Tier) -> tuple[Evidence, ...]:
    return (Evidence(tier=tier, kind="import", detail="import x", where="app.py:1"),)


def _classification(
    placed: dict[NormalizedName, Tier], transitive: dict[NormalizedName, Tier]
) -> Classification:
    return Classification(
        placements=MappingProxyType(
            {n: Placement(name=n, tier=t, evidence=_evidence(t)) for n, t in placed.items()}
        ),
        transitive=tuple(
            Transitive(name=n, tier=t, modules=(n,), via=(), evidence=_evidence(t))
            for n, t in sorted(transitive.items())
        ),
    )


@st.composite
def projects(draw: st.DrawFn) -> tuple[dict[NormalizedName, set[NormalizedName]], Classification]:
    size = draw(st.integers(min_value=1, max_value=14))
    names = [N(f"p{i}") for i in range(size)]
    graph = {
        name: set(draw(st.lists(st.sampled_from(names), max_size=4))) for name in names
    }  # cycles and self-loops included
    roles = draw(
        st.lists(st.sampled_from(["declared", "transitive", None]), min_size=size, max_size=size)
    )
    tiers = draw(st.lists(st.sampled_from(TIERS), min_size=size, max_size=size))
    placed = {n: t for n, r, t in zip(names, roles, tiers, strict=True) if r == "declared"}
    transitive = {n: t for n, r, t in zip(names, roles, tiers, strict=True) if r == "transitive"}
    return graph, _classification(placed, transitive)


@settings(max_examples=300, deadline=None)
@given(projects())
def test_files_give_every_tier_what_its_code_imports(
    project: tuple[dict[NormalizedName, set[NormalizedName]], Classification],
) -> None:
    graph, classification = project
    pinned = partition_closure(graph, tier_roots(classification))
    # every package is pinned in one file at most
    seen: list[NormalizedName] = [n for t in Tier for n in pinned[t]]
    assert len(seen) == len(set(seen))
    shown = shown_tiers(pinned)
    assert {n: t for t in Tier for n in pinned[t]} == shown
    # what the code of each tier imports is installed in that tier's image
    assert tier_problems(classification, pinned) == []
    for name, placement in classification.placements.items():
        assert shown[name].rank <= placement.tier.rank
    for item in classification.transitive:
        assert shown[item.name].rank <= item.tier.rank


def test_transitive_import_of_base_code_only_a_dev_tool_pulls_in_is_pinned_in_base() -> None:
    graph = {N("fastapi"): {N("starlette")}, N("pytest"): {N("pluggy")}}
    classification = _classification(
        {N("fastapi"): Tier.BASE, N("pytest"): Tier.DEV}, {N("pluggy"): Tier.BASE}
    )
    old = partition_closure(graph, classification.roots_by_tier())
    assert N("pluggy") in old[Tier.DEV]
    assert tier_problems(classification, old) == ["pluggy: needed in base, pinned only in dev.txt"]
    new = partition_closure(graph, tier_roots(classification))
    assert N("pluggy") in new[Tier.BASE]
    assert tier_problems(classification, new) == []
    assert shown_tiers(new)[N("pluggy")] is Tier.BASE


def test_a_package_no_file_pins_is_a_problem() -> None:
    classification = _classification({N("x"): Tier.BASE}, {})
    assert tier_problems(classification, {}) == ["x: needed in base, pinned in no tier file"]


def test_declared_in_main_and_in_an_extra_belongs_to_main() -> None:
    groups = declared_groups(
        [
            ("openai", "extra:eval"),
            ("OpenAI", "main"),
            ("pytest", "group:dev"),
            ("pytest", "extra:test"),
            ("rich", "extra:cli"),
            ("rich", "extra:tui"),
            ("ruff", "group:lint"),
        ]
    )
    assert groups == {
        "openai": "main",
        "pytest": "extra:test",
        "rich": "extra:cli",
        "ruff": "group:lint",
    }
