"""Core metadata: METADATA text, wheels read through range reads, sdists' PKG-INFO."""

from __future__ import annotations

import io
import json
import random
import tarfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from depslim.errors import IndexAccessError
from depslim.index.metadata import (
    BytesRangeReader,
    ZipEntry,
    build_required_message,
    installed_size,
    is_static,
    parse_core_metadata,
    parse_core_metadata_with_problems,
    parse_top_level_txt,
    read_top_level_txt,
    read_zip_directory,
    read_zip_member,
    sdist_metadata,
    top_level_modules,
    wheel_metadata,
    wheel_metadata_entry,
)
from depslim.models import CoreMetadata
from support.wheels import build_sdist, build_wheel, wheel_metadata_bytes

FIXTURES = Path(__file__).parents[2] / "fixtures" / "pytorch-cpu"
TORCH_METADATA = FIXTURES / "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl.metadata"


def noise(size: int, seed: int = 0) -> bytes:
    """Incompressible bytes, so a member's compressed size is its real size."""
    return random.Random(seed).randbytes(size)


def zip_bytes(members: dict[str, tuple[bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, (data, method) in members.items():
            archive.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data, method)
    return buffer.getvalue()


# ------------------------------------------------------------------ METADATA text


def test_real_torch_metadata() -> None:
    meta, problems = parse_core_metadata_with_problems(
        TORCH_METADATA.read_bytes(), source="torch.metadata"
    )
    assert problems == []
    assert meta.name == "torch"
    assert meta.version == Version("2.13.0+cpu")
    assert meta.metadata_version == "2.4"
    assert meta.requires_python == SpecifierSet(">=3.10")
    assert Requirement("typing-extensions>=4.10.0") in meta.requires_dist
    assert len(meta.requires_dist) == 10
    assert meta.provides_extra == ("optree", "opt-einsum", "pyyaml")
    optree = next(r for r in meta.requires_dist if r.name == "optree")
    assert optree.marker is not None
    assert optree.marker.evaluate({"extra": "optree"})


def test_metadata_from_a_built_wheel(tmp_path: Path) -> None:
    wheel = build_wheel(
        tmp_path,
        "Foo.Bar",
        "1.0",
        requires=["six>=1.16", 'tomli; python_version < "3.11"'],
        requires_python=">=3.9",
        extras={"Fast_IO": ["orjson"]},
    )
    meta = parse_core_metadata(wheel_metadata_bytes(wheel), source=wheel.name)
    assert meta == CoreMetadata(
        name=NormalizedName("foo-bar"),
        version=Version("1.0"),
        metadata_version="2.1",
        requires_dist=(
            Requirement("six>=1.16"),
            Requirement('tomli; python_version < "3.11"'),
            Requirement('orjson; extra == "fast-io"'),
        ),
        requires_python=SpecifierSet(">=3.9"),
        provides_extra=(NormalizedName("fast-io"),),
    )


def test_continuation_lines_are_unfolded() -> None:
    data = (
        b"Metadata-Version: 2.1\n"
        b"Name: folded\n"
        b"Version: 1.0\n"
        b"Requires-Dist: requests\n"
        b"    >=2.0 ;\n"
        b'\tpython_version >= "3.8"\n'
        b"Requires-Python: >=3.8,\r\n <4\r\n"
        b"\n"
        b"Requires-Dist: in-the-description\n"
    )
    meta = parse_core_metadata(data, source="folded")
    assert meta.requires_dist == (Requirement('requests>=2.0; python_version >= "3.8"'),)
    assert meta.requires_python == SpecifierSet(">=3.8,<4")


def test_invalid_lines_are_skipped_and_reported() -> None:
    data = (
        b"Metadata-Version: 2.1\nName: messy\nVersion: 1.0\n"
        b"Requires-Dist: good>=1\n"
        b"Requires-Dist: bad >= = 1\n"
        b"Requires-Dist: also good\n"
        b"Requires-Python: >=3.x\n"
        b"Provides-Extra: Dev_Tools\nProvides-Extra: dev-tools\n"
        b"Dynamic: Requires-Dist\n"
        b"Summary: caf\xc3\xa9 \xff\n"
    )
    meta, problems = parse_core_metadata_with_problems(data, source="messy-1.0.tar.gz")
    assert [str(r) for r in meta.requires_dist] == ["good>=1"]
    assert meta.requires_python is None
    assert meta.provides_extra == ("dev-tools",)
    assert meta.dynamic == ("Requires-Dist",)
    assert len(problems) == 3
    assert all(problem.startswith("messy-1.0.tar.gz: ") for problem in problems)
    assert "bad >= = 1" in problems[0]
    assert "also good" in problems[1]
    assert ">=3.x" in problems[2]
    assert parse_core_metadata(data, source="x") == meta


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Version: 1.0\n", "x.whl: the metadata has no Name field"),
        (b"Name: foo\n", "x.whl: the metadata has no Version field"),
        (b"Name: foo\nVersion: one\n", "x.whl: invalid Version 'one'"),
        (b"", "no Name"),
        (b"\x00\xff garbage", "no Name"),
    ],
)
def test_fatal_metadata_errors(data: bytes, message: str) -> None:
    with pytest.raises(IndexAccessError, match=message):
        parse_core_metadata(data, source="x.whl")


