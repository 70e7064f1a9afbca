"""Real index servers on 127.0.0.1 that misbehave on purpose, for the safety tests.

- :class:`AuthIndexServer` answers 401 to any request without the right Basic auth (a
  private index behind a token);
- :class:`LyingIndexServer` serves ``.metadata`` files that differ from the wheels'
  own METADATA *and* lists the hash of the lie (a consistent lie PEP 658's hash cannot
  catch), and may serve hand-written HTML pages for some projects.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from support.index_server import TEXT_HTML, IndexServer


class AuthIndexServer(IndexServer):
    """An index that wants ``user:password`` as HTTP Basic auth on every request."""

    def __init__(self, files_dir: Path, *, user: str, password: str, **options: Any) -> None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.expected = f"Basic {token}"
        self.refused = 0
        super().__init__(files_dir, **options)

    def _route(self, handler: Any, path: str) -> None:
        if handler.headers.get("Authorization") != self.expected:
            self.refused += 1
            handler.send(401, b"who are you?\n", headers={"WWW-Authenticate": 'Basic realm="x"'})
            return
        super()._route(handler, path)


class LyingIndexServer(IndexServer):
    """An index whose PEP 658 files lie consistently, and that may serve broken pages.

    ``lies`` maps a wheel's file name to a function of its true METADATA giving what
    the ``.metadata`` file (and the hash listed for it) says instead. ``pages`` maps a
    project name to the raw HTML served as its page.
    """

    def __init__(
        self,
        files_dir: Path,
        *,
        lies: Mapping[str, Callable[[bytes], bytes]] | None = None,
        pages: Mapping[str, bytes] | None = None,
        **options: Any,
    ) -> None:
        self.lies = dict(lies or {})
        self.pages = dict(pages or {})
        super().__init__(files_dir, **options)

    def refresh(self) -> None:
        super().refresh()
        with self._lock:
            for filename, lie in self.lies.items():
                served = self._files.get(filename)
                if served is not None and served.metadata is not None:
                    self._files[filename] = replace(served, metadata=lie(served.metadata))

    def _project(self, handler: Any, path: str) -> None:
        name = path[len("/simple/") :].rstrip("/")
        if name in self.pages:
            handler.send(200, self.pages[name], content_type=TEXT_HTML)
            return
        super()._project(handler, path)
