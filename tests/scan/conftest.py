"""Helpers for the scan tests: build real project trees on disk."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

Tree = Mapping[str, str | bytes]


def write_tree(root: Path, files: Tree) -> Path:
    """Write ``files`` (relative path → text or bytes) under ``root``; text is dedented."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), "utf-8")
    return root


@pytest.fixture
def make_tree(tmp_path: Path) -> Callable[[Tree], Path]:
    """Write a project tree into a fresh folder and return its root."""
    counter = iter(range(1000))

    def make(files: Tree) -> Path:
        root = tmp_path / f"project{next(counter)}"
        root.mkdir()
        return write_tree(root, files)

    return make