@given(st.binary(max_size=400))
def test_metadata_parser_only_raises_index_errors(data: bytes) -> None:
    try:
        meta = parse_core_metadata(data, source="fuzz")
    except IndexAccessError as exc:
        assert str(exc).startswith("fuzz: ")
    else:
        assert isinstance(meta.version, Version)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Name", "Version", "Requires-Dist", "Requires-Python", "Dynamic"]),
            st.text(max_size=30),
        ),
        max_size=8,
    )
)
def test_metadata_parser_only_raises_index_errors_on_headers(fields: list[tuple[str, str]]) -> None:
    text = "".join(f"{key}: {value}\n" for key, value in fields)
    try:
        meta = parse_core_metadata(text.encode("utf-8", "surrogatepass"), source="fuzz")
    except IndexAccessError:
        return
    assert meta.name is not None


# ------------------------------------------------------------------ static sdists


def meta_with(metadata_version: str, *dynamic: str) -> CoreMetadata:
    return CoreMetadata(
        name=NormalizedName("x"),
        version=Version("1"),
        metadata_version=metadata_version,
        dynamic=dynamic,
    )


@pytest.mark.parametrize(
    ("meta", "static"),
    [
        (meta_with("2.2"), True),
        (meta_with("2.4", "Description", "License"), True),
        (meta_with("2.2", "Requires-Dist"), False),
        (meta_with("2.3", "requires-python"), False),
        (meta_with("2.1"), False),
        (meta_with("1.0"), False),
        (meta_with("not-a-version"), False),
    ],
)
def test_is_static(meta: CoreMetadata, static: bool) -> None:
    assert is_static(meta) is static


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_static_sdist(tmp_path: Path, fmt: str) -> None:
    sdist = build_sdist(
        tmp_path, "Spam-Eggs", "2.0", requires=["ham>1"], requires_python=">=3.10", fmt=fmt
    )
    meta = sdist_metadata(sdist.read_bytes(), sdist.name)
    assert (meta.name, meta.version) == ("spam-eggs", Version("2.0"))
    assert meta.requires_dist == (Requirement("ham>1"),)
    assert meta.requires_python == SpecifierSet(">=3.10")
    assert is_static(meta)


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_dynamic_sdist(tmp_path: Path, fmt: str) -> None:
    sdist = build_sdist(
        tmp_path, "spam", "2.0", requires=["ham"], dynamic=["Requires-Dist"], fmt=fmt
    )
    meta = sdist_metadata(sdist.read_bytes(), sdist.name)
    assert meta.dynamic == ("Requires-Dist",)
    assert not is_static(meta)


def test_old_sdist_is_not_static(tmp_path: Path) -> None:
    sdist = build_sdist(tmp_path, "legacy", "0.1", requires=["ham"], metadata_version="2.1")
    meta = sdist_metadata(sdist.read_bytes(), sdist.name)
    assert meta.requires_dist == (Requirement("ham"),)
    assert not is_static(meta)


