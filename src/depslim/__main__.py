"""``python -m depslim``."""

from depslim.cli import entry

entry()
