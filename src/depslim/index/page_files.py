"""One project's files for one target, built only as the resolver visits them.

An index page may list tens of thousands of files (botocore, torch), of which a
resolution looks at a handful of versions. :func:`scan_json_page` reads a PEP 691
page into :class:`ProjectFiles` without building a :class:`~depslim.models.Link` per
entry: it drops the files the target can never use by their names (wheel tags, as
text, memoized) and their ``requires-python`` text (memoized), groups the rest by
version, and checks their shapes. :meth:`ProjectFiles.links` builds one version's
links, with the same code as :func:`~depslim.index.pages.parse_json_page`, when asked.

The scanned form is JSON-ready (:meth:`ProjectFiles.to_json`), so a cache can keep it
next to the page body and skip the scan on the next run. Pure: bytes in, values out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urldefrag

from packaging.tags import Tag, parse_tag
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from depslim.errors import IndexAccessError
from depslim.index.filenames import parse_filename
from depslim.index.pages import (
    _WEB_SCHEMES,
    _json_link,
    _json_metadata,
    _json_yanked,
    _load_json,
    _resolve,
    _scheme,
    _Shape,
    _specifier,
)
from depslim.models import Link
from depslim.target import Target

__all__ = ["FORMAT", "FileFilter", "ProjectFiles", "scan_json_page"]

FORMAT = 2
"""Version of :meth:`ProjectFiles.to_json`'s layout; a cache keys entries by it."""

#: ``allows(project, is_wheel)``: pip's --only-binary/--no-binary for one file kind.
KindPolicy = Callable[[NormalizedName, bool], bool]


class FileFilter:
    """What a target can use, judged from file-name and ``requires-python`` text.

    Both checks are memoized per text: an index page repeats a few dozen tag triples
    and specifiers over thousands of files. ``key`` names the target for caches.
    """

    __slots__ = ("_python", "_tags", "key", "target")

    def __init__(self, target: Target) -> None:
        self.target = target
        self.key = repr(target)
        self._tags: dict[str, bool] = {}
        self._python: dict[str, bool] = {}

    def wheel_tags_fit(self, tag_text: str) -> bool:
        """True when ``py3-none-any``-style text parses and the target accepts a tag."""
        fits = self._tags.get(tag_text)
        if fits is None:
            tags = _parse_tags(tag_text)
            fits = self._tags[tag_text] = tags is not None and self.target.supports(tags)
        return fits

    def python_fits(self, requires_python: str | None) -> bool:
        """False only when a readable ``requires-python`` excludes the target's Python."""
        if requires_python is None:
            return True
        fits = self._python.get(requires_python)
        if fits is None:
            spec = _specifier(requires_python)
            fits = spec is None or spec.contains(self.target.python_full, prereleases=True)
            self._python[requires_python] = fits
        return fits

    def link_order(self, link: Link) -> tuple[int, int, str]:
        """Best wheel first (by the target's tag ranking), sdists last, then by name."""
        if link.is_wheel:
            rank = self.target.best_rank(link.tags)
            return (0, 1 << 30 if rank is None else rank, link.filename)
        return (1, 0, link.filename)


@lru_cache(maxsize=4096)
def _parse_tags(text: str) -> frozenset[Tag] | None:
    try:
        return parse_tag(text)
    except ValueError:
        return None


#: The keys of a page's file entry that building a Link reads; the cached form keeps
#: only these (PyPI adds others, such as ``provenance``).
_LINK_KEYS = (
    "filename",
    "url",
    "hashes",
    "requires-python",
    "yanked",
    "core-metadata",
    "dist-info-metadata",
    "size",
    "upload-time",
)

# What a version offers, as bits: an unyanked wheel, an unyanked sdist, a yanked wheel,
# a yanked sdist.
_WHEEL, _SDIST, _YANKED_WHEEL, _YANKED_SDIST = 1, 2, 4, 8

# An entry as scanned: (position on the page, is a wheel, is yanked, payload). The
# payload is the page's JSON object for the file, or a Link already built (HTML pages,
# find-links folders).
_Entry = tuple[int, bool, bool, Any]


