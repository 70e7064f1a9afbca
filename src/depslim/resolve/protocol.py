"""What the resolver needs from the outside world, declared by the resolver itself.

The index client (``depslim.index``) implements :class:`PackageFinder`; tests can
hand the resolver any other object with these methods.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from packaging.utils import NormalizedName

from depslim.models import CoreMetadata, Link

__all__ = ["DirectReferences", "PackageFinder"]


class PackageFinder(Protocol):
    """Where candidates and their metadata come from (index routing already applied)."""

    def links(self, name: NormalizedName) -> Sequence[Link]:
        """Every file that the indexes allowed for ``name`` offer; empty if none has it.

        Raises :class:`depslim.errors.IndexAccessError` when an index fails to answer
        (never an empty list for a page that failed to load).
        """
        ...

    def metadata(self, link: Link) -> CoreMetadata:
        """Core metadata of one file: PEP 658 file, else range requests, else download.

        Raises :class:`depslim.errors.BuildRequiredError` for an sdist whose metadata is
        not static when builds are not allowed.
        """
        ...

    def prefetch(self, names: Iterable[NormalizedName]) -> None:
        """Start fetching these projects' pages in the background; return at once."""
        ...

    def prefetch_metadata(self, links: Iterable[Link]) -> None:
        """Start fetching these files' metadata in the background; return at once."""
        ...

    def searched(self, name: NormalizedName) -> Sequence[str]:
        """The indexes asked for ``name`` and what they answered (for error messages)."""
        ...

    def link_for_url(self, name: NormalizedName, url: str) -> Link:
        """A link for a direct reference (``name @ url``); hash from the URL fragment if any.

        Raises :class:`depslim.errors.InputError` when the URL does not name a wheel or
        sdist of ``name``.
        """
        ...

    def file_sha256(self, link: Link) -> str:
        """The file's sha256: the index's if it gave one, else download and hash it."""
        ...


class DirectReferences(Protocol):
    """Where direct references to source repositories (``name @ git+https://…@ref``) are
    pinned and read; direct references to files go through :class:`PackageFinder`."""

    def pin_url(self, name: NormalizedName, url: str) -> str:
        """The URL that pins ``url`` for good (a git ref replaced by its commit).

        Raises :class:`depslim.errors.InputError` for a URL it cannot read and
        :class:`depslim.errors.IndexAccessError` when the repository does not answer.
        """
        ...

    def metadata(self, name: NormalizedName, url: str) -> CoreMetadata:
        """Core metadata of the project at ``url``.

        Raises :class:`depslim.errors.BuildRequiredError` when it would take a build
        that is not allowed.
        """
        ...
