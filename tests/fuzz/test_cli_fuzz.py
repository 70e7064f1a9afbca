"""The real CLI on hostile and generated inputs: `depslim lock FILE` exits 0, 1, 2 or 3,
never with a traceback (a crash exits 1, which would pass for "no solution").

Each run is ``python -m depslim lock`` in a subprocess against a local ``--find-links``
folder of real wheels, with no network (``unshare --net`` where the system allows it;
generated URLs name loopback hosts only in any case).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from fuzz.oracle import EXIT_CODES
from fuzz.strategies import pyprojects, requirements_files
from support.wheelhouse import no_network_prefix
from support.wheels import build_wheel

pytestmark = pytest.mark.cli_fuzz

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("DEPSLIM_CLI_FUZZ_EXAMPLES", "3"))
cli_fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking would run dozens more
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
encodings = st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16", "latin-1"])
LOCAL = ("--no-index",)  # lock from the --find-links folder only
UNREACHABLE = ("--index-url", "http://127.0.0.1:9/simple")  # nothing listens there


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("find-links")
    build_wheel(folder, "x", "1.0")
    build_wheel(folder, "app", "1.0", requires=["x>=1"])
    build_wheel(folder, "numpy", "2.0.0")
    return folder


def run_lock(
    folder: Path, wheels: Path, name: str, options: Sequence[str] = LOCAL
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(folder),
        "PYTHONPATH": str(PROJECT_ROOT / "src"),
        "DEPSLIM_CACHE_DIR": str(folder / "cache"),
        "NO_COLOR": "1",
    }
    command = [
        *no_network_prefix(),
        sys.executable,
        "-m",
        "depslim",
        "lock",
        name,
        "-o",
        "out.txt",
        "--find-links",
        str(wheels),
        "--python-version",
        "3.11",
        "--retries",
        "0",
        *options,
    ]
    return subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def assert_clean_exit(result: subprocess.CompletedProcess[str], shown_input: object) -> None:
    shown = f"input {shown_input!r:.300}\nstderr:\n{result.stderr[-2500:]}"
    assert result.returncode in EXIT_CODES, f"exit {result.returncode}; {shown}"
    assert "Traceback (most recent call last)" not in result.stderr, shown


# --- the hostile inputs of issue 11, one test each --------------------------------------

Setup = Callable[[Path], None]


def files(**contents: bytes | str) -> Setup:
    def setup(folder: Path) -> None:
        for name, content in contents.items():
            path = folder / name.replace("__", "/")
            path.parent.mkdir(parents=True, exist_ok=True)
            data = content.encode() if isinstance(content, str) else content
            path.write_bytes(data)

    return setup


def include_chain(depth: int) -> Setup:
    def setup(folder: Path) -> None:
        for i in range(depth):
            (folder / f"r{i}.in").write_text(f"-r r{i + 1}.in\n", encoding="utf-8")
        (folder / f"r{depth}.in").write_text("x\n", encoding="utf-8")
        (folder / "requirements.in").write_text("-r r0.in\n", encoding="utf-8")

    return setup


def symlink_loop(folder: Path) -> None:
    (folder / "requirements.in").symlink_to(folder / "requirements.in")


PYPROJECT = "[project]\nname = 'app'\nversion = '1'\ndependencies = ['x']\n"
HOSTILE: dict[str, tuple[str, Setup, Sequence[str]]] = {
    "malformed direct-reference URL": (
        "requirements.in",
        files(**{"requirements.in": "x @ http://[::1/x.whl\n"}),
        LOCAL,
    ),
    "undecidable marker": (
        "requirements.in",
        files(**{"requirements.in": "x ; python_full_version === ''\n"}),
        LOCAL,
    ),
    "-r /dev/zero": ("requirements.in", files(**{"requirements.in": "-r /dev/zero\n"}), LOCAL),
    "-c /dev/urandom": (
        "requirements.in",
        files(**{"requirements.in": "x\n-c /dev/urandom\n"}),
        LOCAL,
    ),
    "non-UTF-8 requirements": (
        "requirements.in",
        files(**{"requirements.in": b"x\ncaf\xe9\n"}),
        LOCAL,
    ),
    "-r chain 400 deep": ("requirements.in", include_chain(400), LOCAL),
    "unreadable input (symlink loop)": ("requirements.in", symlink_loop, LOCAL),
    "UTF-16 pyproject": (
        "pyproject.toml",
        files(**{"pyproject.toml": PYPROJECT.encode("utf-16")}),
        LOCAL,
    ),
    "non-UTF-8 pyproject": (
        "pyproject.toml",
        files(**{"pyproject.toml": PYPROJECT.encode() + b"# caf\xe9\n"}),
        LOCAL,
    ),
    "deeply nested TOML": (
        "pyproject.toml",
        files(**{"pyproject.toml": PYPROJECT + "x = " + "[" * 3000 + "]" * 3000 + "\n"}),
        LOCAL,
    ),
    "dynamic file = ['/dev/zero']": (
        "pyproject.toml",
        files(
            **{
                "pyproject.toml": "[project]\nname = 'app'\nversion = '1'\n"
                "dynamic = ['dependencies']\n[tool.setuptools.dynamic]\n"
                "dependencies = {file = ['/dev/zero']}\n"
            }
        ),
        LOCAL,
    ),
    "UTF-16 config next to the input": (
        "requirements.in",
        files(
            **{
                "requirements.in": "x\n",
                "pyproject.toml": "[tool.depslim]\npre = true\n".encode("utf-16"),
            }
        ),
        LOCAL,
    ),
    "timeout = nan in config": (
        "requirements.in",
        files(**{"requirements.in": "x\n", "pyproject.toml": "[tool.depslim]\ntimeout = nan\n"}),
        UNREACHABLE,
    ),
    "--timeout inf": (
        "requirements.in",
        files(**{"requirements.in": "x\n"}),
        (*UNREACHABLE, "--timeout", "inf"),
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_input_exits_cleanly(wheels: Path, case: str) -> None:
    name, setup, options = HOSTILE[case]
    with tempfile.TemporaryDirectory() as folder:
        setup(Path(folder))
        result = run_lock(Path(folder), wheels, name, options)
    assert_clean_exit(result, case)
    if result.returncode == 2:
        assert result.stderr.strip(), "an input error must say what is wrong"


# --- generated inputs ----------------------------------------------------------------------


@cli_fuzz
@given(text=requirements_files, encoding=encodings)
def test_lock_a_generated_requirements_file(wheels: Path, text: str, encoding: str) -> None:
    data = text.encode(encoding, errors="replace")
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "requirements.in").write_bytes(data)
        assert_clean_exit(run_lock(Path(folder), wheels, "requirements.in"), data)


@cli_fuzz
@given(text=pyprojects(), encoding=encodings)
def test_lock_a_generated_pyproject(wheels: Path, text: str, encoding: str) -> None:
    data = text.encode(encoding, errors="replace")
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "pyproject.toml").write_bytes(data)
        assert_clean_exit(run_lock(Path(folder), wheels, "pyproject.toml"), data)
