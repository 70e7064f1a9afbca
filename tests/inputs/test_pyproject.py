"""pyproject.toml: dependencies, extras, PEP 735 groups, and the [tool.depslim] table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from depslim.errors import InputError
from depslim.inputs import parse_pyproject, project_name, read_tool_table
from depslim.models import Inputs

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "My_App"
version = "1.0"
dependencies = [
    "httpx>=0.27",
    'tomli>=1.1; python_version < "3.11"',
]

[project.optional-dependencies]
Fast_JSON = ["orjson>=3"]
ml = [
    "numpy>=1.26",
    "torch>=2.2",
]
all = ["my-app[fast-json,ml]"]
linux = ['my_app[ml]; sys_platform == "linux"']

[dependency-groups]
Test = ["pytest>=8", "hypothesis"]
lint = ["ruff"]
dev = [
    {include-group = "test"},
    {include-group = "LINT"},
    "ipython",
]

[tool.depslim]
python-version = "3.11"
entries = { api = "app.main" }
"""


def load(tmp_path: Path, text: str = PYPROJECT, **kw: Any) -> Inputs:
    path = tmp_path / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return parse_pyproject(path.read_text(encoding="utf-8"), path=path, **kw)


def error(tmp_path: Path, text: str = PYPROJECT, **kw: Any) -> str:
    with pytest.raises(InputError) as caught:
        load(tmp_path, text, **kw)
    return str(caught.value)


def listed(inputs: Inputs) -> list[tuple[str, int | None]]:
    return [(str(r.requirement), r.origin.line) for r in inputs.requirements]


def test_project_dependencies_with_their_lines(tmp_path: Path) -> None:
    inputs = load(tmp_path)
    assert listed(inputs) == [("httpx>=0.27", 9), ('tomli>=1.1; python_version < "3.11"', 10)]
    assert {r.origin.path for r in inputs.requirements} == {str(tmp_path / "pyproject.toml")}
    assert inputs.files == (tmp_path / "pyproject.toml",)
    assert not any(r.constraint or r.editable for r in inputs.requirements)


def test_extras_are_selected_by_normalized_name(tmp_path: Path) -> None:
    inputs = load(tmp_path, extras=["fast.json", "ML"])
    assert listed(inputs)[2:] == [("orjson>=3", 14), ("numpy>=1.26", 16), ("torch>=2.2", 17)]


def test_all_extras_expands_self_references(tmp_path: Path) -> None:
    inputs = load(tmp_path, all_extras=True)
    got = [str(r.requirement) for r in inputs.requirements][2:]
    assert got == [
        # Fast_JSON, ml
        "orjson>=3",
        "numpy>=1.26",
        "torch>=2.2",
        # all = my-app[fast-json,ml]
        "orjson>=3",
        "numpy>=1.26",
        "torch>=2.2",
        # linux = my_app[ml] on linux only
        'numpy>=1.26; sys_platform == "linux"',
        'torch>=2.2; sys_platform == "linux"',
    ]
    assert all(r.name != "my-app" for r in inputs.requirements)
    assert [r.origin.line for r in inputs.requirements][-2:] == [16, 17]


def test_self_reference_combines_markers(tmp_path: Path) -> None:
    text = """\
[project]
name = "app"
[project.optional-dependencies]
gpu = ['cupy; python_version >= "3.10"']
cuda = ['app[gpu]; sys_platform == "linux"']
loop-a = ["app[loop-b]", "a"]
loop-b = ["app[loop-a]", "b"]
"""
    inputs = load(tmp_path, text, extras=["cuda", "loop-a"])
    assert [str(r.requirement) for r in inputs.requirements] == [
        'cupy; python_version >= "3.10" and sys_platform == "linux"',
        "b",
        "a",
    ]


def test_self_reference_to_unknown_extra(tmp_path: Path) -> None:
    text = '[project]\nname = "app"\n[project.optional-dependencies]\nx = ["app[nope]"]\n'
    message = error(tmp_path, text, extras=["x"])
    assert f"{tmp_path / 'pyproject.toml'}:4:" in message
    assert "'nope'" in message and "available: x" in message


