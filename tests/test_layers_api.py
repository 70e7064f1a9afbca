"""``depslim layers`` end to end: a real git history of a lockfile, a real index, real wheels."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

import depslim
from depslim import api
from depslim.cli import main
from depslim.lockfile import read_requirements_lock

NOW = datetime(2026, 11, 1, tzinfo=UTC)
BIG = {"big/blob.bin": bytes(range(256)) * 4000}  # ~1 MB, stored: a heavy, stable pin


def git(repo: Path, *args: str, date: str | None = None) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    if date:
        env |= {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path, make_index):
    specs = [("heavy", "1.0", [], {"files": BIG})]
    specs += [("churn", f"1.{i}", []) for i in range(6)]
    specs += [("steady", "2.0", [])]
    times = {f"churn-1.{i}-py3-none-any.whl": f"2026-{4 + i:02d}-01T00:00:00Z" for i in range(6)}
    times["heavy-1.0-py3-none-any.whl"] = "2023-01-01T00:00:00Z"
    times["steady-2.0-py3-none-any.whl"] = "2024-01-01T00:00:00Z"
    index = make_index(specs, upload_times=times)
    root = tmp_path / "app"
    root.mkdir()
    git(root, "init", "-q")
    git(root, "config", "user.email", "t@example.com")
    git(root, "config", "user.name", "t")
    source = root / "requirements.in"
    out = root / "requirements.txt"
    for i in range(6):  # churn moves every month, heavy and steady never
        source.write_text(f"heavy\nsteady\nchurn==1.{i}\n")
        result = depslim.lock(
            [source],
            index_url=index.url,
            output=out,
            config=False,
            target=depslim.Target.parse("linux/amd64", python="3.11"),
            cache_dir=tmp_path / "cache",
        )
        result.write(out)
        git(root, "add", ".")
        git(
            root,
            "commit",
            "-q",
            "-m",
            f"bump churn to 1.{i}",
            date=f"2026-{4 + i:02d}-02T12:00:00+00:00",
        )
    return root, out, index, tmp_path / "cache"


def test_plan_puts_the_heavy_stable_pin_first(repo) -> None:
    _root, out, _index, cache = repo
    result = api.layers(out, max_layers=2, now=NOW, cache_dir=cache, config=False)
    plan = result.plan
    assert plan.layers[0].packages[0] == "heavy" or "heavy" in plan.layers[0].packages
    assert "churn" in plan.layers[-1].packages
    assert plan.expected_rebuild_bytes < plan.baseline_expected_rebuild_bytes
    data = result.to_json()
    assert set(data) >= {"layers", "expected_rebuild_bytes", "baseline_expected_rebuild_bytes"}
    assert {"packages", "bytes", "changes_per_month"} <= set(data["layers"][0])
    assert "commits" in data["sources"]["history"]
    churn = next(i for layer in data["layers"] for i in layer["items"] if i["name"] == "churn")
    assert {e["source"] for e in churn["evidence"]} >= {"history"}


def test_same_inputs_same_plan(repo) -> None:
    _root, out, _index, cache = repo
    one = api.layers(out, max_layers=3, now=NOW, cache_dir=cache, config=False).to_json()
    two = api.layers(out, max_layers=3, now=NOW, cache_dir=cache, config=False).to_json()
    assert one == two


def test_layer_files_carry_hashes_and_the_snippet_installs_them(repo, tmp_path) -> None:
    _root, out, _index, cache = repo
    result = api.layers(out, max_layers=2, now=NOW, cache_dir=cache, config=False)
    written = result.write(tmp_path / "layers")
    names = [p.name for p in written]
    assert names[-1] == "Dockerfile.snippet"
    locked = read_requirements_lock(out.read_text())
    seen = set()
    for path in written[:-1]:
        pins = read_requirements_lock(path.read_text()).pins
        assert pins and all(p.hashes for p in pins)
        seen |= {p.name for p in pins}
    assert seen == {p.name for p in locked.pins}
    snippet = (tmp_path / "layers" / "Dockerfile.snippet").read_text()
    for name in names[:-1]:
        assert f"COPY layers/{name}" in snippet
    assert "--require-hashes" in snippet and "pip check" in snippet


def test_full_dockerfile(repo, tmp_path) -> None:
    _root, out, _index, cache = repo
    result = api.layers(out, max_layers=2, now=NOW, cache_dir=cache, config=False)
    text = result.dockerfile()
    assert "FROM" in text and "AS builder" in text and "USER" in text


def test_offline_uses_history_and_cache_only(repo) -> None:
    _root, out, index, cache = repo
    api.layers(out, max_layers=2, now=NOW, cache_dir=cache, config=False)
    before = len(index.log)
    result = api.layers(out, max_layers=2, now=NOW, cache_dir=cache, config=False, offline=True)
    assert len(index.log) == before
    assert result.sources["cadence"].startswith("none")
    assert "churn" in result.plan.layers[-1].packages


def test_cli_layers_json_and_lock_order(repo, capsys) -> None:
    root, out, index, cache = repo
    assert (
        main(
            [
                "layers",
                str(out),
                "--json",
                "--max-layers",
                "2",
                "--cache-dir",
                str(cache),
                "--no-config",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert len(data["layers"]) == 2
    ordered = root / "ordered.txt"
    code = main(
        [
            "lock",
            str(root / "requirements.in"),
            "-o",
            str(ordered),
            "-i",
            index.url,
            "--order",
            "change-frequency",
            "--cache-dir",
            str(cache),
            "--no-config",
            "--python-version",
            "3.11",
        ]
    )
    assert code == 0
    text = ordered.read_text()
    assert "# layer 1:" in text and "expected changes/month" in text
    assert {p.name for p in read_requirements_lock(text).pins} == {"heavy", "steady", "churn"}


def test_bad_size_is_a_clear_error(repo) -> None:
    _root, out, _index, cache = repo
    with pytest.raises(depslim.InputError, match="500MB"):
        api.layers(out, max_layer_size="lots", cache_dir=cache, config=False)
