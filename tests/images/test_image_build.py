"""Build the web-app image from depslim's Dockerfile with a real builder (buildah).

The packages are real wheels built by the test and served by the test's index on
127.0.0.1; the lock pins ``setuptools`` and ``wheel`` at versions the base image's
venv does not have, and a package requires ``setuptools>=90``, which is what made
``pip check`` fail in the runtime stage before the venv was made ``--without-pip``.
Checked: the build passes ``pip check``; the application imports; the image holds one
``setuptools`` (the locked one) and no layer inputs, lock, tests or VCS folder; after a
volatile pin changes only the last dependency layer gets a new digest; after a stable
pin changes the layer above it is rebuilt but keeps its digest (reproducible layers).
"""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from depslim.layers import (
    Evidence,
    LayerItem,
    LayerPlan,
    layer_filenames,
    partition,
    pins_without_wheels,
    render_dockerfile,
    render_dockerignore,
)
from depslim.lockfile import render_requirements_txt
from depslim.models import Lock, Pin, PinnedFile
from depslim.target import Target
from support.index_server import IndexServer
from support.wheels import build_wheel, file_sha256

pytestmark = pytest.mark.image

TARGET = Target.parse("linux/amd64", python="3.11")
APP = """\
import helper
import volatilepkg
import webcore

print(webcore.__version__, volatilepkg.__version__, helper.__version__)
"""


def buildah(*args: str) -> str:
    done = subprocess.run(["buildah", *args], check=False, capture_output=True, text=True)
    assert done.returncode == 0, f"buildah {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


def item(name: str, rate: float) -> LayerItem:
    return LayerItem(
        name=canonicalize_name(name),
        bytes=10_000,
        changes_per_month=rate,
        evidence=(Evidence(source="rule", rate=rate, weight=1.0, detail="test"),),
    )


class Project:
    """A build context for the app, rewritten for each state of the lock."""

    def __init__(self, root: Path, files: Path, index: IndexServer, image: str) -> None:
        self.root, self.files, self.index, self.image = root, files, index, image
        self.plan: LayerPlan = partition(
            [item(n, 0.1) for n in ("webcore", "helper", "setuptools", "wheel")]
            + [item("volatilepkg", 20.0)],
            max_layers=2,
        )

    def pin(self, name: str, version: str) -> Pin:
        wheel = next(self.files.glob(f"{name}-{version}-*.whl"))
        served = f"{self.index.url}{name}/{wheel.name}"
        return Pin(
            name=canonicalize_name(name),
            version=Version(version),
            index=self.index.url,
            files=(PinnedFile(filename=wheel.name, url=served, sha256=file_sha256(wheel)),),
        )

    def write(self, versions: dict[str, str]) -> None:
        pins = tuple(self.pin(name, version) for name, version in sorted(versions.items()))
        lock = Lock(target=TARGET, pins=pins, index_url=self.index.url)
        layers = self.root / "deploy" / "layers"
        layers.mkdir(parents=True, exist_ok=True)
        for layer, filename in zip(self.plan.layers, layer_filenames(self.plan), strict=True):
            chosen = tuple(p for p in pins if p.name in layer.packages)
            text = render_requirements_txt(replace(lock, pins=chosen), version="test")
            (layers / filename).write_text(text)
        (self.root / "requirements.txt").write_text(render_requirements_txt(lock, version="test"))
        (self.root / "deploy" / "Dockerfile").write_text(
            render_dockerfile(
                self.plan,
                target=TARGET,
                build_from_source=pins_without_wheels(pins),
                directory=str(layers),
                context=str(self.root),
                base_image=self.image,
                app_exclude=[str(self.root / "requirements.txt")],
            )
        )
        (self.root / ".dockerignore").write_text(
            render_dockerignore(
                dockerfile=str(self.root / "deploy/Dockerfile"), context=str(self.root)
            )
        )

    def build(self, tag: str) -> str:
        dockerfile = str(self.root / "deploy" / "Dockerfile")
        return buildah(
            "build", "--isolation", "chroot", "--network", "host", "--layers",
            "--timestamp", "0", "-f", dockerfile, "-t", tag, str(self.root),
        )  # fmt: skip


