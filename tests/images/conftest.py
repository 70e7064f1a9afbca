"""Opt-in tests that build real container images (marker ``image``).

They run only when asked for (``pytest -m image tests/images``) and only with a real
builder: buildah, run as root, and the local base image that
``scripts/setup-builder.sh`` makes. Without them the tests are skipped with the reason;
nothing is faked. The builds reach only the test's own index on 127.0.0.1 (through the
host network), never the internet.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

BASE_IMAGE = os.environ.get("DEPSLIM_BASE_IMAGE", "localhost/depslim-python:3.11-bookworm")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "image: builds a real container image with buildah (opt-in: run with -m image; "
        "needs root and scripts/setup-builder.sh)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "image" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="builds a container image: opt in with -m image")
    for item in items:
        if "image" in item.keywords:
            item.add_marker(skip)


def builder_missing() -> str | None:
    """Why no real build can run here, or ``None`` when one can."""
    if shutil.which("buildah") is None:
        return "buildah is not installed (run scripts/setup-builder.sh as root)"
    if os.geteuid() != 0:
        return "buildah builds here run as root (chroot isolation, rootful storage)"
    found = subprocess.run(
        ["buildah", "inspect", "--type", "image", BASE_IMAGE],
        check=False,
        capture_output=True,
        text=True,
    )
    if found.returncode != 0:
        return f"the base image {BASE_IMAGE} is missing (run scripts/setup-builder.sh as root)"
    return None


@pytest.fixture
def builder() -> str:
    """The base image to build on; skips the test when no real builder is present."""
    reason = builder_missing()
    if reason is not None:
        pytest.skip(reason)
    return BASE_IMAGE
