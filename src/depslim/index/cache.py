"""On-disk cache of index pages, core metadata and computed file hashes.

Layout under the root directory the caller chooses (the API picks the default:
``DEPSLIM_CACHE_DIR``, ``--cache-dir`` or the platform's user cache directory)::

    pages-v1/ab/<sha256 of url>        a page body with its ETag / Last-Modified
    metadata-v1/ab/<sha256 of key>     parsed core metadata, kept forever
    hashes-v1/ab/<sha256 of url+size>  the sha256 of a file the index gave none for
    scanned-v1/ab/<sha256 of key>      a JSON page as scanned for one target, keyed by
                                       the body's sha256 (so warm runs skip the scan)

Pages are revalidated on every run (``If-None-Match`` / ``If-Modified-Since``); metadata
is content-addressed (by the hash of the metadata file, else of the distribution file)
and so never goes stale. Every entry carries the sha256 of its own body: a torn or
corrupt entry is treated as missing and fetched again. Writes go to a temporary file in
the same directory and are renamed into place, so concurrent threads and processes only
ever see whole entries.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from depslim.credentials import redact_url
from depslim.models import CoreMetadata

__all__ = ["Cache", "CachedPage", "metadata_from_json", "metadata_to_json"]

_MAGIC = b"depslim-cache-1\n"


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedPage:
    """A page as last fetched: the body and what is needed to revalidate and parse it.

    ``status`` is 200 for a page, or the status (404, 410, 403) with which the index said
    that it does not have the project, so that ``--offline`` runs know that too.
    ``base_url`` is where the page was finally served from (after redirects): relative
    links on it are resolved against that.
    """

    url: str
    base_url: str = ""
    status: int = 200
    body: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: float | None = None
    max_age: int | None = None
    sha256: str | None = field(default=None, compare=False)
    """The body's sha256 as read back from the cache (``None`` for a page not stored)."""
    partial: bool = field(default=False, compare=False)
    """True when only the entry's header was read: ``body`` is empty (see ``sha256``)."""

    def is_fresh(self, now: float) -> bool:
        """True while the index's ``Cache-Control: max-age`` says the copy is current."""
        if self.fetched_at is None or not self.max_age:
            return False
        return 0 <= now - self.fetched_at < self.max_age


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def metadata_to_json(meta: CoreMetadata) -> dict[str, Any]:
    """A JSON-ready form of ``meta`` that :func:`metadata_from_json` reads back."""
    return {
        "name": str(meta.name),
        "version": str(meta.version),
        "metadata_version": meta.metadata_version,
        "requires_dist": [str(r) for r in meta.requires_dist],
        "requires_python": None if meta.requires_python is None else str(meta.requires_python),
        "provides_extra": [str(e) for e in meta.provides_extra],
        "dynamic": list(meta.dynamic),
    }


def metadata_from_json(data: Any) -> CoreMetadata:
    """Read back what :func:`metadata_to_json` wrote; ``ValueError`` if it is not that."""
    if not isinstance(data, dict):
        raise ValueError("metadata entry is not an object")  # noqa: TRY004 - one error type for callers
    try:
        requires_python = data["requires_python"]
        return CoreMetadata(
            name=canonicalize_name(str(data["name"])),
            version=Version(str(data["version"])),
            metadata_version=str(data["metadata_version"]),
            requires_dist=tuple(Requirement(str(r)) for r in data["requires_dist"]),
            requires_python=None if requires_python is None else SpecifierSet(requires_python),
            provides_extra=tuple(canonicalize_name(str(e)) for e in data["provides_extra"]),
            dynamic=tuple(str(d) for d in data["dynamic"]),
        )
    except (KeyError, TypeError, InvalidVersion, InvalidRequirement, InvalidSpecifier) as exc:
        raise ValueError(f"bad metadata entry: {exc}") from exc


