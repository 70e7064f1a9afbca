"""Every flag of the CLI, declared once in shared groups, and how flags become options.

A flag's destination is its ``[tool.depslim]`` key with ``_`` (``--index-url`` →
``index_url``), so the parsed flags *are* the API's keyword options. Flags default to
"not given" (:data:`argparse.SUPPRESS`): only what the user typed reaches the settings
merge, where it wins over ``DEPSLIM_*`` variables and the config file.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["CLI_ONLY", "build_parser", "parse"]

_ = argparse.SUPPRESS

PLATFORM_HELP = (
    "linux/amd64, linux/arm64, manylinux_2_28_x86_64, musllinux_1_2_aarch64, macos/arm64, "
    "windows/amd64, …"
)

#: Destinations that steer the CLI itself and are not settings.
CLI_ONLY = frozenset(
    {
        "verb",
        "json",
        "quiet",
        "verbose",
        "inputs",
        "upgrade",
        "upgrade_package",
        "project",
        "output_dir",
        "dry_run",
        "no_lock",
        "write_pyproject",
        "lockfile",
        "no_compare",
        "dockerfile",
        "context",
        "base_image",
        "files",
        "tiers_dir",
        "anchor",
        "name",
        "no_sizes",
    }
)

Group = argparse.ArgumentParser | argparse._ArgumentGroup


class _Parser(argparse.ArgumentParser):
    """depslim's argument parser: a flag is spelled out in full (``--extra`` must never
    be read as an abbreviation of ``--extra-index-url``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)


# ---- the shared groups -------------------------------------------------------------


def add_output(parser: argparse.ArgumentParser) -> None:
    """--json, -q, -v, --config, --no-config: every verb has them."""
    group = parser.add_argument_group("output and config")
    group.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    group.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    group.add_argument(
        "-v", "--verbose", action="store_true", help="print every index request (and tracebacks)"
    )
    group.add_argument(
        "--config",
        metavar="PYPROJECT",
        default=_,
        help="pyproject.toml holding [tool.depslim] (default: the nearest one above the input)",
    )
    group.add_argument(
        "--no-config",
        dest="config",
        action="store_const",
        const=False,
        default=_,
        help="ignore [tool.depslim]",
    )


