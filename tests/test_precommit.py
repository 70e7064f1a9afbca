"""The ``depslim-check`` hook with the real ``pre-commit try-repo``, offline.

pre-commit installs depslim from a clone of this repository into its own virtualenv
(pip sees only a wheelhouse repacked from this environment: ``support.offline``), then
runs the hook in a project repository made in a temporary folder: a clean commit
passes, a commit adding ``import torch`` to an API module fails with DS005.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from depslim import api
from support.wheelhouse import no_network_prefix
from test_split import FIXTURE, PYPI, TORCH

REPO = Path(__file__).resolve().parents[1]


def git(cwd: Path, env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def pre_commit(
    cwd: Path, env: dict[str, str], *args: str, offline: bool = True
) -> subprocess.CompletedProcess[str]:
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


@pytest.fixture
def hooks_repo(tmp_path: Path, offline_env: dict[str, str]) -> Path:
    """A clone of this repository's HEAD: what `rev:` would point at."""
    pytest.importorskip("pre_commit")
    clone = tmp_path / "depslim"
    git(tmp_path, offline_env, "clone", "--quiet", str(REPO), str(clone))
    assert (clone / ".pre-commit-hooks.yaml").is_file()
    return clone


@pytest.fixture
def project(tmp_path: Path, offline_env: dict[str, str], make_index) -> tuple[Path, dict[str, str]]:
    """The shop project, locked against local indexes and committed."""
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
    env = {**offline_env, "DEPSLIM_CACHE_DIR": str(cache)}
    git(root, env, "init", "--quiet")
    git(root, env, "config", "user.name", "t")
    git(root, env, "config", "user.email", "t@example.invalid")
    git(root, env, "add", ".")
    git(root, env, "commit", "--quiet", "-m", "init")
    return root, env


def test_clean_commit_passes_and_torch_in_the_api_fails(hooks_repo, project) -> None:
    root, env = project
    clean = pre_commit(root, env, "try-repo", str(hooks_repo), "depslim-check", "--all-files")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout

    api_module = root / "src" / "shop" / "api.py"
    api_module.write_text("import torch\n" + api_module.read_text())
    git(root, env, "add", "src/shop/api.py")
    dirty = pre_commit(root, env, "try-repo", str(hooks_repo), "depslim-check")
    output = dirty.stdout + dirty.stderr
    assert dirty.returncode == 1, output
    assert "src/shop/api.py:1: DS005 [tier-violation]" in output
    assert "Failed" in output


def test_lock_hook_relocks_when_inputs_change(hooks_repo, project) -> None:
    root, env = project
    config = root / "pyproject.toml"
    config.write_text(config.read_text().replace('"uvicorn",', '"uvicorn",\n    "pluggy",'))
    git(root, env, "add", "pyproject.toml")
    # the hook resolves against the index on 127.0.0.1: no network namespace here (pip
    # still sees only the wheelhouse)
    first = pre_commit(root, env, "try-repo", str(hooks_repo), "depslim-lock", offline=False)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout
    assert "# via shop (pyproject.toml)" in (root / "requirements.txt").read_text()
    git(root, env, "add", "requirements.txt")
    second = pre_commit(root, env, "try-repo", str(hooks_repo), "depslim-lock", offline=False)
    assert second.returncode == 0, second.stdout + second.stderr
    check = pre_commit(root, env, "try-repo", str(hooks_repo), "depslim-check", "--all-files")
    assert check.returncode == 0, check.stdout + check.stderr
