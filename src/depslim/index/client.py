"""The index client: pages, metadata and file hashes over HTTP, with routing and a cache.

:class:`IndexClient` implements :class:`depslim.resolve.protocol.PackageFinder`. What it
does that pip and uv do not all do (see ``shared/notes/index-faults.md``):

- retries connection errors, timeouts, resets (also mid-body), 5xx, 408 and 429,
  honouring ``Retry-After`` with a cap, then fails with one line naming the URL and the
  cause; a page that failed is never reported as "not found";
- a size cap on every body and a total deadline on every request, so a junk or
  trickling answer cannot exhaust memory or hang the run;
- redirects followed by hand, so a loop gets its own message;
- every byte read from the index checked against the hash the index gave;
- metadata from PEP 658 files, else from HTTP range requests into the wheel's zip,
  and only as a last resort from a full download.

Concurrency: resolution is sequential, but :meth:`IndexClient.prefetch` and
:meth:`IndexClient.prefetch_metadata` start fetches on a thread pool; a later
synchronous call for the same key waits for (or takes over) that work instead of
fetching twice, and re-raises its error.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import os
import re
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any, TypeVar
from urllib.parse import unquote, urljoin, urlsplit

import httpx
from packaging.utils import NormalizedName, canonicalize_name

from depslim.credentials import expand_url, redact_text, redact_url, with_credentials_of
from depslim.errors import (
    BuildRequiredError,
    DepslimError,
    HashMismatchError,
    IndexAccessError,
    InputError,
)
from depslim.index.binding import choose_offer
from depslim.index.build import build_metadata
from depslim.index.cache import Cache, CachedPage
from depslim.index.filenames import parse_filename
from depslim.index.metadata import (
    BytesRangeReader,
    MetadataMismatchError,
    RangeReader,
    ZipEntry,
    build_required_message,
    is_static,
    metadata_differences,
    parse_core_metadata,
    read_zip_directory,
    sdist_metadata,
    top_level_modules,
    wheel_metadata,
)
from depslim.index.page_files import FileFilter, ProjectFiles, scan_json_page
from depslim.index.pages import parse_html_page, parse_json_page
from depslim.index.routing import FIND_LINKS, Routing
from depslim.index.transport import (
    FileRangeReader,
    is_local,
    local_find_links,
    local_path,
    local_project_page,
    sha256_file,
)
from depslim.layers.installed import installed_estimate
from depslim.models import CoreMetadata, IndexSource, Link, ProjectPage
from depslim.target import Target

__all__ = [
    "ACCEPT",
    "ClientSettings",
    "EventCallback",
    "FileFacts",
    "IndexClient",
    "project_url",
]

T = TypeVar("T")

ACCEPT = (
    "application/vnd.pypi.simple.v1+json, "
    "application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.01"
)
_HTML_ACCEPT = "text/html, application/vnd.pypi.simple.v1+html;q=0.9"
_JSON_TYPES = frozenset({"application/vnd.pypi.simple.v1+json", "application/json"})
_HTML_TYPES = frozenset(
    {"", "text/html", "application/vnd.pypi.simple.v1+html", "application/xhtml+xml"}
)
_ABSENT = frozenset({403, 404, 410})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRY_STATUSES = frozenset({408, 429})
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)
_HEX = re.compile(r"[0-9a-fA-F]+")
_MIB = 1024 * 1024

EventCallback = Callable[[str, str], None]
"""``on_event(kind, url)``: progress for the CLI. Kinds: ``page`` (a page is fetched),
``page-cached`` (answered from the cache), ``metadata`` (metadata is fetched),
``metadata-cached``, ``range`` (a range request into a wheel), ``download`` (a whole
file is downloaded), ``build`` (an sdist's build backend runs to give its metadata,
``--allow-build``) and ``retry`` (a request is about to be retried)."""


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("depslim")
    except Exception:  # noqa: BLE001 - a missing dist-info must not break requests
        return "0"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientSettings:
    """How the client talks to indexes.

    ``timeout`` bounds connecting and each read; ``deadline`` bounds a whole request for
    a page or metadata (``download_deadline`` for a whole file). ``retries`` is the
    number of retries after the first attempt, waiting ``backoff_base * 2**n`` seconds
    (at most ``backoff_max``) or what ``Retry-After`` asks (at most ``retry_after_cap``).
    ``sleep`` is what waits: tests pass a recorder so that no test really sleeps.
    ``honor_max_age``: a cached page younger than the index's ``Cache-Control: max-age``
    is used without a request (as pip and uv do); off, every page is revalidated.
    ``allow_build`` lets the client run an sdist's build backend when its metadata is
    not static (PEP 643); ``build_timeout`` bounds each step of such a build.
    """

    timeout: float = 30.0
    deadline: float = 120.0
    download_deadline: float = 1800.0
    retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 10.0
    retry_after_cap: float = 60.0
    max_page_size: int = 64 * _MIB
    max_metadata_size: int = 16 * _MIB
    max_download_size: int = 4096 * _MIB
    max_redirects: int = 10
    concurrency: int = 8
    range_requests: bool = True
    range_tail: int = 65536
    allow_build: bool = False
    build_timeout: float = 600.0
    offline: bool = False
    honor_max_age: bool = True
    user_agent: str = field(default_factory=lambda: f"depslim/{_version()}")
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def __post_init__(self) -> None:
        positive = {
            "timeout": self.timeout,
            "deadline": self.deadline,
            "download-deadline": self.download_deadline,
            "max-page-size": self.max_page_size,
            "max-metadata-size": self.max_metadata_size,
            "max-download-size": self.max_download_size,
            "concurrency": self.concurrency,
            "range-tail": self.range_tail,
            "build-timeout": self.build_timeout,
        }
        for name, value in positive.items():
            if value <= 0:
                raise InputError(f"{name} must be positive, got {value}")
        not_negative = {
            "retries": self.retries,
            "backoff-base": self.backoff_base,
            "backoff-max": self.backoff_max,
            "retry-after-cap": self.retry_after_cap,
            "max-redirects": self.max_redirects,
        }
        for name, value in not_negative.items():
            if value < 0:
                raise InputError(f"{name} must not be negative, got {value}")


def project_url(index: str, name: str) -> str:
    """A project's page on a simple index: the index URL, the normalized name, a slash."""
    base = index if index.endswith("/") else index + "/"
    return f"{base}{canonicalize_name(name)}/"


def _mb(size: int) -> str:
    return f"{size / _MIB:g} MB"


def _strip_fragment(url: str) -> str:
    return url.partition("#")[0]


def _reason(status: int, response: httpx.Response | None = None) -> str:
    phrase = response.reason_phrase if response is not None else ""
    return f"{status} {phrase or httpx.codes.get_reason_phrase(status)}".strip()


@dataclass(frozen=True, slots=True, kw_only=True)
class _Deadline:
    """When one attempt at a request must be complete, and how long that was."""

    at: float
    seconds: float


