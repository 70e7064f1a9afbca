"""The ``depslim-check`` and ``depslim-lock`` hooks with the real pre-commit, offline.

pre-commit installs depslim from a clone of this repository into its own virtualenv
(pip sees only a wheelhouse repacked from this environment: ``support.offline``), then
runs the hook in a project repository made in a temporary folder: a clean commit
passes, a commit adding ``import torch`` to an API module fails with DS005.

The project's ``.pre-commit-config.yaml`` names the clone and its commit, as a user's
names depslim's repository and a tag, and every test shares one pre-commit store: the
hook environment (a virtualenv and a pip install of depslim from source, the slow part)
is made once per run, as pre-commit makes it once per machine. ``pre-commit try-repo``,
which makes a new store each time, has its own test in ``support/test_wheelhouse.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from depslim import api
from support.wheelhouse import no_network_prefix
from test_split import FIXTURE, PYPI, TORCH

REPO = Path(__file__).resolve().parents[1]

# One worker runs them all, so the shared hook store is filled once per run.
pytestmark = pytest.mark.xdist_group("pre-commit")


def git(cwd: Path, env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def pre_commit(
    cwd: Path, env: dict[str, str], *args: str, offline: bool = True
) -> subprocess.CompletedProcess[str]:
    """``pre-commit run ARGS`` in the project (its config names the hooks clone)."""
    prefix = no_network_prefix() if offline else []
    return subprocess.run(
        [*prefix, sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="session")
def hooks_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A clone of this repository's HEAD and that commit: what ``repo:``/``rev:`` name."""
    pytest.importorskip("pre_commit")
    where = tmp_path_factory.mktemp("hooks")
    clone = where / "depslim"
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    git(where, env, "clone", "--quiet", str(REPO), str(clone))
    assert (clone / ".pre-commit-hooks.yaml").is_file()
    rev = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True, check=True
    ).stdout.strip()
    return clone, rev


@pytest.fixture(scope="session")
def pre_commit_store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One pre-commit store (and virtualenv app data) for every test of the run."""
    where = tmp_path_factory.mktemp("pre-commit-store")
    return {
        "PRE_COMMIT_HOME": str(where / "home"),
        "VIRTUALENV_OVERRIDE_APP_DATA": str(where / "virtualenv-app-data"),
    }


@pytest.fixture
def project(
    tmp_path: Path,
    offline_env: dict[str, str],
    make_index,
    hooks_repo: tuple[Path, str],
    pre_commit_store: dict[str, str],
) -> tuple[Path, dict[str, str]]:
    """The shop project, locked against local indexes, with a pre-commit config naming
    the hooks clone, committed."""
    root = tmp_path / "shop"
    shutil.copytree(FIXTURE, root)
    pypi, torch = make_index(PYPI), make_index(TORCH, pytorch_style=True)
    config = root / "pyproject.toml"
    config.write_text(
        config.read_text()
        + f'index-url = "{pypi.url}"\ntorch-index-url = "{torch.url}"\nignore = ["DS004"]\n'
    )
    cache = tmp_path / "cache"
    api.lock([config], output=root / "requirements.txt", group=["dev"], cache_dir=cache).write(
        root / "requirements.txt"
    )
    clone, rev = hooks_repo
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {clone}\n  rev: {rev}\n  hooks:\n"
        "  - id: depslim-check\n  - id: depslim-lock\n"
    )
    env = {**offline_env, **pre_commit_store, "DEPSLIM_CACHE_DIR": str(cache)}
    git(root, env, "init", "--quiet")
    git(root, env, "config", "user.name", "t")
    git(root, env, "config", "user.email", "t@example.invalid")
    git(root, env, "add", ".")
    git(root, env, "commit", "--quiet", "-m", "init")
    return root, env


def test_clean_commit_passes_and_torch_in_the_api_fails(project) -> None:
    root, env = project
    clean = pre_commit(root, env, "run", "depslim-check", "--all-files")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout

    api_module = root / "src" / "shop" / "api.py"
    api_module.write_text("import torch\n" + api_module.read_text())
    git(root, env, "add", "src/shop/api.py")
    dirty = pre_commit(root, env, "run", "depslim-check")
    output = dirty.stdout + dirty.stderr
    assert dirty.returncode == 1, output
    assert "src/shop/api.py:1: DS005 [tier-violation]" in output
    assert "Failed" in output


def test_lock_hook_relocks_when_inputs_change(project) -> None:
    root, env = project
    config = root / "pyproject.toml"
    config.write_text(config.read_text().replace('"uvicorn",', '"uvicorn",\n    "pluggy",'))
    git(root, env, "add", "pyproject.toml")
    # the hook resolves against the index on 127.0.0.1: no network namespace here (pip
    # still sees only the wheelhouse)
    first = pre_commit(root, env, "run", "depslim-lock", offline=False)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout
    assert "# via shop (pyproject.toml)" in (root / "requirements.txt").read_text()
    git(root, env, "add", "requirements.txt")
    second = pre_commit(root, env, "run", "depslim-lock", offline=False)
    assert second.returncode == 0, second.stdout + second.stderr
    check = pre_commit(root, env, "run", "depslim-check", "--all-files")
    assert check.returncode == 0, check.stdout + check.stderr