class ProjectFiles:
    """The files of one project on one index page that fit one target, by version.

    Versions are known at once; a version's :class:`Link` values are built on the first
    :meth:`links` call for it and kept. Read back from the cached form, a version's
    entries stay JSON text until then (``by_version`` values may be ``str``), with
    ``offers`` saying what each version offers.
    """

    def __init__(
        self,
        name: NormalizedName,
        *,
        index: str,
        url: str,
        file_filter: FileFilter,
        by_version: Mapping[Version, list[_Entry] | str],
        offers: dict[Version, int] | None = None,
    ) -> None:
        self.name = name
        self.index = index
        self.url = url
        self.filter = file_filter
        self._by_version = dict(by_version)
        if offers is None:
            offers = {v: _offers(e) for v, e in by_version.items() if not isinstance(e, str)}
        self._offers = offers
        self._newest_first: list[Version] | None = None
        self._allowed: dict[KindPolicy, tuple[bool, bool]] = {}
        self._built: dict[tuple[Version, bool, KindPolicy | None], tuple[Link, ...]] = {}

    def __repr__(self) -> str:
        return f"ProjectFiles({self.name!r}, {len(self._by_version)} versions)"

    # -- what the resolver asks -----------------------------------------------------

    def versions(self) -> list[Version]:
        """Every version with at least one file the target can use, newest first."""
        if self._newest_first is None:
            self._newest_first = sorted(self._by_version, reverse=True)
        return self._newest_first

    def usable(
        self, version: Version, *, allow_yanked: bool, allows: KindPolicy | None = None
    ) -> bool:
        """True when ``version`` has a file left after the yanked and binary rules."""
        bits = self._offers.get(version, 0)
        wheel = bits & _WHEEL or (allow_yanked and bits & _YANKED_WHEEL)
        sdist = bits & _SDIST or (allow_yanked and bits & _YANKED_SDIST)
        if allows is None:
            return bool(wheel or sdist)
        kinds = self._allowed.get(allows)
        if kinds is None:
            kinds = self._allowed[allows] = (allows(self.name, True), allows(self.name, False))  # noqa: FBT003
        return bool((wheel and kinds[0]) or (sdist and kinds[1]))

    def links(
        self, version: Version, *, allow_yanked: bool, allows: KindPolicy | None = None
    ) -> tuple[Link, ...]:
        """``version``'s usable links, best first (see :meth:`FileFilter.link_order`)."""
        key = (version, allow_yanked, allows)
        built = self._built.get(key)
        if built is None:
            seen: set[str] = set()
            links: list[Link] = []
            for position, _, _, payload in self._kept(version, allow_yanked, allows):
                link = payload if isinstance(payload, Link) else self._build(position, payload)
                if link.url not in seen:  # as the eager client keeps the first of a URL
                    seen.add(link.url)
                    links.append(link)
            built = self._built[key] = tuple(sorted(links, key=self.filter.link_order))
        return built

    def all_links(self) -> list[Link]:
        """Every kept link, in page order (for tests and explanations)."""
        entries = sorted(e for version in self._by_version for e in self._entries(version))
        return [p if isinstance(p, Link) else self._build(i, p) for i, _, _, p in entries]

    def _kept(
        self, version: Version, allow_yanked: bool, allows: KindPolicy | None
    ) -> Iterator[_Entry]:
        for entry in self._entries(version):
            if entry[2] and not allow_yanked:
                continue
            if allows is not None and not allows(self.name, entry[1]):
                continue
            yield entry

    def _entries(self, version: Version) -> list[_Entry]:
        entries = self._by_version.get(version, [])
        if isinstance(entries, str):
            try:
                entries = [
                    (int(position), bool(wheel), bool(yanked), _object(payload))
                    for position, wheel, yanked, payload in json.loads(entries)
                ]
            except (TypeError, ValueError) as exc:
                raise IndexAccessError(
                    f"a damaged cache entry for {self.url}: {exc}; run with --no-cache",
                    url=self.url,
                ) from None
            self._by_version[version] = entries
        return entries

    def _build(self, position: int, entry: Mapping[str, Any]) -> Link:
        link = _json_link(entry, position, self.url, self.index, self.name)
        if link is None:  # the scan kept only entries that build
            raise IndexAccessError(f"{self.url}: files[{position}] changed", url=self.url)
        return link

    # -- construction and the cached form --------------------------------------------

    @classmethod
    def from_links(
        cls,
        name: NormalizedName,
        links: Sequence[Link],
        file_filter: FileFilter,
        *,
        index: str = "",
        url: str = "",
    ) -> ProjectFiles:
        """Wrap links already built (HTML pages, find-links), keeping what fits."""
        by_version: dict[Version, list[_Entry]] = {}
        for position, link in enumerate(links):
            if link.name != name:
                continue
            if link.is_wheel and not file_filter.target.supports(link.tags):
                continue
            spec = link.requires_python
            if spec is not None and not spec.contains(
                file_filter.target.python_full, prereleases=True
            ):
                continue
            by_version.setdefault(link.version, []).append(
                (position, link.is_wheel, link.is_yanked, link)
            )
        return cls(name, index=index, url=url, file_filter=file_filter, by_version=by_version)

    def to_json(self) -> dict[str, Any] | None:
        """The scanned form, JSON-ready; ``None`` when it holds built links (not JSON)."""
        versions = []
        for version in self._by_version:
            entries = self._entries(version)
            if any(isinstance(payload, Link) for *_, payload in entries):
                return None
            # Each version's entries as JSON text of its own: reading the form back
            # decodes only the versions a resolution visits.
            text = json.dumps(
                [
                    [i, wheel, yanked, {k: p[k] for k in _LINK_KEYS if k in p}]
                    for i, wheel, yanked, p in entries
                ],
                separators=(",", ":"),
            )
            versions.append([str(version), self._offers[version], text])
        return {"format": FORMAT, "name": self.name, "versions": versions}

    @classmethod
    def from_json(
        cls, data: Any, *, index: str, url: str, file_filter: FileFilter
    ) -> ProjectFiles | None:
        """Read back :meth:`to_json`'s form; ``None`` if it is not that."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return None
        by_version: dict[Version, list[_Entry] | str] = {}
        offers: dict[Version, int] = {}
        try:
            for text, bits, entries in data["versions"]:
                version = Version(text)
                if not isinstance(entries, str) or not isinstance(bits, int):
                    return None
                by_version[version] = entries
                offers[version] = bits
            name = canonicalize_name(str(data["name"]))
        except (KeyError, TypeError, ValueError):
            return None
        return cls(
            name,
            index=index,
            url=url,
            file_filter=file_filter,
            by_version=by_version,
            offers=offers,
        )


def _offers(entries: list[_Entry]) -> int:
    bits = 0
    for _, wheel, yanked, _ in entries:
        bits |= (_WHEEL if wheel else _SDIST) << (2 if yanked else 0)
    return bits


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("a file entry is not an object")
    return value


def scan_json_page(
    content: bytes,
    *,
    url: str,
    index: str,
    project: NormalizedName,
    file_filter: FileFilter,
) -> ProjectFiles:
    """Read a PEP 691 page into :class:`ProjectFiles` for ``file_filter``'s target.

    Keeps exactly the files :func:`~depslim.index.pages.parse_json_page` would give
    that the target can use (wheel tags, ``requires-python``), and checks each kept
    entry's shape as that function does; a wheel whose tags the target refuses is
    dropped by its name before anything else about it is read.
    """
    project = canonicalize_name(project)
    data = _load_json(content, url)
    files = data.get("files")
    if not isinstance(files, list):
        raise IndexAccessError(f"invalid JSON from {url}: 'files' is not a list", url=url)
    web_page = _scheme(url) in _WEB_SCHEMES
    tags_fit = file_filter.wheel_tags_fit
    python_fits = file_filter.python_fits
    by_version: dict[Version, list[_Entry]] = {}
    for position, entry in enumerate(files):
        if not isinstance(entry, dict):
            raise IndexAccessError(
                f"invalid JSON from {url}: files[{position}] is not an object", url=url
            )
        filename = entry.get("filename")
        file_url = entry.get("url")
        if not isinstance(filename, str) or not isinstance(file_url, str):
            _json_link(entry, position, url, index, project)  # raises the right message
            continue
        if "%" in filename:
            filename = unquote(filename)
        if filename.endswith(".whl"):
            parts = filename[:-4].split("-")
            if len(parts) in (5, 6) and not tags_fit("-".join(parts[-3:])):
                continue  # a wheel for another platform or Python: never usable here
        parsed = parse_filename(filename, project=project)
        if parsed is None:
            continue
        name, version, kind, tags, _ = parsed
        if name != project:
            continue
        wheel = kind.value == "wheel"
        if wheel and not file_filter.target.supports(tags):
            continue
        requires_python = entry.get("requires-python")
        if requires_python is not None and not isinstance(requires_python, str):
            raise _Shape(url, position, entry).error("'requires-python' is not a string")
        if not python_fits(requires_python):
            continue
        resolved = _resolve(url, file_url)
        if resolved is None:
            continue
        if web_page and _scheme(urldefrag(resolved)[0]) not in _WEB_SCHEMES:
            continue
        yanked = _check_shape(entry, position, url)
        by_version.setdefault(version, []).append((position, wheel, yanked, entry))
    return ProjectFiles(
        project, index=index, url=url, file_filter=file_filter, by_version=by_version
    )


def _check_shape(entry: Mapping[str, Any], position: int, url: str) -> bool:
    """Raise as :func:`parse_json_page` does for a malformed kept entry; True if yanked."""
    shape = _Shape(url, position, entry)
    hashes = entry.get("hashes", {})
    if not isinstance(hashes, dict):
        raise shape.error("'hashes' is not an object")
    for algorithm, digest in hashes.items():
        if not isinstance(digest, str):
            raise shape.error(f"'hashes.{algorithm}' is not a string")
    size = entry.get("size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise shape.error("'size' is not a non-negative integer")
    upload_time = entry.get("upload-time")
    if upload_time is not None and not isinstance(upload_time, str):
        raise shape.error("'upload-time' is not a string")
    _json_metadata(entry, shape)
    return _json_yanked(entry.get("yanked"), shape) is not None
