"""Poetry, PDM, uv and Rye tables read into PEP 508 requirements, or refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from depslim.errors import InputError
from depslim.inputs.managers import (
    ManagerTables,
    poetry_specifier,
    read_manager_tables,
    select,
)
from depslim.target import Target

PATH = Path("/srv/app/pyproject.toml")

POETRY = """\
[tool.poetry]
name = "svc"
version = "0.1.0"

[tool.poetry.dependencies]
python = "^3.11"
requests = "^2.31"
numpy = { version = "~1.26", python = ">=3.9,<3.13", markers = "platform_machine == 'x86_64'" }
uvicorn = { version = "*", extras = ["standard"] }
pandas = { version = "2.2.*", optional = true }
mylib = { git = "git@github.com:org/mylib.git", rev = "abc123", subdirectory = "py" }
local = { path = "../local", develop = true }
wheelish = { url = "https://example.org/wheelish-1.0-py3-none-any.whl", platform = "linux" }
multi = [
  { version = "<=1.9", python = ">=3.6,<3.8" },
  { version = "^2.0", python = ">=3.8" },
]

[tool.poetry.extras]
data = ["pandas"]

[tool.poetry.group.dev.dependencies]
pytest = "^8.0"

[tool.poetry.group.test]
include-groups = ["dev"]

