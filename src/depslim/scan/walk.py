"""The file walker: the only part of :mod:`depslim.scan` that touches the file system.

Finds the project's Python files, notebooks and the config files rules read
(Dockerfile, Procfile, compose files, shell scripts, ``.env``/INI/YAML/TOML), skips
virtualenvs, VCS and build folders and the user's excludes, and scans the sources —
in parallel processes for big trees — with a per-file cache keyed by content hash,
so a second run over an unchanged tree parses nothing.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import fnmatch
import hashlib
import json
import multiprocessing
import os
import threading
import time
import tomllib
from collections.abc import Iterable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from depslim.scan.firstparty import build_layout, layout_from_json, layout_to_json
from depslim.scan.imports import scan_bytes
from depslim.scan.indirect import indirect_references
from depslim.scan.notebooks import scan_notebook
from depslim.scan.reach import Mentions, collect_mentions
from depslim.scan.records import (
    FileScan,
    ParseWarning,
    Reference,
    ScanResult,
    ScanStats,
    file_scan_from_json,
    to_json,
)
from depslim.scan.refs import commands, dockerfile_commands, sqlalchemy_urls
from depslim.scan.roles import file_role

__all__ = ["CACHE_VERSION", "SKIP_DIRS", "iter_project_files", "scan_project"]

CACHE_VERSION = 5
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        "node_modules",
        "site-packages",
        "build",
        "dist",
        ".eggs",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".ipynb_checkpoints",
    }
)
# A folder holding one of these is not part of the project being scanned.
_NOT_OURS = frozenset({"pyvenv.cfg", "pyproject.toml", "setup.py"})
_CONFIG_MAX_BYTES = 512 * 1024
#: Source files above this size are skipped with a warning (generated code, data dumps).
MAX_FILE_BYTES = 8_000_000
_URL_SUFFIXES = (".ini", ".cfg", ".yaml", ".yml", ".toml", ".conf")
_RACY_NS = 2_000_000_000  # files changed this close to the last scan are re-read


@dataclass(frozen=True, slots=True)
class _Found:
    sources: list[str]
    configs: list[str]


def _excluded(rel: str, name: str, patterns: Sequence[str]) -> bool:
    for pattern in patterns:
        bare = pattern.rstrip("/")
        if fnmatch.fnmatchcase(rel, bare) or fnmatch.fnmatchcase(name, bare):
            return True
        if bare.startswith("**/") and fnmatch.fnmatchcase(rel, bare[3:]):
            return True
    return False


def _is_config(name: str) -> bool:
    lower = name.lower()
    return (
        lower.startswith(("dockerfile", "containerfile", "procfile", ".env"))
        or lower.endswith((".dockerfile", ".sh", *_URL_SUFFIXES))
        or lower in ("makefile", "gnumakefile", "justfile")
    )


def iter_project_files(root: Path, *, excludes: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """Relative paths of the project's sources (``.py``, ``.ipynb``) and config files.

    Skips :data:`SKIP_DIRS`, any folder holding a ``pyvenv.cfg`` (a virtualenv) or its
    own ``pyproject.toml``/``setup.py`` (a nested project: scan it on its own), hidden
    folders, ``*.egg-info`` and whatever matches ``excludes`` (globs on the relative
    path or the name).
    """
    found = _Found(sources=[], configs=[])
    _walk(root, "", excludes, found)
    return sorted(found.sources), sorted(found.configs)


def _walk(folder: Path, prefix: str, excludes: Sequence[str], found: _Found) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    if prefix and any(e.name in _NOT_OURS for e in entries):
        return  # a virtualenv, or a nested project with its own pyproject.toml/setup.py
    for entry in entries:
        name = entry.name
        rel = f"{prefix}{name}"
        if excludes and _excluded(rel, name, excludes):
            continue
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if is_dir:
            if name in SKIP_DIRS or name.startswith(".") or name.endswith(".egg-info"):
                continue
            _walk(Path(entry.path), f"{rel}/", excludes, found)
        elif name.endswith((".py", ".ipynb")):
            found.sources.append(rel)
        elif _is_config(name):
            found.configs.append(rel)


# ---- per-file work (runs in worker processes too) --------------------------------


def _scan_one(path: str, rel: str, package: str | None) -> tuple[str, dict[str, Any]]:
    """Read, hash and scan one file; returns (cache key, JSON form of the FileScan)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        warning = ParseWarning(file=rel, line=None, message=f"cannot read: {exc.strerror}")
        return "", to_json(FileScan(file=rel, warnings=(warning,)))
    key = _key(data, package, rel)
    return key, to_json(_scan_data(data, rel, package))


