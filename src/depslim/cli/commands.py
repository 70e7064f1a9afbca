"""One short function per verb: flags → options → one :class:`Session` → the API → print.

Every verb builds its settings the same way (:func:`_session`): the parsed flags are
the API's keyword options, merged once with ``DEPSLIM_*`` and ``[tool.depslim]``
found from the verb's input. Verbs chained in one command (``lock --report``,
``lock --order change-frequency``) share that session.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from depslim import api
from depslim.api._files import write_atomic
from depslim.api._session import Session
from depslim.cli.options import CLI_ONLY
from depslim.cli.render import Progress, dump_json, layers_table, paint
from depslim.credentials import redact_text
from depslim.errors import (
    RESOLUTION_FAILURES,
    DepslimError,
    InputError,
)
from depslim.settings import load_settings

__all__ = ["options_of", "run"]


def options_of(args: argparse.Namespace) -> dict[str, Any]:
    """The flags the user gave, as the API's keyword options."""
    options = {k: v for k, v in vars(args).items() if k not in CLI_ONLY}
    for key in ("only_binary", "no_binary"):
        if key in options:
            options[key] = [n.strip() for v in options[key] for n in v.split(",") if n.strip()]
    if "entries" in options:
        options["entries"] = _entries(options["entries"], "--entry", "api=app.main")
    if "index_of" in options:
        options["index_of"] = _entries(
            options["index_of"], "--index-of", "internal-lib=https://pkgs.example/simple"
        )
    return options


def _entries(values: list[str], flag: str, example: str) -> dict[str, str]:
    """``NAME=VALUE`` flags as a mapping."""
    entries: dict[str, str] = {}
    for value in values:
        name, sep, module = value.partition("=")
        if not sep or not name.strip() or not module.strip():
            raise InputError(f"{flag} {value!r}: write it as NAME=VALUE, e.g. {example}")
        entries[name.strip()] = module.strip()
    return entries


def _session(args: argparse.Namespace, err: TextIO, anchor: str | Path | None) -> Session:
    progress = Progress(err, verbose=args.verbose, quiet=args.quiet or args.json)
    settings = load_settings(options_of(args), anchor=anchor)
    return Session(settings, progress=progress)


def _done(run: Session) -> None:
    if isinstance(run.progress, Progress):
        run.progress.done()


def _warn(warnings: Any, err: TextIO, args: argparse.Namespace) -> None:
    if not args.quiet:
        for warning in warnings:
            print(f"{paint('warning:', 'warning', err)} {redact_text(warning)}", file=err)


# ---- lock ---------------------------------------------------------------------------


def _default_inputs() -> list[str]:
    for name in ("requirements.in", "pyproject.toml"):
        if Path(name).is_file():
            return [name]
    raise InputError(
        "no input given and neither requirements.in nor pyproject.toml is here: "
        "name the file to lock, e.g. `depslim lock requirements.in`"
    )


def _default_output(first: str) -> str:
    path = Path(first)
    if path.name == "pyproject.toml":
        return str(path.with_name("requirements.txt"))
    if path.suffix == ".in":
        return str(path.with_suffix(".txt"))
    raise InputError(
        f"{first} is not a .in file: say where to write the lock with -o FILE "
        "(writing next to it could overwrite the input)"
    )


