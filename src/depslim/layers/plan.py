"""The values a layer plan is made of, and the JSON shape build scripts read.

A :class:`LayerItem` is one pin as the partition sees it: a name, a size in bytes, an
estimated rate of change (changes per month) and the evidence behind that rate. A
:class:`LayerPlan` is an ordered tuple of :class:`Layer` s, stable first, with the
expected cost of the plan and of the naive single-layer plan (see
:mod:`depslim.layers.partition` for the cost model).

:func:`plan_to_dict` gives the ``--json`` document::

    {"layers": [{"packages": [...], "bytes": int, "changes_per_month": float, ...}, ...],
     "expected_rebuild_bytes": float, "baseline_expected_rebuild_bytes": float, ...}

Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from packaging.utils import NormalizedName

__all__ = [
    "Evidence",
    "Layer",
    "LayerItem",
    "LayerPlan",
    "layer_heading",
    "plan_to_dict",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """What one source says about how often a package changes.

    ``source`` is ``"history"`` (the project's git history of its lockfiles),
    ``"cadence"`` (releases per month on the index), ``"pooled-history"`` (the
    repository-wide pin change rate, used as the prior when the index is not known),
    ``"rule"`` (editable, path, VCS or first-party packages) or ``"default"`` (no
    evidence at all). ``rate`` is what the source alone says, in changes per month;
    ``weight`` is its share of the combined estimate (the weights of one package sum
    to 1). ``count`` and ``months`` are the observation behind ``rate`` when it has one
    (pin changes or releases, over that many months).
    """

    source: str
    rate: float
    weight: float
    detail: str
    count: int | None = None
    months: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """This evidence as a JSON-ready dict."""
        out: dict[str, Any] = {
            "source": self.source,
            "changes_per_month": self.rate,
            "weight": self.weight,
            "detail": self.detail,
        }
        if self.count is not None:
            out["count"] = self.count
        if self.months is not None:
            out["months"] = self.months
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerItem:
    """One pin as the partition sees it.

    ``bytes`` is what rebuilding the pin costs (download or installed size; the caller
    chooses, consistently). ``dependencies`` names the pins it requires (used only for
    closed layers). ``evidence`` explains ``changes_per_month``.
    """

    name: NormalizedName
    bytes: int
    changes_per_month: float
    dependencies: tuple[NormalizedName, ...] = ()
    evidence: tuple[Evidence, ...] = ()

    def __post_init__(self) -> None:
        if self.bytes < 0:
            raise ValueError(f"{self.name}: bytes must be >= 0, got {self.bytes}")
        if not self.changes_per_month >= 0:  # also rejects NaN
            raise ValueError(
                f"{self.name}: changes_per_month must be >= 0, got {self.changes_per_month}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class Layer:
    """One Docker layer: the pins installed by one ``RUN`` step, in plan order."""

    index: int
    items: tuple[LayerItem, ...]

    @property
    def packages(self) -> tuple[NormalizedName, ...]:
        """The names of the layer's pins, sorted."""
        return tuple(sorted(item.name for item in self.items))

    @property
    def bytes(self) -> int:
        return sum(item.bytes for item in self.items)

    @property
    def changes_per_month(self) -> float:
        """The rate at which something in this layer changes (the sum of its pins' rates)."""
        return sum(item.changes_per_month for item in self.items)


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerPlan:
    """Layers ordered stable first, and what rebuilding them is expected to cost.

    ``expected_rebuild_bytes`` is the expected number of bytes rebuilt per build that
    a dependency change triggers; ``*_per_month`` is the same per month. The
    ``baseline_*`` fields are the same quantities for all pins in one layer.
    ``closed`` says every layer holds the dependencies of its pins (or earlier layers
    do). ``notes`` explains anything the plan had to do that the caller did not ask
    for (for instance more layers than ``max_layers`` to honour ``max_layer_size``).
    """

    layers: tuple[Layer, ...]
    expected_rebuild_bytes: float
    baseline_expected_rebuild_bytes: float
    expected_rebuild_bytes_per_month: float
    baseline_expected_rebuild_bytes_per_month: float
    max_layers: int
    max_layer_size: int | None = None
    closed: bool = False
    notes: tuple[str, ...] = ()

    @property
    def total_bytes(self) -> int:
        return sum(layer.bytes for layer in self.layers)

    def layer_of(self, name: NormalizedName) -> int:
        """The 0-based position of the layer holding ``name``; KeyError if none does."""
        for position, layer in enumerate(self.layers):
            if any(item.name == name for item in layer.items):
                return position
        raise KeyError(name)


def plan_to_dict(plan: LayerPlan) -> dict[str, Any]:
    """The plan as the ``--json`` document: required keys first, details after."""
    layers = [
        {
            "packages": list(layer.packages),
            "bytes": layer.bytes,
            "changes_per_month": layer.changes_per_month,
            "index": layer.index,
            "items": [
                {
                    "name": item.name,
                    "bytes": item.bytes,
                    "changes_per_month": item.changes_per_month,
                    "evidence": [evidence.to_dict() for evidence in item.evidence],
                }
                for item in layer.items
            ],
        }
        for layer in plan.layers
    ]
    saving = plan.baseline_expected_rebuild_bytes - plan.expected_rebuild_bytes
    return {
        "layers": layers,
        "expected_rebuild_bytes": plan.expected_rebuild_bytes,
        "baseline_expected_rebuild_bytes": plan.baseline_expected_rebuild_bytes,
        "expected_rebuild_bytes_per_month": plan.expected_rebuild_bytes_per_month,
        "baseline_expected_rebuild_bytes_per_month": (
            plan.baseline_expected_rebuild_bytes_per_month
        ),
        "saving_ratio": (
            saving / plan.baseline_expected_rebuild_bytes
            if plan.baseline_expected_rebuild_bytes > 0
            else 0.0
        ),
        "max_layers": plan.max_layers,
        "max_layer_size": plan.max_layer_size,
        "closed": plan.closed,
        "notes": list(plan.notes),
    }


def layer_heading(layer: Layer, *, width: int = 5) -> str:
    """The comment line that opens a layer's section in an ordered lockfile.

    ``# layer 2: numpy, pandas, … (expected changes/month: 0.42)``; at most ``width``
    names are listed (largest first), the rest are counted.
    """
    biggest = sorted(layer.items, key=lambda item: (-item.bytes, item.name))
    names = [item.name for item in biggest[:width]]
    rest = len(biggest) - len(names)
    listed = ", ".join(names) + (f" and {rest} more" if rest else "")
    return (
        f"# layer {layer.index}: {listed} (expected changes/month: {layer.changes_per_month:.3g})"
    )
