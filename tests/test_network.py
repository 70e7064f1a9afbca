"""Against the real PyPI (``-m network``; off by default, never in CI).

The acceptance set of issue 2: a 22-package web backend locked for linux/amd64 and
CPython 3.11, then accepted by ``pip install --dry-run --require-hashes --no-deps``.
Subprocesses do the network work (pytest-socket keeps this process on loopback).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from depslim.target import Target

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.network


def test_real_webapp_set_locks_and_pip_accepts_it(tmp_path: Path) -> None:
    out = tmp_path / "requirements.txt"
    env = {**os.environ, "DEPSLIM_CACHE_DIR": str(tmp_path / "cache")}
    depslim = Path(sys.executable).parent / "depslim"
    done = subprocess.run(
        [
            str(depslim),
            "lock",
            str(ROOT / "bench/inputs/webapp22.in"),
            "-o",
            str(out),
            "--python-version",
            "3.11",
            "--python-platform",
            "linux/amd64",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    pins = [
        line for line in out.read_text().splitlines() if "==" in line and not line.startswith("#")
    ]
    assert len(pins) > 50
    # pip's --platform takes exact tags: give it every tag the target accepts
    platforms = [
        arg
        for tag in Target.parse("linux/amd64", python="3.11").platform_tags()
        for arg in ("--platform", tag)
    ]
    pip_env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    pip_env["PIP_CONFIG_FILE"] = os.devnull
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--require-hashes",
            "--no-deps",
            "--python-version",
            "3.11",
            *platforms,
            "--only-binary",
            ":all:",
            "--target",
            str(tmp_path / "t"),
            "-r",
            str(out),
        ],
        env=pip_env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    assert "Would install" in checked.stdout
