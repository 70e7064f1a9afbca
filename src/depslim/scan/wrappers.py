"""Imports that reach a declared distribution through its dependencies (pure).

Some distributions ship no module of their own: ``x`` depends on ``x-slim[standard]``,
which provides the ``x`` module. An import of ``x`` then resolves to ``x-slim``, which
nobody declared, while the declared ``x`` looks unused. :func:`through_dependencies`
finds the declared distribution the import is installed through and the chain of
dependencies that carries it, so the import counts for the declared one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from packaging.utils import NormalizedName, canonicalize_name

from depslim.scan.mapping import ModuleMap

__all__ = ["Carried", "dependency_chain", "through_dependencies"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Carried:
    """An import provided by ``provider``, installed through the declared ``declared``.

    ``chain`` runs from ``declared`` to ``provider`` (both included); ``wrapper`` is
    true when ``declared`` ships no module of its own (its code *is* the provider's).
    """

    module: str
    declared: NormalizedName
    provider: NormalizedName
    chain: tuple[NormalizedName, ...]
    wrapper: bool

    @property
    def detail(self) -> str:
        return f"{self.module} is provided by {self.provider} via {' -> '.join(self.chain)}"


def dependency_chain(
    graph: Mapping[NormalizedName, Iterable[NormalizedName]],
    start: NormalizedName,
    goal: NormalizedName,
) -> tuple[NormalizedName, ...] | None:
    """The shortest dependency path from ``start`` to ``goal`` (both included)."""
    parent: dict[NormalizedName, NormalizedName | None] = {start: None}
    queue = deque([start])
    while queue:
        name = queue.popleft()
        if name == goal:
            path = [name]
            while (before := parent[path[-1]]) is not None:
                path.append(before)
            return tuple(reversed(path))
        for dep in sorted(graph.get(name, ())):
            if dep not in parent:
                parent[dep] = name
                queue.append(dep)
    return None


def through_dependencies(
    *modules: str,
    graph: Mapping[str, Iterable[str]] | Mapping[NormalizedName, Iterable[NormalizedName]],
    module_map: ModuleMap,
    declared: Iterable[str],
) -> Carried | None:
    """The declared distribution an import reaches through its dependencies.

    ``modules`` are the dotted names the import may mean (``ImportRecord.candidates()``);
    ``graph`` maps each distribution to its dependencies; ``module_map`` says who
    provides which module. ``None`` when a declared distribution provides the module
    itself, or no declared one depends on a provider. A wrapper (a declared
    distribution with no module of its own) wins over other dependants, then the
    shortest chain, then the name.
    """
    resolution = module_map.resolve(*modules)
    if resolution.declared:
        return None
    edges = {
        canonicalize_name(k): frozenset(canonicalize_name(d) for d in v) for k, v in graph.items()
    }
    roots = sorted({canonicalize_name(n) for n in declared})
    best: tuple[tuple[bool, int, str], Carried] | None = None
    for provider in resolution.names:
        if provider not in edges and not any(provider in deps for deps in edges.values()):
            continue
        for root in roots:
            if root == provider:
                continue
            chain = dependency_chain(edges, root, provider)
            if chain is None:
                continue
            wrapper = module_map.ships_nothing(root)
            key = (not wrapper, len(chain), root)
            if best is None or key < best[0]:
                best = (
                    key,
                    Carried(
                        module=resolution.prefix,
                        declared=root,
                        provider=provider,
                        chain=chain,
                        wrapper=wrapper,
                    ),
                )
    return None if best is None else best[1]
