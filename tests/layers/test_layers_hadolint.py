"""The generated Dockerfile passes hadolint (the real linter, from the test extra).

DL3029 ("do not use --platform with FROM") is the one rule set aside: the image must
be built for the platform the lock was resolved for, whatever machine builds it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from depslim.layers import LayerItem, partition, render_dockerfile
from depslim.target import Target

_BESIDE = Path(sys.executable).with_name("hadolint")  # the test extra's, in this venv
HADOLINT = str(_BESIDE) if _BESIDE.is_file() else shutil.which("hadolint")
pytestmark = pytest.mark.skipif(HADOLINT is None, reason="hadolint (test extra) not installed")


def plan():
    items = [
        LayerItem(name=canonicalize_name(n), bytes=size, changes_per_month=rate)
        for n, size, rate in [("torch", 800_000_000, 0.2), ("numpy", 30_000_000, 0.5),
                              ("fastapi", 1_000_000, 3.0)]
    ]  # fmt: skip
    return partition(items, max_layers=3)


@pytest.mark.parametrize(
    ("platform", "compilers"),
    [("linux/amd64", False), ("linux/amd64", True), ("linux/amd64-musl", True)],
)
def test_the_dockerfile_passes_hadolint(tmp_path: Path, platform: str, compilers: bool) -> None:
    target = Target.parse(platform, python="3.11")
    text = render_dockerfile(
        plan(),
        target=target,
        build_from_source=[canonicalize_name("six")] if compilers else [],
    )
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(text)
    assert HADOLINT is not None
    done = subprocess.run(
        [HADOLINT, "--no-color", "--ignore", "DL3029", str(dockerfile)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
