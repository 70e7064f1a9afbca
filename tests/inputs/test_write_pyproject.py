"""``split --write-pyproject``: tiers written into pyproject.toml, the rest left as it was."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from depslim.errors import InputError
from depslim.inputs import parse_pyproject
from depslim.inputs.write_pyproject import write_tiers_to_pyproject

COMMENTED = """\
# The service's metadata. Keep this header!
[project]
name = "svc"   # the name on PyPI
version = "1.0"
requires-python = ">=3.11"
dependencies = [
    # web stack
    'fastapi>=0.110',  # the API
    "uvicorn[standard]",
    # ML: moves to the ml extra
    "torch>=2.3",
    "numpy",
]  # end of deps

[project.optional-dependencies]
docs = ["mkdocs"]  # kept as is

[project.scripts]
svc = "svc.main:run"

[dependency-groups]
test = ["pytest>=8"]
dev = [
    { include-group = "test" },
    "ruff",  # linter
    "torch",
]

[tool.ruff]
line-length = 100  # house style
"""

EXPECTED = """\
# The service's metadata. Keep this header!
[project]
name = "svc"   # the name on PyPI
version = "1.0"
requires-python = ">=3.11"
dependencies = [
    # web stack
    'fastapi>=0.110',  # the API
    "uvicorn[standard]",
    "numpy>=1.26",
    "httpx>=0.27",
]  # end of deps

[project.optional-dependencies]
docs = ["mkdocs"]  # kept as is
ml = ["torch>=2.3"]

[project.scripts]
svc = "svc.main:run"

[dependency-groups]
test = ["pytest>=8"]
dev = [
    { include-group = "test" },
    "ruff",  # linter
    "mypy>=1.10",
]

[tool.ruff]
line-length = 100  # house style
"""


def _write(text: str, **tiers: list[str]) -> str:
    return write_tiers_to_pyproject(
        text, base=tiers.get("base", []), ml=tiers.get("ml", []), dev=tiers.get("dev", [])
    )


def test_commented_file_keeps_comments_order_and_formatting() -> None:
    out = _write(
        COMMENTED,
        base=["fastapi>=0.110", "uvicorn[standard]", "numpy>=1.26", "httpx>=0.27"],
        ml=["torch>=2.3"],
        dev=["ruff", "mypy>=1.10"],
    )
    assert out == EXPECTED, "".join(
        difflib.unified_diff(EXPECTED.splitlines(keepends=True), out.splitlines(keepends=True))
    )


def test_written_file_reads_back_as_the_tiers(tmp_path: Path) -> None:
    out = _write(COMMENTED, base=["fastapi>=0.110", "numpy"], ml=["torch>=2.3"], dev=["ruff"])
    path = tmp_path / "pyproject.toml"
    path.write_text(out, encoding="utf-8")
    base = parse_pyproject(out, path=path)
    assert [str(r.requirement) for r in base.requirements] == ["fastapi>=0.110", "numpy"]
    with_ml = parse_pyproject(out, path=path, extras=["ml"])
    assert [str(r.requirement) for r in with_ml.requirements][2:] == ["torch>=2.3"]
    with_dev = parse_pyproject(out, path=path, groups=["dev"])
    assert [str(r.requirement) for r in with_dev.requirements][2:] == ["pytest>=8", "ruff"]


def test_same_tiers_leave_the_file_byte_for_byte() -> None:
    tiers = {
        "base": ["fastapi>=0.110", "uvicorn[standard]", "numpy>=1.26", "httpx>=0.27"],
        "ml": ["torch>=2.3"],
        "dev": ["ruff", "mypy>=1.10"],
    }
    assert _write(EXPECTED, **tiers) == EXPECTED


BARE = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "svc"
version = "1.0"

[project.urls]
Home = "https://example.org"

[tool.black]
line-length = 88
"""


def test_missing_tables_are_added_where_they_belong() -> None:
    out = _write(BARE, base=["fastapi>=0.110", "numpy"], ml=["torch>=2.3"], dev=["ruff"])
    assert out == (
        BARE.replace(
            'version = "1.0"\n',
            'version = "1.0"\ndependencies = [\n    "fastapi>=0.110",\n    "numpy",\n]\n',
        ).replace(
            "[tool.black]",
            '[project.optional-dependencies]\nml = ["torch>=2.3"]\n\n[tool.black]',
        )
        + '\n[dependency-groups]\ndev = ["ruff"]\n'
    )


def test_empty_tiers_add_nothing_but_empty_what_exists() -> None:
    out = _write(BARE, base=["fastapi"])
    assert "optional-dependencies" not in out
    assert "dependency-groups" not in out
    emptied = _write(COMMENTED, base=["fastapi>=0.110"])
    assert "ml" not in emptied  # there was no ml extra: none is made
    assert 'docs = ["mkdocs"]  # kept as is' in emptied
    assert 'dev = [\n    { include-group = "test" },\n]' in emptied


def test_a_one_line_array_stays_one_line_until_it_is_too_long() -> None:
    text = '[project]\nname = "x"\nversion = "1"\ndependencies = ["a", "b"]  # short\n'
    assert _write(text, base=["a", "c"]) == text.replace('"b"', '"c"')
    many = [f"package-number-{i}>=1.0" for i in range(6)]
    out = _write(text, base=many)
    assert out.count("\n    ") == 6
    assert out.endswith("]  # short\n")


def test_changed_requirement_keeps_its_place_and_comment() -> None:
    head = '[project]\nname = "x"\nversion = "1"\n'
    text = head + 'dependencies = [\n  "a>=1",  # pinned low\n  "b",\n]\n'
    out = _write(text, base=["b", "a>=2"])
    assert out.endswith('dependencies = [\n  "a>=2",  # pinned low\n  "b",\n]\n')


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[tool.poetry]\nname = "x"\n', "no \\[project\\] table"),
        (
            '[project]\nname = "x"\ndynamic = ["dependencies"]\n',
            "dependencies is listed in dynamic",
        ),
        ('[project]\nname = "x"\ndependencies = "a"\n', "must be an array"),
        ('[project]\nname = "x"\ndependencies = [1]\n', "entries must be requirement strings"),
        ("[project\n", "invalid TOML"),
    ],
)
def test_files_it_cannot_edit_are_refused(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        write_tiers_to_pyproject(text, base=["a"], ml=[], dev=[], path="svc/pyproject.toml")
    assert str(info.value).startswith("svc/pyproject.toml: ")


def test_invalid_requirement_is_refused_before_anything_is_written() -> None:
    with pytest.raises(InputError, match="invalid requirement 'not valid!'"):
        _write(COMMENTED, base=["not valid!"])


def test_requirements_are_written_as_the_caller_spelled_them() -> None:
    out = _write(BARE, base=["sentry-sdk[fastapi]>=2.66.1,<3.0.0"])
    assert '"sentry-sdk[fastapi]>=2.66.1,<3.0.0"' in out