def test_unknown_extra_lists_the_available_ones(tmp_path: Path) -> None:
    message = error(tmp_path, extras=["gpu"])
    assert f"{tmp_path / 'pyproject.toml'}:13: unknown extra 'gpu'" in message
    assert "available: Fast_JSON, all, linux, ml" in message


def test_groups_with_include_group_and_normalized_names(tmp_path: Path) -> None:
    inputs = load(tmp_path, groups=["DEV"])
    assert listed(inputs)[2:] == [
        ("pytest>=8", 23),
        ("hypothesis", 23),
        ("ruff", 24),
        ("ipython", 28),
    ]


def test_groups_and_extras_together_in_order(tmp_path: Path) -> None:
    inputs = load(tmp_path, extras=["fast-json"], groups=["lint", "test"])
    assert [r.name for r in inputs.requirements] == [
        "httpx",
        "tomli",
        "orjson",
        "ruff",
        "pytest",
        "hypothesis",
    ]


def test_unknown_group_lists_the_available_ones(tmp_path: Path) -> None:
    message = error(tmp_path, groups=["docs"])
    assert f"{tmp_path / 'pyproject.toml'}:22: unknown dependency group 'docs'" in message
    assert "available: Test, dev, lint" in message


def test_group_cycle_is_reported(tmp_path: Path) -> None:
    text = """\
[dependency-groups]
a = ["x", {include-group = "b"}]
b = [{include-group = "C"}]
c = [{include-group = "a"}]
"""
    message = error(tmp_path, text, groups=["a"])
    assert f"{tmp_path / 'pyproject.toml'}:2:" in message
    assert "cycle: a -> b -> c -> a" in message


def test_include_of_unknown_group(tmp_path: Path) -> None:
    text = '[dependency-groups]\ndev = [\n  "x",\n  {include-group = "tests"},\n]\n'
    message = error(tmp_path, text, groups=["dev"])
    assert f"{tmp_path / 'pyproject.toml'}:4:" in message
    assert "unknown group 'tests'; available: dev" in message


@pytest.mark.parametrize(
    "entry", ['{include-group = "a", extra = 1}', "42", "{include-group = 3}", "{}"]
)
def test_malformed_group_entry(tmp_path: Path, entry: str) -> None:
    text = f'[dependency-groups]\na = ["x"]\nb = [{entry}]\n'
    message = error(tmp_path, text, groups=["b"])
    assert f"{tmp_path / 'pyproject.toml'}:3: dependency group 'b' holds" in message


def test_group_that_is_not_an_array(tmp_path: Path) -> None:
    message = error(tmp_path, '[dependency-groups]\n\ndev = "pytest"\n')
    assert f"{tmp_path / 'pyproject.toml'}:3: dependency group 'dev' must be an array" in message


def test_duplicate_normalized_names(tmp_path: Path) -> None:
    text = '[dependency-groups]\nDev = ["a"]\ndev = ["b"]\n'
    message = error(tmp_path, text)
    assert "pyproject.toml:" in message and "same name once normalized (dev)" in message
    text = '[project]\nname = "x"\n[project.optional-dependencies]\nA_B = []\na-b = []\n'
    assert "same name once normalized (a-b)" in error(tmp_path, text)


def test_dynamic_dependencies_are_refused(tmp_path: Path) -> None:
    text = '[project]\nname = "x"\nversion = "1"\ndynamic = ["dependencies"]\n'
    message = error(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'pyproject.toml'}:4: [project] dependencies")
    assert "is listed in dynamic" in message
    assert "can't read it without building the project" in message
    assert f"in {tmp_path / 'pyproject.toml'}" in message


def test_dynamic_optional_dependencies_only_matter_when_extras_are_asked_for(
    tmp_path: Path,
) -> None:
    text = '[project]\nname = "x"\ndependencies = ["a"]\ndynamic = ["optional-dependencies"]\n'
    assert [r.name for r in load(tmp_path, text).requirements] == ["a"]
    message = error(tmp_path, text, all_extras=True)
    assert "pyproject.toml:4: [project] optional-dependencies is listed in dynamic" in message


