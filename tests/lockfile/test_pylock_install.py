"""A real installer that reads PEP 751 installs what ``write_pylock`` wrote.

The installer is uv (``uv pip install -r pylock.toml``, from the ``uv`` package of the
test extra). The wheels are built here and served by two local index servers: one as
PyPI, one imitating download.pytorch.org for the rerouted torch build. uv is run with no
configuration, a private cache and no index of its own, so everything it installs comes
from the URLs the lock names, checked against the lock's hashes.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version
from uv import find_uv_bin

from depslim.lockfile import write_pylock
from depslim.models import Lock, Pin, PinnedFile
from depslim.target import Target
from support.index_server import IndexServer
from support.wheelhouse import no_network_prefix
from support.wheels import build_wheel, file_sha256

HOST = Target.parse(
    "linux/arm64" if platform.machine().lower() in ("aarch64", "arm64") else "linux/amd64",
    python=f"{sys.version_info.major}.{sys.version_info.minor}",
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the lock names a Linux target"
)


def _uv_env(tmp_path: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith(("UV_", "PIP_", "VIRTUAL_ENV")) and key != "PYTHONPATH"
    }
    env.update(
        UV_NO_CONFIG="1",
        UV_CACHE_DIR=str(tmp_path / "uv-cache"),
        UV_PYTHON_DOWNLOADS="never",
        UV_NO_PROGRESS="1",
    )
    return env


def _uv(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [find_uv_bin(), *args],
        env=_uv_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _pin(server: IndexServer, wheel: Path, via: str, *deps: str) -> Pin:
    name, version = wheel.name.split("-")[:2]
    return Pin(
        name=canonicalize_name(name),
        version=Version(version),
        index=server.url,
        files=(
            PinnedFile(
                filename=wheel.name,
                url=server.file_url(wheel.name),
                sha256=file_sha256(wheel),
                size=wheel.stat().st_size,
                upload_time="2024-05-01T10:00:00Z",
            ),
        ),
        via=(via,),
        dependencies=tuple(canonicalize_name(d) for d in deps),
    )


@pytest.fixture
def served_lock(
    tmp_path_factory: pytest.TempPathFactory, index_server: Callable[..., IndexServer]
) -> tuple[Lock, IndexServer, IndexServer]:
    pypi_dir = tmp_path_factory.mktemp("pypi")
    torch_dir = tmp_path_factory.mktemp("torch")
    app = build_wheel(pypi_dir, "app-core", "1.0", requires=["helper>=2", "torch"])
    helper = build_wheel(pypi_dir, "helper", "2.1")
    torch = build_wheel(torch_dir, "torch", "2.3.0+cpu", requires=["helper"])
    pypi = index_server(pypi_dir)
    pytorch = index_server(torch_dir, pytorch_style=True)
    lock = Lock(
        target=HOST,
        pins=(
            _pin(pypi, app, "-r requirements.in", "helper", "torch"),
            _pin(pypi, helper, "app-core"),
            _pin(pytorch, torch, "app-core", "helper"),
        ),
        index_url=pypi.url,
        torch_index_url=pytorch.url,
        command="depslim lock requirements.in -o pylock.toml",
    )
    return lock, pypi, pytorch


_LIST_DISTRIBUTIONS = (
    "import importlib.metadata as m;"
    "print('\\n'.join(f'{d.name}=={d.version}' for d in m.distributions()))"
)


def _installed(venv: Path) -> dict[str, str]:
    python = venv / "bin" / "python"
    out = subprocess.run(
        [
            str(python),
            "-c",
            _LIST_DISTRIBUTIONS,
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ.get("PATH", "")},
    ).stdout
    pairs = (line.split("==") for line in out.splitlines() if "==" in line)
    return {canonicalize_name(name): version for name, version in pairs}


def test_uv_installs_the_written_lock_from_each_packages_own_index(
    tmp_path: Path, served_lock: tuple[Lock, IndexServer, IndexServer]
) -> None:
    lock, pypi, pytorch = served_lock
    (tmp_path / "pylock.toml").write_text(write_pylock(lock), encoding="utf-8")
    made = _uv(tmp_path, "venv", "venv", "--python", sys.executable)
    assert made.returncode == 0, made.stderr

    run = _uv(
        tmp_path,
        "pip",
        "install",
        "--preview-features",
        "pylock",
        "--python",
        "venv/bin/python",
        "-r",
        "pylock.toml",
    )

    assert run.returncode == 0, run.stderr
    installed = _installed(tmp_path / "venv")
    assert installed["app-core"] == "1.0"
    assert installed["helper"] == "2.1"
    assert installed["torch"] == "2.3.0+cpu"
    # each wheel came from the index the lock names for it, and nothing else was asked
    assert {r.path for r in pytorch.log} == {"/files/torch-2.3.0+cpu-py3-none-any.whl"}
    assert {r.path for r in pypi.log} == {
        "/files/app_core-1.0-py3-none-any.whl",
        "/files/helper-2.1-py3-none-any.whl",
    }


def test_uv_refuses_a_lock_whose_hash_does_not_match(
    tmp_path: Path, served_lock: tuple[Lock, IndexServer, IndexServer]
) -> None:
    lock, _, _ = served_lock
    helper = lock.pin("helper")
    assert helper is not None
    text = write_pylock(lock).replace(helper.files[0].sha256, "0" * 64)
    (tmp_path / "pylock.toml").write_text(text, encoding="utf-8")
    assert _uv(tmp_path, "venv", "venv", "--python", sys.executable).returncode == 0

    run = _uv(
        tmp_path,
        "pip",
        "install",
        "--preview-features",
        "pylock",
        "--python",
        "venv/bin/python",
        "-r",
        "pylock.toml",
    )

    assert run.returncode != 0
    assert "hash" in run.stderr.lower()
    assert "helper" not in _installed(tmp_path / "venv")


def test_uv_installs_a_lock_of_local_files_with_no_network_at_all(
    tmp_path: Path, wheel_dir: Path
) -> None:
    wheel = build_wheel(wheel_dir, "offline-tool", "3.0")
    pin = Pin(
        name=canonicalize_name("offline-tool"),
        version=Version("3.0"),
        index=wheel_dir.as_uri(),
        files=(
            PinnedFile(
                filename=wheel.name,
                url=wheel.as_uri(),
                sha256=file_sha256(wheel),
                size=wheel.stat().st_size,
            ),
        ),
    )
    lock = Lock(target=HOST, pins=(pin,), find_links=(wheel_dir.as_uri(),), no_index=True)
    (tmp_path / "pylock.toml").write_text(write_pylock(lock), encoding="utf-8")
    assert _uv(tmp_path, "venv", "venv", "--python", sys.executable).returncode == 0

    run = subprocess.run(
        [
            *no_network_prefix(),
            find_uv_bin(),
            "pip",
            "install",
            "--preview-features",
            "pylock",
            "--python",
            "venv/bin/python",
            "-r",
            "pylock.toml",
        ],
        env=_uv_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 0, run.stderr
    assert _installed(tmp_path / "venv")["offline-tool"] == "3.0"
