"""The edge of the API that touches files and the environment: atomic writes, config lookup."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import replace
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version
from pathlib import Path

import platformdirs

from depslim.config import Settings, parse_settings
from depslim.errors import InputError
from depslim.inputs import read_tool_table
from depslim.lockfile import (
    ReadLock,
    read_requirements_lock,
)

__all__ = [
    "PYPI",
    "Progress",
    "cache_root",
    "display_path",
    "find_project_config",
    "load_settings",
    "package_version",
    "read_lock_file",
    "relative_location",
    "write_atomic",
]


PYPI = "https://pypi.org/simple"
Progress = Callable[[str], None]


def package_version() -> str:
    try:
        return _dist_version("depslim")
    except PackageNotFoundError:  # running from a source tree
        return "0+unknown"


# ---- files --------------------------------------------------------------------------


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half.

    The text goes to a temporary file in the same folder, is flushed to disk, then renamed
    over the target. On any failure the previous file is left byte-for-byte as it was.
    """
    target = Path(path)
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


def find_project_config(start: str | Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` (a file or a folder)."""
    here = Path(start).resolve()
    if here.is_file() and here.name == "pyproject.toml":
        return here
    folder = here if here.is_dir() else here.parent
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        if path.is_file():
            return path
        if (candidate / ".git").exists():
            break
    return None


def load_settings(config: str | Path | None) -> Settings:
    """``[tool.depslim]`` of the given pyproject.toml (empty settings when ``None``)."""
    if config is None:
        return Settings()
    path = Path(config)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    return parse_settings(read_tool_table(text, path), source=str(path), text=text)


def cache_root(cache_dir: str | Path | None, settings: Settings | None = None) -> Path:
    """Where the cache lives: ``--cache-dir``, else ``$DEPSLIM_CACHE_DIR``, else
    ``[tool.depslim] cache-dir``, else the user cache dir (``~/.cache/depslim``)."""
    if cache_dir:
        return Path(cache_dir)
    if env := os.environ.get("DEPSLIM_CACHE_DIR"):
        return Path(env)
    if settings is not None and settings.cache_dir:
        return Path(settings.cache_dir)
    return Path(platformdirs.user_cache_dir("depslim"))


def display_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def read_lock_file(path: Path) -> ReadLock:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such lockfile (make one with `depslim lock`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read it ({exc})") from None
    read = read_requirements_lock(text)
    if not read.pins:
        raise InputError(f"{path}: no pinned requirements (name==version) found in it")
    # pip reads a relative --find-links in a requirements file from the file's folder
    return replace(read, find_links=tuple(_from_folder(u, path.parent) for u in read.find_links))


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