class Cache:
    """A directory of cache entries, safe to share between threads and processes."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"Cache({str(self.root)!r})"

    # -- generic entries -------------------------------------------------------------

    def _path(self, kind: str, key: str) -> Path:
        digest = _digest(key)
        return self.root / kind / digest[:2] / digest

    def _lookup(self, kind: str, key: str, *, field: str = "key") -> bytes | None:
        """The body stored for ``key``, if its header says it is that key's (a digest
        collision or a damaged entry reads as missing)."""
        entry = self._read(self._path(kind, key))
        if entry is None or entry[0].get(field) != key:
            return None
        return entry[1]

    def _read(self, path: Path) -> tuple[dict[str, Any], bytes] | None:
        """An entry's header and body, or ``None`` if it is missing or damaged."""
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        if not raw.startswith(_MAGIC):
            return None
        header_end = raw.find(b"\n", len(_MAGIC))
        if header_end < 0:
            return None
        try:
            header = json.loads(raw[len(_MAGIC) : header_end])
        except (ValueError, UnicodeDecodeError):
            return None
        body = raw[header_end + 1 :]
        if not isinstance(header, dict) or header.get("sha256") != hashlib.sha256(body).hexdigest():
            # Damaged: remove it, so that the next answer is stored again even when it
            # is the same as the one this entry's header still describes.
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        return header, body

    def _read_header(self, path: Path) -> tuple[dict[str, Any], bytes] | None:
        """An entry's header (and an empty body), without reading or checking the body."""
        try:
            with path.open("rb") as handle:
                magic = handle.read(len(_MAGIC))
                line = handle.readline(1 << 20)
        except OSError:
            return None
        if magic != _MAGIC or not line.endswith(b"\n"):
            return None
        try:
            header = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(header, dict) or not isinstance(header.get("sha256"), str):
            return None
        return header, b""

    def _write(self, path: Path, header: dict[str, Any], body: bytes) -> None:
        """Write an entry atomically; a cache that cannot be written is not an error."""
        header = {**header, "sha256": hashlib.sha256(body).hexdigest()}
        data = _MAGIC + json.dumps(header, sort_keys=True).encode("utf-8") + b"\n" + body
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            Path(tmp).replace(path)
        except OSError:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()

    # -- pages -------------------------------------------------------------------------

    def get_page(self, url: str, *, body: bool = True) -> CachedPage | None:
        """The last stored answer for ``url``, or ``None``.

        Entries are keyed and stored by the URL without credentials (see
        :func:`depslim.credentials.redact_url`): the ``url`` and ``base_url`` read back
        carry none. With ``body=False`` only the entry's header is read (a page body may
        be tens of megabytes): the answer is ``partial``, with the body's ``sha256`` as
        stored but not checked; read it again with ``body=True`` when the body is needed.
        """
        url = redact_url(url)
        path = self._path("pages-v1", url)
        entry = self._read(path) if body else self._read_header(path)
        if entry is None:
            return None
        header, content = entry
        if header.get("url") != url:
            return None
        status = header.get("status", 200)
        etag = header.get("etag")
        last_modified = header.get("last_modified")
        base_url = header.get("base_url")
        fetched_at = header.get("fetched_at")
        max_age = header.get("max_age")
        return CachedPage(
            url=url,
            base_url=base_url if isinstance(base_url, str) else "",
            status=status if isinstance(status, int) else 200,
            body=content,
            content_type=str(header.get("content_type", "")),
            etag=etag if isinstance(etag, str) else None,
            last_modified=last_modified if isinstance(last_modified, str) else None,
            fetched_at=float(fetched_at) if isinstance(fetched_at, int | float) else None,
            max_age=max_age if isinstance(max_age, int) else None,
            sha256=str(header["sha256"]),
            partial=not body,
        )

    def put_page(self, page: CachedPage) -> None:
        """Store the answer for ``page.url``, replacing any older one (no credentials kept)."""
        page = replace(page, url=redact_url(page.url), base_url=redact_url(page.base_url))
        header = {
            "url": page.url,
            "base_url": page.base_url,
            "status": page.status,
            "content_type": page.content_type,
            "etag": page.etag,
            "last_modified": page.last_modified,
            "fetched_at": page.fetched_at,
            "max_age": page.max_age,
        }
        self._write(self._path("pages-v1", page.url), header, page.body)

    # -- pages as scanned for a target ------------------------------------------------

    def get_scanned_page(self, key: str) -> Any:
        """The JSON stored under ``key`` by :meth:`put_scanned_page`, or ``None``."""
        body = self._lookup("scanned-v1", key)
        if body is None:
            return None
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return None

    def put_scanned_page(self, key: str, data: Any) -> None:
        """Keep a page's scanned form (see ``depslim.index.page_files``) forever.

        The key starts with the sha256 of the page body it was read from, so it never
        goes stale: a changed page has a new key.
        """
        body = json.dumps(data, separators=(",", ":")).encode("utf-8")
        self._write(self._path("scanned-v1", key), {"key": key}, body)

    # -- metadata ----------------------------------------------------------------------

    def get_metadata(self, key: str) -> CoreMetadata | None:
        """Metadata stored under ``key`` (see :meth:`put_metadata`), or ``None``."""
        body = self._lookup("metadata-v1", key)
        if body is None:
            return None
        try:
            return metadata_from_json(json.loads(body))
        except (ValueError, UnicodeDecodeError):
            return None

    def put_metadata(self, key: str, meta: CoreMetadata) -> None:
        """Keep ``meta`` forever under ``key``.

        The client's keys are content addresses: ``metadata-sha256:<hex>`` (the PEP 658
        file's hash), ``file-sha256:<hex>`` (the distribution's hash), ``url:<url>``
        (without credentials) when the index gives no hash at all, and
        ``wheel-sha256:<hex>`` for the METADATA read from a verified wheel's own bytes.
        """
        body = json.dumps(metadata_to_json(meta), sort_keys=True).encode("utf-8")
        self._write(self._path("metadata-v1", key), {"key": key}, body)

    # -- computed file hashes ----------------------------------------------------------

    @staticmethod
    def _hash_key(url: str, size: int | None) -> str:
        return f"{redact_url(url)}\n{size}"

    def get_file_hash(self, url: str, size: int | None) -> str | None:
        """The sha256 computed earlier for the file at ``url`` of ``size`` bytes."""
        body = self._lookup("hashes-v1", self._hash_key(url, size))
        if body is None:
            return None
        text = body.decode("ascii", errors="replace")
        if len(text) != 64 or text.strip("0123456789abcdef"):
            return None
        return text

    def put_file_hash(self, url: str, size: int | None, sha256: str) -> None:
        """Remember the sha256 computed by downloading the file at ``url``."""
        key = self._hash_key(url, size)
        self._write(self._path("hashes-v1", key), {"key": key}, sha256.lower().encode("ascii"))

    # -- facts about a file, read from its zip directory ---------------------------------

    def get_file_facts(self, sha256: str) -> dict[str, Any] | None:
        """Facts recorded for the file with this sha256 (sizes, top-level modules)."""
        body = self._lookup("facts-v1", f"sha256:{sha256.lower()}")
        if body is None:
            return None
        try:
            data = json.loads(body)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def put_file_facts(self, sha256: str, facts: dict[str, Any]) -> None:
        """Remember facts about a file; content-addressed, so they never go stale."""
        key = f"sha256:{sha256.lower()}"
        body = json.dumps(facts, sort_keys=True).encode()
        self._write(self._path("facts-v1", key), {"key": key}, body)
