"""What the CLI prints besides the verbs' own text: progress, JSON, the layers table."""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from depslim.api.layers import LayersResult

__all__ = ["Progress", "color_enabled", "dump_json", "layers_table", "paint"]

#: seconds between two plain progress lines when stderr is not a terminal (a CI log)
PLAIN_EVERY = 5.0
#: the index client's event kinds (one index request each)
_EVENTS = frozenset(
    {"page", "page-cached", "metadata", "metadata-cached", "range", "download", "build", "retry"}
)


class Progress:
    """Progress on stderr: a live status line on a terminal, a plain line every few
    seconds in a log, every event with ``-v``, nothing with ``-q`` or ``--json``."""

    def __init__(self, stream: TextIO, *, verbose: bool, quiet: bool) -> None:
        self.stream = stream
        self.verbose = verbose
        self.quiet = quiet and not verbose
        self.live = not self.quiet and not verbose and _is_tty(stream)
        self.pinned = 0
        self.fetched = 0
        self.stage = ""
        self.started = self.last = time.monotonic()

    def __call__(self, message: str) -> None:
        if self.verbose:
            from depslim.credentials import redact_text

            print(redact_text(message), file=self.stream)
            return
        if message.startswith("pinned "):
            self.pinned += 1
        elif message.split(" ", 1)[0] in _EVENTS:
            self.fetched += 1
        else:
            self.stage = message
        if self.quiet:
            return
        now = time.monotonic()
        if self.live and now - self.last > 0.1:
            self.last = now
            self.stream.write("\r" + self._line()[:120] + "\x1b[K")
            self.stream.flush()
        elif not self.live and now - self.last >= PLAIN_EVERY:
            self.last = now
            print(f"[{now - self.started:5.0f}s] {self._line()}", file=self.stream, flush=True)

    def _line(self) -> str:
        stage = f"{self.stage}: " if self.stage else ""
        pinned = f"{self.pinned} pinned, " if self.pinned else ""
        return f"{stage}{pinned}{self.fetched} index requests"

    def done(self) -> None:
        if self.live:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def dump_json(data: Any, out: TextIO) -> None:
    json.dump(data, out, indent=2)
    out.write("\n")


def layers_table(result: LayersResult) -> str:
    """One line per layer, then the expected rebuild per change and the plan's notes."""
    from depslim.report import format_bytes

    plan = result.plan
    lines = [
        f"{name:<28} {format_bytes(layer.bytes):>10}  "
        f"{layer.changes_per_month:7.3f}/month  {', '.join(layer.packages)}"
        for layer, name in zip(plan.layers, result.filenames(), strict=True)
    ]
    saving = plan.baseline_expected_rebuild_bytes - plan.expected_rebuild_bytes
    lines += [
        "",
        (
            f"Expected rebuild per change: {format_bytes(int(plan.expected_rebuild_bytes))} "
            f"(one layer: {format_bytes(int(plan.baseline_expected_rebuild_bytes))}, "
            f"saving {format_bytes(int(saving))})"
        ),
    ]
    lines += [f"note: {note}" for note in plan.notes]
    return "\n".join(lines) + "\n"


_STYLES = {"error": "1;31", "warning": "33", "ok": "32", "dim": "2"}


def paint(text: str, style: str, stream: TextIO) -> str:
    """``text`` in ``style`` (error, warning, ok, dim) when ``stream`` takes colour."""
    if not color_enabled(stream):
        return text
    return f"\x1b[{_STYLES[style]}m{text}\x1b[0m"


def color_enabled(stream: TextIO) -> bool:
    """Colour on a terminal; off with ``NO_COLOR``, forced with ``FORCE_COLOR``."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _is_tty(stream)