def add_target(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("target")
    group.add_argument(
        "--python-version", metavar="X.Y", default=_, help="target Python (default: 3.11)"
    )
    group.add_argument(
        "--python-platform",
        metavar="PLATFORM",
        default=_,
        help=f"target platform (default: linux/amd64): {PLATFORM_HELP}",
    )


def add_indexes(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("indexes")
    group.add_argument(
        "-i",
        "--index-url",
        metavar="URL",
        default=_,
        help="base URL of the package index (default: https://pypi.org/simple)",
    )
    group.add_argument(
        "--extra-index-url",
        action="append",
        metavar="URL",
        default=_,
        help="another index, asked only for projects the first ones lack (repeatable)",
    )
    group.add_argument(
        "--index-of",
        dest="index_of",
        action="append",
        metavar="NAME=URL",
        default=_,
        help="take project NAME only from the index at URL (repeatable; config: "
        'index-of = { NAME = "URL" }); a project two indexes offer differently must be bound',
    )
    group.add_argument(
        "--no-index",
        action="store_true",
        default=_,
        help="ignore every index: use only --find-links locations",
    )
    group.add_argument(
        "-f",
        "--find-links",
        action="append",
        metavar="URL|DIR",
        default=_,
        help="a directory or HTML page of distribution files (repeatable)",
    )


def add_gpu(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("GPU builds (see docs/gpu.md)")
    group.add_argument(
        "--torch-backend",
        choices=["cpu", "pypi"],
        default=_,
        help="cpu (default on Linux targets): the torch family from the PyTorch CPU index "
        "and GPU packages swapped for CPU ones; pypi: keep what PyPI serves (CUDA builds)",
    )
    group.add_argument(
        "--torch-index-url",
        metavar="URL",
        default=_,
        help="index of the torch family's CPU builds (default: https://download.pytorch.org/whl/cpu)",
    )
    group.add_argument(
        "--headless",
        action="store_true",
        default=_,
        help="also swap opencv-python for opencv-python-headless (no GUI/libGL)",
    )


def add_builds(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("builds")
    group.add_argument(
        "--allow-build",
        action="store_true",
        default=_,
        help="allow running sdists' build backends to read their metadata (runs package code)",
    )
    group.add_argument(
        "--only-binary",
        action="append",
        metavar="NAMES",
        default=_,
        help="take only wheels of these projects (comma-separated, or :all:), as pip",
    )
    group.add_argument(
        "--no-binary",
        action="append",
        metavar="NAMES",
        default=_,
        help="take only sdists of these projects (comma-separated, or :all:), as pip",
    )
    group.add_argument(
        "--pre",
        action="store_true",
        default=_,
        help="allow pre-releases (otherwise only when asked for or nothing else fits)",
    )


def add_selection(parser: argparse.ArgumentParser, *, split: bool) -> None:
    """Which extras and groups to take, as uv spells it (split takes all by default)."""
    default = "every extra and group by default" if split else "none by default"
    group = parser.add_argument_group(f"what to take from pyproject.toml ({default})")
    group.add_argument(
        "--extra",
        action="append",
        metavar="NAME",
        default=_,
        help="take this optional-dependencies extra (repeatable; config: extras)",
    )
    group.add_argument("--all-extras", action="store_true", default=_, help="take every extra")
    group.add_argument(
        "--no-extra",
        action="append",
        metavar="NAME",
        default=_,
        help="leave this extra out (repeatable)",
    )
    group.add_argument(
        "--group",
        action="append",
        metavar="NAME",
        default=_,
        help="take this PEP 735 dependency group (repeatable; config: groups)",
    )
    group.add_argument(
        "--no-group",
        action="append",
        metavar="NAME",
        default=_,
        help="leave this dependency group out (repeatable)",
    )
    group.add_argument(
        "--only-group",
        action="append",
        metavar="NAME",
        default=_,
        help="take only this group, without the main dependencies (repeatable)",
    )


def add_resolution(parser: argparse.ArgumentParser) -> None:
    """Overrides and constraints: for the verbs that resolve (lock, split)."""
    group = parser.add_argument_group("overrides and constraints")
    group.add_argument(
        "--override",
        dest="overrides",
        action="append",
        metavar="FILE",
        default=_,
        help="requirements that replace every requirement on their projects, the "
        "dependencies' too (uv's --override; repeatable; config: overrides)",
    )
    group.add_argument(
        "-c",
        "--constraint",
        dest="constraints",
        action="append",
        metavar="FILE",
        default=_,
        help="requirements that narrow versions without adding projects (repeatable; "
        "config: constraints)",
    )


def add_cache(parser: argparse.ArgumentParser | Group) -> None:
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        default=_,
        help="cache folder (default: $DEPSLIM_CACHE_DIR or the user cache dir)",
    )
    parser.add_argument("--no-cache", action="store_true", default=_, help="do not use the cache")


def add_network(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("network and cache")
    add_cache(group)
    group.add_argument(
        "--offline",
        action="store_true",
        default=_,
        help="use only what the cache holds; no network",
    )
    group.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        default=_,
        help="timeout for connecting and each read (default: 30)",
    )
    group.add_argument(
        "--retries",
        type=int,
        metavar="N",
        default=_,
        help="retries after a failed request (default: 3)",
    )
    group.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        default=_,
        help="parallel index requests (default: 8)",
    )
    group.add_argument(
        "--no-verify-hashes",
        action="store_true",
        default=_,
        help="trust the index's hashes instead of checking each locked file's bytes",
    )


def add_index_reading(parser: argparse.ArgumentParser) -> None:
    """Every group a verb that reads an index takes: target, indexes, GPU, builds, network."""
    add_target(parser)
    add_indexes(parser)
    add_gpu(parser)
    add_builds(parser)
    add_network(parser)
    add_output(parser)


# ---- the verbs ---------------------------------------------------------------------


def _lock(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs",
        nargs="*",
        metavar="INPUT",
        help="requirements.in / requirements.txt / pyproject.toml "
        "(default: requirements.in, else pyproject.toml)",
    )
    parser.add_argument(
        "-o",
        "--output-file",
        metavar="FILE",
        default=_,
        help="where to write the lock ('-' for stdout; default: the input with .txt, "
        "or requirements.txt next to pyproject.toml)",
    )
    parser.add_argument(
        "--format",
        choices=["requirements", "pylock", "json"],
        default=_,
        help="requirements (pip-compile's requirements.txt), pylock (PEP 751 pylock.toml) or "
        "json (default: what the output's name implies, else requirements)",
    )
    add_selection(parser, split=False)
    group = parser.add_argument_group("re-locking")
    group.add_argument(
        "-U", "--upgrade", action="store_true", help="ignore the pins of the existing output file"
    )
    group.add_argument(
        "-P",
        "--upgrade-package",
        action="append",
        default=[],
        metavar="NAME",
        help="ignore the existing pin of NAME only (repeatable)",
    )
    parser.add_argument(
        "--order",
        choices=["alphabetical", "change-frequency"],
        default=_,
        help="change-frequency: stable pins first, grouped under '# layer N' comments "
        "(see `depslim layers`)",
    )
    parser.add_argument(
        "--report",
        action="store_true",
        default=_,
        help="after locking, print what the lock weighs (see `depslim report`)",
    )
    add_resolution(parser)
    add_index_reading(parser)


def _report(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "lockfile",
        nargs="?",
        default="requirements.txt",
        metavar="LOCKFILE",
        help="a requirements.txt lock, depslim's or pip-compile's/uv's (default: requirements.txt)",
    )
    parser.add_argument(
        "--no-compare", action="store_true", help="skip the comparison with PyPI's builds"
    )
    add_index_reading(parser)


def _split(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", nargs="?", default=".", help="the project's root (default: .)")
    parser.add_argument(
        "--entry",
        dest="entries",
        action="append",
        metavar="NAME=MODULE",
        default=_,
        help="an entry point (repeatable); the first is the API: base = what it reaches, "
        'ml = what only the others reach (config: entries = { api = "app.main" })',
    )
    parser.add_argument(
        "-o",
        "--output-dir",
        metavar="DIR",
        help="where to write the tier files (default: PROJECT/requirements)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the split, write nothing")
    parser.add_argument(
        "--write-pyproject",
        action="store_true",
        help="also write the tiers back into pyproject.toml: [project] dependencies = base, "
        "optional-dependencies.ml, [dependency-groups] dev (comments and order kept)",
    )
    parser.add_argument(
        "--no-lock",
        action="store_true",
        help="classify without resolving (seconds, not a lock's time): print the table, "
        "write nothing",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        metavar="GLOB",
        default=_,
        help="skip files matching GLOB (repeatable; config: exclude)",
    )
    add_selection(parser, split=True)
    add_resolution(parser)
    add_index_reading(parser)


def _layers(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("lockfile", nargs="?", default="requirements.txt", metavar="LOCKFILE")
    group = parser.add_argument_group("layers")
    group.add_argument(
        "--max-layers", type=int, metavar="N", default=_, help="at most N layers (default 4)"
    )
    group.add_argument(
        "--max-layer-size",
        metavar="SIZE",
        default=_,
        help="split layers above SIZE (e.g. 500MB); a larger wheel stands alone",
    )
    group.add_argument(
        "--closed-layers",
        action="store_true",
        default=_,
        help="every layer also holds the dependencies of its packages",
    )
    group.add_argument(
        "--history-months",
        type=int,
        metavar="N",
        default=_,
        help="git history window in months (default 24)",
    )
    parser.add_argument(
        "-o",
        "--output-dir",
        metavar="DIR",
        help="write NN-name.txt per layer and a Dockerfile snippet to DIR",
    )
    parser.add_argument(
        "--dockerfile",
        action="store_true",
        help="write (or print) a full multi-stage Dockerfile instead of a snippet, and a "
        ".dockerignore in the build context when it has none",
    )
    parser.add_argument(
        "--base-image",
        metavar="IMAGE",
        help="the Dockerfile's base image (default: the official python image of the "
        "target's Python, -slim or -alpine); any image with python3, venv and pip",
    )
    parser.add_argument(
        "--context",
        metavar="DIR",
        default=".",
        help="the Docker build context: every COPY path is relative to it (default: .)",
    )
    add_index_reading(parser)


def _why(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the pinned package to explain")
    parser.add_argument(
        "lockfile",
        nargs="?",
        default="requirements.txt",
        metavar="LOCK",
        help="a lock or a tier file (default: requirements.txt)",
    )
    parser.add_argument(
        "--no-sizes", action="store_true", help="do not read sizes and requirements from the index"
    )
    add_index_reading(parser)


def _check(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="files to re-scan (pre-commit passes the changed ones); others "
        "are answered from the cache",
    )
    parser.add_argument("--project", default=".", metavar="DIR", help="the project root")
    parser.add_argument(
        "--lockfile",
        metavar="FILE",
        help="the lock to check (default: output-file from config, else requirements.txt)",
    )
    parser.add_argument(
        "--tiers-dir",
        metavar="DIR",
        help="folder of the tier locks written by split (default: requirements)",
    )
    parser.add_argument(
        "--exclude", action="append", metavar="GLOB", default=_, help="skip files matching GLOB"
    )
    add_target(parser)
    group = parser.add_argument_group("cache (check never uses the network)")
    add_cache(group)
    add_output(parser)


def _config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "anchor",
        nargs="?",
        default=".",
        metavar="PATH",
        help="where the config search starts, as for a verb's input (default: .)",
    )
    parser.add_argument("-o", "--output-file", metavar="FILE", default=_)
    add_selection(parser, split=False)
    add_resolution(parser)
    add_index_reading(parser)


_VERBS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], str, str]] = {
    "lock": (
        _lock,
        "resolve requirements for a target platform into a hash-pinned lockfile",
        (
            "Resolve requirements files and/or pyproject.toml for a target platform and Python "
            "into a hash-pinned requirements.txt. Options may also be set in [tool.depslim] of "
            "pyproject.toml (a key is the long flag's name) or DEPSLIM_<KEY>; flags win."
        ),
    ),
    "split": (
        _split,
        "split dependencies into tiers (base / ml / dev) from what the code imports",
        (
            "Scan the project's imports, classify each declared dependency as base, ml or dev "
            "(with the file:line or rule that decided it), resolve everything once, and write "
            "<tier>.in and <tier>.txt per tier; each tier's lock installs on top of the one below "
            "it (-r base.txt) and records the options it was made with."
        ),
    ),
    "layers": (
        _layers,
        "order a lock by change frequency and cut it into cache-friendly Docker layers",
        (
            "Estimate how often each pin changes (git history of the lockfile, release cadence on "
            "the index, rules), weigh each pin (installed size from its wheel), and cut the lock "
            "into at most --max-layers layers, stable first, so that the expected bytes a Docker "
            "build rebuilds per change are as small as they can be."
        ),
    ),
    "report": (
        _report,
        "what a lock weighs: download and installed size per package, before/after",
        (
            "Print, per package and in total, the download size and the installed size of a "
            "lock's pins for its target (read from each wheel's zip directory with HTTP range "
            "requests, cached). Reads depslim's locks and pip-compile's or uv's (their index "
            "lines are honoured). For a lock whose torch family comes from the PyTorch CPU "
            "index, also what PyPI's builds of the same pins would weigh."
        ),
    ),
    "why": (
        _why,
        "who pulled a package in: every chain from the inputs, with what each link adds",
        (
            "List every chain of dependants from the lock's inputs to NAME (shortest first), "
            "each link with the requirement its dependant declares and its installed size "
            "(read from the index, cached). Works on tier files too."
        ),
    ),
    "check": (
        _check,
        "is the slim state still true? (exit 0 clean, 1 findings, 2 bad input)",
        (
            "Offline checks with stable codes: DS001 lock stale, DS002 GPU package under a CPU "
            "policy, DS003 import no declared dependency provides, DS004 declared dependency "
            "nothing uses, DS005 API-reachable module importing an ml/dev-tier package, DS006 "
            "tier locks disagree on a version. Each lock is judged by the options its header "
            'records. Silence a code with [tool.depslim] ignore = ["DS004"] or '
            "`# depslim: ignore[DS003]` on the line."
        ),
    ),
    "config": (
        _config,
        "print the effective settings and where each value came from",
        (
            "Merge flags > DEPSLIM_<KEY> environment variables > [tool.depslim] > defaults, "
            "exactly as every verb does, and print each key's value and origin."
        ),
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (exposed for documentation and tests)."""
    from depslim._version import package_version

    parser = _Parser(
        prog="depslim",
        description="Small, fast-to-build Docker images from your Python dependencies.",
    )
    parser.add_argument("--version", action="version", version=f"depslim {package_version()}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    verbs.required = True
    for name, (add, summary, description) in _VERBS.items():
        add(verbs.add_parser(name, help=summary, description=description))
    return parser


def _subparser(parser: argparse.ArgumentParser, verb: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[verb]  # type: ignore[no-any-return]
    return parser


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; an unknown flag is reported with the usage of its verb."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        _subparser(parser, args.verb).error(f"unrecognized arguments: {' '.join(unknown)}")
    return args