def tar_gz(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return buffer.getvalue()


def pkg_info(name: str, requires: str = "") -> bytes:
    line = f"Requires-Dist: {requires}\n" if requires else ""
    return f"Metadata-Version: 2.2\nName: {name}\nVersion: 1.0\n{line}\n".encode()


def test_sdist_reads_only_the_top_level_pkg_info() -> None:
    data = tar_gz(
        {
            "pkg-1.0/vendor/other/PKG-INFO": pkg_info("other"),
            "../PKG-INFO": pkg_info("evil"),
            "PKG-INFO": pkg_info("bare"),
            "pkg-1.0/src/pkg.egg-info/PKG-INFO": pkg_info("egg"),
            "pkg-1.0/PKG-INFO": pkg_info("pkg", "dep"),
        },
        links={"link-1.0/PKG-INFO": "/etc/passwd"},
    )
    meta = sdist_metadata(data, "pkg-1.0.tar.gz")
    assert meta.name == "pkg"
    assert meta.requires_dist == (Requirement("dep"),)


def test_sdist_prefers_the_folder_named_like_the_file() -> None:
    data = tar_gz({"aaa-9/PKG-INFO": pkg_info("aaa"), "pkg-1.0/PKG-INFO": pkg_info("pkg")})
    assert sdist_metadata(data, "pkg-1.0.tar.gz").name == "pkg"
    # Any single top folder will do when none matches.
    assert sdist_metadata(tar_gz({"odd/PKG-INFO": pkg_info("pkg")}), "pkg-1.0.tar.gz").name == "pkg"


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"not an archive", "pkg-1.0.tar.gz", "pkg-1.0.tar.gz: not a readable sdist archive"),
        (b"not an archive", "pkg-1.0.zip", "pkg-1.0.zip: not a zip file"),
        (b"", "pkg-1.0.tar.gz", "not a readable sdist"),
        (tar_gz({"pkg-1.0/setup.py": b""}), "pkg-1.0.tar.gz", "no top-level PKG-INFO"),
        (tar_gz({"pkg-1.0/PKG-INFO": b"garbage"}), "pkg-1.0.tar.gz", "no Name"),
        (zip_bytes({"pkg-1.0/setup.py": (b"", 0)}), "pkg-1.0.zip", "no top-level PKG-INFO"),
        (b"", "pkg-1.0.exe", "not an sdist"),
    ],
)
def test_broken_sdists(data: bytes, filename: str, message: str) -> None:
    with pytest.raises(IndexAccessError, match=message):
        sdist_metadata(data, filename)


