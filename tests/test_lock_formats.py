"""``lock -o pylock.toml`` / ``--format``: PEP 751 out, and every verb reads it back."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from packaging.pylock import Pylock

from depslim import api
from depslim.cli import main

GRAPH = [("web", "1.0", ["json-lib"]), ("json-lib", "4.0", [])]


@pytest.fixture
def project(tmp_path: Path, make_index):
    index = make_index(GRAPH)
    source = tmp_path / "requirements.in"
    source.write_text("web\n")
    flags = ["--index-url", index.url, "--no-config", "--cache-dir", str(tmp_path / "cache")]
    return source, flags


def test_an_output_named_pylock_toml_is_pep_751(project, tmp_path, capsys) -> None:
    source, flags = project
    out = tmp_path / "pylock.toml"
    assert main(["lock", str(source), "-o", str(out), "-q", *flags]) == 0
    data = tomllib.loads(out.read_text())
    lock = Pylock.from_dict(data)
    assert {p.name for p in lock.packages} == {"web", "json-lib"}
    report = api.report(out, cache_dir=tmp_path / "cache", config=False, compare=False)
    assert {r.name for r in report.rows} == {"web", "json-lib"}
    assert not report.warnings
    assert main(["why", "json-lib", str(out), "--no-sizes", "--no-config", "--no-cache"]) == 0
    assert "web" in capsys.readouterr().out


def test_format_and_name_must_agree(project, tmp_path, capsys) -> None:
    source, flags = project
    code = main(
        ["lock", str(source), "-o", str(tmp_path / "req.txt"), "--format", "pylock", *flags]
    )
    assert code == 2
    assert "--format pylock" in capsys.readouterr().err
    assert not (tmp_path / "req.txt").exists()
    assert main(["lock", str(source), "-o", str(tmp_path / "lock.toml"), *flags]) == 2
    assert "pylock.toml" in capsys.readouterr().err


def test_format_pylock_to_stdout_and_json(project, capsys) -> None:
    source, flags = project
    assert main(["lock", str(source), "-o", "-", "--format", "pylock", *flags]) == 0
    Pylock.from_dict(tomllib.loads(capsys.readouterr().out))
    assert main(["lock", str(source), "-o", "-", "--format", "json", *flags]) == 0
    assert json.loads(capsys.readouterr().out)["pins"]


def test_a_poetry_project_locks_its_dependencies_extras_and_groups(tmp_path, make_index) -> None:
    index = make_index([("web", "1.0", []), ("web", "2.0", []), ("json-lib", "4.0", []),
                        ("tester", "8.1", [])])  # fmt: skip
    (tmp_path / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "demo"\nversion = "0.1.0"\n'
        '[tool.poetry.dependencies]\npython = "^3.10"\nweb = "^1.0"\n'
        'json-lib = { version = "*", optional = true }\n'
        '[tool.poetry.extras]\njson = ["json-lib"]\n'
        '[tool.poetry.group.dev.dependencies]\ntester = "~8.1"\n'
    )
    flags = {"index_url": index.url, "config": False, "cache_dir": tmp_path / "c"}
    plain = api.lock([tmp_path / "pyproject.toml"], **flags)
    assert {p.name: str(p.version) for p in plain.pins} == {"web": "1.0"}  # ^1.0 is <2
    full = api.lock([tmp_path / "pyproject.toml"], extra=["json"], group=["dev"], **flags)
    assert {p.name for p in full.pins} == {"web", "json-lib", "tester"}
