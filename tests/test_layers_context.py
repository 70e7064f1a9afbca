"""``layers --context``: COPY paths relative to the build context, and the .dockerignore."""

from __future__ import annotations

from pathlib import Path

import pytest

from depslim.cli import main

GRAPH = [("web", "1.0", ["json-lib"]), ("json-lib", "4.0", [])]


@pytest.fixture
def locked(tmp_path: Path, make_index, monkeypatch):
    index = make_index(GRAPH)
    app = tmp_path / "app"
    (app / "deploy").mkdir(parents=True)
    (app / "requirements.in").write_text("web\n")
    monkeypatch.chdir(app)
    flags = ["--index-url", index.url, "--no-config", "--cache-dir", str(tmp_path / "c"), "-q"]
    assert main(["lock", "requirements.in", "-o", "requirements.txt", *flags]) == 0
    return app, flags


def test_copy_paths_follow_the_context_and_a_dockerignore_is_written_once(locked) -> None:
    app, flags = locked
    out = app / "deploy" / "layers"
    assert main(["layers", "requirements.txt", "-o", str(out), "--dockerfile", *flags]) == 0
    dockerfile = (out / "Dockerfile").read_text()
    assert "COPY deploy/layers/01-" in dockerfile
    assert dockerfile.endswith("\n") and not dockerfile.endswith("\n\n")
    ignore = app / ".dockerignore"
    assert ".git" in ignore.read_text()
    ignore.write_text("# mine\n")
    assert main(["layers", "requirements.txt", "-o", str(out), "--dockerfile", *flags]) == 0
    assert ignore.read_text() == "# mine\n", "an existing .dockerignore is never overwritten"
    for name in (p for p in out.iterdir() if p.suffix == ".txt"):
        assert name.read_text().endswith("\n")


def test_another_context_moves_every_copy_path(locked) -> None:
    app, flags = locked
    out = app / "deploy" / "layers"
    code = main(["layers", "requirements.txt", "-o", str(out), "--context", "deploy", *flags])
    assert code == 0
    assert "COPY layers/01-" in (out / "Dockerfile.snippet").read_text()


def test_an_output_outside_the_context_is_refused_before_writing(locked, tmp_path, capsys):
    _app, flags = locked
    out = tmp_path / "elsewhere"
    code = main(["layers", "requirements.txt", "-o", str(out), "--dockerfile", *flags])
    assert code == 2
    assert "context" in capsys.readouterr().err
    assert not out.exists()
