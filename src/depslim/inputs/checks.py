"""Checks a parsed requirement must pass before anything downstream relies on it.

:mod:`packaging` accepts some requirements that later steps can't use: a direct
reference whose URL :func:`urllib.parse.urlsplit` rejects (``x @ http://[::1/x.whl``),
or a marker no environment can decide (``python_full_version === ''``). Both are
caught here, where the file and line are still known.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from packaging.markers import Marker
from packaging.requirements import Requirement

from depslim.errors import InputError
from depslim.target import Target

__all__ = ["check_marker", "check_requirement", "check_url"]

# Targets a marker is tried on: between them they give every environment name a
# value of each usual kind (posix and nt, three platforms, two Python versions).
_PROBES = (
    Target.parse("linux/amd64", python="3.11"),
    Target.parse("windows/amd64", python="3.12.1"),
    Target.parse("macos/arm64", python="3.13"),
)
_NEEDS_HOST = frozenset({"http", "https"})


def check_requirement(requirement: Requirement, *, raw: str, where: object) -> None:
    """Raise :class:`InputError` naming ``where`` (``file:line``) and ``raw`` if unusable."""
    if requirement.url is not None:
        check_url(requirement.url, raw=raw, where=where)
    if requirement.marker is not None:
        check_marker(requirement.marker, where=where)


def check_url(url: str, *, raw: str, where: object) -> None:
    """A direct reference's URL must split into parts, with a host for http(s)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is no number raises here
    except ValueError as exc:
        raise InputError(
            f"{where}: invalid URL in '{raw}' ({exc}); write 'name @ https://host/path/file.whl'"
        ) from None
    if parts.scheme.lower() in _NEEDS_HOST and not parts.hostname:
        raise InputError(
            f"{where}: the URL in '{raw}' names no host; write 'name @ https://host/path/file.whl'"
        )


def check_marker(marker: Marker, *, where: object) -> None:
    """Raise :class:`InputError` when ``marker`` can't be evaluated on usual targets."""
    key = str(marker)
    if key not in _CHECKED:
        if len(_CHECKED) > 4096:
            _CHECKED.clear()
        _CHECKED[key] = _marker_problem(marker)
    message = _CHECKED[key]
    if message is not None:
        raise InputError(f"{where}: {message}")


_CHECKED: dict[str, str | None] = {}


def _marker_problem(marker: Marker) -> str | None:
    try:
        for target in _PROBES:
            target.marker_applies(marker)
    except InputError as exc:
        return str(exc)
    return None
