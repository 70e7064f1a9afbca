"""Yanked releases (PEP 592): locked only when pinned exactly, and then with a warning.

Resolved against a real index on 127.0.0.1 (JSON and HTML pages) with real wheels.
"""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from depslim.errors import NoSolutionError
from depslim.models import InputRequirement, Location
from depslim.resolve.candidates import yanked_allowed
from depslim.resolve.resolver import resolve
from depslim.resolve.yanked import yanked_pins
from depslim.target import Target

TARGET = Target.parse("linux/amd64", python="3.11")
YANKED = {"x-2.0-py3-none-any.whl": "broken build, use 2.1"}


def _roots(*lines: str) -> list[InputRequirement]:
    return [
        InputRequirement(requirement=Requirement(line), origin=Location(path="req.in", line=n))
        for n, line in enumerate(lines, start=1)
    ]


@pytest.fixture(params=["json", "html"])
def client(request, make_index, index_client):
    index = make_index(
        [
            ("x", "1.0", []),
            ("x", "2.0", []),
            ("pins-yanked", "1.0", ["x==2.0"]),
            ("wants-new", "1.0", ["x>=2"]),
        ],
        yanked=YANKED,
        json=request.param == "json",
    )
    return index_client(index.url)


def test_a_yanked_release_is_never_chosen_without_an_exact_pin(client) -> None:
    resolution = resolve(_roots("x"), client, TARGET)
    assert resolution.candidates["x"].version == Version("1.0")
    assert yanked_pins(resolution) == ()
    with pytest.raises(NoSolutionError):
        resolve(_roots("x>=2"), client, TARGET)
    with pytest.raises(NoSolutionError):
        resolve(_roots("wants-new"), client, TARGET)


def test_an_exact_pin_takes_it_with_a_warning_quoting_the_reason(client) -> None:
    resolution = resolve(_roots("x==2.0"), client, TARGET)
    assert resolution.candidates["x"].version == Version("2.0")
    (warning,) = yanked_pins(resolution)
    assert warning.reason == "broken build, use 2.1"
    assert warning.files == ("x-2.0-py3-none-any.whl",)
    assert '"broken build, use 2.1"' in warning.message
    assert warning.message.startswith("x==2.0 is yanked")
    assert warning.to_json()["version"] == "2.0"


def test_an_exact_pin_in_a_dependency_counts_too(client) -> None:
    resolution = resolve(_roots("pins-yanked"), client, TARGET)
    assert resolution.candidates["x"].version == Version("2.0")
    (warning,) = yanked_pins(resolution)
    assert warning.via == ("pins-yanked",)
    assert "pinned exactly by pins-yanked" in warning.message


def test_a_wildcard_or_range_pin_is_not_exact(client) -> None:
    with pytest.raises(NoSolutionError):
        resolve(_roots("x==2.*"), client, TARGET)
    assert resolve(_roots("x<=2.0"), client, TARGET).candidates["x"].version == Version("1.0")


def test_a_plain_pin_allows_the_local_builds_it_matches() -> None:
    assert yanked_allowed(Version("2.5.1+cpu"), frozenset({Version("2.5.1")}))
    assert yanked_allowed(Version("2.5.1"), frozenset({Version("2.5.1")}))
    assert not yanked_allowed(Version("2.5.1+cpu"), frozenset({Version("2.5.1+cu121")}))
    assert not yanked_allowed(Version("2.5.2"), frozenset({Version("2.5.1")}))
    assert not yanked_allowed(Version("2.5.1"), frozenset())


def test_an_arbitrary_equality_string_does_not_crash(client) -> None:
    with pytest.raises(NoSolutionError):
        resolve(_roots("x===not-a-version"), client, TARGET)
