"""Dockerfile text for a layer plan: a snippet to paste, or a whole multi-stage file.

The snippet installs each layer's requirements file in its own ``RUN`` step (with a
BuildKit cache mount for pip's cache, ``--no-deps --require-hashes``) and ends with
``pip check``. The full Dockerfile has two stages:

* ``builder``: the target's Python image, compilers only when some pin has no wheel
  for the target; one ``RUN`` per layer installs that layer into its own prefix
  ``/opt/depslim/NN`` with the virtual environment's interpreter;
* ``runtime``: the same image without compilers; a fresh virtual environment, one
  ``COPY --from=builder`` per layer prefix into it (so the final image keeps one
  image layer per plan layer, and an unchanged layer keeps its digest), ``pip check``,
  then a non-root user and the application.

Pure: strings in, a string out. File names come from :func:`layer_filenames`, which the
writer of the per-layer requirements files uses too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from packaging.utils import NormalizedName

from depslim.errors import InputError
from depslim.layers.plan import Layer, LayerPlan, layer_heading
from depslim.models import Pin
from depslim.target import Target

__all__ = [
    "docker_platform",
    "layer_filenames",
    "pins_without_wheels",
    "render_dockerfile",
    "render_snippet",
]

_ARCHES = {"x86_64": "amd64", "aarch64": "arm64"}
_STAGING = "/tmp/depslim"  # noqa: S108 - a path inside the image, not on the host


def layer_filenames(plan: LayerPlan) -> tuple[str, ...]:
    """``01-torch.txt``, ``02-numpy.txt``, …: the layer number and its largest pin."""
    names: list[str] = []
    for layer in plan.layers:
        biggest = min(layer.items, key=lambda item: (-item.bytes, item.name))
        names.append(f"{layer.index:02d}-{biggest.name}.txt")
    return tuple(names)


def pins_without_wheels(pins: Iterable[Pin]) -> tuple[NormalizedName, ...]:
    """Pins that must be built on the target: only sdists locked, or a VCS/path reference.

    A pin whose files are not known by name (only by hash) is not counted.
    """
    needing: set[NormalizedName] = set()
    for pin in pins:
        if pin.url is not None:
            if not pin.url.split("#", 1)[0].endswith(".whl"):
                needing.add(pin.name)
        elif (
            pin.files
            and all(f.known for f in pin.files)
            and not any(f.filename.endswith(".whl") for f in pin.files)
        ):
            needing.add(pin.name)
    return tuple(sorted(needing))


def docker_platform(target: Target) -> str:
    """The ``--platform`` Docker uses for ``target`` (``linux/amd64``, ``linux/arm64``)."""
    if target.os != "linux" or target.arch not in _ARCHES:
        raise InputError(
            f"Docker images run Linux on amd64 or arm64; the target is {target.os}/{target.arch}: "
            "lock for --python-platform linux/amd64 or linux/arm64 to write a Dockerfile"
        )
    return f"linux/{_ARCHES[target.arch]}"


def _human(size: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if abs(size) < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError  # pragma: no cover - the loop always returns


def _summary(plan: LayerPlan) -> str:
    return (
        f"# depslim: {len(plan.layers)} dependency layers, stable first. Expected bytes rebuilt "
        f"per dependency change: {_human(plan.expected_rebuild_bytes)} "
        f"(one layer: {_human(plan.baseline_expected_rebuild_bytes)})."
    )


def _check_files(plan: LayerPlan, files: Sequence[str] | None) -> Sequence[str]:
    chosen = layer_filenames(plan) if files is None else files
    if len(chosen) != len(plan.layers):
        raise InputError(
            f"{len(plan.layers)} layers need as many requirements files, got {len(chosen)}"
        )
    return chosen


def _install_step(
    layer: Layer, filename: str, *, directory: str, pip: str, cache: str, extra: str
) -> list[str]:
    staged = f"{_STAGING}/{filename}"
    return [
        layer_heading(layer),
        f"COPY {directory.rstrip('/')}/{filename} {staged}",
        f"RUN --mount=type=cache,target={cache} \\",
        f"    {pip} install --no-deps --require-hashes{extra} -r {staged}",
    ]


def render_snippet(
    plan: LayerPlan,
    *,
    directory: str = "layers",
    files: Sequence[str] | None = None,
    pip: str = "pip",
    cache: str = "/root/.cache/pip",
) -> str:
    """Lines to paste into a Dockerfile: a ``COPY`` + ``RUN pip install`` per layer, then
    ``pip check``. ``directory`` is where the layer files sit in the build context."""
    chosen = _check_files(plan, files)
    lines = [_summary(plan)]
    for layer, filename in zip(plan.layers, chosen, strict=True):
        lines.extend(
            _install_step(layer, filename, directory=directory, pip=pip, cache=cache, extra="")
        )
    lines.append(f"RUN {pip} check")
    return "\n".join(lines) + "\n"


def render_dockerfile(
    plan: LayerPlan,
    *,
    target: Target,
    build_from_source: Sequence[NormalizedName] = (),
    directory: str = "layers",
    files: Sequence[str] | None = None,
    base_image: str | None = None,
    venv: str = "/opt/venv",
    user: str = "app",
    uid: int = 10001,
    app_source: str | None = ".",
    workdir: str = "/app",
) -> str:
    """A complete multi-stage Dockerfile installing ``plan`` (module docstring).

    ``build_from_source`` names the pins with no wheel for ``target``
    (:func:`pins_without_wheels`); compilers are installed in the builder only when it
    is not empty. ``base_image`` defaults to the official ``python`` image for the
    target's Python (``-slim`` on glibc, ``-alpine`` on musl). ``app_source`` is copied
    into ``workdir`` last; ``None`` leaves the application out.
    """
    platform = docker_platform(target)
    chosen = _check_files(plan, files)
    musl = target.libc == "musl"
    version = f"{target.python[0]}.{target.python[1]}"
    image = base_image or f"python:{version}-{'alpine' if musl else 'slim'}"
    python = f"{venv}/bin/python"
    lines = ["# syntax=docker/dockerfile:1", _summary(plan), ""]
    lines.append(f"FROM --platform={platform} {image} AS builder")
    if build_from_source:
        lines.append(
            f"# compilers, because these pins have no wheel for {platform}: "
            + ", ".join(sorted(build_from_source))
        )
        if musl:
            lines.append("RUN apk add --no-cache build-base")
        else:
            lines.append(
                "RUN apt-get update && apt-get install -y --no-install-recommends build-essential"
                " && rm -rf /var/lib/apt/lists/*"
            )
    lines.append(f"RUN python -m venv {venv}")
    for layer, filename in zip(plan.layers, chosen, strict=True):
        prefix = f"/opt/depslim/{layer.index:02d}"
        extra = f" --no-warn-script-location --prefix {prefix}"
        lines.extend(
            _install_step(
                layer,
                filename,
                directory=directory,
                pip=f"{python} -m pip",
                cache="/root/.cache/pip",
                extra=extra,
            )
        )
    lines.append("")
    lines.append(f"FROM --platform={platform} {image} AS runtime")
    add_user = (
        f"adduser -D -u {uid} {user}" if musl else f"useradd --create-home --uid {uid} {user}"
    )
    lines.append(f"RUN python -m venv {venv} && {add_user}")
    lines.extend(
        f"COPY --from=builder /opt/depslim/{layer.index:02d}/ {venv}/" for layer in plan.layers
    )
    lines.append(f"RUN {python} -m pip check")
    lines.append(f'ENV PATH="{venv}/bin:$PATH" VIRTUAL_ENV="{venv}"')
    lines.append(f"USER {uid}:{uid}")
    lines.append(f"WORKDIR {workdir}")
    if app_source is not None:
        lines.append(f"COPY --chown={uid}:{uid} {app_source} {workdir}")
    return "\n".join(lines) + "\n"
