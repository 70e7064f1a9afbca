"""Order pins and cut them into Docker layers so that changes rebuild as few bytes as possible.

Cost model
----------
A build is triggered by a change of one pin; pin ``p`` changes at rate ``r_p`` (changes
per month, from :mod:`depslim.layers.frequency`) and weighs ``s_p`` bytes. Docker
rebuilds the layer that changed and every layer after it. For layers ``1..n`` with
rates ``R_k = sum(r_p for p in layer k)`` and sizes ``S_k``::

    expected bytes rebuilt per month  C = sum_k R_k * (S_k + S_(k+1) + ... + S_n)
    expected bytes rebuilt per build    = C / sum_p r_p     (0 when nothing changes)

The single-layer baseline is ``(sum r_p) * (sum s_p)`` per month, i.e. every byte on
every build. The model treats changes as independent events; a lock refresh that bumps
several pins at once rebuilds from the earliest layer it touches, which the replay
(:func:`replay_rebuild_bytes`) measures on real histories.

What is optimal
---------------
Writing ``C`` pair by pair, ``C = sum over pins p, q with layer(q) >= layer(p) of
r_p * s_q``. Two facts follow:

* Splitting a layer into two never costs more (the pairs of the second part with the
  first are no longer charged one way), so with enough layers every pin gets its own.
* Swapping two adjacent layers A, B changes ``C`` by ``R_B*S_A - R_A*S_B``: A belongs
  before B exactly when ``R_A / S_A <= R_B / S_B`` (Smith's rule). Hence with
  ``max_layers >= number of pins`` the optimum is one pin per layer in increasing
  order of ``r_p / s_p``, *changes per byte*. Sorting by rate alone is wrong: a tiny
  stable package placed before a large one makes every one of its changes rebuild the
  large one (see the tests for a concrete case).

With fewer layers than pins the general problem is NP-hard: for two layers it is
``maximise S_1 * (R - R_1)``, which with ``r_p = s_p`` is PARTITION. depslim therefore
fixes the order to increasing ``r_p / s_p`` (ties by name; zero-byte pins that change go
last) and chooses the cut points by exact dynamic programming over that order:
:func:`partition` returns, **among all plans whose layers are contiguous runs of that
order, with at most ``max_layers`` layers and every layer within ``max_layer_size``
(unless it is one pin), one of minimum expected cost** — and, with unlimited layers
and no size limit, the global optimum. The tests check both statements against brute
force over every ordered partition of small inputs.

Closed layers
-------------
With ``closed=True`` every pin's dependencies sit in its own layer or an earlier one,
so each ``pip install`` step succeeds by itself. Dependency cycles are kept inside one
layer (strongly connected components are atoms that cannot be cut), the order is the
topological order that always takes the available atom with the smallest changes per
byte, and the DP is exact over the cuts of that order; no global optimum is claimed.

Determinism: the same items give the same plan; ties are broken by name, and among
plans of equal cost (within a relative 1e-9) the one with fewer layers, then earlier
cuts, wins. Pure: no I/O.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Collection, Iterable, Mapping, Sequence

from packaging.utils import NormalizedName

from depslim.errors import InputError
from depslim.layers.plan import Layer, LayerItem, LayerPlan

__all__ = [
    "change_per_byte_key",
    "expected_rebuild_bytes",
    "monthly_rebuild_bytes",
    "partition",
    "partition_order",
    "replay_rebuild_bytes",
]

_REL_TOL = 1e-9


def change_per_byte_key(rate: float, size: int) -> float:
    """The sort key of the stable-to-volatile order: changes per byte.

    Zero-byte pins that change sort last (nothing is lost by rebuilding them, and they
    must not trigger rebuilds of anything else); zero-byte pins that never change sort
    first.
    """
    if size > 0:
        return rate / size
    return math.inf if rate > 0 else 0.0


def monthly_rebuild_bytes(layers: Sequence[Sequence[LayerItem]]) -> float:
    """Expected bytes rebuilt per month for ``layers`` in this order (module docstring)."""
    sizes = [sum(item.bytes for item in layer) for layer in layers]
    total = 0.0
    suffix = 0
    for layer, size in zip(reversed(layers), reversed(sizes), strict=True):
        suffix += size
        total += sum(item.changes_per_month for item in layer) * suffix
    return total


def expected_rebuild_bytes(layers: Sequence[Sequence[LayerItem]]) -> float:
    """Expected bytes rebuilt per build (per change); 0 when no pin ever changes."""
    rate = sum(item.changes_per_month for layer in layers for item in layer)
    if rate <= 0:
        return 0.0
    return monthly_rebuild_bytes(layers) / rate


def _better(candidate: float, best: float) -> bool:
    """``candidate`` beats ``best`` by more than rounding noise."""
    if math.isinf(best):
        return not math.isinf(candidate)
    return candidate < best - _REL_TOL * max(1.0, abs(best))


def _check_items(items: Sequence[LayerItem]) -> None:
    seen: set[NormalizedName] = set()
    for item in items:
        if item.name in seen:
            raise InputError(f"{item.name} appears twice in the pins to lay out")
        seen.add(item.name)


def _strongly_connected(
    names: Sequence[NormalizedName], edges: Mapping[NormalizedName, Sequence[NormalizedName]]
) -> list[list[NormalizedName]]:
    """Tarjan's algorithm, iterative, visiting names and edges in the given order."""
    index: dict[NormalizedName, int] = {}
    low: dict[NormalizedName, int] = {}
    on_stack: set[NormalizedName] = set()
    stack: list[NormalizedName] = []
    components: list[list[NormalizedName]] = []
    counter = 0
    for root in names:
        if root in index:
            continue
        work: list[tuple[NormalizedName, int]] = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, position = work[-1]
            targets = edges.get(node, ())
            if position < len(targets):
                work[-1] = (node, position + 1)
                target = targets[position]
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[NormalizedName] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


