"""Replays of lock histories: the plan rebuilds no more than one layer or alphabetical layers."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from history_helpers import State, alphabetical, commit_states
from packaging.utils import canonicalize_name

from depslim.layers import (
    LayerItem,
    count_pin_changes,
    estimate_change_rates,
    partition,
    read_lock_history,
    replay_rebuild_bytes,
)

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "history" / "webapp-weekly.json"


def train_and_replay(
    tmp_path: Path,
    dates: list[datetime],
    states: list[State],
    split: int,
    n: int,
    releases: dict[str, list[datetime]] | None = None,
) -> tuple[int, int, int]:
    repo = tmp_path / "repo"
    commit_states(repo, dates[: split + 1], states[: split + 1])
    history = read_lock_history([repo / "requirements.txt"], since=dates[0], until=dates[split])
    assert len(history.snapshots) > 1
    names = sorted(states[split])
    estimates = estimate_change_rates(
        names, now=dates[split], history=count_pin_changes(history), releases=releases
    )
    items = [
        LayerItem(name=name, bytes=size, changes_per_month=estimates[name].changes_per_month)
        for name, (_, size) in states[split].items()
    ]
    plan = partition(items, max_layers=n)
    held_out = states[split:]
    planned = replay_rebuild_bytes([list(layer.packages) for layer in plan.layers], held_out)
    one = replay_rebuild_bytes([names], held_out)
    alpha = replay_rebuild_bytes(alphabetical(names, n), held_out)
    return planned, one, alpha


def load_fixture() -> tuple[dict, list[datetime], list[State]]:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    size = {
        (canonicalize_name(n), r["version"]): r["bytes"]
        for n, p in data["packages"].items()
        for r in p["releases"]
    }
    dates = [datetime.fromisoformat(s["date"]) for s in data["states"]]
    states = [
        {canonicalize_name(n): (v, size[canonicalize_name(n), v]) for n, v in s["pins"].items()}
        for s in data["states"]
    ]
    return data, dates, states


@pytest.mark.parametrize("n", [2, 4, 6])
def test_real_pypi_history_trained_on_year_one_replayed_on_year_two(tmp_path: Path, n: int) -> None:
    data, dates, states = load_fixture()
    split = 52
    releases = {
        name: [
            datetime.fromisoformat(r["uploaded"])
            for r in p["releases"]
            if datetime.fromisoformat(r["uploaded"]) <= dates[split]
        ]
        for name, p in data["packages"].items()
    }
    planned, one, alpha = train_and_replay(tmp_path, dates, states, split, n, releases)
    assert planned <= one
    assert planned <= alpha
    assert planned < one / 2  # the point of the exercise: weekly churn must not rebuild torch


def test_scripted_history_with_a_volatile_sdk_and_stable_heavyweights(tmp_path: Path) -> None:
    rng = random.Random(5)
    sizes = {
        "torch": 800_000_000,
        "numpy": 17_000_000,
        "pandas": 12_000_000,
        "aws-sdk": 15_000_000,
        "my-client": 200_000,
        "certifi": 160_000,
        "attrs": 60_000,
        "zope-interface": 250_000,
    }
    # probability that a weekly refresh bumps the pin
    churn = {
        "torch": 0.03,
        "numpy": 0.05,
        "pandas": 0.04,
        "aws-sdk": 0.9,
        "my-client": 0.5,
        "certifi": 0.1,
        "attrs": 0.05,
        "zope-interface": 0.02,
    }
    start = datetime(2023, 1, 2, tzinfo=UTC)
    dates, states = [], []
    versions = dict.fromkeys(sizes, 0)
    for week in range(104):
        for name in sorted(sizes):
            if week and rng.random() < churn[name]:
                versions[name] += 1
        dates.append(start + timedelta(weeks=week))
        states.append({canonicalize_name(n): (f"1.{versions[n]}", sizes[n]) for n in sorted(sizes)})
    for n in (2, 3):
        planned, one, alpha = train_and_replay(tmp_path / f"n{n}", dates, states, 52, n)
        assert planned <= one
        assert planned <= alpha
        assert planned < alpha  # alphabetical puts aws-sdk before torch


def test_replay_counts_the_earliest_changed_layer_and_everything_after() -> None:
    a, b, c = (canonicalize_name(x) for x in "abc")
    states = [
        {a: ("1", 100), b: ("1", 10), c: ("1", 1)},
        {a: ("1", 100), b: ("2", 20), c: ("1", 1)},  # rebuild b and c: 21
        {a: ("1", 100), b: ("2", 20), c: ("1", 1)},  # nothing
        {a: ("1", 100), b: ("2", 20)},  # c removed: rebuild layer 3, now empty: 0
        {a: ("2", 50), b: ("2", 20), canonicalize_name("new"): ("1", 7)},  # everything: 77
    ]
    assert replay_rebuild_bytes([[a], [b], [c]], states) == 21 + 0 + 77
    assert replay_rebuild_bytes([[a, b, c]], states) == 121 + 120 + 77
