"""Build real images, classic and layered, and measure what depslim promises.

For each set (``webapp``: a pure-Python web application; ``torchsvc``: a torch CPU
service) this script

1. locks ``<set>/requirements.in`` with depslim for linux/amd64, CPython 3.11 (the base
   image's Python), and plans layers with ``depslim layers`` (4 layers);
2. finds a *volatile* pin (in the last layer) and a *stable* pin (in the first layer,
   else the next) whose previous release can be locked without changing any other pin;
3. builds two Dockerfiles with a real builder (buildah: ``--isolation chroot --network
   host --layers --timestamp 0``):

   * ``classic``: one ``pip install --require-hashes -r requirements.txt`` into a venv,
     then the application;
   * ``layered``: ``depslim.layers.render_dockerfile`` over the planned layer files, with
     the ``.dockerignore`` of ``render_dockerignore``;

   each cold (``--no-cache``), then with the volatile pin moved back one release, then
   with the stable pin moved back one release (both starting from the cold build's
   cache);
4. records per build: wall time, image size, the dependency layers' sizes, the bytes of
   layers whose digest is new compared with the cold image (what a push uploads, what
   the builder wrote again), and for the layered image after a stable change, how many
   layers whose pins did not change kept their digest; and the estimate of
   ``depslim.layers.installed_estimate`` for each dependency layer against the built
   layer.

Needs: root, buildah and the local base image (``scripts/setup-builder.sh``), the
network (PyPI; pip inside the build downloads the wheels), and for ``torchsvc`` either
the PyTorch CPU index or ``--torch-wheels DIR`` (a folder holding a torch CPU wheel,
served here as a local index on 127.0.0.1 that the build reaches through the host
network). Layer sizes are the uncompressed layer sizes containers-storage records.

Usage::

    python bench/images/image_bench.py [--set webapp torchsvc] [--torch-wheels DIR]
        [--base-image localhost/depslim-python:3.11-bookworm] [--work DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from depslim.api._files import read_lock_file
from depslim.api.layers import LayersResult
from depslim.api.layers import layers as plan_layers
from depslim.layers import (
    installed_estimate,
    pins_without_wheels,
    render_dockerfile,
    render_dockerignore,
    sum_estimates,
)
from depslim.models import Pin, PinnedFile

HERE = Path(__file__).resolve().parent
BASE_IMAGE = "localhost/depslim-python:3.11-bookworm"
PYTHON = "3.11"
PLATFORM = "linux/amd64"
PIP_PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")
PIP_PLATFORMS += ("manylinux_2_5_x86_64", "manylinux1_x86_64", "linux_x86_64")


@dataclass(frozen=True)
class Build:
    set: str
    layout: str
    state: str
    seconds: float
    steps: int
    steps_cached: int
    image_bytes: int
    dependency_layers: list[int]
    new_layer_bytes: int
    new_layers: int
    unchanged_layers_kept: str = ""


# -- locking ---------------------------------------------------------------------------


def run(cmd: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kwargs)


def lock(requirements_in: Path, out: Path, torch_index: str | None) -> dict[str, Version]:
    cmd = [sys.executable, "-m", "depslim", "lock", str(requirements_in), "-o", str(out)]
    cmd += ["--python-version", PYTHON, "--python-platform", PLATFORM]
    cmd += ["-i", "https://pypi.org/simple", "--no-config"]
    if torch_index:
        cmd += ["--torch-backend", "cpu", "--torch-index-url", torch_index]
    try:
        run(cmd)
    except subprocess.CalledProcessError as err:
        raise SystemExit(f"depslim lock failed:\n{err.stdout}{err.stderr}") from err
    return {p.name: p.version for p in read_lock_file(out).pins if p.version is not None}


def pins_of(path: Path) -> dict[str, Pin]:
    out = {}
    for p in read_lock_file(path).pins:
        if p.version is None:
            continue
        files = tuple(PinnedFile(filename="", url="", sha256=h) for h in p.hashes)
        out[p.name] = Pin(name=p.name, version=p.version, index="", files=files, url=p.url)
    return out


def previous_release_lock(
    work: Path,
    base_in: Path,
    candidates: Sequence[str],
    base: dict[str, Version],
    torch: str | None,
) -> tuple[str, Path] | None:
    """The first candidate whose previous release locks with no other pin moving."""
    for name in candidates:
        variant = work / f"variant-{name}.in"
        variant.write_text(base_in.read_text() + f"\n{name}<{base[name]}\n")
        out = work / f"variant-{name}.txt"
        try:
            versions = lock(variant, out, torch)
        except SystemExit:
            continue
        moved = {n for n in set(versions) | set(base) if versions.get(n) != base.get(n)}
        if moved == {canonicalize_name(name)}:
            return name, out
    return None


# -- contexts --------------------------------------------------------------------------


CLASSIC = """\
FROM --platform={platform} {image}
RUN python3 -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install --no-deps --require-hashes -r /tmp/requirements.txt
ENV PATH="/opt/venv/bin:$PATH"
WORKDIR /app
COPY . /app
"""


def write_context(
    ctx: Path, app: Path, lock_path: Path, result: LayersResult, *, layout: str, image: str
) -> None:
    if ctx.exists():
        shutil.rmtree(ctx)
    shutil.copytree(app, ctx / "app")
    shutil.copy(lock_path, ctx / "requirements.txt")
    (ctx / ".dockerignore").write_text(render_dockerignore())
    if layout == "classic":
        (ctx / "Dockerfile").write_text(CLASSIC.format(platform=PLATFORM, image=image))
        return
    (ctx / "layers").mkdir()
    for name, text in result.layer_locks().items():
        (ctx / "layers" / name).write_text(text)
    dockerfile = render_dockerfile(
        result.plan,
        target=result.target,
        build_from_source=pins_without_wheels(result.lock.pins),
        directory=str(ctx / "layers"),
        files=result.filenames(),
        context=str(ctx),
        base_image=image,
        app_exclude=[str(ctx / "requirements.txt")],
    )
    (ctx / "Dockerfile").write_text(dockerfile)


def with_pins(result: LayersResult, pins: dict[str, Pin]) -> LayersResult:
    chosen = tuple(pins[p.name] for p in result.lock.pins)
    return replace(result, lock=replace(result.lock, pins=chosen))


# -- building and measuring ------------------------------------------------------------


@functools.cache
def layer_sizes() -> dict[str, int]:
    info = json.loads(run(["buildah", "info"]).stdout)
    root = Path(info["store"]["GraphRoot"])
    driver = info["store"]["GraphDriverName"]
    entries = json.loads((root / f"{driver}-layers" / "layers.json").read_text())
    return {e["diff-digest"]: int(e.get("diff-size", 0)) for e in entries if "diff-digest" in e}


def image_layers(tag: str) -> tuple[list[str], list[str]]:
    """The image's diff ids, and the history line that made each."""
    info = json.loads(run(["buildah", "inspect", "--type", "image", tag]).stdout)
    diff_ids = info["OCIv1"]["rootfs"]["diff_ids"]
    made = [h.get("created_by", "") for h in info["OCIv1"]["history"] if not h.get("empty_layer")]
    return diff_ids, made[-len(diff_ids) :]