def _scan_chunk(
    jobs: Sequence[tuple[str, str, str | None]],
) -> list[tuple[str, dict[str, Any]]]:
    return [_scan_one(*job) for job in jobs]


def _scan_data(data: bytes, rel: str, package: str | None) -> FileScan:
    if rel.endswith(".ipynb"):
        return scan_notebook(data, file=rel, package=package)
    return scan_bytes(data, file=rel, package=package)


def _key(data: bytes, package: str | None, rel: str) -> str:
    kind = "ipynb" if rel.endswith(".ipynb") else "py"
    return f"{hashlib.sha256(data).hexdigest()}:{kind}:{package or ''}"


# ---- cache ---------------------------------------------------------------------------


def _cache_path(cache_dir: Path, root: Path) -> Path:
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:16]
    return cache_dir / f"scan-{digest}.json"


def _load_cache(path: Path | None) -> dict[str, Any]:
    empty: dict[str, Any] = {"index": {}, "entries": {}, "scanned_at": 0}
    if path is None:
        return empty
    try:
        raw = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return empty
    if not isinstance(raw, dict) or raw.get("version") != CACHE_VERSION:
        return empty
    if not isinstance(raw.get("index"), dict) or not isinstance(raw.get("entries"), dict):
        return empty
    return raw


def _save_cache(path: Path, data: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, separators=(",", ":")), "utf-8")
        tmp.replace(path)


# ---- the scan ------------------------------------------------------------------------


