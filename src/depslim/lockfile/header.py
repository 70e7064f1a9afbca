"""What a lock's header records about how it was made, and reading it back.

A lock (and each tier file ``split`` writes) carries the command line that made it:
``depslim VERB INPUTS [-o OUT] --python-version V --python-platform P FLAGS…`` where
FLAGS are the canonical options that decide its content (indexes, GPU policy, extras,
binary policy, entries). ``check`` reads them back to judge the lock by the same
options, and :func:`inputs_hash` fingerprints inputs, target and flags so a stale lock
is found without the network.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from depslim.models import InputRequirement
from depslim.target import Target

__all__ = ["LockFlags", "command_line", "flag_values", "inputs_hash", "parse_command"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LockFlags:
    """The options that decide a lock's content, as they are written in its header."""

    index_url: str | None = None
    default_index: str = ""
    no_index: bool = False
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    all_extras: bool = False
    pre: bool = False
    torch_backend_pypi: bool = False
    torch_index_url: str | None = None
    headless: bool = False
    only_binary: tuple[str, ...] = ()
    no_binary: tuple[str, ...] = ()
    entries: Mapping[str, str] | None = None
    overrides: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    index_of: Mapping[str, str] | None = None

    def words(self) -> list[str]:
        """The flags in their canonical order and spelling."""
        out: list[str] = []
        if self.no_index:
            out.append("--no-index")
        elif self.index_url is not None and self.index_url != self.default_index:
            out += ["--index-url", self.index_url]
        for url in self.extra_index_urls:
            out += ["--extra-index-url", url]
        for url in self.find_links:
            out += ["--find-links", url]
        out += [f"--index-of={k}={v}" for k, v in sorted((self.index_of or {}).items())]
        out += [f"--extra={e}" for e in self.extras] + [f"--group={g}" for g in self.groups]
        if self.all_extras:
            out.append("--all-extras")
        if self.pre:
            out.append("--pre")
        if self.torch_backend_pypi:
            out += ["--torch-backend", "pypi"]
        if self.torch_index_url is not None:
            out += ["--torch-index-url", self.torch_index_url]
        if self.headless:
            out.append("--headless")
        out += [f"--only-binary={n}" for n in sorted(self.only_binary)]
        out += [f"--no-binary={n}" for n in sorted(self.no_binary)]
        out += [f"--entry={k}={v}" for k, v in (self.entries or {}).items()]
        for path in self.overrides:
            out += ["--override", path]
        for path in self.constraints:
            out += ["--constraint", path]
        return out


def command_line(
    verb: str, inputs: Sequence[str], output: str | None, target: Target, flags: Sequence[str]
) -> str:
    """The header's command line: ``depslim VERB INPUTS [-o OUT] --python-version …``."""
    parts = ["depslim", verb, *inputs]
    if output is not None:
        parts += ["-o", output]
    parts += ["--python-version", target.python_full, "--python-platform", target.platform]
    parts += list(flags)
    return shlex.join(parts)


def parse_command(command: str) -> tuple[list[str], str | None, str | None]:
    """The flags of a header's command line, and its target version and platform."""
    try:
        tokens = shlex.split(command)
    except ValueError:
        return [], None, None
    values = {}
    last = 0
    for i, word in enumerate(tokens[:-1]):
        if word in ("--python-version", "--python-platform"):
            values[word] = tokens[i + 1]
            last = max(last, i + 2)
    return tokens[last:], values.get("--python-version"), values.get("--python-platform")


def flag_values(flags: Sequence[str], name: str) -> list[str]:
    """Every value of ``--name=VALUE`` or ``--name VALUE`` in ``flags``."""
    out = []
    for i, word in enumerate(flags):
        if word.startswith(f"--{name}="):
            out.append(word.split("=", 1)[1])
        elif word == f"--{name}" and i + 1 < len(flags):
            out.append(flags[i + 1])
    return out


def inputs_hash(
    requirements: Sequence[InputRequirement], target: Target, flags: Sequence[str]
) -> str:
    """Fingerprint of what decides the lock's content: requirements, target, options.

    Comments, ordering and file layout do not count. ``flags`` are the canonical options
    written into the lock's command line (everything but inputs, output and target).
    """
    doc = {
        "requirements": sorted(
            f"{'c' if r.constraint else 'r'} {r.requirement}" for r in requirements
        ),
        "target": [target.platform, target.python_full, target.libc_version, target.os_version],
        "flags": list(flags),
    }
    raw = json.dumps(doc, sort_keys=True, default=str).encode()
    return "sha256:" + hashlib.sha256(raw).hexdigest()
