"""The verbs build scripts import: each composes the pipeline's stages.

This is the edge of the house that touches files and the environment: it reads inputs,
merges settings once (:mod:`depslim.settings`), opens one :class:`Session` (cache and
index client), runs the stages and writes results atomically. The stages it calls
are pure. One module per verb; no verb imports another. What verbs share lives in the
private modules: ``_session`` (settings, cache, client), ``_locking`` (a resolution
into a lock), ``_sizes`` (what a lock weighs), ``_files`` (reading and writing files).
"""

from depslim.api._locking import LockResult
from depslim.api._session import Session
from depslim.api.check import CheckResult, check
from depslim.api.layers import LayersResult, layers
from depslim.api.lock import lock
from depslim.api.report import report
from depslim.api.split import SplitResult, split
from depslim.api.why import WhyResult, why
from depslim.report import SizeReport

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
