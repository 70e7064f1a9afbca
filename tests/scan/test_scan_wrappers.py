"""Imports provided by a dependency of a declared distribution (wrappers)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from packaging.utils import canonicalize_name

from depslim.scan import ModuleMap, Tier, classify, partition_closure, scan_project
from depslim.scan.wrappers import dependency_chain, through_dependencies

N = canonicalize_name
Tree = Mapping[str, str | bytes]
MakeTree = Callable[[Tree], Path]

GRAPH = {
    "x": ["x-slim"],
    "x-slim": ["anyio", "typing-extensions"],
    "anyio": ["idna", "sniffio"],
    "fastapi": ["starlette", "pydantic"],
    "starlette": ["anyio"],
}
TOPS = {
    "x": [],
    "x-slim": ["x"],
    "anyio": ["anyio"],
    "idna": ["idna"],
    "sniffio": ["sniffio"],
    "fastapi": ["fastapi"],
    "starlette": ["starlette"],
    "pydantic": ["pydantic"],
    "typing-extensions": ["typing_extensions"],
}


def _map(declared: list[str]) -> ModuleMap:
    return ModuleMap.build(declared=declared, top_levels={N(k): v for k, v in TOPS.items()})


def test_dependency_chain_is_shortest() -> None:
    graph = {N(k): [N(d) for d in v] for k, v in GRAPH.items()}
    assert dependency_chain(graph, N("x"), N("idna")) == ("x", "x-slim", "anyio", "idna")
    assert dependency_chain(graph, N("x"), N("pydantic")) is None
    assert dependency_chain(graph, N("x"), N("x")) == ("x",)


def test_wrapper_import_counts_for_the_declared_wrapper() -> None:
    carried = through_dependencies(
        "x.core", graph=GRAPH, module_map=_map(["x", "fastapi"]), declared=["x", "fastapi"]
    )
    assert carried is not None
    assert (carried.declared, carried.provider, carried.chain) == ("x", "x-slim", ("x", "x-slim"))
    assert carried.wrapper
    assert carried.detail == "x is provided by x-slim via x -> x-slim"


def test_wrapper_wins_over_a_shorter_ordinary_dependant() -> None:
    # anyio is reached from fastapi (2 hops) and from the wrapper x (3 hops): x wins.
    carried = through_dependencies(
        "anyio", graph=GRAPH, module_map=_map(["x", "fastapi"]), declared=["x", "fastapi"]
    )
    assert carried is not None and carried.declared == "x"
    plain = through_dependencies(
        "anyio", graph=GRAPH, module_map=_map(["fastapi"]), declared=["fastapi"]
    )
    assert plain is not None and plain.chain == ("fastapi", "starlette", "anyio")
    assert not plain.wrapper


def test_nothing_when_a_declared_distribution_provides_the_module() -> None:
    assert (
        through_dependencies("x", graph=GRAPH, module_map=_map(["x-slim"]), declared=["x-slim"])
        is None
    )
    assert (
        through_dependencies("numpy", graph=GRAPH, module_map=_map(["x"]), declared=["x"]) is None
    )


def test_classify_places_the_wrapper_and_its_provider_lands_in_the_tier(
    make_tree: MakeTree,
) -> None:
    scan = scan_project(
        make_tree({"app/__init__.py": "", "app/api.py": "import x\nimport starlette\n"})
    )
    declared = {"x": "main", "fastapi": "main"}
    result = classify(scan, declared=declared, modules=_map(list(declared)), graph=GRAPH)
    assert N("x") not in result.unused
    placement = result.placements[N("x")]
    assert placement.tier is Tier.BASE
    assert str(placement.evidence[0]) == (
        "app/api.py:1 import x: x is provided by x-slim via x -> x-slim"
    )
    # a wrapper's provider is not a "transitive use"; starlette under fastapi still is
    assert [t.name for t in result.transitive] == ["starlette"]
    assert result.placements[N("fastapi")].tier is Tier.BASE
    tiers = partition_closure(
        {N(k): {N(d) for d in v} for k, v in GRAPH.items()}, result.roots_by_tier()
    )
    assert N("x-slim") in tiers[Tier.BASE]
