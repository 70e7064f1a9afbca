"""One exception hierarchy for everything depslim reports to a user.

Each error carries a message meant for a human and the exit code the CLI uses:
0 ok, 1 a check failed / no solution, 2 bad input or usage, 3 network or index failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "RESOLUTION_FAILURES",
    "BuildFailedError",
    "BuildRequiredError",
    "Conflict",
    "DepslimError",
    "HashMismatchError",
    "IndexAccessError",
    "InputError",
    "NoSolutionError",
    "NotFoundError",
]


class DepslimError(Exception):
    """Base of every error depslim raises on purpose."""

    exit_code: int = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(DepslimError):
    """The user's input (a file, a flag, a config key) is wrong; the message says where."""

    exit_code = 2


class IndexAccessError(DepslimError):
    """A package index or the network failed: the message names the URL and the cause."""

    exit_code = 3

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class HashMismatchError(IndexAccessError):
    """Bytes read from an index do not match the hash the index (or the lock) gave."""


class NotFoundError(DepslimError):
    """A project or file does not exist on any index allowed for it."""

    exit_code = 1


class BuildRequiredError(DepslimError):
    """Reading a package's metadata would run its build backend, which is not allowed."""

    exit_code = 2


class BuildFailedError(DepslimError):
    """Running a package's build backend (allowed by the user) did not give its metadata.

    ``package`` names the distribution, ``step`` what was being done, ``output`` the last
    lines the build printed; the message holds all three.
    """

    exit_code = 2

    def __init__(self, message: str, *, package: str, step: str, output: str = "") -> None:
        super().__init__(message)
        self.package = package
        self.step = step
        self.output = output


@dataclass(frozen=True, slots=True)
class Conflict:
    """One requirement in a conflict: what was required, by whom, through which chain.

    ``required_by`` is a pinned candidate (``"a 1.0"``), an input line
    (``"requirements.in:3"``) or ``"you"``; ``chain`` walks from it to an input;
    ``versions`` are the versions that fit the target, newest first.
    """

    requirement: str
    required_by: str
    chain: tuple[str, ...] = ()
    versions: tuple[str, ...] = ()


class NoSolutionError(DepslimError):
    """The requirements cannot all be satisfied; the message explains the conflict.

    ``causes`` holds the conflict as data (:class:`Conflict`), ``swaps`` the GPU→CPU
    swaps the lock applied (a swapped name is a frequent reason); ``str()`` formats both.
    """

    exit_code = 1

    def __init__(
        self, message: str, *, causes: Sequence[Conflict] = (), swaps: Sequence[str] = ()
    ) -> None:
        super().__init__(message)
        self.causes = tuple(causes)
        self.swaps = tuple(swaps)

    def __str__(self) -> str:
        if not self.swaps:
            return self.message
        listed = "\n".join(f"  {swap}" for swap in self.swaps)
        return (
            f"{self.message}\nGPU→CPU swaps applied (a carried version must exist under the "
            f"new name; pin the CPU project yourself if it does not):\n{listed}"
        )

    def with_swaps(self, swaps: Sequence[str]) -> NoSolutionError:
        """The same conflict, naming the swaps that were applied."""
        return NoSolutionError(self.message, causes=self.causes, swaps=swaps)


#: What a resolution that could not finish raises (a conflict, a missing project or
#: file, a build refused or failed, an index failure): callers that can say more about
#: a failed resolution (``split`` naming the extra it comes from) catch these.
RESOLUTION_FAILURES: tuple[type[DepslimError], ...] = (
    NoSolutionError,
    NotFoundError,
    BuildRequiredError,
    BuildFailedError,
    IndexAccessError,
)
