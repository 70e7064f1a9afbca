"""Candidate choice on the PyTorch CPU index's real torch page (2026-03-15, as served).

Pure: the page is parsed from the fixture and fed through the same candidate grouping,
CPU filter and ordering the resolver uses, for several targets.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from depslim.index.pages import parse_html_page
from depslim.resolve.candidates import group_candidates
from depslim.resolve.policy import cpu_candidate_filter, cpu_candidate_key
from depslim.resolve.requirements import Req
from depslim.target import Target
from depslim.variants import TorchPolicy

PAGE = Path(__file__).resolve().parents[2] / "fixtures/pytorch-cpu/pages-2026-03-15/torch.html"
INDEX = "https://download.pytorch.org/whl/cpu/"
TORCH = canonicalize_name("torch")


@pytest.fixture(scope="module")
def links():
    page = parse_html_page(PAGE.read_bytes(), url=INDEX + "torch/", index=INDEX, project=TORCH)
    return page.links


def best(links, platform: str, python: str = "3.11", pin: str = ""):
    target = Target.parse(platform, python=python)
    policy = TorchPolicy(index_url=INDEX)
    found = group_candidates(TORCH, links, target)
    reqs = [
        Req(name=TORCH, specifier=__import__("packaging.specifiers").specifiers.SpecifierSet(pin))
    ]
    found = [c for c in found if reqs[0].specifier.contains(c.version, prereleases=True)]
    found = cpu_candidate_filter(policy)(TORCH, found, reqs)
    found.sort(key=cpu_candidate_key(policy))
    return found[0]


def test_linux_amd64_gets_the_newest_cpu_build(links) -> None:
    chosen = best(links, "linux/amd64")
    assert chosen.version.local == "cpu"
    assert chosen.links[0].filename.endswith("-cp311-cp311-manylinux_2_28_x86_64.whl")
    assert chosen.links[0].sha256 and len(chosen.links[0].sha256) == 64
    assert all("x86_64" in lk.filename for lk in chosen.links)


def test_plain_pin_matches_the_cpu_build(links) -> None:
    chosen = best(links, "linux/amd64", pin="==2.5.1")
    assert chosen.version == Version("2.5.1+cpu")


def test_old_linux_builds_use_the_linux_x86_64_tag(links) -> None:
    chosen = best(links, "linux/amd64", pin="==2.4.1")
    assert chosen.version == Version("2.4.1+cpu")
    assert any("linux_x86_64" in lk.filename for lk in chosen.links)


def test_arm64_before_2_6_has_no_label_and_after_has_cpu(links) -> None:
    assert best(links, "linux/arm64", pin="==2.5.1").version == Version("2.5.1")
    assert best(links, "linux/arm64", pin="==2.6.0").version.local == "cpu"


def test_python_312_wheels_for_python_312(links) -> None:
    chosen = best(links, "linux/amd64", python="3.12")
    assert all("cp312" in lk.filename for lk in chosen.links)