def dependency_layers(diff_ids: list[str], made: list[str], layout: str) -> list[str]:
    if layout == "classic":
        return [d for d, m in zip(diff_ids, made, strict=True) if "pip install" in m]
    start = next(k for k, m in enumerate(made) if "--without-pip" in m)
    end = next(k for k, m in enumerate(made) if "pip --python" in m)
    return diff_ids[start + 1 : end]


def build(ctx: Path, tag: str, *, cold: bool) -> tuple[float, int, int, str]:
    cmd = ["buildah", "build", "--isolation", "chroot", "--network", "host", "--layers"]
    cmd += ["--timestamp", "0", "-t", tag]
    if cold:
        cmd.append("--no-cache")
    started = time.monotonic()
    done = subprocess.run([*cmd, str(ctx)], check=False, text=True, capture_output=True)
    seconds = time.monotonic() - started
    log = done.stdout + done.stderr
    if done.returncode != 0:
        raise SystemExit(f"build of {tag} failed:\n{log[-4000:]}")
    steps = len(re.findall(r"^\[\d+/\d+\] STEP \d+/\d+", log, re.M)) or log.count("STEP ")
    cached = log.count("Using cache")
    return seconds, steps, cached, log


def measure(
    name: str, layout: str, state: str, *, tag: str, timing: tuple[float, int, int, str], cold: str
) -> Build:
    layer_sizes.cache_clear()
    sizes = layer_sizes()
    ids, made = image_layers(tag)
    cold_ids = set(image_layers(cold)[0]) if state != "cold" else set()
    fresh = [d for d in ids if d not in cold_ids]
    return Build(
        set=name,
        layout=layout,
        state=state,
        seconds=round(timing[0], 1),
        steps=timing[1],
        steps_cached=timing[2],
        image_bytes=sum(sizes.get(d, 0) for d in ids),
        dependency_layers=[sizes.get(d, 0) for d in dependency_layers(ids, made, layout)],
        new_layer_bytes=sum(sizes.get(d, 0) for d in fresh),
        new_layers=len(fresh),
    )


