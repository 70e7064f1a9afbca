"""Local git repositories for tests of direct references (the real ``git``, no network).

``make_repo(path)`` starts a repository on branch ``main``; ``commit(repo, files)``
writes files and commits them (returns the commit id); ``static_project`` and
``dynamic_project`` give the files of a project whose metadata is declared statically
in ``pyproject.toml``, or computed by an in-tree PEP 517 backend (``deps.txt``).
Git runs with no global or system configuration and a fixed identity (``GIT_ENV``).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

__all__ = ["GIT_ENV", "commit", "dynamic_project", "git", "make_repo", "static_project"]

GIT_ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}

STATIC = """\
[project]
name = "{name}"
version = "{version}"
requires-python = ">=3.9"
dependencies = {deps}

[project.optional-dependencies]
fast = ["speedup>=2 ; os_name == 'posix'"]
"""

# An in-tree backend whose dependencies are only known by running it (deps.txt).
BACKEND = """
import os

def _metadata():
    with open("deps.txt") as handle:
        deps = [line.strip() for line in handle if line.strip()]
    lines = ["Metadata-Version: 2.1", "Name: {name}", "Version: {version}"]
    return "\\n".join(lines + ["Requires-Dist: " + d for d in deps]) + "\\n\\n"

def get_requires_for_build_wheel(config_settings=None):
    return []

def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    info = "{dist}-{version}.dist-info"
    os.makedirs(os.path.join(metadata_directory, info))
    with open(os.path.join(metadata_directory, info, "METADATA"), "w") as handle:
        handle.write(_metadata())
    return info

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    raise RuntimeError("not needed")
"""

DYNAMIC = """\
[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]

[project]
name = "{name}"
dynamic = ["version", "dependencies"]
"""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, env=GIT_ENV, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "--quiet", "-b", "main")
    return path


def commit(repo: Path, files: dict[str, str], message: str = "change") -> str:
    for name, text in files.items():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def static_project(name: str, version: str, deps: list[str]) -> dict[str, str]:
    text = STATIC.format(name=name, version=version, deps=json.dumps(deps))
    return {"pyproject.toml": text}


def dynamic_project(name: str, version: str, deps: list[str]) -> dict[str, str]:
    dist = name.replace("-", "_")
    return {
        "pyproject.toml": DYNAMIC.format(name=name),
        "backend.py": BACKEND.format(name=name, version=version, dist=dist),
        "deps.txt": "".join(f"{d}\n" for d in deps),
    }
