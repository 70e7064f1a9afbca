"""The index client against a real index on 127.0.0.1 (and a few MockTransport cases)."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import httpx  # noqa: TID251 - MockTransport for the client unit tests
import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from depslim.credentials import redact_url
from depslim.errors import BuildRequiredError, HashMismatchError, IndexAccessError, InputError
from depslim.index.client import ACCEPT, ClientSettings, IndexClient, project_url
from depslim.index.metadata import installed_size
from depslim.index.routing import Routing
from depslim.index.transport import link_for_file
from support.fixtures import build_files
from support.wheels import build_sdist, build_wheel, file_sha256

BIG = {"payload/blob.bin": os.urandom(400_000)}  # incompressible: the wheel stays big


def _versions(links) -> list[str]:
    return sorted(str(link.version) for link in links)


# ------------------------------------------------------------------------------- pages


def test_json_page_is_asked_for_and_read(make_index, index_client) -> None:
    index = make_index(
        [("alpha", "1.0", []), ("alpha", "2.0", [], {"requires_python": ">=3.10"})],
        upload_times={"alpha-2.0-py3-none-any.whl": "2025-01-02T03:04:05Z"},
    )
    client = index_client(index.url)
    links = client.links("Alpha")
    assert _versions(links) == ["1.0", "2.0"]
    (request,) = index.requests("/simple/alpha/")
    assert request.accept == ACCEPT
    newest = max(links, key=lambda link: link.version)
    assert str(newest.requires_python) == ">=3.10"
    assert newest.upload_time == "2025-01-02T03:04:05Z"
    assert newest.size == index.files[newest.filename].size
    assert newest.url == index.file_url(newest.filename)
    assert newest.sha256 == index.files[newest.filename].sha256


def test_html_page_when_the_index_has_no_json(make_index, index_client) -> None:
    index = make_index(
        [("beta", "1.0", [], {"requires_python": ">=3.8"}), ("beta", "1.1", [])],
        json=False,
        yanked={"beta-1.1-py3-none-any.whl": "broken build"},
    )
    links = index_client(index.url).links("beta")
    by_version = {str(link.version): link for link in links}
    assert str(by_version["1.0"].requires_python) == ">=3.8"
    assert by_version["1.1"].yanked == "broken build"
    assert by_version["1.0"].yanked is None
    # Relative hrefs are resolved against the page URL.
    assert by_version["1.0"].url == index.file_url("beta-1.0-py3-none-any.whl")


def test_unknown_project_is_empty_not_an_error(make_index, index_client) -> None:
    index = make_index([("present", "1.0", [])])
    client = index_client(index.url)
    assert client.links("absent") == ()
    assert client.searched("absent") == (f"{index.url}absent/: 404 Not Found",)


def test_pytorch_style_index(make_index, index_client) -> None:
    index = make_index(
        [
            ("torch", "2.5.0+cpu", ["numpy"], {"tag": "cp311-cp311-manylinux_2_28_x86_64"}),
            ("torch", "2.5.1+cpu", ["numpy"], {"tag": "cp311-cp311-manylinux_2_28_x86_64"}),
        ],
        pytorch_style=True,
        no_hash={"torch-2.5.1+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"},
    )
    client = index_client(index.url)
    links = client.links("torch")
    assert _versions(links) == ["2.5.0+cpu", "2.5.1+cpu"]
    (request,) = index.requests("/simple/torch/")
    assert request.status == 200
    by_version = {str(link.version): link for link in links}
    assert "%2B" in by_version["2.5.0+cpu"].url
    assert by_version["2.5.1+cpu"].sha256 is None
    # The missing hash is computed by downloading, never invented.
    served = index.files["torch-2.5.1+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"]
    assert client.file_sha256(by_version["2.5.1+cpu"]) == served.sha256
    meta = client.metadata(by_version["2.5.0+cpu"])
    assert meta.version == Version("2.5.0+cpu")
    assert [str(r) for r in meta.requires_dist] == ["numpy"]
    # 403 means "not on this index" there, and the detail is kept.
    assert client.links("left-pad") == ()
    assert "403 Forbidden" in client.searched("left-pad")[0]


def test_project_url_and_redact() -> None:
    assert project_url("https://x/simple", "Foo.Bar") == "https://x/simple/foo-bar/"
    assert project_url("https://x/simple/", "a_b") == "https://x/simple/a-b/"
    assert redact_url("https://user:secret@host/simple/") == "https://host/simple/"
    assert redact_url("https://host/simple/") == "https://host/simple/"


# ---------------------------------------------------------------------------- metadata


def test_pep658_metadata_without_touching_the_wheel(make_index, index_client) -> None:
    index = make_index([("gamma", "1.0", ["delta>=2", "eps; extra == 'x'"], {"files": BIG})])
    client = index_client(index.url)
    (link,) = client.links("gamma")
    assert link.metadata_hashes is not None
    meta = client.metadata(link)
    assert [str(r) for r in meta.requires_dist] == ["delta>=2", 'eps; extra == "x"']
    assert index.requests(f"/files/{link.filename}.metadata")
    assert index.requests(f"/files/{link.filename}") == []


def test_metadata_by_range_requests(make_index, index_client) -> None:
    index = make_index([("gamma", "1.0", ["delta>=2"], {"files": BIG})], pep658=False, json=False)
    client = index_client(index.url, range_tail=4096)
    (link,) = client.links("gamma")
    assert link.metadata_hashes is None
    meta = client.metadata(link)
    assert [str(r) for r in meta.requires_dist] == ["delta>=2"]
    requests = index.requests(f"/files/{link.filename}")
    assert requests, "the wheel was read"
    assert all(r.range is not None and r.status == 206 for r in requests)
    size = index.files[link.filename].size
    assert sum(r.length for r in requests) < size // 10


def test_wheel_entries_by_range_requests(make_index, index_client) -> None:
    index = make_index([("gamma", "1.0", [], {"files": BIG})], pep658=False)
    client = index_client(index.url, range_tail=4096)
    (link,) = client.links("gamma")
    entries = client.wheel_entries(link)
    assert installed_size(entries) >= 400_000
    assert "payload/blob.bin" in {entry.name for entry in entries}
    size = index.files[link.filename].size
    assert sum(r.length for r in index.requests(f"/files/{link.filename}")) < size // 10


def test_full_download_when_ranges_are_not_supported(make_index, index_client) -> None:
    index = make_index([("gamma", "1.0", ["delta"], {"files": BIG})], pep658=False, ranges=False)
    client = index_client(index.url)
    (link,) = client.links("gamma")
    assert [str(r) for r in client.metadata(link).requires_dist] == ["delta"]
    # The server ignored Range and sent the file: that one answer was used.
    (request,) = index.requests(f"/files/{link.filename}")
    assert request.status == 200
    assert request.length == index.files[link.filename].size


def test_tampered_metadata_file_is_refused(make_index, index_client) -> None:
    index = make_index(
        [("gamma", "1.0", ["delta"])], tampered_metadata={"gamma-1.0-py3-none-any.whl"}
    )
    client = index_client(index.url)
    (link,) = client.links("gamma")
    with pytest.raises(HashMismatchError) as caught:
        client.metadata(link)
    assert f"{link.url}.metadata" in str(caught.value)
    assert caught.value.exit_code == 3


def test_downloaded_wheel_is_checked_against_the_listed_hash(make_index, index_client) -> None:
    index = make_index(
        [("gamma", "1.0", [])],
        pep658=False,
        ranges=False,
        wrong_hashes={"gamma-1.0-py3-none-any.whl"},
    )
    client = index_client(index.url)
    (link,) = client.links("gamma")
    with pytest.raises(HashMismatchError, match=r"sha256 mismatch for http://127\.0\.0\.1"):
        client.metadata(link)


def test_sdist_with_static_metadata(make_index, index_client) -> None:
    index = make_index([("zeta", "1.0", ["eta<3"], {"sdist": True, "requires_python": ">=3.9"})])
    client = index_client(index.url)
    (link,) = client.links("zeta")
    assert not link.is_wheel
    meta = client.metadata(link)
    assert [str(r) for r in meta.requires_dist] == ["eta<3"]
    assert str(meta.requires_python) == ">=3.9"


def test_sdist_hash_is_verified(make_index, index_client) -> None:
    index = make_index([("zeta", "1.0", [], {"sdist": True})], wrong_hashes={"zeta-1.0.tar.gz"})
    client = index_client(index.url)
    (link,) = client.links("zeta")
    with pytest.raises(HashMismatchError):
        client.metadata(link)


def test_sdist_with_dynamic_metadata_needs_a_build(make_index, index_client) -> None:
    index = make_index([("theta", "1.0", ["iota"], {"sdist": True, "dynamic": ["Requires-Dist"]})])
    (link,) = index_client(index.url).links("theta")
    with pytest.raises(BuildRequiredError, match="not static"):
        index_client(index.url).metadata(link)


def test_metadata_that_contradicts_the_file_name(wheel_dir, index_server, index_client) -> None:
    built = build_wheel(wheel_dir, "real", "1.0")
    built.rename(wheel_dir / "fake-1.0-py3-none-any.whl")
    index = index_server(wheel_dir, pep658=False)
    client = index_client(index.url)
    (link,) = client.links("fake")
    with pytest.raises(IndexAccessError, match=r"the metadata names real 1\.0"):
        client.metadata(link)


# ------------------------------------------------------------------------- file hashes


def test_file_sha256_prefers_the_index_hash(make_index, index_client) -> None:
    index = make_index([("kappa", "1.0", [])])
    client = index_client(index.url)
    (link,) = client.links("kappa")
    assert client.file_sha256(link) == index.files[link.filename].sha256
    assert index.requests(f"/files/{link.filename}") == []


def test_file_sha256_downloads_when_the_index_gives_none(make_index, index_client) -> None:
    index = make_index([("kappa", "1.0", []), ("kappa", "2.0", [])], hashes=False)
    client = index_client(index.url)
    links = client.links("kappa")
    for link in links:
        assert link.sha256 is None
        assert client.file_sha256(link) == index.files[link.filename].sha256
        assert client.file_sha256(link) == index.files[link.filename].sha256
        assert len(index.requests(f"/files/{link.filename}")) == 1


def test_downloading_for_metadata_also_gives_the_hash(make_index, index_client) -> None:
    index = make_index([("kappa", "1.0", [])], hashes=False, pep658=False, ranges=False)
    client = index_client(index.url)
    (link,) = client.links("kappa")
    client.metadata(link)
    assert client.file_sha256(link) == index.files[link.filename].sha256
    assert len(index.requests(f"/files/{link.filename}")) == 1


# ----------------------------------------------------------------- local indexes, links


def _write_simple_tree(root: Path, files: list[Path]) -> None:
    """``root/<project>/index.html`` pages linking to files kept in ``root/../files``."""
    by_project: dict[str, list[Path]] = {}
    for path in files:
        project = canonicalize_name(path.name.split("-")[0])
        by_project.setdefault(project, []).append(path)
    for project, paths in by_project.items():
        page_dir = root / project
        page_dir.mkdir(parents=True)
        anchors = "".join(
            f'<a href="../../files/{p.name}#sha256={file_sha256(p)}">{p.name}</a>\n' for p in paths
        )
        (page_dir / "index.html").write_text(f"<html><body>{anchors}</body></html>")


def test_file_url_index_with_project_pages(tmp_path: Path, index_client) -> None:
    files = build_files(
        tmp_path / "files", [("lam", "1.0", ["mu"]), ("lam", "1.1", []), ("mu", "0.1", [])]
    )
    _write_simple_tree(tmp_path / "simple", files)
    client = index_client((tmp_path / "simple").as_uri())
    links = client.links("lam")
    assert _versions(links) == ["1.0", "1.1"]
    assert all(link.url.startswith("file://") and link.sha256 for link in links)
    oldest = min(links, key=lambda link: link.version)
    assert [str(r) for r in client.metadata(oldest).requires_dist] == ["mu"]
    assert client.file_sha256(oldest) == file_sha256(tmp_path / "files" / oldest.filename)
    assert client.links("nu") == ()


def test_plain_directory_as_index(tmp_path: Path, index_client) -> None:
    flat = tmp_path / "flat"
    build_files(flat, [("xi", "1.0", ["pi"]), ("pi", "3.0", [], {"sdist": True})])
    client = index_client(str(flat))
    (xi,) = client.links("xi")
    (pi,) = client.links("pi")
    assert [str(r) for r in client.metadata(xi).requires_dist] == ["pi"]
    assert client.metadata(pi).version == Version("3.0")
    assert client.file_sha256(pi) == file_sha256(flat / pi.filename)


def test_directory_per_project_without_pages(tmp_path: Path, index_client) -> None:
    root = tmp_path / "tree"
    build_files(root / "rho", [("rho", "1.0", [])])
    assert _versions(index_client(str(root)).links("Rho")) == ["1.0"]


def test_find_links_html_page_over_http(make_index, index_client) -> None:
    index = make_index([("sigma", "1.0", []), ("sigma", "1.2", []), ("tau", "1.0", [])])
    client = index_client(find_links=[index.find_links_url])
    assert _versions(client.links("sigma")) == ["1.0", "1.2"]
    assert _versions(client.links("tau")) == ["1.0"]
    assert client.links("upsilon") == ()
    # The page is fetched once for all projects.
    assert len(index.requests("/links/")) == 1


def test_find_links_local_html_page(tmp_path: Path, index_client) -> None:
    files = build_files(tmp_path / "dist", [("phi", "1.0", ["chi"])])
    page = tmp_path / "links.html"
    page.write_text(f'<a href="dist/{files[0].name}">{files[0].name}</a>')
    client = index_client(find_links=[page.as_uri()])
    (link,) = client.links("phi")
    assert [str(r) for r in client.metadata(link).requires_dist] == ["chi"]


def test_missing_find_links_location_is_an_error(tmp_path: Path, index_client) -> None:
    client = index_client(find_links=[str(tmp_path / "nowhere")])
    with pytest.raises(IndexAccessError, match="does not exist"):
        client.links("anything")


def test_link_for_file_ignores_non_distributions(tmp_path: Path) -> None:
    readme = tmp_path / "README.txt"
    readme.write_text("hello")
    assert link_for_file(readme, index=str(tmp_path)) is None


# --------------------------------------------------------------------------- prefetching


def test_prefetch_fetches_each_page_once(make_index, index_client) -> None:
    names = [f"proj{i}" for i in range(6)]
    index = make_index([(name, "1.0", []) for name in names])
    client = index_client(index.url, concurrency=4)
    client.prefetch(names)
    client.prefetch(names)
    results: list[int] = []
    lock = threading.Lock()

    def ask() -> None:
        for name in reversed(names):
            count = len(client.links(name))
            with lock:
                results.append(count)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [1] * 24
    for name in names:
        assert len(index.requests(f"/simple/{name}/")) == 1


def test_prefetch_metadata_fetches_each_file_once(make_index, index_client) -> None:
    index = make_index([("omega", v, ["alpha"]) for v in ("1.0", "1.1", "1.2")])
    client = index_client(index.url)
    links = client.links("omega")
    client.prefetch_metadata(links)
    client.prefetch_metadata(links)
    for link in links:
        assert [str(r) for r in client.metadata(link).requires_dist] == ["alpha"]
        assert len(index.requests(f"/files/{link.filename}.metadata")) == 1


def test_prefetch_errors_surface_in_the_later_call(make_index, index_client) -> None:
    from support.index_server import Fault

    index = make_index([("broken", "1.0", [])])
    index.add_fault("/simple/broken/", Fault.status(500), times=None)
    client = index_client(index.url, retries=0)
    client.prefetch(["broken"])
    with pytest.raises(IndexAccessError, match="500 Internal Server Error"):
        client.links("broken")
    with pytest.raises(IndexAccessError):
        client.links("broken")
    assert len(index.requests("/simple/broken/")) == 1


def test_close_stops_prefetching(make_index) -> None:
    index = make_index([("one", "1.0", [])])
    with IndexClient(ClientSettings(), routing=Routing.simple(index.url)) as client:
        client.prefetch(["one"])
        assert _versions(client.links("one")) == ["1.0"]
    client.prefetch(["two"])  # after close: ignored, not an error
    assert index.requests("/simple/two/") == []


# ------------------------------------------------------------------- MockTransport units


def _mock_client(handler, **settings) -> IndexClient:
    return IndexClient(
        ClientSettings(sleep=lambda _: None, **settings),
        routing=Routing.simple("https://index.test/simple/"),
        transport=httpx.MockTransport(handler),
    )


def test_unexpected_content_type_is_an_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"%PDF-1.4", headers={"Content-Type": "application/pdf"})

    with (
        _mock_client(handler) as client,
        pytest.raises(IndexAccessError, match="unexpected Content-Type 'application/pdf'"),
    ):
        client.links("x")


def test_json_served_by_a_mock_transport() -> None:
    document = (
        b'{"meta": {"api-version": "1.0"}, "name": "x", "files": [{"filename": '
        b'"x-1.0-py3-none-any.whl", "url": "https://files.test/x-1.0-py3-none-any.whl", '
        b'"hashes": {"sha256": "' + b"ab" * 32 + b'"}}]}'
    )

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/simple/x/"
        return httpx.Response(
            200, content=document, headers={"Content-Type": "application/vnd.pypi.simple.v1+json"}
        )

    with _mock_client(handler) as client:
        (link,) = client.links("X")
        assert link.sha256 == "ab" * 32
        assert client.file_sha256(link) == "ab" * 32


def test_http_date_retry_after_is_honoured_with_a_cap() -> None:
    answers = iter([503, 200])
    delays: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        if status == 503:
            return httpx.Response(503, headers={"Retry-After": "Fri, 31 Dec 2100 23:59:59 GMT"})
        return httpx.Response(200, content=b"<html></html>", headers={"Content-Type": "text/html"})

    client = IndexClient(
        ClientSettings(sleep=delays.append, retry_after_cap=30),
        routing=Routing.simple("https://index.test/simple/"),
        transport=httpx.MockTransport(handler),
    )
    with client:
        assert client.links("x") == ()
    assert delays == [30]


def test_sha256_of_a_downloaded_file_matches_hashlib(make_index, index_client) -> None:
    index = make_index([("big", "1.0", [], {"files": BIG})], hashes=False)
    client = index_client(index.url)
    (link,) = client.links("big")
    path = index.files_dir / link.filename
    assert client.file_sha256(link) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_sdist_zip_from_a_local_flat_directory(tmp_path: Path, index_client) -> None:
    build_sdist(tmp_path / "d", "psi", "2.0", requires=["omega"], fmt="zip")
    (link,) = index_client(str(tmp_path / "d")).links("psi")
    assert link.filename.endswith(".zip")
    meta = index_client(str(tmp_path / "d")).metadata(link)
    assert [str(r) for r in meta.requires_dist] == ["omega"]


# --------------------------------------------------------------------- direct references


def test_link_for_url_over_http(make_index, index_client) -> None:
    index = make_index([("direct", "1.0", ["x"])], hashes=False, pep658=False)
    client = index_client(index.url)
    filename = "direct-1.0-py3-none-any.whl"
    link = client.link_for_url("Direct", index.file_url(filename))
    assert (link.name, str(link.version), link.index, link.sha256) == ("direct", "1.0", "", None)
    assert [str(r) for r in client.metadata(link).requires_dist] == ["x"]
    assert client.file_sha256(link) == index.files[filename].sha256
    pinned = client.link_for_url("direct", index.file_url(filename) + "#sha256=" + "AB" * 32)
    assert pinned.sha256 == "ab" * 32


def test_link_for_url_local_path(tmp_path: Path, index_client) -> None:
    (path,) = build_files(tmp_path, [("loc", "2.0", [], {"sdist": True})])
    client = index_client()
    link = client.link_for_url("loc", str(path))
    assert link.url == path.resolve().as_uri()
    assert link.size == path.stat().st_size
    assert client.metadata(link).version == Version("2.0")


def test_link_for_url_rejects_other_files(index_client) -> None:
    client = index_client()
    with pytest.raises(InputError, match="is a file of other, not of mine"):
        client.link_for_url("mine", "https://files.test/other-1.0.tar.gz")
    with pytest.raises(InputError, match="does not name a wheel or an sdist"):
        client.link_for_url("mine", "https://files.test/mine/archive")


def test_progress_events(make_index, index_server, wheel_dir) -> None:
    from support.index_server import Fault

    index = make_index([("ev", "1.0", [])], pep658=False)
    index.add_fault("/simple/ev/", Fault.status(503))
    events: list[tuple[str, str]] = []
    client = IndexClient(
        ClientSettings(sleep=lambda _: None),
        routing=Routing.simple(index.url),
        on_event=lambda kind, url: events.append((kind, url)),
    )
    with client:
        (link,) = client.links("ev")
        client.metadata(link)
    assert [kind for kind, _ in events] == ["page", "retry", "metadata", "range"]
    assert events[0][1] == f"{index.url}ev/"
