"""Lockfile formats: requirements.txt (pip-compile compatible), PEP 751 pylock.toml and JSON.

Each format loads on first use: reading a requirements lock never imports the TOML
writer.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from depslim.lockfile.json_lock import lock_to_json
    from depslim.lockfile.pylock import FORMATS, format_for_output, read_pylock, write_pylock
    from depslim.lockfile.requirements_txt import (
        LockedPin,
        ReadLock,
        read_lock,
        read_requirements_lock,
        render_requirements_txt,
    )

_MODULE_OF = {
    "lock_to_json": "depslim.lockfile.json_lock",
    "FORMATS": "depslim.lockfile.pylock",
    "format_for_output": "depslim.lockfile.pylock",
    "read_pylock": "depslim.lockfile.pylock",
    "write_pylock": "depslim.lockfile.pylock",
    "LockedPin": "depslim.lockfile.requirements_txt",
    "ReadLock": "depslim.lockfile.requirements_txt",
    "read_lock": "depslim.lockfile.requirements_txt",
    "read_requirements_lock": "depslim.lockfile.requirements_txt",
    "render_requirements_txt": "depslim.lockfile.requirements_txt",
}

__all__ = [
    "FORMATS",
    "LockedPin",
    "ReadLock",
    "format_for_output",
    "lock_to_json",
    "read_lock",
    "read_pylock",
    "read_requirements_lock",
    "render_requirements_txt",
    "write_pylock",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'depslim.lockfile' has no attribute {name!r}")
    return getattr(import_module(module), name)
