"""What the safety checks cost: asking every index, and comparing wheels' METADATA.

Builds a chain of projects as real wheels, serves them from a local index (the test
suite's server, on 127.0.0.1) and times, with an empty cache each run:

- resolve with one index, then with a second (extra) index that has none of them:
  an unbound project is now looked up on every configured index (binding rule);
- verify every locked wheel's hash alone, then with its METADATA compared.

Prints medians and ratios. No internet is used.

    python bench/safety_bench.py [--projects 60] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from packaging.requirements import Requirement  # noqa: E402

from depslim.index.client import IndexClient  # noqa: E402
from depslim.index.routing import Routing  # noqa: E402
from depslim.models import InputRequirement, Location  # noqa: E402
from depslim.resolve.resolver import Resolution, resolve  # noqa: E402
from depslim.target import Target  # noqa: E402
from support.index_server import IndexServer  # noqa: E402
from support.wheels import build_wheel  # noqa: E402

TARGET = Target.parse("linux/amd64", python="3.11")


def _median(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _resolve(routing: Routing) -> tuple[IndexClient, Resolution]:
    root = InputRequirement(requirement=Requirement("p0"), origin=Location(path="bench.in"))
    client = IndexClient(routing=routing)
    return client, resolve([root], client, TARGET)


def _verify(routing: Routing, *, compare: bool) -> None:
    client, resolution = _resolve(routing)
    with client:
        for name, candidate in resolution.candidates.items():
            expected = resolution.metadata[name] if compare else None
            for link in candidate.links:
                client.verified_sha256(link, expected)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=60)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files, other = Path(tmp, "files"), Path(tmp, "other")
        files.mkdir()
        other.mkdir()
        for i in range(args.projects):
            requires = [f"p{i + 1}"] if i + 1 < args.projects else []
            build_wheel(files, f"p{i}", "1.0", requires=requires)
        build_wheel(other, "unrelated", "1.0")
        with IndexServer(files) as main_index, IndexServer(other) as extra:
            one = Routing.simple(main_index.url)
            two = Routing.simple(main_index.url, [extra.url])

            def resolve_only(routing: Routing) -> None:
                client, _ = _resolve(routing)
                client.close()

            single = _median(args.runs, lambda: resolve_only(one))
            double = _median(args.runs, lambda: resolve_only(two))
            plain = _median(args.runs, lambda: _verify(one, compare=False))
            compared = _median(args.runs, lambda: _verify(one, compare=True))
    print(f"{args.projects} projects, median of {args.runs} runs, cold (no cache)")
    print(f"resolve, 1 index          {single:7.3f} s")
    print(f"resolve, 2 indexes        {double:7.3f} s   ratio {double / single:5.2f}")
    print(f"resolve + verify hashes   {plain:7.3f} s")
    print(f"... + compare METADATA    {compared:7.3f} s   ratio {compared / plain:5.2f}")


if __name__ == "__main__":
    main()
