"""Merge the user's input files into one :class:`~depslim.models.Inputs`.

Requirements files and ``pyproject.toml`` files are parsed and merged in order: the
first ``--index-url`` wins, extra indexes and find-links accumulate, and a local project
folder (``-e .``) is replaced by its own static dependencies. Also pip's rule for
combining ``--only-binary`` / ``--no-binary`` values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from packaging.utils import canonicalize_name

from depslim.errors import InputError
from depslim.inputs.files import read_text_file
from depslim.inputs.pyproject import parse_pyproject
from depslim.inputs.requirements import parse_requirements
from depslim.models import InputRequirement, Inputs

__all__ = ["binary_sets", "read_inputs", "unique"]


def read_inputs(
    paths: Sequence[Path], *, extras: Sequence[str], groups: Sequence[str], all_extras: bool
) -> Inputs:
    """Parse and merge the input files (local projects expanded to their dependencies)."""
    merged: list[InputRequirement] = []
    index_url: str | None = None
    extra: list[str] = []
    find_links: list[str] = []
    pre = no_index = False
    only_binary: list[str] = []
    no_binary: list[str] = []
    for path in paths:
        if not path.is_file():
            raise InputError(f"{path}: no such file (give a requirements file or pyproject.toml)")
        if path.name.endswith(".toml"):
            inputs = parse_pyproject(
                _toml_text(path), path=path, extras=extras, groups=groups, all_extras=all_extras
            )
        else:
            if extras or groups or all_extras:
                raise InputError(f"{path}: --extra and --group apply to pyproject.toml inputs only")
            inputs = parse_requirements(path)
        merged.extend(_expand_local_projects(inputs.requirements))
        index_url = index_url or inputs.index_url
        extra += [u for u in inputs.extra_index_urls if u not in extra]
        find_links += [u for u in inputs.find_links if u not in find_links]
        pre = pre or inputs.pre
        no_index = no_index or inputs.no_index
        only_binary += inputs.only_binary
        no_binary += inputs.no_binary
    return Inputs(
        requirements=tuple(merged),
        index_url=index_url,
        extra_index_urls=tuple(extra),
        find_links=tuple(find_links),
        pre=pre,
        files=tuple(paths),
        no_index=no_index,
        only_binary=tuple(only_binary),
        no_binary=tuple(no_binary),
    )


def _expand_local_projects(items: Iterable[InputRequirement]) -> list[InputRequirement]:
    """Replace a local project folder (``-e .``) by its own static dependencies.

    The folder itself is not pinned: it is the application being locked. Its
    ``pyproject.toml`` must declare dependencies statically; anything else would need a build.
    """
    out: list[InputRequirement] = []
    pending = list(items)
    seen: set[Path] = set()
    while pending:
        item = pending.pop(0)
        folder = Path(item.path) if item.path else None
        if folder is None or not folder.is_dir():
            out.append(item)
            continue
        pyproject = folder / "pyproject.toml"
        if not pyproject.is_file():
            raise InputError(
                f"{item.origin}: {folder} has no pyproject.toml; depslim reads a local "
                "project's dependencies from its [project] table (setup.py would need a build)"
            )
        if pyproject.resolve() in seen:
            continue
        seen.add(pyproject.resolve())
        extras = sorted(item.requirement.extras)
        inner = parse_pyproject(_toml_text(pyproject), path=pyproject, extras=extras)
        pending[0:0] = inner.requirements
    return out


def _toml_text(path: Path) -> str:
    return read_text_file(path, what="pyproject.toml")


def binary_sets(only: Sequence[str], no: Sequence[str]) -> tuple[frozenset[str], frozenset[str]]:
    """Combine --only-binary / --no-binary values (comma lists) as pip does, in order.

    Returns the (only-binary, no-binary) sets of normalized names or ``:all:``.
    """
    only_set: set[str] = set()
    no_set: set[str] = set()
    for values, target, other in ((only, only_set, no_set), (no, no_set, only_set)):
        for value in values:
            for item in (v.strip() for v in value.split(",")):
                if item == ":all:":
                    target.clear()
                    other.discard(":all:")
                    target.add(":all:")
                elif item == ":none:":
                    target.clear()
                elif item:
                    name = canonicalize_name(item)
                    other.discard(name)
                    target.add(name)
    return frozenset(only_set), frozenset(no_set)


def unique(items: Iterable[str]) -> list[str]:
    """``items`` without repeats, in first-seen order."""
    out: list[str] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out
