"""``split`` with extras and groups: uv's flags, pins an extra holds back, failing extras."""

from __future__ import annotations

from pathlib import Path

import pytest

from depslim import api
from depslim.cli import main

INDEX = [
    ("api-lib", "0.28", []),
    ("api-lib", "1.5", []),
    ("scorer", "1.0", ["api-lib<1"]),
    ("pytest", "8.2.0", []),
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "svc"
    (root / "svc").mkdir(parents=True)
    (root / "svc" / "__init__.py").write_text("")
    (root / "svc" / "api.py").write_text("import api_lib\n")
    (root / "svc" / "evaluate.py").write_text("import scorer\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_api.py").write_text("import pytest\n")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "svc"\nversion = "0"\ndependencies = ["api-lib"]\n'
        '[project.optional-dependencies]\neval = ["scorer"]\ngpu = ["no-such-gpu-thing"]\n'
        '[dependency-groups]\ndev = ["pytest"]\n'
        '[tool.depslim]\nentries = { api = "svc.api", eval = "svc.evaluate" }\n'
    )
    return root


def run(project: Path, index, tmp_path: Path, *flags: str) -> int:
    common = ["--index-url", index.url, "--cache-dir", str(tmp_path / "c"), "-q"]
    return main(["split", str(project), *common, *flags])


def test_an_extra_that_fails_is_named_with_the_flag_that_leaves_it_out(
    project, make_index, tmp_path, capsys
) -> None:
    index = make_index(INDEX)
    assert run(project, index, tmp_path) != 0
    err = capsys.readouterr().err
    assert "extra 'gpu' brings this in; leave it out with --no-extra gpu" in err
    assert run(project, index, tmp_path, "--no-extra", "gpu") == 0


def test_an_extra_that_holds_a_shipped_pin_back_is_a_warning(project, make_index, tmp_path):
    index = make_index(INDEX)
    result = api.split(project, index_url=index.url, cache_dir=tmp_path / "c", no_extra=["gpu"])
    versions = result.locked.lock.versions
    assert str(versions["api-lib"]) == "0.28"
    assert any(
        "extra 'eval' changes api-lib in a shipped tier: 1.5 without it, 0.28 with it; "
        "leave it out with --no-extra eval" in w
        for w in result.warnings
    ), result.warnings
    kept = api.split(
        project, index_url=index.url, cache_dir=tmp_path / "c", no_extra=["gpu", "eval"]
    )
    assert str(kept.locked.lock.versions["api-lib"]) == "1.5"


def test_only_the_named_extras_and_groups(project, make_index, tmp_path) -> None:
    index = make_index(INDEX)
    options = {"index_url": index.url, "cache_dir": tmp_path / "c"}
    named = api.split(project, extra=["eval"], no_group=["dev"], **options)
    assert set(named.locked.lock.versions) == {"api-lib", "scorer"}
    only = api.split(project, only_group=["dev"], **options)
    assert set(only.locked.lock.versions) == {"pytest"}


def test_config_keys_extras_and_groups(project, make_index, tmp_path) -> None:
    index = make_index(INDEX)
    text = (project / "pyproject.toml").read_text()
    (project / "pyproject.toml").write_text(text + 'extras = ["eval"]\ngroups = []\n')
    result = api.split(project, index_url=index.url, cache_dir=tmp_path / "c")
    assert set(result.locked.lock.versions) == {"api-lib", "scorer"}


def test_an_unknown_extra_is_bad_input(project, make_index, tmp_path, capsys) -> None:
    index = make_index(INDEX)
    assert run(project, index, tmp_path, "--no-extra", "nope") == 2
    assert "no extra named nope" in capsys.readouterr().err
