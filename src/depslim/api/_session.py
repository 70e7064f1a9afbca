"""One run's shared resources: its settings, one cache, one index client, progress.

Every verb takes an optional :class:`Session`; when a build script (or the CLI) chains
verbs — ``lock`` then ``report`` then ``layers`` — they share it, so pages, metadata and
connections are fetched and opened once. The index client is opened lazily: a verb that
never needs the network never starts one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from depslim.settings import Settings, load_settings

if TYPE_CHECKING:
    from depslim.index.cache import Cache
    from depslim.index.client import ClientSettings, IndexClient
    from depslim.index.routing import Routing

__all__ = ["Progress", "Session", "session_for"]

Progress = Callable[[str], None]


class Session:
    """Settings, cache and index client of one run. Use it as a context manager.

    ``client_settings`` is the base the network settings are applied to (tests pass
    one with a recording ``sleep``); ``progress`` receives one line per event.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        progress: Progress | None = None,
        client_settings: ClientSettings | None = None,
    ) -> None:
        self.settings = settings
        self.progress = progress
        self._base = client_settings
        self._cache: Cache | None = None
        self._client: IndexClient | None = None
        self._views: list[IndexClient] = []
        self._parent: Session | None = None
        self.revalidate = False

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close every client view, then the client itself."""
        for view in self._views:
            view.close()
        self._views.clear()
        if self._client is not None:
            self._client.close()
            self._client = None

    def with_settings(self, settings: Settings) -> Session:
        """A session with other settings that shares this one's cache and index client."""
        child = Session(settings, progress=self.progress, client_settings=self._base)
        child._cache = self._cache
        child._parent = self
        return child

    def say(self, message: str) -> None:
        """Report progress (a no-op without a progress callback)."""
        if self.progress is not None:
            self.progress(message)

    @property
    def cache(self) -> Cache | None:
        """The on-disk cache, or ``None`` with ``--no-cache``."""
        folder = self.settings.network.cache_dir
        if folder is None:
            return None
        if self._cache is None:
            from depslim.index.cache import Cache

            self._cache = Cache(folder)
        return self._cache

    @property
    def cache_dir(self) -> Path | None:
        return self.settings.network.cache_dir

    def client_settings(self) -> ClientSettings:
        """The index client's settings: the base with this run's network settings."""
        from depslim.index.client import ClientSettings

        net = self.settings.network
        base = self._base or ClientSettings()
        given = self.settings.origins  # keys set by a flag, the environment or the config
        return replace(
            base,
            timeout=net.timeout if "timeout" in given else base.timeout,
            retries=net.retries if "retries" in given else base.retries,
            concurrency=net.concurrency if "concurrency" in given else base.concurrency,
            offline=net.offline,
            allow_build=self.settings.builds.allow_build,
            honor_max_age=base.honor_max_age and not self.revalidate,
        )

    def client(self, routing: Routing) -> IndexClient:
        """The run's index client, looking projects up by ``routing``.

        The first call opens the client; later calls with another routing get a view
        that shares its connections, cache and computed hashes.
        """
        if self._parent is not None:
            return self._parent.client(routing)
        if self._client is None:
            from depslim.index.client import IndexClient

            self._client = IndexClient(
                self.client_settings(), routing=routing, cache=self.cache, on_event=self._event
            )
            return self._client
        for known in (self._client, *self._views):
            if known.routing == routing:
                return known  # the same routing asked again: its pages are already read
        view = self._client.with_routing(routing)
        self._views.append(view)
        return view

    def _event(self, kind: str, url: str) -> None:
        self.say(f"{kind} {url}")


def session_for(
    session: Session | None, options: Mapping[str, Any], *, anchor: str | Path | None
) -> tuple[Session, bool]:
    """The session to use and whether the caller owns it (and must close it).

    With no session, settings are merged from ``options`` (the API's keyword arguments)
    with ``anchor`` as the start of the config search.
    """
    if session is not None:
        if options:
            names = ", ".join(sorted(options))
            raise TypeError(f"pass options to the Session's settings, not with it: {names}")
        return session, False
    return Session(load_settings(options, anchor=anchor)), True
