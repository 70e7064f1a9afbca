"""The import scanner: Python source text in, :class:`ImportRecord` values out.

Pure: no file access. It walks statement lists (module, function, class and block
bodies) instead of every node, which is what keeps it fast on large trees; call
expressions are only searched where the text mentions ``import_module``,
``__import__`` or ``find_spec``. The tree is dropped before returning.
"""

from __future__ import annotations

import ast
import gc
import io
import re
import tokenize
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from depslim.scan.indirect import indirect_references
from depslim.scan.records import (
    NEGATED_OPS,
    Condition,
    FileScan,
    ImportRecord,
    ParseWarning,
    Reference,
)
from depslim.scan.refs import django_apps, sqlalchemy_urls

__all__ = ["decode_source", "resolve_relative", "scan_bytes", "scan_source"]

_IGNORE_RE = re.compile(r"#\s*depslim:\s*ignore\b(?:\[([^\]]*)\])?")
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_COMPARE_OPS: dict[type[ast.cmpop], str] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
}
_SWAPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


@dataclass(frozen=True, slots=True)
class _Ctx:
    lazy: bool = False
    typing_only: bool = False
    optional: bool = False
    main_guard: bool = False
    fallback_for: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    scope: str | None = None
    scope_lines: tuple[int, int] | None = None
    # directly in a class body: (name, first line, last line); "" = inherit the scope
    cls: tuple[str, int, int] | None = None


_TOP = _Ctx()


def decode_source(data: bytes) -> str:
    """Decode Python source bytes as the interpreter would (BOM, PEP 263 cookie, UTF-8).

    Raises ``SyntaxError`` for an unknown or inconsistent cookie and
    ``UnicodeDecodeError`` when the bytes do not match the encoding.
    """
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    text = data.decode(encoding)
    return text[1:] if text.startswith("\ufeff") else text


def resolve_relative(module: str | None, level: int, package: str | None) -> str | None:
    """The absolute name of ``from .{level}module import``; ``None`` beyond the top."""
    if level == 0:
        return module or None
    if not package:
        return None
    parts = package.split(".")
    if level - 1 > len(parts) - 1:
        return None
    base = parts[: len(parts) - (level - 1)]
    if module:
        base.append(module)
    return ".".join(base)


def scan_bytes(
    data: bytes, *, file: str, package: str | None = None, cell: int | None = None
) -> FileScan:
    """Scan raw file bytes; decoding problems become a :class:`ParseWarning`."""
    try:
        text = decode_source(data)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return FileScan(
            file=file,
            warnings=(ParseWarning(file=file, line=line, message=f"cannot decode: {exc.reason}"),),
        )
    except (SyntaxError, LookupError) as exc:
        line = getattr(exc, "lineno", None) or 1
        message = getattr(exc, "msg", None) or str(exc)
        return FileScan(
            file=file,
            warnings=(ParseWarning(file=file, line=line, message=f"bad encoding: {message}"),),
        )
    return scan_source(text, file=file, package=package, cell=cell)


def scan_source(
    source: str, *, file: str = "<string>", package: str | None = None, cell: int | None = None
) -> FileScan:
    """Every import in ``source``, with its context; a parse error becomes a warning.

    ``package`` is the dotted package the file belongs to (``app.api`` for
    ``app/api/routes.py``; the package itself for an ``__init__.py``); relative
    imports are resolved against it.
    """
    # The tree is acyclic and dropped before returning: the cyclic garbage collector
    # only slows the parse down (it scans every new node, superlinearly on big files).
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        return _scan_source(source, file=file, package=package, cell=cell)
    finally:
        if gc_was_on:
            gc.enable()


def _scan_source(source: str, *, file: str, package: str | None, cell: int | None) -> FileScan:
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences in user code are not our warnings to raise.
            warnings.simplefilter("ignore")
            tree = ast.parse(source, filename=file)
    except SyntaxError as exc:
        return FileScan(file=file, warnings=(_syntax_warning(exc, file, cell),))
    except (ValueError, RecursionError, MemoryError) as exc:
        return FileScan(
            file=file,
            warnings=(
                ParseWarning(file=file, line=None, message=str(exc) or repr(exc), cell=cell),
            ),
        )
    scanner = _Scanner(source, file=file, package=package, cell=cell)
    try:
        scanner.body(tree.body, _TOP)
    except RecursionError:
        return FileScan(
            file=file,
            warnings=(
                ParseWarning(file=file, line=None, message="nested too deeply to scan", cell=cell),
            ),
        )
    del tree
    urls = "://" in source or "django.db.backends" in source
    refs = sqlalchemy_urls(source, file=file) if urls else ()
    if "://" in source or "environ" in source or "putenv" in source:
        refs = (*refs, *indirect_references(source, file=file))
    return FileScan(
        file=file,
        imports=tuple(scanner.records),
        references=(*refs, *scanner.references),
        functions=tuple(scanner.functions),
    )


