"""A real package index on 127.0.0.1 for tests, with fault injection and a request log.

``IndexServer(files_dir)`` serves the wheels and sdists found in ``files_dir``:

- ``/simple/``: the project list (PEP 691 JSON or PEP 503 HTML, by ``Accept``);
- ``/simple/<project>/``: a project page, JSON v1 when the client accepts it and
  ``json`` is on, else HTML; non-normalized names are redirected (301) as PyPI does;
  ``data-requires-python`` from each wheel's METADATA, ``data-yanked`` for the files in
  ``yanked``, ``upload-time`` (JSON) for the files in ``upload_times``, ETag and
  Last-Modified with 304 answers to conditional requests;
- ``/files/<filename>``: the file, with HEAD and single ``Range`` requests
  (``bytes=a-b``, ``bytes=a-``, ``bytes=-n``; 206 + ``Content-Range``) when ``ranges``;
- ``/files/<filename>.metadata``: the wheel's METADATA (PEP 658) when ``pep658``;
- ``/links/``: one flat HTML page listing every file (a ``--find-links`` page);
- ``/mirror/…``: the same as ``/…``, a second location to redirect to.

``pytorch_style=True`` imitates download.pytorch.org: HTML only whatever the client
accepts, 403 for unknown projects, root-relative hrefs with ``%2B`` for ``+``, the
sha256 in the fragment (left out for the files in ``no_hash``), PEP 658 attributes in
both spellings and no ``data-requires-python``.

Faults: ``server.add_fault(path, Fault.status(503), times=2)`` queues misbehaviour for
a path (``times=None``: for ever); ``wrong_hashes`` lists files whose listed sha256 is
wrong, ``tampered_metadata`` wheels whose ``.metadata`` is altered while the listing
keeps the genuine hash. ``server.log`` records every request (method, path, Range,
Accept, conditional headers, status and body length decided before anything is sent,
so a test may read it as soon as its client call returns).

All options are plain attributes: a test may change them while the server runs;
:meth:`IndexServer.refresh` rescans ``files_dir`` after files were added.
"""

from __future__ import annotations

import email.parser
import email.utils
import hashlib
import html
import json
import os
import re
import socket
import struct
import tarfile
import threading
import time
import zipfile
from collections import deque
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import quote, unquote, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

__all__ = ["Fault", "IndexServer", "LoggedRequest", "ServedFile"]

