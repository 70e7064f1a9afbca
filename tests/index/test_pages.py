"""Index pages: PEP 503 HTML (real PyTorch pages and hand-written ones) and PEP 691 JSON."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from depslim.errors import IndexAccessError
from depslim.index.pages import (
    parse_html_page,
    parse_json_page,
    parse_project_list_html,
    parse_project_list_json,
)
from depslim.models import DistKind, Link

FIXTURES = Path(__file__).parents[2] / "fixtures" / "pytorch-cpu"
CPU = "https://download.pytorch.org/whl/cpu"
TORCH = NormalizedName("torch")


def html(body: str, *, head: str = "") -> bytes:
    return f"<!DOCTYPE html>\n<html><head>{head}</head><body>\n{body}\n</body></html>".encode()


def parse(
    content: bytes, project: str | None = "foo", url: str = "https://example.test/simple/foo/"
) -> tuple[Link, ...]:
    name = canonicalize_name(project) if project is not None else None
    return parse_html_page(
        content, url=url, index="https://example.test/simple", project=name
    ).links


# ------------------------------------------------------------------ real PyTorch pages


def torch_page(day: str) -> bytes:
    path = FIXTURES / f"pages-{day}" / "torch.html"
    if path.exists():
        return path.read_bytes()
    return gzip.decompress(path.with_name("torch.html.gz").read_bytes())


def test_real_torch_page_matches_recorded_values() -> None:
    page = parse_html_page(torch_page("2026-03-15"), url=f"{CPU}/torch/", index=CPU, project=TORCH)
    text = gzip.decompress((FIXTURES / "wheels-torch-2026-03-15.tsv.gz").read_bytes()).decode()
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
    expected = Counter(
        (
            row["project"],
            row["version"],
            row["local"],
            row["filename"],
            row["sha256"],
            row["core_metadata_sha256"],
            row["url"],
        )
        for row in rows
    )
    got = Counter(
        (
            link.name,
            link.version.public,
            link.version.local or "",
            link.filename,
            link.sha256 or "",
            (link.metadata_hashes or {}).get("sha256", ""),
            link.url,
        )
        for link in page.links
    )
    assert got == expected
    assert page.name == "torch"
    assert page.index == CPU
    assert all(link.kind is DistKind.WHEEL and link.index == CPU for link in page.links)
    # The index gives no Requires-Python and no sizes.
    assert all(link.requires_python is None and link.size is None for link in page.links)


def test_real_torch_page_before_pep658() -> None:
    page = parse_html_page(torch_page("2024-10-08"), url=f"{CPU}/torch/", index=CPU, project=TORCH)
    assert len(page.links) > 500
    assert all(link.metadata_hashes is None for link in page.links)
    assert all(link.sha256 and len(link.sha256) == 64 for link in page.links)
    assert any(link.version.local == "cpu" for link in page.links)


def test_root_relative_hrefs_and_percent_encoded_plus() -> None:
    content = (FIXTURES / "anchors-root-relative-torch-2.4.1.html").read_bytes()
    page = parse_html_page(content, url=f"{CPU}/torch/", index=CPU, project=TORCH)
    assert len(page.links) == 20
    first = page.links[0]
    assert first.url == (
        "https://download.pytorch.org/whl/cpu/torch-2.4.1%2Bcpu-cp310-cp310-linux_x86_64.whl"
    )
    assert first.filename == "torch-2.4.1+cpu-cp310-cp310-linux_x86_64.whl"
    assert first.version == Version("2.4.1+cpu")
    assert first.sha256 == "833490a28ac156762ed6adaa7c695879564fa2fd0dc51bcf3fdb2c7b47dc55e6"
    assert all("#" not in link.url for link in page.links)
    assert all(link.url.startswith("https://download.pytorch.org/whl/cpu/") for link in page.links)


def test_metadata_attributes_and_missing_hash() -> None:
    content = (FIXTURES / "anchors-cu128-2.7.0-metadata-and-missing-hash.html").read_bytes()
    page = parse_html_page(
        content, url="https://download.pytorch.org/whl/torch/", index=CPU, project=TORCH
    )
    aarch64, x86_64, windows = page.links
    assert aarch64.hashes == {}
    assert aarch64.sha256 is None
    assert aarch64.url == (
        "https://download.pytorch.org/whl/cu128/torch-2.7.0%2Bcu128-cp310-cp310-manylinux_2_28_aarch64.whl"
    )
    assert aarch64.metadata_hashes == {
        "sha256": "86107f52ff49e63a75c9d345374cac30140e053a12ffa728d676fee836e69022"
    }
    assert x86_64.sha256 == "ac1849553ee673dfafb44c610c60cb60a2890f0e117f43599a526cf777eb8b8c"
    assert x86_64.metadata_hashes == aarch64.metadata_hashes
    assert windows.metadata_hashes == {
        "sha256": "d51356a768c4e35d5219c34e4d984071fcc0d2ab58673cbc969b75989d312fab"
    }


def test_real_mirrored_project_with_mixed_case_files() -> None:
    content = (FIXTURES / "pages-2026-03-15" / "jinja2.html").read_bytes()
    page = parse_html_page(
        content, url=f"{CPU}/jinja2/", index=CPU, project=NormalizedName("jinja2")
    )
    assert [str(link.version) for link in page.links] == ["3.1.2", "3.1.3", "3.1.4", "3.1.6"]
    assert page.links[0].filename == "Jinja2-3.1.2-py3-none-any.whl"
    assert page.links[-1].sha256 is None
    assert page.links[-1].metadata_hashes is not None
    assert page.links[0].metadata_hashes is None


def test_real_pypi_copy_skips_installers_and_keeps_sdists() -> None:
    # The recorded head of the page ends inside an anchor's text: read as it is, it is
    # refused (never a partial listing); completed after its last anchor, it is read.
    content = (FIXTURES / "pages-2026-03-15" / "numpy.head.html").read_bytes()
    with pytest.raises(IndexAccessError, match=f"{CPU}/numpy/: it opens <body> and <html>"):
        parse(content, project="numpy", url=f"{CPU}/numpy/")
    content = content[: content.rindex(b"</a>") + 4] + b"\n</body>\n</html>\n"
    links = parse(content, project="numpy", url=f"{CPU}/numpy/")
    filenames = [link.filename for link in links]
    assert not any(name.endswith(".exe") for name in filenames)
    assert "numpy-1.3.0.tar.gz" in filenames
    sdist = next(link for link in links if link.filename == "numpy-1.3.0.tar.gz")
    assert sdist.kind is DistKind.SDIST
    assert sdist.url.startswith("https://files.pythonhosted.org/packages/")
    assert any(link.kind is DistKind.WHEEL for link in links)


def test_real_project_list() -> None:
    names = parse_project_list_html((FIXTURES / "pages-2026-03-15" / "_root.html").read_bytes())
    assert names[:3] == ["certifi", "charset-normalizer", "cmake"]
    assert {"torch", "torchvision", "jinja2", "numpy"} <= set(names)


# ------------------------------------------------------------------ hand-written HTML


def test_relative_hrefs_resolve_against_page_url() -> None:
    links = parse(
        html(
            '<a href="foo-1.0.tar.gz#sha256=AA11">foo-1.0.tar.gz</a>'
            '<a href="../../files/foo-1.1-py3-none-any.whl">x</a>'
            '<a href="/packages/foo-1.2.zip">x</a>'
        )
    )
    assert [link.url for link in links] == [
        "https://example.test/simple/foo/foo-1.0.tar.gz",
        "https://example.test/files/foo-1.1-py3-none-any.whl",
        "https://example.test/packages/foo-1.2.zip",
    ]
    assert links[0].hashes == {"sha256": "aa11"}


def test_base_href_is_honoured() -> None:
    links = parse(
        html(
            '<a href="foo-1.0.tar.gz">foo-1.0.tar.gz</a>',
            head='<base href="https://mirror.test/files/">',
        )
    )
    assert links[0].url == "https://mirror.test/files/foo-1.0.tar.gz"
    relative_base = parse(
        html('<a href="foo-1.0.tar.gz">x</a>', head='<base href="/other/">'),
    )
    assert relative_base[0].url == "https://example.test/other/foo-1.0.tar.gz"


def test_other_hash_names_and_non_hash_fragments() -> None:
    links = parse(
        html(
            '<a href="foo-1.0.tar.gz#sha512=ABCDEF">x</a>'
            '<a href="foo-1.1.tar.gz#egg=foo">x</a>'
            '<a href="foo-1.2.tar.gz#sha256=nothex">x</a>'
        )
    )
    assert [dict(link.hashes) for link in links] == [{"sha512": "abcdef"}, {}, {}]
    assert all("#" not in link.url for link in links)


def test_requires_python_is_unescaped_and_invalid_is_dropped() -> None:
    links = parse(
        html(
            '<a href="foo-1.0.tar.gz" data-requires-python="&gt;=3.8,&lt;4">x</a>'
            '<a href="foo-1.1.tar.gz" data-requires-python="&gt;=3.8.*">x</a>'
            '<a href="foo-1.2.tar.gz" data-requires-python="">x</a>'
            '<a href="foo-1.3.tar.gz">x</a>'
        )
    )
    assert links[0].requires_python == SpecifierSet(">=3.8,<4")
    assert [link.requires_python for link in links[1:]] == [None, None, None]


def test_yanked() -> None:
    links = parse(
        html(
            '<a href="foo-1.0.tar.gz" data-yanked>x</a>'
            '<a href="foo-1.1.tar.gz" data-yanked="">x</a>'
            '<a href="foo-1.2.tar.gz" data-yanked="broken &amp; insecure">x</a>'
            '<a href="foo-1.3.tar.gz">x</a>'
        )
    )
    assert [link.yanked for link in links] == ["", "", "broken & insecure", None]
    assert [link.is_yanked for link in links] == [True, True, True, False]


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ('data-core-metadata="true"', {}),
        ('data-dist-info-metadata="true"', {}),
        ('data-core-metadata="sha256=ABC123"', {"sha256": "abc123"}),
        ('data-dist-info-metadata="sha256=abc"', {"sha256": "abc"}),
        (
            'data-core-metadata="sha256=feed" data-dist-info-metadata="sha256=01d"',
            {"sha256": "feed"},
        ),
        ('data-dist-info-metadata="sha256=01d" data-core-metadata="true"', {}),
        ('data-core-metadata="false" data-dist-info-metadata="true"', None),
        ('data-core-metadata="false"', None),
        ("", None),
    ],
)
def test_metadata_attribute_spellings(attributes: str, expected: dict[str, str] | None) -> None:
    (link,) = parse(html(f'<a href="foo-1.0-py3-none-any.whl" {attributes}>x</a>'))
    if expected is None:
        assert link.metadata_hashes is None
    else:
        assert link.metadata_hashes == expected


def test_project_filter_and_flat_pages() -> None:
    content = html(
        '<a href="foo-1.0.tar.gz">x</a>'
        '<a href="bar-2.0-py3-none-any.whl">x</a>'
        '<a href="Foo_Bar-3.0.zip">x</a>'
        '<a href="setup.exe">x</a>'
        '<a href="sub/">sub</a>'
        "<a>no href</a>"
    )
    assert [link.filename for link in parse(content, project="foo")] == ["foo-1.0.tar.gz"]
    assert [link.name for link in parse(content, project="FOO.bar")] == ["foo-bar"]
    flat = parse_html_page(
        content, url="https://example.test/links.html", index="flat", project=None
    )
    assert flat.name == ""
    assert [link.name for link in flat.links] == ["foo", "bar", "foo-bar"]


def test_hrefs_that_are_not_urls_are_skipped() -> None:
    content = html(
        '<base href="http://[broken/"><a href="http://[x/foo-1.0.tar.gz">x</a>'
        '<a href="foo-1.1.tar.gz">x</a>'
    )
    assert [link.url for link in parse(content)] == [
        "https://example.test/simple/foo/foo-1.1.tar.gz"
    ]
    entry = {"filename": "foo-1.0.tar.gz", "url": "http://[x/foo-1.0.tar.gz", "hashes": {}}
    assert parse_json(json_page([entry])) == ()


def test_web_page_cannot_point_to_local_files() -> None:
    content = html('<a href="file:///etc/foo-1.0.tar.gz">x</a><a href="foo-1.1.tar.gz">x</a>')
    assert [str(link.version) for link in parse(content)] == ["1.1"]
    local = parse(content, url="file:///srv/simple/foo/")
    assert [link.url for link in local] == [
        "file:///etc/foo-1.0.tar.gz",
        "file:///srv/simple/foo/foo-1.1.tar.gz",
    ]


def test_invalid_utf8_is_an_index_error_naming_the_url() -> None:
    with pytest.raises(IndexAccessError, match=r"https://example\.test/simple/foo/") as caught:
        parse(b'<a href="foo-1.0.tar.gz">\xff\xfe</a>')
    assert "UTF-8" in str(caught.value)
    assert caught.value.url == "https://example.test/simple/foo/"


def test_utf8_bom_is_accepted() -> None:
    assert len(parse(b"\xef\xbb\xbf" + html('<a href="foo-1.0.tar.gz">x</a>'))) == 1


def test_unsupported_api_version() -> None:
    major_two = html(
        '<a href="foo-1.0.tar.gz">x</a>',
        head='<meta name="pypi:repository-version" content="2.0">',
    )
    with pytest.raises(IndexAccessError, match=r"unsupported repository API version 2\.0"):
        parse(major_two)
    minor = html(
        '<a href="foo-1.0.tar.gz">x</a>',
        head='<meta name="pypi:repository-version" content="1.4">',
    )
    assert len(parse(minor)) == 1


def test_broken_markup_is_an_index_error() -> None:
    with pytest.raises(IndexAccessError, match="broken HTML page from"):
        parse(b"<![ \x00")


@given(st.binary(max_size=300))
def test_html_parser_only_raises_index_errors_on_bytes(content: bytes) -> None:
    try:
        links = parse(content)
    except IndexAccessError as exc:
        assert "https://example.test/simple/foo/" in str(exc)
    else:
        assert all(link.name == "foo" for link in links)


_html_pieces = st.sampled_from(
    [
        "<a ",
        'href="',
        "foo-1.0.tar.gz",
        "foo-1.0-py3-none-any.whl",
        "#sha256=",
        '"',
        ">",
        "</a>",
        "<base ",
        "<meta ",
        'name="pypi:repository-version" content="',
        "data-yanked",
        "data-core-metadata=",
        "data-requires-python=",
        "&gt;",
        "<!",
        "<![",
        "%2B",
        "http://[",
        "//",
        "/",
        "?",
        "#",
        "=",
    ]
)


@given(st.lists(st.one_of(_html_pieces, st.text(max_size=8)), max_size=40))
def test_html_parser_only_raises_index_errors_on_markup(pieces: list[str]) -> None:
    try:
        links = parse("".join(pieces).encode("utf-8", "surrogatepass"), project=None)
    except IndexAccessError:
        return
    assert all(isinstance(link.version, Version) for link in links)


# ------------------------------------------------------------------ JSON


def json_page(files: list[Any], **extra: Any) -> bytes:
    document = {"meta": {"api-version": "1.1"}, "name": "foo", "files": files, **extra}
    return json.dumps(document).encode()


def parse_json(content: bytes) -> tuple[Link, ...]:
    return parse_json_page(
        content,
        url="https://example.test/simple/foo/",
        index="https://example.test/simple",
        project=NormalizedName("foo"),
    ).links


def test_json_page_with_every_field() -> None:
    (link,) = parse_json(
        json_page(
            [
                {
                    "filename": "foo-1.0-py3-none-any.whl",
                    "url": "../../files/foo-1.0-py3-none-any.whl",
                    "hashes": {"sha256": "ABCD", "md5": "ef01"},
                    "requires-python": ">=3.8",
                    "yanked": "bad release",
                    "core-metadata": {"sha256": "1234"},
                    "dist-info-metadata": {"sha256": "ignored"},
                    "gpg-sig": False,
                    "size": 1234,
                    "upload-time": "2024-01-02T03:04:05.678901Z",
                }
            ],
            versions=["1.0"],
        )
    )
    assert link.url == "https://example.test/files/foo-1.0-py3-none-any.whl"
    assert link.filename == "foo-1.0-py3-none-any.whl"
    assert (link.name, link.version, link.kind) == ("foo", Version("1.0"), DistKind.WHEEL)
    assert link.hashes == {"sha256": "abcd", "md5": "ef01"}
    assert link.requires_python == SpecifierSet(">=3.8")
    assert link.yanked == "bad release"
    assert link.metadata_hashes == {"sha256": "1234"}
    assert link.size == 1234
    assert link.upload_time == "2024-01-02T03:04:05.678901Z"


@pytest.mark.parametrize(
    ("yanked", "expected"), [(True, ""), (False, None), ("why", "why"), ("", None), (None, None)]
)
def test_json_yanked(yanked: object, expected: str | None) -> None:
    entry = {"filename": "foo-1.0.tar.gz", "url": "foo-1.0.tar.gz", "hashes": {}}
    if yanked is not None:
        entry["yanked"] = yanked
    (link,) = parse_json(json_page([entry]))
    assert link.yanked == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"core-metadata": True}, {}),
        ({"dist-info-metadata": True}, {}),
        ({"dist-info-metadata": {"sha256": "aa"}}, {"sha256": "aa"}),
        ({"core-metadata": False, "dist-info-metadata": True}, None),
        ({}, None),
    ],
)
def test_json_metadata(fields: dict[str, Any], expected: dict[str, str] | None) -> None:
    entry = {"filename": "foo-1.0.tar.gz", "url": "foo-1.0.tar.gz", "hashes": {}, **fields}
    (link,) = parse_json(json_page([entry]))
    hashes = link.metadata_hashes
    assert (dict(hashes) if hashes is not None else None) == expected


def test_json_filters_files_and_keeps_order() -> None:
    files = [
        {"filename": "foo-1.0.tar.gz", "url": "https://cdn.test/foo-1.0.tar.gz", "hashes": {}},
        {"filename": "bar-1.0.tar.gz", "url": "bar-1.0.tar.gz", "hashes": {}},
        {"filename": "foo-1.0.win32.exe", "url": "foo.exe", "hashes": {}},
        {"filename": "foo-2.0%2Bcpu-py3-none-any.whl", "url": "foo-2.0%2Bcpu-py3-none-any.whl"},
        {"filename": "foo-3.0.tar.gz", "url": "file:///etc/foo-3.0.tar.gz", "hashes": {}},
        {"filename": "foo-4.0.tar.gz", "url": "foo-4.0.tar.gz#sha256=ff", "hashes": {}},
    ]
    links = parse_json(json_page(files))
    assert [link.filename for link in links] == [
        "foo-1.0.tar.gz",
        "foo-2.0+cpu-py3-none-any.whl",
        "foo-4.0.tar.gz",
    ]
    assert links[0].url == "https://cdn.test/foo-1.0.tar.gz"
    assert links[1].url == "https://example.test/simple/foo/foo-2.0%2Bcpu-py3-none-any.whl"
    assert links[2].url == "https://example.test/simple/foo/foo-4.0.tar.gz"
    assert links[2].hashes == {"sha256": "ff"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"files": [', "invalid JSON from https://example.test/simple/foo/"),
        (b"\xff\xfe{}", "invalid UTF-8"),
        (b"[]", "expected an object"),
        (b'{"files": {}}', "'files' is not a list"),
        (b"{}", "'files' is not a list"),
        (b'{"files": [1]}', r"files\[0\] is not an object"),
        (b'{"files": [{"url": "x"}]}', "'filename' is missing"),
        (b'{"files": [{"filename": "foo-1.0.tar.gz"}]}', r"files\[0\] \(foo-1.0.tar.gz\): 'url'"),
        (b'{"files": [{"filename": "foo-1.0.tar.gz", "url": "u", "hashes": []}]}', "'hashes'"),
        (
            b'{"files": [{"filename": "foo-1.0.tar.gz", "url": "u", "hashes": {"a": 1}}]}',
            "hashes.a",
        ),
        (b'{"files": [{"filename": "foo-1.0.tar.gz", "url": "u", "size": "1"}]}', "'size'"),
        (b'{"files": [{"filename": "foo-1.0.tar.gz", "url": "u", "size": true}]}', "'size'"),
        (b'{"files": [{"filename": "foo-1.0.tar.gz", "url": "u", "yanked": 1}]}', "'yanked'"),
        (
            b'{"files": [{"filename": "foo-1.0.tar.gz", "url": "u", "requires-python": 3}]}',
            "requires",
        ),
        (b'{"files": [{"filename": "foo-1.0.tar.gz", "url": "u", "upload-time": 3}]}', "upload"),
        (b'{"files": [{"filename": "foo-1.0.tar.gz", "url": "u", "core-metadata": "x"}]}', "core"),
        (b'{"meta": [], "files": []}', "'meta' is not an object"),
        (b'{"meta": {"api-version": 1}, "files": []}', "api-version"),
        (b'{"meta": {"api-version": "2.0"}, "files": []}', "unsupported repository API version"),
        (b"[" * 100_000, "invalid JSON"),
        (b'{"meta": {"api-version": "\\u00b2.0"}, "files": []}', "invalid repository API version"),
    ],
)
def test_json_malformed(content: bytes, message: str) -> None:
    with pytest.raises(IndexAccessError, match=message) as caught:
        parse_json(content)
    assert "https://example.test/simple/foo/" in str(caught.value)


def test_json_invalid_requires_python_is_dropped() -> None:
    entry = {"filename": "foo-1.0.tar.gz", "url": "u", "requires-python": ">=3.x"}
    (link,) = parse_json(json_page([entry]))
    assert link.requires_python is None


def test_project_list_json() -> None:
    content = b'{"meta": {"api-version": "1.0"}, "projects": [{"name": "Frob"}, {"name": "spam"}]}'
    assert parse_project_list_json(content) == ["Frob", "spam"]
    with pytest.raises(IndexAccessError, match="'projects' is not a list"):
        parse_project_list_json(b"{}")
    with pytest.raises(IndexAccessError, match=r"projects\[0\]"):
        parse_project_list_json(b'{"projects": [{"nom": "x"}]}', url="https://example.test/")


def test_project_list_html_uses_text_or_href() -> None:
    content = html('<a href="/simple/frob/">Frob</a><a href="/simple/spam/"></a><a>x</a>')
    assert parse_project_list_html(content) == ["Frob", "spam", "x"]


@given(st.binary(max_size=300))
def test_json_parser_only_raises_index_errors_on_bytes(content: bytes) -> None:
    try:
        links = parse_json(content)
    except IndexAccessError as exc:
        assert "https://example.test/simple/foo/" in str(exc)
    else:
        assert all(link.name == "foo" for link in links)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)
_file_entries = st.fixed_dictionaries(
    {
        "filename": st.sampled_from(["foo-1.0.tar.gz", "foo-1.0-py3-none-any.whl", "x"])
        | _json_values,
        "url": st.text(max_size=20) | _json_values,
    },
    optional={
        key: _json_values | st.text(max_size=10)
        for key in (
            "hashes",
            "requires-python",
            "yanked",
            "core-metadata",
            "dist-info-metadata",
            "size",
            "upload-time",
        )
    },
)


@given(st.lists(_file_entries | _json_values, max_size=4), _json_values)
def test_json_parser_only_raises_index_errors_on_shapes(files: list[Any], meta: Any) -> None:
    try:
        links = parse_json(json.dumps({"meta": meta, "files": files}).encode())
    except IndexAccessError:
        return
    assert all(link.name == "foo" for link in links)
