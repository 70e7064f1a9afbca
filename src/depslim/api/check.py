"""``depslim.check``: is the slim state still true? Offline and fast when nothing changed.

Reads the lockfile and the tier files ``split`` wrote, the project's declared
dependencies and its code (the scan is cached per file by content), and hands them to
the pure rules of :mod:`depslim.check`. Every lock is judged by the options its own
header records (GPU policy, extras, entries), so a tier file is judged the way
``split`` made it. No network: top-level modules of the pinned wheels come from the
cache ``lock``/``split`` filled (keyed by the wheels' hashes), else the bundled table.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

from packaging.utils import NormalizedName, canonicalize_name

from depslim._version import package_version
from depslim.api._files import read_lock_file, write_atomic
from depslim.api._session import Session, session_for
from depslim.check import (
    Finding,
    code_findings,
    failing,
    findings_to_json,
    render_findings,
    without_ignored,
)
from depslim.errors import InputError
from depslim.inputs.declared import Declared, declared_dependencies
from depslim.inputs.merge import read_inputs
from depslim.lockcheck import gpu_findings, stale_findings, tier_mismatch_findings
from depslim.lockfile.header import flag_values, parse_command
from depslim.models import Lock
from depslim.scan import (
    ML_FAMILY,
    ModuleMap,
    ScanResult,
    Tier,
    classify,
    ml_dependents,
    scan_project,
)
from depslim.scan.truth import declared_groups, shown_tiers
from depslim.scan.walk import iter_project_files
from depslim.settings import Options, Settings
from depslim.target import Target

if TYPE_CHECKING:
    from depslim.index.cache import Cache

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
        """Whether no finding counts against the project (warnings and notes do not)."""
        return not failing(self.findings)

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


def _read(path: Path, target: Target) -> Lock | None:
    return read_lock_file(path, target=target) if path.exists() else None


def check(
    project: str | Path = ".",
    *,
    files: Sequence[str] | None = None,
    lockfile: str | Path | None = None,
    tiers_dir: str | Path | None = None,
    session: Session | None = None,
    **options: Unpack[Options],
) -> CheckResult:
    """Run every check on the project at ``project``; offline, answers from caches.

    ``files`` (as pre-commit passes them) are re-scanned; every other file is answered
    from the scan cache when unchanged. ``lockfile`` defaults to ``[tool.depslim]
    output-file`` or ``requirements.txt``; tier locks are read from ``tiers_dir``
    (default ``requirements/``) when present. Options are ``[tool.depslim]`` keys with
    ``_``, as for :func:`~depslim.lock`.
    """
    root = Path(project).resolve()
    if not root.is_dir():
        raise InputError(f"{project}: not a folder (give the project's root)")
    run, owned = session_for(session, options, anchor=root)
    try:
        return _check(root, run, files, lockfile, tiers_dir)
    finally:
        if owned:
            run.close()


def _check(
    root: Path,
    run: Session,
    files: Sequence[str] | None,
    lockfile: str | Path | None,
    tiers_dir: str | Path | None,
) -> CheckResult:
    settings = run.settings
    lock_path = root / (lockfile or settings.output_file or "requirements.txt")
    tier_folder = root / (tiers_dir or "requirements")
    lock = _read(lock_path, settings.target)
    tier_paths = {t: tier_folder / name for t, name in _TIER_FILES.items()}
    tier_locks = {t: found for t, p in tier_paths.items() if (found := _read(p, settings.target))}
    shown = {lock_path: _rel(lock_path, root)} | {p: _rel(p, root) for p in tier_paths.values()}

    findings: list[Finding] = []
    if lock is not None:
        findings += _stale(lock_path, lock, root, settings)
    every = ({lock_path: lock} if lock is not None else {}) | {
        tier_paths[t]: found for t, found in tier_locks.items()
    }
    for path, one in every.items():
        findings += gpu_findings(one, path=shown[path])
    findings += tier_mismatch_findings({shown[p]: one for p, one in every.items()})

    try:
        declared = declared_dependencies(root).dependencies
    except InputError:
        declared = ()
    scanned = 0
    if declared:
        scanned, code = _code_answered(root, run, files, declared, lock=lock, tier_locks=tier_locks)
        findings += code
    kept = without_ignored(findings, settings.ignore)
    return CheckResult(
        findings=tuple(kept),
        checked={
            "lockfile": shown[lock_path] if lock is not None else None,
            "tier_locks": [shown[tier_paths[t]] for t in tier_locks],
            "files_scanned": scanned,
            "declared": len(declared),
        },
    )


def _stale(
    lock_path: Path,
    lock: Lock,
    root: Path,
    settings: Settings,
) -> list[Finding]:
    """DS001: re-read the lock's inputs with its own flags and compare fingerprints."""
    if lock.inputs_hash is None or not lock.inputs or not lock.command:
        return []  # not written by depslim (or by an older one): nothing to compare
    flags, _, _ = parse_command(lock.command)
    paths = [lock_path.parent / p for p in lock.inputs]
    missing = [_rel(p, root) for p in paths if not p.is_file()]
    current: str | None = None
    if not missing:
        declared = read_inputs(
            paths,
            extras=flag_values(flags, "extra"),
            groups=flag_values(flags, "group"),
            all_extras="--all-extras" in flags,
        )
        from depslim.api._locking import fingerprint, lock_overrides  # only for a depslim lock

        folder = lock_path.parent
        overrides, _ = lock_overrides(
            [folder / p for p in flag_values(flags, "override")],
            [folder / p for p in flag_values(flags, "constraint")],
            paths,
        )
        current = fingerprint(declared.requirements, lock.target, flags, overrides)
    wanted = {  # a target set anywhere (flag, environment, config) must match the lock's
        key: str(settings.values[key])
        for key in ("python-version", "python-platform")
        if settings.origins.get(key, "default") != "default"
    }
    return stale_findings(
        lock,
        path=_rel(lock_path, root),
        inputs=[_rel(p, root) for p in paths],
        missing=missing,
        current_hash=current,
        wanted=wanted,
    )


