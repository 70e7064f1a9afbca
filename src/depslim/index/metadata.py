"""Core metadata from what an index serves: METADATA text, wheels read by range, sdists.

Three jobs, each without running package code:

* parse METADATA / PKG-INFO text leniently into :class:`CoreMetadata`;
* read a wheel's zip through a :class:`RangeReader` (HTTP range requests, or bytes in
  memory): the central directory from the file's tail, then single members — enough
  for ``METADATA``, the installed size and the top-level import names, without
  downloading the wheel;
* read ``PKG-INFO`` from an sdist and tell whether it is static (PEP 643).

I/O only happens through the reader the caller passes; everything else is pure.
"""

from __future__ import annotations

import bz2
import email.parser
import email.policy
import io
import lzma
import re
import struct
import tarfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from depslim.errors import IndexAccessError
from depslim.index.filenames import parse_filename, sdist_extension
from depslim.models import CoreMetadata

__all__ = [
    "BytesRangeReader",
    "MetadataMismatchError",
    "RangeReader",
    "ZipEntry",
    "build_required_message",
    "installed_size",
    "is_static",
    "metadata_differences",
    "parse_core_metadata",
    "parse_core_metadata_with_problems",
    "parse_top_level_txt",
    "read_top_level_txt",
    "read_zip_directory",
    "read_zip_member",
    "sdist_metadata",
    "top_level_modules",
    "wheel_metadata",
    "wheel_metadata_entry",
]

# --------------------------------------------------------------------- core metadata

_FOLD_RE = re.compile(r"\r?\n[ \t]")


def _unfold(value: str) -> str:
    # RFC 822 folding: a line break followed by whitespace continues the header.
    return _FOLD_RE.sub(" ", value).strip()


def parse_core_metadata_with_problems(
    data: bytes, *, source: str
) -> tuple[CoreMetadata, list[str]]:
    """Parse METADATA/PKG-INFO, returning the metadata and what was skipped in it.

    Lenient like installers are: a ``Requires-Dist`` line that does not parse is left
    out (and reported in the problem list), an invalid ``Requires-Python`` becomes
    ``None``. Only a missing name or a missing/invalid version is fatal
    (:class:`IndexAccessError` naming ``source``).
    """
    text = data.decode("utf-8", errors="replace")
    message = email.parser.Parser(policy=email.policy.compat32).parsestr(text, headersonly=True)

    def values(field: str) -> list[str]:
        return [_unfold(str(value)) for value in message.get_all(field) or []]

    def first(field: str) -> str | None:
        found = values(field)
        return found[0] if found else None

    problems: list[str] = []
    raw_name = first("Name")
    if not raw_name:
        raise IndexAccessError(f"{source}: the metadata has no Name field")
    raw_version = first("Version")
    if not raw_version:
        raise IndexAccessError(f"{source}: the metadata has no Version field")
    try:
        version = Version(raw_version)
    except InvalidVersion:
        raise IndexAccessError(
            f"{source}: invalid Version {raw_version!r} in the metadata"
        ) from None

    requires: list[Requirement] = []
    for line in values("Requires-Dist"):
        try:
            requires.append(Requirement(line))
        except InvalidRequirement as exc:
            problems.append(f"{source}: skipped invalid Requires-Dist {line!r}: {exc}")

    requires_python: SpecifierSet | None = None
    raw_python = first("Requires-Python")
    if raw_python:
        try:
            requires_python = SpecifierSet(raw_python)
        except InvalidSpecifier:
            problems.append(f"{source}: ignored invalid Requires-Python {raw_python!r}")

    extras = tuple(dict.fromkeys(canonicalize_name(extra) for extra in values("Provides-Extra")))
    meta = CoreMetadata(
        name=canonicalize_name(raw_name),
        version=version,
        metadata_version=first("Metadata-Version") or "1.0",
        requires_dist=tuple(requires),
        requires_python=requires_python,
        provides_extra=tuple(extra for extra in extras if extra),
        dynamic=tuple(value for value in values("Dynamic") if value),
    )
    return meta, problems


def parse_core_metadata(data: bytes, *, source: str) -> CoreMetadata:
    """Parse METADATA/PKG-INFO leniently; see :func:`parse_core_metadata_with_problems`."""
    return parse_core_metadata_with_problems(data, source=source)[0]


