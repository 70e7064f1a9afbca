"""PEP 751 ``pylock.toml``: writer and reader, through :mod:`packaging.pylock`.

The writer builds a :class:`packaging.pylock.Pylock` from depslim's
:class:`~depslim.models.Lock`, validates it with packaging's own rules and renders it
with tomlkit: one ``[[packages]]`` table per pin with its version, the index it came
from (the torch family keeps its own), and every file the target can install (url,
hashes, size and upload time where known). What only depslim needs (target, inputs
fingerprint, command, notes, indexes, ``via``) goes under ``[tool.depslim]``, so a lock
read back is the lock that was written.

The reader turns any valid ``pylock.toml`` (depslim's, uv's, pip's) into the lock model:
packages whose ``marker`` excludes the target are left out, and so are wheels whose tags
the target cannot install. :func:`format_for_output` decides which format an output
file gets and refuses a name that says otherwise.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import tomlkit
from packaging.markers import Marker
from packaging.pylock import (
    Package,
    PackageArchive,
    PackageSdist,
    PackageVcs,
    PackageWheel,
    Pylock,
    PylockValidationError,
    is_valid_pylock_path,
)
from packaging.specifiers import SpecifierSet
from packaging.utils import (
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import Version

from depslim.errors import DepslimError, InputError
from depslim.models import Lock, Pin, PinnedFile
from depslim.target import Target

__all__ = ["FORMATS", "format_for_output", "read_pylock", "write_pylock"]

FORMATS = ("requirements", "pylock", "json")
"""The lockfile formats depslim writes: pip-compile's requirements.txt, PEP 751, JSON."""

_LOCK_VERSION = "1.0"
_CREATED_BY = "depslim"
_SDIST_SUFFIXES = (".tar.gz", ".zip")


# --- choosing the format -------------------------------------------------------------


def format_for_output(path: str | None, requested: str | None) -> str:
    """The format to write ``path`` in: ``requested``, else what the name implies.

    ``pylock.toml`` and ``pylock.NAME.toml`` imply ``pylock``; ``*.txt`` and ``*.in``
    ``requirements``; ``*.json`` ``json``; any other name (or ``-``, or no output) takes
    ``requested``, else ``requirements``. Raises :class:`InputError` when ``requested``
    is not a known format, when the name implies another format than ``requested``, and
    for another ``*.toml`` name, which PEP 751 does not allow for a lock.
    """
    if requested is not None and requested not in FORMATS:
        raise InputError(f"unknown lock format '{requested}'; choose one of: {', '.join(FORMATS)}")
    if path is None or path == "-":
        return requested or "requirements"
    name = PurePosixPath(path.replace("\\", "/")).name
    lowered = name.lower()
    implied: str | None = None
    if is_valid_pylock_path(Path(name)):
        implied = "pylock"
    elif lowered.endswith(".toml"):
        hint = (
            "PEP 751 locks are named pylock.toml or pylock.NAME.toml (NAME without dots)"
            if lowered.startswith("pylock.")
            else "a lockfile is not TOML unless it is a PEP 751 pylock.toml"
        )
        raise InputError(
            f"{path}: {hint}; name the output pylock.toml for --format pylock, "
            "or requirements.txt for --format requirements"
        )
    elif lowered.endswith(".json"):
        implied = "json"
    elif lowered.endswith((".txt", ".in")):
        implied = "requirements"
    if implied is None:
        return requested or "requirements"
    if requested is not None and requested != implied:
        suggestion = {"pylock": "pylock.toml", "json": "lock.json"}.get(
            requested, "requirements.txt"
        )
        raise InputError(
            f"{path}: the name says {implied} but --format {requested} was asked for; "
            f"name the output like {suggestion} or drop --format"
        )
    return implied


# --- writing ---------------------------------------------------------------------------


def write_pylock(lock: Lock) -> str:
    """The lock as a PEP 751 ``pylock.toml``, validated by :mod:`packaging.pylock`.

    Raises :class:`InputError` when a pin cannot be written: its files' names are not
    known (a lock read from requirements.txt gives only hashes) or a direct reference
    has no hash.
    """
    pylock = Pylock(
        lock_version=Version(_LOCK_VERSION),
        environments=[_environment_marker(lock.target)],
        requires_python=SpecifierSet(f"=={lock.target.python_version}.*"),
        created_by=_CREATED_BY,
        packages=[_package(pin, lock) for pin in sorted(lock.pins, key=lambda p: p.name)],
        tool={"depslim": _tool_table(lock)},
    )
    try:
        pylock.validate()
    except PylockValidationError as exc:  # a bug in the mapping above, not user input
        raise DepslimError(f"depslim wrote an invalid pylock.toml: {exc}") from exc
    return _render(pylock.to_dict())


