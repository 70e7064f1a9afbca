"""depslim: small, fast-to-build Docker images from a Python application's dependencies.

The public API (no logic lives here)::

    import depslim

    result = depslim.lock(["requirements.in"], python_version="3.11")
    result.write("requirements.txt")
    print(depslim.report(result).installed_size)
    depslim.layers(result).write("layers")

Every verb takes a path or the value the previous verb returned, keyword options named
like ``[tool.depslim]`` keys (``index_url=…``, ``torch_backend="pypi"``), or a
:class:`Session` to share settings, cache and index client between verbs. Names are
loaded on first use, so ``import depslim`` is cheap.

Three verbs share their name with the stage that does their work: ``depslim.layers``,
``depslim.report`` and ``depslim.check`` are always the verbs; the stages are imported
by their full name (``from depslim.layers import partition``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from depslim._lazy import keep_verbs

if TYPE_CHECKING:
    from depslim.api import (
        CheckResult,
        LayersResult,
        LockResult,
        Session,
        SizeReport,
        SplitResult,
        WhyResult,
        check,
        layers,
        lock,
        report,
        split,
        why,
    )
    from depslim.errors import (
        BuildFailedError,
        BuildRequiredError,
        Conflict,
        DepslimError,
        HashMismatchError,
        IndexAccessError,
        InputError,
        NoSolutionError,
        NotFoundError,
    )
    from depslim.models import Lock, Pin, PinnedFile
    from depslim.settings import Options, Settings, load_settings
    from depslim.target import Target

_WHERE = {
    "depslim.api": (
        "CheckResult",
        "LayersResult",
        "LockResult",
        "Session",
        "SizeReport",
        "SplitResult",
        "WhyResult",
        "check",
        "layers",
        "lock",
        "report",
        "split",
        "why",
    ),
    "depslim.errors": (
        "BuildFailedError",
        "Conflict",
        "BuildRequiredError",
        "DepslimError",
        "HashMismatchError",
        "IndexAccessError",
        "InputError",
        "NoSolutionError",
        "NotFoundError",
    ),
    "depslim.models": ("Lock", "Pin", "PinnedFile"),
    "depslim.settings": ("Options", "Settings", "load_settings"),
    "depslim.target": ("Target",),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}

__all__ = [
    "BuildFailedError",
    "BuildRequiredError",
    "CheckResult",
    "Conflict",
    "DepslimError",
    "HashMismatchError",
    "IndexAccessError",
    "InputError",
    "LayersResult",
    "Lock",
    "LockResult",
    "NoSolutionError",
    "NotFoundError",
    "Options",
    "Pin",
    "PinnedFile",
    "Session",
    "Settings",
    "SizeReport",
    "SplitResult",
    "Target",
    "WhyResult",
    "check",
    "layers",
    "load_settings",
    "lock",
    "report",
    "split",
    "why",
]


keep_verbs(__name__, ("lock", "split", "layers", "report", "check", "why"))


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'depslim' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
