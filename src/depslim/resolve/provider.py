"""The resolvelib provider: all package knowledge the resolver needs, for one target.

The provider asks a :class:`~depslim.resolve.protocol.PackageFinder` for links and
metadata, and tells it what to prefetch: when a candidate's dependencies are known,
their project pages are requested in the background while resolvelib goes on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version
from resolvelib import AbstractProvider

from depslim.errors import IndexAccessError, InputError
from depslim.models import CoreMetadata
from depslim.resolve.candidates import (
    BinaryPolicy,
    Candidate,
    filter_prereleases,
    group_candidates,
    group_project_files,
    matching_specifiers,
    pick_metadata_link,
)
from depslim.resolve.overrides import Overrides, apply_overrides, extra_condition
from depslim.resolve.protocol import DirectReferences, PackageFinder
from depslim.resolve.requirements import PYTHON, Req, split_identifier
from depslim.target import Target

if TYPE_CHECKING:
    from resolvelib.structs import RequirementInformation

    Info = RequirementInformation[Req, Candidate]

__all__ = ["Descending", "Provider", "exact_pins", "newest_first"]

#: A hook applied to every requirement the resolver meets (the GPU→CPU swaps use it).
RequirementHook = Callable[[Requirement], Requirement]
#: Sort key among one project's candidates (smaller first), after the preferred pin.
CandidateKey = Callable[[Candidate], Any]
#: Narrows one project's candidates given the requirements on it (the CPU policy uses it).
CandidateFilter = Callable[[NormalizedName, list[Candidate], Sequence[Req]], list[Candidate]]


_VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")


class Descending:
    """Wraps a sort key so that larger values sort first."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key

    def __lt__(self, other: Descending) -> bool:
        return bool(self.key > other.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Descending) and bool(self.key == other.key)

    __hash__ = None  # type: ignore[assignment]


def exact_pins(reqs: Sequence[Req]) -> set[Version]:
    """The versions ``reqs`` pin exactly (``==1.0``, ``===1.0``; not ``==1.*``).

    Only these may be yanked releases (PEP 592). A ``===`` string that is no version
    pins nothing here.
    """
    pinned = set()
    for req in reqs:
        for spec in req.specifier:
            if spec.operator in ("==", "===") and "*" not in spec.version:
                try:
                    pinned.add(Version(spec.version))
                except InvalidVersion:
                    continue
    return pinned


def newest_first(candidate: Candidate) -> Any:
    """The default order among one project's candidates: highest version first."""
    return Descending(candidate.version)


class ProviderOptions(TypedDict, total=False):
    """How the provider chooses (every key has a default).

    ``preferred``: versions to keep when they still fit (an existing lock's);
    ``allow_prereleases``; ``requirement_hook``: rewrites each dependency (the GPU→CPU
    swaps); ``candidate_key`` / ``candidate_filter``: order and drop candidates (the
    CPU policy); ``binary``: pip's --only-binary/--no-binary; ``overrides``: see
    :mod:`depslim.resolve.overrides`; ``direct``: pins and reads references to source
    repositories (without it they are refused).
    """

    preferred: Mapping[NormalizedName, Version] | None
    allow_prereleases: bool
    requirement_hook: RequirementHook | None
    candidate_key: CandidateKey | None
    candidate_filter: CandidateFilter | None
    binary: BinaryPolicy | None
    overrides: Overrides | None
    direct: DirectReferences | None


