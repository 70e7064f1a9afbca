"""A consistent metadata lie is caught: the wheel's own METADATA must match what was used.

The lying index serves a ``.metadata`` file that adds a dependency and downgrades
another, and lists the hash of that lie (so PEP 658's hash check passes). Resolution
takes the lie; verifying the locked wheels reads their own METADATA from the bytes
that were hashed and refuses the lock, naming the file.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from depslim.index.cache import Cache
from depslim.index.client import IndexClient
from depslim.index.metadata import MetadataMismatchError, metadata_differences
from depslim.index.routing import Routing
from depslim.models import CoreMetadata, InputRequirement, Location
from depslim.resolve.resolver import resolve
from depslim.target import Target
from support.fixtures import build_files

from .hostile import LyingIndexServer

TARGET = Target.parse("linux/amd64", python="3.11")
A_WHEEL = "a-1.0-py3-none-any.whl"


def _lie(metadata: bytes) -> bytes:
    return metadata.replace(
        b"Requires-Dist: b>=2\n", b"Requires-Dist: b<2\nRequires-Dist: evil-package\n"
    )


def _files(tmp_path: Path) -> Path:
    files = tmp_path / "files"
    files.mkdir()
    build_files(
        files,
        [
            ("a", "1.0", ["b>=2"]),
            ("b", "1.0", []),
            ("b", "2.0", []),
            ("evil-package", "99.0", []),
        ],
    )
    return files


def _resolve(client: IndexClient):
    root = InputRequirement(requirement=Requirement("a"), origin=Location(path="req.in", line=1))
    return resolve([root], client, TARGET)


def _verify_all(client: IndexClient, resolution, *, verify: bool = True) -> dict[str, str]:
    out = {}
    for name, candidate in resolution.candidates.items():
        for link in candidate.links:
            check = client.verified_sha256 if verify else client.file_sha256
            out[link.filename] = check(link, resolution.metadata[name])
    return out


@pytest.fixture
def lying(tmp_path: Path):
    server = LyingIndexServer(_files(tmp_path), lies={A_WHEEL: _lie}).start()
    yield server
    server.stop()


@pytest.mark.parametrize("pages", ["json", "html"])
def test_the_lie_is_resolved_with_but_the_lock_is_refused(lying, pages: str) -> None:
    lying.json = pages == "json"
    with IndexClient(routing=Routing.simple(lying.url)) as client:
        resolution = _resolve(client)
        # The lie worked on resolution (this is what pip-compile and uv would lock) ...
        assert resolution.candidates["b"].version == Version("1.0")
        assert "evil-package" in resolution.candidates
        # ... and is caught when the locked wheels are verified.
        with pytest.raises(MetadataMismatchError) as caught:
            _verify_all(client, resolution)
    message = str(caught.value)
    assert A_WHEEL in message
    assert "evil-package" in message and "b<2" in message and "b>=2" in message
    assert caught.value.exit_code == 3


def test_an_honest_index_passes_and_a_later_lie_is_caught_from_the_cache(tmp_path) -> None:
    server = LyingIndexServer(_files(tmp_path)).start()
    cache = Cache(tmp_path / "cache")
    try:
        with IndexClient(routing=Routing.simple(server.url), cache=cache) as client:
            resolution = _resolve(client)
            assert resolution.candidates["b"].version == Version("2.0")
            digests = _verify_all(client, resolution)
        assert digests[A_WHEEL] == server.files[A_WHEEL].sha256
        # One stream gave both the hash and the METADATA compared.
        assert len(server.requests(f"/files/{A_WHEEL}", method="GET")) == 1
        # The index starts lying: a new lock compares with what the verified wheel
        # carried (cached by its sha256) without downloading it again.
        server.lies[A_WHEEL] = _lie
        server.refresh()
        server.clear_log()
        with IndexClient(routing=Routing.simple(server.url), cache=cache) as client:
            lied = _resolve(client)
            with pytest.raises(MetadataMismatchError, match=A_WHEEL):
                _verify_all(client, lied)
        assert not server.requests(f"/files/{A_WHEEL}")
    finally:
        server.stop()


def test_without_listed_hashes_the_downloaded_wheel_is_compared_too(tmp_path) -> None:
    server = LyingIndexServer(_files(tmp_path), lies={A_WHEEL: _lie}, hashes=False).start()
    try:
        with IndexClient(routing=Routing.simple(server.url)) as client:
            resolution = _resolve(client)
            with pytest.raises(MetadataMismatchError, match=A_WHEEL):
                _verify_all(client, resolution, verify=False)
    finally:
        server.stop()


def _metadata_first(path: Path, payload: int) -> None:
    """Rewrite a wheel with its .dist-info first and ``payload`` random bytes after it."""
    with zipfile.ZipFile(path) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    members.sort(key=lambda item: ".dist-info/" not in item[0].filename)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in members:
            target.writestr(info, data)
        target.writestr("a/blob.bin", os.urandom(payload), compress_type=zipfile.ZIP_STORED)
    path.write_bytes(buffer.getvalue())


def test_metadata_far_from_the_end_is_read_from_a_full_verified_copy(tmp_path) -> None:
    files = _files(tmp_path)
    _metadata_first(files / A_WHEEL, 9 * 1024 * 1024)
    server = LyingIndexServer(files, lies={A_WHEEL: _lie}).start()
    try:
        with IndexClient(routing=Routing.simple(server.url)) as client:
            resolution = _resolve(client)
            with pytest.raises(MetadataMismatchError, match=A_WHEEL):
                _verify_all(client, resolution)
        # Streamed once for the hash, then once more whole: METADATA was not in the tail.
        assert len(server.requests(f"/files/{A_WHEEL}", method="GET")) == 2
        server.lies.clear()
        server.refresh()
        with IndexClient(routing=Routing.simple(server.url)) as client:
            resolution = _resolve(client)
            assert _verify_all(client, resolution)[A_WHEEL] == server.files[A_WHEEL].sha256
    finally:
        server.stop()


def test_differences_are_named_field_by_field() -> None:
    used = CoreMetadata(
        name="a",
        version=Version("1.0"),
        requires_dist=(Requirement("B>=2"), Requirement('c; extra == "x"')),
        provides_extra=("x",),
    )
    same = CoreMetadata(
        name="a",
        version=Version("1.0"),
        requires_dist=(Requirement("c ; extra == 'x'"), Requirement("b >= 2")),
        provides_extra=("x",),
    )
    assert metadata_differences(used, same) == ()
    other = CoreMetadata(
        name="a",
        version=Version("1.0.1"),
        requires_dist=(Requirement("b>=2"),),
        requires_python=None,
        provides_extra=(),
    )
    found = metadata_differences(used, other)
    assert [line.split(":")[0] for line in found] == ["Version", "Requires-Dist", "Provides-Extra"]
