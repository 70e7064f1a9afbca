"""Installed-size estimates, checked against what pip really writes."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

from depslim.layers import BYTECODE_MODEL, installed_estimate, sum_estimates
from support.wheels import build_wheel


def members(wheel: Path) -> list[tuple[str, int]]:
    with zipfile.ZipFile(wheel) as archive:
        return [(info.filename, info.file_size) for info in archive.infolist()]


def test_members_land_where_pip_puts_them_and_code_gets_byte_code() -> None:
    estimate = installed_estimate(
        [
            ("pkg/", 0),
            ("pkg/__init__.py", 1000),
            ("pkg/data.json", 500),
            ("pkg/_speed.cpython-311-x86_64-linux-gnu.so", 20_000),
            ("pkg-1.0.data/scripts/tool", 300),
            ("pkg-1.0.data/purelib/extra.py", 0),
            ("pkg-1.0.data/data/share/man/pkg.1", 100),
            ("pkg-1.0.dist-info/METADATA", 400),
            ("pkg-1.0.dist-info/RECORD", 600),
        ],
        console_scripts=2,
    )
    slope, intercept = BYTECODE_MODEL
    pycs = round(slope * 1000 + intercept) + intercept  # pkg/__init__.py and extra.py
    assert estimate.bytecode_bytes == pycs
    # 8 members + 2 .pyc + INSTALLER + REQUESTED + 2 launchers
    assert estimate.files == 8 + 2 + 2 + 2
    written = 1000 + 500 + 20_000 + 300 + 0 + 100 + 400 + 600 + pycs + 4 + 2 * 230
    assert written < estimate.file_bytes < written + 200  # + RECORD's new lines
    # lib/python3.11/site-packages/{pkg/__pycache__, pkg-1.0.dist-info, __pycache__}, bin,
    # share/man
    assert estimate.directories == len(
        {
            "lib",
            "lib/python3.11",
            "lib/python3.11/site-packages",
            "lib/python3.11/site-packages/pkg",
            "lib/python3.11/site-packages/pkg/__pycache__",
            "lib/python3.11/site-packages/__pycache__",
            "lib/python3.11/site-packages/pkg-1.0.dist-info",
            "bin",
            "share",
            "share/man",
        }
    )
    # a tar header per file and directory, data padded to 512 bytes
    assert estimate.layer_bytes >= estimate.file_bytes + 512 * (
        estimate.files + estimate.directories
    )


def test_without_byte_code_only_the_files_count() -> None:
    listed = [("m.py", 10_000), ("m-1.0.dist-info/RECORD", 100)]
    compiled = installed_estimate(listed)
    plain = installed_estimate(listed, bytecode=False)
    assert plain.bytecode_bytes == 0
    assert plain.files == 2 + 2  # + INSTALLER, REQUESTED
    assert plain.file_bytes < compiled.file_bytes
    assert compiled.bytecode_bytes == round(BYTECODE_MODEL[0] * 10_000 + BYTECODE_MODEL[1])
    tagged = installed_estimate(listed, python=(3, 12))
    assert tagged.bytecode_bytes == compiled.bytecode_bytes
    both = sum_estimates([compiled, plain])
    assert both.file_bytes == compiled.file_bytes + plain.file_bytes
    assert both.layer_bytes == compiled.layer_bytes + plain.layer_bytes + 1024


def real_code() -> dict[str, bytes]:
    """Real Python source of many sizes: modules of the running interpreter's stdlib."""
    modules = (argparse, json, textwrap, tarfile, zipfile, subprocess, io)
    files: dict[str, bytes] = {}
    for module in modules:
        source = Path(module.__file__ or "").read_bytes()
        files[f"realcode/{module.__name__.replace('.', '_')}.py"] = source
    files["realcode/__init__.py"] = b""
    files["realcode/tiny.py"] = b"VALUE = 1\n"
    files["realcode/data.txt"] = b"x" * 3000
    return files


def installed_files(prefix: Path) -> tuple[int, int, int, int]:
    """(files, bytes, .pyc bytes, uncompressed tar size) of everything under prefix."""
    count = size = pyc = 0
    for root, _, names in os.walk(prefix):
        for name in names:
            path = Path(root, name)
            count += 1
            size += path.stat().st_size
            pyc += path.stat().st_size if name.endswith(".pyc") else 0
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for entry in sorted(prefix.iterdir()):
            archive.add(entry, arcname=entry.name)
    return count, size, pyc, len(buffer.getvalue())


@pytest.mark.parametrize("bytecode", [True, False])
def test_estimate_matches_a_real_pip_install(tmp_path: Path, bytecode: bool) -> None:
    entry_points = textwrap.dedent(
        """\
        [console_scripts]
        realcode = realcode:main
        """
    ).encode()
    wheel = build_wheel(
        tmp_path / "wheels",
        "realcode",
        "1.0",
        modules=[],
        files={**real_code(), "realcode-1.0.dist-info/entry_points.txt": entry_points},
    )
    prefix = tmp_path / "prefix"
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--isolated"]
    command += ["--disable-pip-version-check", "--no-warn-script-location", "--prefix"]
    command += [str(prefix), "--find-links", str(wheel.parent), "realcode"]  # as from an index
    if not bytecode:
        command.insert(4, "--no-compile")
    subprocess.run(command, check=True, capture_output=True, env={**os.environ, "PYTHONPATH": ""})
    files, size, pyc, tar_size = installed_files(prefix)
    estimate = installed_estimate(
        members(wheel), python=sys.version_info[:2], bytecode=bytecode, console_scripts=1
    )
    assert estimate.files == files
    if bytecode:
        assert pyc > 0
        assert estimate.bytecode_bytes == pytest.approx(pyc, rel=0.15)
    else:
        assert pyc == estimate.bytecode_bytes == 0
    assert estimate.file_bytes == pytest.approx(size, rel=0.10)
    assert estimate.layer_bytes == pytest.approx(tar_size, rel=0.10)