def test_truncated_sdist(tmp_path: Path) -> None:
    data = build_sdist(tmp_path, "pkg", "1.0").read_bytes()
    with pytest.raises(IndexAccessError, match=r"pkg-1\.0\.tar\.gz"):
        sdist_metadata(data[:40], "pkg-1.0.tar.gz")
    # PKG-INFO comes first in the archive: the rest is not needed.
    assert sdist_metadata(data[: len(data) // 2], "pkg-1.0.tar.gz").name == "pkg"


def test_build_required_message() -> None:
    message = build_required_message("mysqlclient-2.2.4.tar.gz")
    assert "mysqlclient 2.2.4" in message
    assert "mysqlclient-2.2.4.tar.gz" in message
    assert "--allow-build" in message
    assert "build backend" in message
    assert "--allow-build" in build_required_message("weird.tar.gz")


# ------------------------------------------------------------------ zip reading


def test_directory_of_a_built_wheel(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, "foo", "1.0", modules=["foo", "bar.py"])
    entries = read_zip_directory(BytesRangeReader(wheel.read_bytes()))
    with zipfile.ZipFile(wheel) as archive:
        infos = archive.infolist()
    assert [e.name for e in entries] == [i.filename for i in infos]
    assert [e.file_size for e in entries] == [i.file_size for i in infos]
    assert [e.compressed_size for e in entries] == [i.compress_size for i in infos]
    assert [e.header_offset for e in entries] == [i.header_offset for i in infos]
    assert installed_size(entries) == sum(i.file_size for i in infos)


def test_small_wheel_metadata_costs_one_read(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, "foo", "1.0", requires=["bar"])
    reader = BytesRangeReader(wheel.read_bytes())
    data = wheel_metadata(reader, name=NormalizedName("foo"), version=Version("1.0"))
    assert data == wheel_metadata_bytes(wheel)
    assert reader.reads == 1


def test_range_reading_reads_the_tail_and_metadata_only(tmp_path: Path) -> None:
    wheel = build_wheel(
        tmp_path,
        "big",
        "1.0",
        tag="cp311-cp311-manylinux_2_28_x86_64",
        files={"big/_data.bin": noise(400_000), "big/more.bin": noise(300_000, seed=1)},
    )
    data = wheel.read_bytes()
    reader = BytesRangeReader(data)
    metadata = wheel_metadata(reader, name=NormalizedName("big"), version=Version("1.0"))
    assert metadata == wheel_metadata_bytes(wheel)
    with zipfile.ZipFile(wheel) as archive:
        info = archive.getinfo("big-1.0.dist-info/METADATA")
    # The tail, then METADATA's local header (+ a little slack) and its data.
    assert reader.bytes_read <= 65536 + 30 + 64 + len(info.filename) + info.compress_size
    assert reader.reads <= 2
    assert reader.bytes_read < len(data) // 5


def test_central_directory_larger_than_the_tail(tmp_path: Path) -> None:
    files = {f"many/mod_{i:03}.py": f"x = {i}\n".encode() for i in range(200)}
    wheel = build_wheel(tmp_path, "many", "1.0", files=files, modules=["many"])
    data = wheel.read_bytes()
    reader = BytesRangeReader(data)
    entries = read_zip_directory(reader, tail=1024)
    with zipfile.ZipFile(wheel) as archive:
        assert [e.name for e in entries] == archive.namelist()
    assert len(entries) == 205
    assert reader.reads == 2
    assert reader.bytes_read < len(data)
    metadata = wheel_metadata(
        BytesRangeReader(data), name=NormalizedName("many"), version=Version("1.0"), tail=1024
    )
    assert metadata == wheel_metadata_bytes(wheel)


def test_tail_longer_than_the_file(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, "tiny", "1.0")
    reader = BytesRangeReader(wheel.read_bytes())
    assert len(read_zip_directory(reader, tail=10_000_000)) == 5
    assert reader.bytes_read == reader.size


def test_zip64(monkeypatch: pytest.MonkeyPatch) -> None:
    # Real ZIP64 archives need > 4 GiB or > 65535 entries; lowering zipfile's limits
    # makes it write every ZIP64 structure for a small archive instead.
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 64)
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 3)
    buffer = io.BytesIO()
    contents = {f"pkg/m{i}.py": f"value = {i}\n".encode() * 20 for i in range(5)}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
        with archive.open("pkg/forced.bin", "w", force_zip64=True) as handle:
            handle.write(b"forced" * 50)
    contents["pkg/forced.bin"] = b"forced" * 50
    monkeypatch.undo()
    data = buffer.getvalue()
    assert b"PK\x06\x06" in data  # the ZIP64 end of central directory record
    assert b"PK\x06\x07" in data  # and its locator
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert all(info.extra[:2] == b"\x01\x00" for info in archive.infolist()[1:])
    reader = BytesRangeReader(data)
    entries = read_zip_directory(reader)
    assert [e.name for e in entries] == list(contents)
    assert {e.name: read_zip_member(reader, e) for e in entries} == contents
    assert installed_size(entries) == sum(map(len, contents.values()))


def test_zip64_record_before_a_small_tail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", b"a" * 100)
        archive.writestr("b.txt", b"b" * 100)
    monkeypatch.undo()
    reader = BytesRangeReader(buffer.getvalue())
    entries = read_zip_directory(reader, tail=22)
    assert [read_zip_member(reader, e) for e in entries] == [b"a" * 100, b"b" * 100]


