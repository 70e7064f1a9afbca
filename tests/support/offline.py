"""Pytest fixtures for tests that run real installers (pip, pre-commit) with no network.

Register with ``pytest_plugins = ["support.fixtures", "support.offline"]`` in
``tests/conftest.py``.

- ``wheelhouse_cache`` (session): a folder where :func:`support.wheelhouse.build_wheelhouse`
  keeps each repacked distribution; pass it as ``cache=`` to build other wheelhouses
  cheaply in the same run.
- ``offline_wheelhouse`` (session): a folder of wheels holding everything
  ``pip install <depslim checkout>`` asks for: the ``[build-system] requires`` of
  depslim's pyproject.toml (hatchling) and its ``[project] dependencies``, each with its
  whole dependency closure, repacked from this environment.
- ``offline_env`` (per test): :func:`support.wheelhouse.offline_pip_env` for
  ``offline_wheelhouse``, as on a fresh machine: ``HOME``, ``TMPDIR`` (``pre-commit
  try-repo`` makes its whole store there, not in ``PRE_COMMIT_HOME``; pip its build
  environments), ``PRE_COMMIT_HOME`` and ``VIRTUALENV_OVERRIDE_APP_DATA`` in the test's
  own temporary directory (and no ``XDG_*`` directories), ``GIT_CONFIG_GLOBAL=os.devnull``
  and ``GIT_CONFIG_NOSYSTEM=1`` (pre-commit drops these two for the git commands it runs
  itself; the empty ``HOME`` keeps the user's git configuration away from those too).
  Give it to every subprocess that may install something; prefix the command with
  :func:`support.wheelhouse.no_network_prefix` to prove it needs no network.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.wheelhouse import build_wheelhouse, offline_pip_env, project_requirements

__all__ = ["PROJECT_ROOT", "offline_env", "offline_wheelhouse", "wheelhouse_cache"]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The depslim checkout these tests belong to (holds ``pyproject.toml``)."""


@pytest.fixture(scope="session")
def wheelhouse_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where repacked wheels are kept for the whole session."""
    return tmp_path_factory.mktemp("wheel-cache")


@pytest.fixture(scope="session")
def offline_wheelhouse(tmp_path_factory: pytest.TempPathFactory, wheelhouse_cache: Path) -> Path:
    """A folder of wheels enough to ``pip install`` depslim from source, offline."""
    dest = tmp_path_factory.mktemp("wheelhouse")
    roots = project_requirements(PROJECT_ROOT / "pyproject.toml")
    build_wheelhouse(dest, roots, cache=wheelhouse_cache)
    return dest


@pytest.fixture
def offline_env(offline_wheelhouse: Path, tmp_path: Path) -> dict[str, str]:
    """The environment for subprocesses that install from ``offline_wheelhouse`` only."""
    env = {
        key: value
        for key, value in offline_pip_env(offline_wheelhouse).items()
        if not key.startswith("XDG_")
    }
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env["HOME"] = str(home)
    temporary = tmp_path / "tmp"
    temporary.mkdir(exist_ok=True)
    env["TMPDIR"] = str(temporary)
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    env["VIRTUALENV_OVERRIDE_APP_DATA"] = str(tmp_path / "virtualenv-app-data")
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    return env
