"""What a distribution's file name says: project, version, kind, wheel tags, build tag.

Pure and forgiving: anything that is not a wheel or an sdist, or that does not parse,
gives ``None`` rather than an exception, because index pages list all sorts of files
(``.exe`` installers, ``.egg`` files, signatures) next to the ones we can use.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TypeAlias
from urllib.parse import unquote

from packaging.tags import Tag, parse_tag
from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from depslim.models import DistKind

__all__ = ["SDIST_EXTENSIONS", "ParsedFilename", "parse_filename", "sdist_extension"]

ParsedFilename: TypeAlias = tuple[
    NormalizedName, Version, DistKind, frozenset[Tag], tuple[int, str] | tuple[()]
]
"""``(name, version, kind, tags, build)`` as :func:`parse_filename` returns it."""

# Longest first, so ".tar.gz" wins over ".gz"-like suffixes. ".zip" and ".tar.gz" are the
# standard ones; the others are legacy sdist formats pip still accepts.
SDIST_EXTENSIONS = (
    ".tar.lzma",
    ".tar.bz2",
    ".tar.gz",
    ".tar.xz",
    ".tar.lz",
    ".tar",
    ".tbz",
    ".tgz",
    ".tlz",
    ".txz",
    ".zip",
)

# PEP 508 project names: letters, digits, and ``-_.`` inside.
_NAME_RE = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def sdist_extension(filename: str) -> str | None:
    """The sdist archive extension ``filename`` ends with (lower-cased), or ``None``."""
    lowered = filename.lower()
    for ext in SDIST_EXTENSIONS:
        if lowered.endswith(ext):
            return ext
    return None


def parse_filename(filename: str, *, project: str | None = None) -> ParsedFilename | None:
    """Parse a wheel or sdist file name; ``None`` if it is neither or does not parse.

    Returns ``(name, version, kind, tags, build)``: ``tags`` is empty and ``build`` is
    ``()`` for an sdist. Percent-escapes are decoded first (``%2B`` → ``+``, as the
    PyTorch index serves local versions). ``project`` is a hint for sdists, whose
    names and versions are both separated by dashes (``foo-bar-1.0-1.tar.gz``): the
    name is split where its prefix normalizes to ``project``. The hint never filters:
    a file of another project still parses, under its own name.
    """
    if "%" in filename:
        filename = unquote(filename)
    if not filename or "/" in filename or "\\" in filename:
        return None
    if filename.endswith(".whl"):
        return _parse_wheel(filename)
    ext = sdist_extension(filename)
    if ext is None:
        return None
    return _parse_sdist(filename[: -len(ext)], project)


def _parse_wheel(filename: str) -> ParsedFilename | None:
    # Index pages list thousands of wheels sharing a handful of versions and tag
    # triples: parse those parts once each (the full name is validated by packaging).
    parts = filename[:-4].split("-")
    if len(parts) in (5, 6):
        version = _version(parts[1])
        tags = _tags("-".join(parts[-3:]))
        if version is not None and tags is not None and len(parts) == 5:
            name = _wheel_name(parts[0])
            if name is not None:
                return name, version, DistKind.WHEEL, tags, ()
    try:
        name, parsed_version, build, parsed_tags = parse_wheel_filename(filename)
    except (InvalidWheelFilename, InvalidVersion):
        return None
    return name, parsed_version, DistKind.WHEEL, parsed_tags, build


@lru_cache(maxsize=4096)
def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


@lru_cache(maxsize=4096)
def _tags(text: str) -> frozenset[Tag] | None:
    try:
        return parse_tag(text)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _wheel_name(text: str) -> NormalizedName | None:
    # The wheel spec escapes runs of -_. as "_"; a name may not hold a dash here.
    if not _NAME_RE.match(text) or "__" in text:
        return None
    return canonicalize_name(text)


def _parse_sdist(stem: str, project: str | None) -> ParsedFilename | None:
    dashes = [i for i, char in enumerate(stem) if char == "-"]
    if project is not None:
        wanted = canonicalize_name(project)
        for i in dashes:
            if canonicalize_name(stem[:i]) == wanted:
                parsed = _split_at(stem, i)
                if parsed is not None:
                    return parsed
    # Without a (matching) hint, take the leftmost dash after which a version parses
    # that starts with a digit: versions with dashes (``1.0-1`` is ``1.0.post1``) are
    # commoner than names with a digit-led segment that also parses as a version.
    for i in dashes:
        if stem[i + 1 : i + 2].isdigit():
            parsed = _split_at(stem, i)
            if parsed is not None:
                return parsed
    for i in reversed(dashes):
        parsed = _split_at(stem, i)
        if parsed is not None:
            return parsed
    return None


def _split_at(stem: str, i: int) -> ParsedFilename | None:
    name_part, version_part = stem[:i], stem[i + 1 :]
    if not _NAME_RE.match(name_part):
        return None
    try:
        version = Version(version_part)
    except InvalidVersion:
        return None
    return canonicalize_name(name_part), version, DistKind.SDIST, frozenset(), ()
