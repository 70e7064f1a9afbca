"""Dockerfile rendering and the plan's JSON document."""

from __future__ import annotations

import json

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from depslim.errors import InputError
from depslim.layers import (
    Evidence,
    LayerItem,
    context_path,
    docker_platform,
    layer_filenames,
    layer_heading,
    partition,
    pins_without_wheels,
    plan_to_dict,
    render_dockerfile,
    render_dockerignore,
    render_snippet,
)
from depslim.models import Pin, PinnedFile
from depslim.target import Target


def item(name: str, size: int, rate: float) -> LayerItem:
    return LayerItem(
        name=canonicalize_name(name),
        bytes=size,
        changes_per_month=rate,
        evidence=(
            Evidence(source="cadence", rate=rate, weight=1.0, detail="test", count=3, months=12.0),
        ),
    )


@pytest.fixture
def plan():
    return partition(
        [
            item("torch", 190_000_000, 0.3),
            item("numpy", 17_000_000, 0.4),
            item("boto3", 140_000, 20.0),
            item("botocore", 13_000_000, 20.0),
            item("six", 11_000, 0.0),
        ],
        max_layers=3,
    )


def test_layer_filenames_are_numbered_and_named_after_their_largest_pin(plan) -> None:
    names = layer_filenames(plan)
    assert len(names) == len(plan.layers) == 3
    assert names[0] == "01-torch.txt"
    assert all(n.startswith(f"{k:02d}-") and n.endswith(".txt") for k, n in enumerate(names, 1))
    assert plan.layers[-1].packages == ("boto3",)
    assert names[-1] == "03-boto3.txt"


def test_snippet_installs_each_layer_in_order_and_checks_at_the_end(plan) -> None:
    text = render_snippet(plan)
    lines = text.splitlines()
    copies = [line for line in lines if line.startswith("COPY ")]
    assert copies == [f"COPY layers/{name} /tmp/depslim/{name}" for name in layer_filenames(plan)]
    installs = [line.strip() for line in lines if "pip install" in line]
    assert installs == [
        f"pip install --no-deps --require-hashes -r /tmp/depslim/{name}"
        for name in layer_filenames(plan)
    ]
    assert lines.count("RUN --mount=type=cache,target=/root/.cache/pip \\") == 3
    assert lines[-1] == "RUN pip check"
    for k, name in enumerate(layer_filenames(plan)):
        copy = lines.index(f"COPY layers/{name} /tmp/depslim/{name}")
        assert lines[copy - 1].startswith(f"# layer {k + 1}: ")
        assert lines[copy + 1].startswith("RUN --mount=type=cache")
    assert lines[0].startswith("# depslim: 3 dependency layers, stable first.")


def test_snippet_with_own_files_directory_and_pip(plan) -> None:
    text = render_snippet(
        plan, directory="deps/", files=["a.txt", "b.txt", "c.txt"], pip="/venv/bin/pip"
    )
    assert "COPY deps/a.txt /tmp/depslim/a.txt" in text
    assert "/venv/bin/pip install --no-deps --require-hashes -r /tmp/depslim/c.txt" in text
    assert text.endswith("RUN /venv/bin/pip check\n")
    with pytest.raises(InputError, match="as many requirements files"):
        render_snippet(plan, files=["only-one.txt"])
    placed = render_snippet(plan, directory="/srv/app/deploy/layers", context="/srv/app")
    assert f"COPY deploy/layers/{layer_filenames(plan)[0]} " in placed
    with pytest.raises(InputError, match="outside the build context"):
        render_snippet(plan, directory="/elsewhere", context="/srv/app")


def stages(text: str) -> dict[str, list[str]]:
    """The Dockerfile's lines per stage name (``FROM … AS name``)."""
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("FROM "):
            current = line.rsplit(" AS ", 1)[1]
            out[current] = []
        elif current is not None and line:
            out[current].append(line)
    return out


