"""split's import scanner against deptry on large real trees, cold and warm.

For each tree (a checkout of a large project, e.g. ansible/ansible and sympy/sympy):
deptry (installed on its own, not a depslim dependency) is run N times as a
subprocess; depslim's scanner (``scan_project``) is run N times cold (an empty scan
cache each time) and N times warm (the cache filled by a previous run, nothing
changed). Prints the median wall time and CPU time (this process and its children)
of each, and the ratios to deptry; the targets are cold <= 1.5x deptry and warm <=
0.5x. Then the linear-cost check: one generated 60 MB module is scanned with the size
cap raised (cost of a huge file) and with the default cap (skipped with a warning).

    python bench/scan_bench.py TREE [TREE ...] [--runs 5] [--deptry deptry] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from depslim.scan import scan_project
from depslim.scan.walk import MAX_FILE_BYTES


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _measure(run: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), _cpu()
    run()
    return time.perf_counter() - wall, _cpu() - cpu


def _median(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def _deptry_command(deptry: str, tree: Path, scratch: Path) -> list[str]:
    """deptry needs declared dependencies; give a tree without any an empty list."""
    pyproject = tree / "pyproject.toml"
    text = pyproject.read_text("utf-8") if pyproject.is_file() else ""
    if "[project]" in text or "[tool.poetry" in text or (tree / "requirements.txt").is_file():
        return [deptry, "."]
    config = scratch / "deptry-pyproject.toml"
    config.write_text(f'[project]\nname = "{tree.name}"\nversion = "0"\ndependencies = []\n')
    return [deptry, ".", "--config", str(config)]


def bench_tree(tree: Path, runs: int, deptry: str, workers: int | None) -> None:
    cache_root = Path(tempfile.mkdtemp(prefix="scan-bench-"))
    command = _deptry_command(deptry, tree, cache_root)

    def run_deptry() -> None:
        # deptry exits 1 when it finds issues; only its time matters here
        subprocess.run(
            command, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )

    try:
        deptry_times = [_measure(run_deptry) for _ in range(runs)]
        cold: list[tuple[float, float]] = []
        for n in range(runs):
            folder = cache_root / f"cold{n}"
            cold.append(_measure(lambda f=folder: scan_project(tree, cache_dir=f, workers=workers)))
        warm_dir = cache_root / "warm"
        scan_project(tree, cache_dir=warm_dir, workers=workers)
        time.sleep(2.1)  # files changed within 2 s of a scan are re-read (racy mtimes)
        scan_project(tree, cache_dir=warm_dir, workers=workers)
        warm = [
            _measure(lambda: scan_project(tree, cache_dir=warm_dir, workers=workers))
            for _ in range(runs)
        ]
        files = scan_project(tree, cache_dir=warm_dir, workers=workers).stats.files
    finally:
        shutil.rmtree(cache_root, ignore_errors=True)
    d_wall, d_cpu = _median(deptry_times)
    print(f"\n{tree.name}: {files} source files, {runs} runs each, medians")
    print(f"  {'':14}{'wall s':>9}{'cpu s':>9}{'wall/deptry':>13}{'cpu/deptry':>12}")
    for label, samples in (
        ("deptry", deptry_times),
        ("depslim cold", cold),
        ("depslim warm", warm),
    ):
        wall, cpu = _median(samples)
        print(f"  {label:14}{wall:9.2f}{cpu:9.2f}{wall / d_wall:13.2f}{cpu / d_cpu:12.2f}")


def bench_huge_file(megabytes: int) -> None:
    with tempfile.TemporaryDirectory(prefix="scan-bench-huge-") as tmp:
        root = Path(tmp)
        (root / "app").mkdir()
        (root / "app" / "__init__.py").write_text("import requests\n")
        row = "TABLE.append((" + ", ".join(str(i) for i in range(40)) + "))\n"
        header = "import numpy\nTABLE = []\n"
        count = megabytes * 1_000_000 // len(row)
        (root / "app" / "generated.py").write_text(header + row * count)
        size = (root / "app" / "generated.py").stat().st_size
        wall, _ = _measure(lambda: scan_project(root, max_file_bytes=size + 1, workers=1))
        print(f"\n{size / 1e6:.0f} MB generated module, scanned (cap raised): {wall:.2f} s wall")
        skipped = [scan_project(root, workers=1)]
        warning = skipped[0].warnings[0]
        print(f"  default cap ({MAX_FILE_BYTES / 1e6:.0f} MB): {warning.file}: {warning.message}")
        half = root / "half"
        half.mkdir()
        (half / "generated.py").write_text(header + row * (count // 2))
        wall_half, _ = _measure(lambda: scan_project(half, max_file_bytes=size, workers=1))
        print(f"  half the size: {wall_half:.2f} s (ratio {wall / wall_half:.2f}; linear = 2)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--deptry", default=os.environ.get("DEPTRY", "deptry"))
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--huge-mb", type=int, default=60)
    args = parser.parse_args()
    if args.trees and shutil.which(args.deptry) is None:
        sys.exit(f"{args.deptry}: not found; install deptry in a separate venv, pass --deptry PATH")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    for tree in args.trees:
        bench_tree(tree.resolve(), args.runs, args.deptry, args.workers)
    if args.huge_mb:
        bench_huge_file(args.huge_mb)


if __name__ == "__main__":
    main()
