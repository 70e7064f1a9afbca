"""How long ``depslim check`` takes on a 2,000-file project, cold and warm.

Generates a project (2,000 modules in 40 packages importing each other, the stdlib and
declared third-party packages, with ``entries`` set so the tier check runs), then runs
``depslim check`` as a subprocess: once with an empty cache (cold) and N times warm
(nothing changed), and N times warm with one file passed as pre-commit does. Prints
medians. No network is used.

    python bench/check_bench.py [--files 2000] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent / "depslim"
THIRD_PARTY = ["fastapi", "pydantic", "yaml", "httpx", "sqlalchemy", "redis", "boto3"]
STDLIB = ["os", "json", "re", "typing", "dataclasses", "pathlib", "logging", "itertools"]


def make_project(root: Path, files: int) -> None:
    rng = random.Random(42)
    packages = 40
    (root / "pyproject.toml").write_text(
        '[project]\nname = "big"\nversion = "0"\ndependencies = [\n'
        + "".join(f'  "{n if n != "yaml" else "pyyaml"}",\n' for n in THIRD_PARTY)
        + ']\n[tool.depslim]\nentries = { api = "big.pkg0.mod0" }\n'
    )
    for p in range(packages):
        folder = root / "src" / "big" / f"pkg{p}"
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text("")
    (root / "src" / "big" / "__init__.py").write_text("")
    for i in range(files):
        p = i % packages
        lines = [f"import {m}" for m in rng.sample(STDLIB, 3)]
        lines += [f"import {m}" for m in rng.sample(THIRD_PARTY, 2)]
        lines += [f"from big.pkg{rng.randrange(packages)} import mod{rng.randrange(files)}"]
        body = "\n".join(
            f"def f{k}(x):\n    return [y * {k} for y in range(x)]\n" for k in range(8)
        )
        path = root / "src" / "big" / f"pkg{p}" / f"mod{i}.py"
        path.write_text("\n".join(lines) + "\n\n" + body)


def run(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "big"
        root.mkdir()
        make_project(root, args.files)
        env = {**os.environ, "DEPSLIM_CACHE_DIR": str(Path(tmp) / "cache")}
        check = [str(BIN), "check", "-q"]
        cold = run(check, root, env)
        warm = [run(check, root, env) for _ in range(args.runs)]
        one = [run([*check, "src/big/pkg1/mod1.py"], root, env) for _ in range(args.runs)]
        start = time.perf_counter()
        subprocess.run([str(BIN), "--version"], capture_output=True, check=True)
        startup = time.perf_counter() - start
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.files} files")
    print(f"cold (empty cache):          {cold:6.2f} s")
    print(f"warm, nothing changed:       {statistics.median(warm):6.2f} s (median of {args.runs})")
    print(f"warm, one file passed:       {statistics.median(one):6.2f} s (median of {args.runs})")
    print(f"interpreter + import only:   {startup:6.2f} s (depslim --version)")


if __name__ == "__main__":
    main()
