"""Read an input file safely: a regular file below a size cap, read once, as UTF-8 text.

Every file depslim reads as input (requirements and constraints files and what they
include, ``pyproject.toml``, config, lockfiles) goes through here, so that ``-r
/dev/zero``, a FIFO, a folder or a multi-gigabyte file is refused up front with an
error naming the file, instead of being read forever. The file is opened once,
checked on its open descriptor (no race between a check and the read), and read in
one pass that stops one byte past the cap.

FIFOs are opened non-blocking, so that refusing one never waits for a writer.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from depslim.errors import InputError

__all__ = [
    "MAX_INPUT_BYTES",
    "RefusedFileError",
    "decode_text",
    "describe_read_error",
    "read_file_bytes",
    "read_text_file",
]

MAX_INPUT_BYTES = 16 * 1024 * 1024
"""The largest input file depslim reads (16 MiB): far above any real requirements file,
pyproject or lock, far below what would exhaust memory."""

_CHUNK = 1024 * 1024
_UNICODE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


class RefusedFileError(ValueError):
    """The path names something depslim does not read as an input file.

    ``reason`` says what the path is (a device, a FIFO, a folder, too large), ``fix``
    what to do about it.
    """

    def __init__(self, reason: str, fix: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fix = fix


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _size(limit: int) -> str:
    if limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    return f"{limit} bytes"


def read_file_bytes(path: Path | str, *, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Raises :class:`OSError` when the file can't be opened or read, and
    :class:`RefusedFileError` when it is not a regular file or is larger than ``limit``.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0)
    too_large = RefusedFileError(
        f"larger than {_size(limit)}, the most depslim reads from an input file",
        "give a smaller file, or check that the path names the file you meant",
    )
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RefusedFileError(
                f"{_kind(info.st_mode)}, not a regular file",
                "give the path of a file (a device, pipe or folder can't be read as input)",
            )
        if info.st_size > limit:
            raise too_large
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise too_large  # the file grew while it was read
        return b"".join(chunks)
    finally:
        os.close(fd)


def decode_text(data: bytes) -> str:
    """``data`` as UTF-8 text, without a leading byte-order mark.

    Raises :class:`UnicodeDecodeError` for bytes that are not UTF-8, and
    :class:`RefusedFileError` for UTF-16 or UTF-32 text (told apart by its BOM).
    """
    for bom, name in _UNICODE_BOMS:
        if data.startswith(bom):
            raise RefusedFileError(f"{name} text, not UTF-8", "save the file as UTF-8")
    return data.decode("utf-8").removeprefix("\ufeff")


def describe_read_error(exc: BaseException) -> tuple[str, str]:
    """``(what went wrong, what to do)`` for an error raised while reading an input file."""
    if isinstance(exc, RefusedFileError):
        return exc.reason, exc.fix
    if isinstance(exc, UnicodeDecodeError):
        return (
            f"not UTF-8 text (byte {exc.start}: {exc.reason})",
            "save the file as UTF-8",
        )
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        if exc.errno in (errno.EACCES, errno.EPERM):
            return reason, "check the file's permissions"
        if exc.errno == errno.ENOENT:
            return reason, "check the path"
        return reason, "check the path and that the file is readable"
    return str(exc) or type(exc).__name__, "check the file"


def read_text_file(path: Path | str, *, what: str) -> str:
    """The text of the input file at ``path`` (a ``what``: "requirements file", "config").

    The file must be a regular file of at most :data:`MAX_INPUT_BYTES`, in UTF-8 (a
    leading UTF-8 BOM is dropped). Anything else raises :class:`InputError` naming the
    file, what is wrong and what to do.
    """
    try:
        return decode_text(read_file_bytes(path))
    except (OSError, ValueError) as exc:
        reason, fix = describe_read_error(exc)
        raise InputError(f"{path}: can't read this {what}: {reason}; {fix}") from None
