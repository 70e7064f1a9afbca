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
from dataclasses import dataclass, field
from types import MappingProxyType

from depslim.scan.firstparty import ProjectLayout
from depslim.scan.records import FileScan, ImportRecord
from depslim.scan.stdlib import is_stdlib

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
    out: list[int] = []
    size = len(name)
    line, last = 1, 0
    pos = text.find(name)
    while pos != -1:
        end = pos + size
        before = text[pos - 1] if pos else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before == "_" or after.isalnum() or after == "_"):
            line += text.count("\n", last, pos)  # linear: count from the last hit
            last = pos
            if (skip is None or not skip[0] <= line <= skip[1]) and (not out or out[-1] != line):
                out.append(line)
        pos = text.find(name, end)
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
            # a lazy stdlib import needs no tier: its function need not be traced
            if record.scope is not None and not (
                record.level == 0 and is_stdlib(record.module, (3, 11))
            ):
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


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def collect_mentions(
    files: Iterable[FileScan],
    layout: ProjectLayout,
    read_text: Callable[[str], str | None],
    *,
    limit: int = 2000,
    budget: int = 400_000,
) -> Mentions:
    """Where each function holding a scoped lazy import is mentioned, and where the
    functions around those mentions are, transitively (at most ``limit`` functions
    and ``budget`` file checks, so a large tree full of lazy imports costs seconds, not
    minutes). A function left out is treated as running with its file, the safe side:
    its imports count for every entry reaching the file.

    ``read_text(file)`` returns a project file's text (``None``: unreadable). Only the
    defining file, the files importing its module, and the files importing a package
    whose ``__init__`` re-exports it are read; each file's identifiers are collected
    once, so the cost is linear in the text read plus the mentions found.
    """
    files = tuple(files)
    scoped = _scoped(files)
    todo = [(file, name) for file, names in sorted(scoped.items()) for name in sorted(names)]
    if not todo:
        return MappingProxyType({})
    spans = {scan.file: scan.functions for scan in files if scan.file.endswith(".py")}
    source = _Source(layout=layout, importers=_importers(files, layout), read_text=read_text)
    out: dict[tuple[str, str], tuple[tuple[str, int, str | None], ...]] = {}
    checks = 0
    while todo and len(out) < limit:
        file, name = todo.pop()
        if (file, name) in out:
            continue
        visible = source.readers(file)
        checks += len(visible)
        if checks > budget:
            break
        found = _places(source, spans, file, name, visible)
        todo.extend(
            (reader, via)
            for reader, _, via in found
            if via is not None and (reader, via) not in out
        )
        out[(file, name)] = tuple(found)
    return MappingProxyType(out)


@dataclass(slots=True, kw_only=True)
class _Source:
    """The project's files as the search reads them: each is read, and its identifiers
    collected, once."""

    layout: ProjectLayout
    importers: dict[str, set[str]]
    read_text: Callable[[str], str | None]
    texts: dict[str, str | None] = field(default_factory=dict)
    words: dict[str, frozenset[str]] = field(default_factory=dict)
    readers_of: dict[str, frozenset[str]] = field(default_factory=dict)

    def text_of(self, file: str) -> str | None:
        if file not in self.texts:
            self.texts[file] = self.read_text(file)
        return self.texts[file]

    def words_of(self, file: str) -> frozenset[str]:
        if file not in self.words:
            text = self.text_of(file)
            self.words[file] = frozenset(_IDENT.findall(text)) if text else frozenset()
        return self.words[file]

    def readers(self, file: str) -> frozenset[str]:
        """The files that can mention a function of ``file``: itself, the files importing
        its module, and those importing a package whose ``__init__`` re-exports it."""
        if file not in self.readers_of:
            found = {file}
            current = self.layout.module_of.get(file)
            while current:
                found |= self.importers.get(current, set())
                parent = current.rpartition(".")[0]
                init = self.layout.file_of(parent) if parent else None
                # a package re-exports the module only when its __init__ imports it
                if init is None or init not in self.importers.get(current, set()):
                    break
                current = parent
            self.readers_of[file] = frozenset(found)
        return self.readers_of[file]


def _places(
    source: _Source,
    spans: Mapping[str, Iterable[tuple[str, int, int, bool]]],
    file: str,
    name: str,
    visible: Iterable[str],
) -> list[tuple[str, int, str | None]]:
    """Where the files ``visible`` mention the function ``name`` of ``file`` (not in its
    own definition), each with the function around the mention (None: module level)."""
    own = [(a, b) for n, a, b, _ in spans.get(file, ()) if n == name]
    found: list[tuple[str, int, str | None]] = []
    for reader in sorted(visible):
        if name not in source.words_of(reader):
            continue
        text = source.text_of(reader)
        for line in find_mentions(text or "", name):
            if reader == file and any(a <= line <= b for a, b in own):
                continue  # the function itself (its def line, recursion)
            found.append((reader, line, enclosing(spans.get(reader, ()), line)))
    return found


def reached_functions(reached: Iterable[str], mentions: Mentions) -> frozenset[tuple[str, str]]:
    """The scoped functions reached when the files ``reached`` run: mentioned at module
    level of a reached file, or inside a reached function (a graph search)."""
    seen = frozenset(reached)
    waiting: dict[tuple[str, str], list[tuple[str, str]]] = {}
    queue: list[tuple[str, str]] = []
    for key, places in mentions.items():
        if key[0] not in seen:
            continue
        for file, _, via in places:
            if file not in seen:
                continue
            if via is None:
                queue.append(key)
                break
            waiting.setdefault((file, via), []).append(key)
    done: set[tuple[str, str]] = set()
    while queue:
        key = queue.pop()
        if key in done:
            continue
        done.add(key)
        queue.extend(k for k in waiting.get(key, ()) if k not in done)
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
    key = (record.file, record.scope or "")
    if record.scope is None or not record.file.endswith(".py") or key not in mentions:
        return (record.file, 0)  # unscoped, or not traced (over budget): with its file
    live = reached_functions(seen, mentions) if functions is None else functions
    if (record.file, record.scope) not in live:
        return None
    for file, line, via in mentions.get((record.file, record.scope), ()):
        if file in seen and (via is None or (file, via) in live):
            return (file, line)
    return None
