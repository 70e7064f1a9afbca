"""``depslim.split``: tiers (base / ml / dev) from what the code imports, pinned from one lock.

Reads the project's declared dependencies, locks their union once, learns each pinned
wheel's top-level modules from its zip directory (range requests, cached), scans the
code, classifies every dependency, and partitions the pinned graph so every tier agrees
on every version.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Unpack

from packaging.utils import NormalizedName, canonicalize_name

from depslim.api._extras import blame_optional, optional_pin_changes
from depslim.api._files import display_path, package_version, write_atomic
from depslim.api._locking import LockRequest, LockResult, resolve_lock
from depslim.api._session import Session, session_for
from depslim.api._sizes import newest_facts, weigh
from depslim.errors import (
    RESOLUTION_FAILURES,
    InputError,
)
from depslim.inputs.declared import Declared, DeclaredProject, Selection, declared_dependencies
from depslim.inputs.write_pyproject import write_tiers_to_pyproject
from depslim.lockfile import render_requirements_txt
from depslim.models import Lock
from depslim.scan import (
    Classification,
    ModuleMap,
    ScanResult,
    Tier,
    classify,
    partition_closure,
    scan_project,
)
from depslim.scan.truth import declared_groups, shown_tiers, tier_problems, tier_roots
from depslim.settings import Options, Settings

__all__ = ["SplitResult", "split"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitResult:
    """The tiers of a project: classification, the one lock, and the pins of each tier."""

    root: Path
    classification: Classification
    result: LockResult | None
    tiers: Mapping[Tier, tuple[NormalizedName, ...]]
    declared: tuple[Declared, ...]
    warnings: tuple[str, ...] = ()
    files: Mapping[str, str] = field(default_factory=dict)

    @property
    def locked(self) -> LockResult:
        """The one resolution the tiers are pinned from (an error with ``lock=False``)."""
        if self.result is None:
            raise InputError("this split was made without a lock (--no-lock): nothing is pinned")
        return self.result

    def tier_lock(self, tier: Tier) -> Lock:
        """The pins of one tier as a lock (installs on top of the tiers below it)."""
        wanted = set(self.tiers[tier])
        lock = self.locked.lock
        return replace(
            lock,
            pins=tuple(p for p in lock.pins if p.name in wanted),
            notes=(*lock.notes, f"tier: {tier.value}"),
        )

    @staticmethod
    def file_names() -> list[str]:
        """The files :meth:`render` writes: ``<tier>.in`` and ``<tier>.txt`` per tier."""
        return [f"{tier.value}{suffix}" for tier in Tier for suffix in (".in", ".txt")]

    def render(self) -> dict[str, str]:
        """File name → text: ``{tier}.in`` (declared roots) and ``{tier}.txt`` (pins)."""
        out: dict[str, str] = {}
        previous: Tier | None = None
        requirements = self.tier_requirements()
        for tier in Tier:
            include = [f"-r {previous.value}.in"] if previous else []
            lines = requirements[tier]
            head = f"# {tier.value} tier, written by depslim split; edit the project, not this file"
            out[f"{tier.value}.in"] = "\n".join([head, *include, *lines]) + "\n"
            text = render_requirements_txt(self.tier_lock(tier), version=package_version())
            if previous is not None:
                marker = "\n--index-url" if "\n--index-url" in text else "\n\n"
                text = text.replace(marker, f"\n-r {previous.value}.txt{marker}", 1)
            out[f"{tier.value}.txt"] = text
            previous = tier
        return out

    def write(self, folder: str | Path) -> list[Path]:
        """Write every tier's files into ``folder`` (atomically, one by one)."""
        paths = []
        for name, text in self.render().items():
            path = Path(folder) / name
            write_atomic(path, text)
            paths.append(path)
        return paths

    def tier_requirements(self) -> dict[Tier, list[str]]:
        """Each tier's declared requirements, as the project wrote them."""
        roots = self.classification.roots_by_tier()
        by_name = {d.requirement.name: d for d in self.declared}
        return {
            tier: sorted(
                str(by_name[n].requirement.requirement) for n in roots.get(tier, ()) if n in by_name
            )
            for tier in Tier
        }

    def write_pyproject(self, path: str | Path | None = None) -> tuple[Path, bool]:
        """Write the tiers back into ``pyproject.toml`` (default: the project's):
        ``[project] dependencies`` = base, ``optional-dependencies.ml``,
        ``[dependency-groups] dev``, keeping comments, order and formatting. A declared
        dependency nothing uses is never dropped: it stays with the tier of the table it
        was declared in (main: base, an extra: ml, a group: dev). Returns the file and
        whether it changed."""
        target = Path(path) if path is not None else self.root / "pyproject.toml"
        if not target.is_file():
            raise InputError(f"{target}: no pyproject.toml to write the tiers into")
        old = target.read_text(encoding="utf-8")
        tiers = self.tier_requirements()
        unused = set(self.classification.unused)
        for item in self.declared:
            if item.requirement.name in unused:
                kind = item.group.split(":", 1)[0]
                tier = {"main": Tier.BASE, "extra": Tier.ML}.get(kind, Tier.DEV)
                tiers[tier].append(str(item.requirement.requirement))
        new = write_tiers_to_pyproject(
            old,
            base=tiers[Tier.BASE],
            ml=tiers[Tier.ML],
            dev=tiers[Tier.DEV],
            path=display_path(target),
        )
        if new != old:
            write_atomic(target, new)
        return target, new != old

    def shown(self) -> dict[NormalizedName, Tier]:
        """Each pinned package's tier as the files have it: the tier whose file pins it
        (the table and ``--json`` show this, so they never disagree with the files)."""
        return shown_tiers(self.tiers) if self.result is not None else {}

    def rows(self) -> list[tuple[str, str, str]]:
        """(dependency, tier, evidence) for the table, declared ones first."""
        c = self.classification
        shown = self.shown()

        def tier_of(name: NormalizedName, classified: Tier) -> str:
            return shown.get(name, classified).value

        out: list[tuple[str, str, str]] = []
        for name, placement in sorted(c.placements.items()):
            evidence = str(placement.evidence[0]) if placement.evidence else ""
            out.append((name, tier_of(name, placement.tier), evidence))
        for missing in c.missing:
            evidence = str(missing.evidence[0]) if missing.evidence else ""
            out.append((missing.name, f"{missing.tier.value} ({missing.label})", evidence))
        out.extend((name, "unused", "declared, never imported") for name in c.unused)
        out.extend(
            (name, "unknown", "modules not known offline: run depslim split online once")
            for name in c.unknown
        )
        out.extend(
            (tr.name, f"{tier_of(tr.name, tr.tier)} (transitive)", f"via {', '.join(tr.via)}")
            for tr in c.transitive
        )
        return out

    def table(self) -> str:
        rows = [("dependency", "tier", "evidence"), *self.rows()]
        width = [max(len(r[i]) for r in rows) for i in range(2)]
        lines = [f"{a:<{width[0]}}  {b:<{width[1]}}  {c}" for a, b, c in rows]
        counts = ", ".join(f"{t.value} {len(self.tiers[t])}" for t in Tier)
        lines.append("")
        if self.result is None:
            lines.append(f"Declared dependencies per tier: {counts} (classified without a lock)")
        else:
            lines.append(
                f"Pinned packages per tier: {counts} (one resolution, {len(self.result.pins)} pins)"
            )
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict[str, Any]:
        c = self.classification
        shown = self.shown()
        return {
            "root": str(self.root),
            "target": self.result.to_json()["target"] if self.result else None,
            "locked": self.result is not None,
            "dependencies": [
                {
                    "name": name,
                    "tier": shown.get(name, p.tier).value,
                    "group": p.group,
                    "evidence": [str(e) for e in p.evidence],
                }
                for name, p in sorted(c.placements.items())
            ],
            "unused": list(c.unused),
            "unknown": list(c.unknown),
            "missing": [
                {
                    "name": m.name,
                    "tier": m.tier.value,
                    "label": m.label,
                    "optional": m.optional,
                    "modules": list(m.modules),
                    "evidence": [str(e) for e in m.evidence],
                }
                for m in c.missing
            ],
            "transitive": [
                {"name": t.name, "tier": shown.get(t.name, t.tier).value, "via": list(t.via)}
                for t in c.transitive
            ],
            "tiers": {t.value: list(self.tiers[t]) for t in Tier},
            "pins": {p.name: str(p.version) for p in self.result.pins} if self.result else {},
            "files": dict(self.files),
            "warnings": list(self.warnings),
        }


