"""The verbs build scripts import: each composes the pipeline's stages.

This is the edge of the house that touches files and the environment: it reads inputs,
merges settings once (:mod:`depslim.settings`), opens one :class:`Session` (cache and
index client), runs the stages and writes results atomically. The stages it calls
are pure. One module per verb; no verb imports another. What verbs share lives in the
private modules: ``_session`` (settings, cache, client), ``_locking`` (a resolution
into a lock), ``_sizes`` (what a lock weighs), ``_files`` (reading and writing files).

Names load on first use, so a command imports only the verb it runs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from depslim._lazy import keep_verbs

if TYPE_CHECKING:
    from depslim.api._locking import LockResult
    from depslim.api._session import Session
    from depslim.api.check import CheckResult, check
    from depslim.api.layers import LayersResult, layers
    from depslim.api.lock import lock
    from depslim.api.report import report
    from depslim.api.split import SplitResult, split
    from depslim.api.why import WhyResult, why
    from depslim.report import SizeReport

_MODULE_OF = {
    "LockResult": "depslim.api._locking",
    "Session": "depslim.api._session",
    "CheckResult": "depslim.api.check",
    "check": "depslim.api.check",
    "LayersResult": "depslim.api.layers",
    "layers": "depslim.api.layers",
    "lock": "depslim.api.lock",
    "report": "depslim.api.report",
    "SplitResult": "depslim.api.split",
    "split": "depslim.api.split",
    "WhyResult": "depslim.api.why",
    "why": "depslim.api.why",
    "SizeReport": "depslim.report",
}

__all__ = [
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
]


keep_verbs(__name__, ("lock", "split", "layers", "report", "check", "why"))


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'depslim.api' has no attribute {name!r}")
    return getattr(import_module(module), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
