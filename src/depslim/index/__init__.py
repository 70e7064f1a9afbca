"""Package indexes: the only part of depslim that talks to the network.

:class:`IndexClient` (pages, metadata, file hashes; retries, caps, prefetching) is what
the resolver uses, through :class:`depslim.resolve.protocol.PackageFinder`;
:class:`Routing` says which project may come from which index; :class:`Cache` keeps
pages (revalidated), metadata and computed hashes on disk. The parsers (``pages``,
``filenames``, ``metadata``) are pure and may be used on their own.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from depslim.index.cache import Cache, CachedPage
    from depslim.index.client import (
        ACCEPT,
        ClientSettings,
        EventCallback,
        IndexClient,
        project_url,
    )
    from depslim.index.routing import FIND_LINKS, SIMPLE, Routing, same_index

# Loaded on first use (PEP 562), so that importing a pure part (``depslim.index.pages``,
# ``depslim.index.cache``) does not load httpx and the whole client.
_WHERE = {
    "Cache": "cache",
    "CachedPage": "cache",
    "ACCEPT": "client",
    "ClientSettings": "client",
    "EventCallback": "client",
    "IndexClient": "client",
    "project_url": "client",
    "FIND_LINKS": "routing",
    "SIMPLE": "routing",
    "Routing": "routing",
    "same_index": "routing",
}

__all__ = [
    "ACCEPT",
    "FIND_LINKS",
    "SIMPLE",
    "Cache",
    "CachedPage",
    "ClientSettings",
    "EventCallback",
    "IndexClient",
    "Routing",
    "project_url",
    "same_index",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'depslim.index' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"depslim.index.{module}"), name)
    globals()[name] = value
    return value