class _RetryableError(Exception):
    """One attempt failed in a way another attempt may not."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class _NoRangesError(Exception):
    """The server does not answer range requests usefully: download the whole file."""


def _retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class _Hashing:
    """Hashes bytes as they stream past, for each algorithm the index gave (and sha256)."""

    def __init__(self, names: Iterable[str]) -> None:
        wanted = {"sha256", *(n for n in names if n in hashlib.algorithms_guaranteed)}
        self.digests = {name: hashlib.new(name) for name in sorted(wanted)}

    def update(self, chunk: bytes) -> None:
        for digest in self.digests.values():
            digest.update(chunk)

    def hexdigests(self) -> dict[str, str]:
        return {name: digest.hexdigest() for name, digest in self.digests.items()}


def _check_hashes(url: str, expected: Mapping[str, str], actual: Mapping[str, str]) -> None:
    """Raise :class:`HashMismatchError` if any hash the index gave differs."""
    for name, want in expected.items():
        got = actual.get(name.lower())
        if got is not None and got != want.lower():
            raise HashMismatchError(
                f"{name} mismatch for {redact_url(url)}: the index lists {want.lower()}, "
                f"the bytes served have {got}",
                url=url,
            )


class _Http:
    """HTTP with retries, redirects followed by hand, size caps and deadlines."""

    def __init__(
        self,
        settings: ClientSettings,
        transport: httpx.BaseTransport | None,
        on_event: EventCallback | None,
    ) -> None:
        self.settings = settings
        self._on_event = on_event
        self._transport = transport
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()

    @property
    def client(self) -> httpx.Client:
        """The connection pool, opened on the first request (an offline run or one
        answered from the cache never loads TLS certificates)."""
        with self._client_lock:
            if self._client is None:
                settings = self.settings
                self._client = httpx.Client(
                    transport=self._transport,
                    timeout=httpx.Timeout(settings.timeout),
                    follow_redirects=False,
                    headers={"User-Agent": settings.user_agent},
                    # As many kept alive as may be open: httpcore closes an idle
                    # connection whenever more connections than that exist at all (idle
                    # or not), and a new TLS handshake costs more than the one it saves.
                    limits=httpx.Limits(
                        max_connections=settings.concurrency * 2,
                        max_keepalive_connections=settings.concurrency * 2,
                    ),
                )
            return self._client

    def close(self) -> None:
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def event(self, kind: str, url: str) -> None:
        if self._on_event is not None:
            self._on_event(kind, redact_url(url))

    def request(
        self,
        url: str,
        *,
        ok: frozenset[int],
        consume: Callable[[httpx.Response, _Deadline], T],
        headers: Mapping[str, str] | None = None,
        deadline: float | None = None,
        method: str = "GET",
    ) -> T:
        """Send a request until an answer with a status in ``ok`` is consumed.

        ``consume(response, deadline)`` reads the body (see :meth:`read`); it may
        raise :class:`_RetryableError` when the body breaks off. Statuses outside ``ok``
        are retried (5xx, 408, 429) or raise :class:`IndexAccessError`.
        """
        settings = self.settings
        attempts = settings.retries + 1
        last = ""
        retry_after: float | None = None
        for attempt in range(attempts):
            if attempt:
                if retry_after is not None:
                    delay = min(retry_after, settings.retry_after_cap)
                else:
                    delay = min(settings.backoff_max, settings.backoff_base * 2 ** (attempt - 1))
                self.event("retry", url)
                settings.sleep(delay)
            try:
                return self._attempt(
                    method,
                    url=url,
                    ok=ok,
                    consume=consume,
                    headers=headers or {},
                    deadline=deadline,
                )
            except _RetryableError as exc:
                last, retry_after = exc.reason, exc.retry_after
        tries = "attempt" if attempts == 1 else "attempts"
        raise IndexAccessError(
            f"{method} {redact_url(url)} failed after {attempts} {tries}: {last}", url=url
        )

    def _attempt(
        self,
        method: str,
        *,
        url: str,
        ok: frozenset[int],
        consume: Callable[[httpx.Response, _Deadline], T],
        headers: Mapping[str, str],
        deadline: float | None,
    ) -> T:
        settings = self.settings
        seconds = deadline or settings.deadline
        budget = _Deadline(at=time.monotonic() + seconds, seconds=seconds)
        current = url
        seen = [url]
        for _ in range(settings.max_redirects + 1):
            response = self._send(method, current, headers)
            try:
                status = response.status_code
                location = response.headers.get("location")
                if status in _REDIRECTS and location:
                    target = _strip_fragment(urljoin(current, location.strip()))
                    if _downgrades(current, target):
                        raise IndexAccessError(
                            f"{method} {redact_url(url)}: refused a redirect from https to "
                            f"http ({redact_url(current)} -> {redact_url(target)}): answers "
                            "over plain http can be changed by anyone on the way; fix the "
                            "index URL or the server",
                            url=url,
                        )
                    if target in seen:
                        chain = " -> ".join(
                            redact_url(u) for u in [*seen[seen.index(target) :], target]
                        )
                        raise IndexAccessError(
                            f"{method} {redact_url(url)}: redirect loop ({chain})", url=url
                        )
                    seen.append(target)
                    current = target
                    continue
                if status in ok:
                    return consume(response, budget)
                if status >= 500 or status in _RETRY_STATUSES:
                    raise _RetryableError(
                        _reason(status, response),
                        _retry_after(response.headers.get("retry-after")),
                    )
                raise IndexAccessError(
                    f"{method} {redact_url(current)} failed: {_reason(status, response)}",
                    url=current,
                )
            finally:
                response.close()
        raise IndexAccessError(
            f"{method} {redact_url(url)}: more than {settings.max_redirects} redirects "
            f"(last to {redact_url(current)})",
            url=url,
        )

    def _send(self, method: str, url: str, headers: Mapping[str, str]) -> httpx.Response:
        try:
            # ``${VAR}`` references stay literal everywhere else (and in the lock).
            request = self.client.build_request(
                method, expand_url(url, os.environ), headers=dict(headers)
            )
            return self.client.send(request, stream=True)
        except httpx.TimeoutException:
            raise _RetryableError(
                f"timed out (no answer within {self.settings.timeout:g} s)"
            ) from None
        except httpx.UnsupportedProtocol as exc:
            raise IndexAccessError(f"{method} {redact_url(url)}: {exc}", url=url) from None
        except httpx.TransportError as exc:
            raise _RetryableError(_describe(exc)) from None
        except httpx.InvalidURL as exc:
            raise IndexAccessError(f"invalid URL {redact_url(url)}: {exc}", url=url) from None

    def read(
        self,
        response: httpx.Response,
        deadline: _Deadline,
        *,
        max_bytes: int,
        what: str,
        sink: Callable[[bytes], None] | None = None,
    ) -> bytes:
        """Read a streamed body within the size cap and the deadline.

        With ``sink`` the chunks go there and ``b""`` is returned; else the body is.
        """
        url = str(response.request.url)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise IndexAccessError(
                f"GET {redact_url(url)}: {what} larger than {_mb(max_bytes)}", url=url
            )
        chunks: list[bytes] = []
        total = 0
        try:
            for chunk in response.iter_bytes():
                total += len(chunk)
                if total > max_bytes:
                    raise IndexAccessError(
                        f"GET {redact_url(url)}: {what} larger than {_mb(max_bytes)}", url=url
                    )
                if sink is None:
                    chunks.append(chunk)
                else:
                    sink(chunk)
                if time.monotonic() > deadline.at:
                    raise IndexAccessError(
                        f"GET {redact_url(url)}: no complete answer within {deadline.seconds:g} s",
                        url=url,
                    )
        except httpx.TimeoutException:
            raise _RetryableError(
                f"timed out mid-answer (nothing for {self.settings.timeout:g} s)"
            ) from None
        except httpx.DecodingError as exc:
            raise IndexAccessError(
                f"GET {redact_url(url)}: cannot decode the answer: {exc}", url=url
            ) from None
        except httpx.TransportError as exc:
            raise _RetryableError(_describe(exc, mid_body=True)) from None
        return b"".join(chunks)


def _downgrades(source: str, target: str) -> bool:
    """Whether a redirect from ``source`` to ``target`` leaves https for plain http."""
    return urlsplit(source).scheme.lower() == "https" and urlsplit(target).scheme.lower() == "http"


def _describe(exc: httpx.TransportError, *, mid_body: bool = False) -> str:
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({detail})"
    if mid_body or isinstance(exc, (httpx.ReadError, httpx.RemoteProtocolError)):
        return f"connection reset or closed mid-answer ({detail})"
    return detail


class _HttpRangeReader:
    """A :class:`RangeReader` over HTTP range requests, starting from a fetched tail."""

    def __init__(
        self, client: IndexClient, url: str, size: int, tail_start: int, tail: bytes
    ) -> None:
        self._client = client
        self._url = url
        self._size = size
        self._tail_start = tail_start
        self._tail = tail

    @property
    def size(self) -> int:
        return self._size

    def read(self, start: int, length: int) -> bytes:
        end = min(start + max(length, 0), self._size)
        if start < 0 or start >= end:
            return b""
        if start >= self._tail_start and end <= self._tail_start + len(self._tail):
            return self._tail[start - self._tail_start : end - self._tail_start]
        return self._client._fetch_range(self._url, start, end)


@dataclass(slots=True)
class _Slot:
    """One piece of work, done once: by a pool thread or by the first caller to need it."""

    future: Future[Any] = field(default_factory=Future)
    claimed: bool = False


@dataclass(frozen=True, slots=True)
class _Fetched:
    """A page body as fetched (or as revalidated from the cache)."""

    status: int
    body: bytes
    content_type: str
    url: str
    sha256: str | None = None
    reload: Callable[[], bytes] | None = None
    """Reads the body from the cache when only the entry's header was read."""

    def content(self) -> bytes:
        return self.reload() if self.reload is not None else self.body


