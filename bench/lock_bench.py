"""Time ``depslim lock`` against ``pip-compile`` and ``uv pip compile`` on the same inputs.

Each tool locks the same requirements for linux/amd64 (uv and depslim with an explicit
target; pip-compile for this host, which is linux/amd64), with hashes, against the real
PyPI: ``cold`` starts from an empty cache folder every run, ``warm`` reuses one. Prints
the median of N runs per tool and mode, and ratios against depslim. Needs network
access to PyPI; never run in CI.

    python bench/lock_bench.py [--runs 5] [INPUT ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def _env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env["PIP_CONFIG_FILE"] = os.devnull  # only PyPI, for every tool
    env["DEPSLIM_CACHE_DIR"] = str(cache / "depslim")
    env["UV_CACHE_DIR"] = str(cache / "uv")
    env["UV_NO_CONFIG"] = "1"
    return env


def commands(source: Path, out: Path, cache: Path) -> dict[str, list[str]]:
    return {
        "depslim": [
            str(BIN / "depslim"),
            "lock",
            str(source),
            "-o",
            str(out / "depslim.txt"),
            "--python-version",
            "3.11",
            "--python-platform",
            "linux/amd64",
            "-q",
        ],
        "depslim --no-verify-hashes": [
            str(BIN / "depslim"),
            "lock",
            str(source),
            "-o",
            str(out / "depslim-trust.txt"),
            "--python-version",
            "3.11",
            "--python-platform",
            "linux/amd64",
            "--no-verify-hashes",
            "-q",
        ],
        "pip-compile": [
            str(BIN / "pip-compile"),
            "-q",
            "--generate-hashes",
            "--strip-extras",
            "--cache-dir",
            str(cache / "pip"),
            "-o",
            str(out / "pip.txt"),
            str(source),
        ],
        "uv": [
            str(BIN / "uv"),
            "pip",
            "compile",
            "-q",
            "--generate-hashes",
            "--python-version",
            "3.11",
            "--python-platform",
            "x86_64-manylinux_2_28",
            "-o",
            str(out / "uv.txt"),
            str(source),
        ],
    }


TOOLS = ("depslim", "depslim --no-verify-hashes", "pip-compile", "uv")


def run_once(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed:\n{done.stderr[-2000:]}")
    return elapsed


def bench(source: Path, runs: int) -> dict[tuple[str, str], float]:
    results: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        out.mkdir()
        warm_cache = Path(tmp) / "warm"
        for tool in TOOLS:
            # one untimed run fills the warm cache
            run_once(commands(source, out, warm_cache)[tool], _env(warm_cache))
            for _ in range(runs):
                cold_cache = Path(tmp) / "cold"
                shutil.rmtree(cold_cache, ignore_errors=True)
                cmd = commands(source, out, cold_cache)[tool]
                results.setdefault((tool, "cold"), []).append(run_once(cmd, _env(cold_cache)))
                cmd = commands(source, out, warm_cache)[tool]
                results.setdefault((tool, "warm"), []).append(run_once(cmd, _env(warm_cache)))
    return {key: statistics.median(times) for key, times in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "inputs",
        nargs="*",
        type=Path,
        default=[
            HERE / "inputs" / "webapp22.in",
            HERE.parent / "examples" / "webapp" / "requirements.in",
        ],
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    python = sys.version.split()[0]
    print(f"python {python}, {os.cpu_count()} cores, {args.runs} runs per cell (median)")
    for source in args.inputs:
        medians = bench(source.resolve(), args.runs)
        print(f"\n{source.name}")
        header = ("tool", "cold s", "warm s", "cold/depslim", "warm/depslim")
        print("{:<27} {:>8} {:>8} {:>13} {:>13}".format(*header))
        for tool in TOOLS:
            cold, warm = medians[(tool, "cold")], medians[(tool, "warm")]
            cold_ratio = cold / medians[("depslim", "cold")]
            warm_ratio = warm / medians[("depslim", "warm")]
            print(f"{tool:<27} {cold:8.2f} {warm:8.2f} {cold_ratio:13.2f} {warm_ratio:13.2f}")


if __name__ == "__main__":
    main()
