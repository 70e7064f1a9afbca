"""Function-level reachability of lazy imports, by name (pure).

An import inside a function runs only when that function runs. depslim does not build
a call graph; it uses this approximation by name: a function counts as reached by an
entry point when its name is *mentioned* — called, referenced, passed, imported by
name, or named in a string — in a project file the entry reaches, outside the
function's own body, by code that runs: module-level code, or the body of a function
that is itself reached (transitively). Only the files that can see the function are
searched: the file defining it and the files importing its module or a package above
it (a re-export in ``__init__.py``). What the approximation gets wrong: any function
of that name counts (a method ``load`` mentioned as ``obj.load`` anywhere that can see
the module reaches every ``load`` there), a mention in a comment or string counts, and
a function reached only through ``getattr(obj, computed_name)`` is not seen — its
import then belongs to no entry (tier dev), like a file no entry imports. Decorated
functions and dunder methods are not scoped at all: the decorator registers them and
Python calls dunders, so their imports run with their file. A method is scoped to
its class (frameworks and dependency injectors call overridden methods themselves):
its imports count once the class is mentioned.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

from depslim.scan.firstparty import ProjectLayout
from depslim.scan.records import FileScan, ImportRecord

__all__ = [
    "Mentions",
    "collect_mentions",
    "enclosing",
    "find_mention",
    "find_mentions",
    "function_reference",
    "reached_functions",
]

#: (defining file, function name) → the ``(file, line, via)`` places that mention it;
#: ``via`` is the function around the mention (``None``: module level, or a function
#: that runs with its file), which must itself be reached for the mention to count.
Mentions = Mapping[tuple[str, str], tuple[tuple[str, int, str | None], ...]]


def find_mention(text: str, name: str, *, skip: tuple[int, int] | None = None) -> int | None:
    """The first line of ``text`` that mentions ``name`` as a word, outside ``skip``
    (first and last line of the function itself); ``None`` when there is none."""
    lines = find_mentions(text, name, skip=skip)
    return lines[0] if lines else None


def find_mentions(text: str, name: str, *, skip: tuple[int, int] | None = None) -> list[int]:
    """Every line of ``text`` that mentions ``name`` as a word, outside ``skip``."""
    if name not in text:
        return []
    out: list[int] = []
    line, last = 1, 0
    for match in re.finditer(rf"(?<![\w]){re.escape(name)}(?!\w)", text):
        line += text.count("\n", last, match.start())
        last = match.start()
        if (skip is None or not skip[0] <= line <= skip[1]) and (not out or out[-1] != line):
            out.append(line)
    return out


def enclosing(functions: Iterable[tuple[str, int, int, bool]], line: int) -> str | None:
    """The innermost function around ``line`` that runs only when called by name
    (``None``: the line runs when its file does)."""
    best: tuple[int, str | None] | None = None
    for name, first, last, is_open in functions:
        if first <= line <= last and (best is None or first > best[0]):
            best = (first, None if is_open else name)
    if best is None or best[1] is not None:
        return None if best is None else best[1]
    # an open function (decorated) inside a closed one runs when the outer one does
    outer = [
        (first, name)
        for name, first, last, is_open in functions
        if first <= line <= last and not is_open and first < best[0]
    ]
    return max(outer)[1] if outer else None


def _scoped(files: Iterable[FileScan]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for scan in files:
        if not scan.file.endswith(".py"):
            continue
        for record in scan.imports:
            if record.scope is not None:
                out.setdefault(scan.file, set()).add(record.scope)
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
    *,
    limit: int = 5000,
) -> Mentions:
    """Where each function holding a scoped lazy import is mentioned, and where the
    functions around those mentions are, transitively (at most ``limit`` functions).

    ``read_text(file)`` returns a project file's text (``None``: unreadable). Only the
    defining file and the files importing its module, or a package above it, are read.
    """
    files = tuple(files)
    todo = [
        (file, name) for file, names in sorted(_scoped(files).items()) for name in sorted(names)
    ]
    if not todo:
        return MappingProxyType({})
    spans = {scan.file: scan.functions for scan in files if scan.file.endswith(".py")}
    importers = _importers(files, layout)
    texts: dict[str, str | None] = {}

    def text_of(file: str) -> str | None:
        if file not in texts:
            texts[file] = read_text(file)
        return texts[file]

    out: dict[tuple[str, str], tuple[tuple[str, int, str | None], ...]] = {}
    while todo and len(out) < limit:
        file, name = todo.pop()
        if (file, name) in out:
            continue
        module = layout.module_of.get(file)
        readers = {file}
        if module:
            parts = module.split(".")
            for n in range(len(parts), 0, -1):
                readers |= importers.get(".".join(parts[:n]), set())
        own = [(a, b) for n, a, b, _ in spans.get(file, ()) if n == name]
        found: list[tuple[str, int, str | None]] = []
        for reader in sorted(readers):
            text = text_of(reader)
            if text is None:
                continue
            for line in find_mentions(text, name):
                if reader == file and any(a <= line <= b for a, b in own):
                    continue  # the function itself (its def line, recursion)
                via = enclosing(spans.get(reader, ()), line)
                found.append((reader, line, via))
                if via is not None and (reader, via) not in out:
                    todo.append((reader, via))
        out[(file, name)] = tuple(found)
    return MappingProxyType(out)


def reached_functions(reached: Iterable[str], mentions: Mentions) -> frozenset[tuple[str, str]]:
    """The scoped functions reached when the files ``reached`` run: mentioned at module
    level of a reached file, or inside a reached function (a fixpoint)."""
    seen = frozenset(reached)
    done: set[tuple[str, str]] = set()
    changed = True
    while changed:
        changed = False
        for key, places in mentions.items():
            if key in done or key[0] not in seen:
                continue
            if any(f in seen and (via is None or (f, via) in done) for f, _, via in places):
                done.add(key)
                changed = True
    return frozenset(done)


def function_reference(
    record: ImportRecord,
    reached: Iterable[str],
    mentions: Mentions,
    functions: frozenset[tuple[str, str]] | None = None,
) -> tuple[str, int] | None:
    """Where, in the files ``reached``, the function holding ``record`` is mentioned
    by code that runs; ``None`` when it is not. Unscoped imports (module level,
    decorated functions, notebooks) are referenced by their own file: ``(file, 0)``.
    ``functions`` is :func:`reached_functions` for the same files (computed if absent)."""
    seen = reached if isinstance(reached, frozenset | set) else frozenset(reached)
    if record.file not in seen:
        return None
    if record.scope is None or not record.file.endswith(".py"):
        return (record.file, 0)
    live = reached_functions(seen, mentions) if functions is None else functions
    if (record.file, record.scope) not in live:
        return None
    for file, line, via in mentions.get((record.file, record.scope), ()):
        if file in seen and (via is None or (file, via) in live):
            return (file, line)
    return None
