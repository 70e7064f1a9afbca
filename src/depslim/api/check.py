"""``depslim.check``: is the slim state still true? Offline and fast when nothing changed.

Reads the lockfile(s), the project's declared dependencies and its code (the scan is
cached per file by content), and reports :class:`~depslim.check.Finding` s. No network:
top-level modules of the pinned wheels come from the cache ``depslim lock``/``split``
filled (keyed by the wheels' hashes, which the lock holds), else from the bundled table.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from depslim.api._files import cache_root, load_settings
from depslim.api.lock import inputs_hash, read_inputs
from depslim.api.split import Declared, declared_dependencies
from depslim.check import Finding, findings_to_json, render_findings, without_ignored
from depslim.config import Settings
from depslim.errors import InputError
from depslim.index.cache import Cache
from depslim.lockfile import ReadLock, read_requirements_lock
from depslim.scan import (
    ML_FAMILY,
    ModuleMap,
    ScanResult,
    Tier,
    classify,
    ml_dependents,
    scan_project,
)
from depslim.target import Target
from depslim.variants import is_gpu_package

__all__ = ["CheckResult", "check"]

_TIER_FILES = {Tier.BASE: "base.txt", Tier.ML: "ml.txt", Tier.DEV: "dev.txt"}
_DEV_GROUPS = ("dev", "test", "tests", "testing", "lint", "docs", "typing")


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """Findings (after ignores) and what was looked at."""

    findings: tuple[Finding, ...]
    checked: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings

    def text(self) -> str:
        if not self.findings:
            return "depslim check: no findings\n"
        return render_findings(self.findings) + f"\n{len(self.findings)} finding(s)\n"

    def to_json(self) -> dict[str, Any]:
        return {"findings": findings_to_json(self.findings), "checked": dict(self.checked)}


def _rel(path: Path, root: Path) -> str:
    """``path`` as findings show it: relative to the project root, with ``/``."""
    try:
        return Path(os.path.relpath(path.resolve(), root)).as_posix()
    except ValueError:  # another drive on Windows
        return path.as_posix()


def _read(path: Path) -> ReadLock | None:
    try:
        return read_requirements_lock(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read it ({exc})") from None


# ---- DS001: stale lock -------------------------------------------------------------


def _flags_of(command: str) -> tuple[list[str], str | None, str | None]:
    """The canonical flags of a lock's command line, and its target version/platform."""
    # lock's command line is: depslim lock INPUTS [-o OUT] --python-version V
    # --python-platform P FLAGS... (api.lock writes it so); FLAGS are what follows P.
    tokens = shlex.split(command)
    values = {}
    last = 0
    for i, word in enumerate(tokens[:-1]):
        if word in ("--python-version", "--python-platform"):
            values[word] = tokens[i + 1]
            last = max(last, i + 2)
    return tokens[last:], values.get("--python-version"), values.get("--python-platform")


def _stale(lock_path: Path, read: ReadLock, settings: Settings, root: Path) -> list[Finding]:
    shown = _rel(lock_path, root)
    out: list[Finding] = []
    if read.inputs_hash is None or not read.inputs or read.command is None:
        return out  # not written by depslim (or by an older one): nothing to compare
    flags, version, platform = _flags_of(read.command)
    target = Target.parse(platform or read.target, python=version or read.python)
    paths = [(lock_path.parent / p) for p in read.inputs]
    missing = [_rel(p, root) for p in paths if not p.is_file()]
    if missing:
        return [
            Finding(
                code="DS001",
                path=shown,
                line=1,
                message=f"the lock's inputs are gone: {', '.join(missing)}",
            )
        ]
    extras = [f.split("=", 1)[1] for f in flags if f.startswith("--extra=")]
    groups = [f.split("=", 1)[1] for f in flags if f.startswith("--group=")]
    declared = read_inputs(paths, extras=extras, groups=groups, all_extras="--all-extras" in flags)
    if inputs_hash(declared, target, flags) != read.inputs_hash:
        names = ", ".join(_rel(p, root) for p in paths)
        out.append(
            Finding(
                code="DS001",
                path=shown,
                line=1,
                message=f"{names} changed since the lock was written",
            )
        )
    wanted: list[tuple[str, str, str]] = []
    if settings.python_version:
        want = Target.parse(None, python=settings.python_version)
        if want.python != target.python:
            wanted.append(("python-version", settings.python_version, target.python_version))
    if settings.python_platform:
        want = Target.parse(settings.python_platform, python=target.python_version)
        if want.platform != target.platform:
            wanted.append(("python-platform", settings.python_platform, target.platform))
    for key, configured, locked in wanted:
        out.append(
            Finding(
                code="DS001",
                path=shown,
                line=1,
                message=f"[tool.depslim] {key} is {configured} but the lock is for {locked}",
            )
        )
    return out


