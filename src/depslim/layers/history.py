"""Read the history of a project's lockfiles out of git.

The only module of :mod:`depslim.layers` that does I/O: it runs ``git`` as a subprocess
(``git log`` for the commits that touched the files in the window, ``git rev-list``
for the state in force when the window opens, and one ``git cat-file --batch`` for all
the file versions) and hands the texts to the pure parser
:func:`depslim.layers.snapshots.pins_from_text`.

Missing git is an error (:class:`~depslim.errors.InputError` saying so); a directory
that is not in a git repository, or files git never saw, give an empty
:class:`~depslim.layers.snapshots.LockHistory` whose ``note`` says why, so change
frequency degrades to the index's release cadence.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

from packaging.utils import NormalizedName

from depslim.errors import InputError
from depslim.layers.snapshots import LockHistory, Snapshot, pins_from_text

__all__ = ["read_lock_history"]


def _run(git: str, cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    completed = subprocess.run(
        [git, "-c", "core.quotepath=off", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        check=False,
    )
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip()
        raise _GitFailedError(f"git {' '.join(args[:2])} failed in {cwd}: {message}")
    return completed.stdout


class _GitFailedError(Exception):
    """A git command exited non-zero (internal: turned into an empty history or InputError)."""


def _read_blobs(git: str, top: Path, specs: Sequence[str]) -> list[bytes | None]:
    """The contents of ``rev:path`` specs, ``None`` for each that does not exist."""
    if not specs:
        return []
    out = _run(git, top, "cat-file", "--batch", stdin="".join(f"{s}\n" for s in specs).encode())
    blobs: list[bytes | None] = []
    position = 0
    for _ in specs:
        end = out.index(b"\n", position)
        header = out[position:end].split()
        position = end + 1
        if len(header) < 3 or header[-1] == b"missing":
            blobs.append(None)
            continue
        size = int(header[2])
        if header[1] != b"blob":
            blobs.append(None)
        else:
            blobs.append(out[position : position + size])
        position += size + 1
    return blobs


def _to_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def read_lock_history(
    paths: Sequence[Path],
    *,
    since: datetime,
    until: datetime,
    git: str = "git",
) -> LockHistory:
    """The committed states of ``paths`` (lockfiles/requirements files) from ``since`` to
    ``until``, and the state in force at ``since``.

    ``paths`` are files of one git working tree (absolute, or relative to the current
    directory); a state is the union of their pins at one commit, taken at its
    committer date. Uncommitted edits are not history and are ignored. Naive datetimes
    are taken as UTC.
    """
    since, until = _to_utc(since), _to_utc(until)
    names = tuple(str(p) for p in paths)
    if shutil.which(git) is None:
        raise InputError(
            f"git ({git!r}) is not installed or not on PATH: depslim reads the history of "
            f"{', '.join(names) or 'the lockfiles'} with it. Install git, or turn the git "
            "history off to estimate change frequency from release cadence only."
        )
    if not paths:
        return LockHistory(paths=(), since=since, until=until, note="no files to follow")
    resolved = [Path(p).resolve() for p in paths]
    directory = resolved[0].parent
    if not directory.is_dir():
        return LockHistory(
            paths=names, since=since, until=until, note=f"{directory} does not exist"
        )
    try:
        top = Path(_run(git, directory, "rev-parse", "--show-toplevel").decode().strip()).resolve()
    except _GitFailedError:
        return LockHistory(
            paths=names, since=since, until=until, note=f"{directory} is not in a git repository"
        )
    relative: list[str] = []
    for path in resolved:
        try:
            relative.append(path.relative_to(top).as_posix())
        except ValueError:
            raise InputError(
                f"{path} is not inside the git repository at {top}: "
                "follow lockfiles of one repository at a time"
            ) from None
    try:
        log = _run(
            git, top, "log", "--first-parent", "--format=%H %ct", "HEAD", "--", *relative
        ).decode()
    except _GitFailedError as error:
        # An empty repository has no HEAD yet: no history, not an error.
        return LockHistory(paths=names, since=since, until=until, note=str(error))
    start, end = since.timestamp(), until.timestamp()
    newest_first = [(h, int(t)) for h, t in (line.split() for line in log.splitlines() if line)]
    commits = [(h, t) for h, t in reversed(newest_first) if start <= t <= end]
    base = [(h, t) for h, t in newest_first if t < start][:1]
    wanted = base + commits
    specs = [f"{h}:{p}" for h, _ in wanted for p in relative]
    blobs = _read_blobs(git, top, specs)
    states: list[Snapshot] = []
    for number, (commit, seconds) in enumerate(wanted):
        pins: dict[NormalizedName, str] = {}
        for offset, name in enumerate(relative):
            blob = blobs[number * len(relative) + offset]
            if blob is not None:
                pins.update(pins_from_text(blob.decode("utf-8", "replace"), name))
        states.append(
            Snapshot(
                commit=commit,
                time=datetime.fromtimestamp(seconds, UTC),
                pins=MappingProxyType(pins),
            )
        )
    baseline = states[0] if base else None
    snapshots = tuple(states[1:] if base else states)
    note = "" if baseline or snapshots else "git has no commits of these files in the window"
    return LockHistory(
        paths=names, since=since, until=until, baseline=baseline, snapshots=snapshots, note=note
    )