def test_full_dockerfile_without_sdists_has_no_compilers(plan) -> None:
    text = render_dockerfile(plan, target=Target.parse("linux/amd64", python="3.11"))
    lines = text.splitlines()
    assert lines[0] == "# syntax=docker/dockerfile:1"
    assert text.endswith("\n") and not text.endswith("\n\n")
    froms = [line for line in lines if line.startswith("FROM ")]
    assert froms == [
        f"FROM --platform=linux/amd64 python:3.11-slim AS {stage}"
        for stage in ("builder", "app", "runtime")
    ]
    assert "build-essential" not in text
    assert "apk add" not in text
    parts = stages(text)
    builder, app, runtime = parts["builder"], parts["app"], parts["runtime"]
    # byte-code compiled hash-based (reproducible): SOURCE_DATE_EPOCH is set for every RUN
    assert builder[:2] == ["ARG SOURCE_DATE_EPOCH=0", "RUN python3 -m venv /opt/venv"]
    installs = [line.strip() for line in builder if "pip install" in line]
    assert installs == [
        "/opt/venv/bin/python -m pip install --no-deps --require-hashes --ignore-installed "
        f"--no-warn-script-location --prefix /opt/depslim/{k:02d} -r /tmp/depslim/{name}"
        for k, name in enumerate(layer_filenames(plan), 1)
    ]
    # the runtime environment holds the locked pins only: no bundled pip or setuptools
    assert runtime[0] == (
        "RUN python3 -m venv --without-pip /opt/venv && useradd --create-home --uid 10001 app"
    )
    assert runtime[1:4] == [
        f"COPY --from=builder /opt/depslim/{k:02d}/ /opt/venv/" for k in (1, 2, 3)
    ]
    assert runtime[4] == (
        "RUN PYTHONDONTWRITEBYTECODE=1 python3 -m pip --python /opt/venv/bin/python check"
    )
    assert runtime[5:] == [
        'ENV PATH="/opt/venv/bin:$PATH" VIRTUAL_ENV="/opt/venv"',
        "USER 10001:10001",
        "WORKDIR /app",
        "COPY --from=app --chown=10001:10001 /src/ /app/",
    ]
    # the application: the whole context less the layer inputs, copied last
    assert app == ["COPY . /src", "RUN rm -rf /src/layers"]
    assert not any("apt-get" in line or "pip install" in line for line in runtime)


def test_without_bytecode_installs_no_compile_and_runtime_writes_none(plan) -> None:
    text = render_dockerfile(
        plan, target=Target.parse("linux/amd64", python="3.11"), bytecode=False
    )
    parts = stages(text)
    installs = [line for line in parts["builder"] if "pip install" in line]
    assert len(installs) == 3
    assert all(" --no-compile " in line for line in installs)
    assert (
        'ENV PATH="/opt/venv/bin:$PATH" VIRTUAL_ENV="/opt/venv" PYTHONDONTWRITEBYTECODE=1'
        in (parts["runtime"])
    )


def test_copy_paths_are_relative_to_the_build_context(plan) -> None:
    target = Target.parse("linux/amd64", python="3.11")
    text = render_dockerfile(
        plan,
        target=target,
        directory="project/deploy/layers",
        context="project",
        app_exclude=["project/requirements.txt", "project/deploy/layers/../Dockerfile"],
    )
    copies = [line for line in text.splitlines() if line.startswith("COPY deploy/")]
    assert copies == [
        f"COPY deploy/layers/{name} /tmp/depslim/{name}" for name in layer_filenames(plan)
    ]
    assert (
        "RUN rm -rf /src/deploy/Dockerfile /src/deploy/layers /src/requirements.txt"
        " && (rmdir -p /src/deploy 2>/dev/null || true)"
    ) in text
    absolute = render_dockerfile(
        plan, target=target, directory="/srv/app/layers/", context="/srv/app", app_source="src"
    )
    assert f"COPY layers/{layer_filenames(plan)[0]} " in absolute
    # the layer files are not under the application's folder: nothing to remove
    assert "COPY src /src" in absolute
    assert "rm -rf" not in absolute
    with pytest.raises(InputError, match="outside the build context"):
        render_dockerfile(plan, target=target, directory="../layers", context=".")
    with pytest.raises(InputError, match="outside the build context"):
        render_dockerfile(plan, target=target, directory="/elsewhere/layers", context="/srv/app")
    with pytest.raises(InputError, match="both as absolute paths"):
        render_dockerfile(plan, target=target, directory="/srv/app/layers", context="app")


def test_context_path() -> None:
    assert context_path("layers", None) == "layers"
    assert context_path("./layers/", None) == "layers"
    assert context_path("", None) == "."
    assert context_path("a/b/layers", "a") == "b/layers"
    assert context_path("a", "a") == "."
    assert context_path("/x/y", "/x") == "y"
    with pytest.raises(InputError, match="outside the build context"):
        context_path("../up", None)


def test_dockerignore_keeps_vcs_caches_and_tests_out_but_not_the_layer_inputs() -> None:
    text = render_dockerignore(dockerfile="deploy/Dockerfile", context=".", extra=["*.log"])
    assert text.endswith("\n")
    patterns = [line for line in text.splitlines() if line and not line.startswith("#")]
    for needed in (".git", ".hg", ".svn", "**/__pycache__", ".venv", ".tox", "tests", ".env"):
        assert needed in patterns
    assert patterns[-3:] == ["deploy/Dockerfile", ".dockerignore", "*.log"]
    # the builder copies the layer files: ignoring them would break the build
    assert not any("layers" in p or "requirements" in p for p in patterns)
    assert len(patterns) == len(set(patterns))
    bare = render_dockerignore(dockerfile=None)
    assert "Dockerfile" not in bare


