"""The functions build scripts import: each composes the pipeline's stages.

This is the edge of the house that touches files and the environment: it reads
inputs and ``[tool.depslim]``, builds the index client, runs the stages and writes
results atomically. The stages it calls are pure. One module per verb.
"""

from depslim.api._files import PYPI, find_project_config, load_settings, write_atomic
from depslim.api.check import CheckResult, check
from depslim.api.layers import LayersResult, layers
from depslim.api.lock import LockResult, lock
from depslim.api.report import report
from depslim.api.split import SplitResult, split

__all__ = [
    "PYPI",
    "CheckResult",
    "LayersResult",
    "LockResult",
    "SplitResult",
    "check",
    "find_project_config",
    "layers",
    "load_settings",
    "lock",
    "report",
    "split",
    "write_atomic",
]
