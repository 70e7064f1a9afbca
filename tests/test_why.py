"""``depslim why``: every chain from the inputs to a package, with requirements and sizes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

import depslim
from depslim.cli import main
from depslim.models import Lock, Pin
from depslim.why import find_chains

LINUX = depslim.Target.parse("linux/amd64", python="3.11")

GRAPH = [
    ("web", "1.0", ["http-lib>=2", "json-lib"]),
    ("cli", "1.0", ["http-lib"]),
    ("http-lib", "2.1", ["json-lib<5"]),
    ("json-lib", "4.0", []),
]


def pin(name: str, *via: str) -> Pin:
    return Pin(name=canonicalize_name(name), version=Version("1.0"), index="", via=via)


def test_chains_are_every_path_to_an_input_shortest_first() -> None:
    lock = Lock(
        target=LINUX,
        pins=(
            pin("web", "-r requirements.in"),
            pin("cli", "-r requirements.in"),
            pin("http-lib", "web", "cli"),
            pin("json-lib", "http-lib", "web", "json-lib"),  # a self-loop is ignored
        ),
    )
    chains, cut = find_chains(lock, "JSON_lib")
    assert not cut
    assert [(root, [str(n) for n in path]) for root, path in chains] == [
        ("-r requirements.in", ["web", "json-lib"]),
        ("-r requirements.in", ["cli", "http-lib", "json-lib"]),
        ("-r requirements.in", ["web", "http-lib", "json-lib"]),
    ]


def test_a_cycle_ends_and_the_limit_is_reported() -> None:
    lock = Lock(
        target=LINUX,
        pins=(pin("a", "b", "-r in"), pin("b", "a"), pin("c", "a", "b")),
    )
    chains, cut = find_chains(lock, "c", limit=1)
    assert cut and len(chains) == 1
    assert find_chains(lock, "c")[0] == [
        ("-r in", ["a", "c"]),
        ("-r in", ["a", "b", "c"]),
    ]


@pytest.fixture
def locked(tmp_path: Path, make_index):
    index = make_index(GRAPH)
    source = tmp_path / "requirements.in"
    source.write_text("web\ncli\n")
    out = tmp_path / "requirements.txt"
    depslim.lock([source], output=out, index_url=index.url, target=LINUX, config=False,
                 cache_dir=tmp_path / "cache").write(out)  # fmt: skip
    return out, index


def test_why_names_each_links_requirement_and_size(locked, tmp_path) -> None:
    out, _ = locked
    result = depslim.why("json-lib", out, cache_dir=tmp_path / "cache", config=False)
    assert all(
        c.root.startswith("-r ") and c.root.endswith("requirements.in") for c in result.chains
    )
    shown = {tuple(s.name for s in c.steps) for c in result.chains}
    assert shown == {
        ("web", "json-lib"),
        ("cli", "http-lib", "json-lib"),
        ("web", "http-lib", "json-lib"),
    }
    chain = next(
        c for c in result.chains if [s.name for s in c.steps] == ["cli", "http-lib", "json-lib"]
    )
    assert [s.requirement for s in chain.steps] == [None, "http-lib", "json-lib<5"]
    assert all(s.installed_size and s.installed_size > 0 for s in chain.steps)
    assert "json-lib==4.0  (requires json-lib<5)" in result.text()


def test_cli_why_json_and_errors(locked, tmp_path, capsys) -> None:
    out, _ = locked
    cache = ["--cache-dir", str(tmp_path / "cache"), "--no-config"]
    assert main(["why", "http-lib", str(out), "--json", *cache]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "http-lib" and len(data["chains"]) == 2
    assert main(["why", "absent", str(out), *cache]) == 2
    assert "absent is not pinned" in capsys.readouterr().err


def test_why_offline_without_sizes_needs_no_index(locked, tmp_path, capsys) -> None:
    out, index = locked
    before = len(index.log)
    assert main(["why", "json-lib", str(out), "--no-sizes", "--no-config", "--no-cache"]) == 0
    assert len(index.log) == before
    assert "web" in capsys.readouterr().out
