"""Values shared by every stage of the pipeline.

Everything here is a frozen, slotted, keyword-only dataclass: stages hand these to
each other and nobody mutates them. Project names are always
:class:`packaging.utils.NormalizedName`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from types import MappingProxyType

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from depslim.target import Target

__all__ = [
    "CoreMetadata",
    "DistKind",
    "IndexSource",
    "InputRequirement",
    "Inputs",
    "Link",
    "Location",
    "Lock",
    "Pin",
    "PinnedFile",
    "ProjectPage",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    """A place in a user's file: the thing every error message points at."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexSource:
    """One place packages may come from.

    ``kind`` is ``"simple"`` for a PEP 503/691 index (http(s) or ``file://``, or a
    directory laid out like one) and ``"find-links"`` for a flat directory or a
    single HTML page listing files, as pip's ``--find-links`` has it.
    """

    url: str
    kind: str = "simple"
    name: str = ""

    def __str__(self) -> str:
        return self.url


class DistKind(Enum):
    """What a distribution file is."""

    WHEEL = "wheel"
    SDIST = "sdist"


def _frozen_map(value: Mapping[str, str] | None = None) -> Mapping[str, str]:
    return MappingProxyType(dict(value or {}))


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    """One distribution file offered by an index, with what the index says about it.

    ``hashes`` maps a hash name (``sha256``) to its hex digest as the index gave it.
    ``metadata_hashes`` is ``None`` when the index does not advertise PEP 658 metadata,
    an empty mapping when it does but without a hash.
    """

    url: str
    filename: str
    name: NormalizedName
    version: Version
    kind: DistKind
    index: str
    tags: frozenset[Tag] = frozenset()
    build: tuple[int, str] | tuple[()] = ()
    hashes: Mapping[str, str] = field(default_factory=_frozen_map)
    requires_python: SpecifierSet | None = None
    yanked: str | None = None
    metadata_hashes: Mapping[str, str] | None = None
    size: int | None = None
    upload_time: str | None = None

    @property
    def is_wheel(self) -> bool:
        return self.kind is DistKind.WHEEL

    @property
    def is_yanked(self) -> bool:
        return self.yanked is not None

    @property
    def sha256(self) -> str | None:
        return self.hashes.get("sha256")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectPage:
    """Everything one index lists for one project."""

    name: NormalizedName
    index: str
    links: tuple[Link, ...] = ()
    etag: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InputRequirement:
    """A requirement as the user declared it, with where it was declared.

    ``constraint`` is true for lines of ``-c`` files: they narrow versions but do not
    add a project. ``url`` carries a direct reference (``name @ https://…``).
    ``path`` is the absolute local path when the requirement points at a file or folder
    on disk (a wheel, a project folder, an editable), else ``None``.
    """

    requirement: Requirement
    origin: Location
    constraint: bool = False
    editable: bool = False
    path: str | None = None

    @property
    def name(self) -> NormalizedName:
        return canonicalize_name(self.requirement.name)


@dataclass(frozen=True, slots=True, kw_only=True)
class Inputs:
    """What the user's input files declare, all files merged.

    ``only_binary`` and ``no_binary`` hold normalized project names or ``":all:"``, as
    pip's options of those names leave them (a project named in one wins over ``":all:"``
    in the other); ``trusted_hosts`` is recorded as written.
    """

    requirements: tuple[InputRequirement, ...] = ()
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    pre: bool = False
    files: tuple[Path, ...] = ()
    no_index: bool = False
    trusted_hosts: tuple[str, ...] = ()
    only_binary: tuple[str, ...] = ()
    no_binary: tuple[str, ...] = ()
    prefer_binary: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CoreMetadata:
    """The parts of a distribution's core metadata (METADATA / PKG-INFO) resolution needs.

    ``requires_dist`` keeps the requirements exactly as declared, markers included;
    ``dynamic`` lists the fields an sdist declares as dynamic (PEP 643).
    """

    name: NormalizedName
    version: Version
    metadata_version: str = "1.0"
    requires_dist: tuple[Requirement, ...] = ()
    requires_python: SpecifierSet | None = None
    provides_extra: tuple[NormalizedName, ...] = ()
    dynamic: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PinnedFile:
    """One installable file of a pinned version, as written into a lock."""

    filename: str
    url: str
    sha256: str
    size: int | None = None
    upload_time: str | None = None

    @property
    def known(self) -> bool:
        """Whether the file's name is known (a lock read from text gives only hashes)."""
        return bool(self.filename)


@dataclass(frozen=True, slots=True, kw_only=True)
class Pin:
    """One project pinned to one version, with every file of it the target can install.

    ``via`` names what required it: project names, or ``-r FILE`` for a top-level input.
    ``url`` is set for a direct reference (``name @ url``), which is written as such;
    its ``version`` is ``None`` when the lock does not say it. A pin read from a file
    has ``line`` set, and files whose names are not known yet (only their hashes):
    :attr:`PinnedFile.known` tells.
    """

    name: NormalizedName
    version: Version | None
    index: str
    files: tuple[PinnedFile, ...] = ()
    via: tuple[str, ...] = ()
    url: str | None = None
    dependencies: tuple[NormalizedName, ...] = ()
    line: int | None = None

    @property
    def hashes(self) -> tuple[str, ...]:
        return tuple(sorted({f.sha256 for f in self.files}))


@dataclass(frozen=True, slots=True, kw_only=True)
class Lock:
    """A complete lock for one target: what gets written to requirements.txt or JSON.

    ``inputs_hash`` fingerprints the inputs, target and options the lock was made
    from, so a later check can tell without network whether it is stale (``None`` for a
    lock depslim did not write: pip-compile's or uv's). ``notes``
    are extra header lines (e.g. the GPU→CPU swaps applied). ``torch_index_url`` is set
    when the torch family was bound to a CPU index.
    """

    target: Target
    pins: tuple[Pin, ...]
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    command: str = ""
    inputs_hash: str | None = None
    notes: tuple[str, ...] = ()
    torch_index_url: str | None = None
    inputs: tuple[str, ...] = ()
    no_index: bool = False
    source: str | None = None

    @property
    def versions(self) -> dict[NormalizedName, Version]:
        """Each pinned project's version (direct references without one are left out)."""
        return {p.name: p.version for p in self.pins if p.version is not None}

    def pin(self, name: str) -> Pin | None:
        wanted = canonicalize_name(name)
        return next((p for p in self.pins if p.name == wanted), None)
