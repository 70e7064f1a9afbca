"""Shared by the real-project corpus test and the comparison script: how each project
in ``fixtures/real`` declares its dependencies and which entry points it has."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from depslim.scan import Classification, ScanResult, classify, scan_project
from depslim.scan.truth import declared_groups

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "real"
PROJECTS = ("fastchat", "private-gpt", "shynet", "handson-ml3", "litestar-fullstack")


def spec(project: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((REAL / project / "expected.json").read_text("utf-8"))
    return data


def _requirement_names(lines: list[str]) -> list[str]:
    out = []
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        try:
            out.append(Requirement(line).name)
        except InvalidRequirement:
            continue
    return out


def declared(project: str) -> dict[str, str]:
    """name → group, read from the project's own declaration (PEP 621 with extras and
    dependency groups, Poetry, or requirements.txt); main wins over an extra."""
    root = REAL / project
    pairs: list[tuple[str, str]] = []
    pyproject = root / "pyproject.toml"
    data = tomllib.loads(pyproject.read_text("utf-8")) if pyproject.is_file() else {}
    own = re.compile(re.escape(str(data.get("project", {}).get("name", "\0"))), re.IGNORECASE)
    pairs += [
        (n, "main") for n in _requirement_names(data.get("project", {}).get("dependencies", []))
    ]
    for extra, reqs in (data.get("project", {}).get("optional-dependencies") or {}).items():
        pairs += [(n, f"extra:{extra}") for n in _requirement_names(reqs) if not own.fullmatch(n)]
    for group, reqs in (data.get("dependency-groups") or {}).items():
        names = _requirement_names([r for r in reqs if isinstance(r, str)])
        pairs += [(n, f"group:{group}") for n in names]
    poetry = data.get("tool", {}).get("poetry", {})
    pairs += [(n, "main") for n in poetry.get("dependencies", {}) if n != "python"]
    pairs += [(n, "group:dev") for n in poetry.get("dev-dependencies", {})]
    requirements = root / "requirements.txt"
    if requirements.is_file():
        lines = requirements.read_text("utf-8").splitlines()
        pairs += [(n, "main") for n in _requirement_names(lines)]
    return {str(k): v for k, v in declared_groups(pairs).items()}


def run(project: str) -> tuple[ScanResult, Classification]:
    entries = spec(project).get("entries") or None
    scan = scan_project(REAL / project)
    assert isinstance(entries, dict | type(None))
    return scan, classify(scan, declared=declared(project), entries=entries)