[tool.poetry.group.test.dependencies]
hypothesis = ">=6"
"""


def _strings(items: tuple[object, ...]) -> list[str]:
    return [str(i.requirement) for i in items]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ("^1.2.3", ">=1.2.3,<2.0.0"),
        ("^1.2", ">=1.2,<2.0"),
        ("^1", ">=1,<2"),
        ("^0.2.3", ">=0.2.3,<0.3.0"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("^0.0", ">=0.0,<0.1"),
        ("^0", ">=0,<1"),
        ("^2.0.0b1", ">=2.0.0b1,<3.0.0"),
        ("~1.2.3", ">=1.2.3,<1.3.0"),
        ("~1.2", ">=1.2,<1.3"),
        ("~1", ">=1,<2"),
        ("~=1.2", "~=1.2"),
        ("*", ""),
        ("1.*", "==1.*"),
        ("1.2.*", "==1.2.*"),
        ("!=1.5.*", "!=1.5.*"),
        ("1.2.3", "==1.2.3"),
        ("=1.2.3", "==1.2.3"),
        ("==1.2.3", "==1.2.3"),
        (">= 1.2, < 1.5", ">=1.2,<1.5"),
        (">=1.2 <1.5", ">=1.2,<1.5"),
        ("^1.2,!=1.4.0", ">=1.2,<2.0,!=1.4.0"),
    ],
)
def test_poetry_constraints_become_pep440(constraint: str, expected: str) -> None:
    assert poetry_specifier(constraint) == expected
    SpecifierSet(expected)  # valid PEP 440


def test_caret_means_what_poetry_means() -> None:
    caret = SpecifierSet(poetry_specifier("^0.2.3"))
    assert "0.2.9" in caret
    assert "0.3.0" not in caret
    assert "0.2.2" not in caret


@pytest.mark.parametrize(
    ("constraint", "message"),
    [
        ("^1.2 || ^2.0", r"either of several ranges \('\|\|'\)"),
        ("banana split", "is not a version"),
        (">=1.*", "wildcard goes with == or !="),
        ("1.2,,", "empty clause"),
    ],
)
def test_constraints_pep440_cannot_say_are_refused(constraint: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        poetry_specifier(constraint)


def test_poetry_dependencies_groups_and_extras() -> None:
    tables = read_manager_tables(POETRY, path=PATH)

    assert tables.requires_python == SpecifierSet(">=3.11,<4.0")
    assert _strings(tables.dependencies) == [
        "requests<3.0,>=2.31",
        (
            'numpy<1.27,>=1.26; python_full_version >= "3.9" and python_full_version < "3.13" '
            'and platform_machine == "x86_64"'
        ),
        "uvicorn[standard]",
        "mylib @ git+ssh://git@github.com/org/mylib.git@abc123#subdirectory=py",
        "local @ file:///srv/local",
        'wheelish @ https://example.org/wheelish-1.0-py3-none-any.whl ; sys_platform == "linux"',
        'multi<=1.9; python_full_version >= "3.6" and python_full_version < "3.8"',
        'multi<3.0,>=2.0; python_full_version >= "3.8"',
    ]
    assert _strings(tables.extras["data"]) == ["pandas==2.2.*"]  # optional: not in main
    assert _strings(tables.groups["dev"]) == ["pytest<9.0,>=8.0"]
    assert _strings(tables.groups["test"]) == ["pytest<9.0,>=8.0", "hypothesis>=6"]
    assert tables.tables == (
        "[tool.poetry.dependencies]",
        "[tool.poetry.extras]",
        "[tool.poetry.group.dev.dependencies]",
        "[tool.poetry.group.test.dependencies]",
    )


def test_each_requirement_points_at_its_line_and_local_paths_are_editable() -> None:
    tables = read_manager_tables(POETRY, path=PATH)
    by_name = {i.name: i for i in tables.dependencies}
    assert str(by_name["requests"].origin) == "/srv/app/pyproject.toml:7"
    assert str(by_name["wheelish"].origin) == "/srv/app/pyproject.toml:13"
    local = by_name["local"]
    assert (local.path, local.editable) == ("/srv/local", True)
    assert by_name["mylib"].path is None


def test_markers_select_the_right_entry_for_the_target() -> None:
    tables = read_manager_tables(POETRY, path=PATH)
    env = Target.parse("linux/amd64", python="3.11").marker_environment()
    multi = [i.requirement for i in tables.dependencies if i.name == "multi"]
    applying = [r for r in multi if r.marker is None or r.marker.evaluate(env)]
    assert [str(r.specifier) for r in applying] == ["<3.0,>=2.0"]


def test_select_takes_main_and_the_named_extras_and_groups() -> None:
    tables = read_manager_tables(POETRY, path=PATH)
    names = [i.name for i in select(tables, extras=["Data"], groups=["test", "unknown"])]
    assert names[: len(tables.dependencies)] == [i.name for i in tables.dependencies]
    assert names[len(tables.dependencies) :] == ["pandas", "pytest", "hypothesis"]
    assert "pandas" in [i.name for i in select(tables, all_extras=True)]
    assert "pandas" not in [i.name for i in select(tables)]


def test_project_dependencies_win_over_poetrys_table() -> None:
    text = """\
[project]
name = "svc"
dependencies = ["requests>=2"]

[tool.poetry.dependencies]
requests = { version = "^2.31", source = "internal" }

[tool.poetry.group.dev.dependencies]
pytest = "*"
"""
    tables = read_manager_tables(text, path=PATH)
    assert tables.dependencies == ()
    assert _strings(tables.groups["dev"]) == ["pytest"]
    assert any("[project] dependencies is read" in note for note in tables.notes)
    assert any("source = 'internal' is not used" in note for note in tables.notes)


def test_poetry_main_is_read_when_project_declares_it_dynamic() -> None:
    text = """\
[project]
name = "svc"
dynamic = ["dependencies"]

[tool.poetry.dependencies]
requests = "^2.31"
"""
    assert _strings(read_manager_tables(text, path=PATH).dependencies) == ["requests<3.0,>=2.31"]


def test_legacy_poetry_dev_dependencies_are_group_dev() -> None:
    text = '[tool.poetry.dev-dependencies]\nblack = "^24.1"\n'
    assert _strings(read_manager_tables(text, path=PATH).groups["dev"]) == ["black<25.0,>=24.1"]


def test_pdm_uv_and_rye_tables() -> None:
    text = """\