def test_stored_deflated_and_bzip2_members() -> None:
    members = {
        "stored.txt": (b"stored " * 100, zipfile.ZIP_STORED),
        "deflated.txt": (b"deflated " * 100, zipfile.ZIP_DEFLATED),
        "bzip2.txt": (b"bzip2 " * 100, zipfile.ZIP_BZIP2),
        "empty.txt": (b"", zipfile.ZIP_DEFLATED),
        "dir/": (b"", zipfile.ZIP_STORED),
    }
    reader = BytesRangeReader(zip_bytes(members))
    entries = read_zip_directory(reader)
    assert [e.method for e in entries] == [0, 8, 12, 8, 0]
    assert entries[0].compressed_size == entries[0].file_size == 700
    assert entries[1].compressed_size < entries[1].file_size
    assert {e.name: read_zip_member(reader, e) for e in entries} == {
        name: data for name, (data, _) in members.items()
    }
    assert installed_size(entries) == 700 + 900 + 600


def test_unsupported_method_and_encryption() -> None:
    data = zip_bytes({"a.txt": (b"hello", zipfile.ZIP_STORED)})
    reader = BytesRangeReader(data)
    (entry,) = read_zip_directory(reader)
    lzma_entry = ZipEntry(
        name=entry.name,
        compressed_size=entry.compressed_size,
        file_size=entry.file_size,
        header_offset=entry.header_offset,
        method=14,
        crc32=entry.crc32,
    )
    with pytest.raises(IndexAccessError, match="compression method 14"):
        read_zip_member(reader, lzma_entry, source="https://files.test/a.whl")
    encrypted = ZipEntry(
        name="a.txt", compressed_size=5, file_size=5, header_offset=0, method=0, flags=1
    )
    with pytest.raises(IndexAccessError, match=r"a\.txt is encrypted"):
        read_zip_member(reader, encrypted)


def test_corrupt_member_fails_its_crc() -> None:
    data = bytearray(zip_bytes({"a.txt": (b"hello world", zipfile.ZIP_STORED)}))
    data[data.index(b"hello world")] = ord("j")
    reader = BytesRangeReader(bytes(data))
    (entry,) = read_zip_directory(reader)
    with pytest.raises(IndexAccessError, match=r"a\.txt fails its size/CRC check"):
        read_zip_member(reader, entry)


def test_lying_sizes_do_not_inflate_past_the_declared_size() -> None:
    data = zip_bytes({"bomb.txt": (b"\x00" * 1_000_000, zipfile.ZIP_DEFLATED)})
    reader = BytesRangeReader(data)
    (entry,) = read_zip_directory(reader)
    liar = ZipEntry(
        name=entry.name,
        compressed_size=entry.compressed_size,
        file_size=10,
        header_offset=entry.header_offset,
        method=entry.method,
        crc32=entry.crc32,
    )
    with pytest.raises(IndexAccessError, match="size/CRC"):
        read_zip_member(reader, liar)


def test_prepended_bytes_shift_offsets(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, "shifted", "1.0")
    reader = BytesRangeReader(b"#!/bin/sh\nexit 0\n" + wheel.read_bytes())
    metadata = wheel_metadata(reader, name=NormalizedName("shifted"), version=Version("1.0"))
    assert metadata == wheel_metadata_bytes(wheel)


def test_archive_comment_longer_than_the_tail() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", b"a")
        archive.comment = b"PK\x05\x06 a comment that looks like a record " * 100
    reader = BytesRangeReader(buffer.getvalue())
    (entry,) = read_zip_directory(reader, tail=100)
    assert read_zip_member(reader, entry) == b"a"


@pytest.mark.parametrize(
    "cut",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="second-half-missing"),
        pytest.param(lambda data: data[:-10], id="end-record-cut"),
        pytest.param(lambda data: data[len(data) // 2 :], id="first-half-missing"),
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: b"hello, not a zip" * 10, id="not-a-zip"),
    ],
)
def test_truncated_or_foreign_data(tmp_path: Path, cut: object) -> None:
    data = build_wheel(tmp_path, "cut", "1.0", files={"cut/x.bin": noise(5000)}).read_bytes()
    assert callable(cut)
    reader = BytesRangeReader(cut(data))
    with pytest.raises(IndexAccessError, match=r"^https://files\.test/cut\.whl: ") as caught:
        wheel_metadata(
            reader,
            name=NormalizedName("cut"),
            version=Version("1.0"),
            source="https://files.test/cut.whl",
        )
    assert "zip" in str(caught.value)


