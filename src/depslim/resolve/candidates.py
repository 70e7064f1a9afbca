"""Which of an index's files a target can use, grouped into candidate versions.

Pure: links in, candidates out. One check per function (tags, Requires-Python,
yanked), as unearth has it, so each rule is tested on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from depslim.models import Link
from depslim.target import Target

if TYPE_CHECKING:
    from depslim.index.page_files import ProjectFiles

__all__ = [
    "BinaryPolicy",
    "Candidate",
    "LazyLinks",
    "group_candidates",
    "group_project_files",
    "link_fits_python",
    "link_fits_target",
    "matching_specifiers",
    "pick_metadata_link",
    "yanked_allowed",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """One version of one project, with the files of it the target can install.

    ``extras`` is non-empty for the extra-carrying twin of a candidate that resolvelib
    tracks under its own identifier (``name[extra]``). ``url`` marks a direct reference.
    """

    name: NormalizedName
    version: Version
    links: Sequence[Link]
    extras: frozenset[NormalizedName] = frozenset()
    url: str | None = None

    @property
    def index(self) -> str:
        return self.links[0].index if self.links else ""

    def with_extras(self, extras: frozenset[NormalizedName]) -> Candidate:
        return Candidate(
            name=self.name, version=self.version, links=self.links, extras=extras, url=self.url
        )

    def __str__(self) -> str:
        extras = f"[{','.join(sorted(self.extras))}]" if self.extras else ""
        return f"{self.name}{extras} {self.version}"


@dataclass(frozen=True, slots=True, kw_only=True)
class BinaryPolicy:
    """pip's ``--only-binary`` / ``--no-binary``: project names or ``:all:``.

    A project named in one set wins over ``:all:`` in the other, as pip has it.
    """

    only_binary: frozenset[str] = frozenset()
    no_binary: frozenset[str] = frozenset()

    def allows(self, link: Link) -> bool:
        return self.allows_kind(link.name, link.is_wheel)

    def allows_kind(self, name: NormalizedName, is_wheel: bool) -> bool:
        """:meth:`allows` for a file known only by its project and kind."""
        if is_wheel:
            refused, wanted = self.no_binary, self.only_binary
        else:
            refused, wanted = self.only_binary, self.no_binary
        return not (name in refused or (":all:" in refused and name not in wanted))


def link_fits_target(link: Link, target: Target) -> bool:
    """True for an sdist, or a wheel whose tags the target's installer accepts."""
    return not link.is_wheel or target.supports(link.tags)


def link_fits_python(link: Link, target: Target) -> bool:
    """True unless the index says the file's Requires-Python excludes the target."""
    spec = link.requires_python
    return spec is None or spec.contains(target.python_full, prereleases=True)


def group_candidates(
    name: NormalizedName,
    links: Iterable[Link],
    target: Target,
    *,
    allow_yanked: frozenset[Version] = frozenset(),
    binary: BinaryPolicy | None = None,
) -> list[Candidate]:
    """Usable links grouped by version, newest version first.

    A version is a candidate when at least one of its files fits the target. Yanked
    files are kept only for versions in ``allow_yanked`` (pinned with ``==``), as
    PEP 592 asks (see :func:`yanked_allowed`). ``binary`` applies ``--only-binary`` /
    ``--no-binary``.
    """
    by_version: dict[Version, list[Link]] = defaultdict(list)
    for link in links:
        if link.name != name:
            continue
        if link.is_yanked and not yanked_allowed(link.version, allow_yanked):
            continue
        if not link_fits_target(link, target) or not link_fits_python(link, target):
            continue
        if binary is not None and not binary.allows(link):
            continue
        by_version[link.version].append(link)
    out = []
    for version in sorted(by_version, reverse=True):
        files = sorted(by_version[version], key=lambda lk: _link_order(lk, target))
        out.append(Candidate(name=name, version=version, links=tuple(files)))
    return out


def yanked_allowed(version: Version, pins: frozenset[Version]) -> bool:
    """Whether a yanked ``version`` is pinned exactly by one of ``pins`` (``==`` versions).

    As ``==`` matches it, a pin without a local label (``torch==2.5.1``) pins the
    local builds of that version too (``2.5.1+cpu``).
    """
    if not pins:
        return False
    if version in pins:
        return True
    if version.local is None:
        return False
    public = Version(version.public)
    return any(pin.local is None and pin == public for pin in pins)


