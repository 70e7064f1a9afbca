"""Suite-wide set-up.

Sockets to anything but loopback are refused for the whole run (pytest-socket, set in
pyproject's addopts); the shared fixtures (wheel builder, local index server) live in
``tests/support`` and are registered here.
"""

from __future__ import annotations

pytest_plugins = ["support.fixtures", "support.offline"]