def _item_key(item: LayerItem) -> tuple[float, str]:
    return (change_per_byte_key(item.changes_per_month, item.bytes), item.name)


def _atom_key(atom: Sequence[LayerItem]) -> tuple[float, str]:
    rate = sum(item.changes_per_month for item in atom)
    size = sum(item.bytes for item in atom)
    return (change_per_byte_key(rate, size), min(item.name for item in atom))


def _closed_atoms(items: Sequence[LayerItem]) -> list[tuple[LayerItem, ...]]:
    """Dependency-closed order: cycles as atoms, dependencies first, low changes/byte first."""
    by_name = {item.name: item for item in items}
    names = sorted(by_name)
    edges = {
        name: sorted({dep for dep in by_name[name].dependencies if dep in by_name and dep != name})
        for name in names
    }
    components = _strongly_connected(names, edges)
    atoms = [tuple(sorted((by_name[n] for n in comp), key=_item_key)) for comp in components]
    atom_of = {item.name: number for number, atom in enumerate(atoms) for item in atom}
    needs: list[set[int]] = [set() for _ in atoms]
    needed_by: list[set[int]] = [set() for _ in atoms]
    for name in names:
        for dep in edges[name]:
            a, b = atom_of[name], atom_of[dep]
            if a != b:
                needs[a].add(b)
                needed_by[b].add(a)
    keys = [_atom_key(atom) for atom in atoms]
    ready = [(keys[n], n) for n in range(len(atoms)) if not needs[n]]
    heapq.heapify(ready)
    waiting = [len(needs[n]) for n in range(len(atoms))]
    ordered: list[tuple[LayerItem, ...]] = []
    while ready:
        _, number = heapq.heappop(ready)
        ordered.append(atoms[number])
        for user in sorted(needed_by[number]):
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, (keys[user], user))
    return ordered


def partition_order(items: Iterable[LayerItem], *, closed: bool = False) -> list[list[LayerItem]]:
    """The order the DP cuts: atoms (runs that stay in one layer), stable first.

    Open plans: every pin is an atom, sorted by changes per byte then name. Closed
    plans: see the module docstring.
    """
    listed = list(items)
    _check_items(listed)
    if closed:
        return [list(atom) for atom in _closed_atoms(listed)]
    return [[item] for item in sorted(listed, key=_item_key)]


