"""Suite-wide set-up.

Sockets to anything but loopback are refused for the whole run (pytest-socket, set in
pyproject's addopts); the shared fixtures (wheel builder, local index server) live in
``tests/support`` and are registered here.

Property tests run with no per-example deadline and without Hypothesis's "input
generation is slow" health check: the suite runs on every core (pytest-xdist) of
machines that other jobs share, where a draw can stall for a second with nothing wrong.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

pytest_plugins = ["support.fixtures", "support.offline"]

settings.register_profile("depslim", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("depslim")
