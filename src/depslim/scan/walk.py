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
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, TypedDict, TypeGuard, TypeVar, Unpack

from depslim.scan.firstparty import ProjectLayout, build_layout, layout_from_json, layout_to_json
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

__all__ = [
    "CACHE_VERSION",
    "MAX_FILE_BYTES",
    "SKIP_DIRS",
    "ScanOptions",
    "iter_project_files",
    "scan_project",
]

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


class ScanOptions(TypedDict, total=False):
    """The keyword options of :func:`scan_project`, all optional.

    ``excludes``: globs on relative paths or names to skip. ``cache_dir``: where the
    per-file cache lives (``None``, the default: no cache). ``files``: files that are
    always re-read (as pre-commit passes them). ``workers`` / ``parallel_threshold``:
    processes for big trees (default: one per CPU; ``1`` forces serial) and the number
    of files to parse from which they are used (default 200). ``source_roots``,
    ``project_name`` (default: ``[project].name`` of ``pyproject.toml``) and
    ``dev_globs`` describe the project's layout and developer-only files.
    ``max_file_bytes``: source files above this size are not read (default
    :data:`MAX_FILE_BYTES`).
    """

    excludes: Sequence[str]
    cache_dir: str | os.PathLike[str] | None
    files: Iterable[str | os.PathLike[str]] | None
    workers: int | None
    parallel_threshold: int
    source_roots: Sequence[str] | None
    project_name: str | None
    dev_globs: tuple[str, ...]
    max_file_bytes: int


_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class _Keyed(Generic[_T]):
    """A value the cache keeps while its key (a hash of what it depends on) holds."""

    key: str
    value: _T


@dataclass(slots=True)
class _CacheWork:
    """The cache as read (``index``: file → ``[size, mtime_ns, key]``, ``entries``: key →
    scan, ``scanned_at``) and what this scan makes of it: the key of each file
    (``keys``), the new index, and the scans parsed afresh by file (``fresh``)."""

    index: dict[str, Any]
    entries: dict[str, Any]
    scanned_at: int
    keys: dict[str, str] = field(default_factory=dict)
    new_index: dict[str, list[Any]] = field(default_factory=dict)
    fresh: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _SourcePlan:
    """The source files to parse (``jobs``: path, relative path, package) and those
    too large to read (``oversized``: relative path → size)."""

    jobs: list[tuple[str, str, str | None]]
    oversized: dict[str, int]


def scan_project(root: str | os.PathLike[str], **options: Unpack[ScanOptions]) -> ScanResult:
    """Scan the project at ``root``.

    ``cache_dir`` holds the per-file cache (keyed by content hash; ``None``: no
    cache). ``files`` (as pre-commit passes them) are always re-read; every other file
    is answered from the cache when its size and mtime are unchanged. Trees with at
    least ``parallel_threshold`` files to parse are parsed in ``workers`` processes
    (default: one per CPU; ``1`` forces serial). ``project_name`` defaults to
    ``[project].name`` of ``root/pyproject.toml``. A file larger than
    ``max_file_bytes`` is not read: it gets a warning naming its size and the cap.
    :class:`ScanOptions` lists every option; an unknown one raises :exc:`TypeError`.
    """
    unknown = sorted(options.keys() - ScanOptions.__optional_keys__)
    if unknown:
        raise TypeError(f"scan_project() got unexpected keyword arguments: {', '.join(unknown)}")
    max_file_bytes = options.get("max_file_bytes", MAX_FILE_BYTES)
    root_path = Path(root).resolve()
    sources, configs = iter_project_files(root_path, excludes=options.get("excludes", ()))
    extra_warnings: list[ParseWarning] = []
    project_name = options.get("project_name")
    if project_name is None:
        project_name = _project_name(root_path, extra_warnings)
    files = options.get("files")
    forced = {_relative(root_path, f) for f in files} if files is not None else set()

    cache_dir = options.get("cache_dir")
    cache_file = _cache_path(Path(cache_dir), root_path) if cache_dir is not None else None
    cache = _load_cache(cache_file)
    layout = _layout(
        cache,
        root_path,
        sources,
        source_roots=options.get("source_roots"),
        project_name=project_name,
    )
    work = _CacheWork(
        index=cache["index"],
        entries=cache["entries"],
        scanned_at=int(cache.get("scanned_at") or 0),
    )
    started = time.time_ns()

    plan = _plan_sources(
        root_path, sources, layout.value, work, forced=forced, max_file_bytes=max_file_bytes
    )
    parallel = _parse(
        plan.jobs, work, options.get("workers"), options.get("parallel_threshold", 200)
    )
    scans = _source_scans(
        root_path, sources, layout.value, plan, work, max_file_bytes=max_file_bytes
    )
    config_scans = [_config_scan(root_path, rel, work) for rel in configs]
    if extra_warnings:
        config_scans.append(FileScan(file="pyproject.toml", warnings=tuple(extra_warnings)))
    mentions = _mentions(
        cache, root_path, sources, layout=layout, plan=plan, work=work, scans=scans
    )
    if cache_file is not None:
        _save_cache(cache_file, _cache_data(root_path, started, layout, mentions, work))

    dev_globs = options.get("dev_globs", ())
    roles = {rel: file_role(rel, dev_globs=dev_globs) for rel in (*sources, *configs)}
    return ScanResult(
        mentions=mentions.value,
        root=str(root_path),
        files=tuple(scans),
        config=tuple(config_scans),
        layout=layout.value,
        roles=roles,
        stats=ScanStats(
            files=len(sources),
            parsed=len(work.fresh),
            cached=len(sources) - len(work.fresh) - len(plan.oversized),
            parallel=parallel,
        ),
    )