JSON_V1 = "application/vnd.pypi.simple.v1+json"
HTML_V1 = "application/vnd.pypi.simple.v1+html"
TEXT_HTML = "text/html"
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 65536


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault:
    """One misbehaviour, served instead of (or around) the normal answer.

    Build with the class methods: ``status``, ``delay``, ``reset``, ``truncate``,
    ``junk``, ``trickle``, ``redirect``, ``redirect_loop``, ``redirect_chain``.
    """

    kind: str
    code: int = 0
    retry_after: str | None = None
    seconds: float = 0.0
    size: int = 0
    location: str = ""
    honest_length: bool = True
    content_type: str | None = None

    @classmethod
    def status(cls, code: int, *, retry_after: str | int | None = None) -> Fault:
        """Answer ``code`` (with ``Retry-After`` if given) and a short body."""
        value = None if retry_after is None else str(retry_after)
        return cls(kind="status", code=code, retry_after=value)

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Wait ``seconds`` before answering normally."""
        return cls(kind="delay", seconds=seconds)

    @classmethod
    def reset(cls) -> Fault:
        """Send the headers and half the body, then reset the connection (RST)."""
        return cls(kind="reset")

    @classmethod
    def truncate(cls, *, honest_length: bool = True) -> Fault:
        """Send half the body. ``honest_length``: a well-formed answer whose content is
        cut (truncated JSON); else ``Content-Length`` promises all and the server hangs up.
        """
        return cls(kind="truncate", honest_length=honest_length)

    @classmethod
    def junk(cls, size: int, *, content_type: str | None = None) -> Fault:
        """Answer 200 with ``size`` random bytes (under the normal Content-Type)."""
        return cls(kind="junk", size=size, content_type=content_type)

    @classmethod
    def trickle(cls, seconds: float, *, interval: float = 0.05) -> Fault:
        """Promise a large body and send one byte per ``interval`` for ``seconds``."""
        return cls(kind="trickle", seconds=seconds, size=max(1, int(seconds / interval)))

    @classmethod
    def redirect(cls, location: str, *, code: int = 302) -> Fault:
        """Redirect to ``location``."""
        return cls(kind="redirect", code=code, location=location)

    @classmethod
    def redirect_loop(cls) -> Fault:
        """Redirect to the same path with ``?loop=1``, which redirects to itself."""
        return cls(kind="redirect-loop", code=302)

    @classmethod
    def redirect_chain(cls) -> Fault:
        """Redirect to ever new URLs (``?hop=1``, ``?hop=2``, …): too many redirects."""
        return cls(kind="redirect-chain", code=302)


@dataclass(slots=True)
class LoggedRequest:
    """One request as the server saw it, and what it decided to answer."""

    method: str
    path: str
    query: str = ""
    range: str | None = None
    accept: str | None = None
    if_none_match: str | None = None
    if_modified_since: str | None = None
    status: int = 0
    length: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ServedFile:
    """A distribution file the server offers, with the facts its listings give."""

    filename: str
    project: str
    path: Path
    size: int
    sha256: str
    metadata: bytes | None
    requires_python: str | None

    @property
    def metadata_sha256(self) -> str | None:
        return None if self.metadata is None else hashlib.sha256(self.metadata).hexdigest()


def _project_of(filename: str) -> str | None:
    try:
        if filename.endswith(".whl"):
            return canonicalize_name(parse_wheel_filename(filename)[0])
        return canonicalize_name(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename, ValueError):
        return None


def _wheel_metadata(path: Path) -> bytes | None:
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            top, _, rest = member.partition("/")
            if rest == "METADATA" and top.endswith(".dist-info"):
                return archive.read(member)
    return None


def _sdist_pkg_info(path: Path) -> bytes | None:
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if member.count("/") == 1 and member.endswith("/PKG-INFO"):
                    return archive.read(member)
        return None
    with tarfile.open(path) as archive:
        for info in archive:
            if info.name.count("/") == 1 and info.name.endswith("/PKG-INFO"):
                handle = archive.extractfile(info)
                return None if handle is None else handle.read()
    return None


def _requires_python(metadata: bytes | None) -> str | None:
    if metadata is None:
        return None
    message = email.parser.BytesHeaderParser().parsebytes(metadata)
    value = message.get("Requires-Python")
    return str(value).strip() if value else None


def _scan(files_dir: Path) -> dict[str, ServedFile]:
    files: dict[str, ServedFile] = {}
    for path in sorted(files_dir.iterdir()):
        if not path.is_file():
            continue
        project = _project_of(path.name)
        if project is None:
            continue
        data = path.read_bytes()
        if path.name.endswith(".whl"):
            metadata = _wheel_metadata(path)
            requires_python = _requires_python(metadata)
        else:
            metadata = None
            requires_python = _requires_python(_sdist_pkg_info(path))
        files[path.name] = ServedFile(
            filename=path.name,
            project=project,
            path=path,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            metadata=metadata,
            requires_python=requires_python,
        )
    return files


def _accepted(accept: str | None) -> list[tuple[str, float]]:
    """``(media type, q)`` pairs of an Accept header; no header accepts everything."""
    if not accept:
        return [("*/*", 1.0)]
    pairs = []
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media:
            pairs.append((media.lower(), quality))
    return pairs


def _quality(media: str, accepted: list[tuple[str, float]]) -> float:
    best = 0.0
    for pattern, quality in accepted:
        kind, _, _ = media.partition("/")
        if pattern in {media, "*/*", f"{kind}/*"}:
            best = max(best, quality)
    return best


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, owner: IndexServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients hang up mid-body on purpose in these tests (size caps, deadlines).
        self.owner.errors += 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the request log is :attr:`IndexServer.log`."""

    def do_GET(self) -> None:
        self._handle(head=False)

    def do_HEAD(self) -> None:
        self._handle(head=True)

    # -- plumbing ---------------------------------------------------------------------

    def _handle(self, *, head: bool) -> None:
        owner = self.server.owner
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        entry = LoggedRequest(
            method=self.command,
            path=path,
            query=parts.query,
            range=self.headers.get("Range"),
            accept=self.headers.get("Accept"),
            if_none_match=self.headers.get("If-None-Match"),
            if_modified_since=self.headers.get("If-Modified-Since"),
        )
        owner._record(entry)
        self._entry = entry
        self._head = head
        self._fault: Fault | None = None
        owner._enter()
        try:
            fault = owner._next_fault(path)
            if fault is not None and self._apply(fault, path, parts.query):
                return
            owner._route(self, path)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True
        finally:
            owner._leave()

    def send(
        self,
        status: int,
        body: bytes = b"",
        *,
        content_type: str = "text/plain",
        headers: Mapping[str, str] | None = None,
        fault: Fault | None = None,
    ) -> None:
        """Answer, possibly broken as ``fault`` (reset/truncate/junk/trickle) says."""
        declared = len(body)
        to_send = body
        if fault is not None and fault.kind in {"reset", "truncate"}:
            to_send = body[: len(body) // 2]
            if fault.kind == "truncate" and fault.honest_length:
                declared = len(to_send)
        self._entry.status = status
        self._entry.length = 0 if self._head else len(to_send)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(declared))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self._head:
            return
        self.wfile.write(to_send)
        if fault is not None and fault.kind == "reset":
            self.wfile.flush()
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
        elif declared != len(to_send):
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

    def _apply(self, fault: Fault, path: str, query: str) -> bool:
        """Serve ``fault``; ``True`` if that answered the request."""
        owner = self.server.owner
        if fault.kind == "status":
            headers = {} if fault.retry_after is None else {"Retry-After": fault.retry_after}
            self.send(fault.code, f"fault {fault.code}\n".encode(), headers=headers)
            return True
        if fault.kind == "delay":
            time.sleep(fault.seconds)
            return False
        if fault.kind == "redirect":
            self.send(fault.code, headers={"Location": fault.location})
            return True
        if fault.kind == "redirect-loop":
            self.send(fault.code, headers={"Location": f"{quote(path)}?loop=1"})
            return True
        if fault.kind == "redirect-chain":
            hop = int(query.partition("hop=")[2] or 0) + 1 if "hop=" in query else 1
            self.send(fault.code, headers={"Location": f"{quote(path)}?hop={hop}"})
            return True
        if fault.kind == "junk":
            self._junk(fault, owner._content_type_for(self, path))
            return True
        if fault.kind == "trickle":
            self._trickle(fault)
            return True
        # reset / truncate wrap the normal answer.
        self._fault = fault
        return False

    def _junk(self, fault: Fault, content_type: str) -> None:
        self._entry.status = 200
        self._entry.length = fault.size
        self.send_response(200)
        self.send_header("Content-Type", fault.content_type or content_type)
        self.send_header("Content-Length", str(fault.size))
        self.end_headers()
        if self._head:
            return
        left = fault.size
        block = os.urandom(_CHUNK)
        while left > 0:
            piece = block[: min(left, _CHUNK)]
            self.wfile.write(piece)
            left -= len(piece)

    def _trickle(self, fault: Fault) -> None:
        self._entry.status = 200
        self._entry.length = fault.size
        self.send_response(200)
        self.send_header("Content-Type", JSON_V1)
        self.send_header("Content-Length", str(fault.size * 1000))
        self.end_headers()
        interval = fault.seconds / fault.size
        for _ in range(fault.size):
            self.wfile.write(b" ")
            self.wfile.flush()
            time.sleep(interval)
        self.close_connection = True


