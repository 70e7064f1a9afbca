"""``depslim.split``: tiers (base / ml / dev) from what the code imports, pinned from one lock.

Reads the project's declared dependencies, locks their union once, learns each pinned
wheel's top-level modules from its zip directory (range requests, cached), scans the
code, classifies every dependency, and partitions the pinned graph so every tier agrees
on every version.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packaging.utils import NormalizedName

from depslim.api._files import (
    Progress,
    cache_root,
    display_path,
    load_settings,
    package_version,
    write_atomic,
)
from depslim.api.lock import LockResult, lock
from depslim.api.report import as_read_lock, lock_routing
from depslim.errors import InputError
from depslim.index.cache import Cache
from depslim.index.client import ClientSettings, IndexClient
from depslim.inputs import parse_pyproject, parse_requirements
from depslim.lockfile import render_requirements_txt
from depslim.models import InputRequirement, Lock
from depslim.scan import Classification, ModuleMap, Tier, classify, partition_closure, scan_project
from depslim.target import Target

__all__ = ["Declared", "SplitResult", "declared_dependencies", "split"]

_DEV_REQUIREMENTS = ("requirements-dev.in", "dev-requirements.in", "requirements/dev.in")


@dataclass(frozen=True, slots=True, kw_only=True)
class Declared:
    """A dependency as the project declares it, with its group (main / extra:X / group:X)."""

    requirement: InputRequirement
    group: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitResult:
    """The tiers of a project: classification, the one lock, and the pins of each tier."""

    root: Path
    classification: Classification
    result: LockResult
    tiers: Mapping[Tier, tuple[NormalizedName, ...]]
    declared: tuple[Declared, ...]
    warnings: tuple[str, ...] = ()
    files: Mapping[str, str] = field(default_factory=dict)

    def tier_lock(self, tier: Tier) -> Lock:
        """The pins of one tier as a lock (installs on top of the tiers below it)."""
        wanted = set(self.tiers[tier])
        return replace(
            self.result.lock,
            pins=tuple(p for p in self.result.lock.pins if p.name in wanted),
            command=f"depslim split {display_path(self.root)}  # tier: {tier.value}",
        )

    @staticmethod
    def file_names() -> list[str]:
        """The files :meth:`render` writes: ``<tier>.in`` and ``<tier>.txt`` per tier."""
        return [f"{tier.value}{suffix}" for tier in Tier for suffix in (".in", ".txt")]

    def render(self) -> dict[str, str]:
        """File name → text: ``{tier}.in`` (declared roots) and ``{tier}.txt`` (pins)."""
        out: dict[str, str] = {}
        previous: Tier | None = None
        roots = self.classification.roots_by_tier()
        by_name = {d.requirement.name: d for d in self.declared}
        for tier in Tier:
            include = [f"-r {previous.value}.in"] if previous else []
            lines = sorted(
                str(by_name[n].requirement.requirement) for n in roots.get(tier, ()) if n in by_name
            )
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

    def rows(self) -> list[tuple[str, str, str]]:
        """(dependency, tier, evidence) for the table, declared ones first."""
        out: list[tuple[str, str, str]] = []
        for name, placement in sorted(self.classification.placements.items()):
            evidence = str(placement.evidence[0]) if placement.evidence else ""
            out.append((name, placement.tier.value, evidence))
        for missing in self.classification.missing:
            evidence = str(missing.evidence[0]) if missing.evidence else ""
            out.append((missing.name, f"{missing.tier.value} (missing)", evidence))
        out.extend(
            (name, "unused", "declared, never imported") for name in self.classification.unused
        )
        out.extend(
            (tr.name, f"{tr.tier.value} (transitive)", f"via {', '.join(tr.via)}")
            for tr in self.classification.transitive
        )
        return out

    def table(self) -> str:
        rows = [("dependency", "tier", "evidence"), *self.rows()]
        width = [max(len(r[i]) for r in rows) for i in range(2)]
        lines = [f"{a:<{width[0]}}  {b:<{width[1]}}  {c}" for a, b, c in rows]
        counts = ", ".join(f"{t.value} {len(self.tiers[t])}" for t in Tier)
        lines.append("")
        lines.append(
            f"Pinned packages per tier: {counts} (one resolution, {len(self.result.pins)} pins)"
        )
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict[str, Any]:
        c = self.classification
        return {
            "root": str(self.root),
            "target": self.result.to_json()["target"],
            "dependencies": [
                {
                    "name": name,
                    "tier": p.tier.value,
                    "group": p.group,
                    "evidence": [str(e) for e in p.evidence],
                }
                for name, p in sorted(c.placements.items())
            ],
            "unused": list(c.unused),
            "missing": [
                {
                    "name": m.name,
                    "tier": m.tier.value,
                    "modules": list(m.modules),
                    "evidence": [str(e) for e in m.evidence],
                }
                for m in c.missing
            ],
            "transitive": [
                {"name": t.name, "tier": t.tier.value, "via": list(t.via)} for t in c.transitive
            ],
            "tiers": {t.value: list(self.tiers[t]) for t in Tier},
            "pins": {p.name: str(p.version) for p in self.result.pins},
            "files": dict(self.files),
            "warnings": list(self.warnings),
        }


def declared_dependencies(root: Path) -> tuple[list[Declared], list[Path], list[str], list[str]]:
    """Declared dependencies with their groups, the inputs to lock, extras and groups."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        text = pyproject.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{pyproject}: invalid TOML: {exc}") from None
        project = data.get("project", {})
        extras = sorted((project.get("optional-dependencies") or {}).keys())
        groups = sorted((data.get("dependency-groups") or {}).keys())
        out = [
            Declared(requirement=r, group="main")
            for r in parse_pyproject(text, path=pyproject).requirements
        ]
        selections: list[tuple[str, list[str], list[str]]] = [
            (f"extra:{e}", [e], []) for e in extras
        ]
        selections += [(f"group:{g}", [], [g]) for g in groups]
        for label, one_extra, one_group in selections:
            # each extra/group parsed alone; what the main list already has stays "main"
            inner = parse_pyproject(
                text, path=pyproject, extras=one_extra, groups=one_group
            ).requirements
            seen = {d.requirement.requirement for d in out}
            out += [
                Declared(requirement=r, group=label) for r in inner if r.requirement not in seen
            ]
        if out:
            return out, [pyproject], extras, groups
    main = root / "requirements.in"
    if not main.is_file():
        raise InputError(
            f"{root}: no dependencies declared: depslim split reads [project] dependencies, "
            "optional-dependencies and [dependency-groups] of pyproject.toml, or requirements.in "
            "(plus requirements-dev.in)"
        )
    out = [
        Declared(requirement=r, group="main")
        for r in parse_requirements(main).requirements
        if not r.constraint
    ]
    paths = [main]
    for name in _DEV_REQUIREMENTS:
        dev = root / name
        if dev.is_file():
            paths.append(dev)
            out += [
                Declared(requirement=r, group="group:dev")
                for r in parse_requirements(dev).requirements
                if not r.constraint
            ]
    return out, paths, [], []