def dependency_layers(tag: str, count: int) -> list[str]:
    info = json.loads(buildah("inspect", "--type", "image", tag))
    diff_ids = info["OCIv1"]["rootfs"]["diff_ids"]
    made = [h.get("created_by", "") for h in info["OCIv1"]["history"] if not h.get("empty_layer")]
    made = made[-len(diff_ids) :]
    start = next(k for k, line in enumerate(made) if "--without-pip" in line) + 1
    assert "pip --python" in made[start + count]
    return list(diff_ids[start : start + count])


@pytest.fixture
def tags() -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    for tag in made:
        subprocess.run(["buildah", "rmi", "-f", tag], check=False, capture_output=True)


def run_in(tag: str, *command: str) -> str:
    container = buildah("from", tag).strip()
    try:
        return buildah("run", "--isolation", "chroot", container, "--", *command)
    finally:
        buildah("rm", container)


def test_web_app_image_builds_checks_and_reuses_layers(
    builder: str, tmp_path: Path, index_server, tags: list[str]
) -> None:
    files = tmp_path / "index"
    build_wheel(files, "setuptools", "99.0", modules=["setuptools"])
    build_wheel(files, "wheel", "99.0", modules=["wheel"])
    build_wheel(files, "helper", "1.0")
    for version in ("1.0", "1.1"):
        build_wheel(files, "webcore", version, requires=["setuptools>=90", "helper>=1"])
        build_wheel(files, "volatilepkg", version, requires=["webcore>=1"])
    index = index_server(files)

    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text(APP)
    for stray in (".git/HEAD", "tests/test_app.py", "app/__pycache__/main.cpython-311.pyc"):
        (root / stray).parent.mkdir(parents=True, exist_ok=True)
        (root / stray).write_text("not for the image\n")
    project = Project(root, files, index, builder)
    assert [sorted(layer.packages) for layer in project.plan.layers] == [
        ["helper", "setuptools", "webcore", "wheel"],
        ["volatilepkg"],
    ]
    base = {"setuptools": "99.0", "wheel": "99.0", "helper": "1.0", "webcore": "1.0"}
    run_id = uuid.uuid4().hex[:8]

    project.write({**base, "volatilepkg": "1.0"})
    tags.append(f"localhost/depslim-test-webapp-{run_id}:first")
    log = project.build(tags[-1])
    assert "No broken requirements found." in log
    assert "build-essential" not in log
    assert run_in(tags[-1], "python", "-m", "app.main").split() == ["1.0", "1.0", "1.0"]
    listing = run_in(tags[-1], "sh", "-c", "ls -A /app; ls /opt/venv/lib/python3.11/site-packages")
    names = listing.split()
    assert [n for n in names if n.startswith("setuptools-")] == ["setuptools-99.0.dist-info"]
    assert not {"layers", "deploy", "requirements.txt", ".git", "tests", ".dockerignore"} & set(
        names
    )
    assert "pip" not in names  # the runtime venv holds the locked pins only
    first = dependency_layers(tags[-1], 2)

    project.write({**base, "volatilepkg": "1.1"})
    tags.append(f"localhost/depslim-test-webapp-{run_id}:volatile")
    project.build(tags[-1])
    assert run_in(tags[-1], "python", "-m", "app.main").split() == ["1.0", "1.1", "1.0"]
    volatile = dependency_layers(tags[-1], 2)
    assert volatile[0] == first[0]  # the stable layer is reused as is
    assert volatile[1] != first[1]

    project.write({**base, "webcore": "1.1", "volatilepkg": "1.0"})
    tags.append(f"localhost/depslim-test-webapp-{run_id}:stable")
    log = project.build(tags[-1])
    assert "No broken requirements found." in log
    stable = dependency_layers(tags[-1], 2)
    assert stable[0] != first[0]
    # rebuilt from scratch above the changed layer, yet byte-identical: same digest
    assert stable[1] == first[1]
