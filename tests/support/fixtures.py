"""Pytest fixtures shared by the suite: real wheels served by a real index on 127.0.0.1.

- ``wheel_dir``: an empty directory to build wheels into (``build_wheel(wheel_dir, …)``).
- ``index_server``: a factory ``index_server(files_dir, **options) -> IndexServer`` that
  starts a server (options as :class:`support.index_server.IndexServer` takes them) and
  stops it at teardown.
- ``make_index``: ``make_index(specs, **options) -> IndexServer`` builds one file per
  spec into a fresh directory and serves them. A spec is ``(name, version, requires)``
  or ``(name, version, requires, options)`` where ``options`` go to ``build_wheel``
  (``requires_python``, ``tag``, ``extras``, ``modules``, ``files``, ``build_tag``, …),
  or to ``build_sdist`` when it holds ``"sdist": True`` (``requires_python``,
  ``metadata_version``, ``dynamic``, ``fmt``)::

      index = make_index([("a", "1.0", ["b>=1"]), ("b", "1.0", []), ("b", "2.0", [])])
      index.url  # "http://127.0.0.1:PORT/simple/"

  ``index.files_dir`` is where the files are; add more and call ``index.refresh()``.
- ``sleeps`` and ``index_client``: ``index_client(*index_urls, find_links=(), cache=None,
  **settings) -> IndexClient`` (settings as :class:`ClientSettings` takes them); it never
  really sleeps between retries but appends each delay to ``sleeps``, and is closed at
  teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from depslim.index.cache import Cache
from depslim.index.client import ClientSettings, IndexClient
from depslim.index.routing import Routing
from support.index_server import IndexServer
from support.wheels import build_sdist, build_wheel

__all__ = [
    "IndexSpec",
    "build_files",
    "index_client",
    "index_server",
    "make_index",
    "sleeps",
    "wheel_dir",
]

IndexSpec = tuple[str, str, Sequence[str]] | tuple[str, str, Sequence[str], Mapping[str, Any]]
"""``(name, version, requires)`` or ``(name, version, requires, build options)``."""


def build_files(dest: Path, specs: Sequence[IndexSpec]) -> list[Path]:
    """Build one wheel (or sdist) per spec into ``dest``; returns their paths."""
    paths = []
    for spec in specs:
        name, version, requires = spec[0], spec[1], spec[2]
        options = dict(spec[3]) if len(spec) > 3 else {}
        if options.pop("sdist", False):
            paths.append(build_sdist(dest, name, version, requires=requires, **options))
        else:
            paths.append(build_wheel(dest, name, version, requires=requires, **options))
    return paths


@pytest.fixture
def wheel_dir(tmp_path: Path) -> Path:
    """An empty directory for the files a test builds."""
    path = tmp_path / "wheels"
    path.mkdir()
    return path


@pytest.fixture
def index_server() -> Iterator[Callable[..., IndexServer]]:
    """Start index servers over directories of files; all are stopped at teardown."""
    servers: list[IndexServer] = []

    def start(files_dir: Path, **options: Any) -> IndexServer:
        server = IndexServer(files_dir, **options).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def make_index(
    tmp_path_factory: pytest.TempPathFactory, index_server: Callable[..., IndexServer]
) -> Callable[..., IndexServer]:
    """Build files from short specs and serve them: ``make_index(specs, **options)``."""

    def make(specs: Sequence[IndexSpec], **options: Any) -> IndexServer:
        files_dir = tmp_path_factory.mktemp("index")
        build_files(files_dir, specs)
        return index_server(files_dir, **options)

    return make


@pytest.fixture
def sleeps() -> list[float]:
    """The delays the ``index_client`` clients asked to sleep, in order."""
    return []


@pytest.fixture
def index_client(sleeps: list[float]) -> Iterator[Callable[..., IndexClient]]:
    """Make index clients that record their retry delays instead of sleeping."""
    clients: list[IndexClient] = []

    def make(
        *index_urls: str,
        find_links: Sequence[str] = (),
        cache: Cache | None = None,
        **settings: Any,
    ) -> IndexClient:
        first = index_urls[0] if index_urls else None
        routing = Routing.simple(first, index_urls[1:], find_links)
        client = IndexClient(
            ClientSettings(sleep=sleeps.append, **settings), routing=routing, cache=cache
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