# ---- DS002: GPU packages under a CPU policy ------------------------------------------


def _gpu(lock_path: Path, read: ReadLock, root: Path) -> list[Finding]:
    if read.target is None or not read.target.startswith("linux/"):
        return []
    if read.command and "--torch-backend pypi" in read.command:
        return []
    out = []
    for pin in read.pins:
        reason = is_gpu_package(pin.name)
        if reason:
            via = f" (via {', '.join(pin.via)})" if pin.via else ""
            out.append(
                Finding(
                    code="DS002",
                    path=_rel(lock_path, root),
                    line=pin.line,
                    subject=pin.name,
                    message=f"{pin.name} is a GPU package ({reason}){via}",
                )
            )
    return out


# ---- imports: DS003, DS004, DS005 -----------------------------------------------------


def _graph(reads: Sequence[ReadLock]) -> dict[NormalizedName, set[NormalizedName]]:
    """The dependency graph the locks' ``# via`` lines describe (tier locks together)."""
    graph: dict[NormalizedName, set[NormalizedName]] = {}
    pins = [pin for read in reads for pin in read.pins]
    names = {p.name for p in pins}
    for pin in pins:
        for parent in pin.via:
            key = canonicalize_name(parent.split(" ")[0])
            if key in names:
                graph.setdefault(key, set()).add(pin.name)
    return graph


def _top_levels(reads: Sequence[ReadLock], cache: Cache | None) -> dict[NormalizedName, list[str]]:
    """Top-level modules of the pinned wheels, recorded in the cache by their hashes."""
    if cache is None:
        return {}
    out: dict[NormalizedName, list[str]] = {}
    for pin in (pin for read in reads for pin in read.pins):
        if pin.name in out:
            continue
        for digest in pin.hashes:
            facts = cache.get_file_facts(digest)
            if facts and facts.get("top_level"):
                out[pin.name] = list(facts["top_level"])
                break
    return out


def _declared_line(item: Declared, root: Path) -> tuple[str, int | None]:
    origin = item.requirement.origin
    return _rel(Path(origin.path), root), origin.line


def _expected_tiers(
    declared: Sequence[Declared],
    graph: Mapping[NormalizedName, set[NormalizedName]],
    tier_reads: Mapping[Tier, ReadLock],
) -> dict[NormalizedName, Tier]:
    """Which tier each distribution is meant to be in: the tier locks, else the rules."""
    if tier_reads:
        expected: dict[NormalizedName, Tier] = {}
        for tier in (Tier.DEV, Tier.ML, Tier.BASE):  # lower tiers win
            for pin in tier_reads.get(tier, ReadLock(pins=())).pins:
                expected[pin.name] = tier
        return expected
    ml = ml_dependents(graph, ML_FAMILY) | ML_FAMILY
    out: dict[NormalizedName, Tier] = dict.fromkeys(ml, Tier.ML)
    for item in declared:
        group = item.group.split(":", 1)[-1]
        if item.group != "main" and group in _DEV_GROUPS:
            out.setdefault(item.requirement.name, Tier.DEV)
    return out


def _code_findings(
    root: Path,
    *,
    scan: ScanResult,
    declared: Sequence[Declared],
    read: ReadLock | None,
    tier_reads: Mapping[Tier, ReadLock],
    cache: Cache | None,
    target: Target,
    entries: Mapping[str, str],
) -> list[Finding]:
    names: dict[str, str] = {d.requirement.name: d.group for d in declared}
    reads = [r for r in (read, *tier_reads.values()) if r is not None]
    graph = _graph(reads)
    modules = ModuleMap.build(declared=names, top_levels=_top_levels(reads, cache))
    classification = classify(
        scan,
        declared=names,
        modules=modules,
        entries=entries or None,
        graph=graph,
        python=target.python,
        platform=target.marker_environment()["sys_platform"],
    )
    ignored = {(r.file, r.line): r for r in scan.imports}
    out: list[Finding] = []
    for missing in classification.missing:
        for evidence in missing.evidence[:1]:
            path, line = _split_where(evidence.where)
            record = ignored.get((path, line)) if path and line else None
            if record is not None and record.is_ignored("DS003"):
                continue
            out.append(
                Finding(
                    code="DS003",
                    path=path,
                    line=line,
                    subject=missing.name,
                    message=f"imports {', '.join(missing.modules)}, which no declared "
                    f"dependency provides (distribution: {missing.name}, "
                    f"tier {missing.tier.value})",
                )
            )
    by_name = {d.requirement.name: d for d in declared}
    for name in classification.unused:
        path, line = _declared_line(by_name[name], root) if name in by_name else (None, None)
        out.append(
            Finding(
                code="DS004",
                path=path,
                line=line,
                subject=name,
                message=f"{name} is declared but nothing imports or uses it",
            )
        )
    if entries:
        expected = _expected_tiers(declared, graph, tier_reads)
        for record in scan.imports:
            if classification.file_tiers.get(record.file) is not Tier.BASE:
                continue
            if record.typing_only or record.optional or record.is_ignored("DS005"):
                continue
            if scan.layout.is_first_party(record.module, record.file):
                continue
            resolution = modules.resolve(*record.candidates())
            if not resolution.names:
                continue
            dist = resolution.best
            tier = expected.get(dist)
            if tier in (Tier.ML, Tier.DEV):
                api = next(iter(entries))
                out.append(
                    Finding(
                        code="DS005",
                        path=record.file,
                        line=record.line,
                        subject=dist,
                        message=f"{record.module} ({dist}, {tier.value} tier) is "
                        f"imported by a module the {api!r} entry reaches: it would "
                        "end up in the base image",
                    )
                )
    return out


