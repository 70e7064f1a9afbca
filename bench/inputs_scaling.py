"""Is reading hostile inputs linear in their size? Medians for N and 2N, and their ratio.

Shapes that were quadratic, exponential or recursion-bound before: a ``-r`` chain of N
files, N files each including the next twice (2**N parses if walked naively), a
pyproject with N dependency groups chained by ``include-group``, N self-referencing
extras, and a requirements file of N lines of options. A ratio near 2 means linear.

    python bench/inputs_scaling.py [--n 2000] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from depslim.inputs import parse_pyproject, parse_requirements, parse_requirements_text


def include_chain(root: Path, n: int, *, twice: bool) -> Callable[[], object]:
    for i in range(n):
        extra = f"-r ./r{i + 1}.in\n" if twice else ""
        (root / f"r{i}.in").write_text(f"p{i}\n-r r{i + 1}.in\n{extra}", encoding="utf-8")
    (root / f"r{n}.in").write_text("last\n", encoding="utf-8")
    return lambda: parse_requirements(root / "r0.in", environ={})


def group_chain(root: Path, n: int) -> Callable[[], object]:
    lines = ["[dependency-groups]"]
    lines += [f'g{i} = ["p{i}", {{include-group = "g{i + 1}"}}]' for i in range(n)]
    lines.append(f'g{n} = ["last"]')
    text = "\n".join(lines) + "\n"
    path = root / "pyproject.toml"
    return lambda: parse_pyproject(text, path=path, groups=["g0"])


def extra_chain(root: Path, n: int) -> Callable[[], object]:
    lines = ['[project]\nname = "app"\n[project.optional-dependencies]']
    lines += [f'e{i} = ["p{i}", "app[e{i + 1}]"]' for i in range(n)]
    lines.append(f'e{n} = ["last"]')
    text = "\n".join(lines) + "\n"
    path = root / "pyproject.toml"
    return lambda: parse_pyproject(text, path=path, extras=["e0"])


def option_lines(root: Path, n: int) -> Callable[[], object]:
    text = "\n".join(f"-f http://127.0.0.1/{i}/\n--extra-index-url http://h{i}/" for i in range(n))
    path = root / "requirements.in"
    return lambda: parse_requirements_text(text, path=path, environ={})


SHAPES: dict[str, Callable[[Path, int], Callable[[], object]]] = {
    "-r chain": lambda root, n: include_chain(root, n, twice=False),
    "-r diamond (each file twice)": lambda root, n: include_chain(root, n, twice=True),
    "include-group chain": group_chain,
    "self-referencing extras": extra_chain,
    "option lines": option_lines,
}


def median_seconds(make: Callable[[Path, int], Callable[[], object]], n: int, runs: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        run = make(Path(folder), n)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{'shape':32} {'N':>6} {'median N':>10} {'median 2N':>10} {'ratio':>6}")
    for name, make in SHAPES.items():
        small = median_seconds(make, args.n, args.runs)
        large = median_seconds(make, 2 * args.n, args.runs)
        print(f"{name:32} {args.n:6d} {small:9.3f}s {large:9.3f}s {large / small:6.2f}")


if __name__ == "__main__":
    main()