def _cut(
    atoms: Sequence[Sequence[LayerItem]], max_layers: int, max_layer_size: int | None
) -> tuple[list[int], int]:
    """Optimal cut points over ``atoms``: the start index of each layer, and the layer
    budget that was needed (more than ``max_layers`` only if the size limit forces it)."""
    m = len(atoms)
    rate_prefix = [0.0]
    size_prefix = [0]
    for atom in atoms:
        rate_prefix.append(rate_prefix[-1] + sum(item.changes_per_month for item in atom))
        size_prefix.append(size_prefix[-1] + sum(item.bytes for item in atom))
    total_size = size_prefix[-1]

    def feasible(start: int, end: int) -> bool:
        if max_layer_size is None or end - start == 1:
            return True
        return size_prefix[end] - size_prefix[start] <= max_layer_size

    # best[i]: least cost of atoms i..m-1 in at most j layers (j grows each round);
    # choice[j][i]: end of the first layer of that plan, or -1 for "the j-1 plan".
    best = [math.inf] * m + [0.0]
    choices: list[list[int]] = []
    budget = 0
    while budget < m and (budget < max_layers or math.isinf(best[0])):
        budget += 1
        previous = best
        best = list(previous)
        choice = [-1] * (m + 1)
        for start in range(m - 1, -1, -1):
            rebuilt = total_size - size_prefix[start]
            for end in range(start + 1, m + 1):
                if not feasible(start, end):
                    break
                if math.isinf(previous[end]):
                    continue
                cost = (rate_prefix[end] - rate_prefix[start]) * rebuilt + previous[end]
                if _better(cost, best[start]):
                    best[start] = cost
                    choice[start] = end
        choices.append(choice)
    starts: list[int] = []
    position, layers_left = 0, budget
    while position < m:
        end = choices[layers_left - 1][position]
        if end == -1:
            layers_left -= 1
            continue
        starts.append(position)
        position, layers_left = end, layers_left - 1
    return starts, budget


def partition(
    items: Iterable[LayerItem],
    *,
    max_layers: int,
    max_layer_size: int | None = None,
    closed: bool = False,
) -> LayerPlan:
    """Cut ``items`` into at most ``max_layers`` layers, stable first, at least cost.

    ``max_layer_size`` (bytes) splits layers over it; one pin larger than it stands
    alone (with ``closed``, one dependency cycle larger than it does). If the size
    limit needs more layers than ``max_layers``, the plan uses the fewest that honour
    it and says so in ``notes``. What "least cost" means exactly is in the module
    docstring.
    """
    if max_layers < 1:
        raise InputError(f"--max-layers must be at least 1, got {max_layers}")
    if max_layer_size is not None and max_layer_size < 1:
        raise InputError(
            f"--max-layer-size must be a positive number of bytes, got {max_layer_size}"
        )
    atoms = partition_order(items, closed=closed)
    starts, budget = _cut(atoms, max_layers, max_layer_size)
    bounds = [*starts, len(atoms)]
    groups = [
        tuple(item for atom in atoms[bounds[k] : bounds[k + 1]] for item in atom)
        for k in range(len(starts))
    ]
    layers = tuple(Layer(index=k + 1, items=group) for k, group in enumerate(groups))
    everything = [[item for group in groups for item in group]]
    notes: list[str] = []
    if budget > max_layers:
        notes.append(
            f"max-layer-size {max_layer_size} bytes needs {len(layers)} layers, "
            f"more than max-layers {max_layers}"
        )
    return LayerPlan(
        layers=layers,
        expected_rebuild_bytes=expected_rebuild_bytes(groups),
        baseline_expected_rebuild_bytes=expected_rebuild_bytes(everything),
        expected_rebuild_bytes_per_month=monthly_rebuild_bytes(groups),
        baseline_expected_rebuild_bytes_per_month=monthly_rebuild_bytes(everything),
        max_layers=max_layers,
        max_layer_size=max_layer_size,
        closed=closed,
        notes=tuple(notes),
    )


def replay_rebuild_bytes(
    layers: Sequence[Collection[NormalizedName]],
    states: Sequence[Mapping[NormalizedName, tuple[str, int]]],
) -> int:
    """Total bytes rebuilt when a lock goes through ``states`` with this layer assignment.

    Each state maps a pin's name to ``(version, bytes)``. Between two consecutive
    states, the earliest layer holding a pin that was added, removed or changed
    version is rebuilt with every later layer, at the sizes of the newer state. Pins
    no layer names form an extra layer after all others (a plan made before they were
    added does not know them).
    """
    position = {name: k for k, names in enumerate(layers) for name in names}
    extra = len(layers)
    total = 0
    for before, after in itertools.pairwise(states):
        changed = {
            name
            for name in before.keys() | after.keys()
            if (before.get(name, ("", 0))[0]) != (after.get(name, ("", 0))[0])
        }
        if not changed:
            continue
        first = min(position.get(name, extra) for name in changed)
        total += sum(
            size for name, (_, size) in after.items() if position.get(name, extra) >= first
        )
    return total