def test_invalid_requirement_names_its_line(tmp_path: Path) -> None:
    text = '[project]\nname = "x"\ndependencies = [\n  "good",\n  "bad >=> 1",\n]\n'
    message = error(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'pyproject.toml'}:5: invalid requirement 'bad >=> 1'")
    assert "Expected" in message


def test_requirement_with_escapes_is_still_located(tmp_path: Path) -> None:
    text = '[project]\nname = "x"\ndependencies = [\n  "a; python_version < \\"3.9\\"",\n]\n'
    (item,) = load(tmp_path, text).requirements
    assert item.origin.line == 4
    assert str(item.requirement.marker) == 'python_version < "3.9"'


def test_dotted_keys_and_inline_tables(tmp_path: Path) -> None:
    text = """\
project.name = "x"
project.dependencies = ["a"]

[project.optional-dependencies]
extra = [
  "b",
]
"""
    inputs = load(tmp_path, text, extras=["extra"])
    assert listed(inputs) == [("a", 2), ("b", 6)]


def test_wrong_shapes(tmp_path: Path) -> None:
    assert "pyproject.toml:2: [project] must be a table" in error(tmp_path, '\nproject = "x"\n')
    assert "project.dependencies must be an array" in error(
        tmp_path, '[project]\nname = "x"\ndependencies = "a"\n'
    )
    message = error(tmp_path, '[project]\nname = "x"\ndependencies = ["a", 3]\n')
    assert "pyproject.toml:3: project dependencies: 3 is not a requirement string" in message
    assert "dynamic must be an array" in error(tmp_path, '[project]\ndynamic = "x"\n')
    assert "[project.optional-dependencies] must be a table" in error(
        tmp_path, '[project]\noptional-dependencies = ["a"]\n'
    )
    assert "[dependency-groups] must be a table" in error(tmp_path, "dependency-groups = 1\n")


def test_no_project_table_but_groups(tmp_path: Path) -> None:
    inputs = load(tmp_path, '[dependency-groups]\nci = ["tox"]\n', groups=["ci"])
    assert listed(inputs) == [("tox", 2)]
    assert load(tmp_path, "").requirements == ()


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    message = error(tmp_path, '[project]\nname = "x"\ndependencies = [\n  "a"\n  "b",\n]\n')
    assert message.startswith(f"{tmp_path / 'pyproject.toml'}:5: invalid TOML")
    message = error(tmp_path, "[project]\nname = ")
    assert f"{tmp_path / 'pyproject.toml'}:2: invalid TOML" in message


def test_project_name() -> None:
    assert project_name(PYPROJECT) == "My_App"
    assert project_name("[project]\nversion = '1'\n") is None
    assert project_name("[tool.x]\n") is None
    assert project_name('project = "nope"\n') is None
    with pytest.raises(InputError, match=r"^some/pyproject\.toml:1: invalid TOML"):
        project_name("[project", path=Path("some/pyproject.toml"))


