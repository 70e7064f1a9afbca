"""Function-level reachability of lazy imports, by name (pure).

An import inside a function runs only when that function runs. depslim does not build
a call graph; it uses this approximation by name: a function counts as reached by an
entry point when its name is *mentioned* — called, referenced, passed, imported by
name, or named in a string — in a project file the entry reaches, outside the
function's own body. Only the files that can see the function are searched: the file
defining it and the files importing its module or a package above it (a re-export in
``__init__.py``). What the approximation gets wrong, on purpose toward shipping too
much rather than too little: a mention inside another function that is itself never
called still counts; two functions of the same name in one module are one; a
function reached only through ``getattr(obj, some_variable)`` is not seen (its import
then keeps the tier of its file, which is what depslim did before). Decorated
functions and dunder methods are not scoped at all: the decorator registers them and
Python calls dunders, so their imports run with their file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

from depslim.scan.firstparty import ProjectLayout
from depslim.scan.records import FileScan, ImportRecord

__all__ = ["Mentions", "collect_mentions", "find_mention", "function_reference"]

#: (defining file, function name) → the ``(file, line)`` places that mention it.
Mentions = Mapping[tuple[str, str], tuple[tuple[str, int], ...]]


def find_mention(text: str, name: str, *, skip: tuple[int, int] | None = None) -> int | None:
    """The first line of ``text`` that mentions ``name`` as a word, outside ``skip``
    (first and last line of the function itself); ``None`` when there is none."""
    if name not in text:
        return None
    for match in re.finditer(rf"(?<![\w]){re.escape(name)}(?!\w)", text):
        line = text.count("\n", 0, match.start()) + 1
        if skip is None or not skip[0] <= line <= skip[1]:
            return line
    return None


def _scoped(files: Iterable[FileScan]) -> dict[str, dict[str, tuple[int, int] | None]]:
    out: dict[str, dict[str, tuple[int, int] | None]] = {}
    for scan in files:
        if not scan.file.endswith(".py"):
            continue
        for record in scan.imports:
            if record.scope is not None:
                out.setdefault(scan.file, {}).setdefault(record.scope, record.scope_lines)
    return out


def _importers(files: Iterable[FileScan], layout: ProjectLayout) -> dict[str, set[str]]:
    """Module → the project files importing it (or something inside it)."""
    out: dict[str, set[str]] = {}
    for scan in files:
        for record in scan.imports:
            for candidate in record.candidates():
                if record.level or layout.is_first_party(candidate, scan.file):
                    out.setdefault(candidate, set()).add(scan.file)
    return out


def collect_mentions(
    files: Iterable[FileScan],
    layout: ProjectLayout,
    read_text: Callable[[str], str | None],
) -> Mentions:
    """Where each function holding a scoped lazy import is mentioned.

    ``read_text(file)`` returns a project file's text (``None``: unreadable). Only the
    defining file and the files importing its module, or a package above it, are read.
    """
    files = tuple(files)
    scoped = _scoped(files)
    if not scoped:
        return MappingProxyType({})
    importers = _importers(files, layout)
    texts: dict[str, str | None] = {}

    def text_of(file: str) -> str | None:
        if file not in texts:
            texts[file] = read_text(file)
        return texts[file]

    out: dict[tuple[str, str], tuple[tuple[str, int], ...]] = {}
    for file, functions in sorted(scoped.items()):
        module = layout.module_of.get(file)
        readers = {file}
        if module:
            parts = module.split(".")
            for n in range(len(parts), 0, -1):
                readers |= importers.get(".".join(parts[:n]), set())
                # ``from pkg import mod`` names the module as pkg.mod: a candidate
        for name, span in sorted(functions.items()):
            found: list[tuple[str, int]] = []
            for reader in sorted(readers):
                text = text_of(reader)
                if text is None:
                    continue
                line = find_mention(text, name, skip=span if reader == file else None)
                if line is not None:
                    found.append((reader, line))
            out[(file, name)] = tuple(found)
    return MappingProxyType(out)


def function_reference(
    record: ImportRecord, reached: Iterable[str] | frozenset[str], mentions: Mentions
) -> tuple[str, int] | None:
    """Where, in the files ``reached``, the function holding ``record`` is mentioned;
    ``None`` when it is not. Unscoped imports (module level, decorated functions,
    notebooks) are referenced by their own file: ``(file, 0)`` when it is reached."""
    seen = reached if isinstance(reached, frozenset | set) else frozenset(reached)
    if record.file not in seen:
        return None
    if record.scope is None or not record.file.endswith(".py"):
        return (record.file, 0)
    for file, line in mentions.get((record.file, record.scope), ()):
        if file in seen:
            return (file, line)
    return None