def _syntax_warning(exc: SyntaxError, file: str, cell: int | None) -> ParseWarning:
    message = exc.msg or "invalid syntax"
    text = (exc.text or "").strip()
    if text.startswith(("print ", "exec ")) or "Missing parentheses" in message:
        message += " (Python 2 code?)"
    return ParseWarning(file=file, line=exc.lineno, message=f"syntax error: {message}", cell=cell)


def _name_of(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of attributes on a name, else ``None``."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _is_type_checking(node: ast.expr) -> bool:
    name = _name_of(node)
    return name is not None and name.rsplit(".", 1)[-1] == "TYPE_CHECKING"


def _is_main_guard(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return False
    if not isinstance(test.ops[0], ast.Eq):
        return False
    sides = (test.left, test.comparators[0])
    names = {s.id for s in sides if isinstance(s, ast.Name)}
    consts = {s.value for s in sides if isinstance(s, ast.Constant)}
    return names == {"__name__"} and consts == {"__main__"}


def _version_tuple(node: ast.expr) -> str | None:
    if isinstance(node, ast.Tuple) and node.elts:
        values = [e.value for e in node.elts if isinstance(e, ast.Constant)]
        if len(values) == len(node.elts) and all(type(v) is int and 0 <= v < 1000 for v in values):
            return ".".join(str(v) for v in values)
    return None


def _is_version_info(node: ast.expr) -> bool:
    if isinstance(node, ast.Subscript):  # sys.version_info[:2]
        node = node.value
    name = _name_of(node)
    return name in ("sys.version_info", "version_info")


def _condition(test: ast.expr) -> Condition | None:
    """A ``sys.version_info``/``sys.platform`` comparison as a :class:`Condition`."""
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute):
        if (
            test.func.attr == "startswith"
            and _name_of(test.func.value) in ("sys.platform", "platform")
            and len(test.args) == 1
            and isinstance(test.args[0], ast.Constant)
            and isinstance(test.args[0].value, str)
        ):
            return Condition(subject="platform", op="startswith", value=test.args[0].value)
        return None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _condition(test.operand)
        return None if inner is None else _negate(inner)
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    op = _COMPARE_OPS.get(type(test.ops[0]))
    if op is None:
        return None
    left, right = test.left, test.comparators[0]
    if _is_version_info(right) and not _is_version_info(left):
        left, right, op = right, left, _SWAPPED[op]
    if _is_version_info(left):
        value = _version_tuple(right)
        return None if value is None else Condition(subject="python", op=op, value=value)
    if _name_of(right) == "sys.platform":
        left, right = right, left
    if (
        _name_of(left) == "sys.platform"
        and op in ("==", "!=")
        and isinstance(right, ast.Constant)
        and isinstance(right.value, str)
    ):
        return Condition(subject="platform", op=op, value=right.value)
    return None


def _negate(cond: Condition) -> Condition:
    if cond.op == "startswith":
        return replace(cond, op="!startswith")
    if cond.op == "!startswith":
        return replace(cond, op="startswith")
    return replace(cond, op=NEGATED_OPS[cond.op])


def _catches_import_error(handlers: Iterable[ast.ExceptHandler]) -> bool:
    for handler in handlers:
        if handler.type is None:
            return True
        types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        for t in types:
            name = _name_of(t)
            if name is not None and name.rsplit(".", 1)[-1] in _IMPORT_ERRORS:
                return True
    return False


def _suppresses_import_error(items: Iterable[ast.withitem]) -> bool:
    for item in items:
        call = item.context_expr
        if isinstance(call, ast.Call):
            func = _name_of(call.func)
            if func is not None and func.rsplit(".", 1)[-1] == "suppress":
                for arg in call.args:
                    name = _name_of(arg)
                    if name is not None and name.rsplit(".", 1)[-1] in _IMPORT_ERRORS:
                        return True
    return False


def _function_ctx(node: ast.FunctionDef | ast.AsyncFunctionDef, ctx: _Ctx) -> _Ctx:
    """The context of a function body: lazy, and scoped to the function's name when
    only a call or reference by name runs it (a decorator registers a decorated
    function; Python calls dunders itself), else to the enclosing scope."""
    name = node.name
    if ctx.cls is not None:
        # A method runs whenever its class is used (frameworks call overridden methods
        # by themselves): it is scoped to the class, which must be mentioned by name.
        cls, first, last = ctx.cls
        if not cls:
            return replace(ctx, lazy=True, cls=None)
        return replace(ctx, lazy=True, cls=None, scope=cls, scope_lines=(first, last))
    if node.decorator_list or (name.startswith("__") and name.endswith("__")):
        return replace(ctx, lazy=True)
    end = getattr(node, "end_lineno", None) or node.lineno
    return replace(ctx, lazy=True, scope=name, scope_lines=(node.lineno, end))


def _parse_ignore(line: str) -> tuple[bool, frozenset[str]] | None:
    match = _IGNORE_RE.search(line)
    if match is None:
        return None
    codes = match.group(1)
    if codes is None:
        return True, frozenset()
    parsed = frozenset(c.strip().upper() for c in codes.split(",") if c.strip())
    return (not parsed), parsed


class _Scanner:
    __slots__ = (
        "cell",
        "dynamic",
        "file",
        "functions",
        "has_comments",
        "lines",
        "package",
        "records",
        "references",
        "source",
    )

    def __init__(self, source: str, *, file: str, package: str | None, cell: int | None) -> None:
        self.source = source
        self.file = file
        self.package = package
        self.cell = cell
        self.records: list[ImportRecord] = []
        self.functions: list[tuple[str, int, int, bool]] = []
        self.references: list[Reference] = []
        self.dynamic = "import_module" in source or "__import__" in source or "find_spec" in source
        self.has_comments = "depslim" in source
        self.lines: list[str] | None = None

    # ---- records ------------------------------------------------------------------

    def add(
        self,
        node: ast.AST,
        module: str,
        ctx: _Ctx,
        *,
        names: tuple[str, ...] = (),
        level: int = 0,
        dynamic: bool = False,
        optional: bool = False,
    ) -> None:
        lineno = getattr(node, "lineno", 1)
        ignore_all, codes = False, frozenset[str]()
        if self.has_comments:
            if self.lines is None:
                self.lines = self.source.splitlines()
            end = getattr(node, "end_lineno", None) or lineno
            for text in self.lines[lineno - 1 : end]:
                parsed = _parse_ignore(text)
                if parsed is not None:
                    ignore_all, codes = parsed
                    break
        self.records.append(
            ImportRecord(
                module=module,
                file=self.file,
                line=lineno,
                names=names,
                level=level,
                cell=self.cell,
                lazy=ctx.lazy,
                typing_only=ctx.typing_only,
                optional=ctx.optional or optional,
                main_guard=ctx.main_guard,
                dynamic=dynamic,
                fallback_for=ctx.fallback_for,
                conditions=ctx.conditions,
                ignore_all=ignore_all,
                ignore_codes=codes,
                scope=ctx.scope,
                scope_lines=ctx.scope_lines,
            )
        )

    # ---- statements ---------------------------------------------------------------

    def body(self, stmts: list[ast.stmt], ctx: _Ctx) -> None:
        for stmt in stmts:
            self.stmt(stmt, ctx)

    def stmt(self, node: ast.stmt, ctx: _Ctx) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.add(node, alias.name, ctx)
        elif isinstance(node, ast.ImportFrom):
            self.import_from(node, ctx)
        elif isinstance(node, ast.If):
            self.if_(node, ctx)
        elif isinstance(node, ast.Try | ast.TryStar):
            self.try_(node, ctx)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self.function_def(node, ctx)
        elif isinstance(node, ast.ClassDef):
            self.class_def(node, ctx)
        elif isinstance(node, ast.With | ast.AsyncWith):
            if self.dynamic:
                self.exprs([item.context_expr for item in node.items], ctx)
            inner = replace(ctx, optional=True) if _suppresses_import_error(node.items) else ctx
            self.body(node.body, inner)
        elif isinstance(node, ast.For | ast.AsyncFor | ast.While):
            if self.dynamic:
                self.exprs([node.iter if not isinstance(node, ast.While) else node.test], ctx)
            self.body(node.body, ctx)
            self.body(node.orelse, ctx)
        elif isinstance(node, ast.Match):
            if self.dynamic:
                self.exprs([node.subject], ctx)
            for case in node.cases:
                self.body(case.body, ctx)
        else:
            if isinstance(node, ast.Assign | ast.AugAssign) and not ctx.lazy:
                self.settings(node)
            if self.dynamic:
                self.exprs([node], ctx)

    def import_from(self, node: ast.ImportFrom, ctx: _Ctx) -> None:
        """``from M import ...``; a relative import is recorded resolved against the
        file's package when it can be (its level kept), dotted as written otherwise."""
        names = tuple(a.name for a in node.names)
        if node.level:
            resolved = resolve_relative(node.module, node.level, self.package)
            module = resolved or "." * node.level + (node.module or "")
            self.add(node, module, ctx, names=names, level=node.level)
        elif node.module:
            self.add(node, node.module, ctx, names=names)

    def function_def(self, node: ast.FunctionDef | ast.AsyncFunctionDef, ctx: _Ctx) -> None:
        """A function: its decorators and defaults run now, its body lazily."""
        if self.dynamic:
            self.exprs(node.decorator_list, ctx)
            defaults = [d for d in node.args.kw_defaults if d is not None]
            self.exprs([*node.args.defaults, *defaults], ctx)
        inner = _function_ctx(node, ctx)
        end = getattr(node, "end_lineno", None) or node.lineno
        self.functions.append((node.name, node.lineno, end, inner.scope != node.name))
        self.body(node.body, inner)

    def class_def(self, node: ast.ClassDef, ctx: _Ctx) -> None:
        """A class: its body runs now; its methods are scoped by the class, or take the
        current scope inside a function or under a decorator."""
        if self.dynamic:
            self.exprs([*node.decorator_list, *node.bases], ctx)
        end = getattr(node, "end_lineno", None) or node.lineno
        if ctx.lazy or node.decorator_list:
            # in a function (its methods run when the function does), or decorated
            # (the decorator may register it): methods take the current scope
            self.functions.append((node.name, node.lineno, end, True))
            self.body(node.body, replace(ctx, cls=("", node.lineno, end)))
        else:
            self.functions.append((node.name, node.lineno, end, False))
            self.body(node.body, replace(ctx, cls=(node.name, node.lineno, end)))

    def if_(self, node: ast.If, ctx: _Ctx) -> None:
        test = node.test
        if self.dynamic:
            self.exprs([test], ctx)
        then, other = ctx, ctx
        if _is_type_checking(test):
            then = replace(ctx, typing_only=True)
        elif (
            isinstance(test, ast.UnaryOp)
            and isinstance(test.op, ast.Not)
            and _is_type_checking(test.operand)
        ):
            other = replace(ctx, typing_only=True)
        elif _is_main_guard(test):
            then = replace(ctx, main_guard=True)
        elif isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
            conds = [_condition(v) for v in test.values]
            known = tuple(c for c in conds if c is not None)
            if any(_is_type_checking(v) for v in test.values):
                then = replace(ctx, typing_only=True)
            if known:
                then = replace(then, conditions=(*then.conditions, *known))
        else:
            cond = _condition(test)
            if cond is not None:
                then = replace(ctx, conditions=(*ctx.conditions, cond))
                other = replace(ctx, conditions=(*ctx.conditions, _negate(cond)))
        self.body(node.body, then)
        self.body(node.orelse, other)

    def try_(self, node: ast.Try | ast.TryStar, ctx: _Ctx) -> None:
        guarded = _catches_import_error(node.handlers)
        start = len(self.records)
        self.body(node.body, replace(ctx, optional=True) if guarded else ctx)
        tried = tuple(dict.fromkeys(r.module for r in self.records[start:]))
        for handler in node.handlers:
            if self.dynamic and handler.type is not None:
                self.exprs([handler.type], ctx)
            inner = replace(ctx, fallback_for=tried) if guarded and tried else ctx
            self.body(handler.body, inner)
        self.body(node.orelse, ctx)
        self.body(node.finalbody, ctx)

    # ---- expressions (only in files that mention a dynamic import) ----------------

    def exprs(self, nodes: Iterable[ast.AST], ctx: _Ctx) -> None:
        for root in nodes:
            for node in ast.walk(root):
                if isinstance(node, ast.Call):
                    self.call(node, ctx)

    def call(self, node: ast.Call, ctx: _Ctx) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name not in ("import_module", "__import__", "find_spec") or not node.args:
            return
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            return
        target = first.value
        if target.startswith("."):
            package = _package_argument(node) or self.package
            level = len(target) - len(target.lstrip("."))
            resolved = resolve_relative(target[level:] or None, level, package)
            module = resolved or target
            self.add(node, module, ctx, level=level, dynamic=True)
            return
        if not all(part.isidentifier() for part in target.split(".")):
            return
        self.add(node, target, ctx, dynamic=True, optional=name == "find_spec")

    # ---- settings-style string references ----------------------------------------

    def settings(self, node: ast.Assign | ast.AugAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if any(isinstance(t, ast.Name) and t.id == "INSTALLED_APPS" for t in targets):
            self.references.extend(django_apps(_strings(node.value), file=self.file))


def _package_argument(node: ast.Call) -> str | None:
    values = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "package")]
    for value in values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value
    return None


def _strings(node: ast.expr) -> Iterator[tuple[str, int]]:
    """String constants of a list/tuple literal (or a sum of them), with their lines."""
    if isinstance(node, ast.BinOp):
        yield from _strings(node.left)
        yield from _strings(node.right)
    elif isinstance(node, ast.List | ast.Tuple | ast.Set):
        for elt in node.elts:
            if isinstance(elt, ast.Constant) and isinstance(elt.value, str):
                yield elt.value, elt.lineno
