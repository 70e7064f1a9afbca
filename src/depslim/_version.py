"""depslim's own version, read from the installed distribution's metadata."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version

__all__ = ["package_version"]


@cache
def package_version() -> str:
    """The installed version, or ``0+unknown`` when running from a bare source tree."""
    try:
        return _dist_version("depslim")
    except PackageNotFoundError:
        return "0+unknown"
