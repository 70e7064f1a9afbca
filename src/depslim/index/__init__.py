"""Package indexes: the only part of depslim that talks to the network.

:class:`IndexClient` (pages, metadata, file hashes; retries, caps, prefetching) is what
the resolver uses, through :class:`depslim.resolve.protocol.PackageFinder`;
:class:`Routing` says which project may come from which index; :class:`Cache` keeps
pages (revalidated), metadata and computed hashes on disk. The parsers (``pages``,
``filenames``, ``metadata``) are pure and may be used on their own.
"""

from __future__ import annotations

from depslim.index.cache import Cache, CachedPage
from depslim.index.client import ACCEPT, ClientSettings, EventCallback, IndexClient, project_url
from depslim.index.routing import FIND_LINKS, SIMPLE, Routing, same_index

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