[tool.pdm.dev-dependencies]
lint = ["ruff>=0.5"]
test = ["pytest>=8", "coverage[toml]"]

[tool.uv]
dev-dependencies = ["mypy>=1.10"]
constraint-dependencies = ["urllib3<3", "grpcio<1.70; sys_platform == 'darwin'"]
override-dependencies = ["numpy==1.26.4"]

[tool.rye]
dev-dependencies = ["ipython"]
"""
    tables = read_manager_tables(text, path=PATH)
    assert _strings(tables.groups["lint"]) == ["ruff>=0.5"]
    assert _strings(tables.groups["test"]) == ["pytest>=8", "coverage[toml]"]
    assert _strings(tables.groups["dev"]) == ["mypy>=1.10", "ipython"]
    assert _strings(tables.constraints) == ["urllib3<3", 'grpcio<1.70; sys_platform == "darwin"']
    assert all(c.constraint for c in tables.constraints)
    assert [i.requirement for i in tables.overrides] == [Requirement("numpy==1.26.4")]
    assert not any(o.constraint for o in tables.overrides)
    assert str(tables.overrides[0].origin) == "/srv/app/pyproject.toml:8"
    assert tables.dependencies == ()


def test_a_file_without_manager_tables_reads_as_empty() -> None:
    text = '[project]\nname = "x"\ndependencies = ["a"]\n[tool.ruff]\nline-length = 100\n'
    assert read_manager_tables(text, path=PATH) == ManagerTables()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[tool.poetry.dependencies]\npython = "^3.11"\nfoo = { version = "^1", pkg = "x" }\n',
            r"pyproject\.toml:3: \[tool\.poetry\.dependencies\] foo: 'pkg' is a form",
        ),
        (
            '[tool.poetry.dependencies]\nfoo = "^1 || ^2"\n',
            r":2: \[tool\.poetry\.dependencies\] foo: '\^1 \|\| \^2' allows either",
        ),
        (
            "[tool.poetry.dependencies]\nfoo = 3\n",
            r":2: \[tool\.poetry\.dependencies\] foo: 3 is not a constraint",
        ),
        (
            '[tool.poetry.dependencies]\nfoo = { python = ">=3.9" }\n',
            r"foo: has no version",
        ),
        (
            '[tool.poetry.dependencies]\nfoo = { git = "https://x/y.git", rev = "a", tag = "b" }\n',
            r"give one of rev, tag or branch",
        ),
        (
            '[tool.poetry.dependencies]\nfoo = "^1"\n[tool.poetry.extras]\nx = ["foo"]\n',
            r":4: \[tool\.poetry\.extras\] x: names 'foo', which .* does not declare with optional",
        ),
        (
            '[tool.pdm.dev-dependencies]\ndev = [\n  "-e file:///${PROJECT_ROOT}/sub#egg=sub",\n]\n',
            r":2: \[tool\.pdm\.dev-dependencies\] dev: '-e file.*' is an installer option",
        ),
        (
            '[tool.uv]\noverride-dependencies = "numpy==1"\n',
            r":2: \[tool\.uv\] override-dependencies: must be an array",
        ),
        (
            '[tool.uv]\nconstraint-dependencies = ["not a requirement!"]\n',
            r"\[tool\.uv\] constraint-dependencies: invalid requirement",
        ),
        (
            '[tool.flit.metadata]\nmodule = "x"\nrequires = ["requests"]\n',
            r":3: \[tool\.flit\.metadata\] requires: flit's old metadata table",
        ),
        ("[tool.poetry]\ndependencies = 1\n", r"\[tool\.poetry\.dependencies\]: must be a table"),
        ("[tool.poetry\n", r"invalid TOML"),
    ],
)
def test_forms_depslim_does_not_read_are_refused_by_name(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        read_manager_tables(text, path=PATH)
    assert info.value.exit_code == 2
    assert str(PATH) in str(info.value)
