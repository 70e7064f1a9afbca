"""Safe by default, through the verbs: no secret written anywhere, no index confusion.

Against real index servers on 127.0.0.1, one of which wants HTTP Basic auth.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from depslim import api
from depslim.cli import main
from index.hostile import AuthIndexServer
from support.fixtures import build_files

SECRET = "S3CRET-T0KEN-xyz"


@pytest.fixture
def private_index(tmp_path: Path):
    files = tmp_path / "files"
    files.mkdir()
    build_files(files, [("alpha", "1.0", ["beta"]), ("beta", "1.0", [])])
    server = AuthIndexServer(files, user="ci", password=SECRET).start()
    yield server
    server.stop()


def everything_under(root: Path) -> bytes:
    blob = b""
    for path in sorted(root.rglob("*")):
        blob += str(path).encode() + b"\n"
        if path.is_file():
            blob += path.read_bytes()
    return blob


def test_no_verb_writes_or_prints_the_index_token(private_index, tmp_path, capsys) -> None:
    url = private_index.url.replace("://", f"://ci:{SECRET}@")
    source = tmp_path / "requirements.in"
    source.write_text("alpha\n")
    out = tmp_path / "requirements.txt"
    common = ["--no-config", "--cache-dir", str(tmp_path / "cache")]
    assert main(["lock", str(source), "-o", str(out), "--index-url", url, *common]) == 0
    assert main(["lock", str(source), "-o", "-", "--json", "--index-url", url, *common]) == 0
    assert main(["report", str(out), "--index-url", url, *common]) == 0
    assert main(["report", str(out), "--json", "--index-url", url, *common]) == 0
    layers = tmp_path / "layers"
    assert (
        main(
            [
                "layers",
                str(out),
                "-o",
                str(layers),
                "--dockerfile",
                "--context",
                str(tmp_path),
                "--index-url",
                url,
                *common,
            ]
        )
        == 0
    )
    assert main(["why", "beta", str(out), "--index-url", url, *common]) == 0
    assert main(["config", "--json", "--index-url", url, "--no-config"]) == 0
    assert (
        main(
            ["lock", str(source), "-o", str(tmp_path / "pylock.toml"), "--index-url", url, *common]
        )
        == 0
    )
    shown = capsys.readouterr()
    assert SECRET not in shown.out and SECRET not in shown.err
    assert SECRET.encode() not in everything_under(tmp_path)
    assert private_index.url in out.read_text()  # the lock names the index, without its secret


def test_an_error_message_never_shows_the_token(private_index, tmp_path, capsys) -> None:
    url = private_index.url.replace("://", f"://ci:wrong-{SECRET}@")
    source = tmp_path / "requirements.in"
    source.write_text("alpha\n")
    code = main(["lock", str(source), "-o", "-", "--index-url", url, "--no-config", "--no-cache"])
    assert code == 3
    err = capsys.readouterr().err
    assert "401" in err and SECRET not in err


@pytest.fixture
def two_indexes(make_index):
    private = make_index([("corp-lib", "1.0", []), ("app", "1.0", ["corp-lib"])])
    attacker = make_index([("corp-lib", "99.0", [])])
    return private, attacker


@pytest.mark.parametrize("order", ["attacker-first", "private-first"])
def test_a_project_two_indexes_offer_differently_must_be_bound(
    two_indexes, tmp_path, order, capsys
):
    private, attacker = two_indexes
    first, second = (attacker, private) if order == "attacker-first" else (private, attacker)
    source = tmp_path / "requirements.in"
    source.write_text("app\n")  # corp-lib is transitive
    flags = ["--index-url", first.url, "--extra-index-url", second.url, "--no-config", "--no-cache"]
    assert main(["lock", str(source), "-o", "-", *flags]) == 2
    err = capsys.readouterr().err
    assert "corp-lib" in err and "index-of" in err
    bound = [*flags, "--index-of", f"corp-lib={private.url}"]
    assert main(["lock", str(source), "-o", "-", "--json", *bound]) == 0
    pins = {p["name"]: p for p in json.loads(capsys.readouterr().out)["pins"]}
    assert pins["corp-lib"]["version"] == "1.0"


def test_index_of_in_the_config_binds_too(two_indexes, tmp_path) -> None:
    private, attacker = two_indexes
    (tmp_path / "requirements.in").write_text("corp-lib\n")
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.depslim]\nindex-url = "{attacker.url}"\nextra-index-url = ["{private.url}"]\n'
        f'index-of = {{ corp-lib = "{private.url}" }}\n'
    )
    result = api.lock([tmp_path / "requirements.in"], no_cache=True)
    assert {p.name: str(p.version) for p in result.pins} == {"corp-lib": "1.0"}
    assert f"--index-of=corp-lib={private.url}" in result.lock.command


def test_a_variable_in_the_index_url_is_kept_literally(private_index, tmp_path, monkeypatch):
    monkeypatch.setenv("DEPSLIM_TEST_TOKEN", SECRET)
    url = private_index.url.replace("://", "://ci:${DEPSLIM_TEST_TOKEN}@")
    source = tmp_path / "requirements.in"
    source.write_text(f"--index-url {url}\nalpha\n")
    out = tmp_path / "requirements.txt"
    code = main(["lock", str(source), "-o", str(out), "--no-config", "--no-cache", "-q"])
    assert code == 0
    text = out.read_text()
    assert "${DEPSLIM_TEST_TOKEN}" in text  # the installer expands it, as pip does
    assert SECRET not in text
