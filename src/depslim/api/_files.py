"""The edge of the API that touches files: atomic writes, reading locks, paths as shown."""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path

from depslim._version import package_version
from depslim.errors import InputError
from depslim.inputs.files import read_text_file
from depslim.models import Lock
from depslim.target import Target

__all__ = [
    "display_path",
    "package_version",
    "read_lock_file",
    "relative_location",
    "write_atomic",
]


# ---- files --------------------------------------------------------------------------


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half.

    The text goes to a temporary file in the same folder, is flushed to disk, then renamed
    over the target. On any failure the previous file is left byte-for-byte as it was.
    """
    target = Path(path)
    try:
        _write(target, text)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise InputError(
            f"{target}: cannot write it ({reason}); nothing was changed there. "
            "Choose a writable folder with -o, or free some space"
        ) from None


def _write(target: Path, text: str) -> None:
    if target.is_dir():
        raise IsADirectoryError(21, "it is a folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).chmod(target.stat().st_mode & 0o777 if target.exists() else 0o644)
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def display_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def read_lock_file(path: str | Path, *, target: Target) -> Lock:
    """The lock at ``path`` (requirements.txt, written by depslim or not) as a :class:`Lock`.

    ``target`` is used when the file does not name one. A relative ``--find-links`` is read
    from the file's folder, as pip does.
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise InputError(f"{path}: no such lockfile (make one with `depslim lock`)")
    text = read_text_file(path, what="lockfile")
    if _is_pylock_name(path.name):
        from depslim.lockfile.pylock import read_pylock  # TOML only for a pylock.toml

        lock = read_pylock(text, source=display_path(path), target=target)
        if not lock.pins and lock.inputs_hash is None:
            raise InputError(f"{path}: no packages for {lock.target} found in it")
    else:
        from depslim.lockfile.requirements_txt import read_lock

        lock = read_lock(text, target=target, source=display_path(path))
        if not lock.pins and lock.inputs_hash is None:  # depslim's empty tier files are fine
            raise InputError(f"{path}: no pinned requirements (name==version) found in it")
    return replace(lock, find_links=tuple(_from_folder(u, path.parent) for u in lock.find_links))


def _is_pylock_name(name: str) -> bool:
    """``pylock.toml`` or ``pylock.NAME.toml`` (PEP 751), without importing the TOML side."""
    if name == "pylock.toml":
        return True
    middle = name.removeprefix("pylock.").removesuffix(".toml")
    return (
        name.startswith("pylock.") and name.endswith(".toml") and "." not in middle and bool(middle)
    )


def _is_local_path(location: str) -> bool:
    return "://" not in location


def _from_folder(location: str, folder: Path) -> str:
    """A relative local ``location`` made absolute against ``folder``; URLs unchanged."""
    if _is_local_path(location) and not Path(location).is_absolute():
        return str((folder / location).resolve())
    return location


def relative_location(location: str, folder: Path) -> str:
    """A local path written relative to ``folder`` (where the lockfile goes), so the lock
    works on every machine that checks it out; URLs and other drives unchanged."""
    if not _is_local_path(location):
        return location
    try:
        return Path(os.path.relpath(Path(location).resolve(), folder.resolve())).as_posix()
    except ValueError:
        return location
