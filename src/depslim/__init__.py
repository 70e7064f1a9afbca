"""depslim: small, fast-to-build Docker images from a Python application's dependencies.

The public API (no logic lives here)::

    import depslim

    target = depslim.Target.parse("linux/amd64", python="3.11")
    result = depslim.lock(["requirements.in"], target=target)
    result.write("requirements.txt")
"""

from depslim.api import LockResult, lock
from depslim.errors import (
    BuildFailedError,
    BuildRequiredError,
    DepslimError,
    HashMismatchError,
    IndexAccessError,
    InputError,
    NoSolutionError,
    NotFoundError,
)
from depslim.models import Lock, Pin, PinnedFile
from depslim.target import Target

__all__ = [
    "BuildFailedError",
    "BuildRequiredError",
    "DepslimError",
    "HashMismatchError",
    "IndexAccessError",
    "InputError",
    "Lock",
    "LockResult",
    "NoSolutionError",
    "NotFoundError",
    "Pin",
    "PinnedFile",
    "Target",
    "lock",
]