def _top_levels(
    result: LockResult, *, cache: Cache | None, offline: bool
) -> dict[NormalizedName, list[str]]:
    """Top-level modules of every pinned wheel, from its zip directory (cached by hash)."""
    resolution = result.resolution
    if resolution is None:
        return {}
    conf = ClientSettings(offline=offline)
    with IndexClient(
        conf, routing=lock_routing(as_read_lock(result.lock), ()), cache=cache
    ) as client:

        def one(name: NormalizedName) -> tuple[NormalizedName, list[str]]:
            cand = resolution.candidates[name]
            wheels = [link for link in cand.links if link.is_wheel]
            if not wheels:
                return name, []
            return name, list(client.file_facts(wheels[0]).top_level)

        with ThreadPoolExecutor(max_workers=conf.concurrency) as pool:
            return dict(pool.map(one, list(resolution.candidates)))


def split(
    project: str | Path = ".",
    *,
    entries: Mapping[str, str] | None = None,
    target: Target | None = None,
    index_url: str | None = None,
    extra_index_urls: Sequence[str] = (),
    excludes: Sequence[str] = (),
    torch_backend: str | None = None,
    torch_index_url: str | None = None,
    cache_dir: str | Path | None = None,
    no_cache: bool = False,
    offline: bool = False,
    output: str | Path | None = None,
    progress: Progress | None = None,
) -> SplitResult:
    """Split a project's dependencies into tiers from what its code imports.

    ``entries`` (``{"api": "app.main", "worker": "app.worker"}``; the first is the API)
    default to ``[tool.depslim] entries``; without entries a curated ML family decides
    the ml tier. ``output`` is the folder the tier files will be written to: existing
    tier locks there are not read (the union lock is always fresh). Everything is pinned
    from one resolution of the union of all declared dependencies.
    """
    root = Path(project).resolve()
    if not root.is_dir():
        raise InputError(f"{project}: not a folder (give the project's root)")
    config = root / "pyproject.toml"
    settings = load_settings(config if config.is_file() else None)
    entries = dict(entries or settings.entries or {})
    declared, paths, extras, groups = declared_dependencies(root)
    if progress:
        progress(f"locking {len(declared)} declared dependencies")
    result = lock(
        paths,
        target=target,
        index_url=index_url,
        extra_index_urls=extra_index_urls,
        torch_backend=torch_backend,
        torch_index_url=torch_index_url,
        extras=extras if paths[0].name == "pyproject.toml" else (),
        groups=groups if paths[0].name == "pyproject.toml" else (),
        cache_dir=cache_dir,
        no_cache=no_cache,
        offline=offline,
        config=config if config.is_file() else False,
        progress=progress,
    )
    root_of_cache = cache_root(cache_dir, settings)
    cache = None if no_cache else Cache(root_of_cache)
    tops = _top_levels(result, cache=cache, offline=offline)
    if progress:
        progress(f"scanning {display_path(root)}")
    scan = scan_project(
        root,
        excludes=[*(settings.exclude or ()), *excludes],
        cache_dir=None if no_cache else root_of_cache / "scan",
        workers=min(4, os.cpu_count() or 1),
    )
    names: dict[str, str] = {d.requirement.name: d.group for d in declared}
    target_used = result.lock.target
    resolution = result.resolution
    graph = dict(resolution.dependencies) if resolution else {}
    classification = classify(
        scan,
        declared=names,
        modules=ModuleMap.build(declared=names, top_levels=tops),
        entries=entries or None,
        graph=graph,
        python=target_used.python,
        platform=target_used.marker_environment()["sys_platform"],
    )
    tiers_sets = partition_closure(graph, classification.roots_by_tier())
    tiers = {t: tuple(sorted(tiers_sets.get(t, ()))) for t in Tier}
    warnings = list(result.warnings) + [str(w) for w in scan.warnings]
    split_result = SplitResult(
        root=root,
        classification=classification,
        result=result,
        tiers=tiers,
        declared=tuple(declared),
        warnings=tuple(warnings),
    )
    if output is not None:
        files = {name: str(Path(output) / name) for name in split_result.file_names()}
        split_result = replace(split_result, files=files)
    return split_result