def test_reader_url_names_the_source() -> None:
    class UrlReader(BytesRangeReader):
        url = "https://files.test/x.whl"

    with pytest.raises(IndexAccessError, match=r"https://files\.test/x\.whl: not a zip"):
        read_zip_directory(UrlReader(b"x" * 100))


def test_reader_returning_short_reads_is_truncation(tmp_path: Path) -> None:
    class ShortReader(BytesRangeReader):
        def read(self, start: int, length: int) -> bytes:
            return super().read(start, length)[: max(0, length - 1)]

    data = build_wheel(tmp_path, "short", "1.0").read_bytes()
    with pytest.raises(IndexAccessError, match="truncated zip"):
        read_zip_directory(ShortReader(data))


def test_bytes_range_reader_counts() -> None:
    reader = BytesRangeReader(b"0123456789")
    assert reader.size == 10
    assert reader.read(2, 3) == b"234"
    assert reader.read(8, 5) == b"89"
    assert (reader.reads, reader.bytes_read) == (2, 5)
    with pytest.raises(ValueError, match="invalid range"):
        reader.read(-1, 2)


@given(st.binary(max_size=600), st.integers(min_value=0, max_value=700))
def test_zip_reader_only_raises_index_errors(data: bytes, tail: int) -> None:
    reader = BytesRangeReader(data)
    try:
        entries = read_zip_directory(reader, tail=tail)
        for entry in entries:
            read_zip_member(reader, entry)
    except IndexAccessError:
        return
    assert all(isinstance(entry, ZipEntry) for entry in entries)


@given(st.data())
def test_damaged_real_wheels_only_raise_index_errors(data: st.DataObject) -> None:
    wheel = bytearray(_SMALL_WHEEL)
    for _ in range(data.draw(st.integers(1, 5))):
        position = data.draw(st.integers(0, len(wheel) - 1))
        wheel[position] = data.draw(st.integers(0, 255))
    try:
        wheel_metadata(
            BytesRangeReader(bytes(wheel)), name=NormalizedName("fuzz"), version=Version("1.0")
        )
    except IndexAccessError:
        return


def _small_wheel() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("fuzz/__init__.py", b"x = 1\n" * 10)
        archive.writestr("fuzz-1.0.dist-info/METADATA", b"Name: fuzz\nVersion: 1.0\n\n")
    return buffer.getvalue()


_SMALL_WHEEL = _small_wheel()


# ------------------------------------------------------------------ what a wheel holds


def entries_for(*names: str) -> list[ZipEntry]:
    return [
        ZipEntry(name=name, compressed_size=1, file_size=1, header_offset=0, method=0)
        for name in names
    ]


def test_metadata_entry_choice() -> None:
    single = entries_for("odd_name-9.dist-info/METADATA", "x/__init__.py")
    assert wheel_metadata_entry(single, name=NormalizedName("real"), version=Version("1"))
    several = entries_for(
        "other-1.0.dist-info/METADATA",
        "Real.Name-0.9.dist-info/METADATA",
        "real_name-1.0.dist-info/METADATA",
        "real_name-1.0.dist-info/licenses/METADATA",
    )
    chosen = wheel_metadata_entry(several, name=NormalizedName("real-name"), version=Version("1.0"))
    assert chosen is not None
    assert chosen.name == "real_name-1.0.dist-info/METADATA"
    assert wheel_metadata_entry(several, name=NormalizedName("nobody")) is None
    assert wheel_metadata_entry(entries_for("a/METADATA"), name=NormalizedName("a")) is None


def test_wheel_without_metadata(tmp_path: Path) -> None:
    data = zip_bytes({"pkg/__init__.py": (b"", 0), "pkg-1.0.dist-info/RECORD": (b"", 0)})
    with pytest.raises(IndexAccessError, match=r"no \.dist-info/METADATA for pkg"):
        wheel_metadata(BytesRangeReader(data), name=NormalizedName("pkg"), version=Version("1.0"))