class IndexServer:
    """A PEP 503/691/658 index over ``files_dir``, on 127.0.0.1 at a free port."""

    def __init__(
        self,
        files_dir: Path,
        *,
        json: bool = True,
        html: bool = True,
        pep658: bool = True,
        ranges: bool = True,
        hashes: bool = True,
        pytorch_style: bool = False,
        etag: bool = True,
        cache_control: str | None = None,
        last_modified: bool = True,
        sizes: bool = True,
        yanked: Mapping[str, str] | None = None,
        upload_times: Mapping[str, str] | None = None,
        no_hash: Collection[str] = (),
        wrong_hashes: Collection[str] = (),
        tampered_metadata: Collection[str] = (),
    ) -> None:
        self.files_dir = Path(files_dir)
        self.json = json
        self.html = html
        self.pep658 = pep658
        self.ranges = ranges
        self.hashes = hashes
        self.pytorch_style = pytorch_style
        self.etag = etag
        self.cache_control = cache_control
        self.last_modified = last_modified
        self.sizes = sizes
        self.yanked: dict[str, str] = dict(yanked or {})
        self.upload_times: dict[str, str] = dict(upload_times or {})
        self.no_hash: set[str] = set(no_hash)
        self.wrong_hashes: set[str] = set(wrong_hashes)
        self.tampered_metadata: set[str] = set(tampered_metadata)
        self.log: list[LoggedRequest] = []
        self.errors = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._faults: dict[str, deque[tuple[Fault, int | None]]] = {}
        self._files: dict[str, ServedFile] = {}
        self._modified = email.utils.formatdate(time.time(), usegmt=True)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.refresh()

    # -- lifetime ----------------------------------------------------------------------

    def start(self) -> IndexServer:
        """Start serving in a daemon thread; returns ``self``."""
        if self._server is None:
            self._server = _Server(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"index-server-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> IndexServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the index server is not running")
        return int(self._server.server_address[1])

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The simple index URL to hand to a client: ``http://127.0.0.1:PORT/simple/``."""
        return f"{self.base}/simple/"

    @property
    def find_links_url(self) -> str:
        """A flat HTML page listing every file, for ``--find-links``."""
        return f"{self.base}/links/"

    @staticmethod
    def project_path(name: str) -> str:
        return f"/simple/{canonicalize_name(name)}/"

    @staticmethod
    def file_path(filename: str) -> str:
        return f"/files/{filename}"

    def file_url(self, filename: str) -> str:
        return f"{self.base}/files/{quote(filename)}"

    # -- files and faults --------------------------------------------------------------

    def refresh(self) -> None:
        """Rescan ``files_dir`` (after a test added or removed files)."""
        files = _scan(self.files_dir)
        with self._lock:
            self._files = files

    @property
    def files(self) -> dict[str, ServedFile]:
        with self._lock:
            return dict(self._files)

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def add_fault(self, path: str, *faults: Fault, times: int | None = 1) -> None:
        """Queue ``faults`` for requests to ``path``, each ``times`` times (``None``: always)."""
        with self._lock:
            queue = self._faults.setdefault(path, deque())
            for fault in faults:
                queue.append((fault, times))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _next_fault(self, path: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(path)
            if not queue:
                return None
            fault, times = queue[0]
            if times is not None:
                if times <= 1:
                    queue.popleft()
                else:
                    queue[0] = (fault, times - 1)
            return fault

    # -- the request log ---------------------------------------------------------------

    def _record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.log.append(entry)

    def requests(
        self, path: str | None = None, *, method: str | None = None
    ) -> list[LoggedRequest]:
        """Logged requests, optionally only those for ``path`` and/or of ``method``."""
        with self._lock:
            return [
                r
                for r in self.log
                if (path is None or r.path == path) and (method is None or r.method == method)
            ]

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    # -- routing -----------------------------------------------------------------------

    def _route(self, handler: _Handler, path: str) -> None:
        if path.startswith("/mirror/"):
            path = path[len("/mirror") :]
        if path == "/simple/":
            self._root(handler)
        elif path.startswith("/simple/"):
            self._project(handler, path)
        elif path.startswith("/files/"):
            self._file(handler, path[len("/files/") :])
        elif path == "/links/":
            body = self._html_listing("Links", list(self.files.values()), flat=True)
            handler.send(200, body, content_type=TEXT_HTML, fault=handler._fault)
        else:
            handler.send(404, b"not found\n")

    def _content_type_for(self, handler: _Handler, path: str) -> str:
        if path.startswith("/simple/"):
            return self._negotiate(handler) or TEXT_HTML
        return "application/octet-stream"

    def _negotiate(self, handler: _Handler) -> str | None:
        """The media type to answer with, or ``None`` (406)."""
        if self.pytorch_style:
            return TEXT_HTML
        accepted = _accepted(handler.headers.get("Accept"))
        offers = ([JSON_V1] if self.json else []) + ([HTML_V1, TEXT_HTML] if self.html else [])
        best, best_quality = None, 0.0
        for media in offers:
            quality = _quality(media, accepted)
            if quality > best_quality:
                best, best_quality = media, quality
        return best

    def _answer_page(self, handler: _Handler, body: bytes, content_type: str) -> None:
        headers = {"Vary": "Accept"}
        if self.cache_control:
            headers["Cache-Control"] = self.cache_control
        tag = f'"{hashlib.sha256(body).hexdigest()[:20]}"'
        if self.etag:
            headers["ETag"] = tag
        if self.last_modified:
            headers["Last-Modified"] = self._modified
        if self.etag and handler.headers.get("If-None-Match") == tag:
            handler.send(304, content_type=content_type, headers=headers)
            return
        since = handler.headers.get("If-Modified-Since")
        if (
            self.last_modified
            and since == self._modified
            and (not self.etag or handler.headers.get("If-None-Match") is None)
        ):
            handler.send(304, content_type=content_type, headers=headers)
            return
        handler.send(
            200,
            body,
            content_type=content_type,
            headers=headers,
            fault=handler._fault,
        )

    def _root(self, handler: _Handler) -> None:
        media = self._negotiate(handler)
        if media is None:
            handler.send(406, b"not acceptable\n")
            return
        projects = sorted({f.project for f in self.files.values()})
        if media == JSON_V1:
            document = {"meta": {"api-version": "1.1"}, "projects": [{"name": p} for p in projects]}
            self._answer_page(handler, json.dumps(document).encode(), media)
            return
        anchors = "".join(f'    <a href="{p}/">{p}</a><br/>\n' for p in projects)
        body = f"<!DOCTYPE html>\n<html>\n  <body>\n{anchors}  </body>\n</html>\n".encode()
        self._answer_page(handler, body, media)

    def _project(self, handler: _Handler, path: str) -> None:
        rest = path[len("/simple/") :]
        name = rest.rstrip("/")
        if "/" in name or not name:
            handler.send(404, b"not found\n")
            return
        normal = canonicalize_name(name)
        files = [f for f in self.files.values() if f.project == normal]
        if not files:
            handler.send(403 if self.pytorch_style else 404, b"no such project\n")
            return
        if name != normal or not rest.endswith("/"):
            handler.send(301, headers={"Location": f"/simple/{normal}/"})
            return
        media = self._negotiate(handler)
        if media is None:
            handler.send(406, b"not acceptable\n")
            return
        if media == JSON_V1:
            self._answer_page(handler, self._json_page(normal, files), media)
        else:
            self._answer_page(handler, self._html_listing(normal, files, flat=False), media)

    def _listed_sha256(self, served: ServedFile) -> str | None:
        if not self.hashes or served.filename in self.no_hash:
            return None
        if served.filename in self.wrong_hashes:
            return hashlib.sha256(b"not " + served.sha256.encode()).hexdigest()
        return served.sha256

    def _metadata_sha256(self, served: ServedFile) -> str | None:
        if not self.pep658 or served.metadata is None:
            return None
        return served.metadata_sha256

    def _json_page(self, project: str, files: list[ServedFile]) -> bytes:
        entries = []
        for served in files:
            entry: dict[str, object] = {
                "filename": served.filename,
                "url": f"../../files/{quote(served.filename)}",
                "hashes": {},
            }
            sha256 = self._listed_sha256(served)
            if sha256 is not None:
                entry["hashes"] = {"sha256": sha256}
            if served.requires_python:
                entry["requires-python"] = served.requires_python
            if served.filename in self.yanked:
                entry["yanked"] = self.yanked[served.filename] or True
            metadata_sha256 = self._metadata_sha256(served)
            if metadata_sha256 is not None:
                entry["core-metadata"] = {"sha256": metadata_sha256}
                entry["dist-info-metadata"] = {"sha256": metadata_sha256}
            if self.sizes:
                entry["size"] = served.size
            if served.filename in self.upload_times:
                entry["upload-time"] = self.upload_times[served.filename]
            entries.append(entry)
        document = {
            "meta": {"api-version": "1.1"},
            "name": project,
            "files": entries,
            "versions": sorted({_version_of(f.filename) for f in files}),
        }
        return json.dumps(document, indent=1).encode()

    def _html_listing(self, title: str, files: list[ServedFile], *, flat: bool) -> bytes:
        lines = []
        for served in files:
            if self.pytorch_style:
                href = f"/files/{quote(served.filename)}"
            elif flat:
                href = f"../files/{quote(served.filename)}"
            else:
                href = f"../../files/{quote(served.filename)}"
            sha256 = self._listed_sha256(served)
            if sha256 is not None:
                href += f"#sha256={sha256}"
            attributes = [f'href="{html.escape(href)}"']
            if served.requires_python and not self.pytorch_style:
                attributes.append(f'data-requires-python="{html.escape(served.requires_python)}"')
            if served.filename in self.yanked:
                attributes.append(f'data-yanked="{html.escape(self.yanked[served.filename])}"')
            metadata_sha256 = self._metadata_sha256(served)
            if metadata_sha256 is not None:
                attributes.append(f'data-dist-info-metadata="sha256={metadata_sha256}"')
                attributes.append(f'data-core-metadata="sha256={metadata_sha256}"')
            lines.append(f"    <a {' '.join(attributes)}>{html.escape(served.filename)}</a><br/>")
        body = "\n".join(lines)
        return (
            "<!DOCTYPE html>\n<html>\n  <head>\n"
            '    <meta name="pypi:repository-version" content="1.1">\n'
            f"    <title>Links for {html.escape(title)}</title>\n  </head>\n"
            f"  <body>\n    <h1>Links for {html.escape(title)}</h1>\n{body}\n  </body>\n</html>\n"
        ).encode()

    def _file(self, handler: _Handler, filename: str) -> None:
        fault = handler._fault
        if filename.endswith(".metadata"):
            served = self.files.get(filename[: -len(".metadata")])
            if served is None or served.metadata is None or not self.pep658:
                handler.send(404, b"not found\n")
                return
            data = served.metadata
            if served.filename in self.tampered_metadata:
                data += b"Requires-Dist: evil-package\n"
            handler.send(200, data, content_type="application/octet-stream", fault=fault)
            return
        served = self.files.get(filename)
        if served is None:
            handler.send(404, b"not found\n")
            return
        data = served.path.read_bytes()
        headers = {"Accept-Ranges": "bytes"} if self.ranges else {}
        requested = handler.headers.get("Range")
        if self.ranges and requested:
            span = _parse_range(requested, len(data))
            if span is None:
                handler.send(416, headers={"Content-Range": f"bytes */{len(data)}"})
                return
            start, end = span
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            handler.send(
                206,
                data[start : end + 1],
                content_type="application/octet-stream",
                headers=headers,
                fault=fault,
            )
            return
        handler.send(
            200, data, content_type="application/octet-stream", headers=headers, fault=fault
        )


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``(first, last)`` byte positions of a single-range header, or ``None`` (416)."""
    match = _RANGE_RE.match(header.strip())
    if match is None or size == 0:
        return None
    first, last = match.group(1), match.group(2)
    if not first:
        if not last or int(last) == 0:
            return None
        return max(0, size - int(last)), size - 1
    start = int(first)
    end = size - 1 if not last else min(int(last), size - 1)
    if start >= size or end < start:
        return None
    return start, end


def _version_of(filename: str) -> str:
    if filename.endswith(".whl"):
        return str(parse_wheel_filename(filename)[1])
    return str(parse_sdist_filename(filename)[1])
