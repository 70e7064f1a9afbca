"""The on-disk cache: round trips, corruption, concurrency, revalidation and --offline."""

from __future__ import annotations

import multiprocessing
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from depslim.errors import IndexAccessError
from depslim.index.cache import Cache, CachedPage, metadata_from_json, metadata_to_json
from depslim.models import CoreMetadata

META = CoreMetadata(
    name=canonicalize_name("Foo.Bar"),
    version=Version("1.2.3"),
    metadata_version="2.1",
    requires_dist=(Requirement("baz>=1; extra == 'x'"), Requirement("qux")),
    requires_python=SpecifierSet(">=3.9"),
    provides_extra=(canonicalize_name("x"),),
    dynamic=(),
)


def test_page_round_trip(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    page = CachedPage(
        url="https://i/simple/a/",
        body=b"<html>\x00\xff</html>",
        content_type="text/html",
        etag='"abc"',
        last_modified="Wed, 21 Oct 2015 07:28:00 GMT",
    )
    assert cache.get_page(page.url) is None
    cache.put_page(page)
    assert cache.get_page(page.url) == page
    assert cache.get_page("https://i/simple/b/") is None
    absent = CachedPage(url="https://i/simple/b/", status=404)
    cache.put_page(absent)
    assert cache.get_page(absent.url) == absent


def test_metadata_and_hash_round_trip(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    cache.put_metadata("metadata-sha256:" + "0" * 64, META)
    assert cache.get_metadata("metadata-sha256:" + "0" * 64) == META
    assert cache.get_metadata("file-sha256:" + "0" * 64) is None
    assert metadata_from_json(metadata_to_json(META)) == META
    cache.put_file_hash("https://f/a.whl", 123, "AB" * 32)
    assert cache.get_file_hash("https://f/a.whl", 123) == "ab" * 32
    assert cache.get_file_hash("https://f/a.whl", 124) is None
    assert cache.get_file_hash("https://f/a.whl", None) is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-1],
        lambda data: data[:5],
        lambda data: b"",
        lambda data: data[:-1] + bytes([data[-1] ^ 1]),
        lambda data: b"not a cache file at all",
    ],
)
def test_corrupt_entries_are_ignored(tmp_path: Path, damage) -> None:
    cache = Cache(tmp_path)
    cache.put_metadata("k", META)
    cache.put_page(CachedPage(url="u", body=b"baz"))
    cache.put_file_hash("u", 1, "cd" * 32)
    entries = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(entries) == 3
    for path in entries:
        path.write_bytes(damage(path.read_bytes()))
    assert cache.get_metadata("k") is None
    assert cache.get_page("u") is None
    assert cache.get_file_hash("u", 1) is None


def test_bad_json_metadata_is_refused() -> None:
    with pytest.raises(ValueError, match="not an object"):
        metadata_from_json([])
    with pytest.raises(ValueError, match="bad metadata entry"):
        metadata_from_json({"name": "x"})


def test_unwritable_cache_is_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory should be")
    cache = Cache(blocker)
    cache.put_metadata("k", META)
    assert cache.get_metadata("k") is None


