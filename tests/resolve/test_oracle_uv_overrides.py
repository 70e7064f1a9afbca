"""uv is the oracle for overrides, constraints and git references: same index, same pins.

Each scenario is served by a real index on 127.0.0.1; ``uv pip compile --override …
-c …`` runs as a subprocess against it (no uv configuration, no cache) for linux/amd64
and CPython 3.11, and depslim's resolver gets the same inputs as an ``Overrides``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

import depslim
from depslim.errors import NoSolutionError
from depslim.index.client import IndexClient
from depslim.index.direct import GitReferences
from depslim.inputs import parse_requirements
from depslim.resolve.overrides import read_overrides
from depslim.resolve.resolver import resolve
from support.gitrepo import GIT_ENV, commit, git, make_repo, static_project
from support.index_server import IndexServer

LINUX = depslim.Target.parse("linux/amd64", python="3.11")
UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")

pytestmark = pytest.mark.skipif(UV is None, reason="uv (a test dependency) is not installed")

CAPPED = [
    ("app", "1.0", ["numpy<2", "plot"]),
    ("plot", "1.0", ["numpy>=1.20,<1.26", "pillow ; python_version < '3.0'"]),
    ("numpy", "1.24.0", []),
    ("numpy", "1.26.4", []),
    ("numpy", "2.1.0", []),
    ("pillow", "10.0", []),
    ("pillow", "11.0", []),
]

# name: (index, requirements.in, overrides.txt, constraints.txt)
SCENARIOS: dict[str, tuple[list[tuple], str, str, str]] = {
    "override-lifts-a-cap": (CAPPED, "app\n", "numpy>=2\n", ""),
    "override-replaces-a-top-level-range": (CAPPED, "numpy<1.25\n", "numpy==1.26.4\n", ""),
    "override-drops-the-dependency-marker": (CAPPED, "plot\n", "pillow<11\n", ""),
    "override-replaces-a-top-level-marker": (
        CAPPED,
        "numpy ; sys_platform == 'win32'\n",
        "numpy==1.26.4\n",
        "",
    ),
    "override-marker-false-on-target": (
        CAPPED,
        "plot\n",
        "numpy ; sys_platform == 'win32'\n",
        "",
    ),
    "overrides-told-apart-by-markers": (
        CAPPED,
        "app\n",
        "numpy==1.26.4 ; python_version < '3.12'\nnumpy==2.1.0 ; python_version >= '3.12'\n",
        "",
    ),
    "override-keeps-the-extra-condition": (
        [
            ("lib", "1.0", [], {"extras": {"fast": ["speedup>=2"]}}),
            ("speedup", "1.0", []),
            ("speedup", "2.0", []),
            ("user", "1.0", ["lib"]),
        ],
        "user\nlib[fast]\n",
        "speedup==1.0\n",
        "",
    ),
    "override-adds-extras": (
        [
            ("web", "1.0", ["http-lib>=1"]),
            ("http-lib", "1.0", [], {"extras": {"socks": ["socks-lib"]}}),
            ("socks-lib", "1.0", []),
        ],
        "web\n",
        "http-lib[socks]==1.0\n",
        "",
    ),
    "constraint-narrows-never-adds": (CAPPED, "plot\n", "", "numpy<1.25\nurllib3<2\n"),
    "override-and-constraint": (CAPPED, "app\n", "numpy>=1.25\n", "numpy<2\npillow<11\n"),
    "constraint-against-override-has-no-solution": (CAPPED, "app\n", "numpy>=2\n", "numpy<2\n"),
}


def uv_pins(
    workdir: Path, index: IndexServer, overrides: Path, constraints: Path
) -> dict[str, str] | None:
    """uv's pins, or ``None`` when uv finds no solution."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
    env["UV_NO_CONFIG"] = "1"
    command = [
        str(UV),
        "pip",
        "compile",
        "requirements.in",
        "--index-url",
        index.url,
        "--python-version",
        "3.11",
        "--python-platform",
        "x86_64-manylinux_2_28",
        "--no-cache",
        "--no-header",
        "--no-annotate",
        "--quiet",
    ]
    if overrides.read_text():
        command += ["--override", str(overrides)]
    if constraints.read_text():
        command += ["-c", str(constraints)]
    done = subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        assert "No solution found" in done.stderr, done.stderr
        return None
    pins = {}
    for line in done.stdout.splitlines():
        name, sep, version = line.partition("==")
        if sep:
            pins[canonicalize_name(name.split("[")[0])] = version.strip()
    return pins


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_depslim_pins_what_uv_pins(
    scenario: str,
    make_index: Callable[..., IndexServer],
    index_client: Callable[..., IndexClient],
    tmp_path: Path,
) -> None:
    specs, requirements, override_text, constraint_text = SCENARIOS[scenario]
    index = make_index(specs)
    (tmp_path / "requirements.in").write_text(requirements)
    overrides, constraints = tmp_path / "overrides.txt", tmp_path / "constraints.txt"
    overrides.write_text(override_text)
    constraints.write_text(constraint_text)
    expected = uv_pins(tmp_path, index, overrides, constraints)

    value = read_overrides(
        [overrides] if override_text else [], [constraints] if constraint_text else []
    )
    inputs = parse_requirements(tmp_path / "requirements.in")
    client = index_client(index.url)
    if expected is None:
        with pytest.raises(NoSolutionError):
            resolve(inputs.requirements, client, LINUX, overrides=value)
        return
    result = resolve(inputs.requirements, client, LINUX, overrides=value)
    assert {n: str(c.version) for n, c in result.candidates.items()} == expected
    assert expected  # every solvable scenario pins something


def test_git_reference_is_written_as_uv_writes_it(
    make_index: Callable[..., IndexServer],
    index_client: Callable[..., IndexClient],
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "tool")
    commit(repo, static_project("tool", "1.0", ["dep<2"]))
    git(repo, "tag", "v1.0")
    commit(repo, static_project("tool", "1.5", ["dep>=2"]))
    index = make_index([("dep", "1.0", []), ("dep", "2.0", [])])
    requirement = f"tool @ git+{repo.as_uri()}@v1.0"
    (tmp_path / "requirements.in").write_text(requirement + "\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    env = {**GIT_ENV, "UV_NO_CONFIG": "1"}
    done = subprocess.run(
        [str(UV), "pip", "compile", "requirements.in", "--index-url", index.url,
         "--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_28",
         "--no-cache", "--no-header", "--no-annotate", "--quiet"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    uv_lines = sorted(line for line in done.stdout.splitlines() if line.strip())

    result = resolve(
        parse_requirements(tmp_path / "requirements.in").requirements,
        index_client(index.url),
        LINUX,
        direct=GitReferences(env=GIT_ENV),
    )
    ours = sorted(
        f"{n} @ {c.url}" if c.url else f"{n}=={c.version}" for n, c in result.candidates.items()
    )
    assert ours == uv_lines
    assert any(line.startswith("tool @ git+file://") and line.count("@") == 2 for line in ours)