def test_full_dockerfile_builds_sdists_with_compilers_only_in_the_builder(plan) -> None:
    target = Target.parse("linux/arm64", python="3.12")
    text = render_dockerfile(
        plan, target=target, build_from_source=[canonicalize_name("six")], app_source=None
    )
    lines = text.splitlines()
    runtime = lines.index("FROM --platform=linux/arm64 python:3.12-slim AS runtime")
    compilers = next(k for k, line in enumerate(lines) if "build-essential" in line)
    assert compilers < runtime
    assert lines[compilers - 1] == "# hadolint ignore=DL3008"
    assert (
        lines[compilers - 2] == "# compilers, because these pins have no wheel for linux/arm64: six"
    )
    assert lines[-1] == "WORKDIR /app"
    assert "AS app" not in text
    runtime_part = "\n".join(lines[runtime:])
    assert "build-essential" not in runtime_part and "gcc" not in runtime_part


def test_musl_targets_use_alpine_tools(plan) -> None:
    target = Target.parse("linux/amd64-musl", python="3.11")
    text = render_dockerfile(plan, target=target, build_from_source=[canonicalize_name("six")])
    assert "FROM --platform=linux/amd64 python:3.11-alpine AS builder" in text
    assert "RUN apk add --no-cache build-base" in text
    assert "adduser -D -u 10001 app" in text
    custom = render_dockerfile(plan, target=target, base_image="registry.local/py:3.11")
    assert "FROM --platform=linux/amd64 registry.local/py:3.11 AS runtime" in custom


def test_docker_needs_a_linux_target(plan) -> None:
    assert docker_platform(Target.parse("linux/arm64", python="3.11")) == "linux/arm64"
    with pytest.raises(InputError, match="linux/amd64 or linux/arm64"):
        render_dockerfile(plan, target=Target.parse("macos/arm64", python="3.11"))


def pin(name: str, *filenames: str, url: str | None = None) -> Pin:
    return Pin(
        name=canonicalize_name(name),
        version=Version("1.0"),
        index="https://pypi.org/simple",
        files=tuple(
            PinnedFile(filename=f, url=f"https://files.example/{f}", sha256="0" * 64)
            for f in filenames
        ),
        url=url,
    )


def test_pins_without_wheels() -> None:
    pins = [
        pin("wheel-and-sdist", "w-1.0-py3-none-any.whl", "w-1.0.tar.gz"),
        pin("sdist-only", "s-1.0.tar.gz"),
        pin("vcs", url="git+https://example.com/vcs.git@abc"),
        pin("wheel-url", url="https://example.com/x-1.0-py3-none-any.whl#sha256=00"),
        pin("nothing-known"),
        pin("hashes-only", "", ""),  # read back from a requirements file: names unknown
        pin("sdist-and-unknown", "s-1.0.tar.gz", ""),
    ]
    assert pins_without_wheels(pins) == ("sdist-only", "vcs")


def test_plan_json_has_the_required_shape_stable_first(plan) -> None:
    document = json.loads(json.dumps(plan_to_dict(plan)))
    assert list(document)[:3] == [
        "layers",
        "expected_rebuild_bytes",
        "baseline_expected_rebuild_bytes",
    ]
    first = document["layers"][0]
    assert "torch" in first["packages"]
    for layer in document["layers"]:
        assert isinstance(layer["bytes"], int)
        assert isinstance(layer["changes_per_month"], float)
        assert layer["packages"] == sorted(layer["packages"])
        for entry in layer["items"]:
            assert entry["evidence"][0] == {
                "source": "cadence",
                "changes_per_month": entry["changes_per_month"],
                "weight": 1.0,
                "detail": "test",
                "count": 3,
                "months": 12.0,
            }
    rates = [layer["changes_per_month"] / max(layer["bytes"], 1) for layer in document["layers"]]
    assert rates == sorted(rates)  # stable (per byte) first
    assert document["expected_rebuild_bytes"] < document["baseline_expected_rebuild_bytes"]
    assert 0 < document["saving_ratio"] < 1
    assert document["baseline_expected_rebuild_bytes"] == pytest.approx(plan.total_bytes)


def test_layer_heading_lists_the_biggest_pins() -> None:
    many = partition([item(f"p{k}", 100 - k, 0.1) for k in range(8)], max_layers=1)
    heading = layer_heading(many.layers[0], width=3)
    assert heading == "# layer 1: p0, p1, p2 and 5 more (expected changes/month: 0.8)"
