"""Replay a real lockfile history and count the bytes Docker rebuilds under three layouts.

Data: ``fixtures/history/webapp-weekly.json`` (recorded once from PyPI by
``bench/record_history.py``; its docstring says exactly what it holds): the real
releases, upload times and cp311 manylinux x86_64 wheel sizes of a 30-package web
application, and the lock a weekly upgrade-everything refresh would have committed
over two years.

Method (no peeking): the lock states are committed to a real git repository in a
temporary directory, with the refresh dates as commit dates. The plan is trained on
the first year only: depslim reads the git history of ``requirements.txt`` up to the
end of year one, the release cadence from uploads before that date, and the sizes of
the pins of that date. The second year is then replayed: at every refresh, the
earliest layer holding a changed pin and every later one are rebuilt (at the new
sizes). Layouts compared, each with ``N`` layers:

* one layer (every change rebuilds everything);
* pip-compile's alphabetical order cut into ``N`` layers of equal pin counts;
* depslim's plan (``max_layers=N``), and, to show what each evidence source brings,
  the plan from the git history alone and from the release cadence alone.

Usage: ``python bench/layers_replay.py [--layers 2 3 4 6] [--fixture PATH]``
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from packaging.utils import NormalizedName, canonicalize_name

from depslim.layers import (
    LayerItem,
    count_pin_changes,
    estimate_change_rates,
    partition,
    read_lock_history,
    replay_rebuild_bytes,
)

HERE = Path(__file__).resolve().parent
FIXTURE = HERE.parent / "fixtures" / "history" / "webapp-weekly.json"

State = dict[NormalizedName, tuple[str, int]]


def load(path: Path) -> tuple[dict[str, Any], list[datetime], list[State]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    sizes = {
        (canonicalize_name(name), r["version"]): int(r["bytes"])
        for name, package in data["packages"].items()
        for r in package["releases"]
    }
    dates = [datetime.fromisoformat(s["date"]) for s in data["states"]]
    states = [
        {canonicalize_name(n): (v, sizes[canonicalize_name(n), v]) for n, v in s["pins"].items()}
        for s in data["states"]
    ]
    return data, dates, states


def commit_history(repo: Path, dates: Sequence[datetime], states: Sequence[State]) -> None:
    """One commit of requirements.txt per refresh that changed it, dated as the refresh."""

    def git(*args: str, when: datetime | None = None) -> None:
        env = dict(os.environ)
        if when is not None:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
        subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("config", "user.name", "lock bot")
    git("config", "user.email", "bot@example.invalid")
    git("config", "commit.gpgsign", "false")
    previous = None
    for when, state in zip(dates, states, strict=True):
        text = "".join(f"{name}=={version}\n" for name, (version, _) in sorted(state.items()))
        if text == previous:
            continue
        (repo / "requirements.txt").write_text(text, encoding="utf-8")
        git("add", "requirements.txt")
        git("commit", "-q", "-m", f"lock refresh {when.date()}", when=when)
        previous = text


def equal_alphabetical(names: Sequence[NormalizedName], n: int) -> list[list[NormalizedName]]:
    ordered = sorted(names)
    bounds = [round(k * len(ordered) / n) for k in range(n + 1)]
    return [ordered[bounds[k] : bounds[k + 1]] for k in range(n) if bounds[k] < bounds[k + 1]]


def plan_layers(
    state: State, rates: Mapping[NormalizedName, float], n: int
) -> list[list[NormalizedName]]:
    items = [
        LayerItem(name=name, bytes=size, changes_per_month=rates[name])
        for name, (_, size) in state.items()
    ]
    plan = partition(items, max_layers=n)
    return [list(layer.packages) for layer in plan.layers]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", type=int, nargs="+", default=[2, 3, 4, 6])
    parser.add_argument("--fixture", type=Path, default=FIXTURE)
    args = parser.parse_args()
    data, dates, states = load(args.fixture)
    split = next(k for k, d in enumerate(dates) if d >= dates[0] + timedelta(days=364))
    train_end = dates[split]
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        commit_history(repo, dates, states)
        history = read_lock_history([repo / "requirements.txt"], since=dates[0], until=train_end)
    counts = count_pin_changes(history)
    releases = {
        name: [
            datetime.fromisoformat(r["uploaded"])
            for r in package["releases"]
            if datetime.fromisoformat(r["uploaded"]) <= train_end
        ]
        for name, package in data["packages"].items()
    }
    names = sorted(states[split])
    variants = {
        "depslim": estimate_change_rates(names, now=train_end, history=counts, releases=releases),
        "depslim, git history only": estimate_change_rates(names, now=train_end, history=counts),
        "depslim, cadence only": estimate_change_rates(names, now=train_end, releases=releases),
    }
    rates = {label: {n: e.changes_per_month for n, e in v.items()} for label, v in variants.items()}
    evaluation = states[split:]
    refreshes = sum(1 for a, b in itertools.pairwise(evaluation) if a != b)
    total = sum(size for _, size in states[split].values())
    print(f"fixture: {args.fixture.name} ({len(names)} packages, recorded {data['recorded']})")
    print(f"trained on {dates[0].date()} .. {train_end.date()} ({len(history.snapshots)} commits)")
    print(
        f"evaluated on {train_end.date()} .. {dates[-1].date()}: {refreshes} lock changes, "
        f"{total / 1e6:.0f} MB of wheels at the split"
    )
    for n in args.layers:
        one = replay_rebuild_bytes([names], evaluation)
        layouts = {
            "one layer": [names],
            f"alphabetical, {n} equal layers": equal_alphabetical(names, n),
        }
        for label, estimate in rates.items():
            layouts[f"{label} ({n} layers)"] = plan_layers(states[split], estimate, n)
        print(f"\nN = {n}")
        print(f"  {'layout':<40} {'GB rebuilt':>11} {'vs one layer':>13}")
        for label, layers in layouts.items():
            rebuilt = replay_rebuild_bytes(layers, evaluation)
            print(f"  {label:<40} {rebuilt / 1e9:>11.2f} {rebuilt / one:>13.3f}")
        plan = plan_layers(states[split], rates["depslim"], n)
        print("  depslim layers: " + " | ".join(", ".join(layer) for layer in plan))


if __name__ == "__main__":
    main()