def test_top_level_modules_from_paths(tmp_path: Path) -> None:
    wheel = build_wheel(
        tmp_path,
        "mixed",
        "1.0",
        tag="cp311-cp311-manylinux_2_28_x86_64",
        modules=["pkg", "single.py", "google.protobuf", "google.cloud.storage", "azure.core"],
        files={
            "pkg/sub/x.py": b"",
            "_cffi.cpython-311-x86_64-linux-gnu.so": b"",
            "fast.abi3.so": b"",
            "win.cp311-win_amd64.pyd": b"",
            "plain.so": b"",
            "azure/storage/blob/_ext.cpython-311-x86_64-linux-gnu.so": b"",
            "mixed.libs/libgomp.so.1": b"",
            "mixed-1.0.data/purelib/extra_mod.py": b"",
            "mixed-1.0.data/platlib/native_pkg/__init__.py": b"",
            "mixed-1.0.data/scripts/tool.py": b"",
            "mixed-1.0.data/headers/x.h": b"",
            "README.txt": b"",
            "distutils-precedence.pth": b"",
            "not-a-module/x.py": b"",
            "licenses/LICENSE": b"",
        },
    )
    entries = read_zip_directory(BytesRangeReader(wheel.read_bytes()))
    assert top_level_modules(entries) == {
        "pkg",
        "single",
        "google.protobuf",
        "google.cloud.storage",
        "azure.core",
        "azure.storage.blob._ext",
        "_cffi",
        "fast",
        "win",
        "plain",
        "extra_mod",
        "native_pkg",
    }


def test_real_wheel_layouts() -> None:
    torch_like = entries_for(
        "torch/__init__.py",
        "torch/_C.cpython-311-x86_64-linux-gnu.so",
        "functorch/__init__.py",
        "torchgen/__init__.py",
        "torch-2.13.0+cpu.dist-info/METADATA",
        "torch-2.13.0+cpu.dist-info/entry_points.txt",
    )
    assert top_level_modules(torch_like) == {"torch", "functorch", "torchgen"}
    yaml_like = entries_for(
        "_yaml/__init__.py", "yaml/__init__.py", "yaml/_yaml.cpython-311-x86_64-linux-gnu.so"
    )
    assert top_level_modules(yaml_like) == {"yaml", "_yaml"}
    extension_package = entries_for("zmq/__init__.cpython-311-x86_64-linux-gnu.so", "zmq/x.py")
    assert top_level_modules(extension_package) == {"zmq"}


def test_top_level_txt(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, "tl", "1.0", modules=["tl", "helper.py", "ns.inner"])
    reader = BytesRangeReader(wheel.read_bytes())
    entries = read_zip_directory(reader)
    assert read_top_level_txt(reader, entries) == {"tl", "helper", "ns"}
    bare = build_wheel(tmp_path / "bare", "tl", "1.0", top_level_txt=False)
    bare_reader = BytesRangeReader(bare.read_bytes())
    assert read_top_level_txt(bare_reader, read_zip_directory(bare_reader)) is None
    assert parse_top_level_txt(b"a\r\nb/c\n\n  d  \nnot valid\n") == {"a", "b.c", "d"}


def test_facts_of_the_real_torch_wheel_fit_the_tail_arithmetic() -> None:
    # The recorded torch wheel's directory (1.16 MB) is far beyond one 64 KiB tail:
    # exactly the case the second range read exists for.
    facts = json.loads(
        TORCH_METADATA.with_name(TORCH_METADATA.name[:-9] + ".facts.json").read_text()
    )
    assert facts["central_directory_bytes"] > 65536
    assert facts["installed_size_uncompressed"] > facts["size"]
    meta = parse_core_metadata(TORCH_METADATA.read_bytes(), source=facts["filename"])
    assert f"{meta.name}-{meta.version}" in facts["filename"]


def test_wheel_metadata_round_trip(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path, "plain", "2.0", requires=["dep==1"], metadata_version="2.4")
    data = wheel_metadata(
        BytesRangeReader(wheel.read_bytes()), name=NormalizedName("plain"), version=Version("2.0")
    )
    meta = parse_core_metadata(data, source=wheel.name)
    assert (meta.metadata_version, meta.requires_dist) == ("2.4", (Requirement("dep==1"),))
