"""The ``depslim`` command: parse, run one verb, print, exit with a meaningful code.

Exit codes: 0 ok; 1 no solution, or findings; 2 bad input or usage (naming the file
and line); 3 network or index failure; 4 a bug in depslim (one line; the traceback
with ``-v``); 130 interrupted. Only :mod:`argparse` is imported up front, so
``depslim --version`` stays fast; each verb loads what it uses.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from depslim.cli.options import build_parser, parse

__all__ = ["BUG_EXIT", "build_parser", "entry", "main"]

BUG_EXIT = 4
INTERRUPTED_EXIT = 130


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    verbose = False
    try:
        args = parse(argv)
        verbose = bool(getattr(args, "verbose", False))
        from depslim.cli.commands import run

        return run(args, sys.stdout, sys.stderr)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED_EXIT
    except Exception as exc:  # noqa: BLE001 - the last line of defence: report, never crash
        return _failure(exc, verbose=verbose)


def _failure(exc: Exception, *, verbose: bool) -> int:
    from depslim.errors import DepslimError

    if isinstance(exc, DepslimError):
        from depslim.cli.render import paint
        from depslim.credentials import redact_text

        label = paint("error:", "error", sys.stderr)
        text = redact_text(str(exc))  # a URL in a message never shows its credentials
        print(f"{label} {text}" if exc.exit_code != 1 else text, file=sys.stderr)
        return exc.exit_code
    if isinstance(exc, BrokenPipeError):
        return 0  # `depslim … | head`: the reader left; nothing is wrong
    if verbose:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    from depslim.credentials import redact_text

    print(
        f"depslim: internal error ({type(exc).__name__}: {redact_text(str(exc))}). "
        "This is a bug in depslim; "
        "run again with -v for the traceback and report it.",
        file=sys.stderr,
    )
    return BUG_EXIT


def entry() -> None:
    """Console-script entry point."""
    try:
        code = main()
    except KeyboardInterrupt:
        code = INTERRUPTED_EXIT
    sys.exit(code)