@dataclass(frozen=True, slots=True, kw_only=True)
class FileFacts:
    """What a distribution file weighs and provides.

    ``method`` says how the figures were obtained: ``zip-directory`` (from the wheel's
    central directory) or ``index`` (the size the index listed; no installed size).
    ``installed_size`` is what pip writes installing the wheel, the byte-code it
    compiles included (estimated: :func:`~depslim.layers.installed.installed_estimate`);
    ``layer_size`` what an image layer holding that install weighs (tar headers and
    padding included).
    """

    download_size: int | None
    installed_size: int | None
    top_level: tuple[str, ...] = ()
    method: str = "zip-directory"
    layer_size: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "download_size": self.download_size,
            "installed_size": self.installed_size,
            "layer_size": self.layer_size,
            "top_level": list(self.top_level),
            "method": self.method,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FileFacts | None:
        try:
            facts = cls(
                download_size=data["download_size"],
                installed_size=data["installed_size"],
                top_level=tuple(data.get("top_level", ())),
                method=str(data["method"]),
                layer_size=data.get("layer_size"),
            )
        except (KeyError, TypeError):
            return None
        if facts.method == "zip-directory" and facts.layer_size is None:
            return None  # written before byte-code was counted: read the wheel again
        return facts


class IndexClient:
    """Finds files and metadata on the indexes :class:`Routing` allows for each project.

    Use as a context manager, or call :meth:`close`. Thread-safe.
    """

    def __init__(
        self,
        settings: ClientSettings | None = None,
        *,
        routing: Routing,
        cache: Cache | None = None,
        transport: httpx.BaseTransport | None = None,
        on_event: EventCallback | None = None,
    ) -> None:
        self.settings = settings or ClientSettings()
        self.routing = routing
        self.cache = cache
        self._http = _Http(self.settings, transport, on_event)
        self._owns_http = True
        self._init_state()

    def _init_state(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[Hashable, _Slot] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._closed = False
        self._computed_sha256: dict[str, str] = {}
        self._absent: dict[NormalizedName, list[str]] = {}
        self._filters: dict[Target, FileFilter] = {}
        # Builds install packages and run backends: one at a time, even when prefetching.
        self._build_lock = threading.Lock()

    # -- lifetime ----------------------------------------------------------------------

    def close(self) -> None:
        """Stop background work and close connections."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        if self._owns_http:
            self._http.close()

    def with_routing(self, routing: Routing) -> IndexClient:
        """This client looking projects up by another ``routing``.

        The view shares connections, cache and computed hashes with this client; close
        it when done (that leaves this client open).
        """
        view = object.__new__(IndexClient)
        view.settings, view.routing, view.cache = self.settings, routing, self.cache
        view._http, view._owns_http = self._http, False
        view._init_state()
        view._computed_sha256 = self._computed_sha256
        return view

    def __enter__(self) -> IndexClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- once-only work ------------------------------------------------------------------

    def _once(self, key: Hashable, work: Callable[[], T]) -> T:
        """Do ``work`` once per client for ``key``; later callers get its result or error.

        A caller that finds the work queued but not started takes it over rather than
        waiting behind other background work.
        """
        with self._lock:
            slot = self._slots.get(key)
            if slot is None:
                slot = self._slots[key] = _Slot()
            run = not slot.claimed
            slot.claimed = True
        if run:
            self._fill(slot, work)
        result: T = slot.future.result()
        return result

    def _background(self, key: Hashable, work: Callable[[], object]) -> None:
        if self.settings.offline:
            # Offline, every answer comes from the local cache: threads would only
            # contend for the interpreter lock with the resolver that waits on them.
            return
        with self._lock:
            if self._closed or key in self._slots:
                return
            slot = self._slots[key] = _Slot()
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self.settings.concurrency, thread_name_prefix="depslim-index"
                )
            self._executor.submit(self._run_claimed, slot, work)

    def _run_claimed(self, slot: _Slot, work: Callable[[], object]) -> None:
        with self._lock:
            if slot.claimed:
                return
            slot.claimed = True
        self._fill(slot, work)

    @staticmethod
    def _fill(slot: _Slot, work: Callable[[], Any]) -> None:
        # Errors are kept for the synchronous caller, never printed from a thread.
        try:
            result = work()
        except BaseException as exc:
            if isinstance(exc, DepslimError):
                _redact_error(exc)
            slot.future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            slot.future.set_result(result)

    # -- PackageFinder -----------------------------------------------------------------

    def links(self, name: NormalizedName | str) -> Sequence[Link]:
        """Every file the indexes allowed for ``name`` offer; empty if none has it.

        Simple indexes are asked in order and the first that lists the project wins;
        find-links locations are always merged in.
        """
        project = canonicalize_name(name)
        return self._once(("links", project), lambda: self._collect_links(project))

    def metadata(self, link: Link) -> CoreMetadata:
        """Core metadata of ``link``'s file: PEP 658 file, else range requests, else download."""
        return self._once(("metadata", link.url), lambda: self._metadata(link))

    def prefetch(self, names: Iterable[NormalizedName | str]) -> None:
        """Start fetching these projects' pages in the background; return at once."""
        for name in names:
            project = canonicalize_name(name)
            self._background(("links", project), partial(self._collect_links, project))

    def prefetch_metadata(
        self, links: Iterable[Link], then: Callable[[CoreMetadata], object] | None = None
    ) -> None:
        """Start fetching these files' metadata in the background; return at once.

        ``then(metadata)`` runs on the pool thread once a fetch this call started is
        done (a look-ahead hook: its errors are ignored).
        """
        for link in links:
            work = partial(self._then, self._metadata, then, link)
            self._background(("metadata", link.url), work)

    def project_files(self, name: NormalizedName | str, target: Target) -> ProjectFiles:
        """What :meth:`links` gives for ``name``, kept to the files ``target`` can use and
        read lazily: versions at once, each version's links when first asked for."""
        project = canonicalize_name(name)
        file_filter = self._file_filter(target)
        return self._once(
            ("files", project, file_filter.key),
            lambda: self._collect_files(project, file_filter),
        )

    def prefetch_files(
        self,
        names: Iterable[NormalizedName | str],
        target: Target,
        then: Callable[[ProjectFiles], object] | None = None,
    ) -> None:
        """Start :meth:`project_files` for these projects in the background; ``then``
        as for :meth:`prefetch_metadata`."""
        file_filter = self._file_filter(target)
        for name in names:
            project = canonicalize_name(name)
            self._background(
                ("files", project, file_filter.key),
                partial(self._then, self._collect_files, then, project, file_filter),
            )

    @staticmethod
    def _then(work: Callable[..., T], then: Callable[[T], object] | None, *args: Any) -> T:
        result = work(*args)
        if then is not None:
            with contextlib.suppress(Exception):  # a look-ahead guess must not fail the work
                then(result)
        return result

    def _file_filter(self, target: Target) -> FileFilter:
        found = self._filters.get(target)
        if found is not None:
            return found
        with self._lock:
            found = self._filters.get(target)
            if found is None:
                found = self._filters[target] = FileFilter(target)
            return found

    def file_sha256(self, link: Link, expected: CoreMetadata | None = None) -> str:
        """The file's sha256: the index's if it gave one, else download and hash it.

        A wheel downloaded here has its own METADATA compared with ``expected`` (the
        metadata the resolution used), as :meth:`verified_sha256` does.
        """
        if link.sha256:
            return link.sha256.lower()
        return self._once(("sha256", link.url), lambda: self._compute_sha256(link, expected))

    def link_for_url(self, name: NormalizedName | str, url: str) -> Link:
        """A link for a direct reference (``name @ url``); hashes from the URL fragment.

        ``url`` is an http(s) or ``file://`` URL or a local path. The link's ``index``
        is empty: the file comes from no index. Raises :class:`InputError` when the URL
        does not name a wheel or sdist of ``name``.
        """
        project = canonicalize_name(name)
        file_url, _, fragment = url.strip().partition("#")
        hashes: dict[str, str] = {}
        for part in fragment.split("&"):
            algorithm, _, digest = part.partition("=")
            algorithm = algorithm.strip().lower()
            if algorithm in hashlib.algorithms_guaranteed and _HEX.fullmatch(digest.strip()):
                hashes[algorithm] = digest.strip().lower()
        size: int | None = None
        try:
            if is_local(file_url):
                path = local_path(file_url)
                filename = path.name
                with contextlib.suppress(OSError):
                    size = path.stat().st_size
                file_url = path.resolve().as_uri()
            else:
                filename = unquote(urlsplit(file_url).path.rpartition("/")[2])
        except ValueError as exc:  # a malformed URL, say from an index's Requires-Dist
            raise InputError(
                f"{name} @ {redact_url(url)}: not a valid URL ({exc}); write it as "
                "name @ https://host/path/file.whl"
            ) from None
        parsed = parse_filename(filename, project=project)
        if parsed is None:
            hint = (
                ": a VCS checkout or a source tree has no fixed artifact to hash; build a "
                "wheel of it (or publish it to an index) and require that file instead"
                if url.split(":", 1)[0].startswith(("git+", "hg+", "svn+", "bzr+")) or "/" in url
                else ""
            )
            raise InputError(
                f"{redact_url(url)} (for {project}) does not name a wheel or an sdist file{hint}"
            )
        found, version, kind, tags, build = parsed
        if found != project:
            raise InputError(f"{redact_url(url)} is a file of {found}, not of {project}")
        return Link(
            url=file_url,
            filename=filename,
            name=project,
            version=version,
            kind=kind,
            index="",
            tags=tags,
            build=build,
            hashes=MappingProxyType(hashes),
            size=size,
        )

    def verified_sha256(self, link: Link, expected: CoreMetadata | None = None) -> str:
        """The file's sha256 computed from its bytes, checked against the index's hash.

        The file is streamed once (nothing written to disk) and the result cached by
        URL and size, so later locks skip it. A listing whose hash does not match the
        bytes raises :class:`HashMismatchError` naming the URL: a wrong hash is never
        written into a lock.

        With ``expected`` (the metadata the resolution used for this file's release),
        a wheel's own METADATA, read from the very bytes that were hashed, must match
        it (:func:`~depslim.index.metadata.metadata_differences`), else
        :class:`~depslim.index.metadata.MetadataMismatchError` (exit 3) names the file.
        What a verified wheel carries is cached by its sha256, so a later lock compares
        without downloading again.
        """
        return self._once(("verified", link.url), lambda: self._verify(link, expected))

    # -- extras beyond the protocol ----------------------------------------------------

    def searched(self, name: NormalizedName | str) -> tuple[str, ...]:
        """Why the indexes asked for ``name`` did not have it (URL and status), for messages.

        The PyTorch index answers 403 for projects it does not have: such answers count
        as "not on this index" and are listed here.
        """
        with self._lock:
            return tuple(self._absent.get(canonicalize_name(name), ()))

    def wheel_entries(self, link: Link) -> list[ZipEntry]:
        """The zip directory of a wheel (read with range requests when possible)."""
        if not link.is_wheel:
            raise IndexAccessError(f"{link.filename} is not a wheel", url=link.url)
        return self._once(
            ("entries", link.url),
            lambda: self._with_wheel_reader(
                link,
                lambda reader: read_zip_directory(
                    reader, tail=self.settings.range_tail, source=redact_url(link.url)
                ),
            ),
        )

    def file_facts(self, link: Link) -> FileFacts:
        """Download size, exact installed size and top-level modules of a wheel.

        Read from the wheel's zip directory with range requests (a few KB for most
        wheels, ~1.2 MB for torch), cached on disk by the file's sha256. For an sdist only
        the download size is known (installed size would need a build).
        """
        digest = link.sha256
        if digest and self.cache is not None:
            cached = self.cache.get_file_facts(digest)
            if cached is not None:
                facts = FileFacts.from_json(cached)
                if facts is not None:
                    return facts
        if link.is_wheel:
            facts = self._once(("facts", link.url), lambda: self._wheel_facts(link))
        else:
            facts = FileFacts(download_size=link.size, installed_size=None, method="index")
        if digest and self.cache is not None and facts.download_size is not None:
            self.cache.put_file_facts(digest, facts.to_json())
        return facts

    def _wheel_facts(self, link: Link) -> FileFacts:
        def read(reader: RangeReader) -> FileFacts:
            entries = read_zip_directory(
                reader, tail=self.settings.range_tail, source=redact_url(link.url)
            )
            estimate = installed_estimate([(e.name, e.file_size) for e in entries if not e.is_dir])
            return FileFacts(
                download_size=reader.size,
                installed_size=estimate.file_bytes,
                top_level=tuple(sorted(top_level_modules(entries))),
                method="zip-directory",
                layer_size=estimate.layer_bytes,
            )

        return self._with_wheel_reader(link, read)

    # -- pages -------------------------------------------------------------------------

    def _collect_links(self, project: NormalizedName) -> tuple[Link, ...]:
        """The files of ``project`` from the indexes it may come from (see ``binding``).

        A bound project: its first bound index that lists it. An unbound one: every
        default index is asked; several offering it must offer the same files.
        """
        sources = self.routing.sources_for(project)
        bound = project in self.routing.bound
        offers: list[ProjectPage] = []
        for source in sources:
            if source.kind == FIND_LINKS:
                continue
            page = self._project_page(source, project)
            if page is None:
                continue
            links = tuple(link for link in page.links if link.name == project)
            if bound:
                offers = [replace(page, links=links)]
                break  # the first bound index that has the project
            if links:
                offers.append(replace(page, links=links))
        if len(offers) > 1:
            offers = [replace(page, links=self._with_local_hashes(page.links)) for page in offers]
        found = list(choose_offer(project, offers))
        for source in sources:
            if source.kind == FIND_LINKS:
                found.extend(link for link in self._find_links(source) if link.name == project)
        unique: dict[str, Link] = {}
        for link in found:
            unique.setdefault(link.url, link)
        return tuple(unique.values())

    def _with_local_hashes(self, links: Sequence[Link]) -> tuple[Link, ...]:
        """Links of a local index with the sha256 it cannot list, so mirrors compare."""
        out = []
        for link in links:
            if link.sha256 or not is_local(link.url):
                out.append(link)
                continue
            digest = sha256_file(local_path(link.url))
            out.append(replace(link, hashes=MappingProxyType({**link.hashes, "sha256": digest})))
        return tuple(out)

    def _project_page(self, source: IndexSource, project: NormalizedName) -> ProjectPage | None:
        if is_local(source.url):
            return local_project_page(source.url, project)
        url = project_url(source.url, project)
        status, page = self._fetch_page(
            url,
            ACCEPT,
            lambda fetched: self._parse_page(fetched, index=source.url, project=project),
        )
        if page is None:
            self._note_absent(project, f"{redact_url(url)}: {_reason(status)}")
        return page

    def _note_absent(self, project: NormalizedName, note: str) -> None:
        with self._lock:
            notes = self._absent.setdefault(project, [])
            if note not in notes:  # links() and project_files() may both ask
                notes.append(note)

    def _collect_files(self, project: NormalizedName, file_filter: FileFilter) -> ProjectFiles:
        """:meth:`_collect_links` read lazily for one target."""
        sources = self.routing.sources_for(project)
        if len(sources) != 1 or sources[0].kind == FIND_LINKS:
            # Several places to merge or choose from (find-links, extra indexes): the
            # rules for that live in _collect_links; rare, and built eagerly.
            return ProjectFiles.from_links(project, self.links(project), file_filter)
        files = self._project_files(sources[0], project, file_filter)
        return files if files is not None else ProjectFiles.from_links(project, (), file_filter)

    def _project_files(
        self, source: IndexSource, project: NormalizedName, file_filter: FileFilter
    ) -> ProjectFiles | None:
        if is_local(source.url):
            page = local_project_page(source.url, project)
            if page is None:
                return None
            return ProjectFiles.from_links(project, page.links, file_filter, index=source.url)
        url = project_url(source.url, project)
        status, files = self._fetch_page(
            url,
            ACCEPT,
            lambda fetched: self._scan_page(fetched, source.url, project, file_filter),
            header_only=True,
        )
        if files is None:
            self._note_absent(project, f"{redact_url(url)}: {_reason(status)}")
        return files

    def _scan_page(
        self, fetched: _Fetched, index: str, project: NormalizedName, file_filter: FileFilter
    ) -> ProjectFiles:
        """A page as :class:`ProjectFiles`; a JSON page's scan is cached by its digest."""
        kind = fetched.content_type.partition(";")[0].strip().lower()
        if kind not in _JSON_TYPES:
            page = self._parse_page(fetched, index=index, project=project)
            return ProjectFiles.from_links(
                project, page.links, file_filter, index=index, url=fetched.url
            )
        cache = self.cache
        key = None
        if cache is not None:
            digest = fetched.sha256 or hashlib.sha256(fetched.body).hexdigest()
            what = f"{fetched.url}\n{index}\n{project}\n{file_filter.key}".encode()
            key = f"{digest}:{hashlib.sha256(what).hexdigest()}"
            data = cache.get_scanned_page(key)
            if data is not None:
                files = ProjectFiles.from_json(
                    data, index=index, url=fetched.url, file_filter=file_filter
                )
                if files is not None and files.name == project:
                    return files
        files = scan_json_page(
            fetched.content(),
            url=fetched.url,
            index=index,
            project=project,
            file_filter=file_filter,
        )
        if cache is not None and key is not None:
            data = files.to_json()
            if data is not None:
                cache.put_scanned_page(key, data)
        return files

    def _find_links(self, source: IndexSource) -> tuple[Link, ...]:
        def load() -> tuple[Link, ...]:
            if is_local(source.url):
                return local_find_links(source.url)
            status, page = self._fetch_page(
                source.url,
                _HTML_ACCEPT,
                lambda fetched: self._parse_page(fetched, index=source.url, project=None),
            )
            if page is None:
                raise IndexAccessError(
                    f"find-links page {redact_url(source.url)}: {_reason(status)}", url=source.url
                )
            return page.links

        return self._once(("find-links", source.url), load)

    def _parse_page(
        self, fetched: _Fetched, *, index: str, project: NormalizedName | None
    ) -> ProjectPage:
        kind = fetched.content_type.partition(";")[0].strip().lower()
        if kind in _JSON_TYPES and project is not None:
            return parse_json_page(fetched.content(), url=fetched.url, index=index, project=project)
        if kind in _HTML_TYPES:
            return parse_html_page(fetched.content(), url=fetched.url, index=index, project=project)
        raise IndexAccessError(
            f"{redact_url(fetched.url)}: unexpected Content-Type {kind!r} "
            "(expected a PEP 691 JSON or PEP 503 HTML page)",
            url=fetched.url,
        )

    def _fetch_page(
        self,
        url: str,
        accept: str,
        parse: Callable[[_Fetched], T],
        *,
        revalidate: bool = True,
        header_only: bool = False,
    ) -> tuple[int, T | None]:
        """``(200, page)``, or ``(status, None)`` when the index answered 403/404/410.

        The cached copy is revalidated (``If-None-Match`` / ``If-Modified-Since``); a page
        is stored only once it parsed, so a broken answer never poisons the cache.
        """
        # With ``header_only``, the entry's header only: its body is read if ``parse``
        # needs it (a cached scan of a JSON page does not).
        cached = self.cache.get_page(url, body=not header_only) if self.cache is not None else None
        if self.settings.offline:
            if cached is None:
                raise IndexAccessError(
                    f"{redact_url(url)} is not in the cache and --offline forbids the network: "
                    "run once without --offline",
                    url=url,
                )
            return self._cached_answer(url, cached, parse)
        if (
            revalidate
            and self.settings.honor_max_age
            and cached is not None
            and cached.is_fresh(time.time())
        ):
            # The index said this copy stays current for max-age seconds (PyPI: 600),
            # as pip and uv honour it: no request at all.
            try:
                return self._cached_answer(url, cached, parse)
            except IndexAccessError:
                return self._fetch_page(url, accept, parse, revalidate=False)
        headers = {"Accept": accept}
        if revalidate and cached is not None and cached.status == 200:
            if cached.etag:
                headers["If-None-Match"] = cached.etag
            if cached.last_modified:
                headers["If-Modified-Since"] = cached.last_modified
        self._http.event("page", url)
        response, body = self._get_page(url, headers)
        if response.status_code == 304:
            return self._not_modified(
                url, accept, parse, cached=cached, response=response, headers=headers
            )
        return self._fresh_answer(url, cached, parse, response, body)

    def _cached_answer(
        self, url: str, cached: CachedPage, parse: Callable[[_Fetched], T]
    ) -> tuple[int, T | None]:
        """The stored answer, without a request."""
        self._http.event("page-cached", url)
        if cached.status in _ABSENT:
            return cached.status, None
        return 200, parse(self._from_cache(cached, url))

    def _get_page(self, url: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
        max_bytes = self.settings.max_page_size

        def consume(response: httpx.Response, deadline: _Deadline) -> tuple[httpx.Response, bytes]:
            body = b""
            if response.status_code == 200:
                body = self._http.read(response, deadline, max_bytes=max_bytes, what="page")
            return response, body

        return self._http.request(
            url, ok=frozenset({200, 304, *_ABSENT}), consume=consume, headers=headers
        )

    def _not_modified(
        self,
        url: str,
        accept: str,
        parse: Callable[[_Fetched], T],
        *,
        cached: CachedPage | None,
        response: httpx.Response,
        headers: Mapping[str, str],
    ) -> tuple[int, T | None]:
        """A 304: the stored copy is current (its fetch time renewed only with a max-age)."""
        conditional = "If-None-Match" in headers or "If-Modified-Since" in headers
        if cached is None or not conditional:
            raise IndexAccessError(
                f"GET {redact_url(url)}: 304 Not Modified for a page never fetched", url=url
            )
        self._http.event("page-cached", url)
        try:
            revalidated = parse(self._from_cache(cached, url))
        except IndexAccessError:
            # The stored copy no longer parses (e.g. a newer depslim is stricter).
            return self._fetch_page(url, accept, parse, revalidate=False)
        max_age = _max_age(response.headers.get("cache-control"))
        if self.cache is not None and (max_age or cached.max_age):
            # Only a copy with a max-age needs its new fetch time: never rewrite
            # an entry that would not change.
            whole = self.cache.get_page(url) if cached.partial else cached
            if whole is not None and whole.sha256 == cached.sha256:
                self.cache.put_page(replace(whole, fetched_at=time.time(), max_age=max_age))
        return 200, revalidated

    def _fresh_answer(
        self,
        url: str,
        cached: CachedPage | None,
        parse: Callable[[_Fetched], T],
        response: httpx.Response,
        body: bytes,
    ) -> tuple[int, T | None]:
        """A new answer: parsed first, then stored unless it changes nothing."""
        status = response.status_code
        content_type = response.headers.get("content-type", "")
        page = None
        if status == 200:
            digest = hashlib.sha256(body).hexdigest()
            page = parse(_Fetched(status, body, content_type, str(response.url), digest))
        if self.cache is not None:
            fresh = CachedPage(
                url=url,
                base_url=str(response.url),
                status=status,
                body=body,
                content_type=content_type,
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                fetched_at=time.time(),
                max_age=_max_age(response.headers.get("cache-control")),
            )
            if not _unchanged(cached, fresh):
                self.cache.put_page(fresh)
        return status, page

    def _from_cache(self, cached: CachedPage, url: str) -> _Fetched:
        """A cached page as fetched from ``url``; its body is read when first needed.

        The cache keeps no credentials, so the base URL its relative links resolve
        against gets ``url``'s again."""
        cache = self.cache
        reload = None
        if cached.partial and cache is not None:

            def reload() -> bytes:
                whole = cache.get_page(cached.url)
                if whole is None or whole.sha256 != cached.sha256:
                    raise IndexAccessError(
                        f"the cached copy of {redact_url(cached.url)} is damaged or changed",
                        url=cached.url,
                    )
                return whole.body

        base = with_credentials_of(cached.base_url or cached.url, url)
        return _Fetched(200, cached.body, cached.content_type, base, cached.sha256, reload)

    # -- metadata ----------------------------------------------------------------------

    @staticmethod
    def _metadata_key(link: Link) -> str:
        if link.metadata_hashes and link.metadata_hashes.get("sha256"):
            return f"metadata-sha256:{link.metadata_hashes['sha256'].lower()}"
        if link.sha256:
            return f"file-sha256:{link.sha256.lower()}"
        return f"url:{redact_url(link.url)}"

    def _metadata(self, link: Link) -> CoreMetadata:
        key = self._metadata_key(link)
        # A local file without a hash may be rebuilt in place: only content addresses
        # are safe cache keys for it (and reading it again is cheap).
        cache = None if is_local(link.url) and key.startswith("url:") else self.cache
        if cache is not None:
            cached = cache.get_metadata(key)
            if cached is not None:
                self._http.event("metadata-cached", link.url)
                return self._accept(link, cached)
        if self.settings.offline and not is_local(link.url):
            raise IndexAccessError(
                f"metadata of {link.filename} is not in the cache and --offline forbids the "
                "network: run once without --offline",
                url=link.url,
            )
        self._http.event("metadata", link.url)
        meta = self._load_metadata(link)
        _check_identity(link, meta)
        if cache is not None:
            cache.put_metadata(key, meta)
        return self._accept(link, meta)

    def _accept(self, link: Link, meta: CoreMetadata) -> CoreMetadata:
        """Check metadata against its file name; build dynamic sdist metadata if allowed."""
        _check_identity(link, meta)
        if not link.is_wheel and not is_static(meta):
            if not self.settings.allow_build:
                raise BuildRequiredError(build_required_message(link.filename))
            return self._built_metadata(link)
        return meta

    def _built_metadata(self, link: Link) -> CoreMetadata:
        """Metadata from the sdist's build backend, cached by the sdist's sha256."""
        cache = self.cache
        known = link.sha256.lower() if link.sha256 else None
        if cache is not None and known is not None:
            cached = cache.get_metadata(f"built-sha256:{known}")
            if cached is not None:
                self._http.event("metadata-cached", link.url)
                return _check_identity(link, cached)
        if self.settings.offline and not is_local(link.url):
            raise IndexAccessError(
                f"the built metadata of {link.filename} is not in the cache and --offline "
                "forbids the network: run once without --offline",
                url=link.url,
            )
        local = is_local(link.url)
        path = local_path(link.url) if local else self._download(link)
        try:
            digest = sha256_file(path)
            if local:
                _check_hashes(link.url, link.hashes, {"sha256": digest})
            key = f"built-sha256:{digest}"
            if cache is not None and known is None:
                cached = cache.get_metadata(key)
                if cached is not None:
                    self._http.event("metadata-cached", link.url)
                    return _check_identity(link, cached)
            self._http.event("build", link.url)
            index_url = self.routing.default[0].url if self.routing.default else None
            find_links = [expand_url(source.url, os.environ) for source in self.routing.find_links]
            if index_url is not None:
                index_url = expand_url(index_url, os.environ)  # pip does not expand argv
            if index_url is not None and is_local(index_url):
                # depslim also reads a flat directory of files as an index; pip only
                # as a find-links location.
                index_url = local_path(index_url).resolve().as_uri()
                find_links.append(index_url)
            with self._build_lock:
                data = build_metadata(
                    path,
                    filename=link.filename,
                    index_url=index_url,
                    find_links=find_links,
                    timeout=self.settings.build_timeout,
                )
        finally:
            if not local:
                _unlink(path)
        meta = _check_identity(link, parse_core_metadata(data, source=f"{link.filename} (built)"))
        if cache is not None:
            cache.put_metadata(key, meta)
        return meta

    def _load_metadata(self, link: Link) -> CoreMetadata:
        if link.metadata_hashes is not None:
            data = self._pep658(link)
            if data is not None:
                return parse_core_metadata(
                    data, source=redact_url(_strip_fragment(link.url)) + ".metadata"
                )
        if link.is_wheel:
            raw = self._with_wheel_reader(
                link,
                lambda reader: wheel_metadata(
                    reader,
                    name=link.name,
                    version=link.version,
                    tail=self.settings.range_tail,
                    source=redact_url(link.url),
                ),
            )
            return parse_core_metadata(raw, source=redact_url(link.url))
        if is_local(link.url):
            path = local_path(link.url)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise IndexAccessError(f"cannot read {path}: {exc.strerror}", url=link.url) from exc
            hashing = _Hashing(link.hashes)
            hashing.update(data)
            _check_hashes(link.url, link.hashes, hashing.hexdigests())
            return sdist_metadata(data, link.filename)
        path = self._download(link)
        try:
            return sdist_metadata(path.read_bytes(), link.filename)
        finally:
            _unlink(path)

    def _pep658(self, link: Link) -> bytes | None:
        """The PEP 658 metadata file, hash-checked; ``None`` if the index lacks it after all."""
        url = _strip_fragment(link.url) + ".metadata"
        expected = link.metadata_hashes or {}
        if is_local(url):
            path = local_path(url)
            if not path.is_file():
                return None
            data = path.read_bytes()
        else:
            max_bytes = self.settings.max_metadata_size

            def consume(response: httpx.Response, deadline: _Deadline) -> bytes | None:
                if response.status_code != 200:
                    return None
                return self._http.read(response, deadline, max_bytes=max_bytes, what="metadata")

            fetched = self._http.request(url, ok=frozenset({200, 403, 404, 410}), consume=consume)
            if fetched is None:
                return None
            data = fetched
        hashing = _Hashing(expected)
        hashing.update(data)
        _check_hashes(url, expected, hashing.hexdigests())
        return data

    def _with_wheel_reader(self, link: Link, use: Callable[[RangeReader], T]) -> T:
        """Apply ``use`` to the wheel: in place on disk, by ranges, or downloaded."""
        if is_local(link.url):
            return use(FileRangeReader(local_path(link.url)))
        if self.settings.offline:
            raise IndexAccessError(
                f"{link.filename} is not in the cache and --offline forbids the network: "
                "run once without --offline",
                url=link.url,
            )
        if self.settings.range_requests:
            try:
                return self._with_ranges(link, use)
            except _NoRangesError:
                pass
        path = self._download(link)
        try:
            return use(FileRangeReader(path))
        finally:
            _unlink(path)

    def _with_ranges(self, link: Link, use: Callable[[RangeReader], T]) -> T:
        url = _strip_fragment(link.url)
        tail = self.settings.range_tail
        self._http.event("range", url)

        def consume(response: httpx.Response, deadline: _Deadline) -> tuple[int, Any]:
            status = response.status_code
            if status == 206:
                body = self._http.read(response, deadline, max_bytes=tail, what="range answer")
                return status, (response.headers.get("content-range", ""), body)
            if status == 200:
                # The server ignored Range and is sending the whole file: keep it.
                return status, self._spool(response, deadline, link)
            return status, None

        status, result = self._http.request(
            url,
            ok=frozenset({200, 206, 416}),
            consume=consume,
            headers={"Range": f"bytes=-{tail}", "Accept-Encoding": "identity"},
            deadline=self.settings.download_deadline,
        )
        if status == 200:
            path: Path = result
            try:
                return use(FileRangeReader(path))
            finally:
                _unlink(path)
        if status != 206:
            raise _NoRangesError
        content_range, body = result
        match = _CONTENT_RANGE.match(content_range)
        if match is None or match.group(3) == "*":
            raise _NoRangesError
        start, end, size = int(match.group(1)), int(match.group(2)), int(match.group(3))
        if end - start + 1 != len(body) or end >= size:
            raise _NoRangesError
        if start == 0 and end == size - 1:
            return use(BytesRangeReader(body))
        return use(_HttpRangeReader(self, url, size, start, body))

    def _fetch_range(self, url: str, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` of the file at ``url`` by one range request."""
        self._http.event("range", url)
        wanted = end - start

        def consume(response: httpx.Response, deadline: _Deadline) -> bytes:
            if response.status_code != 206:
                raise _NoRangesError
            match = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
            if match is None or int(match.group(1)) != start:
                raise _NoRangesError
            return self._http.read(response, deadline, max_bytes=wanted, what="range answer")

        body = self._http.request(
            url,
            ok=frozenset({200, 206}),
            consume=consume,
            headers={"Range": f"bytes={start}-{end - 1}", "Accept-Encoding": "identity"},
            deadline=self.settings.download_deadline,
        )
        if len(body) != wanted:
            raise _NoRangesError
        return body

    # -- downloads and hashes ----------------------------------------------------------

    def _spool(self, response: httpx.Response, deadline: _Deadline, link: Link) -> Path:
        """Stream a whole file to a temporary file, hash it and check the index's hashes."""
        hashing = _Hashing(link.hashes)
        fd, name = tempfile.mkstemp(prefix="depslim-", suffix=".part")
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as handle:

                def sink(chunk: bytes) -> None:
                    hashing.update(chunk)
                    handle.write(chunk)

                self._http.read(
                    response,
                    deadline,
                    max_bytes=self.settings.max_download_size,
                    what="file",
                    sink=sink,
                )
            digests = hashing.hexdigests()
            _check_hashes(link.url, link.hashes, digests)
        except BaseException:
            _unlink(path)
            raise
        self._remember_sha256(link, digests["sha256"])
        return path

    def _download(self, link: Link) -> Path:
        """Download ``link`` whole into a temporary file (the caller deletes it)."""
        url = _strip_fragment(link.url)
        self._http.event("download", url)
        return self._http.request(
            url,
            ok=frozenset({200}),
            consume=lambda response, deadline: self._spool(response, deadline, link),
            headers={"Accept-Encoding": "identity"},
            deadline=self.settings.download_deadline,
        )

    def _remember_sha256(self, link: Link, digest: str) -> None:
        with self._lock:
            self._computed_sha256[link.url] = digest
        if self.cache is not None and not link.sha256:
            self.cache.put_file_hash(link.url, link.size, digest)

    def _verify(self, link: Link, expected: CoreMetadata | None = None) -> str:
        expected_sha = (link.sha256 or "").lower() or None
        compare = expected is not None and link.is_wheel
        if is_local(link.url):
            return self._compute_sha256(link, expected)
        cached = self.cache.get_file_hash(link.url, link.size) if self.cache else None
        if cached is None:
            if self.settings.offline:
                raise IndexAccessError(
                    f"{link.filename} was never verified and --offline forbids the network: "
                    "run once without --offline (or pass --no-verify-hashes)",
                    url=link.url,
                )
            url = _strip_fragment(link.url)
            self._http.event("verify", url)
            keep = max(self.settings.range_tail, _VERIFY_TAIL)

            def consume(
                response: httpx.Response, deadline: _Deadline
            ) -> tuple[dict[str, str], _Tail]:
                hashing = _Hashing(link.hashes)  # fresh for every attempt (retries)
                tail = _Tail(keep if compare else 0)

                def sink(chunk: bytes) -> None:
                    hashing.update(chunk)
                    tail.update(chunk)

                self._http.read(
                    response,
                    deadline,
                    max_bytes=self.settings.max_download_size,
                    what="file",
                    sink=sink,
                )
                return hashing.hexdigests(), tail

            digests, tail = self._http.request(
                url,
                ok=frozenset({200}),
                consume=consume,
                headers={"Accept-Encoding": "identity"},
                deadline=self.settings.download_deadline,
            )
            _check_hashes(link.url, link.hashes, digests)
            cached = digests["sha256"]
            if compare and expected is not None:
                try:
                    self._check_wheel_metadata(link, expected, tail.reader(), cached)
                except _OutsideTailError:
                    # METADATA lies before the bytes kept: read it from a full copy,
                    # hash-checked again, never from a separate (unverified) range.
                    self._check_downloaded_metadata(link, expected, cached)
            if self.cache is not None:
                self.cache.put_file_hash(link.url, link.size, cached)
        else:
            if expected_sha is not None and cached != expected_sha:
                raise HashMismatchError(
                    f"{redact_url(link.url)}: the index now lists sha256 {expected_sha}, but "
                    f"the file was verified earlier as {cached}: the listing or the file changed",
                    url=link.url,
                )
            if compare and expected is not None:
                known = self.cache.get_metadata(_wheel_key(cached)) if self.cache else None
                if known is None:
                    self._check_downloaded_metadata(link, expected, cached)
                else:
                    _compare_metadata(link, expected, known)
        with self._lock:
            self._computed_sha256[link.url] = cached
        return cached

    def _check_wheel_metadata(
        self, link: Link, expected: CoreMetadata, reader: RangeReader, digest: str
    ) -> None:
        """Read the wheel's own METADATA through ``reader``, keep it by ``digest``, compare."""
        source = redact_url(_strip_fragment(link.url))
        raw = wheel_metadata(
            reader,
            name=link.name,
            version=link.version,
            tail=self.settings.range_tail,
            source=source,
        )
        found = parse_core_metadata(raw, source=source)
        if self.cache is not None:
            self.cache.put_metadata(_wheel_key(digest), found)
        _compare_metadata(link, expected, found)

    def _check_downloaded_metadata(self, link: Link, expected: CoreMetadata, digest: str) -> None:
        """Download the wheel whole (hash-checked) and compare its METADATA."""
        path = self._download(replace(link, hashes=MappingProxyType({"sha256": digest})))
        try:
            self._check_wheel_metadata(link, expected, FileRangeReader(path), digest)
        finally:
            _unlink(path)

    def _compute_sha256(self, link: Link, expected: CoreMetadata | None = None) -> str:
        compare = expected is not None and link.is_wheel
        if is_local(link.url):
            path = local_path(link.url)
            digest = sha256_file(path)
            hashing = {"sha256": digest}
            _check_hashes(link.url, link.hashes, hashing)
            if compare and expected is not None:
                self._check_wheel_metadata(link, expected, FileRangeReader(path), digest)
            return digest
        with self._lock:
            known = self._computed_sha256.get(link.url)
        if known is None and self.cache is not None:
            known = self.cache.get_file_hash(link.url, link.size)
        if known is not None:
            if compare and expected is not None:
                seen = self.cache.get_metadata(_wheel_key(known)) if self.cache else None
                if seen is None:
                    self._check_downloaded_metadata(link, expected, known)
                else:
                    _compare_metadata(link, expected, seen)
            return known
        if self.settings.offline:
            raise IndexAccessError(
                f"the sha256 of {link.filename} is not in the cache and --offline forbids "
                "the network: run once without --offline",
                url=link.url,
            )
        path = self._download(link)
        try:
            with self._lock:
                digest = self._computed_sha256[link.url]
            if compare and expected is not None:
                self._check_wheel_metadata(link, expected, FileRangeReader(path), digest)
        finally:
            _unlink(path)
        return digest


_VERIFY_TAIL = 8 * _MIB
"""Bytes kept from the end of a wheel streamed for its hash: its METADATA is read from
them (wheels put ``.dist-info`` last), so verifying costs no second download."""


class _OutsideTailError(Exception):
    """A read reached before the bytes kept from a streamed file."""


class _Tail:
    """Keeps at least the last ``keep`` bytes of a stream (whole chunks)."""

    def __init__(self, keep: int) -> None:
        self._keep = keep
        self._chunks: deque[bytes] = deque()
        self._kept = 0
        self._total = 0

    def update(self, chunk: bytes) -> None:
        self._total += len(chunk)
        if self._keep <= 0:
            return
        self._chunks.append(chunk)
        self._kept += len(chunk)
        while self._chunks and self._kept - len(self._chunks[0]) >= self._keep:
            self._kept -= len(self._chunks.popleft())

    def reader(self) -> _TailReader:
        return _TailReader(self._total, self._total - self._kept, b"".join(self._chunks))


class _TailReader:
    """A :class:`RangeReader` over the kept tail of a file that was streamed once."""

    def __init__(self, size: int, start: int, data: bytes) -> None:
        self._size, self._start, self._data = size, start, data

    @property
    def size(self) -> int:
        return self._size

    def read(self, start: int, length: int) -> bytes:
        if start < self._start:
            raise _OutsideTailError
        offset = start - self._start
        return self._data[offset : offset + max(length, 0)]


def _redact_error(exc: DepslimError) -> None:
    """Strip credentials from an error's message and URL before anyone shows it.

    Messages built here already name URLs without them; this catches the ones built
    from a URL deeper down (a page's parse error names the URL it was served from).
    """
    message = redact_text(exc.message)
    if message != exc.message:
        exc.message = message
        exc.args = (message,)
    url = getattr(exc, "url", None)
    if isinstance(url, str):
        exc.url = redact_url(url)  # type: ignore[attr-defined]
    output = getattr(exc, "output", None)  # a failed build's last lines
    if isinstance(output, str):
        exc.output = redact_text(output)  # type: ignore[attr-defined]


def _wheel_key(sha256: str) -> str:
    """Cache key of the METADATA read from the verified wheel with this sha256."""
    return f"wheel-sha256:{sha256.lower()}"


def _compare_metadata(link: Link, expected: CoreMetadata, found: CoreMetadata) -> None:
    differences = metadata_differences(expected, found)
    if differences:
        raise MetadataMismatchError(
            f"{link.filename} (from {redact_url(_strip_fragment(link.url))}): the wheel's own "
            "METADATA differs from the metadata the resolution used, which the index served "
            "separately: " + "; ".join(differences) + ". The index is inconsistent or "
            "tampered with; the lock is refused",
            url=link.url,
        )


def _check_identity(link: Link, meta: CoreMetadata) -> CoreMetadata:
    """``meta`` if it names the project and version ``link``'s file name says."""
    if meta.name != link.name or meta.version != link.version:
        raise IndexAccessError(
            f"{redact_url(link.url)}: the metadata names {meta.name} {meta.version}, "
            f"the file name {link.name} {link.version}",
            url=link.url,
        )
    return meta


def _max_age(cache_control: str | None) -> int | None:
    """``max-age`` of a Cache-Control header; 0 for no-cache/no-store; None if absent."""
    if not cache_control:
        return None
    age = None
    for part in cache_control.lower().split(","):
        key, _, value = part.strip().partition("=")
        if key in ("no-cache", "no-store"):
            return 0
        if key == "max-age" and value.strip().isdigit():
            age = int(value.strip())
    return age


def _unchanged(cached: CachedPage | None, fresh: CachedPage) -> bool:
    """True when storing ``fresh`` would change nothing a later run reads: the same
    answer, and no max-age that makes the fetch time matter."""
    return (
        cached is not None
        and not fresh.max_age
        and not cached.max_age
        and cached.status == fresh.status
        and cached.base_url == fresh.base_url
        and cached.content_type == fresh.content_type
        and cached.etag == fresh.etag
        and cached.last_modified == fresh.last_modified
        and cached.sha256 is not None
        and cached.sha256 == hashlib.sha256(fresh.body).hexdigest()
    )


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