def scan_project(
    root: str | os.PathLike[str],
    *,
    excludes: Sequence[str] = (),
    cache_dir: str | os.PathLike[str] | None = None,
    files: Iterable[str | os.PathLike[str]] | None = None,
    workers: int | None = None,
    parallel_threshold: int = 200,
    source_roots: Sequence[str] | None = None,
    project_name: str | None = None,
    dev_globs: tuple[str, ...] = (),
    max_file_bytes: int = MAX_FILE_BYTES,
) -> ScanResult:
    """Scan the project at ``root``.

    ``cache_dir`` holds the per-file cache (keyed by content hash; ``None``: no
    cache). ``files`` (as pre-commit passes them) are always re-read; every other file
    is answered from the cache when its size and mtime are unchanged. Trees with at
    least ``parallel_threshold`` files to parse are parsed in ``workers`` processes
    (default: one per CPU; ``1`` forces serial). ``project_name`` defaults to
    ``[project].name`` of ``root/pyproject.toml``. A file larger than
    ``max_file_bytes`` is not read: it gets a warning naming its size and the cap.
    """
    root_path = Path(root).resolve()
    sources, configs = iter_project_files(root_path, excludes=excludes)
    extra_warnings: list[ParseWarning] = []
    if project_name is None:
        project_name = _project_name(root_path, extra_warnings)
    root_package = root_path.name if (root_path / "__init__.py").is_file() else None
    forced = {_relative(root_path, f) for f in files} if files is not None else set()

    cache_file = _cache_path(Path(cache_dir), root_path) if cache_dir is not None else None
    cache = _load_cache(cache_file)
    layout_key = hashlib.sha256(
        json.dumps([sources, source_roots, root_package, project_name]).encode()
    ).hexdigest()
    layout = None
    cached_layout = cache.get("layout")
    if isinstance(cached_layout, dict) and cached_layout.get("key") == layout_key:
        with contextlib.suppress(KeyError, TypeError, AttributeError, ValueError):
            layout = layout_from_json(cached_layout["value"])
    if layout is None:
        layout = build_layout(
            sources, source_roots=source_roots, root_package=root_package, project_name=project_name
        )
    index: dict[str, Any] = cache["index"]
    entries: dict[str, Any] = cache["entries"]
    scanned_at = int(cache.get("scanned_at") or 0)
    started = time.time_ns()

    keys: dict[str, str] = {}
    new_index: dict[str, list[Any]] = {}
    jobs: list[tuple[str, str, str | None]] = []
    pending: set[str] = set()
    oversized: dict[str, int] = {}
    for rel in sources:
        package = layout.package_of(rel)
        path = root_path / rel
        try:
            st = path.stat()
        except OSError:
            jobs.append((str(path), rel, package))
            continue
        if st.st_size > max_file_bytes:
            oversized[rel] = st.st_size
            continue
        stamp = [st.st_size, st.st_mtime_ns]
        known = index.get(rel)
        if (
            rel not in forced
            and isinstance(known, list)
            and len(known) == 3
            and known[:2] == stamp
            and st.st_mtime_ns + _RACY_NS < scanned_at
            and str(known[2]).endswith(f":{package or ''}")
            and known[2] in entries
        ):
            keys[rel] = known[2]
            new_index[rel] = known
            continue
        try:
            data = path.read_bytes()
        except OSError:
            jobs.append((str(path), rel, package))
            continue
        key = _key(data, package, rel)
        new_index[rel] = [*stamp, key]
        if key in entries or key in pending:
            keys[rel] = key  # known, or the same bytes already queued for a parse
        else:
            pending.add(key)
            jobs.append((str(path), rel, package))

    parallel = False
    fresh: dict[str, dict[str, Any]] = {}
    results: list[tuple[str, tuple[str, dict[str, Any]]]] = []
    if jobs and len(jobs) >= parallel_threshold and workers != 1:
        parallel, results = _parallel(jobs, workers)
    done = {rel for rel, _ in results}
    results.extend((job[1], _scan_one(*job)) for job in jobs if job[1] not in done)
    for rel, (key, scanned) in results:
        fresh[rel] = scanned
        if key:
            entries[key] = scanned
            keys[rel] = key
            new_index.setdefault(rel, [0, 0, key])[2] = key

    scans: list[FileScan] = []
    for rel in sources:
        if rel in oversized:
            scans.append(_oversized(rel, oversized[rel], max_file_bytes))
            continue
        stored = fresh.get(rel) or entries.get(keys.get(rel, ""))
        try:
            scans.append(file_scan_from_json(stored or {}, rel))
        except (KeyError, TypeError, ValueError):
            # A damaged cache entry: scan the file again.
            key, raw = _scan_one(str(root_path / rel), rel, layout.package_of(rel))
            fresh[rel] = raw
            entries[key] = raw
            scans.append(file_scan_from_json(raw, rel))

    config_scans: list[FileScan] = []
    for rel in configs:
        ckey = f"cfg:{rel}"
        try:
            st = (root_path / rel).stat()
        except OSError:
            config_scans.append(_scan_config(root_path, rel))
            continue
        stamp = [st.st_size, st.st_mtime_ns]
        known = index.get(ckey)
        if (
            isinstance(known, list)
            and len(known) == 3
            and known[:2] == stamp
            and st.st_mtime_ns + _RACY_NS < scanned_at
            and known[2] in entries
        ):
            with contextlib.suppress(KeyError, TypeError, ValueError):
                config_scans.append(file_scan_from_json(entries[known[2]], rel))
                new_index[ckey] = known
                keys[ckey] = known[2]
                continue
        config_scan = _scan_config(root_path, rel)
        key = f"{ckey}:{st.st_size}:{st.st_mtime_ns}"
        entries[key] = to_json(config_scan)
        new_index[ckey] = [*stamp, key]
        keys[ckey] = key
        config_scans.append(config_scan)
    if extra_warnings:
        config_scans.append(FileScan(file="pyproject.toml", warnings=tuple(extra_warnings)))

    # Mentions depend on every file: reuse them while no source file changed.
    mentions_key = hashlib.sha256(
        json.dumps([layout_key, sorted(keys.get(rel, "") for rel in sources)]).encode()
    ).hexdigest()
    mentions = _cached_mentions(cache.get("mentions"), mentions_key)
    if mentions is None:
        mentions = collect_mentions(
            scans, layout, lambda rel: None if rel in oversized else _read_text(root_path / rel)
        )

    if cache_file is not None:
        live = {k for k in keys.values() if k}
        _save_cache(
            cache_file,
            {
                "version": CACHE_VERSION,
                "root": str(root_path),
                "scanned_at": started,
                "layout": {"key": layout_key, "value": layout_to_json(layout)},
                "mentions": {
                    "key": mentions_key,
                    "value": [
                        [f, n, [list(p) for p in places]] for (f, n), places in mentions.items()
                    ],
                },
                "index": {k: v for k, v in new_index.items() if v[2] in live},
                "entries": {k: v for k, v in entries.items() if k in live},
            },
        )

    roles = {rel: file_role(rel, dev_globs=dev_globs) for rel in (*sources, *configs)}
    return ScanResult(
        mentions=mentions,
        root=str(root_path),
        files=tuple(scans),
        config=tuple(config_scans),
        layout=layout,
        roles=roles,
        stats=ScanStats(
            files=len(sources),
            parsed=len(fresh),
            cached=len(sources) - len(fresh) - len(oversized),
            parallel=parallel,
        ),
    )


