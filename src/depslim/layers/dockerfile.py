"""Dockerfile text for a layer plan: a snippet to paste, or a whole multi-stage file.

The snippet installs each layer's requirements file in its own ``RUN`` step (with a
BuildKit cache mount for pip's cache, ``--no-deps --require-hashes``) and ends with
``pip check``. The full Dockerfile has three stages:

* ``builder``: the target's Python image, compilers only when some pin has no wheel
  for the target; one ``COPY`` + ``RUN`` per layer installs that layer into its own
  prefix ``/opt/depslim/NN`` with a virtual environment's interpreter (so scripts get
  the runtime's shebang), ``--ignore-installed`` (the builder's own pip and setuptools
  never hide a locked one) and ``SOURCE_DATE_EPOCH`` set, which makes the byte-code
  pip compiles hash-based and so byte-identical from build to build;
* ``app``: the build context copied once, minus the layer inputs and the lock
  (a ``.dockerignore`` cannot drop them: the builder needs them), so the application
  goes in last and clean;
* ``runtime``: the same image without compilers or build tools; a virtual environment
  made ``--without-pip`` (no interpreter-bundled pip or setuptools to clash with locked
  ones), one ``COPY --from=builder`` per layer prefix into it (one image layer per plan
  layer; an unchanged layer keeps its digest when the builder writes fixed timestamps,
  see ``docs/docker.md``), ``pip check`` run by the image's own pip against the
  environment, then a non-root user and the application.

:func:`render_dockerignore` writes the ``.dockerignore`` that keeps VCS folders,
caches, virtual environments and tests out of the build context.

Pure: strings in, a string out. File names come from :func:`layer_filenames`, which the
writer of the per-layer requirements files uses too. Paths given with ``context`` are
rewritten relative to the build context (:func:`context_path`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypedDict, Unpack

from packaging.utils import NormalizedName

from depslim.errors import InputError
from depslim.layers.plan import Layer, LayerPlan, layer_heading
from depslim.models import Pin
from depslim.target import Target

__all__ = [
    "DockerfileOptions",
    "context_path",
    "docker_platform",
    "layer_filenames",
    "pins_without_wheels",
    "render_dockerfile",
    "render_dockerignore",
    "render_snippet",
]

_ARCHES = {"x86_64": "amd64", "aarch64": "arm64"}
_STAGING = "/tmp/depslim"  # noqa: S108 - a path inside the image, not on the host
_PREFIXES = "/opt/depslim"
_SOURCE = "/src"


def layer_filenames(plan: LayerPlan) -> tuple[str, ...]:
    """``01-torch.txt``, ``02-numpy.txt``, …: the layer number and its largest pin."""
    names: list[str] = []
    for layer in plan.layers:
        biggest = min(layer.items, key=lambda item: (-item.bytes, item.name))
        names.append(f"{layer.index:02d}-{biggest.name}.txt")
    return tuple(names)


def pins_without_wheels(pins: Iterable[Pin]) -> tuple[NormalizedName, ...]:
    """Pins that must be built on the target: only sdists locked, or a VCS/path reference.

    A pin with a file of unknown name (no file listed, or hashes without file names, as
    read back from a requirements file) is not counted: nothing says it lacks a wheel.
    """
    needing: set[NormalizedName] = set()
    for pin in pins:
        if pin.url is not None:
            if not pin.url.split("#", 1)[0].endswith(".whl"):
                needing.add(pin.name)
            continue
        names = [f.filename for f in pin.files]
        if names and all(names) and not any(name.endswith(".whl") for name in names):
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
    context: str | None = None,
) -> str:
    """Lines to paste into a Dockerfile: a ``COPY`` + ``RUN pip install`` per layer, then
    ``pip check``. ``directory`` is where the layer files sit: relative to the build
    context, or with ``context``, a path like it (:func:`context_path`)."""
    chosen = _check_files(plan, files)
    layer_dir = context_path(directory, context)
    lines = [_summary(plan)]
    for layer, filename in zip(plan.layers, chosen, strict=True):
        lines.extend(
            _install_step(layer, filename, directory=layer_dir, pip=pip, cache=cache, extra="")
        )
    lines.append(f"RUN {pip} check")
    return "\n".join(lines) + "\n"


def context_path(path: str, context: str | None) -> str:
    """``path`` as a ``COPY`` source: relative to the build context ``context``.

    Both are taken relative to the same directory (or both absolute); ``None`` means
    ``path`` already is relative to the context. A path outside the context is an
    :class:`InputError`: Docker cannot copy from there.
    """
    clean = posixpath.normpath(path.replace("\\", "/")) if path else "."
    if context is None:
        relative = clean
    else:
        base = posixpath.normpath(context.replace("\\", "/")) if context else "."
        if posixpath.isabs(clean) != posixpath.isabs(base):
            raise InputError(
                f"{path!r} and the build context {context!r}: give both as absolute paths "
                "or both relative to the same directory"
            )
        relative = posixpath.relpath(clean, base)
    if relative == ".." or relative.startswith("../") or posixpath.isabs(relative):
        raise InputError(
            f"{path!r} is outside the build context {context or '.'!r}: Docker copies only "
            "from the context; write the layer files inside it or pass a wider --context"
        )
    return relative


class DockerfileOptions(TypedDict, total=False):
    """How :func:`render_dockerfile` shapes the image (each has a default).

    ``base_image`` (default: the official ``python`` image for the target's Python,
    ``-slim`` on glibc, ``-alpine`` on musl; any image with ``python3``, ``venv``,
    ``pip`` and a shell will do), ``venv`` (``/opt/venv``), ``user`` and ``uid``
    (``app``, 10001), ``app_source`` (relative to the build context; ``"."``: all of
    it, less what the ``.dockerignore`` drops; ``None`` leaves the application out),
    ``app_exclude`` (paths left out of the application besides the layer files, such
    as the lock, given like ``directory``), ``workdir`` (``/app``) and ``bytecode``
    (``True`` keeps the hash-based byte-code pip compiles; ``False`` installs with
    ``--no-compile`` and sets ``PYTHONDONTWRITEBYTECODE``).
    """

    base_image: str | None
    venv: str
    user: str
    uid: int
    app_source: str | None
    app_exclude: Sequence[str]
    workdir: str
    bytecode: bool


@dataclass(frozen=True, slots=True)
class _Image:
    """What every stage of one Dockerfile shares."""

    platform: str
    image: str
    musl: bool
    venv: str
    bytecode: bool

    @property
    def python(self) -> str:
        return f"{self.venv}/bin/python"


def render_dockerfile(
    plan: LayerPlan,
    *,
    target: Target,
    build_from_source: Sequence[NormalizedName] = (),
    directory: str = "layers",
    files: Sequence[str] | None = None,
    context: str | None = None,
    **options: Unpack[DockerfileOptions],
) -> str:
    """A complete multi-stage Dockerfile installing ``plan`` (module docstring).

    ``build_from_source`` names the pins with no wheel for ``target``
    (:func:`pins_without_wheels`); compilers are installed in the builder only when it
    is not empty. ``directory`` (the layer files) is relative to the build context,
    or, with ``context``, a path as the caller has it, like ``context`` itself
    (:func:`context_path` rebases it). ``options``: :class:`DockerfileOptions`.
    """
    musl = target.libc == "musl"
    version = f"{target.python[0]}.{target.python[1]}"
    image = _Image(
        platform=docker_platform(target),
        image=options.get("base_image") or f"python:{version}-{'alpine' if musl else 'slim'}",
        musl=musl,
        venv=options.get("venv", "/opt/venv"),
        bytecode=options.get("bytecode", True),
    )
    chosen = _check_files(plan, files)
    layer_dir = context_path(directory, context)
    lines = ["# syntax=docker/dockerfile:1", _summary(plan)]
    lines.append(
        "# Reproducible layers: build with fixed file timestamps (buildah: --timestamp 0; "
        "BuildKit: SOURCE_DATE_EPOCH=0 and rewrite-timestamp=true), see depslim's Docker guide."
    )
    lines += _builder_stage(plan, image, chosen, layer_dir, build_from_source)
    app_source = options.get("app_source", ".")
    if app_source is not None:
        excluded = [layer_dir, *(context_path(p, context) for p in options.get("app_exclude", ()))]
        lines += _app_stage(image, context_path(app_source, None), excluded)
    uid = options.get("uid", 10001)
    lines += _runtime_stage(
        plan,
        image,
        user=options.get("user", "app"),
        uid=uid,
        workdir=options.get("workdir", "/app"),
    )
    if app_source is not None:
        lines.append(
            f"COPY --from=app --chown={uid}:{uid} {_SOURCE}/ {options.get('workdir', '/app')}/"
        )
    return "\n".join(lines) + "\n"


def _builder_stage(
    plan: LayerPlan,
    image: _Image,
    chosen: Sequence[str],
    layer_dir: str,
    build_from_source: Sequence[NormalizedName],
) -> list[str]:
    """One ``pip install --prefix`` per layer, compilers only when a pin needs them."""
    lines = ["", f"FROM --platform={image.platform} {image.image} AS builder"]
    if build_from_source:
        lines.append(
            f"# compilers, because these pins have no wheel for {image.platform}: "
            + ", ".join(sorted(build_from_source))
        )
        # the builder stage is thrown away: its compilers need no pinned versions
        lines.append(f"# hadolint ignore={'DL3018' if image.musl else 'DL3008'}")
        if image.musl:
            lines.append("RUN apk add --no-cache build-base")
        else:
            lines.append(
                "RUN apt-get update && apt-get install -y --no-install-recommends build-essential"
                " && rm -rf /var/lib/apt/lists/*"
            )
    lines.append("ARG SOURCE_DATE_EPOCH=0")
    lines.append(f"RUN python3 -m venv {image.venv}")
    compile_flag = "" if image.bytecode else " --no-compile"
    for layer, filename in zip(plan.layers, chosen, strict=True):
        prefix = f"{_PREFIXES}/{layer.index:02d}"
        extra = f" --ignore-installed --no-warn-script-location{compile_flag} --prefix {prefix}"
        lines.extend(
            _install_step(
                layer,
                filename,
                directory=layer_dir,
                pip=f"{image.python} -m pip",
                cache="/root/.cache/pip",
                extra=extra,
            )
        )
    return lines


def _app_stage(image: _Image, source: str, dropped: Sequence[str]) -> list[str]:
    """The application from the context, less the layer files and the lock."""
    inside = sorted(
        {
            posixpath.normpath(posixpath.join(_SOURCE, posixpath.relpath(p, source)))
            for p in dropped
            if source == "." or p.startswith(source + "/")
        }
    )
    lines = [
        "",
        f"FROM --platform={image.platform} {image.image} AS app",
        f"COPY {source} {_SOURCE}",
    ]
    if inside:
        step = "RUN rm -rf " + " ".join(inside)
        parents = sorted({posixpath.dirname(p) for p in inside} - {_SOURCE})
        if parents:  # folders left empty go too (rmdir stops at the first non-empty one)
            step += " && (rmdir -p " + " ".join(parents) + " 2>/dev/null || true)"
        lines.append(step)
    return lines


def _runtime_stage(
    plan: LayerPlan, image: _Image, *, user: str, uid: int, workdir: str
) -> list[str]:
    """A venv without pip or build tools, the layers copied in, ``pip check``."""
    venv = image.venv
    add_user = (
        f"adduser -D -u {uid} {user}" if image.musl else f"useradd --create-home --uid {uid} {user}"
    )
    lines = [
        "",
        f"FROM --platform={image.platform} {image.image} AS runtime",
        f"RUN python3 -m venv --without-pip {venv} && {add_user}",
    ]
    lines.extend(
        f"COPY --from=builder {_PREFIXES}/{layer.index:02d}/ {venv}/" for layer in plan.layers
    )
    lines.append(f"RUN PYTHONDONTWRITEBYTECODE=1 python3 -m pip --python {image.python} check")
    environment = f'ENV PATH="{venv}/bin:$PATH" VIRTUAL_ENV="{venv}"'
    if not image.bytecode:
        environment += " PYTHONDONTWRITEBYTECODE=1"
    lines += [environment, f"USER {uid}:{uid}", f"WORKDIR {workdir}"]
    return lines


_DOCKERIGNORE_ALWAYS = (
    "# version control",
    ".git",
    ".hg",
    ".svn",
    ".gitignore",
    ".gitattributes",
    "# caches and build output",
    "**/__pycache__",
    "**/*.py[cod]",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    ".cache",
    ".coverage",
    "htmlcov",
    "build",
    "dist",
    "**/*.egg-info",
    "# virtual environments and tool environments",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "# tests",
    "tests",
    "test",
    "# editor and OS files",
    ".idea",
    ".vscode",
    "**/.DS_Store",
    "# local secrets",
    ".env",
    ".env.*",
)


def render_dockerignore(
    *,
    dockerfile: str | None = "Dockerfile",
    context: str | None = None,
    extra: Sequence[str] = (),
) -> str:
    """A ``.dockerignore`` for the build context: VCS folders, caches, build output,
    virtual environments, tests, editor files and ``.env`` files stay out.

    The layer files and the lock are *not* listed: the builder stage copies the layer
    files, and a ``.dockerignore`` applies to every ``COPY``; the Dockerfile's ``app``
    stage drops them from the application instead. ``dockerfile`` (relative to
    ``context`` as :func:`context_path` reads it) and ``extra`` patterns are added.
    """
    lines = [
        "# written by depslim: what the image build does not need to see",
        *_DOCKERIGNORE_ALWAYS,
    ]
    own = []
    if dockerfile is not None:
        own.append(context_path(dockerfile, context))
        own.append(".dockerignore")
    own.extend(extra)
    if own:
        lines.append("# this file, the Dockerfile, and extra patterns")
        lines.extend(dict.fromkeys(own))
    return "\n".join(lines) + "\n"
