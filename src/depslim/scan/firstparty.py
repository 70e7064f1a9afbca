"""The project's own modules: which imports are first-party, and which file each is.

Pure: built from the list of the project's files (relative, ``/``-separated paths).
Recognises flat and ``src/`` layouts, regular and namespace packages, single-file
modules, a project whose root is itself a package, the project's own name, and for
each file the modules next to it and in the folders above it (a script in
``scripts/`` may import its neighbour ``helpers.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from packaging.utils import canonicalize_name

__all__ = ["ProjectLayout", "build_layout", "layout_from_json", "layout_to_json"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectLayout:
    """Where the project's modules are.

    ``modules`` maps each dotted module name to its file (a package to its
    ``__init__.py``); ``module_of`` is the reverse for every importable ``.py`` file;
    ``packages`` maps a file to the package its relative imports start from;
    ``top_levels`` are the first-party top-level names seen from everywhere.
    """

    modules: dict[str, str] = field(default_factory=dict)
    module_of: dict[str, str] = field(default_factory=dict)
    packages: dict[str, str | None] = field(default_factory=dict)
    top_levels: frozenset[str] = frozenset()
    local: dict[str, frozenset[str]] = field(default_factory=dict)

    def package_of(self, file: str) -> str | None:
        """The package relative imports in ``file`` resolve against (``None``: none)."""
        return self.packages.get(file)

    def local_names(self, file: str) -> frozenset[str]:
        """Top-level names importable from ``file``'s own folder and those above it."""
        folder = file.rpartition("/")[0] or "."
        return self.local.get(folder, frozenset())

    def is_first_party(self, module: str, file: str | None = None) -> bool:
        """Whether ``module`` (dotted) is the project's own, as imported from ``file``."""
        if not module or module.startswith("."):
            return True
        top = module.partition(".")[0]
        if top in self.top_levels:
            return True
        if file is not None and top in self.local_names(file):
            return True
        # ``import scripts.helpers`` where scripts/ is a namespace folder of our own.
        parts = module.split(".")
        return len(parts) > 1 and any(
            ".".join(parts[:n]) in self.modules for n in range(len(parts), 1, -1)
        )

    def file_of(self, module: str) -> str | None:
        """The file that defines ``module``, or ``None`` (not ours, or a namespace)."""
        return self.modules.get(module)


def _identifiers(parts: Iterable[str]) -> bool:
    return all(part.isidentifier() for part in parts)


def build_layout(
    files: Iterable[str],
    *,
    source_roots: Iterable[str] | None = None,
    root_package: str | None = None,
    project_name: str | None = None,
) -> ProjectLayout:
    """Work out the project's modules from its ``.py`` (and ``.ipynb``) file paths.

    ``source_roots`` are the folders modules are imported from (default: the project
    root, and ``src`` when it holds Python files). ``root_package`` is the root
    folder's name when the root itself has an ``__init__.py``. ``project_name`` (from
    ``pyproject.toml``) is first-party under its import spelling (``my-app`` →
    ``my_app``).
    """
    paths = sorted({PurePosixPath(f) for f in files})
    py = [p for p in paths if p.suffix == ".py"]
    has_init = {p.parent for p in py if p.name == "__init__.py"}
    if source_roots is None:
        roots = [PurePosixPath(".")]
        if any(p.parts[:1] == ("src",) for p in py):
            roots.append(PurePosixPath("src"))
    else:
        roots = [PurePosixPath(r or ".") for r in source_roots]
    roots.sort(key=lambda r: len(r.parts), reverse=True)

    modules: dict[str, str] = {}
    module_of: dict[str, str] = {}
    packages: dict[str, str | None] = {}
    top_levels: set[str] = set()
    if project_name:
        top_levels.add(canonicalize_name(project_name).replace("-", "_"))
    if root_package and root_package.isidentifier():
        top_levels.add(root_package)

    for path in py:
        root = next(
            (r for r in roots if r == PurePosixPath(".") or path.parts[: len(r.parts)] == r.parts),
            PurePosixPath("."),
        )
        rel = path.parts[len(root.parts) :] if root != PurePosixPath(".") else path.parts
        parts = [*rel[:-1], path.stem] if path.name != "__init__.py" else list(rel[:-1])
        if root_package and root == PurePosixPath("."):
            parts.insert(0, root_package)
        if not parts or not _identifiers(parts):
            packages[str(path)] = None
            continue
        name = ".".join(parts)
        modules.setdefault(name, str(path))
        module_of[str(path)] = name
        package_parts = parts if path.name == "__init__.py" else parts[:-1]
        packages[str(path)] = ".".join(package_parts) or None
        first = rel[0] if len(rel) > 1 else path.stem
        if root_package and root == PurePosixPath("."):
            continue
        if len(rel) == 1:
            top_levels.add(first)  # a single-file module
        elif root != PurePosixPath(".") or _is_package_dir(root / first, has_init, py):
            top_levels.add(first)

    return ProjectLayout(
        modules=modules,
        module_of=module_of,
        packages=packages,
        top_levels=frozenset(top_levels),
        local=_folder_chains(paths),
    )


