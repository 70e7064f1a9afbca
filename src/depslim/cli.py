"""The ``depslim`` command: argument parsing, progress, printing and exit codes.

Calls :mod:`depslim.api` only. Exit codes: 0 ok; 1 a check failed / no solution;
2 bad input or usage; 3 network or index failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from depslim import api
from depslim.api._files import package_version
from depslim.errors import DepslimError
from depslim.report import format_bytes, render_report, report_to_json
from depslim.target import PLATFORM_HELP, Target

__all__ = ["build_parser", "main"]


class _Progress:
    """One status line on stderr while work goes on (only on a terminal; -v prints events)."""

    def __init__(self, stream: TextIO, *, verbose: bool, quiet: bool) -> None:
        self.stream = stream
        self.verbose = verbose
        self.live = not quiet and not verbose and stream.isatty()
        self.pinned = 0
        self.fetched = 0
        self.last = 0.0

    def __call__(self, message: str) -> None:
        if self.verbose:
            print(message, file=self.stream)
            return
        if message.startswith("pinned "):
            self.pinned += 1
        else:
            self.fetched += 1
        now = time.monotonic()
        if self.live and now - self.last > 0.1:
            self.last = now
            line = f"Resolving: {self.pinned} pinned, {self.fetched} index requests"
            self.stream.write("\r" + line[:120] + "\x1b[K")
            self.stream.flush()

    def done(self) -> None:
        if self.live:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every index request")
    parser.add_argument(
        "--config",
        metavar="PYPROJECT",
        help="pyproject.toml holding [tool.depslim] (default: the nearest one above the input)",
    )
    parser.add_argument("--no-config", action="store_true", help="ignore [tool.depslim]")


def _add_target(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument(
        "--python-version", metavar="X.Y", help="target Python (default: this interpreter's)"
    )
    parser.add_argument(
        "--python-platform",
        metavar="PLATFORM",
        help=f"target platform (default: linux/amd64): {PLATFORM_HELP}",
    )


def _add_cache(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    *,
    offline: str | None = "use only what the cache holds; no network",
) -> None:
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="cache folder (default: $DEPSLIM_CACHE_DIR or the user cache dir)",
    )
    parser.add_argument(
        "--no-cache", action="store_true", default=None, help="do not use the cache"
    )
    if offline:
        parser.add_argument("--offline", action="store_true", default=None, help=offline)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="depslim",
        description="Small, fast-to-build Docker images from your Python dependencies.",
    )
    parser.add_argument("--version", action="version", version=f"depslim {package_version()}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    lock = verbs.add_parser(
        "lock",
        help="resolve requirements for a target platform into a hash-pinned lockfile",
        description=(
            "Resolve requirements files and/or pyproject.toml for a target platform and "
            "Python into a hash-pinned requirements.txt. Options may also be set in "
            "[tool.depslim] of pyproject.toml (a key is the long flag's name); flags win."
        ),
    )
    lock.add_argument(
        "inputs",
        nargs="*",
        metavar="INPUT",
        help="requirements.in / requirements.txt / pyproject.toml "
        "(default: requirements.in, else pyproject.toml)",
    )
    lock.add_argument(
        "-o",
        "--output-file",
        metavar="FILE",
        help="where to write the lock ('-' for stdout; default: the input with .txt, "
        "or requirements.txt next to pyproject.toml)",
    )
    _add_target(lock.add_argument_group("target"))
    sel = lock.add_argument_group("what to lock")
    sel.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="NAME",
        help="include an optional-dependencies extra of pyproject.toml (repeatable)",
    )
    sel.add_argument("--all-extras", action="store_true", help="include every extra")
    sel.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="NAME",
        help="include a PEP 735 dependency group (repeatable)",
    )
    sel.add_argument(
        "--pre",
        action="store_true",
        default=None,
        help="allow pre-releases (otherwise only when asked for or nothing else fits)",
    )
    sel.add_argument(
        "-U", "--upgrade", action="store_true", help="ignore the pins of the existing output file"
    )
    sel.add_argument(
        "-P",
        "--upgrade-package",
        action="append",
        default=[],
        metavar="NAME",
        help="ignore the existing pin of NAME only (repeatable)",
    )
    sel.add_argument(
        "--only-binary",
        action="append",
        default=[],
        metavar="NAMES",
        help="take only wheels of these projects (comma-separated, or :all:), as pip",
    )
    sel.add_argument(
        "--no-binary",
        action="append",
        default=[],
        metavar="NAMES",
        help="take only sdists of these projects (comma-separated, or :all:), as pip",
    )
    sel.add_argument(
        "--allow-build",
        action="store_true",
        default=None,
        help="allow running sdists' build backends to read their metadata (runs package code)",
    )
    idx = lock.add_argument_group("indexes")
    idx.add_argument(
        "-i",
        "--index-url",
        metavar="URL",
        help="base URL of the package index (default: https://pypi.org/simple)",
    )
    idx.add_argument(
        "--extra-index-url",
        action="append",
        default=[],
        metavar="URL",
        help="another index, asked only for projects the first ones lack",
    )
    idx.add_argument(
        "--no-index",
        action="store_true",
        default=None,
        help="ignore every index: lock only from --find-links locations",
    )
    idx.add_argument(
        "-f",
        "--find-links",
        action="append",
        default=[],
        metavar="URL|DIR",
        help="a directory or HTML page of distribution files",
    )
    gpu = lock.add_argument_group("GPU builds (see docs/gpu.md)")
    gpu.add_argument(
        "--torch-backend",
        choices=["cpu", "pypi"],
        help="cpu (default on Linux targets): the torch family from the PyTorch CPU index "
        "and GPU packages swapped for CPU ones; pypi: keep what PyPI serves (CUDA builds)",
    )
    gpu.add_argument(
        "--torch-index-url",
        metavar="URL",
        help="index of the torch family's CPU builds (default: https://download.pytorch.org/whl/cpu)",
    )
    gpu.add_argument(
        "--headless",
        action="store_true",
        default=None,
        help="also swap opencv-python for opencv-python-headless (no GUI/libGL)",
    )
    net = lock.add_argument_group("network and cache")
    _add_cache(net)
    net.add_argument(
        "--no-verify-hashes",
        action="store_true",
        default=None,
        help="trust the index's hashes instead of checking each locked file's bytes "
        "(faster first lock; verified hashes are cached either way)",
    )
    net.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="timeout for connecting and each read (default: 30)",
    )
    net.add_argument(
        "--retries", type=int, metavar="N", help="retries after a failed request (default: 3)"
    )
    net.add_argument(
        "--concurrency", type=int, metavar="N", help="parallel index requests (default: 8)"
    )
    lock.add_argument(
        "--order",
        choices=["alphabetical", "change-frequency"],
        help="change-frequency: stable pins first, grouped under '# layer N' comments "
        "(see `depslim layers`)",
    )
    lock.add_argument(
        "--report",
        action="store_true",
        default=None,
        help="after locking, print what the lock weighs (see `depslim report`)",
    )
    _add_common(lock)

    rep = verbs.add_parser(
        "report",
        help="what a lock weighs: download and installed size per package, before/after",
        description=(
            "Print, per package and in total, the download size and the installed size of "
            "a lockfile's pins for its target (exact: read from each wheel's zip directory "
            "with HTTP range requests, cached). For a lock whose torch family comes from "
            "the PyTorch CPU index, also what PyPI's builds of the same pins would weigh, "
            "and the saving."
        ),
    )
    rep.add_argument(
        "lockfile",
        nargs="?",
        default="requirements.txt",
        metavar="LOCKFILE",
        help="a requirements.txt written by depslim lock (default: requirements.txt)",
    )
    rep.add_argument(
        "--no-compare", action="store_true", help="skip the comparison with PyPI's builds"
    )
    _add_cache(rep)
    _add_common(rep)

    spl = verbs.add_parser(
        "split",
        help="split dependencies into tiers (base / ml / dev) from what the code imports",
        description=(
            "Scan the project's imports, classify each declared dependency as base, ml or "
            "dev (with the file:line or rule that decided it), resolve everything once, and "
            "write <tier>.in and <tier>.txt per tier; each tier's lock installs on top of "
            "the one below it (-r base.txt)."
        ),
    )
    spl.add_argument("project", nargs="?", default=".", help="the project's root (default: .)")
    spl.add_argument(
        "--entry",
        action="append",
        default=[],
        metavar="NAME=MODULE",
        help="an entry point (repeatable); the first is the API: base = what it reaches, "
        'ml = what only the others reach (config: entries = { api = "app.main" })',
    )
    spl.add_argument(
        "-o",
        "--output-dir",
        metavar="DIR",
        help="where to write the tier files (default: PROJECT/requirements)",
    )
    spl.add_argument("--dry-run", action="store_true", help="print the split, write nothing")
    spl.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip files matching GLOB (repeatable; config: exclude)",
    )
    _add_target(spl)
    spl.add_argument("-i", "--index-url", metavar="URL", help="package index")
    spl.add_argument("--extra-index-url", action="append", default=[], metavar="URL")
    _add_cache(spl)
    _add_common(spl)

    lay = verbs.add_parser(
        "layers",
        help="order a lock by change frequency and cut it into cache-friendly Docker layers",
        description=(
            "Estimate how often each pin changes (git history of the lockfile, release "
            "cadence on the index, rules), weigh each pin (installed size from its wheel), "
            "and cut the lock into at most --max-layers layers, stable first, so that the "
            "expected bytes a Docker build rebuilds per change are as small as they can be."
        ),
    )
    lay.add_argument("lockfile", nargs="?", default="requirements.txt", metavar="LOCKFILE")
    lay.add_argument("--max-layers", type=int, metavar="N", help="at most N layers (default 4)")
    lay.add_argument(
        "--max-layer-size",
        metavar="SIZE",
        help="split layers above SIZE (e.g. 500MB); a larger wheel stands alone",
    )
    lay.add_argument(
        "--closed-layers",
        action="store_true",
        default=None,
        help="every layer also holds the dependencies of its packages",
    )
    lay.add_argument(
        "--history-months", type=int, metavar="N", help="git history window in months (default 24)"
    )
    lay.add_argument(
        "-o",
        "--output-dir",
        metavar="DIR",
        help="write NN-name.txt per layer and a Dockerfile snippet to DIR",
    )
    lay.add_argument(
        "--dockerfile",
        action="store_true",
        help="write (or print) a full multi-stage Dockerfile instead of a snippet",
    )
    _add_cache(lay, offline="no network: history and rules only, sizes from the cache")
    _add_common(lay)

    chk = verbs.add_parser(
        "check",
        help="is the slim state still true? (exit 0 clean, 1 findings, 2 bad input)",
        description=(
            "Offline checks with stable codes: DS001 lock stale, DS002 GPU package under a "
            "CPU policy, DS003 import no declared dependency provides, DS004 declared "
            "dependency nothing uses, DS005 API-reachable module importing an ml/dev-tier "
            "package, DS006 tier locks disagree on a version. Silence a code with "
            '[tool.depslim] ignore = ["DS004"] or `# depslim: ignore[DS003]` on the line.'
        ),
    )
    chk.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="files to re-scan (pre-commit passes the changed ones); others "
        "are answered from the cache",
    )
    chk.add_argument("--project", default=".", metavar="DIR", help="the project root (default: .)")
    chk.add_argument(
        "--lockfile",
        metavar="FILE",
        help="the lock to check (default: output-file from config, else requirements.txt)",
    )
    chk.add_argument(
        "--tiers-dir",
        metavar="DIR",
        help="folder of the tier locks written by split (default: requirements)",
    )
    _add_cache(chk, offline=None)  # check never uses the network
    _add_common(chk)
    return parser


def _default_inputs() -> list[str]:
    for name in ("requirements.in", "pyproject.toml"):
        if Path(name).is_file():
            return [name]
    raise DepslimError(
        "no input given and neither requirements.in nor pyproject.toml is here: "
        "name the file to lock, e.g. `depslim lock requirements.in`"
    )


def _default_output(first: str) -> str:
    path = Path(first)
    if path.name == "pyproject.toml":
        return str(path.with_name("requirements.txt"))
    if path.suffix == ".in":
        return str(path.with_suffix(".txt"))
    raise DepslimError(
        f"{first} is not a .in file: say where to write the lock with -o FILE "
        "(writing next to it could overwrite the input)"
    )


def _run_lock(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    inputs = args.inputs or _default_inputs()
    config: Any = False if args.no_config else (args.config or True)
    settings = api.load_settings(
        None
        if config is False
        else (api.find_project_config(inputs[0]) if config is True else config)
    )
    output = args.output_file
    if output is None and not args.json:
        output = settings.output_file or _default_output(inputs[0])
    target = None
    if args.python_version or args.python_platform:
        target = Target.parse(
            args.python_platform or settings.python_platform,
            python=args.python_version or settings.python_version,
        )
    progress = _Progress(err, verbose=args.verbose, quiet=args.quiet or args.json)
    started = time.monotonic()
    try:
        result = api.lock(
            inputs,
            target=target,
            output=None if output == "-" else output,
            index_url=args.index_url,
            extra_index_urls=args.extra_index_url,
            find_links=args.find_links,
            extras=args.extra,
            groups=args.group,
            all_extras=args.all_extras,
            pre=args.pre,
            upgrade=args.upgrade,
            upgrade_packages=args.upgrade_package,
            allow_build=args.allow_build,
            cache_dir=args.cache_dir,
            no_cache=args.no_cache,
            offline=args.offline,
            timeout=args.timeout,
            retries=args.retries,
            concurrency=args.concurrency,
            torch_backend=args.torch_backend,
            torch_index_url=args.torch_index_url,
            headless=args.headless,
            no_index=args.no_index,
            only_binary=args.only_binary,
            no_binary=args.no_binary,
            verify_hashes=None if args.no_verify_hashes is None else not args.no_verify_hashes,
            config=config,
            progress=progress,
        )
    finally:
        progress.done()
    for warning in result.warnings:
        print(f"warning: {warning}", file=err)
    size_report = None
    if args.report or (args.report is None and settings.report):
        size_report = api.report(
            result,
            cache_dir=args.cache_dir,
            no_cache=bool(args.no_cache),
            offline=bool(args.offline),
            progress=progress,
        )
    if args.json:
        if output and output != "-":
            result.write(output)
        data = result.to_json()
        if size_report is not None:
            data["report"] = report_to_json(size_report)
        json.dump(data, out, indent=2)
        out.write("\n")
        return 0
    order = args.order or settings.order or "alphabetical"
    text = result.text()
    if order == "change-frequency":
        text = api.layers(
            result,
            cache_dir=args.cache_dir,
            no_cache=bool(args.no_cache),
            offline=bool(args.offline),
            config=config,
        ).ordered_text()
    if output == "-":
        out.write(text)
        return 0
    api.write_atomic(output, text)
    if not args.quiet:
        elapsed = time.monotonic() - started
        print(
            f"Locked {len(result.pins)} packages for {result.lock.target} "
            f"in {elapsed:.1f}s → {output}",
            file=err,
        )
    if size_report is not None:
        out.write(render_report(size_report))
    return 0


def _run_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    config: Any = False if args.no_config else (args.config or True)
    progress = _Progress(err, verbose=args.verbose, quiet=args.quiet or args.json)
    try:
        size_report = api.report(
            args.lockfile,
            compare=not args.no_compare,
            cache_dir=args.cache_dir,
            no_cache=bool(args.no_cache),
            offline=bool(args.offline),
            config=config,
            progress=progress,
        )
    finally:
        progress.done()
    if args.json:
        json.dump(report_to_json(size_report), out, indent=2)
        out.write("\n")
    else:
        out.write(render_report(size_report))
    return 0


def _parse_entries(values: Sequence[str]) -> dict[str, str]:
    entries: dict[str, str] = {}
    for value in values:
        name, sep, module = value.partition("=")
        if not sep or not name.strip() or not module.strip():
            raise DepslimError(f"--entry {value!r}: write it as NAME=MODULE, e.g. api=app.main")
        entries[name.strip()] = module.strip()
    return entries


def _run_split(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    root = Path(args.project)
    settings = api.load_settings(
        None
        if args.no_config or not (root / "pyproject.toml").is_file()
        else (args.config or root / "pyproject.toml")
    )
    target = None
    if args.python_version or args.python_platform:
        target = Target.parse(
            args.python_platform or settings.python_platform,
            python=args.python_version or settings.python_version,
        )
    folder = Path(args.output_dir) if args.output_dir else root / "requirements"
    progress = _Progress(err, verbose=args.verbose, quiet=args.quiet or args.json)
    try:
        result = api.split(
            root,
            entries=_parse_entries(args.entry) or None,
            target=target,
            index_url=args.index_url,
            extra_index_urls=args.extra_index_url,
            excludes=args.exclude,
            cache_dir=args.cache_dir,
            no_cache=bool(args.no_cache),
            offline=bool(args.offline),
            output=None if args.dry_run else folder,
            progress=progress,
        )
    finally:
        progress.done()
    if not args.dry_run:
        result.write(folder)
    for warning in result.warnings:
        print(f"warning: {warning}", file=err)
    if args.json:
        json.dump(result.to_json(), out, indent=2)
        out.write("\n")
    else:
        out.write(result.table())
        if not args.dry_run and not args.quiet:
            print(f"Wrote {', '.join(sorted(result.file_names()))} to {folder}", file=err)
    return 0


def _run_layers(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    config: Any = False if args.no_config else (args.config or True)
    progress = _Progress(err, verbose=args.verbose, quiet=args.quiet or args.json)
    try:
        result = api.layers(
            args.lockfile,
            max_layers=args.max_layers,
            max_layer_size=args.max_layer_size,
            closed=args.closed_layers,
            history_months=args.history_months,
            cache_dir=args.cache_dir,
            no_cache=bool(args.no_cache),
            offline=bool(args.offline),
            config=config,
            progress=progress,
        )
    finally:
        progress.done()
    if args.output_dir:
        written = result.write(args.output_dir, dockerfile=args.dockerfile)
        if not args.quiet and not args.json:
            print(f"Wrote {len(written)} files to {args.output_dir}", file=err)
    if args.json:
        json.dump(result.to_json(), out, indent=2)
        out.write("\n")
        return 0
    plan = result.plan
    for layer, name in zip(plan.layers, result.filenames(), strict=True):
        out.write(
            f"{name:<28} {format_bytes(layer.bytes):>10}  "
            f"{layer.changes_per_month:7.3f}/month  {', '.join(layer.packages)}\n"
        )
    saving = plan.baseline_expected_rebuild_bytes - plan.expected_rebuild_bytes
    out.write(
        f"\nExpected rebuild per change: {format_bytes(int(plan.expected_rebuild_bytes))} "
        f"(one layer: {format_bytes(int(plan.baseline_expected_rebuild_bytes))}, "
        f"saving {format_bytes(int(saving))})\n"
    )
    for note in plan.notes:
        out.write(f"note: {note}\n")
    if not args.output_dir:
        out.write("\n" + (result.dockerfile() if args.dockerfile else result.snippet()))
    return 0


def _run_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    root = Path(args.project)
    files = None
    if args.files:
        files = [os.path.relpath(Path(f).resolve(), root.resolve()) for f in args.files]
    result = api.check(
        root,
        files=files,
        lockfile=args.lockfile,
        tiers_dir=args.tiers_dir,
        cache_dir=args.cache_dir,
        no_cache=bool(args.no_cache),
    )
    if args.json:
        json.dump(result.to_json(), out, indent=2)
        out.write("\n")
    elif not (args.quiet and result.ok):
        out.write(result.text())
    return 0 if result.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    out, err = sys.stdout, sys.stderr
    runners = {
        "lock": _run_lock,
        "report": _run_report,
        "split": _run_split,
        "layers": _run_layers,
        "check": _run_check,
    }
    try:
        return runners[args.verb](args, out, err)
    except DepslimError as exc:
        print(f"error: {exc}" if exc.exit_code != 1 else str(exc), file=err)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=err)
        return 130


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