def _code(
    root: Path,
    run: Session,
    files: Sequence[str] | None,
    declared: Sequence[Declared],
    *,
    lock: Lock | None,
    tier_locks: Mapping[Tier, Lock],
) -> tuple[int, list[Finding], list[str]]:
    """DS003 to DS005 (and notes): the code's imports against the declared dependencies;
    also the hashes of the pins whose modules are not known yet."""
    settings = run.settings
    scan = scan_project(
        root,
        excludes=list(settings.exclude),
        cache_dir=None if run.cache_dir is None else run.cache_dir / "scan",
        files=[os.fspath(root / f) for f in files] if files is not None else None,
        workers=min(4, os.cpu_count() or 1),
    )
    entries = dict(settings.entries)
    for one in tier_locks.values():  # a tier file remembers the entries split used
        recorded = flag_values(parse_command(one.command)[0], "entry") if one.command else []
        if recorded and not settings.given("entries"):
            entries = dict(item.split("=", 1) for item in recorded if "=" in item)
            break
    target = (lock or next(iter(tier_locks.values()), None) or _no_lock(settings.target)).target
    locks = [one for one in (lock, *tier_locks.values()) if one is not None]
    top_levels, unknown = _top_levels(locks, run.cache)
    findings = _code_findings(
        root,
        scan=scan,
        declared=declared,
        locks=locks,
        tier_locks=tier_locks,
        top_levels=top_levels,
        target=target,
        entries=entries,
    )
    return len(scan.files), findings, unknown


def _code_answered(
    root: Path,
    run: Session,
    files: Sequence[str] | None,
    declared: Sequence[Declared],
    *,
    lock: Lock | None,
    tier_locks: Mapping[Tier, Lock],
) -> tuple[int, list[Finding]]:
    """:func:`_code`, answered from the last run when nothing it reads has changed.

    The answer is kept under a fingerprint of everything the code checks read: every
    project file's size and modification time, the declared dependencies, the locks'
    pins, the settings and depslim's version. Top-level modules learned since (a
    ``split`` online) are the one input outside it: the answer records which pins'
    modules were unknown and is used only while they still are.
    """
    folder = None if run.cache_dir is None else run.cache_dir / "check-v1"
    locks = [one for one in (lock, *tier_locks.values()) if one is not None]
    key = _code_key(root, run.settings, declared, locks) if folder is not None else ""
    if folder is not None:
        kept = _kept_answer(folder / f"{key}.json", run.cache)
        if kept is not None:
            return kept
    scanned, findings, unknown = _code(root, run, files, declared, lock=lock, tier_locks=tier_locks)
    if folder is not None:
        answer = {"scanned": scanned, "findings": findings_to_json(findings), "unknown": unknown}
        with contextlib.suppress(InputError):  # a read-only cache only costs the next run
            write_atomic(folder / f"{key}.json", json.dumps(answer))
    return scanned, findings


