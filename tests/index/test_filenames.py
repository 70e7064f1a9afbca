"""Distribution file names: wheels, sdists, and everything else an index lists."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.tags import Tag
from packaging.version import Version

from depslim.index.filenames import parse_filename
from depslim.models import DistKind
from support.wheels import sdist_filename, wheel_filename

FIXTURES = Path(__file__).parents[2] / "fixtures" / "pytorch-cpu"


def test_wheel_name_version_tags() -> None:
    parsed = parse_filename("requests-2.32.3-py3-none-any.whl")
    assert parsed == (
        "requests",
        Version("2.32.3"),
        DistKind.WHEEL,
        {Tag("py3", "none", "any")},
        (),
    )


def test_wheel_compressed_tag_set_expands() -> None:
    parsed = parse_filename(
        "torch-2.4.1-cp310-cp310-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"
    )
    assert parsed is not None
    assert parsed[3] == {
        Tag("cp310", "cp310", "manylinux_2_17_aarch64"),
        Tag("cp310", "cp310", "manylinux2014_aarch64"),
    }


def test_wheel_percent_encoded_local_version() -> None:
    parsed = parse_filename("torch-2.5.1%2Bcpu-cp311-cp311-linux_x86_64.whl")
    assert parsed is not None
    name, version, kind, tags, build = parsed
    assert (name, version, kind, build) == ("torch", Version("2.5.1+cpu"), DistKind.WHEEL, ())
    assert version.local == "cpu"
    assert tags == {Tag("cp311", "cp311", "linux_x86_64")}


def test_wheel_build_tag() -> None:
    parsed = parse_filename("torch-2.10.0-1-cp310-none-macosx_11_0_arm64.whl")
    assert parsed is not None
    assert parsed[1] == Version("2.10.0")
    assert parsed[4] == (1, "")
    assert parsed[3] == {Tag("cp310", "none", "macosx_11_0_arm64")}


def test_wheel_non_normalized_project_name() -> None:
    parsed = parse_filename("Jinja2-3.1.2-py3-none-any.whl")
    assert parsed is not None
    assert parsed[0] == "jinja2"


@pytest.mark.parametrize(
    ("filename", "name", "version"),
    [
        ("numpy-1.3.0.tar.gz", "numpy", "1.3.0"),
        ("Django-5.0.zip", "django", "5.0"),
        ("zope.interface-6.0.tar.gz", "zope-interface", "6.0"),
        ("old_pkg-0.1.tar.bz2", "old-pkg", "0.1"),
        ("old-pkg-0.2.tgz", "old-pkg", "0.2"),
        ("old-pkg-0.3.tar.xz", "old-pkg", "0.3"),
        ("torch-2.5.1%2Bcpu.tar.gz", "torch", "2.5.1+cpu"),
        # The version may contain a dash: 1.0-1 is 1.0.post1.
        ("foo-bar-1.0-1.tar.gz", "foo-bar", "1.0.post1"),
    ],
)
def test_sdists(filename: str, name: str, version: str) -> None:
    parsed = parse_filename(filename)
    assert parsed == (name, Version(version), DistKind.SDIST, frozenset(), ())


def test_sdist_split_by_project_hint() -> None:
    # Without a hint "foo-2-1.0" has two readings; the project name decides.
    assert parse_filename("foo-2-1.0.tar.gz", project="foo-2") == (
        "foo-2",
        Version("1.0"),
        DistKind.SDIST,
        frozenset(),
        (),
    )
    parsed = parse_filename("foo-1.0-1.tar.gz", project="foo")
    assert parsed is not None
    assert parsed[:2] == ("foo", Version("1.0.post1"))


def test_project_hint_does_not_filter() -> None:
    parsed = parse_filename("other-1.0.tar.gz", project="wanted")
    assert parsed is not None
    assert parsed[0] == "other"


@pytest.mark.parametrize(
    "filename",
    [
        "numpy-1.0.1.dev3460.win32-py2.4.exe",
        "foo-1.0-py2.7.egg",
        "foo-1.0.msi",
        "foo-1.0.tar.gz.asc",
        "foo-1.0.tar.gz.metadata",
        "foo-not.a.version-py3-none-any.whl",
        "foo-1.0-py3-any.whl",
        "foo-1.0-x-py3-none-any.whl",
        "foo.tar.gz",
        "-1.0.tar.gz",
        "foo-.tar.gz",
        ".whl",
        "",
        "dir/foo-1.0.tar.gz",
        "foo-1.0-py3-none-any.whl%00",
    ],
)
def test_not_distributions(filename: str) -> None:
    assert parse_filename(filename) is None


def test_every_real_torch_wheel_name() -> None:
    """The index's 996 torch file names parse to the values recorded beside them."""
    text = gzip.decompress((FIXTURES / "wheels-torch-2026-03-15.tsv.gz").read_bytes()).decode()
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
    assert len(rows) == 996
    for row in rows:
        parsed = parse_filename(row["filename"])
        assert parsed is not None, row["filename"]
        name, version, kind, tags, build = parsed
        assert name == row["project"]
        assert version.public == row["version"]
        assert (version.local or "") == row["local"]
        assert kind is DistKind.WHEEL
        assert (str(build[0]) + build[1] if build else "") == row["build"]
        assert Tag(row["python"], row["abi"], row["platform"].split(".")[0]) in tags


_names = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,10}[A-Za-z0-9])?", fullmatch=True)
_versions = st.builds(
    lambda release, local: ".".join(map(str, release)) + (f"+{local}" if local else ""),
    st.lists(st.integers(0, 999), min_size=1, max_size=4),
    st.one_of(st.none(), st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True)),
)


@given(_names, _versions)
def test_builder_names_round_trip(name: str, version: str) -> None:
    from packaging.utils import canonicalize_name

    wheel = parse_filename(wheel_filename(name, version))
    sdist = parse_filename(sdist_filename(name, version), project=name)
    assert wheel is not None
    assert sdist is not None
    assert wheel[:2] == sdist[:2] == (canonicalize_name(name), Version(version))


@given(st.text(max_size=80), st.one_of(st.none(), st.text(max_size=20)))
def test_never_raises(filename: str, project: str | None) -> None:
    result = parse_filename(filename, project=project)
    assert result is None or isinstance(result[1], Version)


@given(st.text(max_size=40), st.sampled_from([".whl", ".tar.gz", ".zip", "-py3-none-any.whl"]))
def test_never_raises_with_dist_suffixes(stem: str, suffix: str) -> None:
    result = parse_filename(stem + suffix)
    assert result is None or result[2] in (DistKind.WHEEL, DistKind.SDIST)
