"""How long ``depslim split --no-lock`` takes against a full ``depslim split``.

Builds a project whose pyproject.toml declares every name of an input list (default:
``bench/inputs/service150.in``, the 150 first pins of a real web service's lock) and a
module importing a few of them, then runs, as subprocesses against PyPI:
``split --no-lock`` cold (empty cache) and warm, N times each, and one full ``split``
cold for comparison. Prints medians and the ratio. Needs the network (PyPI).

    python bench/split_no_lock_bench.py [--runs 3] [--input bench/inputs/service150.in]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent / "depslim"


def make_project(root: Path, names: list[str]) -> None:
    deps = "".join(f'  "{n}",\n' for n in names)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "svc"\nversion = "0"\ndependencies = [\n{deps}]\n'
    )
    (root / "svc").mkdir()
    (root / "svc" / "__init__.py").write_text("")
    imports = "\n".join(f"import {n.replace('-', '_')}" for n in names[:10])
    (root / "svc" / "main.py").write_text(imports + "\n")


def timed(args: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--input", default=str(Path(__file__).parent / "inputs/service150.in"))
    parser.add_argument("--python-version", default="3.12")
    args = parser.parse_args()
    names = [n.strip() for n in Path(args.input).read_text().splitlines() if n.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "svc"
        root.mkdir()
        make_project(root, names)
        base = [str(BIN), "split", str(root), "--python-version", args.python_version, "-q"]
        base += ["--entry", "api=svc.main", "--no-config"]
        cold, warm = [], []
        for run in range(args.runs):
            cache = Path(tmp) / f"cache{run}"
            seconds, code = timed([*base, "--no-lock", "--cache-dir", str(cache)])
            cold.append(seconds)
            seconds, code2 = timed([*base, "--no-lock", "--cache-dir", str(cache)])
            warm.append(seconds)
            if code or code2:
                sys.exit(f"split --no-lock failed (exit {code or code2})")
            shutil.rmtree(cache, ignore_errors=True)
        full, code = timed([*base, "--cache-dir", str(Path(tmp) / "full"), "--allow-build"])
    print(f"{len(names)} declared dependencies, {args.runs} runs")
    print(f"split --no-lock cold: median {statistics.median(cold):.2f} s  ({cold})")
    print(f"split --no-lock warm: median {statistics.median(warm):.2f} s")
    status = "" if code == 0 else f" (exit {code})"
    print(f"split (full lock) cold: {full:.2f} s{status}")
    print(f"ratio full / no-lock cold: {full / statistics.median(cold):.1f}x")


if __name__ == "__main__":
    main()