# -- estimates -------------------------------------------------------------------------


def download_wheels(lock_path: Path, dest: Path) -> None:
    cmd = [sys.executable, "-m", "pip", "download", "--isolated", "-q", "--no-deps"]
    cmd += ["--cert", "/etc/ssl/certs/ca-certificates.crt", "--require-hashes"]
    cmd += ["--only-binary", ":all:", "--python-version", PYTHON, "--implementation", "cp"]
    for tag in PIP_PLATFORMS:
        cmd += ["--platform", tag]
    run([*cmd, "-r", str(lock_path), "-d", str(dest)])


_SCRIPT_SECTIONS = ("[console_scripts]", "[gui_scripts]")


_SCRIPT_SECTIONS = ("[console_scripts]", "[gui_scripts]")


def console_scripts(wheel: zipfile.ZipFile) -> int:
    names = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    if not names:
        return 0
    section, count = "", 0
    for raw in wheel.read(names[0]).decode().splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line
        elif line and not line.startswith("#") and section in _SCRIPT_SECTIONS:
            count += 1
    return count


def estimates(wheels: Path) -> dict[str, Any]:
    out = {}
    for path in wheels.glob("*.whl"):
        name = parse_wheel_filename(path.name)[0]
        with zipfile.ZipFile(path) as wheel:
            members = [(i.filename, i.file_size) for i in wheel.infolist()]
            out[name] = installed_estimate(members, console_scripts=console_scripts(wheel))
    return out


# -- a local index for torch wheels ----------------------------------------------------


@contextlib.contextmanager
def serve_wheels(folder: Path) -> Iterator[str]:
    """Serve the wheels in ``folder`` as a PEP 503 index on 127.0.0.1."""
    site = Path(tempfile.mkdtemp(prefix="depslim-torch-index-"))
    projects: dict[str, list[Path]] = {}
    for wheel in folder.glob("*.whl"):
        projects.setdefault(parse_wheel_filename(wheel.name)[0], []).append(wheel)
    for project, files in projects.items():
        page = site / "simple" / project
        page.mkdir(parents=True)
        links = []
        for wheel in files:
            (page / wheel.name).symlink_to(wheel)
            digest = run(["sha256sum", str(wheel)]).stdout.split()[0]
            links.append(f'<a href="{wheel.name}#sha256={digest}">{wheel.name}</a><br>')
        (page / "index.html").write_text("<html><body>" + "".join(links) + "</body></html>")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        server.shutdown()
        shutil.rmtree(site, ignore_errors=True)


# -- one set ---------------------------------------------------------------------------


def bench_set(name: str, work: Path, image: str, torch: str | None) -> dict[str, Any]:
    source = HERE / name
    work.mkdir(parents=True, exist_ok=True)
    base_in = work / "requirements.in"
    shutil.copy(source / "requirements.in", base_in)
    lock_path = work / "requirements.txt"
    versions = lock(base_in, lock_path, torch)
    result = plan_layers(lock_path, max_layers=4, config=False)
    base_pins = pins_of(lock_path)
    by_size = {i.name: i.bytes for layer in result.plan.layers for i in layer.items}
    last = result.plan.layers[-1]

    def ranked(layer: Any) -> list[str]:
        return sorted(layer.packages, key=lambda n: -by_size.get(n, 0))[:4]

    volatile = previous_release_lock(work, base_in, ranked(last), versions, torch=torch)
    # the first layer's pins, then the next layers' (a lone torch has no older release
    # on a local torch index)
    stable_candidates = [n for layer in result.plan.layers[:-1] for n in ranked(layer)]
    stable = previous_release_lock(work, base_in, stable_candidates[:6], versions, torch=torch)
    states: dict[str, tuple[Path, dict[str, Pin], str]] = {"cold": (lock_path, base_pins, "")}
    for label, found in (("volatile", volatile), ("stable", stable)):
        if found is None:
            print(f"{name}: no {label} pin moves back alone; skipping that state", flush=True)
            continue
        pin, path = found
        states[label] = (path, {**base_pins, **pins_of(path)}, f"{pin} {versions[pin]}")

    wheels = work / "wheels"
    download_wheels(lock_path, wheels)
    per_pin = estimates(wheels)
    layer_estimates = [
        sum_estimates(per_pin[n] for n in layer.packages).layer_bytes
        for layer in result.plan.layers
    ]

    builds: list[Build] = []
    for layout in ("classic", "layered"):
        ctx = work / f"ctx-{layout}"
        cold_tag = f"localhost/depslim-bench-{name}-{layout}:cold"
        for state, (path, pins, _) in states.items():
            write_context(
                ctx, source / "app", path, with_pins(result, pins), layout=layout, image=image
            )
            tag = f"localhost/depslim-bench-{name}-{layout}:{state}"
            timing = build(ctx, tag, cold=state == "cold")
            (work / f"build-{layout}-{state}.log").write_text(timing[3])
            record = measure(name, layout, state, tag=tag, timing=timing, cold=cold_tag)
            if layout == "layered" and state != "cold":
                changed = {n for n in pins if pins[n].version != base_pins[n].version}
                ids, made = image_layers(tag)
                deps = dependency_layers(ids, made, layout)
                cold_deps = dependency_layers(*image_layers(cold_tag), layout)
                same = [
                    k
                    for k, layer in enumerate(result.plan.layers)
                    if not changed & set(layer.packages)
                ]
                kept = sum(deps[k] == cold_deps[k] for k in same)
                record = replace(record, unchanged_layers_kept=f"{kept}/{len(same)}")
            builds.append(record)
            print(json.dumps(asdict(record)), flush=True)
            check = run(["buildah", "from", tag]).stdout.strip()
            try:
                run(["buildah", "run", "--isolation", "chroot", check, "--", "python", "-c",
                     "import app.main"])  # fmt: skip
            finally:
                run(["buildah", "rm", check])
    built = next(b for b in builds if b.layout == "layered" and b.state == "cold")
    return {
        "set": name,
        "pins": len(versions),
        "changes": {k: v[2] for k, v in states.items() if v[2]},
        "layers": [sorted(layer.packages) for layer in result.plan.layers],
        "plan_bytes": [layer.bytes for layer in result.plan.layers],
        "estimated_layer_bytes": layer_estimates,
        "built_layer_bytes": built.dependency_layers,
        "builds": [asdict(b) for b in builds],
    }


