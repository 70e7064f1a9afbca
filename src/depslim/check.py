"""The findings of ``depslim check``: codes, messages, fix hints, rendering (pure).

Every finding has a stable code (like ruff's), a one-line message, a one-line fix
hint and, where there is one, the ``file:line`` it points at. A code can be switched
off in ``[tool.depslim] ignore = ["DS004"]``, or on one import line with
``# depslim: ignore[DS003]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["CODES", "Finding", "findings_to_json", "render_findings", "without_ignored"]

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
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One problem: code, message, where (``path`` and ``line`` when known)."""

    code: str
    message: str
    path: str | None = None
    line: int | None = None
    subject: str = ""

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
        out.append(f"{where}{finding.code} [{finding.name}] {finding.message}")
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
        }
        for f in sorted(findings, key=lambda f: (f.path or "", f.line or 0, f.code))
    ]
