"""Time ``depslim lock`` against ``uv pip compile`` (and pip-compile once) on service-shaped sets.

Every tool locks the same requirements for linux/amd64 + CPython 3.11 with hashes,
against the real PyPI (torch from PyPI too: depslim runs with ``--torch-backend pypi``,
as uv does without ``--torch-backend``). Three modes:

- ``cold``: an empty cache folder for every run;
- ``warm``: a cache filled by an untimed first run (pages re-validated or re-fetched
  as the index's headers allow, metadata and hashes from the cache);
- ``offline``: the warm cache with ``--offline`` (no network at all).

depslim and uv run in pairs, one right after the other, in alternating order, so a
noisy machine slows both sides of a pair alike; the report gives per-pair ratios
(depslim / uv) and their median, with wall time, CPU time (user + system of the child)
and peak RSS. pip-compile runs once per set (cold), as it is much slower.

uv trusts the hashes the index lists; depslim by default also downloads every locked
file once to check them (cached after). The pairs compare like with like, depslim with
``--no-verify-hashes``; one cold run with the default check is reported per set. Needs
network access to PyPI; never run in CI.

    python bench/lock_bench.py [--runs 5] [--no-pip-compile] [--json FILE] [INPUT ...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SETS = ("llm-api", "ml-worker", "rag-backend", "doc-service")
MODES = ("cold", "warm", "offline")


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    rss_mib: float


def _env(cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "DEPSLIM_"))}
    # As after a pip install: byte code is written once (by the untimed first run), not
    # compiled from source on every run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PIP_CONFIG_FILE"] = os.devnull  # only PyPI, for every tool
    env["DEPSLIM_CACHE_DIR"] = str(cache / "depslim")
    env["UV_CACHE_DIR"] = str(cache / "uv")
    env["UV_NO_CONFIG"] = "1"
    return env


def command(tool: str, source: Path, out: Path, cache: Path, *, offline: bool) -> list[str]:
    if tool.startswith("depslim"):
        cmd = [str(BIN / "depslim"), "lock", str(source), "-o", str(out / f"{tool}.txt")]
        cmd += ["--python-version", "3.11", "--python-platform", "linux/amd64"]
        cmd += ["--torch-backend", "pypi", "--no-config", "-q"]
        if tool == "depslim":  # as uv: trust the index's hashes (see the module doc)
            cmd.append("--no-verify-hashes")
    elif tool == "uv":
        cmd = [str(BIN / "uv"), "pip", "compile", "-q", "--generate-hashes"]
        cmd += ["--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_28"]
        cmd += ["-o", str(out / "uv.txt"), str(source)]
    else:
        cmd = [str(BIN / "pip-compile"), "-q", "--generate-hashes", "--strip-extras"]
        cmd += ["--cache-dir", str(cache / "pip"), "-o", str(out / "pip.txt"), str(source)]
    return [*cmd, "--offline"] if offline else cmd


def run_once(cmd: list[str], env: dict[str, str]) -> Run:
    """Run ``cmd``; wall time, the child's CPU time and its peak RSS (from wait4)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed:\n{err.read().decode()[-2000:]}")
    # ru_maxrss is in KiB on Linux
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#", "-")):
            name, _, version = line.split(";")[0].strip().rstrip("\\").strip().partition("==")
            found[name.split("[")[0].lower().replace("_", "-")] = version.strip()
    return found