class MetadataMismatchError(IndexAccessError):
    """A downloaded wheel's own METADATA differs from the metadata the resolution used.

    The index served one thing to resolve with (a PEP 658 file, whose listed hash can
    lie as well) and another in the wheel: the lock is refused (exit 3).
    """


def _requirement_key(requirement: Requirement) -> str:
    extras = ",".join(sorted(canonicalize_name(e) for e in requirement.extras))
    text = canonicalize_name(requirement.name) + (f"[{extras}]" if extras else "")
    text += f" @ {requirement.url}" if requirement.url else str(requirement.specifier)
    return text + (f"; {requirement.marker}" if requirement.marker is not None else "")


def _listed(values: Iterable[str]) -> str:
    return ", ".join(values) or "nothing"


def metadata_differences(used: CoreMetadata, found: CoreMetadata) -> tuple[str, ...]:
    """What differs between two metadata of one file, one line per field; empty if none.

    Compares what resolution reads: Name, Version, Requires-Dist (as a set, spelling
    normalised), Requires-Python and Provides-Extra. ``used`` is what the resolution
    used, ``found`` what the wheel itself carries.
    """
    out = []
    if used.name != found.name:
        out.append(f"Name: resolved with {used.name}, the wheel says {found.name}")
    if used.version != found.version:
        out.append(f"Version: resolved with {used.version}, the wheel says {found.version}")
    used_requires = {_requirement_key(r) for r in used.requires_dist}
    found_requires = {_requirement_key(r) for r in found.requires_dist}
    if used_requires != found_requires:
        out.append(
            "Requires-Dist: only in the metadata resolved with: "
            f"{_listed(sorted(used_requires - found_requires))}; only in the wheel: "
            f"{_listed(sorted(found_requires - used_requires))}"
        )
    used_python = str(used.requires_python) if used.requires_python is not None else ""
    found_python = str(found.requires_python) if found.requires_python is not None else ""
    if used_python != found_python:
        out.append(
            f"Requires-Python: resolved with {used_python or 'none'}, "
            f"the wheel says {found_python or 'none'}"
        )
    if set(used.provides_extra) != set(found.provides_extra):
        out.append(
            f"Provides-Extra: resolved with {_listed(sorted(used.provides_extra))}, "
            f"the wheel says {_listed(sorted(found.provides_extra))}"
        )
    return tuple(out)


def is_static(meta: CoreMetadata) -> bool:
    """Whether an sdist's PKG-INFO can be trusted for resolution (PEP 643).

    True for Metadata-Version 2.2 or later when neither ``Requires-Dist`` nor
    ``Requires-Python`` is declared ``Dynamic``.
    """
    try:
        if Version(meta.metadata_version) < Version("2.2"):
            return False
    except InvalidVersion:
        return False
    dynamic = {field.strip().lower() for field in meta.dynamic}
    return not dynamic & {"requires-dist", "requires-python"}


def build_required_message(filename: str) -> str:
    """The message of the error raised when reading an sdist's metadata needs a build."""
    parsed = parse_filename(filename)
    what = f"{parsed[0]} {parsed[1]}" if parsed else filename
    return (
        f"{what} is only available as a source distribution ({filename}) whose metadata "
        "is not static (PEP 643): reading its dependencies would run the package's build "
        "backend, which executes its code. Pass --allow-build to allow that, or require "
        "a version that has a wheel for the target."
    )


# ---------------------------------------------------------------------- range reading


class RangeReader(Protocol):
    """Random access to a file's bytes: HTTP range requests, or bytes in memory."""

    @property
    def size(self) -> int:
        """The file's length in bytes."""
        ...

    def read(self, start: int, length: int) -> bytes:
        """``length`` bytes from offset ``start`` (fewer only at the end of the file)."""
        ...


class BytesRangeReader:
    """A :class:`RangeReader` over bytes in memory that counts what is read from it.

    For whole downloads and for tests, which check that range reading reads only what
    it needs (``bytes_read``, ``reads``).
    """

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.bytes_read = 0
        self.reads = 0

    @property
    def size(self) -> int:
        return len(self._data)

    def read(self, start: int, length: int) -> bytes:
        if start < 0 or length < 0:
            raise ValueError(f"invalid range: start={start}, length={length}")
        chunk = self._data[start : start + length]
        self.reads += 1
        self.bytes_read += len(chunk)
        return chunk