def split(
    project: str | Path = ".",
    *,
    output: str | Path | None = None,
    lock: bool = True,
    session: Session | None = None,
    **options: Unpack[Options],
) -> SplitResult:
    """Split a project's dependencies into tiers from what its code imports.

    ``entries`` (``{"api": "app.main", "worker": "app.worker"}``; the first is the API)
    default to ``[tool.depslim] entries``; without entries a curated ML family decides
    the ml tier. ``output`` is the folder the tier files will be written to (recorded in
    the result; :meth:`SplitResult.write` writes them). Everything is pinned from one
    resolution of the union of all declared dependencies, and each tier file's header
    records the options and entries it was made with, so ``check`` judges it the same way.

    With ``lock=False`` nothing is resolved: each declared dependency is classified from
    its top-level modules (the cache, else its newest wheel's zip directory read with
    range requests, else the bundled table), in seconds; the result pins nothing.
    """
    root = Path(project).resolve()
    if not root.is_dir():
        raise InputError(f"{project}: not a folder (give the project's root)")
    run, owned = session_for(session, options, anchor=root)
    try:
        if not lock:
            return _classify_only(root, run)
        return _split(root, run, output)
    finally:
        if owned:
            run.close()


def _scan(root: Path, run: Session) -> ScanResult:
    run.say(f"scanning {display_path(root)}")
    return scan_project(
        root,
        excludes=list(run.settings.exclude),
        cache_dir=None if run.cache_dir is None else run.cache_dir / "scan",
        workers=min(4, os.cpu_count() or 1),
    )