def bench(source: Path, runs: int, *, with_pip: bool) -> dict[str, object]:
    pairs: dict[str, list[tuple[Run, Run]]] = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        out.mkdir()
        warm = Path(tmp) / "warm"
        for tool in ("depslim", "uv"):  # untimed runs fill the warm caches
            run_once(command(tool, source, out, warm, offline=False), _env(warm))
        same = pins(out / "depslim.txt") == pins(out / "uv.txt")
        for i in range(runs):
            order = ("depslim", "uv") if i % 2 == 0 else ("uv", "depslim")
            for mode in MODES:
                timed: dict[str, Run] = {}
                for tool in order:
                    cache = Path(tmp) / "cold" if mode == "cold" else warm
                    if mode == "cold":
                        shutil.rmtree(cache, ignore_errors=True)
                    cmd = command(tool, source, out, cache, offline=mode == "offline")
                    timed[tool] = run_once(cmd, _env(cache))
                pairs[mode].append((timed["depslim"], timed["uv"]))
        once = Path(tmp) / "once"
        cmd = command("depslim-verify", source, out, once, offline=False)
        verify = run_once(cmd, _env(once))
        pip = None
        if with_pip:
            cmd = command("pip-compile", source, out, once, offline=False)
            pip = run_once(cmd, _env(once))
        n_pins = len(pins(out / "depslim.txt"))
    result: dict[str, object] = {"input": source.name, "pins": n_pins, "same_pins_as_uv": same}
    for mode, done in pairs.items():
        result[mode] = {
            "depslim_wall": statistics.median(d.wall for d, _ in done),
            "uv_wall": statistics.median(u.wall for _, u in done),
            "wall_ratio": statistics.median(d.wall / u.wall for d, u in done),
            "depslim_cpu": statistics.median(d.cpu for d, _ in done),
            "uv_cpu": statistics.median(u.cpu for _, u in done),
            "cpu_ratio": statistics.median(d.cpu / u.cpu for d, u in done),
            "depslim_rss": statistics.median(d.rss_mib for d, _ in done),
            "uv_rss": statistics.median(u.rss_mib for _, u in done),
            "rss_ratio": statistics.median(d.rss_mib / u.rss_mib for d, u in done),
        }
    result["depslim_verify_cold"] = asdict(verify)
    result["pip_compile"] = None if pip is None else asdict(pip)
    return result


def _load() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.1f} (1 min), {five:.1f} (5 min)"


def _version(cmd: list[str]) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "inputs", nargs="*", type=Path, default=[HERE / "inputs" / f"{s}.in" for s in SETS]
    )
    parser.add_argument("--runs", type=int, default=5, help="pairs per mode (default 5)")
    parser.add_argument("--no-pip-compile", action="store_true", help="skip pip-compile")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    depslim = _version([str(BIN / "depslim"), "--version"])
    uv = _version([str(BIN / "uv"), "--version"])
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {_load()}; "
        f"{depslim}, {uv}; {args.runs} interleaved pairs per mode, medians"
    )
    results = []
    for source in args.inputs:
        result = bench(source.resolve(), args.runs, with_pip=not args.no_pip_compile)
        results.append(result)
        print(
            f"\n{result['input']}: {result['pins']} pins, "
            f"{'same' if result['same_pins_as_uv'] else 'DIFFERENT'} versions as uv; "
            f"load {_load()}"
        )
        print(
            f"{'mode':<8} {'depslim s':>9} {'uv s':>6} {'wall x':>7} "
            f"{'cpu s':>6} {'uv cpu':>6} {'cpu x':>6} {'MiB':>5} {'uv MiB':>6} {'rss x':>6}"
        )
        for mode in MODES:
            m = result[mode]
            assert isinstance(m, dict)
            print(
                f"{mode:<8} {m['depslim_wall']:9.2f} {m['uv_wall']:6.2f} {m['wall_ratio']:7.2f} "
                f"{m['depslim_cpu']:6.2f} {m['uv_cpu']:6.2f} {m['cpu_ratio']:6.2f} "
                f"{m['depslim_rss']:5.0f} {m['uv_rss']:6.0f} {m['rss_ratio']:6.2f}"
            )
        verify = result["depslim_verify_cold"]
        assert isinstance(verify, dict)
        print(
            f"depslim with its default hash check (cold, once): {verify['wall']:.1f} s, "
            f"cpu {verify['cpu']:.1f} s, {verify['rss_mib']:.0f} MiB"
        )
        pip = result["pip_compile"]
        if isinstance(pip, dict):
            print(
                f"pip-compile (cold, once): {pip['wall']:.1f} s, cpu {pip['cpu']:.1f} s, "
                f"{pip['rss_mib']:.0f} MiB"
            )
    print(f"\nload at the end: {_load()}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
