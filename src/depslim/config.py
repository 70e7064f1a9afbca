"""``[tool.depslim]`` → a frozen, validated :class:`ConfigValues`.

A key is the long CLI flag's name without ``--`` (``python-version = "3.11"``);
command-line flags override it. Unknown keys and wrong types are errors that name
the file, the line and the key. Pure: the API reads the file and passes the table.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from depslim.errors import InputError

__all__ = ["ALIASES", "KEYS", "ConfigValues", "line_of", "parse_settings"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigValues:
    """Options from ``[tool.depslim]`` (or another source); ``None`` means "not set here"."""

    python_version: str | None = None
    python_platform: str | None = None
    index_url: str | None = None
    extra_index_url: tuple[str, ...] | None = None
    find_links: tuple[str, ...] | None = None
    no_index: bool | None = None
    only_binary: tuple[str, ...] | None = None
    no_binary: tuple[str, ...] | None = None
    output_file: str | None = None
    format: str | None = None
    no_extra: tuple[str, ...] | None = None
    no_group: tuple[str, ...] | None = None
    only_group: tuple[str, ...] | None = None
    index_of: Mapping[str, str] | None = None
    overrides: tuple[str, ...] | None = None
    constraints: tuple[str, ...] | None = None
    extra: tuple[str, ...] | None = None
    group: tuple[str, ...] | None = None
    all_extras: bool | None = None
    pre: bool | None = None
    allow_build: bool | None = None
    cache_dir: str | None = None
    no_cache: bool | None = None
    offline: bool | None = None
    no_verify_hashes: bool | None = None
    timeout: float | None = None
    retries: int | None = None
    concurrency: int | None = None
    torch_backend: str | None = None
    torch_index_url: str | None = None
    torch_family: tuple[str, ...] | None = None
    headless: bool | None = None
    report: bool | None = None
    entries: Mapping[str, str] | None = None
    exclude: tuple[str, ...] | None = None
    order: str | None = None
    max_layers: int | None = None
    max_layer_size: str | None = None
    closed_layers: bool | None = None
    history_months: int | None = None
    ignore: tuple[str, ...] | None = None


# key → (type, allowed values or None)
#: other spellings of a key (uv's ``extras`` and ``groups``)
ALIASES = {"extras": "extra", "groups": "group"}

KEYS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "python-version": ("str", None),
    "python-platform": ("str", None),
    "index-url": ("str", None),
    "extra-index-url": ("list", None),
    "find-links": ("list", None),
    "no-index": ("bool", None),
    "only-binary": ("list", None),
    "no-binary": ("list", None),
    "output-file": ("str", None),
    "format": ("str", ("requirements", "pylock", "json")),
    "index-of": ("table", None),
    "overrides": ("list", None),
    "constraints": ("list", None),
    "extra": ("list", None),
    "group": ("list", None),
    "all-extras": ("bool", None),
    "no-extra": ("list", None),
    "no-group": ("list", None),
    "only-group": ("list", None),
    "pre": ("bool", None),
    "allow-build": ("bool", None),
    "cache-dir": ("str", None),
    "no-cache": ("bool", None),
    "offline": ("bool", None),
    "no-verify-hashes": ("bool", None),
    "timeout": ("float", None),
    "retries": ("int", None),
    "concurrency": ("int", None),
    "torch-backend": ("str", ("cpu", "pypi")),
    "torch-index-url": ("str", None),
    "torch-family": ("list", None),
    "headless": ("bool", None),
    "report": ("bool", None),
    "entries": ("table", None),
    "exclude": ("list", None),
    "order": ("str", ("alphabetical", "change-frequency")),
    "max-layers": ("int", None),
    "max-layer-size": ("str", None),
    "closed-layers": ("bool", None),
    "history-months": ("int", None),
    "ignore": ("list", None),
}

assert {k.replace("-", "_") for k in KEYS} == {f.name for f in fields(ConfigValues)}


def line_of(key: str, text: str | None) -> int | None:
    """The line of ``key`` in the ``[tool.depslim]`` table of ``text``, if it is there."""
    if not text:
        return None
    in_table = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_table = stripped.startswith("[tool.depslim")
            continue
        if in_table and re.match(rf"[\"']?{re.escape(key)}[\"']?\s*[=.]", stripped):
            return number
    return None


def parse_settings(
    table: Mapping[str, Any], *, source: str, text: str | None = None
) -> ConfigValues:
    """Validate a ``[tool.depslim]`` table; ``source`` is the file name used in errors."""
    values: dict[str, Any] = {}
    for spelled, value in table.items():
        line = line_of(spelled, text)
        where = f"{source}:{line}" if line else source
        key = ALIASES.get(spelled, spelled)
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            known = ", ".join(sorted(KEYS))
            raise InputError(
                f"{where}: unknown key {key!r} in [tool.depslim].{hint} Known keys: {known}"
            )
        kind, allowed = KEYS[key]
        values[key.replace("-", "_")] = _convert(key, value, kind, allowed, where)
    return ConfigValues(**values)


def _convert(key: str, value: Any, kind: str, allowed: tuple[str, ...] | None, where: str) -> Any:
    def bad(expected: str) -> InputError:
        return InputError(f"{where}: [tool.depslim] {key} must be {expected}, not {value!r}")

    if kind == "bool":
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise bad("a non-negative integer")
        return value
    if kind == "float":
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value <= 0
        ):
            raise bad("a positive, finite number")
        return float(value)
    if kind == "str":
        if isinstance(value, int) and not isinstance(value, bool) and key == "max-layer-size":
            return str(value)
        if not isinstance(value, str) or not value:
            raise bad("a non-empty string")
        if allowed and value not in allowed:
            raise bad("one of " + ", ".join(repr(a) for a in allowed))
        return value
    if kind == "list":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise bad("a string or a list of strings")
        return tuple(items)
    if kind == "table":
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise bad('a table of strings, like { api = "app.main" }')
        return dict(value)
    raise AssertionError(kind)  # pragma: no cover