class LazyLinks(Sequence[Link]):
    """A candidate's links, built on first use (most candidates are never looked at)."""

    __slots__ = ("_links", "_make")

    def __init__(self, make: Callable[[], tuple[Link, ...]]) -> None:
        self._make: Callable[[], tuple[Link, ...]] | None = make
        self._links: tuple[Link, ...] | None = None

    def _get(self) -> tuple[Link, ...]:
        if self._links is None:
            assert self._make is not None
            self._links, self._make = self._make(), None
        return self._links

    @overload
    def __getitem__(self, index: int) -> Link: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Link, ...]: ...
    def __getitem__(self, index: int | slice) -> Link | tuple[Link, ...]:
        return self._get()[index]

    def __len__(self) -> int:
        return len(self._get())

    def __iter__(self) -> Iterator[Link]:
        return iter(self._get())

    def __eq__(self, other: object) -> bool:
        if other is self:
            return True
        if isinstance(other, LazyLinks | tuple):
            return self._get() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._get())

    def __repr__(self) -> str:
        return repr(self._get()) if self._links is not None else "LazyLinks(<not built>)"


def group_project_files(
    files: ProjectFiles,
    *,
    allow_yanked: frozenset[Version] = frozenset(),
    binary: BinaryPolicy | None = None,
    specifiers: Sequence[SpecifierSet] = (),
    exclude: Collection[Version] = (),
    made: dict[tuple[Version, bool], Candidate] | None = None,
) -> list[Candidate]:
    """:func:`group_candidates` over a lazily read page: the same candidates, newest
    first, each building its links only when they are first used.

    With ``specifiers`` (and ``exclude``), only the candidates
    :func:`matching_specifiers` would keep are made: versions are filtered first.
    ``made`` keeps candidates between calls, so each is made once.
    """
    allows = binary.allows_kind if binary is not None else None
    versions: list[Version] = files.versions()
    if exclude:
        versions = [v for v in versions if v not in exclude]
    for spec in specifiers:
        if versions and str(spec):
            versions = list(spec.filter(versions, prereleases=True))
    out = []
    for version in versions:
        yanked_ok = yanked_allowed(version, allow_yanked)
        key = (version, yanked_ok)
        candidate = made.get(key) if made is not None else None
        if candidate is None:
            if not files.usable(version, allow_yanked=yanked_ok, allows=allows):
                continue
            make = _links_of(files, version, yanked_ok, allows)
            candidate = Candidate(name=files.name, version=version, links=LazyLinks(make))
            if made is not None:
                made[key] = candidate
        out.append(candidate)
    return out


def _links_of(
    files: ProjectFiles,
    version: Version,
    allow_yanked: bool,
    allows: Callable[[NormalizedName, bool], bool] | None,
) -> Callable[[], tuple[Link, ...]]:
    return lambda: files.links(version, allow_yanked=allow_yanked, allows=allows)


def _link_order(link: Link, target: Target) -> tuple[int, int, str]:
    if link.is_wheel:
        rank = target.best_rank(link.tags)
        return (0, 1 << 30 if rank is None else rank, link.filename)
    return (1, 0, link.filename)


def pick_metadata_link(candidate: Candidate) -> Link:
    """The file whose metadata stands for the candidate: the best wheel, else the sdist."""
    return candidate.links[0]


def matching_specifiers(
    candidates: Sequence[Candidate], specifiers: Sequence[SpecifierSet]
) -> list[Candidate]:
    """The candidates whose version every specifier contains (pre-releases included).

    The same as testing ``spec.contains(version, prereleases=True)`` one by one, but
    with :meth:`SpecifierSet.filter` over the whole list, which is several times faster
    on projects with thousands of versions.
    """
    versions = [c.version for c in candidates]
    for spec in specifiers:
        if not versions:
            break
        if str(spec):
            versions = list(spec.filter(versions, prereleases=True))
    allowed = set(versions)
    return [c for c in candidates if c.version in allowed]


def filter_prereleases(
    candidates: Sequence[Candidate], specifiers: Sequence[SpecifierSet], *, allow: bool
) -> list[Candidate]:
    """Drop pre-releases unless allowed, named by a specifier, or nothing else fits."""
    if allow or any(s.prereleases for s in specifiers):
        return list(candidates)
    finals = [c for c in candidates if not c.version.is_prerelease]
    return finals or list(candidates)
