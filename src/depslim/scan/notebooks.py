"""Jupyter notebooks: the Python in their code cells, with IPython syntax blanked.

Pure: bytes of an ``.ipynb`` in, :class:`~depslim.scan.records.FileScan` out. Each code
cell is scanned on its own, so one cell that does not parse costs only that cell.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from depslim.scan.imports import scan_source
from depslim.scan.records import FileScan, ImportRecord, ParseWarning, Reference

__all__ = ["blank_ipython", "code_cells", "scan_notebook"]

# Cell magics whose body is still Python (only their first line is IPython syntax).
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "python", "python3"})
_HELP_RE = re.compile(r"^[\w.\[\]()'\"]*\?{1,2}$|^\?{1,2}[\w.]+$")
_MAGIC_ASSIGN_RE = re.compile(r"^[\w.,\s\[\]()]+=\s*[!%]")


def blank_ipython(source: str) -> str:
    """``source`` with every IPython-only line turned into ``pass``, line count kept.

    Handles ``%line`` and ``%%cell`` magics, ``!shell`` commands (also indented and
    assigned: ``out = !ls``), and help syntax ``obj?`` / ``obj??`` / ``?obj``. A cell
    magic that runs another language (``%%bash``, ``%%writefile``, …) blanks the cell.
    """
    lines = source.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = lines[first].lstrip()[2:].split(maxsplit=1)
        if not magic or magic[0] not in _PYTHON_CELL_MAGICS:
            return "\n" * len(lines)
        lines[first] = ""
    out: list[str] = []
    for line in lines:
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        body = stripped.rstrip()
        if (
            body.startswith(("%", "!"))
            or (body and _HELP_RE.match(body))
            or _MAGIC_ASSIGN_RE.match(body)
        ):
            out.append(f"{indent}pass")
        else:
            out.append(line)
    return "\n".join(out)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return value if isinstance(value, str) else ""


def _is_python(nb: Mapping[str, Any]) -> bool:
    metadata = nb.get("metadata")
    if not isinstance(metadata, Mapping):
        return True
    for key in ("language_info", "kernelspec"):
        info = metadata.get(key)
        if isinstance(info, Mapping):
            language = info.get("language") if key == "kernelspec" else info.get("name")
            if isinstance(language, str) and language:
                return language.lower() in ("python", "python3", "ipython", "python2")
    return True


def code_cells(nb: Mapping[str, Any]) -> Iterator[tuple[int, str]]:
    """``(cell number, source)`` of each code cell (1-based among all cells).

    Reads nbformat 4 (``cells``) and nbformat 3 (``worksheets[].cells[].input``).
    """
    cells: list[Any] = []
    if isinstance(nb.get("cells"), list):
        cells = nb["cells"]
    elif isinstance(nb.get("worksheets"), list):
        for sheet in nb["worksheets"]:
            if isinstance(sheet, Mapping) and isinstance(sheet.get("cells"), list):
                cells.extend(sheet["cells"])
    for number, cell in enumerate(cells, start=1):
        if isinstance(cell, Mapping) and cell.get("cell_type") == "code":
            yield number, _text(cell.get("source", cell.get("input", "")))


def scan_notebook(data: bytes | str, *, file: str, package: str | None = None) -> FileScan:
    """Every import in the notebook's code cells; a broken cell becomes a warning."""
    try:
        nb = json.loads(data)
    except (ValueError, RecursionError) as exc:
        line = getattr(exc, "lineno", None)
        return FileScan(
            file=file,
            warnings=(ParseWarning(file=file, line=line, message=f"not a notebook: {exc}"),),
        )
    if not isinstance(nb, Mapping):
        return FileScan(
            file=file,
            warnings=(ParseWarning(file=file, line=None, message="not a notebook: no cells"),),
        )
    if not _is_python(nb):
        return FileScan(file=file)
    imports: list[ImportRecord] = []
    references: list[Reference] = []
    warnings: list[ParseWarning] = []
    for number, source in code_cells(nb):
        result = scan_source(blank_ipython(source), file=file, package=package, cell=number)
        imports.extend(result.imports)
        references.extend(result.references)
        warnings.extend(result.warnings)
    return FileScan(
        file=file, imports=tuple(imports), references=tuple(references), warnings=tuple(warnings)
    )