def test_concurrent_writers_leave_whole_entries(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    bodies = [bytes([i]) * (50_000 + i) for i in range(8)]
    seen: list[bytes] = []

    def write(body: bytes) -> None:
        for _ in range(20):
            cache.put_page(CachedPage(url="shared", body=body))
            page = cache.get_page("shared")
            if page is not None:
                seen.append(page.body)

    threads = [threading.Thread(target=write, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen
    assert all(body in bodies for body in seen)
    assert not list(tmp_path.rglob(".tmp-*"))


def _write_many(root: str, marker: int) -> None:
    cache = Cache(root)
    for _ in range(30):
        cache.put_page(CachedPage(url="shared", body=bytes([marker]) * 100_000))


def test_concurrent_processes_leave_whole_entries(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_write_many, args=(str(tmp_path), i)) for i in (1, 2)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    page = Cache(tmp_path).get_page("shared")
    assert page is not None
    assert page.body in (b"\x01" * 100_000, b"\x02" * 100_000)


# ------------------------------------------------------------------ with the client


def test_pages_are_revalidated_with_etag(make_index, index_client, tmp_path: Path) -> None:
    index = make_index([("a", "1.0", []), ("a", "2.0", [])])
    cache = Cache(tmp_path / "cache")
    first = index_client(index.url, cache=cache).links("a")
    second = index_client(index.url, cache=cache).links("a")
    assert first == second
    fresh, revalidated = index.requests("/simple/a/")
    assert fresh.status == 200
    assert fresh.if_none_match is None
    assert revalidated.if_none_match is not None
    assert revalidated.status == 304
    assert revalidated.length == 0


def test_pages_are_revalidated_with_last_modified(make_index, index_client, tmp_path) -> None:
    index = make_index([("a", "1.0", [])], etag=False)
    cache = Cache(tmp_path / "cache")
    index_client(index.url, cache=cache).links("a")
    assert len(index_client(index.url, cache=cache).links("a")) == 1
    _, revalidated = index.requests("/simple/a/")
    assert revalidated.if_modified_since is not None
    assert revalidated.status == 304


def test_changed_page_replaces_the_cached_one(make_index, index_client, tmp_path) -> None:
    from support.wheels import build_wheel

    index = make_index([("a", "1.0", [])])
    cache = Cache(tmp_path / "cache")
    assert len(index_client(index.url, cache=cache).links("a")) == 1
    build_wheel(index.files_dir, "a", "1.1")
    index.refresh()
    assert len(index_client(index.url, cache=cache).links("a")) == 2
    assert [r.status for r in index.requests("/simple/a/")] == [200, 200]


def test_metadata_is_kept_forever(make_index, index_client, tmp_path: Path) -> None:
    index = make_index([("a", "1.0", ["b"])], pep658=False, ranges=False)
    cache = Cache(tmp_path / "cache")
    (link,) = index_client(index.url, cache=cache).links("a")
    assert index_client(index.url, cache=cache).metadata(link).requires_dist
    assert index_client(index.url, cache=cache).metadata(link).requires_dist
    assert len(index.requests(f"/files/{link.filename}")) == 1


def test_computed_hashes_are_cached(make_index, index_client, tmp_path: Path) -> None:
    index = make_index([("a", "1.0", [])], hashes=False)
    cache = Cache(tmp_path / "cache")
    (link,) = index_client(index.url, cache=cache).links("a")
    expected = index.files[link.filename].sha256
    assert index_client(index.url, cache=cache).file_sha256(link) == expected
    assert index_client(index.url, cache=cache).file_sha256(link) == expected
    assert len(index.requests(f"/files/{link.filename}")) == 1


def test_offline_uses_only_the_cache(make_index, index_client, tmp_path: Path) -> None:
    index = make_index([("a", "1.0", ["b"]), ("b", "1.0", [])], hashes=False)
    cache = Cache(tmp_path / "cache")
    online = index_client(index.url, cache=cache)
    (a_link,) = online.links("a")
    online.metadata(a_link)
    online.file_sha256(a_link)
    assert online.links("missing") == ()
    index.clear_log()

    offline = index_client(index.url, cache=cache, offline=True)
    assert offline.links("a") == (a_link,)
    assert [str(r) for r in offline.metadata(a_link).requires_dist] == ["b"]
    assert offline.file_sha256(a_link) == index.files[a_link.filename].sha256
    assert offline.links("missing") == ()
    with pytest.raises(IndexAccessError, match="run once without --offline"):
        offline.links("b")
    assert index.log == []


def test_offline_without_a_cache_fails_clearly(make_index, index_client) -> None:
    index = make_index([("a", "1.0", [])])
    with pytest.raises(IndexAccessError, match="--offline"):
        index_client(index.url, offline=True).links("a")
    assert index.log == []


def test_corrupt_cached_page_is_refetched(make_index, index_client, tmp_path: Path) -> None:
    index = make_index([("a", "1.0", [])])
    cache = Cache(tmp_path / "cache")
    index_client(index.url, cache=cache).links("a")
    for path in (tmp_path / "cache").rglob("*"):
        if path.is_file():
            path.write_bytes(path.read_bytes()[:-3])
    assert len(index_client(index.url, cache=cache).links("a")) == 1
    assert [r.status for r in index.requests("/simple/a/")] == [200, 200]


def test_rebuilt_local_wheel_is_not_served_stale(tmp_path: Path, index_client) -> None:
    from support.wheels import build_wheel

    links_dir = tmp_path / "wheels"
    cache = Cache(tmp_path / "cache")
    build_wheel(links_dir, "local", "1.0", requires=["old"])
    (link,) = index_client(find_links=[str(links_dir)], cache=cache).links("local")
    assert [str(r) for r in index_client(cache=cache).metadata(link).requires_dist] == ["old"]
    build_wheel(links_dir, "local", "1.0", requires=["new"])
    assert [str(r) for r in index_client(cache=cache).metadata(link).requires_dist] == ["new"]


@settings(max_examples=200, deadline=None)
@given(garbage=st.binary(max_size=400))
def test_any_bytes_in_an_entry_never_crash_a_read(garbage: bytes) -> None:
    with tempfile.TemporaryDirectory() as root:
        cache = Cache(root)
        cache.put_metadata("k", META)
        cache.put_page(CachedPage(url="u", body=b"x"))
        cache.put_file_hash("u", None, "ef" * 32)
        for path in Path(root).rglob("*"):
            if path.is_file():
                path.write_bytes(garbage)
        assert cache.get_metadata("k") is None
        assert cache.get_page("u") is None
        assert cache.get_file_hash("u", None) is None


@given(
    data=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=12,
    )
)
def test_metadata_from_json_only_raises_value_error(data) -> None:
    try:
        meta = metadata_from_json(data)
    except ValueError:
        return
    assert metadata_from_json(metadata_to_json(meta)) == meta


def test_a_broken_page_is_never_cached(make_index, index_client, tmp_path: Path) -> None:
    from support.index_server import Fault

    index = make_index([("a", "1.0", [])])
    cache = Cache(tmp_path / "cache")
    index.add_fault("/simple/a/", Fault.truncate(honest_length=True))
    with pytest.raises(IndexAccessError, match="invalid JSON"):
        index_client(index.url, cache=cache).links("a")
    assert len(index_client(index.url, cache=cache).links("a")) == 1
    _, second = index.requests("/simple/a/")
    assert second.if_none_match is None
    assert second.status == 200


def test_cached_redirected_page_keeps_its_base(make_index, index_client, tmp_path) -> None:
    from support.index_server import Fault

    index = make_index([("a", "1.0", [])])
    index.add_fault("/simple/a/", Fault.redirect("/mirror/simple/a/"))
    cache = Cache(tmp_path / "cache")
    online = index_client(index.url, cache=cache).links("a")
    offline = index_client(index.url, cache=cache, offline=True).links("a")
    assert online == offline
    assert offline[0].url.startswith(f"{index.base}/mirror/files/")


def test_fresh_pages_are_used_without_a_request(make_index, index_client, tmp_path) -> None:
    """Cache-Control: max-age is honoured as pip and uv do; honor_max_age=False revalidates."""
    from depslim.index.cache import Cache

    index = make_index([("fresh", "1.0", [])], cache_control="max-age=600, public")
    cache = Cache(tmp_path / "c")
    assert index_client(index.url, cache=cache).links("fresh")
    pages = lambda: [r for r in index.log if r.path.endswith("/fresh/")]  # noqa: E731
    assert len(pages()) == 1
    assert index_client(index.url, cache=cache).links("fresh")
    assert len(pages()) == 1  # answered from the cache, no request
    assert index_client(index.url, cache=cache, honor_max_age=False).links("fresh")
    assert len(pages()) == 2 and pages()[-1].status == 304


def test_no_cache_directive_always_revalidates(make_index, index_client, tmp_path) -> None:
    from depslim.index.cache import Cache

    index = make_index([("stale", "1.0", [])], cache_control="no-cache")
    cache = Cache(tmp_path / "c")
    index_client(index.url, cache=cache).links("stale")
    index_client(index.url, cache=cache).links("stale")
    assert len([r for r in index.log if r.path.endswith("/stale/")]) == 2