def _classify_only(root: Path, run: Session) -> SplitResult:
    """The classification from the declared dependencies alone: no resolution."""
    settings = run.settings
    project = declared_dependencies(root)
    groups = declared_groups((d.requirement.name, d.group) for d in project.dependencies)
    names = {str(name): group for name, group in groups.items()}
    run.say(f"reading the newest wheels of {len(names)} declared dependencies")
    wanted: dict[NormalizedName, frozenset[str]] = {}
    for item in project.dependencies:
        name = item.requirement.name
        wanted[name] = wanted.get(name, frozenset()) | item.requirement.requirement.extras
    newest = newest_facts(run, wanted)
    tops = newest.top_levels
    scan = _scan(root, run)
    target = settings.target
    classification = classify(
        scan,
        declared=names,
        modules=ModuleMap.build(declared=names, top_levels=tops),
        entries=dict(settings.entries) or None,
        graph=newest.requires,
        python=target.python,
        platform=target.marker_environment()["sys_platform"],
    )
    roots = classification.roots_by_tier()
    return SplitResult(
        root=root,
        classification=classification,
        result=None,
        tiers={t: tuple(sorted(roots.get(t, ()))) for t in Tier},
        declared=project.dependencies,
        warnings=tuple(str(w) for w in scan.warnings),
    )


def _selected(run: Session, root: Path) -> tuple[DeclaredProject, Settings, bool]:
    """The project with only the chosen extras and groups (uv's flags; split takes them
    all by default), the settings to lock them with, and whether main deps come too."""
    settings = run.settings
    project = declared_dependencies(root)
    selection = Selection(
        extras=settings.extras,
        groups=settings.groups,
        all_extras=settings.all_extras,
        no_extras=settings.no_extras,
        no_groups=settings.no_groups,
        only_groups=settings.only_groups,
        default_all=True,
        extras_asked="extra" in settings.origins,
        groups_asked="group" in settings.origins,
    )
    extras, groups, main = selection.choose(project)
    wanted = {"main"} if main else set()
    wanted |= {f"extra:{canonicalize_name(e)}" for e in extras}
    wanted |= {f"group:{canonicalize_name(g)}" for g in groups}
    kept = tuple(d for d in project.dependencies if _group_key(d.group) in wanted)
    chosen = replace(project, dependencies=kept, extras=extras, groups=groups)
    is_pyproject = project.paths[0].name == "pyproject.toml"
    locking = replace(
        settings,
        extras=extras if is_pyproject else (),
        groups=groups if is_pyproject else (),
        all_extras=False,
    )
    return chosen, locking, main


def _group_key(group: str) -> str:
    kind, _, name = group.partition(":")
    return f"{kind}:{canonicalize_name(name)}" if name else group


def _split(root: Path, run: Session, output: str | Path | None) -> SplitResult:
    settings = run.settings
    entries = dict(settings.entries)
    project, locking, main = _selected(run, root)
    run.say(f"locking {len(project.dependencies)} declared dependencies")
    flags = tuple(f"--entry={k}={v}" for k, v in entries.items())
    shown = (display_path(root),)
    if main:
        request = LockRequest(
            paths=project.paths, verb="split", shown_inputs=shown, extra_flags=flags
        )
    else:  # --only-group: the group's requirements alone
        requirements = tuple(d.requirement for d in project.dependencies)
        request = LockRequest(
            requirements=requirements, verb="split", shown_inputs=shown, extra_flags=flags
        )
    with run.with_settings(locking) as child:
        try:
            result = resolve_lock(child, request)
        except RESOLUTION_FAILURES as exc:
            raise blame_optional(child, exc, project) from None
        tops = weigh(child, result.lock, top_levels=True).top_levels
    scan = _scan(root, run)
    groups = declared_groups((d.requirement.name, d.group) for d in project.dependencies)
    names = {str(name): group for name, group in groups.items()}
    target = result.lock.target
    graph = dict(result.resolution.dependencies) if result.resolution else {}
    classification = classify(
        scan,
        declared=names,
        modules=ModuleMap.build(declared=names, top_levels=tops),
        entries=entries or None,
        graph=graph,
        python=target.python,
        platform=target.marker_environment()["sys_platform"],
    )
    tiers_sets = partition_closure(graph, tier_roots(classification))
    tiers = {t: tuple(sorted(tiers_sets.get(t, ()))) for t in Tier}
    problems = tier_problems(classification, tiers)
    with run.with_settings(locking) as child:
        problems += optional_pin_changes(child, project, result, tiers)
    files = {name: str(Path(output) / name) for name in SplitResult.file_names()} if output else {}
    return SplitResult(
        root=root,
        classification=classification,
        result=result,
        tiers=tiers,
        declared=project.dependencies,
        warnings=(*result.warnings, *(str(w) for w in scan.warnings), *problems),
        files=files,
    )
