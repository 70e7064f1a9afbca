"""The test wheel builder makes real artifacts: installable, hashed, deterministic."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from support.wheels import (
    build_sdist,
    build_wheel,
    file_sha256,
    metadata_text,
    sdist_filename,
    wheel_filename,
    wheel_metadata_bytes,
)


def test_filenames_follow_the_spec() -> None:
    assert wheel_filename("Foo.Bar-baz", "1.0") == "foo_bar_baz-1.0-py3-none-any.whl"
    assert wheel_filename("torch", "2.5.1+cpu", "cp311-cp311-linux_x86_64") == (
        "torch-2.5.1+cpu-cp311-cp311-linux_x86_64.whl"
    )
    assert wheel_filename("x", "01.0", build_tag="1") == "x-1.0-1-py3-none-any.whl"
    assert sdist_filename("Foo.Bar", "1.0") == "foo_bar-1.0.tar.gz"
    assert sdist_filename("foo", "1.0", "zip") == "foo-1.0.zip"


def test_wheel_record_is_true(tmp_path: Path) -> None:
    wheel = build_wheel(
        tmp_path,
        "Foo.Bar",
        "1.0",
        modules=["foo_bar", "helper.py", "ns.inner"],
        files={"foo_bar/data.json": b"{}"},
        build_tag="7",
    )
    assert wheel.name == "foo_bar-1.0-7-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        record = archive.read("foo_bar-1.0.dist-info/RECORD").decode()
        rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(record))}
        assert set(rows) == set(names)
        for name in names:
            digest, size = rows[name]
            if name.endswith("RECORD"):
                assert (digest, size) == ("", "")
                continue
            data = archive.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == "sha256=" + expected.decode()
            assert int(size) == len(data)
        wheel_text = archive.read("foo_bar-1.0.dist-info/WHEEL").decode()
    assert "ns/inner/__init__.py" in names
    assert "ns/__init__.py" not in names
    assert "Root-Is-Purelib: true" in wheel_text
    assert "Build: 7" in wheel_text


def test_platform_wheel_is_not_purelib(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, "native", "1.0", tag="cp311-cp311-manylinux_2_28_x86_64")
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read("native-1.0.dist-info/WHEEL").decode()
    assert "Root-Is-Purelib: false" in text
    assert "Tag: cp311-cp311-manylinux_2_28_x86_64" in text


def test_builds_are_deterministic(tmp_path: Path) -> None:
    first = build_wheel(tmp_path / "a", "same", "1.0", requires=["x"])
    second = build_wheel(tmp_path / "b", "same", "1.0", requires=["x"])
    assert file_sha256(first) == file_sha256(second)
    sdist_a = build_sdist(tmp_path / "a", "same", "1.0")
    sdist_b = build_sdist(tmp_path / "b", "same", "1.0")
    assert sdist_a.read_bytes() == sdist_b.read_bytes()


def test_metadata_text_with_extras() -> None:
    text = metadata_text(
        "pkg",
        "1.0",
        requires=["a"],
        requires_python=">=3.9",
        extras={"Dev": ["pytest", 'mypy; python_version >= "3.9"']},
    )
    assert text.splitlines() == [
        "Metadata-Version: 2.1",
        "Name: pkg",
        "Version: 1.0",
        "Summary: The pkg test package",
        "Requires-Python: >=3.9",
        "Requires-Dist: a",
        "Provides-Extra: Dev",
        'Requires-Dist: pytest ; extra == "dev"',
        'Requires-Dist: mypy ; (python_version >= "3.9") and extra == "dev"',
        "",
    ]


def test_sdist_layout(tmp_path: Path) -> None:
    sdist = build_sdist(tmp_path, "My-Pkg", "2.0", requires=["dep>=1"], dynamic=["Requires-Dist"])
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        pkg_info = archive.extractfile("my_pkg-2.0/PKG-INFO").read().decode()  # type: ignore[union-attr]
        pyproject = archive.extractfile("my_pkg-2.0/pyproject.toml").read().decode()  # type: ignore[union-attr]
    assert names == [
        "my_pkg-2.0/PKG-INFO",
        "my_pkg-2.0/pyproject.toml",
        "my_pkg-2.0/my_pkg/__init__.py",
        "my_pkg-2.0/setup.py",
    ]
    assert "Dynamic: Requires-Dist" in pkg_info
    assert "Requires-Dist" not in pkg_info.replace("Dynamic: Requires-Dist", "")
    assert 'build-backend = "setuptools.build_meta"' in pyproject
    assert 'dynamic = ["dependencies"]' in pyproject
    static = build_sdist(tmp_path, "static", "1.0", requires=["dep>=1"], fmt="zip")
    with zipfile.ZipFile(static) as archive:
        assert "Requires-Dist: dep>=1" in archive.read("static-1.0/PKG-INFO").decode()
        assert 'dependencies = ["dep>=1"]' in archive.read("static-1.0/pyproject.toml").decode()


def test_pip_installs_the_wheel(tmp_path: Path) -> None:
    wheel = build_wheel(
        tmp_path / "dist",
        "Installable.Pkg",
        "1.2.3+local",
        requires=["not-installed-because-no-deps"],
        modules=["installable_pkg", "ns.part"],
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    target = tmp_path / "site"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--target",
            str(target),
            str(wheel),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (target / "installable_pkg" / "__init__.py").is_file()
    assert (target / "ns" / "part" / "__init__.py").is_file()
    dist_info = target / "installable_pkg-1.2.3+local.dist-info"
    assert (dist_info / "METADATA").read_bytes() == wheel_metadata_bytes(wheel)
    assert (dist_info / "INSTALLER").read_text().strip() == "pip"
