"""Import name → distribution.

In order: (1) the top-level modules distributions really provide, learned from their
file lists (a wheel's ``RECORD`` read by the lead's index code, or the installed
environment via :func:`installed_top_levels`); (2) a bundled table of well-known
mismatches (``data/modules.json``: ``sklearn`` → scikit-learn, ``cv2`` → the OpenCV
family, namespace packages like ``google.cloud.storage``); (3) the import's own name,
normalized. The longest dotted prefix that anyone provides wins; among the
distributions providing it, the declared ones win. A name guess is never made where
(1) or (2) know the module, which is what keeps squatted names (``jwt``, ``attr``,
``sklearn``) from being picked.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from types import MappingProxyType

from packaging.utils import NormalizedName, canonicalize_name

__all__ = [
    "ModuleMap",
    "Resolution",
    "bundled_table",
    "installed_top_levels",
    "top_levels_from_paths",
]

_EXT_RE = re.compile(r"\.(?:cpython-[^.]*|abi3|pypy[^.]*|cp\d+[^.]*)?\.?(?:so|pyd|dylib)$")
_SKIP_SUFFIXES = (".dist-info", ".data", ".libs", ".egg-info", ".egg-link")
_MAX_NAMESPACE_DEPTH = 4


@cache
def bundled_table() -> Mapping[str, tuple[NormalizedName, ...]]:
    """The bundled table: dotted module → distributions providing it, preferred first."""
    raw = json.loads(files("depslim.scan").joinpath("data", "modules.json").read_text("utf-8"))
    return MappingProxyType(
        {str(k): tuple(canonicalize_name(str(n)) for n in v) for k, v in raw.items()}
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolution:
    """What an import resolves to.

    ``prefix`` is the dotted prefix of the import that matched; ``names`` are the
    distributions that provide it, declared ones first, then the preferred one;
    ``declared`` the declared ones among them (empty: the import is not declared);
    ``source`` is ``"metadata"``, ``"table"`` or ``"name"``.
    """

    module: str
    prefix: str
    names: tuple[NormalizedName, ...]
    declared: tuple[NormalizedName, ...]
    source: str

    @property
    def best(self) -> NormalizedName:
        """The distribution to report: the declared one, else the preferred one."""
        return self.declared[0] if self.declared else self.names[0]


def _freeze_index(
    pairs: Iterable[tuple[str, NormalizedName]],
) -> Mapping[tuple[str, ...], tuple[NormalizedName, ...]]:
    index: dict[tuple[str, ...], list[NormalizedName]] = {}
    for module, name in pairs:
        key = tuple(module.split("."))
        bucket = index.setdefault(key, [])
        if name not in bucket:
            bucket.append(name)
    return MappingProxyType({k: tuple(v) for k, v in index.items()})


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleMap:
    """Resolves imports to distributions for one project.

    Build it with :meth:`build`: ``declared`` are the project's declared
    distributions; ``top_levels`` maps distributions (declared or transitive) to the
    dotted modules they provide (``google-cloud-storage`` → ``google.cloud.storage``).
    """

    declared: frozenset[NormalizedName] = frozenset()
    known: frozenset[NormalizedName] = frozenset()
    metadata: Mapping[tuple[str, ...], tuple[NormalizedName, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    table: Mapping[tuple[str, ...], tuple[NormalizedName, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    @classmethod
    def build(
        cls,
        *,
        declared: Iterable[str] = (),
        top_levels: Mapping[NormalizedName, Iterable[str]] | None = None,
        table: Mapping[str, Iterable[str]] | None = None,
    ) -> ModuleMap:
        """A map from the declared names, learned top-levels and a table (default: bundled)."""
        tops = top_levels or {}
        rows = bundled_table() if table is None else table
        return cls(
            declared=frozenset(canonicalize_name(n) for n in declared),
            known=frozenset(canonicalize_name(n) for n in tops),
            metadata=_freeze_index(
                (m, canonicalize_name(n)) for n, mods in tops.items() for m in mods
            ),
            table=_freeze_index(
                (m, canonicalize_name(n)) for m, names in rows.items() for n in names
            ),
        )

    def knows(self, name: str) -> bool:
        """Whether the modules ``name`` provides are known (file list or table)."""
        dist = canonicalize_name(name)
        return dist in self.known or any(dist in names for names in self.table.values())

    def ships_nothing(self, name: str) -> bool:
        """Whether ``name``'s file list is known and provides no module (a wrapper)."""
        dist = canonicalize_name(name)
        if dist not in self.known:
            return False
        return not any(dist in names for names in self.metadata.values())

    def resolve(self, *modules: str) -> Resolution:
        """The distribution(s) behind an import.

        ``modules`` are the dotted names the import may mean, most specific first
        (``ImportRecord.candidates()``): the longest prefix any of them shares with a
        known module wins.
        """
        best: tuple[int, tuple[str, ...], str] | None = None
        for module in modules:
            parts = tuple(module.split("."))
            for n in range(len(parts), 0, -1):
                key = parts[:n]
                if key in self.metadata or key in self.table:
                    if best is None or n > best[0]:
                        best = (n, key, module)
                    break
        if best is not None:
            _, key, module = best
            from_meta = self.metadata.get(key, ())
            from_table = self.table.get(key, ())
            ordered = list(dict.fromkeys((*from_meta, *from_table)))
            declared = tuple(n for n in ordered if n in self.declared)
            rest = tuple(n for n in ordered if n not in self.declared)
            return Resolution(
                module=module,
                prefix=".".join(key),
                names=(*declared, *rest),
                declared=declared,
                source="metadata" if any(n in from_meta for n in declared or ordered) else "table",
            )
        return self._by_name(modules or ("",))

    def _by_name(self, modules: tuple[str, ...]) -> Resolution:
        for module in modules:
            parts = module.split(".")
            for n in range(len(parts), 0, -1):
                guess = canonicalize_name("-".join(parts[:n]))
                if guess in self.declared and guess not in self.known:
                    return Resolution(
                        module=module,
                        prefix=".".join(parts[:n]),
                        names=(guess,),
                        declared=(guess,),
                        source="name",
                    )
        module = modules[-1]
        top = module.partition(".")[0] or "unknown"
        return Resolution(
            module=module, prefix=top, names=(canonicalize_name(top),), declared=(), source="name"
        )


