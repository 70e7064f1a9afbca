"""What every fuzz test asserts: a parser returns, or raises a DepslimError that says something."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from depslim.errors import DepslimError

__all__ = ["EXIT_CODES", "succeeds_or_depslim_error"]

T = TypeVar("T")
P = ParamSpec("P")

EXIT_CODES = frozenset({0, 1, 2, 3})
"""ok, no solution / findings, bad input, network or index."""


def succeeds_or_depslim_error(call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
    """``call(*args, **kwargs)``, or ``None`` when it raised a :class:`DepslimError`.

    Any other exception propagates and fails the test (hypothesis then shrinks the
    input that raised it). A DepslimError must carry a message and a documented exit code.
    """
    try:
        return call(*args, **kwargs)
    except DepslimError as exc:
        assert str(exc).strip(), f"{type(exc).__name__} without a message"
        assert exc.exit_code in EXIT_CODES - {0}, exc.exit_code
        return None
