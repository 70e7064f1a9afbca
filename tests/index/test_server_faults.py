"""How the client behaves when the index misbehaves (see shared/notes/index-faults.md).

Every failure must end in one clear :class:`IndexAccessError` naming the URL and the
cause (exit code 3), never in "not found" for a page that failed; transient faults are
retried and recovered from. No test really sleeps between retries: the client's
``sleep`` records the delays in ``sleeps``.
"""

from __future__ import annotations

import pytest

from depslim.errors import IndexAccessError
from support.index_server import Fault

PAGE = "/simple/a/"


@pytest.fixture
def index(make_index):
    return make_index([("a", "1.0", ["b"]), ("a", "1.1", [])])


def _page_error(client, name: str = "a") -> str:
    with pytest.raises(IndexAccessError) as caught:
        client.links(name)
    assert caught.value.exit_code == 3
    return str(caught.value)


def test_503_then_ok_recovers(index, index_client, sleeps) -> None:
    index.add_fault(PAGE, Fault.status(503), times=2)
    client = index_client(index.url, retries=3, backoff_base=0.5)
    assert len(client.links("a")) == 2
    assert [r.status for r in index.requests(PAGE)] == [503, 503, 200]
    assert sleeps == [0.5, 1.0]


def test_503_forever_is_a_clear_error(index, index_client, sleeps) -> None:
    index.add_fault(PAGE, Fault.status(503), times=None)
    message = _page_error(index_client(index.url, retries=3))
    assert message == f"GET {index.url}a/ failed after 4 attempts: 503 Service Unavailable"
    assert len(index.requests(PAGE)) == 4
    assert len(sleeps) == 3


def test_backoff_is_capped(index, index_client, sleeps) -> None:
    index.add_fault(PAGE, Fault.status(502), times=None)
    _page_error(index_client(index.url, retries=5, backoff_base=1, backoff_max=3))
    assert sleeps == [1, 2, 3, 3, 3]


def test_429_retry_after_is_honoured(index, index_client, sleeps) -> None:
    index.add_fault(PAGE, Fault.status(429, retry_after=7))
    assert len(index_client(index.url).links("a")) == 2
    assert sleeps == [7.0]


def test_retry_after_is_capped(index, index_client, sleeps) -> None:
    index.add_fault(PAGE, Fault.status(503, retry_after=3600), Fault.status(408))
    assert len(index_client(index.url, retry_after_cap=60, backoff_base=0.25).links("a")) == 2
    assert sleeps == [60, 0.5]


def test_client_errors_are_not_retried(index, index_client, sleeps) -> None:
    index.add_fault(PAGE, Fault.status(401))
    message = _page_error(index_client(index.url))
    assert message == f"GET {index.url}a/ failed: 401 Unauthorized"
    assert sleeps == []


def test_timeout_is_retried_then_reported(index, index_client) -> None:
    index.add_fault(PAGE, Fault.delay(1.5), times=2)
    message = _page_error(index_client(index.url, timeout=0.2, retries=1))
    assert "failed after 2 attempts: timed out" in message
    assert index.url in message


def test_timeout_once_recovers(index, index_client, sleeps) -> None:
    index.add_fault(PAGE, Fault.delay(1.0))
    assert len(index_client(index.url, timeout=0.2).links("a")) == 2
    assert len(sleeps) == 1


def test_trickling_body_hits_the_deadline(index, index_client) -> None:
    index.add_fault(PAGE, Fault.trickle(5.0))
    message = _page_error(index_client(index.url, timeout=2, deadline=0.3))
    assert message == f"GET {index.url}a/: no complete answer within 0.3 s"


def test_oversized_page_is_refused(index, index_client) -> None:
    index.add_fault(PAGE, Fault.junk(3 * 1024 * 1024))
    message = _page_error(index_client(index.url, max_page_size=1024 * 1024))
    assert message == f"GET {index.url}a/: page larger than 1 MB"


def test_junk_json_names_the_url(index, index_client) -> None:
    index.add_fault(PAGE, Fault.junk(2000))
    message = _page_error(index_client(index.url))
    assert f"{index.url}a/" in message
    assert "JSON" in message or "UTF-8" in message


def test_truncated_json_is_a_clear_error(index, index_client) -> None:
    index.add_fault(PAGE, Fault.truncate(honest_length=True))
    message = _page_error(index_client(index.url))
    assert message.startswith(f"invalid JSON from {index.url}a/")


