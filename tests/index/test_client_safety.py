"""The index client keeps secrets out of cache, messages and events; refuses downgrades.

Against real index servers on 127.0.0.1 (one of them wants Basic auth); the https→http
redirect case uses ``httpx.MockTransport`` because the test servers speak plain http.
"""

from __future__ import annotations

from pathlib import Path

import httpx  # noqa: TID251 - MockTransport for the one https case
import pytest

from depslim.errors import IndexAccessError, InputError
from depslim.index.cache import Cache
from depslim.index.client import ClientSettings, IndexClient
from depslim.index.routing import Routing
from support.fixtures import build_files
from support.index_server import Fault

from .hostile import AuthIndexServer, LyingIndexServer

SECRET = "S3CRET-T0KEN-xyz"


@pytest.fixture
def private_index(tmp_path: Path):
    files = tmp_path / "files"
    files.mkdir()
    build_files(files, [("alpha", "1.0", ["beta"]), ("beta", "1.0", [])])
    server = AuthIndexServer(files, user="ci", password=SECRET).start()
    yield server
    server.stop()


def _everything_under(root: Path) -> bytes:
    blob = b""
    for path in sorted(root.rglob("*")):
        blob += str(path).encode() + b"\n"
        if path.is_file():
            blob += path.read_bytes()
    return blob


def test_credentials_are_used_but_never_stored_or_shown(private_index, tmp_path) -> None:
    url = private_index.url.replace("http://", f"http://ci:{SECRET}@")
    cache = Cache(tmp_path / "cache")
    events: list[str] = []
    with IndexClient(
        ClientSettings(retries=0),
        routing=Routing.simple(url),
        cache=cache,
        on_event=lambda kind, where: events.append(f"{kind} {where}"),
    ) as client:
        (link,) = client.links("alpha")
        assert [str(r) for r in client.metadata(link).requires_dist] == ["beta"]
        assert client.verified_sha256(link) == private_index.files[link.filename].sha256
        assert client.wheel_entries(link)
        private_index.add_fault("/simple/gamma/", Fault.status(500), times=None)
        with pytest.raises(IndexAccessError) as caught:
            client.links("gamma")
    assert private_index.refused == 0  # every request carried the credentials
    assert "500" in str(caught.value)
    assert SECRET not in str(caught.value)
    assert events and not any(SECRET in e for e in events)
    stored = _everything_under(tmp_path / "cache")
    assert b"/simple/alpha/" in stored  # the page is cached ...
    assert SECRET.encode() not in stored  # ... without the secret, in names and contents


def test_a_cached_page_gets_the_credentials_back_for_its_links(private_index, tmp_path) -> None:
    private_index.cache_control = "max-age=600"
    url = private_index.url.replace("http://", f"http://ci:{SECRET}@")
    cache = Cache(tmp_path / "cache")
    with IndexClient(routing=Routing.simple(url), cache=cache) as first:
        first.links("alpha")
    private_index.clear_log()
    with IndexClient(routing=Routing.simple(url), cache=cache) as second:
        (link,) = second.links("alpha")  # from the cache: no request
        assert not private_index.requests("/simple/alpha/")
        assert second.wheel_entries(link)  # range requests to the file need the credentials
    assert private_index.requests(f"/files/{link.filename}")
    assert private_index.refused == 0


def test_variables_in_the_url_stay_literal_and_are_expanded_for_requests(
    private_index, monkeypatch
) -> None:
    monkeypatch.setenv("DEPSLIM_T_USER", "ci")
    monkeypatch.setenv("DEPSLIM_T_TOKEN", SECRET)
    url = private_index.url.replace("http://", "http://${DEPSLIM_T_USER}:${DEPSLIM_T_TOKEN}@")
    with IndexClient(routing=Routing.simple(url)) as client:
        (link,) = client.links("alpha")
        assert link.index == url  # what a lock names: the literal form
        assert client.metadata(link).name == "alpha"
    assert private_index.refused == 0
    monkeypatch.delenv("DEPSLIM_T_TOKEN")
    with IndexClient(routing=Routing.simple(url)) as client, pytest.raises(InputError) as caught:
        client.links("beta")
    assert "${DEPSLIM_T_TOKEN}" in str(caught.value)


def test_wrong_credentials_fail_with_a_clean_message(private_index) -> None:
    url = private_index.url.replace("http://", "http://ci:wrong-password@")
    client = IndexClient(ClientSettings(retries=0), routing=Routing.simple(url))
    with client, pytest.raises(IndexAccessError) as caught:
        client.links("alpha")
    assert "401" in str(caught.value)
    assert "wrong-password" not in str(caught.value)


def _redirecting(location: str) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/simple/alpha/":
            return httpx.Response(302, headers={"Location": location})
        return httpx.Response(
            200,
            content=b'<html><body><a href="/f/alpha-1.0-py3-none-any.whl">a</a></body></html>',
            headers={"Content-Type": "text/html"},
        )

    return httpx.MockTransport(handle)


def test_a_redirect_from_https_to_http_is_refused() -> None:
    transport = _redirecting("http://index.example/moved/alpha/")
    routing = Routing.simple(f"https://u:{SECRET}@index.example/simple/")
    client = IndexClient(routing=routing, transport=transport)
    with client, pytest.raises(IndexAccessError, match="from https to http") as err:
        client.links("alpha")
    assert SECRET not in str(err.value)
    assert "http://index.example/moved/alpha/" in str(err.value)


def test_a_redirect_within_https_is_followed() -> None:
    transport = _redirecting("https://mirror.example/moved/alpha/")
    routing = Routing.simple("https://index.example/simple/")
    with IndexClient(routing=routing, transport=transport) as client:
        (link,) = client.links("alpha")
    assert link.url == "https://mirror.example/f/alpha-1.0-py3-none-any.whl"


def test_an_error_raised_deep_down_names_the_url_without_its_secret(tmp_path) -> None:
    files = tmp_path / "broken"
    files.mkdir()
    build_files(files, [("alpha", "1.0", [])])
    server = LyingIndexServer(files, pages={"alpha": b"<html><body><a href='x"}, json=False)
    server.start()
    page = f"{server.url}alpha/"
    try:
        url = server.url.replace("http://", f"http://ci:{SECRET}@")
        client = IndexClient(routing=Routing.simple(url))
        with client, pytest.raises(IndexAccessError, match="broken HTML page") as caught:
            client.links("alpha")
    finally:
        server.stop()
    assert SECRET not in str(caught.value)
    assert caught.value.url is not None
    assert SECRET not in caught.value.url
    assert page in str(caught.value)
