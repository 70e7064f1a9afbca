"""Lazy project files through the client, against a real index on 127.0.0.1.

The client's :meth:`~depslim.index.client.IndexClient.project_files` gives what
``links()`` gives, kept to one target; its scan of a JSON page is cached by the page's
digest, so a second run (warm or ``--offline``) reads the scan, not the page; and an
answer that changes nothing is not written to the cache again.
"""

from __future__ import annotations

from pathlib import Path

from packaging.utils import canonicalize_name

from depslim.index.cache import Cache
from depslim.resolve.candidates import group_candidates, group_project_files
from depslim.target import Target

TARGET = Target.parse("linux/amd64", python="3.11")
SPECS = [
    ("alpha", "1.0", []),
    ("alpha", "2.0", [], {"requires_python": ">=3.12"}),
    ("alpha", "1.5", [], {"tag": "cp311-cp311-manylinux_2_17_x86_64"}),
    ("alpha", "1.6", [], {"tag": "cp311-cp311-win_amd64"}),
    ("alpha", "1.7", [], {"sdist": True}),
]


def _entries(cache_dir: Path, kind: str) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in (cache_dir / kind).rglob("*") if p.is_file()}


def _summary(candidates) -> list[tuple[str, tuple[str, ...]]]:
    return [(str(c.version), tuple(link.url for link in c.links)) for c in candidates]


def test_project_files_give_the_candidates_links_gives(make_index, index_client) -> None:
    for json_pages in (True, False):
        index = make_index(SPECS, json=json_pages)
        client = index_client(index.url)
        files = client.project_files("Alpha", TARGET)
        lazy = group_project_files(files)
        eager = group_candidates(canonicalize_name("alpha"), client.links("alpha"), TARGET)
        assert _summary(lazy) == _summary(eager)
        assert [c for c, _ in _summary(lazy)] == ["1.7", "1.5", "1.0"]


def test_scan_is_cached_and_a_warm_run_rewrites_nothing(make_index, index_client, tmp_path) -> None:
    index = make_index(SPECS)  # an ETag and no max-age: every run revalidates
    cache = Cache(tmp_path)
    first = group_project_files(index_client(index.url, cache=cache).project_files("alpha", TARGET))
    pages, scans = _entries(tmp_path, "pages-v1"), _entries(tmp_path, "scanned-v1")
    assert len(pages) == 1
    assert len(scans) == 1
    warm_client = index_client(index.url, cache=cache)
    warm = group_project_files(warm_client.project_files("alpha", TARGET))
    assert _summary(warm) == _summary(first)
    assert [r.status for r in index.requests("/simple/alpha/")] == [200, 304]
    # neither the page (304, no max-age) nor its scan was written again
    assert _entries(tmp_path, "pages-v1") == pages
    assert _entries(tmp_path, "scanned-v1") == scans


def test_same_body_without_validators_is_not_rewritten(make_index, index_client, tmp_path) -> None:
    index = make_index(SPECS, etag=False, last_modified=False)  # as a plain proxy serves
    cache = Cache(tmp_path)
    index_client(index.url, cache=cache).project_files("alpha", TARGET)
    pages = _entries(tmp_path, "pages-v1")
    index_client(index.url, cache=cache).project_files("alpha", TARGET)
    assert [r.status for r in index.requests("/simple/alpha/")] == [200, 200]
    assert _entries(tmp_path, "pages-v1") == pages


def test_offline_run_reads_the_scan_not_the_page(make_index, index_client, tmp_path) -> None:
    index = make_index(SPECS)
    cache = Cache(tmp_path)
    online = group_project_files(
        index_client(index.url, cache=cache).project_files("alpha", TARGET)
    )
    # Damage the stored scan: the offline run notices (its digest no longer matches),
    # scans the page again and gets the same candidates.
    (scan,) = _entries(tmp_path, "scanned-v1")
    scan.write_bytes(scan.read_bytes()[:-5] + b"junk!")
    offline_client = index_client(index.url, cache=cache, offline=True)
    offline = group_project_files(offline_client.project_files("alpha", TARGET))
    assert _summary(offline) == _summary(online)
    assert len(index.requests("/simple/alpha/")) == 1
    # another target gets its own scan of the same page
    other = Target.parse("windows/amd64", python="3.11")
    windows = group_project_files(offline_client.project_files("alpha", other))
    assert [str(c.version) for c in windows] == ["1.7", "1.6", "1.0"]
    assert len(_entries(tmp_path, "scanned-v1")) == 2


def test_damaged_page_body_is_fetched_again(make_index, index_client, tmp_path) -> None:
    index = make_index(SPECS)
    cache = Cache(tmp_path)
    first = group_project_files(index_client(index.url, cache=cache).project_files("alpha", TARGET))
    for path in [*_entries(tmp_path, "pages-v1"), *_entries(tmp_path, "scanned-v1")]:
        path.write_bytes(path.read_bytes()[:-3])  # the headers survive, the bodies do not
    again = group_project_files(index_client(index.url, cache=cache).project_files("alpha", TARGET))
    assert _summary(again) == _summary(first)
    # revalidated (304), the stored body found damaged, fetched whole again
    assert [r.status for r in index.requests("/simple/alpha/")] == [200, 304, 200]
    offline = index_client(index.url, cache=cache, offline=True)
    assert _summary(group_project_files(offline.project_files("alpha", TARGET))) == _summary(first)
