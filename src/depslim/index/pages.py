"""Index pages to values: PEP 503 HTML and PEP 691 JSON, bytes in, :class:`ProjectPage` out.

Pure: the client fetches, these functions only read. A page that cannot be read
(undecodable bytes, broken JSON, wrong shapes, an API version we do not speak) raises
:class:`depslim.errors.IndexAccessError` naming the URL; anything odd about a single
file (a name that does not parse, an invalid ``Requires-Python``) drops or blanks
just that detail, as pip does, so one bad line never hides a whole project.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from html.parser import HTMLParser
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name

from depslim.errors import IndexAccessError
from depslim.index.filenames import parse_filename
from depslim.models import Link, ProjectPage

__all__ = [
    "SUPPORTED_API_MAJOR",
    "parse_html_page",
    "parse_json_page",
    "parse_project_list_html",
    "parse_project_list_json",
]

SUPPORTED_API_MAJOR = 1
"""PEP 629: a client must refuse pages whose major API version it does not know."""

_HASH_RE = re.compile(r"^([A-Za-z0-9_]+)=([0-9A-Fa-f]+)$")
_WEB_SCHEMES = frozenset({"http", "https"})


# ---------------------------------------------------------------------------- HTML


class _AnchorCollector(HTMLParser):
    """Collects ``<a>`` attributes, ``<base href>`` and the PEP 629 version meta tag.

    It also notes what shows that the page was not read as a whole (see
    :func:`_collect`): a start tag whose raw text swallowed other markup (an attribute
    quote never closed), and which of ``<html>``/``<body>`` were opened and closed.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[dict[str, str | None], list[str]]] = []
        self.base: str | None = None
        self.api_version: str | None = None
        self.swallowed: str | None = None
        self.opened: set[str] = set()
        self.closed: set[str] = set()
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # Attribute values arrive HTML-unescaped (``&gt;=3.8`` is ``>=3.8`` here).
        raw = self.get_starttag_text() or ""
        if self.swallowed is None and _MARKUP_INSIDE.search(raw, 1):
            self.swallowed = raw
        if tag in _MUST_CLOSE:
            self.opened.add(tag)
        if tag == "a":
            attributes = dict(attrs)
            self._text = []
            self.anchors.append((attributes, self._text))
        elif tag == "base" and self.base is None:
            self.base = dict(attrs).get("href")
        elif tag == "meta":
            attributes = dict(attrs)
            if attributes.get("name") == "pypi:repository-version":
                self.api_version = attributes.get("content")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "a":
            self._text = None

    def handle_endtag(self, tag: str) -> None:
        if tag in _MUST_CLOSE:
            self.closed.add(tag)
        if tag == "a":
            self._text = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    @property
    def unparsed(self) -> str:
        """Input the parser still holds back: an unfinished tag, comment or script."""
        return self.rawdata


