"""Lockfile formats: requirements.txt (pip-compile compatible) and JSON."""

from depslim.lockfile.json_lock import lock_to_json
from depslim.lockfile.requirements_txt import (
    LockedPin,
    ReadLock,
    read_lock,
    read_requirements_lock,
    render_requirements_txt,
)

__all__ = [
    "LockedPin",
    "ReadLock",
    "lock_to_json",
    "read_lock",
    "read_requirements_lock",
    "render_requirements_txt",
]