def _layout(
    cache: dict[str, Any],
    root: Path,
    sources: list[str],
    *,
    source_roots: Sequence[str] | None,
    project_name: str | None,
) -> _Keyed[ProjectLayout]:
    """The project's layout, from the cache while the source list and settings it was
    built from are the same."""
    root_package = root.name if (root / "__init__.py").is_file() else None
    key = hashlib.sha256(
        json.dumps([sources, source_roots, root_package, project_name]).encode()
    ).hexdigest()
    cached = cache.get("layout")
    if isinstance(cached, dict) and cached.get("key") == key:
        with contextlib.suppress(KeyError, TypeError, AttributeError, ValueError):
            return _Keyed(key, layout_from_json(cached["value"]))
    layout = build_layout(
        sources, source_roots=source_roots, root_package=root_package, project_name=project_name
    )
    return _Keyed(key, layout)


def _is_current(known: Any, stamp: list[int], scanned_at: int) -> TypeGuard[list[Any]]:
    """Whether a cache index row ``[size, mtime_ns, key]`` matches the file's stamp and
    the file did not change too close to the last scan to trust its mtime."""
    return (
        isinstance(known, list)
        and len(known) == 3
        and known[:2] == stamp
        and stamp[1] + _RACY_NS < scanned_at
    )


def _plan_sources(
    root: Path,
    sources: Sequence[str],
    layout: ProjectLayout,
    work: _CacheWork,
    *,
    forced: set[str],
    max_file_bytes: int,
) -> _SourcePlan:
    """Answer each source file from the cache where its stamp or content hash is known
    (filling ``work.keys`` and ``work.new_index``); the rest are jobs to parse, once per
    distinct content."""
    jobs: list[tuple[str, str, str | None]] = []
    pending: set[str] = set()
    oversized: dict[str, int] = {}
    for rel in sources:
        package = layout.package_of(rel)
        path = root / rel
        try:
            st = path.stat()
        except OSError:
            jobs.append((str(path), rel, package))
            continue
        if st.st_size > max_file_bytes:
            oversized[rel] = st.st_size
            continue
        stamp = [st.st_size, st.st_mtime_ns]
        known = work.index.get(rel)
        if (
            rel not in forced
            and _is_current(known, stamp, work.scanned_at)
            and str(known[2]).endswith(f":{package or ''}")
            and known[2] in work.entries
        ):
            work.keys[rel] = known[2]
            work.new_index[rel] = known
            continue
        try:
            data = path.read_bytes()
        except OSError:
            jobs.append((str(path), rel, package))
            continue
        key = _key(data, package, rel)
        work.new_index[rel] = [*stamp, key]
        if key in work.entries or key in pending:
            work.keys[rel] = key  # known, or the same bytes already queued for a parse
        else:
            pending.add(key)
            jobs.append((str(path), rel, package))
    return _SourcePlan(jobs=jobs, oversized=oversized)


