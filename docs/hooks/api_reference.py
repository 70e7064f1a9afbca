"""Generate the Python API page from what ``depslim`` exports.

A MkDocs hook (``hooks:`` in ``mkdocs.yml``): in every page, a line holding only
``<!-- api-reference -->`` is replaced by one mkdocstrings block (``::: path``) per name
in ``depslim.__all__``, grouped into functions, classes and errors; then, under a
heading of their own, the names of ``depslim.api.__all__`` that the top level does not
export (yet). Nothing is listed by hand: a new export shows up in the docs by itself.

Each block names the object where it is defined (``depslim.api.lock.lock``), not where it
is re-exported: a function named like its module (``lock`` in ``depslim/api/lock.py``)
is otherwise read as the module by static analysis. The heading still reads
``depslim.lock``.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["MARKER", "api_blocks", "on_config", "on_page_markdown"]

MARKER = "<!-- api-reference -->"
"""The line a page holds where the generated reference goes."""

PUBLIC_MODULE = "depslim"
"""The module whose ``__all__`` is the public API."""

MORE_MODULES = ("depslim.api",)
"""Modules whose other exports are documented after the public ones, if they exist."""

VERB_ORDER = ("lock", "split", "layers", "report", "check", "why")
"""Functions listed first, in this order (the pipeline's); the rest alphabetically."""


def api_blocks() -> str:
    """The Markdown (headings and ``:::`` blocks) of the whole API page body."""
    public = importlib.import_module(PUBLIC_MODULE)
    seen: set[int] = set()
    parts = [_section(PUBLIC_MODULE, public, _exports(public), seen, level=2)]
    for name in MORE_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        names = [
            n
            for n in _exports(module)
            if id(getattr(module, n)) not in seen and not _private(getattr(module, n))
        ]
        if names:
            parts.append(f"## More in `{name}`\n")
            parts.append(_section(name, module, names, seen, level=3))
    return "\n".join(part for part in parts if part)


def _exports(module: Any) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return [n for n in names if hasattr(module, n) and not inspect.ismodule(getattr(module, n))]


def _private(obj: Any) -> bool:
    """Defined in a private module (``depslim.api._files``): an implementation helper."""
    where = getattr(obj, "__module__", None) or ""
    return any(part.startswith("_") for part in where.split("."))


def _section(
    module_name: str, module: Any, names: Iterable[str], seen: set[int], *, level: int
) -> str:
    functions: list[str] = []
    classes: list[str] = []
    errors: list[str] = []
    others: list[str] = []
    for name in names:
        obj = getattr(module, name)
        seen.add(id(obj))
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            errors.append(name)
        elif inspect.isclass(obj):
            classes.append(name)
        elif inspect.isfunction(obj):
            functions.append(name)
        else:
            others.append(name)
    functions.sort(key=lambda n: (VERB_ORDER.index(n) if n in VERB_ORDER else len(VERB_ORDER), n))
    heading = "#" * level
    lines: list[str] = []
    for title, group in (
        ("Functions", functions),
        ("Classes", sorted(classes)),
        ("Errors", sorted(errors)),
        ("Constants", sorted(others)),
    ):
        if not group:
            continue
        lines += [f"{heading} {title}", ""]
        for name in group:
            lines += _block(module_name, name, getattr(module, name), level=level + 1)
    return "\n".join(lines)


def _block(module_name: str, name: str, obj: Any, *, level: int) -> list[str]:
    where = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    defined = (inspect.isclass(obj) or inspect.isfunction(obj)) and where and qualname
    path = f"{where}.{qualname}" if defined else f"{module_name}.{name}"
    home = PUBLIC_MODULE.split(".", maxsplit=1)[0]
    if defined and where != home and not str(where).startswith(f"{home}."):
        # re-exported from another project: point at it, do not document its code here
        return [
            f"{'#' * min(level, 6)} `{module_name}.{name}`",
            "",
            f"Re-exported from `{where}.{qualname}`.",
            "",
        ]
    return [
        f"::: {path}",
        "    options:",
        f'      heading: "{module_name}.{name}"',
        f'      toc_label: "{name}"',
        f"      heading_level: {min(level, 6)}",
        "      show_root_full_path: false",
        "",
    ]


# --- the MkDocs hook -------------------------------------------------------------------


_reference: str | None = None


def on_config(config: Any) -> Any:
    """Import this checkout's depslim (``src/`` next to ``mkdocs.yml``) and list its API."""
    global _reference  # noqa: PLW0603 - one value per build, read by on_page_markdown
    src = Path(config["config_file_path"]).resolve().parent / "src"
    if src.is_dir() and str(src) not in sys.path:
        sys.path.insert(0, str(src))
    _reference = api_blocks()
    return config


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Replace the marker line with the generated blocks."""
    if MARKER not in markdown:
        return markdown
    if _reference is None:
        msg = "the API reference was not built (on_config did not run)"
        raise RuntimeError(msg)
    lines = markdown.split("\n")
    return "\n".join(_reference if line.strip() == MARKER else line for line in lines)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    sys.stdout.write(api_blocks())
