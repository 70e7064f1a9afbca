"""Who pulled a package in: every chain from the lock's inputs to it (pure).

A lock's ``# via`` lines name each pin's dependants: pinned projects, or an input
(``-r requirements.in``, ``pyproject.toml``). Walking them upwards from a pin gives
every chain that brings it in; the verb (``depslim why``) adds the requirement each
link declares and the size each package adds, read from the index.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from packaging.utils import NormalizedName, canonicalize_name

from depslim.models import Lock

__all__ = ["Chain", "Step", "find_chains", "render_why", "why_to_json"]

#: chains listed at most (a package deep in a big graph can have thousands)
MAX_CHAINS = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One package of a chain: its pin, how the previous link required it, its size."""

    name: NormalizedName
    version: str | None
    requirement: str | None = None
    installed_size: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Chain:
    """An input (``-r requirements.in``) and the packages from it down to the one asked."""

    root: str
    steps: tuple[Step, ...]


def _parent_name(via: str, pinned: Mapping[NormalizedName, object]) -> NormalizedName | None:
    """The pinned project a ``# via`` entry names (``a``, ``a[extra]``), else ``None``."""
    head = via.split(" ", 1)[0].split("[", 1)[0]
    if not head or head.startswith("-"):
        return None
    name = canonicalize_name(head)
    return name if name in pinned else None


def find_chains(
    lock: Lock, name: str, *, limit: int = MAX_CHAINS
) -> tuple[list[tuple[str, list[NormalizedName]]], bool]:
    """Every chain ``(root, [top, …, name])`` that brings ``name`` in, shortest first,
    and whether the list was cut at ``limit``. A pin nothing names is its own root."""
    pins = {p.name: p for p in lock.pins}
    wanted = canonicalize_name(name)
    found: list[tuple[str, list[NormalizedName]]] = []
    stack: deque[list[NormalizedName]] = deque([[wanted]])  # breadth first: short chains first
    cut = False
    while stack:
        path = stack.popleft()
        pin = pins[path[0]]
        roots = [v for v in pin.via if _parent_name(v, pins) is None]
        parents = [p for v in pin.via if (p := _parent_name(v, pins)) is not None]
        found.extend((root, list(path)) for root in roots)
        if not pin.via:
            found.append(("(no recorded dependant)", list(path)))
        stack.extend([parent, *path] for parent in parents if parent not in path)
        if len(found) >= limit:
            cut = bool(stack) or len(found) > limit
            break
    found.sort(key=lambda item: (len(item[1]), item[0], item[1]))
    return found[:limit], cut


def render_why(name: str, chains: list[Chain], *, cut: bool = False) -> str:
    """One block per chain: the input, then each link with its requirement and size."""
    from depslim.report import format_bytes

    lines = [f"{name}: {len(chains)} chain(s) bring it in{' (first ones only)' if cut else ''}"]
    for chain in chains:
        lines.append("")
        lines.append(f"  {chain.root}")
        for depth, step in enumerate(chain.steps, start=1):
            pin = f"{step.name}=={step.version}" if step.version else str(step.name)
            asked = f"  (requires {step.requirement})" if step.requirement else ""
            size = (
                f"  +{format_bytes(step.installed_size)}" if step.installed_size is not None else ""
            )
            lines.append(f"  {'  ' * depth}└─ {pin}{asked}{size}")
    return "\n".join(lines) + "\n"


def why_to_json(name: str, chains: list[Chain], *, cut: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "truncated": cut,
        "chains": [
            {
                "root": chain.root,
                "steps": [
                    {
                        "name": s.name,
                        "version": s.version,
                        "requirement": s.requirement,
                        "installed_size": s.installed_size,
                    }
                    for s in chain.steps
                ],
            }
            for chain in chains
        ],
    }
