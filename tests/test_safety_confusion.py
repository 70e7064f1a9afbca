"""No dependency confusion in either index order, for direct and transitive requirements.

Two real index servers on 127.0.0.1: a private one (``inhouse`` 1.0, ``app`` that
needs it, and a mirror copy of ``common``) and an attacker's (``inhouse`` 99.0,
``torchtriton`` 3.0.0, the same ``common`` files). Each scenario runs with the attacker
as ``--index-url`` and the private index as ``--extra-index-url``, then the other way.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from depslim.index.binding import IndexConfusionError, bind_projects
from depslim.index.client import IndexClient
from depslim.index.routing import Routing
from depslim.models import IndexSource, InputRequirement, Location
from depslim.resolve.resolver import resolve
from depslim.target import Target
from support.fixtures import build_files

TARGET = Target.parse("linux/amd64", python="3.11")
ORDERS = ["attacker-first", "private-first"]


@pytest.fixture
def indexes(tmp_path: Path, index_server):
    private_files = tmp_path / "private"
    attacker_files = tmp_path / "attacker"
    private_files.mkdir()
    attacker_files.mkdir()
    (common,) = build_files(tmp_path, [("common", "1.0", [])])
    shutil.copy(common, private_files)
    shutil.copy(common, attacker_files)  # identical bytes: a mirror, not an attack
    build_files(
        private_files,
        [("inhouse", "1.0", ["common"]), ("app", "1.0", ["inhouse>=1"])],
    )
    build_files(
        attacker_files,
        [("inhouse", "99.0", []), ("torchtriton", "3.0.0", []), ("evil", "1.0", [])],
    )
    torch_files = tmp_path / "torch"
    torch_files.mkdir()
    build_files(torch_files, [("torchtriton", "2.0.0", [])])
    return {
        "private": index_server(private_files),
        "attacker": index_server(attacker_files),
        "torch": index_server(torch_files, pytorch_style=True),
    }


def _routing(indexes, order: str) -> Routing:
    private, attacker = indexes["private"].url, indexes["attacker"].url
    if order == "attacker-first":
        return Routing.simple(attacker, [private])
    return Routing.simple(private, [attacker])


def _resolve(routing: Routing, *lines: str):
    roots = [
        InputRequirement(requirement=Requirement(line), origin=Location(path="req.in", line=n))
        for n, line in enumerate(lines, start=1)
    ]
    with IndexClient(routing=routing) as client:
        return resolve(roots, client, TARGET)


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("root", ["inhouse", "app"], ids=["direct", "transitive"])
def test_an_unbound_project_offered_differently_fails_naming_both(indexes, order, root) -> None:
    with pytest.raises(IndexConfusionError) as caught:
        _resolve(_routing(indexes, order), root)
    error = caught.value
    assert error.exit_code == 2
    assert error.project == "inhouse"
    assert error.offers == {
        indexes["private"].url: ("1.0",),
        indexes["attacker"].url: ("99.0",),
    }
    message = str(error)
    assert f"{indexes['private'].url}: 1.0 (1 file)" in message
    assert f"{indexes['attacker'].url}: 99.0 (1 file)" in message
    assert "index-of = {" in message and '"inhouse"' in message


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("root", ["inhouse", "app"], ids=["direct", "transitive"])
def test_a_bound_project_comes_from_its_index_only(indexes, order, root) -> None:
    routing = bind_projects(_routing(indexes, order), {"InHouse": indexes["private"].url})
    resolution = _resolve(routing, root)
    chosen = resolution.candidates["inhouse"]
    assert chosen.version == Version("1.0")
    assert {link.index for link in chosen.links} == {indexes["private"].url}
    assert indexes["attacker"].requests("/simple/inhouse/") == []
    # The mirrored project (same files on both) is fine, unbound.
    assert resolution.candidates["common"].version == Version("1.0")
    assert "evil" not in resolution.candidates


@pytest.mark.parametrize("order", ORDERS)
def test_the_torch_family_binding_holds_in_both_orders(indexes, order) -> None:
    plain = _routing(indexes, order)
    torch = IndexSource(url=indexes["torch"].url)
    routing = Routing(
        default=(*plain.default, torch),
        bound={"torchtriton": (torch,)},
        exclusive=frozenset({torch.url}),
    )
    resolution = _resolve(routing, "torchtriton")
    assert resolution.candidates["torchtriton"].version == Version("2.0.0")
    assert indexes["attacker"].requests("/simple/torchtriton/") == []
    # Unbound, the look-alike is refused rather than taken.
    with pytest.raises(IndexConfusionError, match="torchtriton"):
        _resolve(Routing(default=(*plain.default, torch)), "torchtriton")


def test_a_project_on_one_index_only_needs_no_binding(indexes) -> None:
    resolution = _resolve(_routing(indexes, "private-first"), "evil")
    assert resolution.candidates["evil"].index == indexes["attacker"].url
