"""Indexes and files on the local disk: ``file://`` URLs and plain directory paths.

A local simple index is a directory laid out as ``root/<project>/index.html`` (as
``pip download`` + ``dir2pi`` or a static mirror make it), or ``root/<project>/`` holding
the files themselves, or simply a flat directory of files. A local ``--find-links``
location is a directory (its files are listed) or an HTML page listing files.

Reading a local file needs no retries, caps or caches: only the network does.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from packaging.utils import NormalizedName, canonicalize_name

from depslim.errors import IndexAccessError
from depslim.index.filenames import parse_filename
from depslim.index.pages import parse_html_page
from depslim.models import Link, ProjectPage

__all__ = [
    "FileRangeReader",
    "is_local",
    "link_for_file",
    "local_find_links",
    "local_path",
    "local_project_page",
    "sha256_file",
]

_CHUNK = 1 << 20


def is_local(url: str) -> bool:
    """Whether ``url`` names something on this machine (``file://`` or a bare path)."""
    scheme = urlsplit(url).scheme.lower()
    # A one-letter "scheme" is a Windows drive letter (C:\\...), not a URL scheme.
    return scheme in {"file", ""} or len(scheme) == 1


def local_path(url: str) -> Path:
    """The path a ``file://`` URL or a bare path names."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "file":
        netloc = parts.netloc if parts.netloc not in ("", "localhost") else ""
        path = url2pathname(unquote(parts.path))
        return Path(f"//{netloc}{path}" if netloc else path)
    return Path(url).expanduser()


def link_for_file(path: Path, *, index: str, project: NormalizedName | None = None) -> Link | None:
    """A :class:`Link` for a distribution file on disk, or ``None`` if it is not one."""
    parsed = parse_filename(path.name, project=project)
    if parsed is None:
        return None
    name, version, kind, tags, build = parsed
    try:
        size = path.stat().st_size
    except OSError:
        size = None
    return Link(
        url=path.resolve().as_uri(),
        filename=path.name,
        name=name,
        version=version,
        kind=kind,
        index=index,
        tags=tags,
        build=build,
        size=size,
    )


def _list_dir(directory: Path, *, index: str, project: NormalizedName | None) -> tuple[Link, ...]:
    try:
        entries = sorted(directory.iterdir())
    except OSError as exc:
        raise IndexAccessError(f"cannot list {directory}: {exc.strerror}", url=index) from exc
    links = []
    for entry in entries:
        if not entry.is_file():
            continue
        link = link_for_file(entry, index=index, project=project)
        if link is not None and (project is None or link.name == project):
            links.append(link)
    return tuple(links)


def _read_page_file(path: Path, *, index: str, project: NormalizedName | None) -> ProjectPage:
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise IndexAccessError(f"cannot read {path}: {exc.strerror}", url=index) from exc
    return parse_html_page(content, url=path.resolve().as_uri(), index=index, project=project)


def local_project_page(index: str, project: str) -> ProjectPage | None:
    """What the local simple index at ``index`` lists for ``project``; ``None`` if nothing.

    ``index`` is a ``file://`` URL or a directory path.
    """
    name = canonicalize_name(project)
    root = local_path(index)
    if not root.is_dir():
        raise IndexAccessError(f"index {index}: {root} is not a directory", url=index)
    candidates = [root / name]
    candidates += [
        entry
        for entry in _subdirectories(root)
        if entry.name != name and canonicalize_name(entry.name) == name
    ]
    for directory in candidates:
        if not directory.is_dir():
            continue
        page_file = directory / "index.html"
        if page_file.is_file():
            page = _read_page_file(page_file, index=index, project=name)
            links = tuple(link for link in page.links if link.name == name)
            return ProjectPage(name=name, index=index, links=links)
        return ProjectPage(
            name=name, index=index, links=_list_dir(directory, index=index, project=name)
        )
    # A flat directory of files serves as an index too.
    links = _list_dir(root, index=index, project=name)
    return ProjectPage(name=name, index=index, links=links) if links else None


def _subdirectories(root: Path) -> list[Path]:
    try:
        return [entry for entry in root.iterdir() if entry.is_dir()]
    except OSError:
        return []


def local_find_links(location: str) -> tuple[Link, ...]:
    """Every distribution file a local ``--find-links`` location offers (all projects)."""
    path = local_path(location)
    if path.is_dir():
        return _list_dir(path, index=location, project=None)
    if path.is_file():
        return _read_page_file(path, index=location, project=None).links
    raise IndexAccessError(f"find-links location {location} does not exist", url=location)


def sha256_file(path: Path) -> str:
    """The sha256 of a file on disk, read in chunks."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise IndexAccessError(f"cannot read {path}: {exc.strerror}", url=path.as_uri()) from exc
    return digest.hexdigest()


class FileRangeReader:
    """Random access to a local file, for reading a wheel's zip directory in place."""

    def __init__(self, path: Path) -> None:
        self._path = path
        try:
            self._size = path.stat().st_size
        except OSError as exc:
            raise IndexAccessError(f"cannot read {path}: {exc.strerror}") from exc

    @property
    def size(self) -> int:
        return self._size

    def read(self, start: int, length: int) -> bytes:
        """``length`` bytes from offset ``start`` (fewer at the end of the file)."""
        if start < 0 or length < 0:
            raise IndexAccessError(f"{self._path}: bad read at {start}+{length}")
        with self._path.open("rb") as handle:
            handle.seek(start)
            return handle.read(length)