def test_read_tool_table(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    assert read_tool_table(PYPROJECT, path) == {
        "python-version": "3.11",
        "entries": {"api": "app.main"},
    }
    assert read_tool_table("[tool.other]\nx = 1\n", path) == {}
    assert read_tool_table("", path) == {}
    with pytest.raises(InputError, match=r"pyproject\.toml:3: tool\.depslim must be a table"):
        read_tool_table('[tool]\nx = 1\ndepslim = "fast"\n', path)
    with pytest.raises(InputError, match=r"pyproject\.toml:1: 'tool' must be a table"):
        read_tool_table("tool = 3\n", path)
    with pytest.raises(InputError, match=r"pyproject\.toml:2: invalid TOML"):
        read_tool_table("[tool.depslim]\nx = = 1\n", path)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    inputs = load(tmp_path, "\ufeff" + PYPROJECT)
    assert [r.name for r in inputs.requirements] == ["httpx", "tomli"]


requirement_strings = st.from_regex(
    r"[A-Za-z][A-Za-z0-9]{0,5}(\[[a-z]{1,3}\])?(>=[0-9]{1,2}(\.[0-9])?)?"
    r"(; python_version [<>]= '3\.[0-9]{1,2}')?",
    fullmatch=True,
)


@example(deps=["A", "A"], groups={"a": ["A", "A"]}, noise=[])
@settings(max_examples=150, deadline=None)
@given(
    deps=st.lists(requirement_strings, max_size=6),
    groups=st.dictionaries(
        st.from_regex(r"[a-z]{1,4}", fullmatch=True), st.lists(requirement_strings, max_size=4)
    ),
    noise=st.lists(st.text(max_size=10), max_size=3),
)
def test_every_requirement_is_found_on_its_line(
    deps: list[str], groups: dict[str, list[str]], noise: list[str]
) -> None:
    lines = ["[project]", 'name = "zz-self"', *[f"# {json.dumps(n)}" for n in noise]]
    lines.append("dependencies = [")
    expected: list[tuple[str, str, int]] = []
    for dep in deps:
        lines.append(f"  {json.dumps(dep)},")
        expected.append(("", dep, len(lines)))
    lines.extend(["]", "[dependency-groups]"])
    for name, items in groups.items():
        lines.append(f"{name} = [")
        for item in items:
            lines.append(f"  {json.dumps(item)},")
            expected.append((name, item, len(lines)))
        lines.append("]")
    text = "\n".join(lines) + "\n"
    inputs = parse_pyproject(text, path=Path("p/pyproject.toml"), groups=list(groups))
    got = [(r.origin.line, r.requirement.name) for r in inputs.requirements]
    # copies of one string: the line of its first copy in the file or in the same array
    first_line: dict[str, int] = {}
    first_in_array: dict[tuple[str, str], int] = {}
    for block, text_, number in expected:
        first_line.setdefault(text_, number)
        first_in_array.setdefault((block, text_), number)
    assert len(got) == len(expected)
    for (line, name), (block, text_, expected_line) in zip(got, expected, strict=True):
        assert text_.startswith(name)
        assert line in {expected_line, first_line[text_], first_in_array[(block, text_)]}


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300), extras=st.lists(st.text(max_size=5), max_size=2))
def test_arbitrary_text_raises_only_input_error(text: str, extras: list[str]) -> None:
    try:
        parse_pyproject(text, path=Path("pyproject.toml"), extras=extras, groups=extras)
        project_name(text)
        read_tool_table(text, Path("pyproject.toml"))
    except InputError as exc:
        assert str(exc).startswith("pyproject.toml")


def test_setuptools_dynamic_dependencies_from_files(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("fastapi>=0.100\n# a comment\nuvicorn\n")
    (tmp_path / "requirements-ml.txt").write_text("torch\n")
    text = (
        '[project]\nname = "app"\nversion = "1"\n'
        'dynamic = ["dependencies", "optional-dependencies"]\n'
        "[tool.setuptools.dynamic]\n"
        'dependencies = { file = ["requirements.txt"] }\n'
        'optional-dependencies.ml = { file = ["requirements-ml.txt"] }\n'
    )
    path = tmp_path / "pyproject.toml"
    main = parse_pyproject(text, path=path)
    assert [str(r.requirement) for r in main.requirements] == ["fastapi>=0.100", "uvicorn"]
    assert main.requirements[0].origin.path.endswith("requirements.txt")
    ml = parse_pyproject(text, path=path, extras=["ml"])
    assert "torch" in [str(r.requirement) for r in ml.requirements]


def test_dynamic_dependencies_without_files_still_fail(tmp_path: Path) -> None:
    text = '[project]\nname = "app"\nversion = "1"\ndynamic = ["dependencies"]\n'
    with pytest.raises(InputError, match="dynamic"):
        parse_pyproject(text, path=tmp_path / "pyproject.toml")