def run_lock(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from depslim.report import render_report, report_to_json

    inputs = args.inputs or _default_inputs()
    started = time.monotonic()
    with _session(args, err, inputs[0]) as run:
        settings = run.settings
        output = settings.output_file
        if output is None and not args.json:
            output = _default_output(inputs[0])
        from depslim.lockfile.pylock import format_for_output

        fmt = format_for_output(output, settings.output_format)  # a mismatch fails early
        try:
            result = api.lock(
                inputs,
                output=None if output in (None, "-") else output,
                upgrade=args.upgrade,
                upgrade_packages=args.upgrade_package,
                session=run,
            )
            size_report = api.report(result, session=run) if settings.report else None
            text = result.text(fmt)
            if settings.layers.order == "change-frequency" and fmt == "requirements":
                text = api.layers(result, session=run).ordered_text()
        finally:
            _done(run)
    _warn(result.warnings, err, args)
    if args.json:
        if output and output != "-":
            result.write(output, fmt)
        data = result.to_json()
        if size_report is not None:
            data["report"] = report_to_json(size_report)
        dump_json(data, out)
        return 0
    if output == "-":
        out.write(text)
        return 0
    assert output is not None
    write_atomic(output, text)
    if not args.quiet:
        elapsed = time.monotonic() - started
        print(
            f"Locked {len(result.pins)} packages for {result.lock.target} "
            f"in {elapsed:.1f}s → {output}",
            file=err,
        )
    if size_report is not None and not args.quiet:
        out.write(render_report(size_report))
    return 0


# ---- report, layers -----------------------------------------------------------------


def run_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from depslim.report import render_report, report_to_json

    with _session(args, err, args.lockfile) as run:
        try:
            size_report = api.report(args.lockfile, compare=not args.no_compare, session=run)
        finally:
            _done(run)
    if args.json:
        dump_json(report_to_json(size_report), out)
        return 0
    _warn(size_report.warnings, err, args)
    if not args.quiet:
        out.write(render_report(size_report))
    return 0


def run_layers(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _session(args, err, args.lockfile) as run:
        try:
            result = api.layers(args.lockfile, session=run)
        finally:
            _done(run)
    _warn(result.warnings, err, args)
    if args.output_dir:
        written = result.write(
            args.output_dir,
            dockerfile=args.dockerfile,
            context=args.context,
            base_image=args.base_image,
        )
        if not args.quiet and not args.json:
            print(f"Wrote {len(written)} files to {args.output_dir}", file=err)
    if args.json:
        dump_json(result.to_json(), out)
        return 0
    if args.quiet:
        return 0
    out.write(layers_table(result))
    if not args.output_dir:
        text = result.dockerfile(base_image=args.base_image) if args.dockerfile else None
        out.write("\n" + (text or result.snippet()))
    return 0


def run_why(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with _session(args, err, args.lockfile) as run:
        try:
            result = api.why(args.name, args.lockfile, sizes=not args.no_sizes, session=run)
        finally:
            _done(run)
    if args.json:
        dump_json(result.to_json(), out)
        return 0
    _warn(result.warnings, err, args)
    out.write(result.text())
    return 0


# ---- split, check, config -----------------------------------------------------------


def run_split(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    root = Path(args.project)
    folder = Path(args.output_dir) if args.output_dir else root / "requirements"
    dry = args.dry_run or args.no_lock
    with _session(args, err, root) as run:
        try:
            if args.no_lock:
                result = api.split(root, lock=False, session=run)
            else:
                result = _split_or_classify(args, root, None if dry else folder, run, out)
        finally:
            _done(run)
    if not dry:
        result.write(folder)
    if args.write_pyproject and not args.dry_run:
        written, changed = result.write_pyproject()
        if not args.quiet and not args.json:
            counts = ", ".join(f"{t.value} {len(r)}" for t, r in result.tier_requirements().items())
            state = "wrote the tiers into" if changed else "the tiers already stand in"
            print(f"{state} {written}: {counts}", file=err)
    _warn(result.warnings, err, args)
    if args.json:
        dump_json(result.to_json(), out)
        return 0
    if not args.quiet:
        out.write(result.table())
        if not dry:
            print(f"Wrote {', '.join(sorted(result.file_names()))} to {folder}", file=err)
    return 0


def _split_or_classify(
    args: argparse.Namespace, root: Path, folder: Path | None, run: Session, out: TextIO
) -> api.SplitResult:
    """The split; when the resolution fails, the classification first, then the error."""
    try:
        return api.split(root, output=folder, session=run)
    except RESOLUTION_FAILURES:
        if not args.json and not args.quiet:
            try:
                classified = api.split(root, lock=False, session=run)
            except DepslimError:
                classified = None
            if classified is not None:
                out.write(classified.table())
                out.write("The resolution failed; nothing was written:\n")
        raise


def run_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    root = Path(args.project)
    files = None
    if args.files:
        files = [os.path.relpath(Path(f).resolve(), root.resolve()) for f in args.files]
    with _session(args, err, root) as run:
        result = api.check(
            root, files=files, lockfile=args.lockfile, tiers_dir=args.tiers_dir, session=run
        )
    if args.json:
        dump_json(result.to_json(), out)
    elif not (args.quiet and result.ok):
        out.write(result.text())
    return 0 if result.ok else 1


def run_config(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    settings = load_settings(options_of(args), anchor=args.anchor)
    rows = settings.explain()
    if args.json:
        dump_json({"config": str(settings.config) if settings.config else None, "keys": rows}, out)
        return 0
    out.write(f"config: {settings.config or '(none)'}\n")
    width = max(len(r["key"]) for r in rows)
    for row in rows:
        value = "" if row["value"] is None else row["value"]
        out.write(f"{row['key']:<{width}}  {value!s:<40}  ({row['from']})\n")
    return 0


RUNNERS: dict[str, Callable[[argparse.Namespace, TextIO, TextIO], int]] = {
    "lock": run_lock,
    "report": run_report,
    "split": run_split,
    "layers": run_layers,
    "check": run_check,
    "why": run_why,
    "config": run_config,
}


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run the verb ``args`` names; returns its exit code."""
    return RUNNERS[args.verb](args, out, err)