#: Elements that, once opened, must be closed: a page cut short misses their end tags.
_MUST_CLOSE = frozenset({"html", "body"})
#: Markup inside a start tag's raw text: an attribute quote that was never closed.
_MARKUP_INSIDE = re.compile(r"<\s*[A-Za-z/!]")


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _collect(content: bytes, url: str) -> _AnchorCollector:
    """Parse a page, or raise :class:`IndexAccessError` if it does not parse as a whole.

    html.parser is lenient: it silently drops an unfinished tag at the end, lets an
    unclosed quote swallow the anchors after it, and reads a page cut after any anchor
    as complete. Each of these would be a partial listing (an older pin, chosen
    silently), so each is an error naming the URL instead.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IndexAccessError(
            f"invalid UTF-8 in the HTML page from {url} (at byte {exc.start})", url=url
        ) from None
    collector = _AnchorCollector()
    try:
        collector.feed(text)
        left = collector.unparsed
        collector.close()
    except (AssertionError, ValueError) as exc:
        # html.parser is lenient, but some malformed declarations (``<![``) still
        # raise from deep inside it.
        raise IndexAccessError(f"broken HTML page from {url}: {exc}", url=url) from None
    problem = None
    if "<" in left:
        problem = f"it ends inside a tag, comment or script ({_snippet(left)})"
    elif collector.swallowed is not None:
        problem = f"a quote is never closed in {_snippet(collector.swallowed)}"
    elif unclosed := sorted(collector.opened - collector.closed):
        tags = " and ".join(f"<{tag}>" for tag in unclosed)
        problem = f"it opens {tags} but never closes {'them' if len(unclosed) > 1 else 'it'}"
        problem += " (cut short?)"
    if problem is not None:
        raise IndexAccessError(
            f"broken HTML page from {url}: {problem}; refusing a partial listing", url=url
        )
    _check_api_version(collector.api_version, url)
    return collector


def _check_api_version(version: str | None, url: str) -> None:
    if version is None:
        return
    major = version.strip().partition(".")[0]
    if not (major.isascii() and major.isdigit()):
        raise IndexAccessError(f"invalid repository API version {version!r} from {url}", url=url)
    if int(major) != SUPPORTED_API_MAJOR:
        raise IndexAccessError(
            f"unsupported repository API version {version} from {url}: "
            f"depslim speaks version {SUPPORTED_API_MAJOR}.x",
            url=url,
        )


def parse_html_page(
    content: bytes, *, url: str, index: str, project: NormalizedName | None
) -> ProjectPage:
    """Parse a PEP 503 project page (or, with ``project=None``, a flat find-links page).

    Relative hrefs are resolved against the page URL and its ``<base href>``; the
    ``#sha256=…`` fragment becomes :attr:`Link.hashes`; ``data-requires-python``,
    ``data-yanked`` and the PEP 658/714 metadata attributes are read. Only files whose
    name parses are kept, and with ``project`` given only that project's files. A flat
    page's :class:`ProjectPage` has an empty name.
    """
    if project is not None:
        project = canonicalize_name(project)
    collector = _collect(content, url)
    base = (_resolve(url, collector.base) if collector.base else None) or url
    web_page = urlsplit(url).scheme.lower() in _WEB_SCHEMES
    links: list[Link] = []
    for attributes, _ in collector.anchors:
        href = attributes.get("href")
        if not href:
            continue
        absolute = _resolve(base, href)
        if absolute is None:
            continue
        link = _html_link(attributes, absolute, index, project)
        # A page served over the web must not point the installer at local files.
        if link is not None and (not web_page or _scheme(link.url) in _WEB_SCHEMES):
            links.append(link)
    return ProjectPage(
        name=project if project is not None else NormalizedName(""),
        index=index,
        links=tuple(links),
    )


_PLAIN_ABSOLUTE = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d+)?/[^\s\\]*\Z")


def _resolve(base: str, href: str) -> str | None:
    """``href`` made absolute against ``base``; ``None`` if it is not a URL at all."""
    if _PLAIN_ABSOLUTE.match(href):
        return href  # the common case (PyPI's file host): nothing to join, nothing to check
    try:
        absolute = urljoin(base, href.strip())
        urlsplit(absolute)  # urljoin lets some malformed URLs through (``http://[x``)
    except ValueError:
        return None
    return absolute


def _scheme(url: str) -> str:
    head, sep, _ = url.partition(":")
    if sep and head.isascii() and head.isalpha():
        return head.lower()
    return urlsplit(url).scheme.lower()


def _html_link(
    attributes: Mapping[str, str | None], href: str, index: str, project: NormalizedName | None
) -> Link | None:
    file_url, fragment = urldefrag(href)
    filename = _url_filename(file_url)
    parsed = parse_filename(filename, project=project) if filename else None
    if parsed is None:
        return None
    name, version, kind, tags, build = parsed
    if project is not None and name != project:
        return None
    hashes: dict[str, str] = {}
    hash_match = _HASH_RE.match(fragment)
    if hash_match:
        hashes[hash_match.group(1).lower()] = hash_match.group(2).lower()
    yanked = (attributes["data-yanked"] or "") if "data-yanked" in attributes else None
    return Link(
        url=file_url,
        filename=filename,
        name=name,
        version=version,
        kind=kind,
        index=index,
        tags=tags,
        build=build,
        hashes=MappingProxyType(hashes),
        requires_python=_specifier(attributes.get("data-requires-python")),
        yanked=yanked,
        metadata_hashes=_html_metadata(attributes),
    )


def _url_filename(url: str) -> str:
    path = urlsplit(url).path
    return unquote(path.rpartition("/")[2])


def _specifier(value: str | None) -> SpecifierSet | None:
    if value is None or not value.strip():
        return None
    return _parse_specifier(value.strip())


@lru_cache(maxsize=4096)
def _parse_specifier(text: str) -> SpecifierSet | None:
    # A page repeats a few Requires-Python values over thousands of files: parse each
    # once (a SpecifierSet is never changed after it is built here, so links share it).
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


def _html_metadata(attributes: Mapping[str, str | None]) -> Mapping[str, str] | None:
    # PEP 714 renamed the attribute; the new spelling wins when both are present.
    for key in ("data-core-metadata", "data-dist-info-metadata"):
        if key in attributes:
            value = (attributes[key] or "").strip()
            break
    else:
        return None
    if value.lower() == "false":
        return None
    match = _HASH_RE.match(value)
    if match:
        return MappingProxyType({match.group(1).lower(): match.group(2).lower()})
    # "true", or a value we cannot read: metadata is advertised, without a usable hash.
    return MappingProxyType({})


def parse_project_list_html(content: bytes, *, url: str = "the index root") -> list[str]:
    """Project names listed by a PEP 503 root page, in page order, as spelled there."""
    collector = _collect(content, url)
    names: list[str] = []
    for attributes, text in collector.anchors:
        name = "".join(text).strip()
        if not name:
            href = (attributes.get("href") or "").strip().rstrip("/")
            try:
                name = unquote(urlsplit(href).path.rpartition("/")[2])
            except ValueError:  # an href that is not a URL names no project
                continue
        if name:
            names.append(name)
    return names


# ---------------------------------------------------------------------------- JSON


def _load_json(content: bytes, url: str) -> dict[str, Any]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IndexAccessError(
            f"invalid UTF-8 in the JSON page from {url} (at byte {exc.start})", url=url
        ) from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise IndexAccessError(f"invalid JSON from {url}: {exc}", url=url) from None
    if not isinstance(data, dict):
        raise IndexAccessError(
            f"invalid JSON from {url}: expected an object, got {type(data).__name__}", url=url
        )
    meta = data.get("meta")
    if meta is not None:
        if not isinstance(meta, dict):
            raise IndexAccessError(f"invalid JSON from {url}: 'meta' is not an object", url=url)
        version = meta.get("api-version")
        if version is not None:
            if not isinstance(version, str):
                raise IndexAccessError(
                    f"invalid JSON from {url}: 'meta.api-version' is not a string", url=url
                )
            _check_api_version(version, url)
    return data


def parse_json_page(
    content: bytes, *, url: str, index: str, project: NormalizedName
) -> ProjectPage:
    """Parse a PEP 691 JSON project page (API v1), keeping ``project``'s files only.

    Reads ``filename``, ``url`` (relative to the page), ``hashes``, ``requires-python``,
    ``yanked``, ``core-metadata``/``dist-info-metadata``, ``size`` and ``upload-time``.
    Raises :class:`IndexAccessError` when the document is not valid JSON of that shape.
    """
    project = canonicalize_name(project)
    data = _load_json(content, url)
    files = data.get("files")
    if not isinstance(files, list):
        raise IndexAccessError(f"invalid JSON from {url}: 'files' is not a list", url=url)
    links: list[Link] = []
    for position, entry in enumerate(files):
        link = _json_link(entry, position, url, index, project)
        if link is not None:
            links.append(link)
    return ProjectPage(name=project, index=index, links=tuple(links))


class _Shape:
    """Reports a wrong shape in one entry of ``files`` with where it is."""

    def __init__(self, url: str, position: int, entry: Mapping[str, Any]) -> None:
        self.url = url
        filename = entry.get("filename")
        self.where = f"files[{position}]" + (f" ({filename})" if isinstance(filename, str) else "")

    def error(self, what: str) -> IndexAccessError:
        return IndexAccessError(f"invalid JSON from {self.url}: {self.where}: {what}", url=self.url)


def _json_link(
    entry: object, position: int, url: str, index: str, project: NormalizedName
) -> Link | None:
    if not isinstance(entry, dict):
        raise IndexAccessError(
            f"invalid JSON from {url}: files[{position}] is not an object", url=url
        )
    shape = _Shape(url, position, entry)
    filename = entry.get("filename")
    file_url = entry.get("url")
    if not isinstance(filename, str):
        raise shape.error("'filename' is missing or not a string")
    if not isinstance(file_url, str):
        raise shape.error("'url' is missing or not a string")
    if "%" in filename:
        filename = unquote(filename)
    parsed = parse_filename(filename, project=project)
    if parsed is None:
        return None
    name, version, kind, tags, build = parsed
    if name != project:
        return None
    resolved = _resolve(url, file_url)
    if resolved is None:
        return None
    absolute, fragment = urldefrag(resolved)
    if _scheme(url) in _WEB_SCHEMES and _scheme(absolute) not in _WEB_SCHEMES:
        return None
    hashes = _json_hashes(entry.get("hashes", {}), shape, "hashes")
    hash_match = _HASH_RE.match(fragment)
    if hash_match:
        hashes.setdefault(hash_match.group(1).lower(), hash_match.group(2).lower())
    requires_python = entry.get("requires-python")
    if requires_python is not None and not isinstance(requires_python, str):
        raise shape.error("'requires-python' is not a string")
    size = entry.get("size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise shape.error("'size' is not a non-negative integer")
    upload_time = entry.get("upload-time")
    if upload_time is not None and not isinstance(upload_time, str):
        raise shape.error("'upload-time' is not a string")
    return Link(
        url=absolute,
        filename=filename,
        name=name,
        version=version,
        kind=kind,
        index=index,
        tags=tags,
        build=build,
        hashes=MappingProxyType(hashes),
        requires_python=_specifier(requires_python),
        yanked=_json_yanked(entry.get("yanked"), shape),
        metadata_hashes=_json_metadata(entry, shape),
        size=size,
        upload_time=upload_time,
    )


def _json_hashes(value: object, shape: _Shape, key: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise shape.error(f"'{key}' is not an object")
    hashes: dict[str, str] = {}
    for name, digest in value.items():
        if not isinstance(digest, str):
            raise shape.error(f"'{key}.{name}' is not a string")
        hashes[name.lower()] = digest.lower()
    return hashes


def _json_yanked(value: object, shape: _Shape) -> str | None:
    # As pip reads it: true or a reason string means yanked; false or "" means not.
    if value is None or value is False:
        return None
    if value is True:
        return ""
    if isinstance(value, str):
        return value or None
    raise shape.error("'yanked' is neither a boolean nor a string")


def _json_metadata(entry: Mapping[str, Any], shape: _Shape) -> Mapping[str, str] | None:
    for key in ("core-metadata", "dist-info-metadata"):
        if key in entry:
            value = entry[key]
            break
    else:
        return None
    if value is None or value is False:
        return None
    if value is True:
        return MappingProxyType({})
    return MappingProxyType(_json_hashes(value, shape, key))


def parse_project_list_json(content: bytes, *, url: str = "the index root") -> list[str]:
    """Project names listed by a PEP 691 root page, in document order."""
    data = _load_json(content, url)
    projects = data.get("projects")
    if not isinstance(projects, list):
        raise IndexAccessError(f"invalid JSON from {url}: 'projects' is not a list", url=url)
    names: list[str] = []
    for position, project in enumerate(projects):
        name = project.get("name") if isinstance(project, dict) else None
        if not isinstance(name, str):
            raise IndexAccessError(
                f"invalid JSON from {url}: projects[{position}] has no 'name' string", url=url
            )
        names.append(name)
    return names
