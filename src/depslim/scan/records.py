"""Values the scanner produces: one record per import, one warning per unreadable file.

Every value is frozen and carries plain data only (strings, ints, tuples), so a file's
result can be written to the JSON cache and read back unchanged
(:func:`to_json` / :func:`file_scan_from_json`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from depslim.scan.firstparty import ProjectLayout
from depslim.scan.roles import FileRole

__all__ = [
    "Condition",
    "FileScan",
    "ImportRecord",
    "ParseWarning",
    "Reference",
    "ScanResult",
    "ScanStats",
    "file_scan_from_json",
    "to_json",
]

_OPS: Mapping[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
NEGATED_OPS: Mapping[str, str] = {
    "<": ">=",
    "<=": ">",
    ">": "<=",
    ">=": "<",
    "==": "!=",
    "!=": "==",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    """A test on the running interpreter that guards an import.

    ``subject`` is ``"python"`` (``sys.version_info`` compared with a tuple, ``value``
    the dotted version) or ``"platform"`` (``sys.platform`` compared with a string,
    ``op`` ``==``/``!=`` or ``startswith``/``!startswith``).
    """

    subject: str
    op: str
    value: str

    def holds(self, *, python: tuple[int, ...], platform: str | None) -> bool | None:
        """Whether the test is true on the target; ``None`` when it cannot be told."""
        if self.subject == "python":
            # sys.version_info is a 5-tuple; a release of the target is "final".
            running: tuple[Any, ...] = (*python, *(0,) * (3 - len(python)), "final", 0)
            wanted = tuple(int(part) for part in self.value.split("."))
            try:
                return _OPS[self.op](running, wanted)
            except TypeError:  # pragma: no cover - tuples of ints only
                return None
        if platform is None:
            return None
        if self.op == "startswith":
            return platform.startswith(self.value)
        if self.op == "!startswith":
            return not platform.startswith(self.value)
        return _OPS[self.op](platform, self.value)

    @property
    def marker(self) -> str:
        """The PEP 508 marker saying the same thing (for a lockfile line)."""
        if self.subject == "python":
            parts = self.value.split(".")
            var = "python_version" if len(parts) <= 2 else "python_full_version"
            return f'{var} {self.op} "{self.value}"'
        if self.op in ("startswith", "!startswith"):
            negate = "not " if self.op.startswith("!") else ""
            return f'{negate}sys_platform.startswith("{self.value}")'
        return f'sys_platform {self.op} "{self.value}"'


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportRecord:
    """One import found in a source file.

    ``module`` is the absolute dotted module (relative imports resolved against the
    file's package); ``names`` are the names of a ``from … import`` (a name may be a
    submodule: ``from google.cloud import storage``). ``line`` is 1-based; for a
    notebook it counts inside the code cell numbered ``cell`` (1-based among all cells).

    Context flags: ``lazy`` (inside a function), ``typing_only`` (under
    ``if TYPE_CHECKING:``), ``optional`` (guarded by ``except ImportError`` or
    ``contextlib.suppress(ImportError)``, or probed with ``importlib.util.find_spec``),
    ``main_guard`` (under ``if __name__ == "__main__":``), ``dynamic``
    (``importlib.import_module("…")`` / ``__import__("…")``). ``fallback_for`` lists the
    modules of the ``try`` body when the import sits in its ``except ImportError``
    handler. ``conditions`` are the ``sys.version_info`` / ``sys.platform`` tests around
    it, all of which must hold. ``ignore_all`` / ``ignore_codes`` come from a
    ``# depslim: ignore`` / ``# depslim: ignore[CODE,…]`` comment on the line.
    """

    module: str
    file: str
    line: int
    names: tuple[str, ...] = ()
    level: int = 0
    cell: int | None = None
    lazy: bool = False
    typing_only: bool = False
    optional: bool = False
    main_guard: bool = False
    dynamic: bool = False
    fallback_for: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    ignore_all: bool = False
    ignore_codes: frozenset[str] = field(default_factory=frozenset)
    scope: str | None = None
    scope_lines: tuple[int, int] | None = None

    @property
    def top(self) -> str:
        """The first component of the module (``google`` for ``google.cloud``)."""
        return self.module.partition(".")[0]

    @property
    def where(self) -> str:
        """``file:line``, or ``file:cell N:line`` inside a notebook."""
        if self.cell is not None:
            return f"{self.file}:cell {self.cell}:{self.line}"
        return f"{self.file}:{self.line}"

    def candidates(self) -> tuple[str, ...]:
        """Dotted names this import may mean, most specific first.

        ``from google.cloud import storage`` may load ``google.cloud.storage``; the
        submodule forms come first so a longest-prefix lookup can use them.
        """
        subs = tuple(f"{self.module}.{name}" for name in self.names if name != "*")
        return (*subs, self.module) if self.module else subs

    def is_ignored(self, code: str | None = None) -> bool:
        """Whether an inline comment silences this import (for ``code``, or wholly)."""
        return self.ignore_all or (code is not None and code.upper() in self.ignore_codes)

    def applies_to(self, *, python: tuple[int, ...], platform: str | None = None) -> bool:
        """False only when one of the guarding tests is known false on the target."""
        return all(c.holds(python=python, platform=platform) is not False for c in self.conditions)


@dataclass(frozen=True, slots=True, kw_only=True)
class Reference:
    """A module or distribution named in a string rather than imported.

    ``kind`` says how it was found: ``"sqlalchemy-url"`` (``value`` is the URL's
    dialect+driver, e.g. ``postgresql+psycopg2``), ``"django-app"`` (an
    ``INSTALLED_APPS`` entry), ``"command"`` (a console command, ``value`` the command
    line, from a Dockerfile, Procfile, compose file or shell script).
    """

    kind: str
    value: str
    file: str
    line: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ParseWarning:
    """A file (or notebook cell) that could not be read or parsed; the scan went on."""

    file: str
    line: int | None
    message: str
    cell: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.cell is not None:
            where += f":cell {self.cell}"
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True, kw_only=True)
class FileScan:
    """Everything the scanner learned from one file."""

    file: str
    imports: tuple[ImportRecord, ...] = ()
    references: tuple[Reference, ...] = ()
    warnings: tuple[ParseWarning, ...] = ()
    #: every function: (name, first line, last line, open); an open one (decorated,
    #: dunder) runs without being mentioned by name.
    functions: tuple[tuple[str, int, int, bool], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanStats:
    """How much work a scan did: files parsed now versus answered from the cache."""

    files: int = 0
    parsed: int = 0
    cached: int = 0
    parallel: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanResult:
    """A scanned project: every file's imports, the project's layout and file roles.

    ``files`` holds the Python files and notebooks; ``config`` the other files read
    for rules (Dockerfile, Procfile, compose files, .env, …), as their references.
    """

    root: str
    files: tuple[FileScan, ...] = ()
    config: tuple[FileScan, ...] = ()
    layout: ProjectLayout = field(default_factory=ProjectLayout)
    roles: Mapping[str, FileRole] = field(default_factory=dict)
    stats: ScanStats = field(default_factory=ScanStats)
    #: (defining file, function) → where it is mentioned (file, line, enclosing function);
    #: see :mod:`depslim.scan.reach`.
    mentions: Mapping[tuple[str, str], tuple[tuple[str, int, str | None], ...]] = field(
        default_factory=dict
    )

    @property
    def imports(self) -> tuple[ImportRecord, ...]:
        """Every import of every file."""
        return tuple(r for f in self.files for r in f.imports)

    @property
    def references(self) -> tuple[Reference, ...]:
        """Every string reference, from source files and config files."""
        return tuple(x for f in (*self.files, *self.config) for x in f.references)

    @property
    def warnings(self) -> tuple[ParseWarning, ...]:
        """Every file or cell that could not be read or parsed."""
        return tuple(w for f in (*self.files, *self.config) for w in f.warnings)


def _record_to_json(r: ImportRecord) -> dict[str, Any]:
    out: dict[str, Any] = {"m": r.module, "l": r.line}
    if r.names:
        out["n"] = list(r.names)
    if r.level:
        out["lv"] = r.level
    if r.cell is not None:
        out["c"] = r.cell
    flags = "".join(
        ch
        for ch, on in (
            ("z", r.lazy),
            ("t", r.typing_only),
            ("o", r.optional),
            ("g", r.main_guard),
            ("d", r.dynamic),
            ("i", r.ignore_all),
        )
        if on
    )
    if flags:
        out["f"] = flags
    if r.fallback_for:
        out["fb"] = list(r.fallback_for)
    if r.conditions:
        out["k"] = [[c.subject, c.op, c.value] for c in r.conditions]
    if r.ignore_codes:
        out["ic"] = sorted(r.ignore_codes)
    if r.scope is not None:
        out["s"] = [r.scope, *(r.scope_lines or ())]
    return out


def _record_from_json(d: Mapping[str, Any], file: str) -> ImportRecord:
    flags = str(d.get("f", ""))
    return ImportRecord(
        module=str(d["m"]),
        file=file,
        line=int(d["l"]),
        names=tuple(str(n) for n in d.get("n", ())),
        level=int(d.get("lv", 0)),
        cell=None if d.get("c") is None else int(d["c"]),
        lazy="z" in flags,
        typing_only="t" in flags,
        optional="o" in flags,
        main_guard="g" in flags,
        dynamic="d" in flags,
        ignore_all="i" in flags,
        fallback_for=tuple(str(m) for m in d.get("fb", ())),
        conditions=tuple(
            Condition(subject=str(s), op=str(o), value=str(v)) for s, o, v in d.get("k", ())
        ),
        ignore_codes=frozenset(str(c) for c in d.get("ic", ())),
        scope=str(d["s"][0]) if d.get("s") else None,
        scope_lines=(int(d["s"][1]), int(d["s"][2])) if d.get("s") and len(d["s"]) == 3 else None,
    )


def to_json(scan: FileScan) -> dict[str, Any]:
    """A compact JSON-ready form of ``scan`` (without its file name)."""
    return {
        "imports": [_record_to_json(r) for r in scan.imports],
        "references": [[x.kind, x.value, x.line] for x in scan.references],
        "warnings": [[w.line, w.message, w.cell] for w in scan.warnings],
        "fn": [[n, a, b, int(o)] for n, a, b, o in scan.functions],
    }


def file_scan_from_json(data: Mapping[str, Any], file: str) -> FileScan:
    """The inverse of :func:`to_json`; raises ``KeyError``/``TypeError``/``ValueError``."""
    return FileScan(
        file=file,
        imports=tuple(_record_from_json(d, file) for d in data["imports"]),
        references=tuple(
            Reference(kind=str(k), value=str(v), file=file, line=int(n))
            for k, v, n in data["references"]
        ),
        warnings=tuple(
            ParseWarning(
                file=file,
                line=None if ln is None else int(ln),
                message=str(msg),
                cell=None if cell is None else int(cell),
            )
            for ln, msg, cell in data["warnings"]
        ),
        functions=tuple((str(n), int(a), int(b), bool(o)) for n, a, b, o in data.get("fn", ())),
    )
