"""Parse what the user declared: requirements files and ``pyproject.toml`` (pure on text).

Files are read through :func:`read_text_file` (a regular file of at most
:data:`MAX_INPUT_BYTES`, UTF-8), or :func:`read_text` for requirements files, which
also decodes UTF-16 by its BOM as pip does.
"""

from __future__ import annotations

from depslim.inputs.files import MAX_INPUT_BYTES, read_text_file
from depslim.inputs.pyproject import parse_pyproject, project_name, read_tool_table
from depslim.inputs.requirements import (
    Reader,
    parse_requirements,
    parse_requirements_text,
    read_text,
)

__all__ = [
    "MAX_INPUT_BYTES",
    "Reader",
    "parse_pyproject",
    "parse_requirements",
    "parse_requirements_text",
    "project_name",
    "read_text",
    "read_text_file",
    "read_tool_table",
]