def _code_key(
    root: Path, settings: Settings, declared: Sequence[Declared], locks: Sequence[Lock]
) -> str:
    digest = hashlib.sha256(package_version().encode())
    shown = {r["key"]: r["value"] for r in settings.explain()}
    digest.update(json.dumps([str(root), shown], sort_keys=True, default=str).encode())
    sources, configs = iter_project_files(root, excludes=list(settings.exclude))
    for rel in (*sources, *configs):
        try:
            stat = (root / rel).stat()
        except OSError:
            continue
        digest.update(f"{rel}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    for item in declared:
        digest.update(f"{item.group}\0{item.requirement.requirement}\n".encode())
    for one in locks:
        digest.update(f"{one.source}\0{one.command}\n".encode())
        for pin in one.pins:
            digest.update(f"{pin.name}=={pin.version} {pin.hashes} {pin.via}\n".encode())
    return digest.hexdigest()


def _has_facts(cache: Cache, digest: str) -> bool:
    facts = cache.get_file_facts(digest)
    return facts is not None and "top_level" in facts


def _kept_answer(path: Path, cache: Cache | None) -> tuple[int, list[Finding]] | None:
    """The kept answer at ``path``, unless a pin's modules have been learned since."""
    try:
        answer = json.loads(path.read_text(encoding="utf-8"))
        if cache is not None and any(_has_facts(cache, h) for h in answer["unknown"]):
            return None
        findings = [
            Finding(
                code=f["code"],
                message=f["message"],
                path=f["path"],
                line=f["line"],
                subject=f["subject"],
                evidence=f["evidence"],
                severity=f["severity"],
            )
            for f in answer["findings"]
        ]
        return int(answer["scanned"]), findings
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _no_lock(target: Target) -> Lock:
    return Lock(target=target, pins=())


def _graph(locks: Sequence[Lock]) -> dict[NormalizedName, set[NormalizedName]]:
    """The dependency graph the locks' ``# via`` lines describe (tier locks together)."""
    graph: dict[NormalizedName, set[NormalizedName]] = {}
    pins = [pin for one in locks for pin in one.pins]
    names = {p.name for p in pins}
    for pin in pins:
        for parent in pin.via:
            key = canonicalize_name(parent.split(" ")[0])
            if key in names:
                graph.setdefault(key, set()).add(pin.name)
    return graph


def _top_levels(
    locks: Sequence[Lock], cache: Cache | None
) -> tuple[dict[NormalizedName, list[str]], list[str]]:
    """Top-level modules of the pinned wheels, recorded in the cache by their hashes (a
    recorded empty list is known too: a wrapper distribution ships no module), and the
    hashes of the pins none of whose files are known yet."""
    if cache is None:
        return {}, []
    out: dict[NormalizedName, list[str]] = {}
    unknown: list[str] = []
    for pin in (pin for one in locks for pin in one.pins):
        if pin.name in out:
            continue
        for digest in pin.hashes:
            facts = cache.get_file_facts(digest)
            if facts is not None and "top_level" in facts:
                out[pin.name] = list(facts["top_level"])
                break
        else:
            unknown.extend(pin.hashes)
    return out, unknown


def _expected_tiers(
    declared: Sequence[Declared],
    graph: Mapping[NormalizedName, set[NormalizedName]],
    tier_locks: Mapping[Tier, Lock],
) -> dict[str, Tier]:
    """Which tier each distribution is meant to be in: the tier files, else the rules."""
    if tier_locks:
        pinned = shown_tiers({tier: [p.name for p in one.pins] for tier, one in tier_locks.items()})
        return {str(name): tier for name, tier in pinned.items()}
    ml = ml_dependents(graph, ML_FAMILY) | ML_FAMILY
    out: dict[str, Tier] = dict.fromkeys(ml, Tier.ML)
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
    locks: Sequence[Lock],
    tier_locks: Mapping[Tier, Lock],
    top_levels: Mapping[NormalizedName, list[str]],
    target: Target,
    entries: Mapping[str, str],
) -> list[Finding]:
    """DS003, DS004, DS005 and DS007, by the same classification ``split`` makes."""
    groups = declared_groups((d.requirement.name, d.group) for d in declared)
    names = {str(name): group for name, group in groups.items()}
    graph = _graph(locks)
    classification = classify(
        scan,
        declared=names,
        modules=ModuleMap.build(declared=names, top_levels=top_levels),
        entries=entries or None,
        graph=graph,
        python=target.python,
        platform=target.marker_environment()["sys_platform"],
    )
    declared_at: dict[str, tuple[str | None, int | None]] = {}
    for item in declared:
        origin = item.requirement.origin
        declared_at.setdefault(item.requirement.name, (_rel(Path(origin.path), root), origin.line))
    return code_findings(
        classification,
        imports=scan.imports,
        declared_at=declared_at,
        expected=_expected_tiers(declared, graph, tier_locks) if entries else None,
        api=next(iter(entries), None),
    )
