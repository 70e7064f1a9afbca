"""depslim's own version, read from the installed distribution's metadata."""

from __future__ import annotations

from functools import cache

__all__ = ["package_version"]


@cache
def package_version() -> str:
    """The installed version, or ``0+unknown`` when running from a bare source tree."""
    from importlib.metadata import PackageNotFoundError, version  # only when asked

    try:
        return version("depslim")
    except PackageNotFoundError:
        return "0+unknown"
