"""The findings of ``depslim check``: codes, messages, fix hints, rendering (pure).

Every finding has a stable code (like ruff's), a one-line message, a one-line fix
hint and, where there is one, the ``file:line`` it points at. A code can be switched
off in ``[tool.depslim] ignore = ["DS004"]``, or on one import line with
``# depslim: ignore[DS003]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from depslim.scan.records import ImportRecord
from depslim.scan.roles import Tier
from depslim.scan.tiers import Classification, Evidence, Missing

__all__ = [
    "CODES",
    "SEVERITIES",
    "Finding",
    "code_findings",
    "failing",
    "findings_to_json",
    "render_findings",
    "without_ignored",
]

#: code → (name, fix hint)
CODES: dict[str, tuple[str, str]] = {
    "DS001": (
        "lock-stale",
        "re-run `depslim lock` (or let the depslim-lock pre-commit hook do it)",
    ),
    "DS002": (
        "gpu-package",
        (
            "lock with the CPU policy (drop --torch-backend pypi) or replace the package that "
            "pulls it in; see docs/gpu.md"
        ),
    ),
    "DS003": (
        "missing-dependency",
        (
            "declare the distribution in pyproject.toml (or requirements.in), or mark the line "
            "`# depslim: ignore[DS003]`"
        ),
    ),
    "DS004": (
        "unused-dependency",
        "remove it from the declared dependencies, or ignore DS004 for it in [tool.depslim]",
    ),
    "DS005": (
        "tier-violation",
        (
            "move the import out of the API's import graph (a worker module, a lazy import "
            "behind a feature flag), or move the package to the base tier on purpose"
        ),
    ),
    "DS006": (
        "tier-version-mismatch",
        "re-run `depslim split` so every tier is pinned from one resolution",
    ),
    "DS007": (
        "unknown-modules",
        (
            "run `depslim split` online once: it records which modules each distribution "
            "provides, and `check` then answers offline"
        ),
    ),
}

#: How a finding weighs: ``error`` fails ``check``; ``warning`` and ``info`` are shown only.
SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One problem: code, message, where (``path`` and ``line`` when known)."""

    code: str
    message: str
    path: str | None = None
    line: int | None = None
    subject: str = ""
    evidence: str = ""
    severity: str = "error"

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown finding code {self.code!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")

    @property
    def name(self) -> str:
        return CODES[self.code][0]

    @property
    def hint(self) -> str:
        return CODES[self.code][1]

    @property
    def where(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line else self.path


def without_ignored(findings: Iterable[Finding], ignore: Iterable[str]) -> list[Finding]:
    """Drop findings whose code (``DS004``) or name (``unused-dependency``) is ignored."""
    off = {code.upper() for code in ignore} | {code.lower() for code in ignore}
    return [f for f in findings if f.code not in off and f.name not in off]


def render_findings(findings: Iterable[Finding]) -> str:
    """``path:line: DS003 [missing-dependency] message`` then the hint, one per finding."""
    out = []
    for finding in sorted(findings, key=lambda f: (f.path or "", f.line or 0, f.code)):
        where = f"{finding.where}: " if finding.where else ""
        level = "" if finding.severity == "error" else f" ({finding.severity})"
        out.append(f"{where}{finding.code} [{finding.name}]{level} {finding.message}")
        if finding.evidence:
            out.append(f"    why: {finding.evidence}")
        out.append(f"    fix: {finding.hint}")
    return "\n".join(out) + ("\n" if out else "")


def findings_to_json(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    return [
        {
            "code": f.code,
            "name": f.name,
            "message": f.message,
            "hint": f.hint,
            "path": f.path,
            "line": f.line,
            "subject": f.subject,
            "evidence": f.evidence,
            "severity": f.severity,
        }
        for f in sorted(findings, key=lambda f: (f.path or "", f.line or 0, f.code))
    ]


def failing(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that make ``check`` fail (exit 1): errors only."""
    return [f for f in findings if f.severity == "error"]


def _split_where(where: str | None) -> tuple[str | None, int | None]:
    if not where:
        return None, None
    path, _, line = where.rpartition(":")
    if not line.isdigit():
        return where, None
    if ":cell " in path:  # a notebook: file:cell N:line
        path = path.partition(":cell ")[0]
    return path, int(line)


def _describe(evidence: Evidence) -> str:
    """The import or rule behind a finding, as ``file:line import x`` or
    ``file:line [rule] detail``."""
    return str(evidence)


def code_findings(
    classification: Classification,
    *,
    imports: Sequence[ImportRecord] = (),
    declared_at: Mapping[str, tuple[str | None, int | None]] | None = None,
    expected: Mapping[str, Tier] | None = None,
    api: str | None = None,
) -> list[Finding]:
    """The code checks (DS003, DS004, DS005, DS007) from a classification. Pure.

    ``imports`` are the scanned imports (for ``# depslim: ignore[…]`` comments);
    ``declared_at`` maps a declared distribution to where it is declared (``path``,
    ``line``) for DS004; ``expected`` is each package's tier as the tier files pin it
    (:func:`depslim.scan.truth.shown_tiers`) and ``api`` the first entry's name:
    with both, an import that the API's code runs of a package pinned only in the ml
    or dev tier is DS005, with the same function-level reachability as ``split``.

    * DS003 missing: imported (or required by a rule) and provided by no declared
      distribution. Optional imports (``except ImportError``) are a ``warning``.
    * DS004 unused: declared, and no import or rule uses it, while its modules are
      known (a distribution whose modules are unknown offline is never unused).
    * DS007 unknown (``info``): a declared distribution, or an import, that cannot be
      decided offline because nobody knows the distribution's modules yet.

    Every finding names its subject (never empty) and cites the import or rule that
    decided it in ``evidence``.
    """
    silenced = _silencer(imports)
    unknown = tuple(classification.unknown)
    out = [
        finding
        for missing in classification.missing
        if (finding := _missing_finding(missing, unknown, silenced)) is not None
    ]
    out.extend(_declared_findings(classification, declared_at or {}))
    if expected is not None and api is not None:
        out.extend(_tier_violations(classification, expected, api, silenced))
    return out


def _silencer(imports: Sequence[ImportRecord]) -> Callable[[Evidence, str], bool]:
    """Whether the import a piece of evidence cites silences a code with a
    ``# depslim: ignore[…]`` comment."""
    by_place = {(r.file, r.line): r for r in imports}

    def silenced(evidence: Evidence, code: str) -> bool:
        path, line = _split_where(evidence.where)
        record = by_place.get((path or "", line or 0))
        return record is not None and record.is_ignored(code)

    return silenced


def _missing_finding(
    missing: Missing,
    unknown: Sequence[str],
    silenced: Callable[[Evidence, str], bool],
) -> Finding | None:
    """DS003 for a missing distribution, DS007 when its provider is only a guess that
    one of the ``unknown`` declared distributions may be; ``None`` when it has no name
    or evidence, or its import silences DS003."""
    if not missing.name or not missing.evidence:
        return None
    first = missing.evidence[0]
    if silenced(first, "DS003"):
        return None
    path, line = _split_where(first.where)
    if missing.modules:
        what = f"imports {', '.join(missing.modules)}"
    else:
        what = f"uses {missing.name} ([{first.rule}] {first.detail})"
    if missing.uncertain:
        return Finding(
            code="DS007",
            path=path,
            line=line,
            subject=missing.name,
            severity="info",
            message=f"{what}: provided by {missing.name} if named like it, or by "
            f"one of {', '.join(unknown)} (modules unknown offline)",
            evidence=_describe(first),
        )
    mark = ", optional: the code runs without it" if missing.optional else ""
    return Finding(
        code="DS003",
        path=path,
        line=line,
        subject=missing.name,
        severity="warning" if missing.optional else "error",
        message=f"{what}, which no declared dependency provides "
        f"(distribution: {missing.name}, tier {missing.tier.value}{mark})",
        evidence=_describe(first),
    )


def _declared_findings(
    classification: Classification,
    declared_at: Mapping[str, tuple[str | None, int | None]],
) -> list[Finding]:
    """DS004 for each unused declared distribution, then DS007 for each unknown one,
    at the place it is declared."""
    out: list[Finding] = []
    for name in classification.unused:
        path, line = declared_at.get(name, (None, None))
        out.append(
            Finding(
                code="DS004",
                path=path,
                line=line,
                subject=name,
                message=f"{name} is declared but nothing imports or uses it",
                evidence="no import resolves to its modules and no rule places it",
            )
        )
    for name in classification.unknown:
        path, line = declared_at.get(name, (None, None))
        out.append(
            Finding(
                code="DS007",
                path=path,
                line=line,
                subject=name,
                severity="info",
                message=f"{name}: unknown, run `depslim split` online once (its modules are "
                "not known offline, so depslim cannot tell whether it is used)",
                evidence="no cached file list or table row for it; imports left unexplained",
            )
        )
    return out


def _tier_violations(
    classification: Classification,
    expected: Mapping[str, Tier],
    api: str,
    silenced: Callable[[Evidence, str], bool],
) -> Iterable[Finding]:
    users: list[tuple[str, tuple[Evidence, ...]]] = [
        (p.name, p.evidence) for p in classification.placements.values()
    ]
    users += [(t.name, t.evidence) for t in classification.transitive]
    for name, evidence in users:
        tier = expected.get(name)
        if tier is None or tier is Tier.BASE:
            continue
        for item in evidence:
            if item.kind != "import" or item.tier is not Tier.BASE:
                continue
            flags = item.detail.partition(" (")[2].rstrip(")").split(", ")
            if "optional" in flags or "typing" in flags or silenced(item, "DS005"):
                continue
            path, line = _split_where(item.where)
            module = item.detail.split(" ")[1] if item.detail.startswith("import ") else name
            yield Finding(
                code="DS005",
                path=path,
                line=line,
                subject=name,
                message=f"{module} ({name}, {tier.value} tier) is imported by code the "
                f"{api!r} entry runs: it would end up in the base image",
                evidence=_describe(item),
            )
