"""Parse what the user declared: requirements files and ``pyproject.toml`` (pure on text)."""

from __future__ import annotations

from depslim.inputs.pyproject import parse_pyproject, project_name, read_tool_table
from depslim.inputs.requirements import (
    Reader,
    parse_requirements,
    parse_requirements_text,
    read_text,
)

__all__ = [
    "Reader",
    "parse_pyproject",
    "parse_requirements",
    "parse_requirements_text",
    "project_name",
    "read_text",
    "read_tool_table",
]
