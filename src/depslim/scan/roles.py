"""What a file is for: the application (``app``) or the developer (``dev``).

Pure: judged from the file's path inside the project alone. Tests, conftest files,
notebooks, docs, scripts, benchmarks and build/tooling files are ``dev``; the rest
is ``app``.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "DEV_DIRS_ANYWHERE",
    "DEV_DIRS_TOP",
    "DEV_FILES",
    "DEV_FILES_TOP",
    "FileRole",
    "Role",
    "Tier",
    "file_role",
]


class Tier(StrEnum):
    """The tiers dependencies are split into, in install order (base first)."""

    BASE = "base"
    ML = "ml"
    DEV = "dev"

    @property
    def rank(self) -> int:
        """0 for base, 1 for ml, 2 for dev: a dependency lands in its lowest rank."""
        return _TIER_RANK[self]


_TIER_RANK = {Tier.BASE: 0, Tier.ML: 1, Tier.DEV: 2}


class Role(StrEnum):
    """The two roles a project file can have."""

    APP = "app"
    DEV = "dev"


# Folders that hold developer-only code wherever they are (app/tests/ too).
DEV_DIRS_ANYWHERE = frozenset({"tests", "test", "__tests__"})
# Folders that hold developer-only code when they sit at the project's top (or in src/):
# a package may well ship its own ``scripts`` or ``tools`` subpackage.
DEV_DIRS_TOP = frozenset(
    {
        "docs",
        "doc",
        "scripts",
        "script",
        "tools",
        "tooling",
        "bench",
        "benchmarks",
        "benchmark",
        "examples",
        "example",
        "fixtures",
        "testdata",
        "test_data",
        "test-data",
        "notebooks",
        "notebook",
        "ci",
        ".github",
        ".gitlab",
        ".circleci",
    }
)
# File names (globs) that are developer-only wherever they are.
DEV_FILES = ("test_*.py", "*_test.py", "tests.py", "conftest.py", "*.ipynb")
# Tooling files when at the project's top (``app/tasks.py`` may hold Celery tasks).
DEV_FILES_TOP = frozenset(
    {
        "noxfile.py",
        "setup.py",
        "fabfile.py",
        "tasks.py",
        "dodo.py",
        "pavement.py",
        "toxfile.py",
        "Makefile",
        "makefile",
        "GNUmakefile",
        "justfile",
        "Justfile",
        "tox.ini",
        ".pre-commit-config.yaml",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class FileRole:
    """A file's role and the reason for it (shown as evidence)."""

    role: Role
    reason: str


def file_role(path: str, *, dev_globs: tuple[str, ...] = ()) -> FileRole:
    """The role of the project file at ``path`` (relative, ``/``-separated).

    ``dev_globs`` are extra patterns (``fnmatch`` on the whole relative path) the user
    marks as developer-only.
    """
    parts = tuple(p for p in path.split("/") if p and p != ".")
    for pattern in dev_globs:
        if fnmatch.fnmatchcase(path, pattern):
            return FileRole(role=Role.DEV, reason=f"matches {pattern}")
    folders = parts[:-1]
    for folder in folders:
        if folder in DEV_DIRS_ANYWHERE:
            return FileRole(role=Role.DEV, reason=f"in {folder}/")
    top = folders[1:2] if folders[:1] == ("src",) else folders[:1]
    if top and top[0] in DEV_DIRS_TOP:
        return FileRole(role=Role.DEV, reason=f"in {top[0]}/")
    name = parts[-1] if parts else ""
    if not folders and name in DEV_FILES_TOP:
        return FileRole(role=Role.DEV, reason=name)
    for pattern in DEV_FILES:
        if fnmatch.fnmatchcase(name, pattern):
            reason = "notebook" if pattern == "*.ipynb" else pattern
            return FileRole(role=Role.DEV, reason=reason)
    return FileRole(role=Role.APP, reason="application code")