def top_levels_from_paths(paths: Iterable[str]) -> frozenset[str]:
    """The importable modules a distribution's file list provides.

    ``paths`` are the ``/``-separated paths of a wheel (or an installed ``RECORD``).
    ``*.dist-info``, ``*.data`` and ``*.libs`` folders are skipped, extension-module
    suffixes stripped; a folder without ``__init__`` is a namespace package, so the
    modules one level deeper are returned (``google/cloud/storage/…`` →
    ``google.cloud.storage``).
    """
    tree: dict[str, object] = {}
    for raw in paths:
        parts = [p for p in raw.replace("\\", "/").split("/") if p and p != "."]
        if not parts or parts[0] == ".." or parts[0].endswith(_SKIP_SUFFIXES):
            continue
        node = tree
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node.setdefault(parts[-1], None)
    return frozenset(_tops(tree, (), 0))


def _module_name(filename: str) -> str | None:
    if filename.endswith((".py", ".pyi")):
        stem = filename.rsplit(".", 1)[0]
    else:
        stripped = _EXT_RE.sub("", filename)
        if stripped == filename:
            return None
        stem = stripped
    return stem if stem.isidentifier() else None


def _tops(tree: Mapping[str, object], prefix: tuple[str, ...], depth: int) -> Iterable[str]:
    for name, child in tree.items():
        if child is None:
            module = _module_name(name)
            if module and module != "__init__" and not module.startswith("__editable__"):
                yield ".".join((*prefix, module))
            continue
        if not name.isidentifier() or not isinstance(child, dict):
            continue
        if any(_module_name(k) == "__init__" for k, v in child.items() if v is None):
            yield ".".join((*prefix, name))
        elif depth < _MAX_NAMESPACE_DEPTH:
            yield from _tops(child, (*prefix, name), depth + 1)


def installed_top_levels(names: Iterable[str]) -> dict[NormalizedName, frozenset[str]]:
    """Top-level modules of installed distributions, from their ``RECORD`` file lists.

    Falls back to ``top_level.txt`` when a distribution lists no files; distributions
    that are not installed are left out of the result.
    """
    out: dict[NormalizedName, frozenset[str]] = {}
    for raw in names:
        name = canonicalize_name(raw)
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        paths = [str(p) for p in dist.files or ()]
        tops = top_levels_from_paths(paths)
        if not tops:
            text = dist.read_text("top_level.txt") or ""
            tops = frozenset(line.strip() for line in text.splitlines() if line.strip())
        out[name] = tops
    return out
