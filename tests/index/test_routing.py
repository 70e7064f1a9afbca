"""Routing rules: bound projects, exclusive indexes, first index wins, find-links merged."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from depslim.index.binding import IndexConfusionError
from depslim.index.client import ClientSettings, IndexClient
from depslim.index.routing import FIND_LINKS, Routing, same_index
from depslim.models import IndexSource
from support.fixtures import build_files

PYPI = IndexSource(url="https://pypi.org/simple/")
EXTRA = IndexSource(url="https://extra.example/simple/")
TORCH = IndexSource(url="https://download.pytorch.org/whl/cpu", name="pytorch")
LINKS = IndexSource(url="/srv/wheels", kind=FIND_LINKS)


def torch_routing() -> Routing:
    torch_family = ("torch", "torchvision", "Torch_Audio")
    return Routing(
        default=(PYPI, EXTRA),
        find_links=(LINKS,),
        bound=dict.fromkeys(torch_family, (TORCH,)),
        exclusive=frozenset({"https://download.pytorch.org/whl/cpu/"}),
    )


def test_default_indexes_in_order_then_find_links() -> None:
    assert torch_routing().sources_for("numpy") == (PYPI, EXTRA, LINKS)


def test_bound_project_is_looked_up_only_on_its_index() -> None:
    routing = torch_routing()
    assert routing.sources_for("torch") == (TORCH,)
    # Names are normalized on both sides.
    assert routing.sources_for("torch-audio") == (TORCH,)
    assert routing.sources_for("TorchVision") == (TORCH,)


def test_exclusive_index_never_serves_unbound_projects() -> None:
    routing = Routing(
        default=(PYPI, TORCH),
        bound={canonicalize_name("torch"): (TORCH,)},
        exclusive=frozenset({TORCH.url}),
    )
    assert routing.sources_for("numpy") == (PYPI,)
    assert not routing.allows("numpy", "https://download.pytorch.org/whl/cpu/")
    assert routing.allows("torch", "https://download.pytorch.org/whl/cpu")
    assert not routing.allows("torch", PYPI.url)
    assert routing.is_exclusive("https://download.pytorch.org/whl/cpu/")


def test_bound_find_links_come_after_bound_indexes() -> None:
    local = IndexSource(url="/opt/torch-wheels", kind=FIND_LINKS)
    routing = Routing(default=(PYPI,), bound={"torch": (local, TORCH)})
    assert routing.sources_for("torch") == (TORCH, local)


def test_simple_constructor_matches_pip_options() -> None:
    routing = Routing.simple("https://a/simple", ["https://b/simple"], ["./wheels"])
    assert [s.url for s in routing.sources_for("x")] == [
        "https://a/simple",
        "https://b/simple",
        "./wheels",
    ]
    assert routing.sources_for("x")[-1].kind == FIND_LINKS
    assert same_index("https://a/simple", "https://a/simple/")
    assert not same_index("https://a/simple", "https://b/simple")


def _client(routing: Routing) -> IndexClient:
    return IndexClient(ClientSettings(retries=0, sleep=lambda _: None), routing=routing)


def test_a_project_offered_differently_by_two_indexes_is_refused(make_index) -> None:
    # The second index offers a higher version of the same name (the confusion attack):
    # it must not win, in either order of asking; projects on one index only are fine.
    first = make_index([("shared", "1.0", []), ("only-first", "1.0", [])])
    second = make_index([("shared", "9.9", []), ("only-second", "2.0", [])])
    for order in ((first, second), (second, first)):
        with _client(Routing.simple(order[0].url, [order[1].url])) as client:
            with pytest.raises(IndexConfusionError, match="shared is offered by 2"):
                client.links("shared")
            assert [str(link.version) for link in client.links("only-second")] == ["2.0"]
            assert [str(link.version) for link in client.links("only-first")] == ["1.0"]


def test_find_links_are_merged_with_the_winning_index(make_index, tmp_path: Path) -> None:
    index = make_index([("pkg", "1.0", [])])
    local = tmp_path / "local"
    build_files(local, [("pkg", "1.1", []), ("other", "3.0", [])])
    routing = Routing.simple(index.url, find_links=[str(local)])
    with _client(routing) as client:
        versions = sorted(str(link.version) for link in client.links("pkg"))
        assert versions == ["1.0", "1.1"]
        assert [str(link.version) for link in client.links("other")] == ["3.0"]


def test_bound_and_exclusive_with_real_indexes(make_index) -> None:
    pypi = make_index([("numpy", "2.0", []), ("torch", "99.0", [])])
    torch_index = make_index(
        [("torch", "2.5.0+cpu", ["numpy"]), ("numpy", "1.0", [])], pytorch_style=True
    )
    torch_source = IndexSource(url=torch_index.url)
    routing = Routing(
        default=(IndexSource(url=pypi.url), torch_source),
        bound={"torch": (torch_source,)},
        exclusive=frozenset({torch_index.url}),
    )
    with _client(routing) as client:
        torch_links = client.links("torch")
        assert [str(link.version) for link in torch_links] == ["2.5.0+cpu"]
        assert {link.index for link in torch_links} == {torch_index.url}
        assert [str(link.version) for link in client.links("numpy")] == ["2.0"]
        # An unknown project is not looked up on the exclusive index at all.
        assert client.links("left-pad") == ()
    assert pypi.requests("/simple/torch/") == []
    assert torch_index.requests("/simple/numpy/") == []
    assert torch_index.requests("/simple/left-pad/") == []