def _environment_marker(target: Target) -> Marker:
    env = target.marker_environment()
    keys = ("sys_platform", "platform_machine", "implementation_name", "python_version")
    return Marker(" and ".join(f"{key} == {_quote(env[key])}" for key in keys))


def _quote(value: str) -> str:
    return "'" + value.replace("'", "") + "'"


def _package(pin: Pin, lock: Lock) -> Package:
    depslim: dict[str, Any] = {}
    if pin.via:
        depslim["via"] = list(pin.via)
    dependencies = [{"name": name} for name in sorted(pin.dependencies)] or None
    if pin.url:
        direct = _direct(pin)
        written = Package(name=pin.name, version=pin.version, **direct)
        if _direct_url(written) != pin.url:  # a fragment PEP 751 has no field for
            depslim["url"] = pin.url
        return Package(
            name=pin.name,
            version=pin.version,
            dependencies=dependencies,
            tool={"depslim": depslim} if depslim else None,
            **direct,
        )
    tool = {"depslim": depslim} if depslim else None
    unknown = [f for f in pin.files if not f.known]
    if unknown or not pin.files:
        where = f" ({lock.source}:{pin.line})" if lock.source and pin.line else ""
        raise InputError(
            f"{pin.name}{where}: the names of its files are not known (a requirements lock "
            "records only hashes), and PEP 751 lists every file by name; lock again with "
            "--format pylock"
        )
    wheels = [_wheel(f) for f in pin.files if f.filename.endswith(".whl")]
    sdists = [f for f in pin.files if f.filename.endswith(_SDIST_SUFFIXES)]
    return Package(
        name=pin.name,
        version=pin.version,
        index=_index(pin, lock),
        dependencies=dependencies,
        sdist=_sdist(sdists[0]) if sdists else None,
        wheels=sorted(wheels, key=lambda w: w.filename) or None,
        tool=tool,
    )


def _index(pin: Pin, lock: Lock) -> str | None:
    """The simple index a pin came from; a find-links folder or page is not one."""
    if not pin.index or pin.index in lock.find_links:
        return None
    return pin.index


def _file_fields(file: PinnedFile) -> dict[str, Any]:
    url_name = unquote(urlsplit(file.url).path).rsplit("/", 1)[-1]
    return {
        "name": None if url_name == file.filename else file.filename,
        "url": file.url,
        "size": file.size,
        "upload_time": _datetime(file.upload_time),
        "hashes": {"sha256": file.sha256},
    }


def _wheel(file: PinnedFile) -> PackageWheel:
    return PackageWheel(**_file_fields(file))


def _sdist(file: PinnedFile) -> PackageSdist:
    return PackageSdist(**_file_fields(file))


