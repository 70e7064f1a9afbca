"""A Griffe extension: Sphinx roles in depslim's docstrings read as Markdown code.

depslim's docstrings cross-reference in reStructuredText (``:func:`lock```,
``:class:`~depslim.models.Lock```). mkdocstrings renders docstrings as Markdown, where
a role would show as a stray ``:func:`` before the name; this extension rewrites each
role to a code span of its target (the last dotted part when written with ``~``, the
title when written as ``title <target>``). Nothing else in a docstring changes.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

__all__ = ["SphinxRoles", "strip_roles"]

_ROLE = re.compile(r":(?:py:)?(?:func|class|mod|meth|attr|data|exc|obj|const|term):`([^`]+)`")


def _target(match: re.Match[str]) -> str:
    text = match.group(1).strip()
    titled = re.fullmatch(r"(.+?)\s*<[^>]+>", text)
    if titled:
        return f"`{titled.group(1)}`"
    if text.startswith("~"):
        text = text[1:].rsplit(".", 1)[-1]
    elif text.startswith("."):
        text = text.lstrip(".")
    return f"`{text}`"


def strip_roles(text: str) -> str:
    """``see :func:`~depslim.api.lock``` → ``see `lock```."""
    return _ROLE.sub(_target, text)


class SphinxRoles(griffe.Extension):
    """Rewrite the roles of every docstring as it is loaded."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = strip_roles(obj.docstring.value)