class _ChunkCache:
    """Serves reads that fall inside bytes already fetched, so a small wheel whose
    METADATA sits inside the tail costs one request."""

    def __init__(self, reader: RangeReader) -> None:
        self._reader = reader
        self._chunks: list[tuple[int, bytes]] = []
        self.url = getattr(reader, "url", None)

    @property
    def size(self) -> int:
        return self._reader.size

    def read(self, start: int, length: int) -> bytes:
        for chunk_start, chunk in self._chunks:
            if chunk_start <= start and start + length <= chunk_start + len(chunk):
                offset = start - chunk_start
                return chunk[offset : offset + length]
        data = self._reader.read(start, length)
        self._chunks.append((start, data))
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class ZipEntry:
    """One file in a zip's central directory. ``header_offset`` is absolute in the file."""

    name: str
    compressed_size: int
    file_size: int
    header_offset: int
    method: int
    crc32: int = 0
    flags: int = 0

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/")


_EOCD = struct.Struct("<4sHHHHIIH")
_EOCD_SIG = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sIQI")
_ZIP64_LOCATOR_SIG = b"PK\x06\x07"
_ZIP64_EOCD = struct.Struct("<4sQHHIIQQQQ")
_ZIP64_EOCD_SIG = b"PK\x06\x06"
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_CENTRAL_SIG = b"PK\x01\x02"
_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_LOCAL_SIG = b"PK\x03\x04"
_MAX_COMMENT = 0xFFFF
_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1
_LOCAL_EXTRA_GUESS = 64  # local extra fields are usually empty or short


def _source(reader: RangeReader, source: str | None) -> str:
    if source:
        return source
    url = getattr(reader, "url", None)
    return str(url) if url else "zip archive"


def _read_exact(reader: RangeReader, start: int, length: int, where: str, what: str) -> bytes:
    data = reader.read(start, length)
    if len(data) != length:
        raise IndexAccessError(
            f"{where}: truncated zip: wanted {length} bytes of {what} at offset {start}, "
            f"got {len(data)}"
        )
    return data


def _find_eocd(tail: bytes) -> int | None:
    """Offset in ``tail`` of the end-of-central-directory record, preferring one whose
    comment length reaches exactly to the end of the file."""
    fallback: int | None = None
    position = tail.rfind(_EOCD_SIG)
    while position >= 0:
        if position + _EOCD.size <= len(tail):
            comment_length = _EOCD.unpack_from(tail, position)[7]
            end = position + _EOCD.size + comment_length
            if end == len(tail):
                return position
            if end < len(tail) and fallback is None:
                fallback = position
        position = tail.rfind(_EOCD_SIG, 0, position)
    return fallback


def read_zip_directory(
    reader: RangeReader, *, tail: int = 65536, source: str | None = None
) -> list[ZipEntry]:
    """Read a zip's central directory with as few reads as possible.

    Reads the last ``tail`` bytes; when the directory starts before them, one more
    read fetches the missing front. ZIP64 archives are understood. Raises
    :class:`IndexAccessError` (naming ``source``, or the reader's ``url``) when the
    bytes are not a zip or are cut short.
    """
    where = _source(reader, source)
    size = reader.size
    if size < _EOCD.size:
        raise IndexAccessError(f"{where}: not a zip file ({size} bytes)")
    tail_start = size - min(max(tail, _EOCD.size), size)
    tail_bytes = _read_exact(reader, tail_start, size - tail_start, where, "the tail")
    eocd = _find_eocd(tail_bytes)
    longest_tail = _EOCD.size + _MAX_COMMENT
    if eocd is None and tail_start > 0 and size - tail_start < longest_tail:
        # A long archive comment may push the record out of a small tail.
        new_start = max(0, size - longest_tail)
        front = _read_exact(reader, new_start, tail_start - new_start, where, "the tail")
        tail_bytes, tail_start = front + tail_bytes, new_start
        eocd = _find_eocd(tail_bytes)
    if eocd is None:
        raise IndexAccessError(
            f"{where}: not a zip file or truncated (no end of central directory record)"
        )
    (_, disk, cd_disk, _, count, cd_size, cd_offset, _) = _EOCD.unpack_from(tail_bytes, eocd)
    if disk != 0 or cd_disk != 0:
        raise IndexAccessError(f"{where}: multi-disk zip archives are not supported")
    directory_end = tail_start + eocd  # where the central directory ends
    zip64 = _read_zip64(reader, tail_bytes, tail_start, eocd, where)
    if zip64 is not None:
        count, cd_size, cd_offset, directory_end = zip64
    cd_start = directory_end - cd_size
    if cd_start < 0:
        raise IndexAccessError(f"{where}: corrupt zip (central directory before the file start)")
    # Bytes prepended to the archive (self-extracting stubs) shift every offset.
    shift = cd_start - cd_offset
    if shift < 0:
        raise IndexAccessError(f"{where}: truncated zip (central directory offset past its start)")
    if cd_start >= tail_start:
        directory = tail_bytes[cd_start - tail_start : directory_end - tail_start]
    else:
        front_end = min(directory_end, tail_start)
        front = _read_exact(reader, cd_start, front_end - cd_start, where, "the central directory")
        directory = front + tail_bytes[: max(0, directory_end - tail_start)]
    return _parse_central_directory(directory, count, shift, where)


