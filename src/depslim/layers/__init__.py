"""Lockfiles ordered by how often they change, cut into cache-friendly Docker layers.

The stages, each usable alone:

* :func:`read_lock_history` (the only I/O here: runs ``git``) → :class:`LockHistory`;
  :func:`count_pin_changes` → per-package :class:`PinChanges`;
* :func:`estimate_change_rates` combines history, release cadence and rules into
  :class:`ChangeEstimate` s with :class:`Evidence`; :func:`layer_items` pairs them with
  pins' sizes;
* :func:`partition` chooses order and cut points → :class:`LayerPlan`
  (:func:`plan_to_dict` is the ``--json`` document);
* :func:`render_snippet` / :func:`render_dockerfile` / :func:`render_dockerignore` write
  the Docker side; :func:`installed_estimate` weighs what an install writes.
"""

from __future__ import annotations

from depslim.layers.dockerfile import (
    context_path,
    docker_platform,
    layer_filenames,
    pins_without_wheels,
    render_dockerfile,
    render_dockerignore,
    render_snippet,
)
from depslim.layers.frequency import (
    ChangeEstimate,
    estimate_change_rates,
    layer_items,
    pin_bytes,
    release_times,
    volatility_rule,
)
from depslim.layers.history import read_lock_history
from depslim.layers.installed import (
    BYTECODE_MODEL,
    InstalledEstimate,
    installed_estimate,
    sum_estimates,
)
from depslim.layers.partition import (
    expected_rebuild_bytes,
    monthly_rebuild_bytes,
    partition,
    replay_rebuild_bytes,
)
from depslim.layers.plan import (
    Evidence,
    Layer,
    LayerItem,
    LayerPlan,
    layer_heading,
    plan_to_dict,
)
from depslim.layers.snapshots import (
    LockHistory,
    PinChanges,
    Snapshot,
    count_pin_changes,
    pins_from_text,
)

__all__ = [
    "BYTECODE_MODEL",
    "ChangeEstimate",
    "Evidence",
    "InstalledEstimate",
    "Layer",
    "LayerItem",
    "LayerPlan",
    "LockHistory",
    "PinChanges",
    "Snapshot",
    "context_path",
    "count_pin_changes",
    "docker_platform",
    "estimate_change_rates",
    "expected_rebuild_bytes",
    "installed_estimate",
    "layer_filenames",
    "layer_heading",
    "layer_items",
    "monthly_rebuild_bytes",
    "partition",
    "pin_bytes",
    "pins_from_text",
    "pins_without_wheels",
    "plan_to_dict",
    "read_lock_history",
    "release_times",
    "render_dockerfile",
    "render_dockerignore",
    "render_snippet",
    "replay_rebuild_bytes",
    "sum_estimates",
    "volatility_rule",
]
