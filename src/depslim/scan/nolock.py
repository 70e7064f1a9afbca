"""Classification without a lock (``depslim split --no-lock``), pure but for two seams.

Top-level modules come, per declared distribution, from the cache (``cached``), else
from the index (``fetch``: the verb reads the newest matching wheel's zip directory
with range requests), else from the bundled table; a distribution none of them knows
stays *unknown* (never unused). No resolution, so there is no dependency graph: no
transitive packages and no wrapper chains, which the table should say.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from packaging.utils import NormalizedName, canonicalize_name

from depslim.scan.mapping import ModuleMap
from depslim.scan.records import ScanResult
from depslim.scan.tiers import Classification, classify
from depslim.scan.truth import declared_groups

__all__ = ["ModuleSource", "classify_without_lock", "learn_top_levels"]

TopLevels = Callable[[NormalizedName], Sequence[str] | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleSource:
    """What each distribution provides and where that came from: ``cache``, ``index``,
    ``table`` (the bundled table knows it), or ``unknown``; ``errors`` the fetch
    failures by distribution (shown as warnings, never fatal)."""

    top_levels: Mapping[NormalizedName, frozenset[str]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    origin: Mapping[NormalizedName, str] = field(default_factory=lambda: MappingProxyType({}))
    errors: Mapping[NormalizedName, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def unknown(self) -> tuple[NormalizedName, ...]:
        return tuple(sorted(n for n, o in self.origin.items() if o == "unknown"))


def learn_top_levels(
    names: Iterable[str],
    *,
    cached: TopLevels,
    fetch: TopLevels | None = None,
    workers: int = 8,
) -> ModuleSource:
    """Top-level modules of ``names``: ``cached(name)`` first, then ``fetch(name)``
    (run ``workers`` at a time; ``None`` offline). A callable returns the modules
    (an empty list is a known wrapper that ships none) or ``None`` (not known); an
    exception from ``fetch`` is recorded in ``errors`` and the name stays unknown."""
    wanted = sorted({canonicalize_name(n) for n in names})
    tops: dict[NormalizedName, frozenset[str]] = {}
    origin: dict[NormalizedName, str] = {}
    errors: dict[NormalizedName, str] = {}
    todo: list[NormalizedName] = []
    for name in wanted:
        found = cached(name)
        if found is not None:
            tops[name] = frozenset(found)
            origin[name] = "cache"
        else:
            todo.append(name)
    if fetch is not None and todo:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = {pool.submit(fetch, name): name for name in todo}
            for future in concurrent.futures.as_completed(futures):
                name = futures[future]
                try:
                    found = future.result()
                except Exception as exc:  # noqa: BLE001 - a seam: any failure is "unknown"
                    errors[name] = str(exc) or type(exc).__name__
                    continue
                if found is not None:
                    tops[name] = frozenset(found)
                    origin[name] = "index"
    table = ModuleMap.build()
    for name in wanted:
        if name not in origin:
            origin[name] = "table" if table.knows(name) else "unknown"
    return ModuleSource(
        top_levels=MappingProxyType(tops),
        origin=MappingProxyType(origin),
        errors=MappingProxyType(dict(sorted(errors.items()))),
    )


def classify_without_lock(
    scan: ScanResult,
    *,
    declared: Iterable[tuple[str, str]],
    source: ModuleSource,
    entries: Mapping[str, str] | None = None,
    python: tuple[int, ...] = (3, 11),
    platform: str | None = None,
) -> Classification:
    """Classify from the declared ``(name, group)`` pairs and learned modules, without
    a resolution (main wins over an extra for a name declared twice)."""
    groups: dict[str, str] = {str(k): v for k, v in declared_groups(declared).items()}
    modules = ModuleMap.build(declared=groups, top_levels=source.top_levels)
    return classify(
        scan,
        declared=groups,
        modules=modules,
        entries=entries,
        graph={},
        python=python,
        platform=platform,
    )