def _read_zip64(
    reader: RangeReader, tail: bytes, tail_start: int, eocd: int, where: str
) -> tuple[int, int, int, int] | None:
    """``(count, cd_size, cd_offset, record_position)`` from the ZIP64 records, if any."""
    locator_at = eocd - _ZIP64_LOCATOR.size
    if locator_at < 0:
        if tail_start == 0:
            return None
        # The locator lies just before the tail: fetch it.
        locator_bytes = _read_exact(
            reader, tail_start + locator_at, _ZIP64_LOCATOR.size, where, "the ZIP64 locator"
        )
        locator = _ZIP64_LOCATOR.unpack(locator_bytes)
    else:
        locator = _ZIP64_LOCATOR.unpack_from(tail, locator_at)
    if locator[0] != _ZIP64_LOCATOR_SIG:
        return None
    record_at = locator[2]
    # The record normally sits right before the locator; trust its offset only as a
    # fallback, since prepended bytes shift it.
    expected = tail_start + locator_at - _ZIP64_EOCD.size
    for position in dict.fromkeys((expected, record_at)):
        if position < 0 or position + _ZIP64_EOCD.size > reader.size:
            continue
        if position >= tail_start:
            record = tail[position - tail_start : position - tail_start + _ZIP64_EOCD.size]
        else:
            record = _read_exact(reader, position, _ZIP64_EOCD.size, where, "the ZIP64 end record")
        if len(record) == _ZIP64_EOCD.size and record[:4] == _ZIP64_EOCD_SIG:
            fields = _ZIP64_EOCD.unpack(record)
            return fields[7], fields[8], fields[9], position
    raise IndexAccessError(f"{where}: corrupt zip (ZIP64 end of central directory not found)")


def _parse_central_directory(data: bytes, count: int, shift: int, where: str) -> list[ZipEntry]:
    entries: list[ZipEntry] = []
    position = 0
    while position < len(data) and len(entries) < count:
        if position + _CENTRAL.size > len(data) or data[position : position + 4] != _CENTRAL_SIG:
            raise IndexAccessError(
                f"{where}: corrupt zip (bad central directory entry {len(entries)})"
            )
        fields = _CENTRAL.unpack_from(data, position)
        flags, method, crc = fields[3], fields[4], fields[7]
        compressed, uncompressed = fields[8], fields[9]
        name_length, extra_length, comment_length = fields[10], fields[11], fields[12]
        offset = fields[16]
        name_start = position + _CENTRAL.size
        extra_start = name_start + name_length
        end = extra_start + extra_length + comment_length
        if end > len(data):
            raise IndexAccessError(
                f"{where}: corrupt zip (central directory entry {len(entries)} runs past "
                "the directory)"
            )
        raw_name = data[name_start:extra_start]
        name = raw_name.decode("utf-8" if flags & _UTF8_FLAG else "cp437", errors="replace")
        uncompressed, compressed, offset = _apply_zip64_extra(
            data[extra_start : extra_start + extra_length], uncompressed, compressed, offset
        )
        entries.append(
            ZipEntry(
                name=name,
                compressed_size=compressed,
                file_size=uncompressed,
                header_offset=offset + shift,
                method=method,
                crc32=crc,
                flags=flags,
            )
        )
        position = end
    if len(entries) != count:
        raise IndexAccessError(
            f"{where}: corrupt zip (directory lists {count} entries, found {len(entries)})"
        )
    return entries


