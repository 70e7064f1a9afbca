"""What installing a wheel writes: files, byte-code, pip's metadata, and the image layer.

A wheel's zip directory lists its members and their uncompressed sizes; installing it
writes more than that: pip compiles every ``.py`` it puts in ``site-packages`` to a
``__pycache__/*.cpython-XY.pyc`` (about as large again as the source on CPython 3.11),
adds ``INSTALLER`` and ``REQUESTED`` to the ``.dist-info``, grows ``RECORD`` by a line
per byte-code file, and writes a launcher per console script. An image layer holding
the install is a tar stream: a 512-byte header per file and directory, data padded to
512 bytes.

:func:`installed_estimate` turns ``(member name, uncompressed size)`` pairs into an
:class:`InstalledEstimate` of all that. Byte-code sizes come from a linear model of
``.pyc`` size against ``.py`` size (:data:`BYTECODE_MODEL`) fitted on the 1,787 modules
of a 36-pin web application installed by pip in CPython 3.11 (ratio of totals 1.20);
other Python versions use the same model, which over-counts for 3.10 and older (their
byte-code has no position tables). With ``bytecode=False`` (a Dockerfile that installs
``--no-compile``) no byte-code is counted.

Pure: no I/O.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "BYTECODE_MODEL",
    "InstalledEstimate",
    "installed_estimate",
    "sum_estimates",
]

#: ``.pyc`` bytes ≈ slope * ``.py`` bytes + intercept (CPython 3.11, see module docstring).
BYTECODE_MODEL = (1.026, 2794)
_TAR_BLOCK = 512
_LAUNCHER_BYTES = 230  # a console-script launcher pip writes to bin/
_INSTALLER_FILES = {"INSTALLER": 4, "REQUESTED": 0}  # pip's own additions to .dist-info
_LIB_SCHEMES = ("purelib", "platlib")


@dataclass(frozen=True, slots=True, kw_only=True)
class InstalledEstimate:
    """What an install writes.

    ``file_bytes`` is the sum of the sizes of the ``files`` written, byte-code
    (``bytecode_bytes``) included; ``directories`` counts the directories created
    under the environment's root; ``layer_bytes`` is the uncompressed size of an image
    layer holding exactly these files (tar headers and padding included), which is
    what ``docker history`` / ``buildah`` report and a registry stores before
    compression.
    """

    files: int
    directories: int
    file_bytes: int
    bytecode_bytes: int
    layer_bytes: int


def _padded(size: int) -> int:
    return -(-size // _TAR_BLOCK) * _TAR_BLOCK


def _destination(member: str, lib: str) -> tuple[str, bool] | None:
    """Where a wheel member lands, relative to the environment's root, and whether it
    is library code (compiled to byte-code). ``None`` for directories."""
    path = member.lstrip("/")
    if not path or path.endswith("/"):
        return None
    first, _, rest = path.partition("/")
    if first.endswith(".data") and rest:
        scheme, _, inner = rest.partition("/")
        if not inner:
            return None
        if scheme in _LIB_SCHEMES:
            return posixpath.join(lib, inner), True
        if scheme == "scripts":
            return posixpath.join("bin", inner), False
        if scheme == "headers":
            return posixpath.join("include", "site", inner), False
        return inner, False  # "data": relative to the environment's root
    return posixpath.join(lib, path), not first.endswith(".dist-info")


def installed_estimate(
    members: Iterable[tuple[str, int]],
    *,
    python: tuple[int, int] = (3, 11),
    bytecode: bool = True,
    console_scripts: int = 0,
) -> InstalledEstimate:
    """Estimate what pip writes installing a wheel whose zip holds ``members``.

    ``members`` are ``(name, uncompressed size)`` pairs from the wheel's zip directory
    (directory entries are ignored). ``python`` is the target's version (it names the
    byte-code files); ``bytecode`` says whether pip compiles (its default) or not
    (``--no-compile``); ``console_scripts`` is the number of launchers pip generates
    from ``entry_points.txt`` (0 when unknown: each is about 230 bytes).
    """
    lib = f"lib/python{python[0]}.{python[1]}/site-packages"
    tag = f"cpython-{python[0]}{python[1]}"
    slope, intercept = BYTECODE_MODEL
    files: list[tuple[str, int]] = []
    record_growth = 0
    dist_info: str | None = None
    for name, size in members:
        landed = _destination(name, lib)
        if landed is None:
            continue
        path, is_code = landed
        files.append((path, size))
        top = name.lstrip("/").split("/", 1)[0]
        if top.endswith(".dist-info"):
            dist_info = top
        if bytecode and is_code and path.endswith(".py"):
            folder, module = posixpath.split(path)
            compiled = posixpath.join(folder, "__pycache__", f"{module[:-3]}.{tag}.pyc")
            pyc_size = round(slope * size + intercept)
            files.append((compiled, pyc_size))
            record_growth += len(compiled) - len(lib) + 3  # "path,,\n", relative to lib
    bytecode_bytes = sum(size for path, size in files if path.endswith(".pyc"))
    if dist_info is not None:
        folder = posixpath.join(lib, dist_info)
        files.extend((posixpath.join(folder, n), s) for n, s in _INSTALLER_FILES.items())
        record_growth += sum(len(dist_info) + len(n) + 4 for n in _INSTALLER_FILES)
    files.extend((f"bin/launcher-{k}", _LAUNCHER_BYTES) for k in range(console_scripts))
    file_bytes = sum(size for _, size in files) + record_growth
    directories: set[str] = set()
    for path, _ in files:
        folder = posixpath.dirname(path)
        while folder and folder not in directories:
            directories.add(folder)
            folder = posixpath.dirname(folder)
    layer_bytes = (
        sum(_TAR_BLOCK + _padded(size) for _, size in files)
        + _padded(record_growth)
        + _TAR_BLOCK * len(directories)
    )
    return InstalledEstimate(
        files=len(files),
        directories=len(directories),
        file_bytes=file_bytes,
        bytecode_bytes=bytecode_bytes,
        layer_bytes=layer_bytes,
    )


def sum_estimates(estimates: Iterable[InstalledEstimate]) -> InstalledEstimate:
    """Several installs in one layer (shared directories are counted once per install,
    a small over-count: a few hundred bytes per install)."""
    listed = list(estimates)
    return InstalledEstimate(
        files=sum(e.files for e in listed),
        directories=sum(e.directories for e in listed),
        file_bytes=sum(e.file_bytes for e in listed),
        bytecode_bytes=sum(e.bytecode_bytes for e in listed),
        layer_bytes=sum(e.layer_bytes for e in listed) + 2 * _TAR_BLOCK,
    )