def _is_package_dir(
    folder: PurePosixPath, has_init: set[PurePosixPath], py: list[PurePosixPath]
) -> bool:
    """A top folder counts from everywhere when it is a regular package, or a namespace
    package holding regular packages (``acme/plugins/__init__.py``)."""
    if folder in has_init:
        return True
    depth = len(folder.parts)
    return any(d.parts[:depth] == folder.parts for d in has_init)


def _folder_chains(paths: list[PurePosixPath]) -> dict[str, frozenset[str]]:
    # Only modules and regular packages shadow installed distributions: a folder
    # without __init__.py is a namespace portion, which any installed package beats.
    # Names *inside* a regular package never shadow anything: Python 3 has no implicit
    # relative imports, so ``model/rich.py`` is ``model.rich`` and ``import rich`` in
    # ``model/x.py`` is the real rich. A file's import roots are the first folder
    # above it that is not a regular package (what ``python path/to/script.py`` and
    # pytest put on ``sys.path``) and, leniently for scripts that extend ``sys.path``,
    # the non-package folders above that one.
    children: dict[PurePosixPath, set[str]] = defaultdict(set)
    folders: set[PurePosixPath] = {PurePosixPath(".")}
    packages = {p.parent for p in paths if p.name == "__init__.py"}
    for path in paths:
        if path.suffix == ".py" and path.stem.isidentifier():
            if path.name == "__init__.py":
                if path.parent.name.isidentifier():
                    children[path.parent.parent].add(path.parent.name)
            else:
                children[path.parent].add(path.stem)
        parent = path.parent
        while parent != PurePosixPath("."):
            folders.add(parent)
            parent = parent.parent
    chains: dict[str, frozenset[str]] = {}
    for folder in sorted(folders, key=lambda f: len(f.parts)):
        inherited = chains.get(str(folder.parent), frozenset()) if folder != folder.parent else ()
        own = children.get(folder, set()) if folder not in packages else set()
        chains[str(folder)] = frozenset(own).union(inherited)
    return chains


def layout_to_json(layout: ProjectLayout) -> dict[str, Any]:
    """A JSON-ready form of ``layout`` (for the scan cache)."""
    return {
        "modules": layout.modules,
        "module_of": layout.module_of,
        "packages": layout.packages,
        "top_levels": sorted(layout.top_levels),
        "local": {k: sorted(v) for k, v in layout.local.items()},
    }


def layout_from_json(data: Mapping[str, Any]) -> ProjectLayout:
    """The inverse of :func:`layout_to_json`; raises ``KeyError``/``TypeError``."""
    return ProjectLayout(
        modules={str(k): str(v) for k, v in data["modules"].items()},
        module_of={str(k): str(v) for k, v in data["module_of"].items()},
        packages={str(k): None if v is None else str(v) for k, v in data["packages"].items()},
        top_levels=frozenset(str(t) for t in data["top_levels"]),
        local={str(k): frozenset(str(n) for n in v) for k, v in data["local"].items()},
    )
