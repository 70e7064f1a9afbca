"""Overrides (uv's meaning) and constraints given beside the inputs, resolved for real.

Every resolution here runs against a real index on 127.0.0.1 filled with wheels built
by the test; the resolver gets the real index client.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement

import depslim
from depslim.errors import InputError, NoSolutionError
from depslim.index.client import IndexClient
from depslim.models import InputRequirement, Location
from depslim.resolve.overrides import (
    Overrides,
    extra_condition,
    fingerprint_lines,
    override_lines,
    overrides_from_strings,
    read_overrides,
)
from depslim.resolve.resolver import Resolution, resolve
from support.index_server import IndexServer

LINUX = depslim.Target.parse("linux/amd64", python="3.11")
HERE = Location(path="requirements.in", line=1)


def roots(*lines: str) -> list[InputRequirement]:
    return [
        InputRequirement(requirement=Requirement(text), origin=Location(path="in", line=i + 1))
        for i, text in enumerate(lines)
    ]


def pinned(result: Resolution) -> dict[str, str]:
    return {name: str(c.version) for name, c in result.candidates.items()}


@pytest.fixture
def lock(
    index_client: Callable[..., IndexClient],
) -> Callable[..., Resolution]:
    def run(
        index: IndexServer, lines: Sequence[str], overrides: Overrides | None = None
    ) -> Resolution:
        client = index_client(index.url)
        return resolve(roots(*lines), client, LINUX, overrides=overrides)

    return run


# A world where "app" caps "numpy<2" and "plot" wants "numpy>=1.20,<1.26": only an
# override gets numpy 2 (uv's documented use: a dependency's bound known to be wrong).
WORLD = [
    ("app", "1.0", ["numpy<2", "plot"]),
    ("plot", "1.0", ["numpy>=1.20,<1.26", "pillow ; python_version < '3.0'"]),
    ("numpy", "1.24.0", []),
    ("numpy", "1.26.4", []),
    ("numpy", "2.1.0", []),
    ("pillow", "10.0", []),
    ("pillow", "11.0", []),
]


def test_without_overrides_the_dependencies_bounds_hold(make_index, lock) -> None:
    index = make_index(WORLD)
    assert pinned(lock(index, ["app"])) == {"app": "1.0", "plot": "1.0", "numpy": "1.24.0"}


def test_override_replaces_every_requirement_on_the_name(make_index, lock) -> None:
    index = make_index(WORLD)
    over = overrides_from_strings(overrides=["numpy>=2"], origin=HERE)
    result = lock(index, ["app"], over)
    assert pinned(result) == {"app": "1.0", "plot": "1.0", "numpy": "2.1.0"}
    # numpy is still required by both dependents (the edge stays, the range is replaced),
    # and the lock says the override decided it, as uv writes it
    assert set(result.via["numpy"]) == {"app", "plot", "--override requirements.in"}
    assert result.via["plot"] == ("app",)


def test_override_also_replaces_a_top_level_requirement(make_index, lock) -> None:
    index = make_index(WORLD)
    over = overrides_from_strings(overrides=["numpy==1.26.4"], origin=HERE)
    assert pinned(lock(index, ["numpy<1.25"], over)) == {"numpy": "1.26.4"}


def test_override_drops_the_replaced_markers_and_brings_its_own(make_index, lock) -> None:
    """plot asks pillow only on Python 2; the override (no marker) adds it anyway, as uv."""
    index = make_index(WORLD)
    over = overrides_from_strings(overrides=["pillow<11"], origin=HERE)
    assert pinned(lock(index, ["plot"], over))["pillow"] == "10.0"
    # an override whose own marker is false on the target removes the dependency
    over = overrides_from_strings(overrides=["numpy ; sys_platform == 'win32'"], origin=HERE)
    assert "numpy" not in pinned(lock(index, ["plot"], over))


def test_several_overrides_told_apart_by_markers(make_index, lock) -> None:
    index = make_index(WORLD)
    over = overrides_from_strings(
        overrides=[
            "numpy==1.26.4 ; python_version < '3.12'",
            "numpy==2.1.0 ; python_version >= '3.12'",
        ],
        origin=HERE,
    )
    assert pinned(lock(index, ["app"], over))["numpy"] == "1.26.4"


def test_override_keeps_the_condition_on_an_extra(make_index, lock) -> None:
    index = make_index(
        [
            ("lib", "1.0", [], {"extras": {"fast": ["speedup>=2"]}}),
            ("speedup", "1.0", []),
            ("speedup", "2.0", []),
        ]
    )
    over = overrides_from_strings(overrides=["speedup==1.0"], origin=HERE)
    assert pinned(lock(index, ["lib"], over)) == {"lib": "1.0"}
    assert pinned(lock(index, ["lib[fast]"], over)) == {"lib": "1.0", "speedup": "1.0"}


def test_override_can_add_extras(make_index, lock) -> None:
    index = make_index(
        [
            ("web", "1.0", ["http-lib>=1"]),
            ("http-lib", "1.0", [], {"extras": {"socks": ["socks-lib"]}}),
            ("socks-lib", "1.0", []),
        ]
    )
    over = overrides_from_strings(overrides=["http-lib[socks]==1.0"], origin=HERE)
    assert pinned(lock(index, ["web"], over)) == {
        "web": "1.0",
        "http-lib": "1.0",
        "socks-lib": "1.0",
    }


def test_constraint_narrows_but_never_adds(make_index, lock) -> None:
    index = make_index(WORLD)
    over = overrides_from_strings(constraints=["numpy<1.25", "pillow==10.0"], origin=HERE)
    result = lock(index, ["numpy"], over)
    assert pinned(result) == {"numpy": "1.24.0"}


def test_conflicting_constraint_is_no_solution(make_index, lock) -> None:
    index = make_index(WORLD)
    over = overrides_from_strings(constraints=["numpy>=2"], origin=HERE)
    with pytest.raises(NoSolutionError):
        lock(index, ["app"], over)


def test_override_with_a_direct_reference(make_index, lock, tmp_path: Path) -> None:
    from support.fixtures import build_files

    index = make_index(WORLD)
    (wheel,) = build_files(tmp_path, [("numpy", "3.0.0.dev0", [])])
    over = overrides_from_strings(overrides=[f"numpy @ {wheel.as_uri()}"], origin=HERE)
    result = lock(index, ["app"], over)
    assert pinned(result)["numpy"] == "3.0.0.dev0"
    assert result.candidates["numpy"].url == wheel.as_uri()


def test_override_applies_after_a_gpu_rename(make_index, index_client) -> None:
    """The hook renames a requirement (as the GPU→CPU swaps do); the new name's override wins."""
    index = make_index(
        [("app", "1.0", ["onnx-gpu"]), ("onnx-cpu", "1.0", []), ("onnx-cpu", "2.0", [])]
    )

    def hook(req: Requirement) -> Requirement:
        if req.name == "onnx-gpu":
            return Requirement(str(req).replace("onnx-gpu", "onnx-cpu", 1))
        return req

    over = overrides_from_strings(overrides=["onnx-cpu==1.0"], origin=HERE)
    result = resolve(
        roots("app"), index_client(index.url), LINUX, overrides=over, requirement_hook=hook
    )
    assert pinned(result) == {"app": "1.0", "onnx-cpu": "1.0"}