def _apply_zip64_extra(
    extra: bytes, uncompressed: int, compressed: int, offset: int
) -> tuple[int, int, int]:
    """Replace 0xFFFFFFFF sizes/offset with the 64-bit values of the ZIP64 extra field."""
    position = 0
    while position + 4 <= len(extra):
        header_id, length = struct.unpack_from("<HH", extra, position)
        body = extra[position + 4 : position + 4 + length]
        if header_id == 0x0001:
            values = [v[0] for v in struct.iter_unpack("<Q", body[: len(body) // 8 * 8])]
            if uncompressed == 0xFFFFFFFF and values:
                uncompressed = values.pop(0)
            if compressed == 0xFFFFFFFF and values:
                compressed = values.pop(0)
            if offset == 0xFFFFFFFF and values:
                offset = values.pop(0)
            break
        position += 4 + length
    return uncompressed, compressed, offset


def read_zip_member(reader: RangeReader, entry: ZipEntry, *, source: str | None = None) -> bytes:
    """The uncompressed bytes of one member (stored, deflated or bzip2).

    Reads the local header and the data, in one read when the local header's extra
    field is short, and checks the size and CRC-32 against the directory.
    """
    where = _source(reader, source)
    if entry.flags & _ENCRYPTED_FLAG:
        raise IndexAccessError(f"{where}: {entry.name} is encrypted")
    name_guess = len(entry.name.encode("utf-8"))
    want = min(
        _LOCAL.size + name_guess + _LOCAL_EXTRA_GUESS + entry.compressed_size,
        max(0, reader.size - entry.header_offset),
    )
    chunk = reader.read(entry.header_offset, want)
    if len(chunk) < _LOCAL.size or chunk[:4] != _LOCAL_SIG:
        raise IndexAccessError(f"{where}: corrupt zip (no local header for {entry.name})")
    name_length, extra_length = _LOCAL.unpack_from(chunk)[9:11]
    data_start = _LOCAL.size + name_length + extra_length
    data = chunk[data_start : data_start + entry.compressed_size]
    if len(data) < entry.compressed_size:
        missing_from = entry.header_offset + data_start + len(data)
        data += _read_exact(
            reader, missing_from, entry.compressed_size - len(data), where, entry.name
        )
    content = _decompress(data, entry, where)
    if len(content) != entry.file_size or zlib.crc32(content) != entry.crc32:
        raise IndexAccessError(f"{where}: corrupt zip ({entry.name} fails its size/CRC check)")
    return content


def _decompress(data: bytes, entry: ZipEntry, where: str) -> bytes:
    try:
        if entry.method == 0:
            return data
        if entry.method == 8:
            # Never inflate past the declared size (+1, so the caller sees the lie):
            # a lying directory must not turn into a zip bomb.
            return zlib.decompressobj(-15).decompress(data, entry.file_size + 1)
        if entry.method == 12:
            return bz2.BZ2Decompressor().decompress(data, entry.file_size + 1)
    except (zlib.error, OSError, EOFError) as exc:
        raise IndexAccessError(f"{where}: corrupt zip ({entry.name}: {exc})") from None
    raise IndexAccessError(
        f"{where}: {entry.name} uses zip compression method {entry.method}, "
        "which depslim cannot read"
    )


# --------------------------------------------------------------------------- wheels

_METADATA_RE = re.compile(r"^([^/]+)\.dist-info/METADATA$")


def wheel_metadata_entry(
    entries: Sequence[ZipEntry], *, name: NormalizedName, version: Version | None = None
) -> ZipEntry | None:
    """The ``*.dist-info/METADATA`` entry of the project ``name`` among ``entries``.

    Any single top-level ``.dist-info`` directory is accepted (wheels in the wild do not
    always spell it ``{name}-{version}``); among several, the one whose name normalizes
    to the project (and, if possible, whose version matches) wins.
    """
    candidates: list[tuple[ZipEntry, str]] = []
    for entry in entries:
        match = _METADATA_RE.match(entry.name)
        if match:
            candidates.append((entry, match.group(1)))
    if len(candidates) <= 1:
        return candidates[0][0] if candidates else None
    wanted = canonicalize_name(name)
    best: ZipEntry | None = None
    for entry, stem in candidates:
        dist, _, dist_version = stem.rpartition("-")
        if canonicalize_name(dist or stem) != wanted:
            continue
        if version is not None and _same_version(dist_version, version):
            return entry
        best = best or entry
    return best


def _same_version(text: str, version: Version) -> bool:
    try:
        return Version(text) == version
    except InvalidVersion:
        return False


def wheel_metadata(
    reader: RangeReader,
    *,
    name: NormalizedName,
    version: Version,
    tail: int = 65536,
    source: str | None = None,
) -> bytes:
    """The bytes of a wheel's ``.dist-info/METADATA``, read through ``reader``.

    Costs the tail read (plus one read if the central directory is longer) and one
    read for the member, or nothing more than the tail when METADATA lies inside it.
    """
    where = _source(reader, source)
    cached = _ChunkCache(reader)
    entries = read_zip_directory(cached, tail=tail, source=where)
    entry = wheel_metadata_entry(entries, name=name, version=version)
    if entry is None:
        raise IndexAccessError(f"{where}: the wheel has no .dist-info/METADATA for {name}")
    return read_zip_member(cached, entry, source=where)


def installed_size(entries: Iterable[ZipEntry]) -> int:
    """Bytes the files take once unpacked (the sum of uncompressed sizes)."""
    return sum(entry.file_size for entry in entries if not entry.is_dir)


_EXTENSION_RE = re.compile(
    r"^(?P<module>[^.]+)(?:\.(?:cpython|pypy|graalpy|cp)[^.]*|\.abi3)?\.(?:so|pyd)$"
)
_SOURCE_SUFFIXES = (".py", ".pyc")
_SKIPPED_DIR_SUFFIXES = (".dist-info", ".libs", ".egg-info")
_DATA_SCHEMES_WITH_MODULES = ("purelib", "platlib")


def _module_name(filename: str) -> str | None:
    """The module a file defines, from its name (``x.cpython-311-…so`` → ``x``)."""
    for suffix in _SOURCE_SUFFIXES:
        if filename.endswith(suffix):
            stem = filename[: -len(suffix)]
            return stem if stem.isidentifier() else None
    match = _EXTENSION_RE.match(filename)
    if match and match.group("module").isidentifier():
        return match.group("module")
    return None


def _installed_paths(entries: Iterable[ZipEntry]) -> list[str]:
    """Paths as they land in site-packages: ``.data/purelib|platlib`` unwrapped, the
    other ``.data`` schemes, ``.dist-info`` and vendored ``.libs`` dropped."""
    paths: list[str] = []
    for entry in entries:
        if entry.is_dir:
            continue
        path = entry.name.lstrip("/")
        first, _, rest = path.partition("/")
        if first.endswith(".data"):
            scheme, _, inner = rest.partition("/")
            if scheme in _DATA_SCHEMES_WITH_MODULES and inner:
                paths.append(inner)
            continue
        if rest and first.endswith(_SKIPPED_DIR_SUFFIXES):
            continue
        paths.append(path)
    return paths


def top_level_modules(entries: Iterable[ZipEntry]) -> frozenset[str]:
    """The import names a wheel provides, derived from its file list.

    A top-level file gives its module (``six.py`` → ``six``, ``_cffi_backend.cpython-…so``
    → ``_cffi_backend``); a top-level folder with ``__init__`` is a package; a folder
    without one is a namespace, named by the packages and modules under it
    (``google/protobuf/__init__.py`` → ``google.protobuf``).
    """
    tree: dict[str, object] = {}
    for path in _installed_paths(entries):
        node = tree
        *folders, filename = path.split("/")
        for folder in folders:
            child = node.setdefault(folder, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node.setdefault(filename, None)
    found: set[str] = set()
    _collect_modules(tree, "", found)
    return frozenset(found)


def _collect_modules(tree: dict[str, object], prefix: str, found: set[str]) -> None:
    for key, child in tree.items():
        if isinstance(child, dict):
            if not key.isidentifier():
                continue
            dotted = prefix + key
            if any(
                not isinstance(grandchild, dict) and _module_name(name) == "__init__"
                for name, grandchild in child.items()
            ):
                found.add(dotted)
            else:
                _collect_modules(child, dotted + ".", found)
        else:
            module = _module_name(key)
            if module is not None and module != "__init__":
                found.add(prefix + module)


def parse_top_level_txt(data: bytes) -> frozenset[str]:
    """Names listed in a setuptools ``top_level.txt`` (one per line; ``a/b`` is ``a.b``)."""
    names = set()
    for line in data.decode("utf-8", errors="replace").splitlines():
        name = line.strip().replace("/", ".")
        if name and all(part.isidentifier() for part in name.split(".")):
            names.add(name)
    return frozenset(names)


def read_top_level_txt(
    reader: RangeReader, entries: Sequence[ZipEntry], *, source: str | None = None
) -> frozenset[str] | None:
    """The wheel's ``*.dist-info/top_level.txt`` names, or ``None`` if it has none."""
    for entry in entries:
        first, _, rest = entry.name.partition("/")
        if rest == "top_level.txt" and first.endswith(".dist-info"):
            return parse_top_level_txt(read_zip_member(reader, entry, source=source))
    return None


# --------------------------------------------------------------------------- sdists

_PKG_INFO_LIMIT = 16 * 1024 * 1024


def sdist_metadata(data: bytes, filename: str) -> CoreMetadata:
    """Parse the top-level ``PKG-INFO`` of an sdist (tar or zip) held in memory.

    Only ``<dir>/PKG-INFO`` directly under the archive's top folder counts (not one of a
    vendored package deeper down); nothing is extracted to disk. The caller decides,
    with :func:`is_static`, whether the result may be used.
    """
    ext = sdist_extension(filename)
    if ext is None:
        raise IndexAccessError(f"{filename}: not an sdist (unknown archive type)")
    if ext == ".zip":
        content, member = _pkg_info_from_zip(data, filename)
    else:
        content, member = _pkg_info_from_tar(data, filename)
    return parse_core_metadata(content, source=f"{filename} ({member})")


def _pkg_info_ranker(filename: str) -> Callable[[str], int | None]:
    """Ranks member paths: 0 for ``<name>-<version>/PKG-INFO`` matching the file name,
    1 for any other top-level ``<dir>/PKG-INFO``, ``None`` for everything else."""
    expected = parse_filename(filename)

    def rank(path: str) -> int | None:
        parts = path.strip("/").split("/")
        if len(parts) != 2 or parts[1] != "PKG-INFO" or parts[0] in {"", ".", ".."}:
            return None
        folder = parse_filename(parts[0] + ".tar.gz")
        return 0 if expected and folder and folder[:2] == expected[:2] else 1

    return rank


def _pkg_info_from_zip(data: bytes, filename: str) -> tuple[bytes, str]:
    reader = BytesRangeReader(data)
    entries = read_zip_directory(reader, source=filename)
    ranker = _pkg_info_ranker(filename)
    ranked = [(rank, entry) for entry in entries if (rank := ranker(entry.name)) is not None]
    if not ranked:
        raise IndexAccessError(f"{filename}: the sdist has no top-level PKG-INFO")
    entry = min(ranked, key=lambda item: item[0])[1]
    if entry.file_size > _PKG_INFO_LIMIT:
        raise IndexAccessError(f"{filename}: PKG-INFO is implausibly large")
    return read_zip_member(reader, entry, source=filename), entry.name


def _pkg_info_from_tar(data: bytes, filename: str) -> tuple[bytes, str]:
    best: tuple[int, bytes, str] | None = None
    ranker = _pkg_info_ranker(filename)
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            for member in archive:
                rank = ranker(member.name)
                if rank is None or not member.isfile() or (best and best[0] <= rank):
                    continue
                if member.size > _PKG_INFO_LIMIT:
                    raise IndexAccessError(f"{filename}: PKG-INFO is implausibly large")
                handle = archive.extractfile(member)
                if handle is None:
                    continue
                best = (rank, handle.read(), member.name)
                if rank == 0:
                    break
    except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
        raise IndexAccessError(f"{filename}: not a readable sdist archive ({exc})") from None
    if best is None:
        raise IndexAccessError(f"{filename}: the sdist has no top-level PKG-INFO")
    return best[1], best[2]