def test_truncated_html_page_drops_nothing_silently(make_index, index_client) -> None:
    index = make_index([("a", "1.0", [])], json=False)
    index.add_fault(PAGE, Fault.truncate(honest_length=False))
    # The body ended before its Content-Length: retried, then the full page is read.
    assert len(index_client(index.url).links("a")) == 1
    assert len(index.requests(PAGE)) == 2


def test_connection_reset_mid_body_is_retried(index, index_client, sleeps) -> None:
    index.add_fault(PAGE, Fault.reset())
    assert len(index_client(index.url).links("a")) == 2
    assert len(index.requests(PAGE)) == 2
    assert len(sleeps) == 1


def test_connection_reset_forever(index, index_client) -> None:
    index.add_fault(PAGE, Fault.reset(), times=None)
    message = _page_error(index_client(index.url, retries=2))
    assert message.startswith(f"GET {index.url}a/ failed after 3 attempts: connection reset")


def test_redirect_loop_has_its_own_message(index, index_client) -> None:
    index.add_fault(PAGE, Fault.redirect_loop(), times=None)
    message = _page_error(index_client(index.url))
    assert message.startswith(f"GET {index.url}a/: redirect loop")


def test_too_many_redirects(index, index_client) -> None:
    index.add_fault(PAGE, Fault.redirect_chain(), times=None)
    message = _page_error(index_client(index.url, max_redirects=4))
    assert message.startswith(f"GET {index.url}a/: more than 4 redirects")
    assert len(index.requests(PAGE)) == 5


def test_redirect_is_followed(index, index_client) -> None:
    index.add_fault(PAGE, Fault.redirect("/simple/moved/"))
    index.add_fault("/simple/moved/", Fault.redirect("/mirror/simple/a/", code=301))
    client = index_client(index.url)
    links = client.links("a")
    assert len(links) == 2
    # Relative file URLs are resolved against the page finally served.
    assert all(link.url.startswith(f"{index.base}/mirror/files/") for link in links)
    oldest = min(links, key=lambda link: link.version)
    assert [str(r) for r in client.metadata(oldest).requires_dist] == ["b"]


def test_revisiting_a_url_is_a_loop(index, index_client) -> None:
    index.add_fault(PAGE, Fault.redirect("/simple/elsewhere/"))
    index.add_fault("/simple/elsewhere/", Fault.redirect(PAGE))
    message = _page_error(index_client(index.url))
    assert message == (
        f"GET {index.url}a/: redirect loop ({index.url}a/ -> {index.url}elsewhere/ -> "
        f"{index.url}a/)"
    )


def test_unreachable_index_is_a_clear_error(index, index_client) -> None:
    url = index.url
    index.stop()
    message = _page_error(index_client(url, retries=1))
    assert message.startswith(f"GET {url}a/ failed after 2 attempts: cannot connect")


def test_failed_page_on_first_index_is_not_skipped(make_index, index_client) -> None:
    # "First index that has the project wins" must not fall through to a later index
    # when the first one failed: that would hand the project to the other index.
    first = make_index([("a", "1.0", [])])
    second = make_index([("a", "6.6.6", [])])
    first.add_fault(PAGE, Fault.status(500), times=None)
    _page_error(index_client(first.url, second.url, retries=0))
    assert second.requests(PAGE) == []


def test_metadata_fetch_is_retried(index, index_client, sleeps) -> None:
    client = index_client(index.url)
    link = next(link for link in client.links("a") if str(link.version) == "1.0")
    index.add_fault(f"/files/{link.filename}.metadata", Fault.status(500), Fault.reset())
    assert [str(r) for r in client.metadata(link).requires_dist] == ["b"]
    assert len(sleeps) == 2


def test_range_reads_survive_resets(make_index, index_client) -> None:
    index = make_index([("a", "1.0", ["b"])], pep658=False)
    client = index_client(index.url)
    (link,) = client.links("a")
    index.add_fault(f"/files/{link.filename}", Fault.reset())
    assert [str(r) for r in client.metadata(link).requires_dist] == ["b"]
    assert all(r.range for r in index.requests(f"/files/{link.filename}"))


def test_missing_file_is_an_error_not_a_retry(index, index_client, sleeps) -> None:
    client = index_client(index.url)
    link = client.links("a")[0]
    index.add_fault(f"/files/{link.filename}.metadata", Fault.status(404))
    index.add_fault(f"/files/{link.filename}", Fault.status(404))
    # The advertised .metadata is missing: fall back to the wheel, which is missing too.
    with pytest.raises(IndexAccessError, match="404 Not Found"):
        client.metadata(link)
    assert sleeps == []