def _split_where(where: str | None) -> tuple[str | None, int | None]:
    if not where:
        return None, None
    path, _, line = where.rpartition(":")
    return (path, int(line)) if line.isdigit() else (where, None)


# ---- DS006: tier locks disagree -------------------------------------------------------


def _tier_mismatch(reads: Mapping[Path, ReadLock], root: Path) -> list[Finding]:
    seen: dict[NormalizedName, tuple[Version, Path]] = {}
    out = []
    for path, read in sorted(reads.items()):
        for pin in read.pins:
            if pin.version is None:
                continue
            first = seen.setdefault(pin.name, (pin.version, path))
            if first[0] != pin.version:
                out.append(
                    Finding(
                        code="DS006",
                        path=_rel(path, root),
                        line=pin.line,
                        subject=pin.name,
                        message=f"{pin.name}=={pin.version} here but "
                        f"=={first[0]} in {_rel(first[1], root)}",
                    )
                )
    return out


def check(
    project: str | Path = ".",
    *,
    files: Sequence[str] | None = None,
    lockfile: str | Path | None = None,
    tiers_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    no_cache: bool = False,
) -> CheckResult:
    """Run every check on the project at ``project``; offline, answers from caches.

    ``files`` (as pre-commit passes them) are re-scanned; every other file is answered
    from the scan cache when unchanged. ``lockfile`` defaults to ``[tool.depslim]
    output-file`` or ``requirements.txt``; tier locks are read from ``tiers_dir``
    (default ``requirements/``) when present.
    """
    root = Path(project).resolve()
    if not root.is_dir():
        raise InputError(f"{project}: not a folder (give the project's root)")
    config = root / "pyproject.toml"
    settings = load_settings(config if config.is_file() else None)
    lock_path = root / (lockfile or settings.output_file or "requirements.txt")
    tier_folder = root / (tiers_dir or "requirements")
    read = _read(lock_path)
    tier_reads: dict[Tier, ReadLock] = {}
    for tier, name in _TIER_FILES.items():
        found = _read(tier_folder / name)
        if found is not None:
            tier_reads[tier] = found
    cache_dir_path = cache_root(cache_dir, settings)
    cache = None if no_cache else Cache(cache_dir_path)

    findings: list[Finding] = []
    if read is not None:
        findings += _stale(lock_path, read, settings, root)
        findings += _gpu(lock_path, read, root)
    for tier, tread in tier_reads.items():
        findings += _gpu(tier_folder / _TIER_FILES[tier], tread, root)
    findings += _tier_mismatch(
        {tier_folder / _TIER_FILES[t]: r for t, r in tier_reads.items()}
        | ({lock_path: read} if read is not None else {}),
        root,
    )
    if read is not None:
        target = Target.parse(
            read.target or settings.python_platform, python=read.python or settings.python_version
        )
    else:
        target = Target.parse(settings.python_platform, python=settings.python_version)
    declared: list[Declared] = []
    try:
        declared = declared_dependencies(root)[0]
    except InputError:
        declared = []
    scanned = 0
    if declared:
        scan = scan_project(
            root,
            excludes=list(settings.exclude or ()),
            cache_dir=None if cache is None else cache_dir_path / "scan",
            files=[os.fspath(root / f) for f in files] if files is not None else None,
            workers=min(4, os.cpu_count() or 1),
        )
        scanned = len(scan.files)
        findings += _code_findings(
            root,
            scan=scan,
            declared=declared,
            read=read,
            tier_reads=tier_reads,
            cache=cache,
            target=target,
            entries=dict(settings.entries or {}),
        )
    kept = without_ignored(findings, settings.ignore or ())
    return CheckResult(
        findings=tuple(kept),
        checked={
            "lockfile": _rel(lock_path, root) if read is not None else None,
            "tier_locks": [_rel(tier_folder / _TIER_FILES[t], root) for t in tier_reads],
            "files_scanned": scanned,
            "declared": len(declared),
        },
    )
