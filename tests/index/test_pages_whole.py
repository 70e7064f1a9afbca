"""An HTML page is read as a whole or refused: never a partial listing."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.utils import NormalizedName

from depslim.errors import IndexAccessError
from depslim.index.cache import Cache
from depslim.index.client import IndexClient
from depslim.index.pages import parse_html_page, parse_project_list_html
from depslim.index.routing import Routing
from support.fixtures import build_files

from .hostile import LyingIndexServer

URL = "https://index.example/simple/x/"
HEAD = "<!DOCTYPE html>\n<html>\n  <body>\n"
TAIL = "  </body>\n</html>\n"


def _anchor(version: str) -> str:
    name = f"x-{version}-py3-none-any.whl"
    return f'    <a href="{name}" data-requires-python="&gt;=3.8">{name}</a><br/>\n'


def _versions(page: str) -> list[str]:
    parsed = parse_html_page(
        page.encode(), url=URL, index="https://index.example/simple/", project=NormalizedName("x")
    )
    return [str(link.version) for link in parsed.links]


WHOLE = HEAD + _anchor("1.0") + _anchor("2.0") + TAIL


@pytest.mark.parametrize(
    ("page", "why"),
    [
        (WHOLE[: WHOLE.index("x-2.0") + 3], "ends inside a tag"),
        (HEAD + _anchor("1.0") + _anchor("2.0"), "never closes them"),
        (HEAD + _anchor("1.0") + _anchor("2.0") + "  </body>\n", "opens <html> but never"),
        (
            HEAD
            + '<a href="x-1.0-py3-none-any.whl>x</a>\n'
            + _anchor("2.0")
            + _anchor("3.0")
            + TAIL,
            "a quote is never closed",
        ),
        (HEAD + _anchor("1.0") + "<!-- " + _anchor("2.0") + TAIL, "ends inside a tag, comment"),
        (HEAD + _anchor("1.0") + "<script>" + _anchor("2.0") + TAIL, "or script"),
    ],
)
def test_a_page_that_does_not_parse_as_a_whole_is_refused(page: str, why: str) -> None:
    with pytest.raises(IndexAccessError, match=why) as caught:
        _versions(page)
    assert caught.value.url == URL
    assert URL in str(caught.value)
    assert caught.value.exit_code == 3


@pytest.mark.parametrize(
    "page",
    [
        WHOLE,
        _anchor("1.0") + _anchor("2.0"),  # no <html> at all: nothing says it was cut
        HEAD + '<a href="x-1.0-py3-none-any.whl" data-requires-python="<4,>=3.8">a</a>'
        '<a href="x-2.0-py3-none-any.whl">b</a>' + TAIL,  # a raw "<" in a value is fine
        WHOLE + "&amp",
    ],
)
def test_whole_pages_are_read(page: str) -> None:
    assert _versions(page) == ["1.0", "2.0"]


def test_a_cut_project_list_is_refused_too() -> None:
    with pytest.raises(IndexAccessError, match="never closes"):
        parse_project_list_html(b'<html><body><a href="a/">a</a>', url="https://i/simple/")


def test_the_client_fails_naming_the_url_and_caches_nothing(tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    build_files(files, [("x", "1.0", []), ("x", "2.0", [])])
    broken = (HEAD + '<a href="../../files/x-1.0-py3-none-any.whl">x-1.0</a><br/>\n').encode()
    server = LyingIndexServer(files, pages={"x": broken}, json=False).start()
    cache = Cache(tmp_path / "cache")
    try:
        client = IndexClient(routing=Routing.simple(server.url), cache=cache)
        with client, pytest.raises(IndexAccessError) as caught:
            client.links("x")
        assert f"{server.url}x/" in str(caught.value)
        assert "partial listing" in str(caught.value)
        assert cache.get_page(f"{server.url}x/") is None
        server.pages.clear()  # the index is repaired: the whole page is read
        with IndexClient(routing=Routing.simple(server.url), cache=cache) as client:
            assert sorted(str(link.version) for link in client.links("x")) == ["1.0", "2.0"]
    finally:
        server.stop()