def _parallel(
    jobs: list[tuple[str, str, str | None]], workers: int | None
) -> tuple[bool, list[tuple[str, tuple[str, dict[str, Any]]]]]:
    count = workers or os.cpu_count() or 1
    if count < 2:
        return False, []
    methods = multiprocessing.get_all_start_methods()
    # fork is fast and imports nothing anew, but is unsafe once threads exist.
    if "fork" in methods and threading.active_count() == 1:
        method = "fork"
    else:
        method = "forkserver" if "forkserver" in methods else "spawn"
    size = max(1, min(256, len(jobs) // (count * 4)))
    chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    out: list[tuple[str, tuple[str, dict[str, Any]]]] = []
    try:
        with concurrent.futures.ProcessPoolExecutor(
            max_workers=count, mp_context=multiprocessing.get_context(method)
        ) as pool:
            for chunk, result in zip(chunks, pool.map(_scan_chunk, chunks), strict=True):
                out.extend((job[1], item) for job, item in zip(chunk, result, strict=True))
    except (BrokenProcessPool, OSError, RuntimeError):
        # No processes here (sandbox, frozen app): whatever is left is parsed serially.
        return bool(out), out
    return True, out


def _cached_mentions(data: Any, key: str) -> Mentions | None:
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    try:
        return MappingProxyType(
            {
                (str(f), str(n)): tuple(
                    (str(p), int(line), None if via is None else str(via))
                    for p, line, via in places
                )
                for f, n, places in data["value"]
            }
        )
    except (KeyError, TypeError, ValueError):
        return None


def _oversized(rel: str, size: int, cap: int) -> FileScan:
    message = (
        f"skipped: {size / 1e6:.1f} MB is over the {cap / 1e6:.1f} MB limit for a source "
        "file (generated code?); exclude it, or raise the limit if it holds imports"
    )
    return FileScan(file=rel, warnings=(ParseWarning(file=rel, line=None, message=message),))


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text("utf-8", errors="replace")
    except OSError:
        return None


def _relative(root: Path, file: str | os.PathLike[str]) -> str:
    path = Path(file)
    if path.is_absolute():
        with contextlib.suppress(ValueError):
            return path.resolve().relative_to(root).as_posix()
        return path.as_posix()
    return path.as_posix().removeprefix("./")


def _project_name(root: Path, warnings: list[ParseWarning]) -> str | None:
    path = root / "pyproject.toml"
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        warnings.append(ParseWarning(file="pyproject.toml", line=None, message=str(exc)))
        return None
    project = data.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    return name if isinstance(name, str) else None


def _scan_config(root: Path, rel: str) -> FileScan:
    path = root / rel
    try:
        if path.stat().st_size > _CONFIG_MAX_BYTES:
            return FileScan(file=rel)
        text = path.read_text("utf-8", errors="replace")
    except OSError as exc:
        warning = ParseWarning(file=rel, line=None, message=f"cannot read: {exc.strerror}")
        return FileScan(file=rel, warnings=(warning,))
    name = path.name.lower()
    refs: list[Reference] = []
    if name.startswith(("dockerfile", "containerfile")) or name.endswith(".dockerfile"):
        refs.extend(dockerfile_commands(text, file=rel))
    elif name.startswith("procfile"):
        refs.extend(commands(text, file=rel, style="procfile"))
    elif name.endswith(".sh") or name in ("makefile", "gnumakefile", "justfile"):
        refs.extend(commands(text, file=rel, style="shell"))
    elif name.endswith((".yml", ".yaml")) and ("compose" in name):
        refs.extend(commands(text, file=rel, style="compose"))
    if "://" in text or "django.db.backends" in text:
        refs.extend(sqlalchemy_urls(text, file=rel))
    refs.extend(indirect_references(text, file=rel))
    return FileScan(file=rel, references=tuple(refs))
