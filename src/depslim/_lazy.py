"""Packages whose verbs share their names with submodules (``depslim.report`` the verb,
``depslim/report.py`` the stage): importing the submodule must not hide the verb."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from types import ModuleType
from typing import Any

__all__ = ["keep_verbs"]


def keep_verbs(module_name: str, verbs: Iterable[str]) -> None:
    """Make ``module_name`` ignore a submodule import that would rebind one of ``verbs``.

    The import system binds ``package.child`` on the package after importing a child
    module; for these names the package keeps its verb (reached through its PEP 562
    ``__getattr__``), and the submodule stays reachable through ``sys.modules`` and
    ``from package.child import …``.
    """
    names = frozenset(verbs)

    class _Package(ModuleType):
        def __setattr__(self, name: str, value: Any) -> None:
            if name in names and isinstance(value, ModuleType):
                return
            super().__setattr__(name, value)

    module = sys.modules[module_name]
    module.__class__ = _Package
    for name in names:  # a child imported before this call already rebound the name
        if isinstance(module.__dict__.get(name), ModuleType):
            del module.__dict__[name]
