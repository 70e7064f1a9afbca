"""The CLI's contract: exit codes, --json on stdout only, -o -, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from depslim.cli import main


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "requirements.in"
    path.write_text(text)
    return path


def test_ok_writes_next_to_the_input(tmp_path, make_index, capsys) -> None:
    index = make_index([("a", "1.0", [])])
    source = write(tmp_path, "a\n")
    assert (
        main(
            [
                "lock",
                str(source),
                "-i",
                index.url,
                "--cache-dir",
                str(tmp_path / "c"),
                "--no-config",
            ]
        )
        == 0
    )
    assert "a==1.0" in (tmp_path / "requirements.txt").read_text()
    captured = capsys.readouterr()
    assert captured.out == "" and "Locked 1 packages" in captured.err


def test_json_is_one_document_on_stdout(tmp_path, make_index, capsys) -> None:
    index = make_index([("a", "1.0", [])])
    source = write(tmp_path, "a\n")
    assert (
        main(
            [
                "lock",
                str(source),
                "-i",
                index.url,
                "--json",
                "--cache-dir",
                str(tmp_path / "c"),
                "--no-config",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["pins"][0]["name"] == "a"
    assert not (tmp_path / "requirements.txt").exists()  # --json prints instead of writing


def test_dash_output_prints_the_lock(tmp_path, make_index, capsys) -> None:
    index = make_index([("a", "1.0", [])])
    source = write(tmp_path, "a\n")
    assert (
        main(
            [
                "lock",
                str(source),
                "-o",
                "-",
                "-i",
                index.url,
                "--cache-dir",
                str(tmp_path / "c"),
                "--no-config",
            ]
        )
        == 0
    )
    assert "a==1.0 \\\n    --hash=sha256:" in capsys.readouterr().out


def test_no_solution_exits_1(tmp_path, make_index, capsys) -> None:
    index = make_index([("a", "1.0", [])])
    source = write(tmp_path, "a>=2\n")
    assert (
        main(
            [
                "lock",
                str(source),
                "-i",
                index.url,
                "--cache-dir",
                str(tmp_path / "c"),
                "--no-config",
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert err.startswith("No solution found") and "Traceback" not in err


def test_bad_input_exits_2_with_file_and_line(tmp_path, capsys) -> None:
    source = write(tmp_path, "fine\nnot a requirement!!\n")
    assert main(["lock", str(source), "--no-config"]) == 2
    err = capsys.readouterr().err
    assert "requirements.in:2" in err and "not a requirement!!" in err


def test_index_failure_exits_3_and_leaves_the_old_lock(tmp_path, capsys) -> None:
    source = write(tmp_path, "a\n")
    out = tmp_path / "requirements.txt"
    out.write_text("# old\n")
    code = main(
        [
            "lock",
            str(source),
            "-i",
            "http://127.0.0.1:9/simple/",
            "--retries",
            "0",
            "--cache-dir",
            str(tmp_path / "c"),
            "--no-config",
        ]
    )
    assert code == 3
    assert "127.0.0.1:9" in capsys.readouterr().err
    assert out.read_text() == "# old\n"


def test_input_that_is_not_dot_in_needs_an_output(tmp_path, capsys) -> None:
    source = tmp_path / "reqs.txt"
    source.write_text("a\n")
    assert main(["lock", str(source), "--no-config"]) == 2
    assert "-o FILE" in capsys.readouterr().err


def test_help_lists_every_verb(capsys) -> None:
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    out = capsys.readouterr().out
    for verb in ("lock", "report", "split", "layers", "check"):
        assert verb in out
