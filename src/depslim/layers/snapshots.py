"""Pins read out of old versions of lockfiles, and how often each one changed.

:func:`pins_from_text` pulls ``name -> version`` out of a requirements file (pip-compile
output, hand-written pins, ``--hash`` continuations, markers, comments and options
are all tolerated) or a TOML lockfile (``pylock.toml``'s ``[[packages]]``, ``uv.lock``'s
and ``poetry.lock``'s ``[[package]]``). It never raises: an old commit may hold
anything, and text it cannot read simply contributes no pins.

A :class:`LockHistory` is what the git reader (:mod:`depslim.layers.history`) returns:
the lock state just before the window and every state committed inside it.
:func:`count_pin_changes` turns it into, per package, the number of times its pin
changed and the months it was observed. Pure: no I/O.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

__all__ = [
    "DAYS_PER_MONTH",
    "LockHistory",
    "PinChanges",
    "Snapshot",
    "count_pin_changes",
    "pins_from_text",
]

DAYS_PER_MONTH = 365.25 / 12

_COMMENT = re.compile(r"(^|\s)#.*$")
_OPTION_TAIL = re.compile(r"\s--[A-Za-z][\w-]*(?:[= ]\S*)?")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXACT = ("==", "===")


def _frozen(value: Mapping[NormalizedName, str] | None = None) -> Mapping[NormalizedName, str]:
    return MappingProxyType(dict(value or {}))


def _logical_lines(text: str) -> list[str]:
    """Physical lines joined at trailing backslashes, comments removed."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = _COMMENT.sub("", raw)
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append((pending + line).strip())
        pending = ""
    if pending.strip():
        lines.append(pending.strip())
    return [line for line in lines if line]


def _pin_from_requirement(line: str) -> tuple[NormalizedName, str] | None:
    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        return None
    name = canonicalize_name(requirement.name)
    if requirement.url:
        return name, f"@ {requirement.url}"
    specs = list(requirement.specifier)
    if len(specs) == 1 and specs[0].operator in _EXACT and not specs[0].version.endswith(".*"):
        return name, specs[0].version
    return None


def _pins_from_requirements(text: str) -> dict[NormalizedName, str]:
    found: dict[NormalizedName, set[str]] = {}
    for line in _logical_lines(text):
        pin: tuple[NormalizedName, str] | None
        if line.startswith("-"):
            # Options; an editable VCS/URL line names its project in #egg=, and its
            # URL (commit included) is the "version" that changes.
            if not line.startswith(("-e", "--editable")):
                continue
            flag = "--editable" if line.startswith("--editable") else "-e"
            target = line[len(flag) :].lstrip("= \t")
            egg = _EGG.search(target)
            pin = (canonicalize_name(egg.group(1)), f"@ {target.strip()}") if egg else None
        else:
            pin = _pin_from_requirement(_OPTION_TAIL.sub("", " " + line).strip())
        if pin is not None:
            found.setdefault(pin[0], set()).add(pin[1])
    return {name: " | ".join(sorted(versions)) for name, versions in found.items()}


def _pins_from_toml(text: str) -> dict[NormalizedName, str]:
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        return {}
    tables: list[Any] = []
    for key in ("packages", "package"):
        value = data.get(key)
        if isinstance(value, list):
            tables.extend(value)
    found: dict[NormalizedName, set[str]] = {}
    for table in tables:
        if not isinstance(table, dict):
            continue
        name, version = table.get("name"), table.get("version")
        if not isinstance(name, str) or not name.strip():
            continue
        if not isinstance(version, str):
            source = table.get("source") or table.get("vcs") or table.get("directory")
            version = f"@ {source}" if source is not None else ""
        found.setdefault(canonicalize_name(name.strip()), set()).add(version)
    return {name: " | ".join(sorted(versions)) for name, versions in found.items()}


def pins_from_text(text: str, path: str = "requirements.txt") -> dict[NormalizedName, str]:
    """The pins in one version of a lockfile: ``{name: version}``.

    ``path`` only chooses the format: ``*.toml`` / ``*.lock`` files are read as TOML
    lockfiles, everything else as a requirements file. Only exact pins count
    (``==``/``===``, or a direct reference ``name @ url`` whose URL is the version);
    a project pinned on several lines (under different markers) gets its versions
    joined with ``" | "``. Never raises.
    """
    if path.endswith((".toml", ".lock")):
        return _pins_from_toml(text)
    return _pins_from_requirements(text)


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """The pins of the watched lockfiles at one commit."""

    commit: str
    time: datetime
    pins: Mapping[NormalizedName, str] = field(default_factory=_frozen)


@dataclass(frozen=True, slots=True, kw_only=True)
class LockHistory:
    """Lockfile states in the window ``[since, until]``, oldest first.

    ``baseline`` is the state in force at ``since`` (the last commit before it), or
    ``None`` when the files did not exist yet. ``note`` says why the history is empty
    when it is (for instance "not a git repository").
    """

    paths: tuple[str, ...]
    since: datetime
    until: datetime
    baseline: Snapshot | None = None
    snapshots: tuple[Snapshot, ...] = ()
    note: str = ""

    @property
    def is_empty(self) -> bool:
        return self.baseline is None and not self.snapshots


@dataclass(frozen=True, slots=True, kw_only=True)
class PinChanges:
    """How often one package's pin changed: ``changes`` over ``months`` observed."""

    changes: int
    months: float

    @property
    def rate(self) -> float:
        return self.changes / self.months if self.months > 0 else 0.0


def count_pin_changes(history: LockHistory) -> dict[NormalizedName, PinChanges]:
    """Per package: pin changes inside the window and the months it was watched.

    A package is watched from ``since`` if the baseline has it, otherwise from the
    first snapshot that has it, until ``until``. Every later snapshot whose value for
    it differs from the one before (another version, removed, added back) is one
    change; its first appearance is not.
    """
    states: list[Snapshot] = []
    if history.baseline is not None:
        states.append(history.baseline)
    states.extend(history.snapshots)
    start: dict[NormalizedName, datetime] = {}
    changes: dict[NormalizedName, int] = {}
    previous: Mapping[NormalizedName, str] = {}
    for position, state in enumerate(states):
        is_baseline = position == 0 and history.baseline is not None
        when = history.since if is_baseline else max(state.time, history.since)
        for name in sorted(previous.keys() | state.pins.keys()):
            if name not in start:
                if name in state.pins:
                    start[name] = when
                    changes[name] = 0
                continue
            if previous.get(name) != state.pins.get(name):
                changes[name] += 1
        previous = state.pins
    result: dict[NormalizedName, PinChanges] = {}
    for name, began in sorted(start.items()):
        days = max(0.0, (history.until - began).total_seconds() / 86400)
        result[name] = PinChanges(changes=changes[name], months=days / DAYS_PER_MONTH)
    return result
