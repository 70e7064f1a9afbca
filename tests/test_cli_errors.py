"""Every failure is an exit code that means something, and a message, never a traceback.

0 ok; 1 no solution or findings; 2 bad input or usage; 3 network or index; 4 a bug in
depslim (one line; the traceback only with -v); 130 interrupted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from depslim.cli import main


def test_nan_timeout_in_config_is_bad_input(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.depslim]\ntimeout = nan\n")
    monkeypatch.chdir(tmp_path)
    assert main(["config"]) == 2
    err = capsys.readouterr().err
    assert "pyproject.toml" in err and "timeout" in err and "Traceback" not in err


def test_inf_timeout_flag_is_bad_input(capsys) -> None:
    assert main(["report", "x.txt", "--timeout", "inf", "--no-config"]) == 2
    assert "finite" in capsys.readouterr().err


def test_a_lockfile_that_is_not_a_regular_file_is_refused(capsys) -> None:
    assert main(["report", "/dev/zero", "--no-config", "--no-cache"]) == 2
    assert "not a regular file" in capsys.readouterr().err


def test_report_on_a_folder_is_refused(tmp_path, capsys) -> None:
    assert main(["report", str(tmp_path), "--no-config", "--no-cache"]) == 2
    assert str(tmp_path) in capsys.readouterr().err


def test_non_utf8_config_names_the_file(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "pyproject.toml").write_bytes("[tool.depslim]\ntimeout = 3\n".encode("utf-16"))
    monkeypatch.chdir(tmp_path)
    assert main(["config"]) == 2
    err = capsys.readouterr().err
    assert "pyproject.toml" in err and "UTF-8" in err


def test_writing_below_a_file_is_bad_input_and_changes_nothing(tmp_path, capsys) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("keep me\n")
    lock = tmp_path / "requirements.txt"
    lock.write_text("a==1.0 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    code = main(
        ["layers", str(lock), "-o", str(blocker), "--no-config", "--offline",
         "--cache-dir", str(tmp_path / "cache"), "-q", "--context", str(tmp_path)]
    )  # fmt: skip
    assert code == 2
    assert blocker.read_text() == "keep me\n"
    assert "nothing was changed" in capsys.readouterr().err


def test_a_bug_is_exit_4_with_one_line_and_the_traceback_only_with_v(monkeypatch, capsys):
    # A real bug cannot be summoned on purpose, so one is planted: the verb's runner
    # raises an exception depslim never raises on purpose.
    import depslim.cli.commands as commands

    def broken(*_args: object) -> int:
        raise ZeroDivisionError("planted")

    monkeypatch.setitem(commands.RUNNERS, "config", broken)
    assert main(["config"]) == 4
    err = capsys.readouterr().err
    assert "internal error" in err and "ZeroDivisionError" in err and "Traceback" not in err
    assert main(["config", "-v"]) == 4
    assert "Traceback" in capsys.readouterr().err


def test_interrupt_is_130_without_a_traceback(monkeypatch, capsys) -> None:
    # Ctrl-C is planted the same way: the runner raises what SIGINT raises.
    import depslim.cli.commands as commands

    def interrupted(*_args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setitem(commands.RUNNERS, "config", interrupted)
    assert main(["config"]) == 130
    assert capsys.readouterr().err.strip() == "interrupted"


def test_usage_errors_are_2(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["lock", "--timeout", "soon"])
    assert info.value.code == 2
    assert "usage: depslim lock" in capsys.readouterr().err


def test_python_m_depslim_runs(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "depslim", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stdout.startswith("depslim ")


def test_colour_is_forced_by_force_color_and_off_with_no_color(monkeypatch, capsys) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert main(["report", "/dev/zero", "--no-config", "--no-cache"]) == 2
    assert "\x1b[1;31merror:\x1b[0m" in capsys.readouterr().err
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["report", "/dev/zero", "--no-config", "--no-cache"]) == 2
    assert "\x1b[" not in capsys.readouterr().err


def test_ctrl_c_while_waiting_on_an_index_is_130_without_a_traceback(tmp_path: Path) -> None:
    import signal
    import socket
    import subprocess
    import sys
    import time

    silent = socket.socket()  # accepts connections (the kernel's backlog), never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    source = tmp_path / "requirements.in"
    source.write_text("anything\n")
    index = f"http://127.0.0.1:{port}/simple"
    command = [sys.executable, "-m", "depslim", "lock", str(source), "-o", "-", "--no-config",
               "--no-cache", "--index-url", index, "--retries", "0"]  # fmt: skip
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        silent.close()
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted" in err