def _datetime(text: str | None) -> datetime | None:
    """An index's upload time (ISO 8601, ``Z`` or an offset) as an aware datetime."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


_VCS_URL = re.compile(r"^(git|hg|svn|bzr)\+(.+?)(?:@([^@/#]+))?(?:#(.*))?$")


def _direct(pin: Pin) -> dict[str, Any]:
    """The ``vcs`` or ``archive`` field of a direct reference."""
    url = pin.url or ""
    vcs = _VCS_URL.match(url)
    if vcs is not None:
        kind, repo, revision, fragment = vcs.groups()
        if not revision:
            raise InputError(
                f"{pin.name} @ {url}: a VCS reference must name a commit to be locked; "
                "lock it again so that the commit is pinned"
            )
        return {
            "vcs": PackageVcs(
                type=kind,
                url=repo,
                commit_id=revision,
                subdirectory=_fragment(fragment, "subdirectory"),
            )
        }
    hashes = pin.hashes
    if not hashes:
        raise InputError(
            f"{pin.name} @ {url}: a direct reference needs its sha256 to be written to "
            "pylock.toml; lock it again so that the file's hash is pinned"
        )
    file = pin.files[0] if pin.files else None
    return {
        "archive": PackageArchive(
            url=url.split("#", 1)[0],
            size=file.size if file else None,
            upload_time=_datetime(file.upload_time) if file else None,
            hashes={"sha256": hashes[0]},
            subdirectory=_fragment(url.partition("#")[2], "subdirectory"),
        )
    }


def _fragment(fragment: str | None, key: str) -> str | None:
    for part in (fragment or "").split("&"):
        name, _, value = part.partition("=")
        if name == key and value:
            return value
    return None


def _tool_table(lock: Lock) -> dict[str, Any]:
    target = lock.target
    table: dict[str, Any] = {
        "target": target.platform,
        "python": target.python_full,
    }
    optional: dict[str, Any] = {
        "command": lock.command or None,
        "inputs-hash": lock.inputs_hash,
        "inputs": list(lock.inputs) or None,
        "index-url": lock.index_url,
        "extra-index-urls": list(lock.extra_index_urls) or None,
        "find-links": list(lock.find_links) or None,
        "no-index": lock.no_index or None,
        "torch-index-url": lock.torch_index_url,
        "notes": list(lock.notes) or None,
    }
    table.update({key: value for key, value in optional.items() if value is not None})
    return table


_TOP_ORDER = (
    "lock-version",
    "environments",
    "requires-python",
    "extras",
    "dependency-groups",
    "default-groups",
    "created-by",
)


def _render(data: Mapping[str, Any]) -> str:
    """The dictionary ``Pylock.to_dict()`` gives, as TOML laid out the way PEP 751 shows."""
    doc = tomlkit.document()
    for key in _TOP_ORDER:
        if key == "environments" and key in data:
            doc.add(key, [tomlkit.string(m, literal="'" not in m) for m in data[key]])
        elif key in data:
            doc.add(key, data[key])
    if "tool" in data:
        tool = tomlkit.table(is_super_table=True)
        for name, table in data["tool"].items():
            tool.add(name, _table(table))
        doc.add(tomlkit.nl())
        doc.add("tool", tool)
    packages = tomlkit.aot()
    for package in data["packages"]:
        packages.append(_package_table(package))
    doc.add("packages", packages)
    return tomlkit.dumps(doc)


def _table(values: Mapping[str, Any]) -> Any:
    table = tomlkit.table()
    for key, value in values.items():
        table.add(key, _multiline(value) if isinstance(value, list) and len(value) > 1 else value)
    return table


def _multiline(values: Sequence[Any]) -> Any:
    array = tomlkit.array()
    array.extend(values)
    return array.multiline(multiline=True)


_PACKAGE_ORDER = (
    "name",
    "version",
    "marker",
    "requires-python",
    "index",
    "dependencies",
    "vcs",
    "directory",
    "archive",
    "sdist",
    "wheels",
    "attestation-identities",
    "tool",
)
_FILE_ORDER = ("name", "type", "url", "path", "requested-revision", "commit-id", "subdirectory")
_FILE_TAIL = ("size", "upload-time", "hashes")


def _ordered(values: Mapping[str, Any], order: Sequence[str]) -> list[tuple[str, Any]]:
    rank = {key: i for i, key in enumerate(order)}
    return sorted(values.items(), key=lambda kv: rank.get(kv[0], len(order)))


def _package_table(package: Mapping[str, Any]) -> Any:
    table = tomlkit.table()
    for key, value in _ordered(package, _PACKAGE_ORDER):
        if key in ("wheels", "dependencies"):
            array = tomlkit.array()
            for item in value:
                array.append(_inline(item))
            table.add(key, array.multiline(multiline=True))
        elif key in ("sdist", "archive", "vcs"):
            table.add(key, _inline(value))
        elif key == "tool":
            tool = tomlkit.table(is_super_table=True)
            for name, inner in value.items():
                tool.add(name, _table(inner))
            table.add(key, tool)
        else:
            table.add(key, value)
    return table


def _inline(values: Mapping[str, Any]) -> Any:
    inline = tomlkit.inline_table()
    for key, value in _ordered(values, (*_FILE_ORDER, "editable", *_FILE_TAIL)):
        inline.append(key, _inline(value) if isinstance(value, Mapping) else value)
    return inline


# --- reading ---------------------------------------------------------------------------


def read_pylock(text: str, *, source: str, target: Target | None = None) -> Lock:
    """A PEP 751 lock (``text``, read from ``source``) as the lock model every verb reads.

    The target is the one depslim recorded under ``[tool.depslim]``, else ``target``,
    else ``linux/amd64`` with the running Python. Packages whose marker excludes the
    target and wheels it cannot install are left out; a name left twice is an error.
    Raises :class:`InputError` naming ``source`` (and the line of the package at fault)
    for invalid TOML, a file PEP 751 does not allow, and files without a sha256.
    """
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{source}: invalid TOML: {exc}; fix the syntax there") from None
    try:
        pylock = Pylock.from_dict(data)
    except PylockValidationError as exc:
        raise InputError(
            f"{source}: not a valid PEP 751 lock: {exc}; write it again with the tool that made it"
        ) from None
    tool = _depslim_table(pylock.tool)
    target = _target(tool, target)
    environment: dict[str, str] = dict(target.marker_environment())
    lines = _package_lines(text, len(pylock.packages))
    pins: dict[NormalizedName, Pin] = {}
    for package, line in zip(pylock.packages, lines, strict=True):
        if package.marker is not None and not package.marker.evaluate(
            {**environment, "extra": "", "dependency_groups": ""}
        ):
            continue
        pin = _pin(package, target, source, line)
        if pin.name in pins:
            raise InputError(
                f"{_where(source, line)}: {pin.name} is locked twice for {target}; "
                "depslim reads one version per project and target"
            )
        pins[pin.name] = pin
    return Lock(
        target=target,
        pins=tuple(pins.values()),
        index_url=_str(tool, "index-url"),
        extra_index_urls=_strs(tool, "extra-index-urls"),
        find_links=_strs(tool, "find-links"),
        command=_str(tool, "command") or "",
        inputs_hash=_str(tool, "inputs-hash"),
        notes=_strs(tool, "notes"),
        torch_index_url=_str(tool, "torch-index-url"),
        inputs=_strs(tool, "inputs"),
        no_index=tool.get("no-index") is True,
        source=source,
    )


def _depslim_table(tool: Mapping[str, Any] | None) -> Mapping[str, Any]:
    table = (tool or {}).get("depslim")
    return table if isinstance(table, Mapping) else {}


def _str(table: Mapping[str, Any], key: str) -> str | None:
    value = table.get(key)
    return value if isinstance(value, str) else None


def _strs(table: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = table.get(key)
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str))


def _target(tool: Mapping[str, Any], given: Target | None) -> Target:
    platform, python = _str(tool, "target"), _str(tool, "python")
    if platform is not None:
        try:
            return Target.parse(platform, python=python)
        except DepslimError:
            pass  # a hand-edited table naming an unknown platform: keep the given target
    return given if given is not None else Target.parse()


_PACKAGES_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*packages[ \t]*\]\]", re.MULTILINE)


def _package_lines(text: str, count: int) -> list[int | None]:
    """The line of each ``[[packages]]`` header, when the file is written that way."""
    starts = [m.start() for m in _PACKAGES_HEADER.finditer(text)]
    if len(starts) != count:
        return [None] * count
    return [text.count("\n", 0, start) + 1 for start in starts]


def _where(source: str, line: int | None) -> str:
    return source if line is None else f"{source}:{line}"


def _pin(package: Package, target: Target, source: str, line: int | None) -> Pin:
    files: list[PinnedFile] = []
    for wheel in package.wheels or ():
        try:
            tags = parse_wheel_filename(wheel.filename)[3]
        except InvalidWheelFilename:
            continue  # packaging validated the name already
        if target.supports(tags):
            files.append(_pinned(wheel, package, source, line))
    if package.sdist is not None:
        files.append(_pinned(package.sdist, package, source, line))
    depslim = _depslim_table(package.tool)
    via = _strs(depslim, "via")
    url = _direct_url(package)
    if url is not None and package.archive is not None:
        files.append(_pinned(package.archive, package, source, line))
    return Pin(
        name=package.name,
        version=package.version,
        index=package.index or "",
        files=tuple(files),
        via=via,
        url=_str(depslim, "url") or url,
        dependencies=tuple(
            canonicalize_name(d["name"])
            for d in package.dependencies or ()
            if isinstance(d.get("name"), str)
        ),
        line=line,
    )


def _pinned(
    file: PackageWheel | PackageSdist | PackageArchive,
    package: Package,
    source: str,
    line: int | None,
) -> PinnedFile:
    digest = file.hashes.get("sha256")
    if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-fA-F]{64}", digest):
        raise InputError(
            f"{_where(source, line)}: a file of {package.name} has no sha256 hash "
            f"(only {', '.join(sorted(file.hashes)) or 'none'}); depslim pins sha256, "
            "lock it again with sha256 hashes"
        )
    if isinstance(file, PackageArchive):
        filename = _url_name(file.url or file.path or "")
    else:
        filename = file.filename
    upload = file.upload_time
    return PinnedFile(
        filename=filename,
        url=file.url or file.path or "",
        sha256=digest.lower(),
        size=file.size,
        upload_time=None if upload is None else _iso(upload),
    )


def _iso(moment: datetime) -> str:
    """``moment`` as an index writes it: UTC with ``Z``, no more sub-seconds than needed."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    if moment.microsecond == 0:
        timespec = "seconds"
    elif moment.microsecond % 1000 == 0:
        timespec = "milliseconds"
    else:
        timespec = "microseconds"
    text = moment.replace(tzinfo=None).isoformat(timespec=timespec)
    return text + "Z"


def _url_name(url: str) -> str:
    return unquote(urlsplit(url).path).rsplit("/", 1)[-1]


def _direct_url(package: Package) -> str | None:
    if package.vcs is not None:
        vcs = package.vcs
        base = vcs.url or vcs.path or ""
        url = f"{vcs.type}+{base}@{vcs.commit_id}"
        return url + (f"#subdirectory={vcs.subdirectory}" if vcs.subdirectory else "")
    if package.archive is not None:
        archive = package.archive
        url = archive.url or archive.path or ""
        return url + (f"#subdirectory={archive.subdirectory}" if archive.subdirectory else "")
    if package.directory is not None:
        return package.directory.path
    return None
