"""DESIGN.md's layering rule, enforced: every module's imports are read with ``ast``.

A module may import only its own layer or lower ones, and each third-party library
only where its owner lives (httpx in ``depslim.index``, resolvelib in
``depslim.resolve``, tomlkit in ``depslim.inputs``/``depslim.lockfile``).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "depslim"

# Modules doing I/O at the edges (layer 2); listed explicitly so that a new edge is a
# decision, not an accident.
EDGE_MODULES = {
    "depslim.api",
    "depslim.api._files",
    "depslim.api._session",
    "depslim.api._locking",
    "depslim.api._sizes",
    "depslim.api._extras",
    "depslim.settings",
    "depslim.api.lock",
    "depslim.api.report",
    "depslim.api.split",
    "depslim.api.layers",
    "depslim.api.check",
    "depslim.api.why",
    "depslim.index",
    "depslim.index.client",
    "depslim.index.cache",
    "depslim.index.transport",
    "depslim.index.build",
    "depslim.index.direct",
    "depslim.scan",
    "depslim.scan.walk",
    "depslim.layers",
    "depslim.layers.history",
}
ENTRY_MODULES = {
    "depslim",
    "depslim.__main__",
    "depslim.cli",
    "depslim.cli.options",
    "depslim.cli.commands",
    "depslim.cli.render",
}
VALUE_MODULES = {"depslim.models", "depslim.errors", "depslim.target"}

THIRD_PARTY_OWNERS = {
    "httpx": ("depslim.index",),
    "resolvelib": ("depslim.resolve",),
    "tomlkit": ("depslim.inputs", "depslim.lockfile"),
    "platformdirs": ("depslim.settings",),
    "packaging": ("depslim",),
}


def layer_of(module: str) -> int:
    if module in ENTRY_MODULES:
        return 3
    if module in EDGE_MODULES:
        return 2
    if module in VALUE_MODULES:
        return 0
    return 1


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                # "from depslim import api" imports the submodule, not the package's API
                sub = f"{target}.{alias.name}"
                where = SRC.parent / Path(*sub.split("."))
                is_module = where.with_suffix(".py").exists() or (where / "__init__.py").exists()
                found.append((node.lineno, sub if is_module else target))
    return found


MODULES = sorted(SRC.rglob("*.py"))


def test_modules_found() -> None:
    assert len(MODULES) > 20


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_module_respects_layers(path: Path) -> None:
    module = module_name(path)
    mine = layer_of(module)
    problems = []
    for line, target in imports_of(path):
        top = target.split(".")[0]
        if top == "depslim":
            if target == "depslim" and module != "depslim":
                problems.append(f"{path.name}:{line} imports the package root")
                continue
            theirs = layer_of(target)
            if theirs > mine:
                problems.append(f"{module}:{line} (layer {mine}) imports {target} (layer {theirs})")
        elif top in THIRD_PARTY_OWNERS:
            owners = THIRD_PARTY_OWNERS[top]
            if not any(module == o or module.startswith(o + ".") for o in owners):
                problems.append(f"{module}:{line} imports {top}, owned by {', '.join(owners)}")
        elif top not in sys.stdlib_module_names and top != "__future__":
            problems.append(f"{module}:{line} imports {top}, not a declared dependency")
    assert not problems, "\n".join(problems)


def test_public_api_is_typed_and_exported() -> None:
    import depslim

    assert (SRC / "py.typed").exists()
    for name in depslim.__all__:
        assert hasattr(depslim, name), name


VERB_MODULES = sorted(p for p in (SRC / "api").glob("*.py") if not p.name.startswith("_"))


@pytest.mark.parametrize("path", VERB_MODULES, ids=module_name)
def test_verbs_never_import_each_other(path: Path) -> None:
    """A verb composes stages and the api's private helpers, never another verb."""
    verbs = {module_name(p) for p in VERB_MODULES}
    module = module_name(path)
    wrong = [
        f"{module}:{line} imports {target}"
        for line, target in imports_of(path)
        if any(target == v or target.startswith(v + ".") for v in verbs - {module})
    ]
    assert not wrong, "\n".join(wrong)


def test_verbs_are_found() -> None:
    assert {p.stem for p in VERB_MODULES} >= {"lock", "split", "layers", "report", "check"}