# ---------------------------------------------------------------- files and values


def test_read_override_and_constraint_files(tmp_path: Path) -> None:
    over = tmp_path / "overrides.txt"
    over.write_text("# pins known to work\nnumpy==1.26.4\npillow<11 ; python_version >= '3.9'\n")
    cons = tmp_path / "constraints.txt"
    cons.write_text("urllib3<2\n")
    value = read_overrides([over], [cons])
    assert [str(i.requirement) for i in value.overrides] == [
        "numpy==1.26.4",
        'pillow<11; python_version >= "3.9"',
    ]
    assert str(value.overrides[0].origin) == f"{over}:2"
    assert [(str(i.requirement), i.constraint) for i in value.constraints] == [("urllib3<2", True)]
    assert value.names == {"numpy", "pillow"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("--index-url https://example.org/simple\nnumpy\n", "--index-url in a file given to"),
        ("-e ./here\n", "not a local project folder or an editable"),
        ("-c other.txt\n", "a -c line inside an overrides file"),
    ],
)
def test_override_file_refuses_what_has_no_meaning_there(
    tmp_path: Path, text: str, expected: str
) -> None:
    (tmp_path / "here").mkdir()
    (tmp_path / "here" / "pyproject.toml").write_text('[project]\nname = "here"\n')
    (tmp_path / "other.txt").write_text("numpy<2\n")
    path = tmp_path / "overrides.txt"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        read_overrides([path])
    assert expected in str(info.value)
    assert str(path.name) in str(info.value)


def test_missing_file_names_the_flag(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no such file \(given to --constraint\)"):
        read_overrides(constraint_files=[tmp_path / "nope.txt"])


def test_bad_string_names_where_it_came_from() -> None:
    origin = Location(path="pyproject.toml [tool.uv] override-dependencies")
    with pytest.raises(InputError) as info:
        overrides_from_strings(overrides=["numpy >= = 1"], origin=origin)
    assert "pyproject.toml [tool.uv] override-dependencies" in str(info.value)
    assert "'numpy >= = 1'" in str(info.value)


def test_header_and_fingerprint_lines() -> None:
    a = overrides_from_strings(
        overrides=["numpy==1.26.4"], constraints=["urllib3<2"], origin=Location(path="o.txt")
    )
    assert override_lines(a) == [
        "override: numpy==1.26.4 (from o.txt)",
        "constraint: urllib3<2 (from o.txt)",
    ]
    assert fingerprint_lines(a) == ["c urllib3<2", "o numpy==1.26.4"]
    # where an item was declared does not change the fingerprint; what it says does
    moved = overrides_from_strings(
        constraints=["urllib3<2"], overrides=["numpy==1.26.4"], origin=Location(path="p.toml")
    )
    assert fingerprint_lines(moved) == fingerprint_lines(a)
    changed = overrides_from_strings(overrides=["numpy==2.0"], origin=Location(path="o.txt"))
    assert fingerprint_lines(changed) != fingerprint_lines(a)
    assert override_lines(Overrides()) == [] and not Overrides()
    shown = override_lines(a, label=lambda where: f"config/{where.path}")
    assert shown[0] == "override: numpy==1.26.4 (from config/o.txt)"


def test_merged_keeps_order() -> None:
    a = overrides_from_strings(overrides=["a==1"], origin=HERE)
    b = overrides_from_strings(overrides=["b==1"], constraints=["c<2"], origin=HERE)
    merged = a.merged(b)
    assert [i.name for i in merged.overrides] == ["a", "b"]
    assert [i.name for i in merged.constraints] == ["c"]


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        (None, None),
        ("python_version < '3.9'", None),
        ("extra == 'Fast'", {"fast"}),
        ("python_version < '3.9' and extra == 'fast'", {"fast"}),
        ("'fast' == extra", {"fast"}),
        ("extra == 'a' or extra == 'b'", set()),
        ("(extra == 'a' or extra == 'b') and os_name == 'nt'", set()),
    ],
)
def test_extra_condition(marker: str | None, expected: set[str] | None) -> None:
    found = extra_condition(Marker(marker) if marker else None)
    assert (None if found is None else set(found)) == expected
