"""Fuzz tests: every parser of user or index input either succeeds or raises a DepslimError.

``cli_fuzz`` marks the tests that run the real CLI in a subprocess on generated inputs.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "cli_fuzz: runs `python -m depslim` in a subprocess on generated inputs (a few seconds)",
    )
