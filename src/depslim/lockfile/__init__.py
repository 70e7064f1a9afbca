"""Lockfile formats: requirements.txt (pip-compile compatible), PEP 751 pylock.toml and JSON."""

from depslim.lockfile.json_lock import lock_to_json
from depslim.lockfile.pylock import FORMATS, format_for_output, read_pylock, write_pylock
from depslim.lockfile.requirements_txt import (
    LockedPin,
    ReadLock,
    read_lock,
    read_requirements_lock,
    render_requirements_txt,
)

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
