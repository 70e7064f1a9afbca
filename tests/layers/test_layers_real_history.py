"""The real lockfile history (Home Assistant's pinned constraints): well-formed, and replayed.

``fixtures/history/homeassistant-constraints.json`` was recorded once from PyPI by
``bench/record_real_history.py``; these tests only read it. The replay trains depslim
on the first year (the git history of the constraints, committed to a real repository
in a temporary directory; no release cadence: history evidence only) and replays the
second year with the year-one plan.
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from history_helpers import State, alphabetical, commit_states
from packaging.utils import canonicalize_name
from packaging.version import Version

from depslim.layers import (
    LayerItem,
    count_pin_changes,
    estimate_change_rates,
    partition,
    read_lock_history,
    replay_rebuild_bytes,
)

FIXTURE = (
    Path(__file__).resolve().parents[2] / "fixtures" / "history" / "homeassistant-constraints.json"
)


@cache
def load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return data


def states_of(data: dict[str, Any]) -> tuple[list[datetime], list[State]]:
    """Release dates and the installed pins of each release (PyPI's missing ones left out)."""
    sizes = {
        (canonicalize_name(name), version): size
        for name, versions in data["sizes"].items()
        for version, size in versions.items()
    }
    dates = [datetime.fromisoformat(r["uploaded"]) for r in data["releases"]]
    states = [
        {
            canonicalize_name(n): (v, sizes[canonicalize_name(n), v])
            for n, v in r["pins"].items()
            if (canonicalize_name(n), v) in sizes
        }
        for r in data["releases"]
    ]
    return dates, states


def test_the_recorded_history_is_well_formed() -> None:
    data = load()
    releases = data["releases"]
    assert data["project"] == "homeassistant"
    assert data["member"] == "homeassistant/package_constraints.txt"
    assert len(releases) >= 30
    dates = [datetime.fromisoformat(r["uploaded"]) for r in releases]
    assert all(d.tzinfo is not None for d in dates)
    assert all(a < b for a, b in itertools.pairwise(dates))
    start, end = (datetime.fromisoformat(data[k]) for k in ("start", "end"))
    assert start <= dates[0] and dates[-1] < end
    versions = [Version(r["version"]) for r in releases]
    assert all(not v.is_prerelease and not v.is_devrelease for v in versions)
    assert len(set(versions)) == len(versions)
    for release in releases:
        assert len(release["pins"]) >= 80, release["version"]
        assert all(canonicalize_name(name) == name for name in release["pins"])
        assert all(str(Version(v)) for v in release["pins"].values())
    pinned = [(n, v) for r in releases for n, v in r["pins"].items()]
    sized = [(n, v) for n, v in pinned if v in data["sizes"].get(n, {})]
    assert len(sized) >= 0.9 * len(pinned)
    assert all(size > 0 for per in data["sizes"].values() for size in per.values())
    for name, missing in data["missing"].items():
        assert not set(missing) & set(data["sizes"].get(name, {}))
    unsized = {(n, v) for n, v in pinned} - set(sized)
    assert unsized == {(n, v) for n, vs in data["missing"].items() for v in vs}


def test_the_history_really_changes_release_after_release() -> None:
    _, states = states_of(load())
    changed = [a != b for a, b in itertools.pairwise(states)]
    assert sum(changed) >= len(changed) / 2
    assert len({name for state in states for name in state}) > len(states[0])


def test_year_one_plan_replayed_on_year_two_beats_one_layer_and_alphabetical(
    tmp_path: Path,
) -> None:
    n = 4
    dates, states = states_of(load())
    split = next(k for k, d in enumerate(dates) if d >= dates[0] + timedelta(days=364))
    assert 0 < split < len(states) - 1
    repo = tmp_path / "repo"
    # Only year one goes into the repository: the plan cannot see year two.
    commit_states(repo, dates[: split + 1], states[: split + 1])
    history = read_lock_history([repo / "requirements.txt"], since=dates[0], until=dates[split])
    assert len(history.snapshots) > 10
    names = sorted(states[split])
    estimates = estimate_change_rates(names, now=dates[split], history=count_pin_changes(history))
    assert all(e.evidence for e in estimates.values())
    items = [
        LayerItem(name=name, bytes=size, changes_per_month=estimates[name].changes_per_month)
        for name, (_, size) in states[split].items()
    ]
    plan = partition(items, max_layers=n)
    assert len(plan.layers) == n
    held_out = states[split:]
    planned = replay_rebuild_bytes([list(layer.packages) for layer in plan.layers], held_out)
    one = replay_rebuild_bytes([names], held_out)
    alpha = replay_rebuild_bytes(alphabetical(names, n), held_out)
    assert one > 0
    assert planned <= one
    assert planned <= alpha
