"""The lazy page against the eager one, on the PyTorch index's real pages.

Each real page (torch 2024 and 2026, numpy's head, jinja2) is read both ways, as HTML
and as the PEP 691 JSON document that lists the same files, and grouped into candidates
for several targets: eagerly (every file a :class:`Link`, then :func:`group_candidates`)
and lazily (:func:`scan_json_page` / :meth:`ProjectFiles.from_links`, then
:func:`group_project_files`). Both must give the same candidates with the same links in
the same order, and the scanned form read back from JSON must too.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from depslim.index.page_files import FileFilter, ProjectFiles, scan_json_page
from depslim.index.pages import parse_html_page, parse_json_page
from depslim.models import Link
from depslim.resolve.candidates import (
    BinaryPolicy,
    LazyLinks,
    group_candidates,
    group_project_files,
)
from depslim.target import Target

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "pytorch-cpu"
INDEX = "https://download.pytorch.org/whl/cpu/"
PAGES = {
    "torch-2026": ("torch", FIXTURES / "pages-2026-03-15" / "torch.html"),
    "torch-2024": ("torch", FIXTURES / "pages-2024-10-08" / "torch.html.gz"),
    "numpy-head": ("numpy", FIXTURES / "pages-2026-03-15" / "numpy.head.html"),
    "jinja2": ("jinja2", FIXTURES / "pages-2026-03-15" / "jinja2.html"),
}
TARGETS = [
    ("linux/amd64", "3.11"),
    ("linux/arm64", "3.12"),
    ("linux/amd64-musl", "3.13"),
    ("macos/arm64", "3.9"),
    ("windows/amd64", "3.10"),
    ("linux/amd64", "3.8"),
]


def _html(key: str) -> tuple[str, str, bytes]:
    project, path = PAGES[key]
    body = path.read_bytes()
    if path.suffix == ".gz":
        body = gzip.decompress(body)
    if b"</html>" not in body:  # numpy's recorded head is cut inside an anchor: complete it
        body = body[: body.rindex(b"</a>") + 4] + b"\n</body>\n</html>\n"
    return canonicalize_name(project), f"{INDEX}{project}/", body


def _as_json(links: tuple[Link, ...]) -> bytes:
    """The PEP 691 document listing exactly these files (plus a few a target drops)."""
    files: list[dict[str, object]] = []
    for link in links:
        entry: dict[str, object] = {
            "filename": link.filename,
            "url": link.url,
            "hashes": dict(link.hashes),
        }
        if link.requires_python is not None:
            entry["requires-python"] = str(link.requires_python)
        if link.yanked is not None:
            entry["yanked"] = link.yanked or True
        if link.metadata_hashes is not None:
            entry["core-metadata"] = dict(link.metadata_hashes) or True
        files.append(entry)
    # Files that never make a candidate: another project's, a non-distribution, an
    # installer for an old Windows, a wheel whose tags do not parse.
    files += [
        {"filename": "other-1.0.tar.gz", "url": "https://x.invalid/other-1.0.tar.gz", "hashes": {}},
        {"filename": "notes.txt", "url": "https://x.invalid/notes.txt", "hashes": {}},
        {"filename": "x-1.0.win32.exe", "url": "https://x.invalid/x.exe", "hashes": {}},
        {"filename": "torch-1.0-cp311-x-y.whl", "url": "https://x.invalid/t.whl", "hashes": {}},
    ]
    return json.dumps({"meta": {"api-version": "1.1"}, "files": files}).encode()


def _summary(candidates) -> list[tuple[Version, tuple[Link, ...]]]:
    return [(c.version, tuple(c.links)) for c in candidates]


@pytest.fixture(scope="module", params=sorted(PAGES))
def page(request):
    project, url, body = _html(request.param)
    html = parse_html_page(body, url=url, index=INDEX, project=project)
    assert html.links, request.param
    json_body = _as_json(html.links)
    as_json = parse_json_page(json_body, url=url, index=INDEX, project=project)
    return project, url, html, json_body, as_json


@pytest.mark.parametrize(("platform", "python"), TARGETS)
def test_scanned_json_page_gives_the_eager_candidates(page, platform, python) -> None:
    project, url, _, json_body, as_json = page
    target = Target.parse(platform, python=python)
    eager = group_candidates(project, as_json.links, target)
    files = scan_json_page(
        json_body, url=url, index=INDEX, project=project, file_filter=FileFilter(target)
    )
    lazy = group_project_files(files)
    assert all(isinstance(c.links, LazyLinks) for c in lazy)
    assert _summary(lazy) == _summary(eager)
    # the scanned form, as a cache keeps it, reads back to the same candidates
    again = ProjectFiles.from_json(
        json.loads(json.dumps(files.to_json())),
        index=INDEX,
        url=url,
        file_filter=FileFilter(target),
    )
    assert again is not None
    assert _summary(group_project_files(again)) == _summary(eager)


@pytest.mark.parametrize(("platform", "python"), TARGETS)
def test_html_page_as_project_files_gives_the_eager_candidates(page, platform, python) -> None:
    project, url, html, _, _ = page
    target = Target.parse(platform, python=python)
    files = ProjectFiles.from_links(project, html.links, FileFilter(target), index=INDEX, url=url)
    assert _summary(group_project_files(files)) == _summary(
        group_candidates(project, html.links, target)
    )


def test_pinned_yanked_and_binary_rules_match(page) -> None:
    project, url, _, json_body, as_json = page
    target = Target.parse("linux/amd64", python="3.11")
    files = scan_json_page(
        json_body, url=url, index=INDEX, project=project, file_filter=FileFilter(target)
    )
    versions = [c.version for c in group_candidates(project, as_json.links, target)]
    pinned = frozenset(versions[::3])
    for binary in (
        None,
        BinaryPolicy(only_binary=frozenset({":all:"})),
        BinaryPolicy(no_binary=frozenset({project})),
    ):
        eager = group_candidates(project, as_json.links, target, allow_yanked=pinned, binary=binary)
        lazy = group_project_files(files, allow_yanked=pinned, binary=binary)
        assert _summary(lazy) == _summary(eager)


def test_the_2026_torch_page_keeps_a_fraction_of_its_files_for_one_target() -> None:
    project, url, body = _html("torch-2026")
    html = parse_html_page(body, url=url, index=INDEX, project=project)
    target = Target.parse("linux/amd64", python="3.11")
    files = scan_json_page(
        _as_json(html.links),
        url=url,
        index=INDEX,
        project=project,
        file_filter=FileFilter(target),
    )
    kept = files.all_links()
    assert 0 < len(kept) < len(html.links) / 4
    assert all(link.filename.endswith(".whl") and "x86_64" in link.filename for link in kept)


def test_yanked_files_stay_out_unless_their_version_is_pinned() -> None:
    body = json.dumps(
        {
            "meta": {"api-version": "1.0"},
            "files": [
                {"filename": "a-1.0.tar.gz", "url": "a-1.0.tar.gz", "hashes": {}, "yanked": True},
                {"filename": "a-0.9.tar.gz", "url": "a-0.9.tar.gz", "hashes": {}},
            ],
        }
    ).encode()
    target = Target.parse("linux/amd64", python="3.11")
    files = scan_json_page(
        body,
        url="https://i.invalid/simple/a/",
        index="https://i.invalid/simple/",
        project=canonicalize_name("a"),
        file_filter=FileFilter(target),
    )
    assert [str(c.version) for c in group_project_files(files)] == ["0.9"]
    pinned = group_project_files(files, allow_yanked=frozenset({Version("1.0")}))
    assert [str(c.version) for c in pinned] == ["1.0", "0.9"]
    assert pinned[0].links[0].url == "https://i.invalid/simple/a/a-1.0.tar.gz"
    assert pinned[0].links[0].is_yanked
