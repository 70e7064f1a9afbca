"""Replay lockfile histories and count the bytes Docker rebuilds under three layouts.

Two histories, both fixture files under ``fixtures/history/`` (README there):

* ``homeassistant`` — **real**: ``homeassistant/package_constraints.txt`` (about a hundred
  pins) as shipped in each of the 115 final Home Assistant releases of the two years
  before 2026-11-01, dated by upload time, with cp313 linux/amd64 file sizes
  (recorded by ``bench/record_real_history.py``). A build happens at every release.
  Pins PyPI has no such version of (Home Assistant forbids packages by pinning them to
  ``1000000000.0.0``) are never installed and are left out.
* ``webapp`` — **simulated**: the real releases, upload times and cp311 manylinux
  x86_64 wheel sizes of a 30-package web application, and the lock a weekly
  upgrade-everything refresh would have committed over two years (recorded by
  ``bench/record_history.py``).

Method (no peeking): the lock states are committed to a real git repository in a
temporary directory, with their dates as commit dates. The plan is trained on the
first year only: depslim reads the git history of ``requirements.txt`` up to the
first state a year or more after the first one, and takes the sizes of that state's
pins; for ``webapp`` also the release cadence from uploads before that date (for
``homeassistant`` the index's release dates of the ~120 pinned projects are not in the
fixture, so the estimate uses the git history alone, shrunk toward the pooled rate).
The second year is then replayed with :func:`depslim.layers.replay_rebuild_bytes`: at
every change of the lock, the earliest layer holding a changed pin and every later one
are rebuilt (at the new sizes; pins added after training form an extra last layer).
Layouts compared, each with ``N`` layers:

* one layer (every change rebuilds everything);
* pip-compile's alphabetical order cut into ``N`` layers of equal pin counts;
* depslim's plan (``max_layers=N``), and for ``webapp``, to show what each evidence
  source brings, the plan from the git history alone and from the release cadence alone.

No network. Usage::

    python bench/layers_replay.py [--history {webapp,homeassistant,both}]
        [--layers 2 3 4 6] [--fixture PATH]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

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
FIXTURES = HERE.parent / "fixtures" / "history"
FIXTURE = FIXTURES / "webapp-weekly.json"
REAL_FIXTURE = FIXTURES / "homeassistant-constraints.json"

State = dict[NormalizedName, tuple[str, int]]


@dataclass(frozen=True, slots=True, kw_only=True)
class History:
    """A lock history ready to replay: dated states and, when known, release times."""

    title: str
    recorded: str
    dates: list[datetime]
    states: list[State]
    releases: dict[str, list[datetime]] | None = None


def load(path: Path) -> History:
    """The simulated weekly history (``webapp-weekly.json``)."""
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
    releases = {
        name: [datetime.fromisoformat(r["uploaded"]) for r in package["releases"]]
        for name, package in data["packages"].items()
    }
    return History(
        title=f"{path.name}: simulated weekly refresh, {len(data['packages'])} packages",
        recorded=data["recorded"],
        dates=dates,
        states=states,
        releases=releases,
    )


def load_real(path: Path) -> History:
    """The real Home Assistant constraints history (``homeassistant-constraints.json``).

    A state is one release's pins that PyPI has (the ``missing`` ones are install bans,
    never installed), each with its recorded size.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    sizes = {
        (canonicalize_name(name), version): int(size)
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
    first, last = data["releases"][0]["version"], data["releases"][-1]["version"]
    return History(
        title=(
            f"{path.name}: real, {data['project']} {first} .. {last}, "
            f"{len(states)} releases, {data['member']}"
        ),
        recorded=data["recorded"],
        dates=dates,
        states=states,
    )


def commit_history(repo: Path, dates: Sequence[datetime], states: Sequence[State]) -> None:
    """One commit of requirements.txt per state that changed it, dated as the state."""

    def git(*args: str, when: datetime | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
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
        git("commit", "-q", "-m", f"lock state {when.isoformat()}", when=when)
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


def replay(history: History, layer_counts: Sequence[int]) -> None:
    """Train on year one, replay year two, print the table for each ``N``."""
    dates, states = history.dates, history.states
    split = next(k for k, d in enumerate(dates) if d >= dates[0] + timedelta(days=364))
    train_end = dates[split]
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        commit_history(repo, dates, states)
        lock_history = read_lock_history(
            [repo / "requirements.txt"], since=dates[0], until=train_end
        )
    counts = count_pin_changes(lock_history)
    names = sorted(states[split])
    if history.releases is not None:
        releases = {
            name: [t for t in times if t <= train_end] for name, times in history.releases.items()
        }
        variants = {
            "depslim": estimate_change_rates(
                names, now=train_end, history=counts, releases=releases
            ),
            "depslim, git history only": estimate_change_rates(
                names, now=train_end, history=counts
            ),
            "depslim, cadence only": estimate_change_rates(names, now=train_end, releases=releases),
        }
    else:
        variants = {"depslim": estimate_change_rates(names, now=train_end, history=counts)}
    rates = {label: {n: e.changes_per_month for n, e in v.items()} for label, v in variants.items()}
    evaluation = states[split:]
    changes = sum(1 for a, b in itertools.pairwise(evaluation) if a != b)
    total = sum(size for _, size in states[split].values())
    print(f"\n=== {history.title} (recorded {history.recorded})")
    print(
        f"trained on {dates[0].date()} .. {train_end.date()} "
        f"({len(lock_history.snapshots)} commits, {split + 1} states)"
    )
    print(
        f"evaluated on {train_end.date()} .. {dates[-1].date()}: {len(evaluation) - 1} builds, "
        f"{changes} lock changes, {len(names)} pins and {total / 1e6:.0f} MB at the split"
    )
    for n in layer_counts:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", choices=("webapp", "homeassistant", "both"), default="both")
    parser.add_argument("--layers", type=int, nargs="+", default=[2, 3, 4, 6])
    parser.add_argument("--fixture", type=Path, help="the fixture file of the one --history chosen")
    args = parser.parse_args()
    if args.fixture is not None and args.history == "both":
        parser.error("--fixture needs --history webapp or --history homeassistant")
    if args.history in ("homeassistant", "both"):
        replay(load_real(args.fixture or REAL_FIXTURE), args.layers)
    if args.history in ("webapp", "both"):
        replay(load(args.fixture or FIXTURE), args.layers)


if __name__ == "__main__":
    main()
