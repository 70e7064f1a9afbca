"""Real wheels and sdists for tests, built from a short spec.

``build_wheel(tmp_path, "foo", "1.0", requires=["bar>=2"])`` writes a wheel pip can
install (``METADATA``, ``WHEEL``, ``RECORD`` with true hashes, the modules), named as
the wheel spec says. ``build_sdist`` writes a ``.tar.gz`` (or ``.zip``) with
``PKG-INFO``, a setuptools ``pyproject.toml`` and a module. Everything is
deterministic: the same spec gives the same bytes, hence the same sha256.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import re
import tarfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from packaging.requirements import Requirement
from packaging.tags import parse_tag
from packaging.utils import canonicalize_name
from packaging.version import Version

__all__ = [
    "build_sdist",
    "build_wheel",
    "dist_name",
    "file_sha256",
    "import_name",
    "metadata_text",
    "sdist_filename",
    "wheel_filename",
    "wheel_metadata_bytes",
]

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def dist_name(name: str) -> str:
    """The project name as it appears in file names: normalized, ``-`` → ``_``."""
    return re.sub(r"[-_.]+", "_", name).lower()


def import_name(name: str) -> str:
    """The default module a project provides: ``Foo-Bar`` → ``foo_bar``."""
    return dist_name(name)


def wheel_filename(
    name: str, version: str, tag: str = "py3-none-any", build_tag: str | None = None
) -> str:
    """``{dist}-{version}[-{build}]-{tag}.whl``; local versions keep their ``+``."""
    build = f"-{build_tag}" if build_tag else ""
    return f"{dist_name(name)}-{Version(version)}{build}-{tag}.whl"


def sdist_filename(name: str, version: str, fmt: str = "tar.gz") -> str:
    """``{dist}-{version}.tar.gz`` (or ``.zip``)."""
    return f"{dist_name(name)}-{Version(version)}.{fmt}"


def metadata_text(
    name: str,
    version: str,
    *,
    requires: Sequence[str] = (),
    requires_python: str | None = None,
    extras: Mapping[str, Sequence[str]] | None = None,
    metadata_version: str = "2.1",
    dynamic: Sequence[str] = (),
    summary: str | None = None,
) -> str:
    """Core metadata text (METADATA / PKG-INFO) for the spec, as the builders write it.

    Extras become ``Provides-Extra`` plus ``Requires-Dist: x ; extra == "name"`` lines
    (joined with ``and`` to a requirement's own marker).
    """
    lines = [
        f"Metadata-Version: {metadata_version}",
        f"Name: {name}",
        f"Version: {version}",
        f"Summary: {summary or f'The {name} test package'}",
    ]
    lines += [f"Dynamic: {field}" for field in dynamic]
    if requires_python is not None:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Requires-Dist: {requirement}" for requirement in requires]
    for extra, extra_requires in (extras or {}).items():
        lines.append(f"Provides-Extra: {extra}")
        for requirement in extra_requires:
            lines.append(f"Requires-Dist: {_with_extra(requirement, extra)}")
    return "\n".join(lines) + "\n\n"


def _with_extra(requirement: str, extra: str) -> str:
    parsed = Requirement(requirement)
    marker = f'extra == "{canonicalize_name(extra)}"'
    if parsed.marker is not None:
        marker = f"({parsed.marker}) and {marker}"
    parsed.marker = None
    return f"{parsed} ; {marker}"


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def _module_files(modules: Sequence[str], version: str) -> dict[str, bytes]:
    """``pkg`` → ``pkg/__init__.py``; ``mod.py`` → a single-file module;
    ``ns.pkg`` → ``ns/pkg/__init__.py`` with ``ns`` left a namespace."""
    files: dict[str, bytes] = {}
    for module in modules:
        body = f'"""Test module {module}."""\n__version__ = "{version}"\n'.encode()
        if module.endswith(".py"):
            files[module] = body
        else:
            files["/".join(module.split(".")) + "/__init__.py"] = body
    return files


def _write_zip(path: Path, files: Mapping[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)


def build_wheel(
    dest: Path,
    name: str,
    version: str,
    *,
    requires: Sequence[str] = (),
    requires_python: str | None = None,
    tag: str = "py3-none-any",
    extras: Mapping[str, Sequence[str]] | None = None,
    modules: Sequence[str] | None = None,
    files: Mapping[str, bytes] | None = None,
    build_tag: str | None = None,
    top_level_txt: bool = True,
    metadata_version: str = "2.1",
) -> Path:
    """Write a real, pip-installable wheel into ``dest`` and return its path.

    ``modules`` lists what the wheel provides (default: the import name of ``name``):
    ``"pkg"`` is a package, ``"mod.py"`` a single-file module, ``"ns.pkg"`` a package
    inside the namespace ``ns``. ``files`` adds any other members (path → bytes).
    """
    dest.mkdir(parents=True, exist_ok=True)
    dist = dist_name(name)
    dist_info = f"{dist}-{Version(version)}.dist-info"
    content = _module_files(list(modules) if modules is not None else [import_name(name)], version)
    content.update(files or {})

    purelib = all(parsed.platform == "any" for parsed in parse_tag(tag))
    wheel_lines = ["Wheel-Version: 1.0", "Generator: depslim-tests (1.0)"]
    wheel_lines.append(f"Root-Is-Purelib: {'true' if purelib else 'false'}")
    if build_tag:
        wheel_lines.append(f"Build: {build_tag}")
    wheel_lines += [f"Tag: {parsed}" for parsed in sorted(map(str, parse_tag(tag)))]
    content[f"{dist_info}/METADATA"] = metadata_text(
        name,
        version,
        requires=requires,
        requires_python=requires_python,
        extras=extras,
        metadata_version=metadata_version,
    ).encode()
    content[f"{dist_info}/WHEEL"] = ("\n".join(wheel_lines) + "\n").encode()
    if top_level_txt:
        tops = sorted({path.split("/")[0].removesuffix(".py") for path in content} - {dist_info})
        content[f"{dist_info}/top_level.txt"] = "".join(f"{top}\n" for top in tops).encode()
    record = [_record_line(path, data) for path, data in content.items()]
    record.append(f"{dist_info}/RECORD,,")
    content[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()

    path = dest / wheel_filename(name, version, tag, build_tag)
    _write_zip(path, content)
    return path


def build_sdist(
    dest: Path,
    name: str,
    version: str,
    *,
    requires: Sequence[str] = (),
    requires_python: str | None = None,
    metadata_version: str = "2.2",
    dynamic: Sequence[str] = (),
    fmt: str = "tar.gz",
) -> Path:
    """Write a real sdist (``tar.gz`` or ``zip``) into ``dest`` and return its path.

    ``dynamic`` lists core-metadata fields declared ``Dynamic`` in PKG-INFO (PEP 643);
    a dynamic ``Requires-Dist`` is left out of PKG-INFO and computed by ``setup.py``,
    as setuptools does.
    """
    if fmt not in {"tar.gz", "zip"}:
        raise ValueError(f"fmt must be 'tar.gz' or 'zip', not {fmt!r}")
    dest.mkdir(parents=True, exist_ok=True)
    root = f"{dist_name(name)}-{Version(version)}"
    dynamic_fields = {field.lower() for field in dynamic}
    deps_dynamic = "requires-dist" in dynamic_fields
    pkg_info = metadata_text(
        name,
        version,
        requires=() if deps_dynamic else requires,
        requires_python=requires_python,
        metadata_version=metadata_version,
        dynamic=dynamic,
    )
    project = [
        "[build-system]",
        'requires = ["setuptools>=61"]',
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
        f'name = "{name}"',
        f'version = "{version}"',
    ]
    if requires_python is not None:
        project.append(f'requires-python = "{requires_python}"')
    if deps_dynamic:
        project.append('dynamic = ["dependencies"]')
    else:
        project.append(f"dependencies = {list(requires)!r}".replace("'", '"'))
    module = import_name(name)
    files = {
        f"{root}/PKG-INFO": pkg_info.encode(),
        f"{root}/pyproject.toml": ("\n".join(project) + "\n").encode(),
        f"{root}/{module}/__init__.py": f'__version__ = "{version}"\n'.encode(),
    }
    if deps_dynamic:
        files[f"{root}/setup.py"] = (
            f"from setuptools import setup\n\nsetup(install_requires={list(requires)!r})\n"
        ).encode()

    path = dest / sdist_filename(name, version, fmt)
    if fmt == "zip":
        _write_zip(path, files)
        return path
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for member_name, data in files.items():
            info = tarfile.TarInfo(member_name)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(buffer.getvalue())
    return path


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, as an index lists it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wheel_metadata_bytes(path: Path) -> bytes:
    """The ``.dist-info/METADATA`` of a wheel, byte for byte (a PEP 658 ``.metadata`` file)."""
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            top, _, rest = member.partition("/")
            if rest == "METADATA" and top.endswith(".dist-info"):
                return archive.read(member)
    raise ValueError(f"{path.name} has no .dist-info/METADATA")
