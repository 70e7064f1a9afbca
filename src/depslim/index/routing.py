"""Which project may come from which index: a security boundary, not a preference.

Rules, in the order they apply:

1. A **bound** project (the torch family bound to the PyTorch CPU index, say) is looked
   up on its bound indexes and nowhere else, so a look-alike upload elsewhere can never
   win.
2. An **exclusive** index gives nothing but its bound projects. The PyTorch index also
   mirrors numpy, jinja2, … : taking those from it is how the 2022 ``torchtriton``
   dependency-confusion attack got in, so an unbound project is never looked up there.
3. Every other project is looked up on **every** default index (``--index-url`` and each
   ``--extra-index-url``); when more than one offers it with different files, the client
   refuses it (:mod:`depslim.index.binding`) until the user binds it with ``index-of``,
   in either order of the indexes (pip merges all indexes and takes the highest
   version, which is the confusion attack). Identical files (a mirror) are fine.
   ``--find-links`` locations are always merged in: they name files the user chose.

Pure: :class:`Routing` only says which sources to ask; the client does the asking.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit

from packaging.utils import NormalizedName, canonicalize_name

from depslim.models import IndexSource

__all__ = [
    "FIND_LINKS",
    "SIMPLE",
    "Routing",
    "bound_routing",
    "looks_like_pytorch_index",
    "same_index",
    "sibling_index",
]

SIMPLE = "simple"
FIND_LINKS = "find-links"


def _key(url: str) -> str:
    """The form two spellings of one index URL share (trailing slashes do not matter)."""
    return url.strip().rstrip("/")


def same_index(a: str, b: str) -> bool:
    """Whether two index URLs name the same index."""
    return _key(a) == _key(b)


def _empty_bound() -> Mapping[NormalizedName, tuple[IndexSource, ...]]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class Routing:
    """Where each project may be looked up.

    ``default`` holds the simple indexes in the order they are asked (``--index-url``
    first, then ``--extra-index-url``); ``find_links`` the ``--find-links`` locations;
    ``bound`` the projects that may come only from the given sources; ``exclusive`` the
    URLs of indexes from which nothing but their bound projects may be taken.
    """

    default: tuple[IndexSource, ...] = ()
    find_links: tuple[IndexSource, ...] = ()
    bound: Mapping[NormalizedName, tuple[IndexSource, ...]] = field(default_factory=_empty_bound)
    exclusive: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # Normalise once so that lookups by any spelling of a name or URL agree.
        bound = {canonicalize_name(name): tuple(sources) for name, sources in self.bound.items()}
        object.__setattr__(self, "bound", MappingProxyType(bound))
        object.__setattr__(self, "exclusive", frozenset(_key(url) for url in self.exclusive))

    @classmethod
    def simple(
        cls,
        index_url: str | None,
        extra_index_urls: Iterable[str] = (),
        find_links: Iterable[str] = (),
    ) -> Routing:
        """Routing for plain pip-style options: no bound project, no exclusive index.

        ``index_url=None`` is pip's ``--no-index``: only the extra indexes (if any) and
        the find-links locations are used.
        """
        urls = (*(() if index_url is None else (index_url,)), *extra_index_urls)
        return cls(
            default=tuple(IndexSource(url=u) for u in urls),
            find_links=tuple(IndexSource(url=u, kind=FIND_LINKS) for u in find_links),
        )

    def is_exclusive(self, url: str) -> bool:
        """Whether ``url`` is an index that may serve only its bound projects."""
        return _key(url) in self.exclusive

    def sources_for(self, name: str) -> tuple[IndexSource, ...]:
        """The sources ``name`` may be looked up on, in the order they are asked.

        Simple indexes come first, in order (the first that has the project wins), then
        the find-links locations (always merged in).
        """
        project = canonicalize_name(name)
        bound = self.bound.get(project)
        if bound is not None:
            simple = tuple(s for s in bound if s.kind != FIND_LINKS)
            links = tuple(s for s in bound if s.kind == FIND_LINKS)
            return simple + links
        return tuple(s for s in (*self.default, *self.find_links) if not self.is_exclusive(s.url))

    def allows(self, name: str, index_url: str) -> bool:
        """Whether a file of ``name`` may be taken from ``index_url`` (e.g. a lock's entry)."""
        return any(same_index(s.url, index_url) for s in self.sources_for(name))


# ---- binding the torch family ------------------------------------------------------------

_PYTORCH_PATH = re.compile(r"/whl/(cpu|cu\d+|rocm[\d.]+|xpu)(/|$)", re.IGNORECASE)


def looks_like_pytorch_index(url: str) -> bool:
    """Whether ``url`` is a PyTorch wheel index (``…/whl/cpu``, ``…/whl/cu121``, …)."""
    parts = urlsplit(url)
    return parts.hostname == "download.pytorch.org" or bool(_PYTORCH_PATH.search(parts.path))


def sibling_index(url: str, label: str) -> str:
    """``…/whl/cpu`` → ``…/whl/cu121``: where PyTorch serves builds with that label."""
    base = url.rstrip("/")
    head, _, last = base.rpartition("/")
    return f"{head}/{label}" if last == "cpu" else base


def bound_routing(
    plain: Routing,
    *,
    index_url: str,
    family: Iterable[NormalizedName],
    labels: Mapping[NormalizedName, str] | None = None,
) -> Routing:
    """``plain`` with every ``family`` project bound to ``index_url`` (exclusive).

    A project with an explicit GPU build label (``labels``: ``torch`` → ``cu121``) is
    bound to the sibling index that serves it (``…/whl/cu121``) instead.
    """
    bound: dict[NormalizedName, tuple[IndexSource, ...]] = {}
    exclusive = {index_url}
    for name in sorted(family):
        label = (labels or {}).get(name)
        url = sibling_index(index_url, label) if label else index_url
        exclusive.add(url)
        bound[name] = (IndexSource(url=url),)
    return Routing(
        default=plain.default,
        find_links=plain.find_links,
        bound=bound,
        exclusive=frozenset(exclusive),
    )