class Provider(AbstractProvider[Req, Candidate, str]):
    """Find candidates for a target and read their dependencies."""

    def __init__(
        self,
        finder: PackageFinder,
        target: Target,
        *,
        constraints: Mapping[NormalizedName, Sequence[Req]] | None = None,
        **options: Unpack[ProviderOptions],
    ) -> None:
        self.finder = finder
        self.target = target
        self.environment = target.marker_environment()
        self.constraints = dict(constraints or {})
        self.preferred = dict(options.get("preferred") or {})
        self.allow_prereleases = options.get("allow_prereleases", False)
        self.requirement_hook = options.get("requirement_hook")
        self.candidate_key = options.get("candidate_key") or newest_first
        self.candidate_filter = options.get("candidate_filter")
        self.binary = options.get("binary")
        self.overrides = options.get("overrides") or Overrides()
        self.direct = options.get("direct")
        self._metadata: dict[tuple[NormalizedName, Version, str | None], CoreMetadata] = {}
        self._candidates: dict[NormalizedName, list[Candidate]] = {}
        self._made: dict[NormalizedName, dict[tuple[Version, bool], Candidate]] = {}
        #: who first asked for a project, for "through which chain" explanations
        self.required_by: dict[NormalizedName, str] = {}
        self.depth: dict[str, int] = {}
        # Look-ahead (see :meth:`look_ahead`): what is known of each project so far.
        self._hints: dict[NormalizedName, list[Req]] = {}
        self._hints_lock = threading.Lock()

    # ---- resolvelib interface ------------------------------------------------------

    def identify(self, requirement_or_candidate: Req | Candidate) -> str:
        item = requirement_or_candidate
        if isinstance(item, Req):
            return item.identifier
        extras = f"[{','.join(sorted(item.extras))}]" if item.extras else ""
        return f"{item.name}{extras}"

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[Info]],
        backtrack_causes: Sequence[Info],
    ) -> Any:
        infos = list(information[identifier])
        reqs = [info.requirement for info in infos]
        direct = any(r.url for r in reqs)
        pinned = any(
            spec.operator in ("==", "===") and "*" not in spec.version
            for r in reqs
            for spec in r.specifier
        )
        causes = {c.requirement.name for c in backtrack_causes} | {
            c.parent.name for c in backtrack_causes if c.parent is not None
        }
        name, _ = split_identifier(identifier)
        return (
            identifier != PYTHON,
            not direct,
            not pinned,
            name not in causes,
            self.depth.get(identifier, 1 << 20),
            identifier,
        )

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Req]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> list[Candidate]:
        name, extras = split_identifier(identifier)
        reqs = list(requirements[identifier])
        bad = {c.version for c in incompatibilities[identifier]}
        if name == PYTHON:
            version = Version(self.target.python_full)
            ok = all(r.specifier.contains(version, prereleases=True) for r in reqs)
            return [Candidate(name=PYTHON, version=version, links=())] if ok else []
        constraints = list(self.constraints.get(name, ()))
        urls = {self._pinned_url(name, r.url) for r in reqs + constraints if r.url}
        specs = [r.specifier for r in reqs + constraints]
        project_files = getattr(self.finder, "project_files", None)
        if urls:
            pool = [self._direct_candidate(name, url) for url in sorted(urls)]
            matching = matching_specifiers([c for c in pool if c.version not in bad], specs)
        elif project_files is not None:
            # A finder that reads pages lazily: candidates only for the versions that
            # match, each building its links only when used.
            matching = group_project_files(
                project_files(name, self.target),
                allow_yanked=frozenset(exact_pins(reqs + constraints)),
                binary=self.binary,
                specifiers=specs,
                exclude=bad,
                made=self._made.setdefault(name, {}),
            )
        else:
            pool = self._all_candidates(name, reqs + constraints)
            matching = matching_specifiers([c for c in pool if c.version not in bad], specs)
        matching = filter_prereleases(matching, specs, allow=self.allow_prereleases)
        if self.candidate_filter is not None:
            matching = self.candidate_filter(name, matching, reqs + constraints)
        matching.sort(key=self._order_key(name))
        if matching and matching[0].links:
            self.finder.prefetch_metadata([pick_metadata_link(matching[0])])
        if extras:
            matching = [c.with_extras(extras) for c in matching]
        return matching

    def is_satisfied_by(self, requirement: Req, candidate: Candidate) -> bool:
        if requirement.name == PYTHON:
            return requirement.specifier.contains(candidate.version, prereleases=True)
        if requirement.url:
            return candidate.url == self._pinned_url(requirement.name, requirement.url)
        return requirement.specifier.contains(candidate.version, prereleases=True)

    def get_dependencies(self, candidate: Candidate) -> list[Req]:
        if candidate.name == PYTHON:
            return []
        meta = self.metadata(candidate)
        parent = str(candidate)
        deps: list[Req] = []
        if candidate.extras:
            # The twin "name[extra]" pins the same version as "name" itself.
            deps.append(
                Req(
                    name=candidate.name,
                    specifier=SpecifierSet(f"=={candidate.version}"),
                    url=candidate.url,
                    origin=parent,
                )
            )
        if meta.requires_python is not None and not meta.requires_python.contains(
            self.target.python_full, prereleases=True
        ):
            deps.append(Req(name=PYTHON, specifier=meta.requires_python, origin=parent))
        deps.extend(
            Req.from_requirement(requirement, origin=parent)
            for requirement in self.dependencies_of(meta, candidate.extras)
        )
        depth = self.depth.get(self.identify(candidate), 0) + 1
        for dep in deps:
            self.required_by.setdefault(dep.name, parent)
            self.depth.setdefault(dep.identifier, depth)
        self.look_ahead(deps)
        return deps

    # ---- look-ahead ------------------------------------------------------------------

    def look_ahead(self, reqs: Sequence[Req]) -> None:
        """Start fetching what resolving ``reqs`` will most likely need, as early as the
        graph allows: each project's files, then (when they arrive, on the finder's
        threads) the metadata of the version the resolver would try first, then the
        files of that version's dependencies, and so on. A guess that turns out wrong
        costs only a fetch: the resolver still asks for everything it uses itself.
        """
        wanted = [r for r in reqs if r.name != PYTHON and not r.url]
        prefetch_files = getattr(self.finder, "prefetch_files", None)
        if prefetch_files is None:
            self.finder.prefetch([r.name for r in wanted])
            return
        with self._hints_lock:
            for req in wanted:
                self._hints.setdefault(req.name, []).append(req)
        names = list(dict.fromkeys(r.name for r in wanted))
        prefetch_files(names, self.target, self._files_arrived)

    def _files_arrived(self, files: Any) -> None:
        """On a finder thread: guess the version the resolver will try first, fetch its
        metadata. Only wheels and PEP 658 files: guesses never download an sdist."""
        name = files.name
        with self._hints_lock:
            hints = list(self._hints.get(name, ()))
        reqs = hints + list(self.constraints.get(name, ()))
        specs = [r.specifier for r in reqs]
        matching = group_project_files(files, binary=self.binary, specifiers=specs)
        matching = filter_prereleases(matching, specs, allow=self.allow_prereleases)
        if self.candidate_filter is not None:
            matching = self.candidate_filter(name, matching, reqs)
        if not matching:
            return
        best = min(matching, key=self._order_key(name))
        link = pick_metadata_link(best)
        if not (link.is_wheel or link.metadata_hashes is not None):
            return
        extras = frozenset(e for r in hints for e in r.extras)
        prefetch_metadata: Any = self.finder.prefetch_metadata
        try:
            prefetch_metadata([link], lambda meta: self._metadata_arrived(best, meta, extras))
        except TypeError:  # a finder without the callback
            prefetch_metadata([link])

    def _metadata_arrived(
        self, candidate: Candidate, meta: CoreMetadata, extras: frozenset[NormalizedName]
    ) -> None:
        """On a finder thread: look ahead at the guessed version's dependencies."""
        parent = str(candidate)
        requirements = self.dependencies_of(meta, frozenset())
        if extras:
            requirements += self.dependencies_of(meta, extras)
        self.look_ahead([Req.from_requirement(r, origin=parent) for r in requirements])

    # ---- helpers ------------------------------------------------------------------

    def dependencies_of(
        self, meta: CoreMetadata, extras: frozenset[NormalizedName]
    ) -> list[Requirement]:
        """The requirements of ``meta`` that apply on the target with ``extras`` asked for."""
        out: list[Requirement] = []
        for requirement in meta.requires_dist:
            if self.overrides and canonicalize_name(requirement.name) in self.overrides.names:
                out += self._overridden(requirement, extras)
                continue
            if not self.applies(requirement.marker, extras):
                continue
            if extras and requirement.marker is None:
                continue  # the base candidate already brings these
            out += self.replaced(requirement)
        return out

    def replaced(self, requirement: Requirement) -> list[Requirement]:
        """``requirement`` after its overrides and the requirement hook (GPU→CPU swaps)."""
        return apply_overrides(
            self.overrides,
            requirement,
            applies=lambda marker: self.applies(marker, ()),
            hook=self.requirement_hook,
        )

    def _overridden(
        self, requirement: Requirement, extras: frozenset[NormalizedName]
    ) -> list[Requirement]:
        """The overrides standing for a dependency, if the dependency is wanted at all.

        As uv has it, only the dependency's condition on an extra decides; its other
        markers are replaced by the overrides' own.
        """
        condition = extra_condition(requirement.marker)
        if condition is None:
            wanted = not extras  # a plain dependency belongs to the base candidate
        elif condition:
            wanted = bool(condition & extras)
        else:
            wanted = self.applies(requirement.marker, extras)
        return self.replaced(requirement) if wanted else []

    def applies(self, marker: Marker | None, extras: Iterable[str]) -> bool:
        """Evaluate a marker on the target, once per extra (or with no extra)."""
        if marker is None:
            return True
        try:
            return self.target.marker_applies(marker, extras, where="a package's metadata")
        except InputError as exc:
            # the marker came from an index, not from the user: an index failure (exit 3)
            raise IndexAccessError(
                f"{exc}; the index serves metadata pip cannot use either"
            ) from None

    def metadata(self, candidate: Candidate) -> CoreMetadata:
        key = (candidate.name, candidate.version, candidate.url)
        if key not in self._metadata:
            self._metadata[key] = self.finder.metadata(pick_metadata_link(candidate))
        return self._metadata[key]

    def read_metadata(self, candidate: Candidate) -> CoreMetadata | None:
        """The metadata already read for ``candidate`` (``None`` if it never was)."""
        return self._metadata.get((candidate.name, candidate.version, candidate.url))

    def _order_key(self, name: NormalizedName) -> Callable[[Candidate], Any]:
        preferred = self.preferred.get(name)
        base = self.candidate_key

        def key(candidate: Candidate) -> Any:
            return (candidate.version != preferred, base(candidate))

        return key

    def _all_candidates(self, name: NormalizedName, reqs: Sequence[Req]) -> list[Candidate]:
        pinned = exact_pins(reqs)
        if name not in self._candidates or pinned:
            found = group_candidates(
                name,
                self.finder.links(name),
                self.target,
                allow_yanked=frozenset(pinned),
                binary=self.binary,
            )
            if pinned:
                return found
            self._candidates[name] = found
        return self._candidates[name]

    def _pinned_url(self, name: NormalizedName, url: str) -> str:
        """A repository reference pinned to its commit; any other URL as it is."""
        if self.direct is not None and url.lower().startswith(_VCS_PREFIXES):
            return self.direct.pin_url(name, url)
        return url

    def _direct_candidate(self, name: NormalizedName, url: str) -> Candidate:
        if self.direct is not None and url.lower().startswith(_VCS_PREFIXES):
            # a source tree: no file to pin, its metadata comes from the checkout
            meta = self.direct.metadata(name, url)
            self._metadata[(name, meta.version, url)] = meta
            return Candidate(name=name, version=meta.version, links=(), url=url)
        link = self.finder.link_for_url(name, url)
        return Candidate(name=name, version=link.version, links=(link,), url=url)