def mb(size: float) -> str:
    return f"{size / 1e6:,.1f} MB"


def summary(sets: list[dict[str, Any]]) -> str:
    lines = []
    for data in sets:
        lines.append(f"\n{data['set']}: {data['pins']} pins; changes: {data['changes']}")
        lines.append("| layout | state | build s | image | dependency layers | new layer bytes |")
        lines.append("| --- | --- | ---: | ---: | --- | ---: |")
        for b in data["builds"]:
            deps = " + ".join(mb(s) for s in b["dependency_layers"])
            kept = f" (unchanged layers kept: {b['unchanged_layers_kept']})"
            lines.append(
                f"| {b['layout']} | {b['state']} | {b['seconds']} | {mb(b['image_bytes'])} | "
                f"{deps} | {mb(b['new_layer_bytes'])}{kept if b['unchanged_layers_kept'] else ''} |"
            )
        lines.append(
            "| layer | plan (wheel files) | estimate (installed_estimate) | built | error |"
        )
        lines.append("| ---: | ---: | ---: | ---: | ---: |")
        for k, (plan, est, real) in enumerate(
            zip(
                data["plan_bytes"],
                data["estimated_layer_bytes"],
                data["built_layer_bytes"],
                strict=True,
            ),
            1,
        ):
            lines.append(f"| {k} | {mb(plan)} | {mb(est)} | {mb(real)} | {est / real - 1:+.1%} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", nargs="+", default=["webapp", "torchsvc"])
    parser.add_argument("--base-image", default=BASE_IMAGE)
    parser.add_argument("--torch-index-url", default="https://download.pytorch.org/whl/cpu")
    parser.add_argument("--torch-wheels", type=Path, help="serve torch wheels from this folder")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if shutil.which("buildah") is None:
        raise SystemExit("buildah is not installed: run scripts/setup-builder.sh as root")
    work = args.work or Path(tempfile.mkdtemp(prefix="depslim-image-bench-"))
    started = datetime.now(UTC)
    results = []
    with contextlib.ExitStack() as stack:
        torch_index = args.torch_index_url
        if args.torch_wheels is not None:
            torch_index = stack.enter_context(serve_wheels(args.torch_wheels))
        for name in args.set:
            torch = torch_index if name == "torchsvc" else None
            results.append(bench_set(name, work / name, args.base_image, torch))
    document = {
        "date": started.isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.system()} {platform.release()}, "
        f"{len(__import__('os').sched_getaffinity(0))} CPUs",
        "builder": run(["buildah", "--version"]).stdout.strip(),
        "base_image": args.base_image,
        "sets": results,
    }
    if args.json:
        args.json.write_text(json.dumps(document, indent=1) + "\n")
    print(f"{document['date']} on {document['machine']}, {document['builder']}")
    print(summary(results))


if __name__ == "__main__":
    main()