def _parse(
    jobs: list[tuple[str, str, str | None]],
    work: _CacheWork,
    workers: int | None,
    parallel_threshold: int,
) -> bool:
    """Parse the jobs (in processes for at least ``parallel_threshold`` of them) into
    ``work``; returns whether processes did any of it."""
    parallel = False
    results: list[tuple[str, tuple[str, dict[str, Any]]]] = []
    if jobs and len(jobs) >= parallel_threshold and workers != 1:
        parallel, results = _parallel(jobs, workers)
    done = {rel for rel, _ in results}
    results.extend((job[1], _scan_one(*job)) for job in jobs if job[1] not in done)
    for rel, (key, scanned) in results:
        work.fresh[rel] = scanned
        if key:
            work.entries[key] = scanned
            work.keys[rel] = key
            work.new_index.setdefault(rel, [0, 0, key])[2] = key
    return parallel


def _source_scans(
    root: Path,
    sources: Sequence[str],
    layout: ProjectLayout,
    plan: _SourcePlan,
    work: _CacheWork,
    *,
    max_file_bytes: int,
) -> list[FileScan]:
    """The scan of each source file, fresh or from the cache (a damaged cache entry
    is scanned again)."""
    scans: list[FileScan] = []
    for rel in sources:
        if rel in plan.oversized:
            scans.append(_oversized(rel, plan.oversized[rel], max_file_bytes))
            continue
        stored = work.fresh.get(rel) or work.entries.get(work.keys.get(rel, ""))
        try:
            scans.append(file_scan_from_json(stored or {}, rel))
        except (KeyError, TypeError, ValueError):
            # A damaged cache entry: scan the file again.
            key, raw = _scan_one(str(root / rel), rel, layout.package_of(rel))
            work.fresh[rel] = raw
            work.entries[key] = raw
            scans.append(file_scan_from_json(raw, rel))
    return scans


def _config_scan(root: Path, rel: str, work: _CacheWork) -> FileScan:
    """The scan of one config file, from the cache while its stamp is unchanged."""
    ckey = f"cfg:{rel}"
    try:
        st = (root / rel).stat()
    except OSError:
        return _scan_config(root, rel)
    stamp = [st.st_size, st.st_mtime_ns]
    known = work.index.get(ckey)
    if _is_current(known, stamp, work.scanned_at) and known[2] in work.entries:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            cached = file_scan_from_json(work.entries[known[2]], rel)
            work.new_index[ckey] = known
            work.keys[ckey] = known[2]
            return cached
    config_scan = _scan_config(root, rel)
    key = f"{ckey}:{st.st_size}:{st.st_mtime_ns}"
    work.entries[key] = to_json(config_scan)
    work.new_index[ckey] = [*stamp, key]
    work.keys[ckey] = key
    return config_scan


def _mentions(
    cache: dict[str, Any],
    root: Path,
    sources: Sequence[str],
    *,
    layout: _Keyed[ProjectLayout],
    plan: _SourcePlan,
    work: _CacheWork,
    scans: Sequence[FileScan],
) -> _Keyed[Mentions]:
    """Where each function is mentioned. Mentions depend on every file: reuse them
    while no source file changed."""
    key = hashlib.sha256(
        json.dumps([layout.key, sorted(work.keys.get(rel, "") for rel in sources)]).encode()
    ).hexdigest()
    mentions = _cached_mentions(cache.get("mentions"), key)
    if mentions is None:
        mentions = collect_mentions(
            scans,
            layout.value,
            lambda rel: None if rel in plan.oversized else _read_text(root / rel),
        )
    return _Keyed(key, mentions)


def _cache_data(
    root: Path,
    started: int,
    layout: _Keyed[ProjectLayout],
    mentions: _Keyed[Mentions],
    work: _CacheWork,
) -> dict[str, Any]:
    """What the cache file holds after a scan that started at ``started`` (ns): only the
    index rows and entries this scan used."""
    live = {k for k in work.keys.values() if k}
    return {
        "version": CACHE_VERSION,
        "root": str(root),
        "scanned_at": started,
        "layout": {"key": layout.key, "value": layout_to_json(layout.value)},
        "mentions": {
            "key": mentions.key,
            "value": [
                [f, n, [list(p) for p in places]] for (f, n), places in mentions.value.items()
            ],
        },
        "index": {k: v for k, v in work.new_index.items() if v[2] in live},
        "entries": {k: v for k, v in work.entries.items() if k in live},
    }


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
