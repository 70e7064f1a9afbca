"""Import scanning for ``depslim split``: what the code imports, and which tier each
dependency belongs to.

The pipeline: :func:`scan_project` (the only file-system I/O) walks the project and
scans every ``.py`` file and notebook into :class:`ImportRecord` values;
:class:`ModuleMap` maps imports to distributions; :func:`classify` puts each declared
dependency into a tier (base / ml / dev) with its evidence; :func:`partition_closure`
splits the pinned graph into tiers once the lock is made.
"""

from __future__ import annotations

from depslim.scan.firstparty import ProjectLayout, build_layout
from depslim.scan.imports import decode_source, resolve_relative, scan_bytes, scan_source
from depslim.scan.mapping import (
    ModuleMap,
    Resolution,
    bundled_table,
    installed_top_levels,
    top_levels_from_paths,
)
from depslim.scan.notebooks import blank_ipython, scan_notebook
from depslim.scan.records import (
    Condition,
    FileScan,
    ImportRecord,
    ParseWarning,
    Reference,
    ScanResult,
    ScanStats,
)
from depslim.scan.roles import FileRole, Role, Tier, file_role
from depslim.scan.rules import RuleHit, apply_rules, is_dev_group
from depslim.scan.stdlib import is_stdlib, stdlib_modules
from depslim.scan.tiers import (
    ML_FAMILY,
    Classification,
    Evidence,
    Missing,
    Placement,
    Transitive,
    classify,
    closure,
    ml_dependents,
    partition_closure,
    reachable_files,
)
from depslim.scan.truth import declared_groups, shown_tiers, tier_problems, tier_roots
from depslim.scan.walk import ScanOptions, iter_project_files, scan_project
from depslim.scan.wrappers import Carried, through_dependencies

__all__ = [
    "ML_FAMILY",
    "Carried",
    "Classification",
    "Condition",
    "Evidence",
    "FileRole",
    "FileScan",
    "ImportRecord",
    "Missing",
    "ModuleMap",
    "ParseWarning",
    "Placement",
    "ProjectLayout",
    "Reference",
    "Resolution",
    "Role",
    "RuleHit",
    "ScanOptions",
    "ScanResult",
    "ScanStats",
    "Tier",
    "Transitive",
    "apply_rules",
    "blank_ipython",
    "build_layout",
    "bundled_table",
    "classify",
    "closure",
    "declared_groups",
    "decode_source",
    "file_role",
    "installed_top_levels",
    "is_dev_group",
    "is_stdlib",
    "iter_project_files",
    "ml_dependents",
    "partition_closure",
    "reachable_files",
    "resolve_relative",
    "scan_bytes",
    "scan_notebook",
    "scan_project",
    "scan_source",
    "shown_tiers",
    "stdlib_modules",
    "through_dependencies",
    "tier_problems",
    "tier_roots",
    "top_levels_from_paths",
]
