"""Input files are regular files below a size cap, read once, as UTF-8: anything else is an
InputError naming the file and what to do, never a hang, a traceback or gigabytes of RAM."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from depslim.errors import InputError
from depslim.inputs.files import (
    MAX_INPUT_BYTES,
    RefusedFileError,
    read_file_bytes,
    read_text_file,
)

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
needs_dev_zero = pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")


def refused(path: Path | str, what: str = "config") -> str:
    with pytest.raises(InputError) as caught:
        read_text_file(path, what=what)
    assert caught.value.exit_code == 2
    message = str(caught.value)
    assert message.startswith(f"{path}: can't read this {what}: ")
    return message


def test_regular_utf8_file_is_read_and_its_bom_dropped(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(b"\xef\xbb\xbf[project]\nname = 'caf\xc3\xa9'\n")
    assert read_text_file(path, what="pyproject.toml") == "[project]\nname = 'café'\n"


def test_empty_file_is_empty_text(tmp_path: Path) -> None:
    path = tmp_path / "empty.in"
    path.touch()
    assert read_text_file(path, what="requirements file") == ""


@needs_dev_zero
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_refused_before_reading(device: str) -> None:
    if not Path(device).exists():
        pytest.skip(f"no {device} here")
    message = refused(device)
    assert "a character device, not a regular file" in message
    assert "give the path of a file" in message


@needs_fifo
def test_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.in"
    os.mkfifo(fifo)
    assert "a FIFO (named pipe), not a regular file" in refused(fifo)


def test_folder_is_refused(tmp_path: Path) -> None:
    assert "a folder, not a regular file" in refused(tmp_path)


def test_file_over_the_cap_is_refused_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:  # sparse: costs no disk
        handle.truncate(MAX_INPUT_BYTES + 1)
    message = refused(path, "lockfile")
    assert "larger than 16 MiB, the most depslim reads from an input file" in message


def test_file_of_exactly_the_cap_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 4096)
    assert len(read_file_bytes(path, limit=4096)) == 4096
    with pytest.raises(RefusedFileError, match="larger than 4095 bytes"):
        read_file_bytes(path, limit=4095)


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="no /proc here")
def test_file_whose_size_lies_is_cut_at_the_cap_while_reading() -> None:
    # /proc files report a size of 0 but hold more: the read itself stops past the cap
    assert os.stat("/proc/self/maps").st_size == 0
    with pytest.raises(RefusedFileError, match="larger than 10 bytes"):
        read_file_bytes("/proc/self/maps", limit=10)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("[project]\n".encode("utf-16"), "UTF-16 text, not UTF-8; save the file as UTF-8"),
        ("[project]\n".encode("utf-32"), "UTF-32 text, not UTF-8; save the file as UTF-8"),
        (b"name = 'caf\xe9'\n", "not UTF-8 text (byte 11: invalid continuation byte)"),
    ],
)
def test_text_that_is_not_utf8_is_refused(tmp_path: Path, data: bytes, expected: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(data)
    assert expected in refused(path, "pyproject.toml")


def test_missing_file(tmp_path: Path) -> None:
    message = refused(tmp_path / "nope.toml")
    assert "No such file or directory; check the path" in message


def test_symlink_loop_is_unreadable(tmp_path: Path) -> None:
    # unreadable even for root, unlike a file without read permission
    loop = tmp_path / "loop.in"
    loop.symlink_to(loop)
    assert "Too many levels of symbolic links" in refused(loop)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0,
    reason="root reads a file whatever its permissions; test_symlink_loop_is_unreadable covers "
    "an unreadable file there",
)
def test_file_without_read_permission(tmp_path: Path) -> None:
    path = tmp_path / "secret.in"
    path.write_text("x\n", encoding="utf-8")
    path.chmod(0)
    try:
        assert "Permission denied; check the file's permissions" in refused(path)
    finally:
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)
