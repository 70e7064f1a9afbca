"""``lock --override`` / ``-c`` / ``[tool.uv]`` and git references, through the verbs."""

from __future__ import annotations

import subprocess

from depslim import api
from depslim.cli import main

GRAPH = [
    ("web", "1.0", ["json-lib<4"]),
    ("json-lib", "3.0", []),
    ("json-lib", "4.0", []),
]


def test_override_replaces_a_dependencys_requirement_and_check_sees_changes(
    tmp_path, make_index, capsys
) -> None:
    index = make_index(GRAPH)
    (tmp_path / "requirements.in").write_text("web\n")
    (tmp_path / "overrides.txt").write_text("json-lib==4.0\n")
    out = tmp_path / "requirements.txt"
    flags = ["--index-url", index.url, "--no-config", "--cache-dir", str(tmp_path / "c"), "-q"]
    code = main(["lock", str(tmp_path / "requirements.in"), "-o", str(out),
                 "--override", str(tmp_path / "overrides.txt"), *flags])  # fmt: skip
    assert code == 0
    text = out.read_text()
    assert "json-lib==4.0" in text
    assert "--override overrides.txt" in text  # the command line, relative to the lock
    assert "# override: json-lib==4.0 (from overrides.txt:1)" in text
    assert not [
        f for f in api.check(tmp_path, no_cache=True, config=False).findings if f.code == "DS001"
    ]
    (tmp_path / "overrides.txt").write_text("json-lib==3.0\n")
    stale = [
        f for f in api.check(tmp_path, no_cache=True, config=False).findings if f.code == "DS001"
    ]
    assert stale, "changing an override makes the lock stale"


def test_a_constraint_narrows_without_adding(tmp_path, make_index) -> None:
    index = make_index([*GRAPH, ("unrelated", "1.0", [])])
    (tmp_path / "requirements.in").write_text("json-lib\n")
    (tmp_path / "constraints.txt").write_text("json-lib<4\nunrelated==1.0\n")
    result = api.lock(
        [tmp_path / "requirements.in"],
        constraints=[tmp_path / "constraints.txt"],
        index_url=index.url,
        config=False,
        cache_dir=tmp_path / "c",
    )
    assert {p.name: str(p.version) for p in result.pins} == {"json-lib": "3.0"}


def test_tool_uv_override_dependencies_are_honoured_with_a_note(tmp_path, make_index) -> None:
    index = make_index(GRAPH)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0"\ndependencies = ["web"]\n'
        '[tool.uv]\noverride-dependencies = ["json-lib==4.0"]\n'
    )
    result = api.lock(
        [tmp_path / "pyproject.toml"], index_url=index.url, config=False, cache_dir=tmp_path / "c"
    )
    assert {p.name: str(p.version) for p in result.pins}["json-lib"] == "4.0"
    assert any("[tool.uv] override-dependencies (1)" in w for w in result.warnings)


def test_a_missing_override_file_is_bad_input(tmp_path, capsys) -> None:
    (tmp_path / "requirements.in").write_text("web\n")
    missing = str(tmp_path / "nope.txt")
    source = str(tmp_path / "requirements.in")
    code = main(["lock", source, "--override", missing, "--no-config", "--no-cache", "-o", "-"])
    assert code == 2
    assert "nope.txt" in capsys.readouterr().err


def test_a_git_reference_is_pinned_to_its_commit(tmp_path, make_index) -> None:
    index = make_index([("json-lib", "4.0", [])])
    repo = tmp_path / "tool"
    (repo / "tool").mkdir(parents=True)
    (repo / "tool" / "__init__.py").write_text("")
    (repo / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[project]\nname = "tool"\nversion = "0.3"\ndependencies = ["json-lib"]\n'
    )

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
            cwd=repo, check=True, capture_output=True, text=True,
        )  # fmt: skip
        return done.stdout.strip()

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "v0.3")
    git("tag", "v0.3")
    commit = git("rev-parse", "HEAD")
    source = tmp_path / "requirements.in"
    source.write_text(f"tool @ git+file://{repo}@v0.3\n")
    result = api.lock([source], index_url=index.url, config=False, cache_dir=tmp_path / "c")
    text = result.text()
    assert f"tool @ git+file://{repo}@{commit}" in text
    assert "json-lib==4.0" in text
    assert any("pip cannot install it with --require-hashes" in w for w in result.warnings)
