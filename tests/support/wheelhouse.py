"""An offline wheelhouse repacked from this environment, and an environment for pip to use it.

Tests that run real installers in subprocesses (``pip install /work/main``,
``pre-commit try-repo``) must not reach the internet, and pytest-socket only guards this
process. So we hand pip everything it will ask for, as wheels in one folder, and forbid
it any index::

    wheels = build_wheelhouse(tmp / "wheels", ["hatchling>=1.24", "httpx"], cache=cache)
    subprocess.run([venv_python, "-m", "pip", "install", "."], env=offline_pip_env(tmp / "wheels"))

``build_wheelhouse`` walks each root's ``Requires-Dist`` closure (markers evaluated for
this interpreter, extras only when a requirement names them) and *repacks the installed
distribution* into a wheel: the files its ``RECORD`` lists under site-packages plus its
``.dist-info``, with a fresh ``RECORD`` (sha256 and size of every file, the ``RECORD``
line itself without a hash). Left out on purpose:

- ``__pycache__`` and ``*.pyc``: the installer compiles its own;
- anything ``RECORD`` places outside site-packages (``../../../bin/tool``, data files):
  console scripts come back from ``entry_points.txt`` when pip installs the wheel, but
  other scripts and data files do not; a distribution that needs them (``ruff``'s binary
  is one) does not survive the round trip;
- what an installer writes, not the wheel: ``INSTALLER``, ``REQUESTED``,
  ``direct_url.json``, and ``RECORD.jws``/``RECORD.p7s`` signatures the repack would void.

Pure distributions (``Root-Is-Purelib: true``) are named ``…-py3-none-any.whl``; the
others keep the tags of the wheel they were installed from (the ``Tag:`` lines of their
``WHEEL``). ``WHEEL`` is kept as installed when its tags agree with the file name, and
written anew otherwise. Editable installs hold no code to repack and are refused.

``offline_pip_env`` returns ``os.environ`` without any ``PIP_*``/``VIRTUALENV_*`` setting,
and with pip's and virtualenv's configuration files switched off, the index switched off
and the wheelhouse as the only place to find distributions. It does *not* choose
``PRE_COMMIT_HOME`` (nor ``VIRTUALENV_OVERRIDE_APP_DATA``): set those to a temporary
directory yourself so nothing outside the test's tree is read or written.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import functools
import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.parser import HeaderParser
from importlib.metadata import Distribution, PackagePath, distributions
from pathlib import Path, PurePosixPath

from packaging.requirements import InvalidRequirement, Requirement
from packaging.tags import Tag, parse_tag
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

__all__ = [
    "DistributionFiles",
    "WheelhouseError",
    "build_wheelhouse",
    "dependency_closure",
    "no_network_prefix",
    "offline_pip_env",
    "project_requirements",
    "repack_distribution",
    "wheel_filename_for",
]

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_NOT_REPACKED = frozenset(
    # written by installers, voided by the repack (signatures), or written anew by it
    {"INSTALLER", "REQUESTED", "direct_url.json", "RECORD.jws", "RECORD.p7s", "RECORD", "WHEEL"}
)
_GENERATOR = "depslim-tests-wheelhouse"


class WheelhouseError(RuntimeError):
    """A distribution cannot be found or cannot be turned back into a wheel."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DistributionFiles:
    """What a repack of one installed distribution puts into its wheel.

    ``files`` maps each archive name (``pkg/mod.py``) to the installed file; the
    ``.dist-info`` directory's files are among them, except ``RECORD``, ``WHEEL`` and the
    installer's own files.
    """

    name: NormalizedName
    version: str
    dist_info: str
    files: Mapping[str, Path]
    wheel_text: str
    filename: str


# ---------------------------------------------------------------------------------------
# Finding distributions and their dependency closure


def _find(name: str, path: Sequence[str] | None) -> Distribution:
    found = distributions(name=name) if path is None else distributions(name=name, path=list(path))
    dist = next(iter(found), None)
    if dist is None:
        where = "sys.path" if path is None else ", ".join(path)
        raise WheelhouseError(f"{name} is not installed (searched {where})")
    return dist


def _requires(dist: Distribution) -> list[Requirement]:
    out = []
    for line in dist.requires or ():
        try:
            out.append(Requirement(line))
        except InvalidRequirement as exc:
            raise WheelhouseError(
                f"{dist.metadata['Name']} {dist.version}: bad Requires-Dist {line!r}: {exc}"
            ) from exc
    return out


def _wanted(requirement: Requirement, extras: Iterable[str]) -> bool:
    """Whether ``requirement`` applies to this interpreter for one of ``extras``
    (``""`` standing for "no extra")."""
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in extras)


def dependency_closure(
    roots: Sequence[str], *, path: Sequence[str] | None = None
) -> list[Distribution]:
    """The installed distributions ``roots`` (requirement strings) need, roots included.

    Markers are evaluated for the running interpreter; a requirement's extras pull in
    the dependencies under those extras, and only those. Every installed version must
    satisfy every specifier that asks for it (pre-releases allowed), or the wheelhouse
    would not install; ``WheelhouseError`` says which. ``path`` is where to look for
    distributions (default: ``sys.path``). The order is breadth-first from the roots.
    """
    dists: dict[NormalizedName, Distribution] = {}
    done: dict[NormalizedName, set[str]] = {}
    queue: list[tuple[Requirement, str]] = []
    for root in roots:
        try:
            queue.append((Requirement(root), "the roots"))
        except InvalidRequirement as exc:
            raise WheelhouseError(f"bad root requirement {root!r}: {exc}") from exc
    while queue:
        requirement, wanted_by = queue.pop(0)
        name = canonicalize_name(requirement.name)
        dist = dists.get(name) or _find(requirement.name, path)
        dists[name] = dist
        if requirement.specifier and not requirement.specifier.contains(
            dist.version, prereleases=True
        ):
            raise WheelhouseError(
                f"{requirement} (wanted by {wanted_by}) does not match the installed "
                f"{dist.metadata['Name']} {dist.version}"
            )
        extras = {canonicalize_name(extra) for extra in requirement.extras}
        seen = done.setdefault(name, set())
        new = ({""} | extras) - seen
        if not new:
            continue
        seen |= new
        owner = f"{dist.metadata['Name']} {dist.version}"
        queue.extend((dep, owner) for dep in _requires(dist) if _wanted(dep, sorted(new)))
    return list(dists.values())


def project_requirements(pyproject: Path) -> list[str]:
    """``[build-system] requires`` followed by ``[project] dependencies`` of a pyproject."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    build = data.get("build-system", {}).get("requires", [])
    runtime = data.get("project", {}).get("dependencies", [])
    return [str(item) for item in (*build, *runtime)]


# ---------------------------------------------------------------------------------------
# Repacking one distribution


def _dist_name(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _wheel_version(version: str) -> str:
    try:
        return str(Version(version))
    except InvalidVersion:
        return re.sub(r"[^\w\d.+]+", "_", version)


def _compressed_tag(tags: Iterable[Tag]) -> str:
    """``cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64`` for a set of tags.

    Refuses a set that its compressed form would widen (the file name stands for the
    product of its three parts).
    """
    tag_set = frozenset(tags)
    interpreters = sorted({tag.interpreter for tag in tag_set})
    abis = sorted({tag.abi for tag in tag_set})
    platforms = sorted({tag.platform for tag in tag_set})
    text = "-".join(".".join(part) for part in (interpreters, abis, platforms))
    if parse_tag(text) != tag_set:
        listed = ", ".join(sorted(str(tag) for tag in tag_set))
        raise WheelhouseError(f"tags {listed} do not fit one wheel file name")
    return text


def _dist_info_dir(dist: Distribution, files: Sequence[PackagePath]) -> str:
    candidates = {
        file.parts[0]
        for file in files
        if len(file.parts) == 2 and file.parts[0].endswith(".dist-info") and file.name == "METADATA"
    }
    if len(candidates) != 1:
        raise WheelhouseError(
            f"{dist.metadata['Name']} {dist.version}: RECORD names "
            f"{len(candidates)} .dist-info/METADATA files, expected one"
        )
    return candidates.pop()


def _wheel_headers(text: str) -> tuple[bool, list[Tag], str | None]:
    headers = HeaderParser().parsestr(text)
    pure = (headers.get("Root-Is-Purelib") or "").strip().lower() == "true"
    tags: list[Tag] = []
    for line in headers.get_all("Tag") or ():
        tags.extend(parse_tag(line.strip()))
    build = headers.get("Build")
    return pure, tags, build.strip() if build else None


def _is_editable(dist: Distribution) -> bool:
    raw = dist.read_text("direct_url.json")
    if not raw:
        return False
    try:
        info = json.loads(raw)
    except ValueError:
        return False
    return bool(isinstance(info, dict) and info.get("dir_info", {}).get("editable"))


def _skipped(file: PackagePath, dist_info: str) -> bool:
    parts = file.parts
    if not parts or ".." in parts or PurePosixPath(str(file)).is_absolute():
        return True
    if "__pycache__" in parts or file.suffix in {".pyc", ".pyo"}:
        return True
    return len(parts) == 2 and parts[0] == dist_info and file.name in _NOT_REPACKED


def _plan(dist: Distribution) -> DistributionFiles:
    label = f"{dist.metadata['Name']} {dist.version}"
    files = dist.files
    if files is None:
        raise WheelhouseError(f"{label} has no RECORD (not installed from a wheel?): cannot repack")
    if _is_editable(dist):
        raise WheelhouseError(f"{label} is an editable install: its code is not in site-packages")
    dist_info = _dist_info_dir(dist, files)
    name = canonicalize_name(dist.metadata["Name"])
    version = _wheel_version(dist.version)

    chosen: dict[str, Path] = {}
    for file in files:
        if _skipped(file, dist_info):
            continue
        location = Path(str(dist.locate_file(file)))
        if not location.is_file():
            raise WheelhouseError(f"{label}: {file} is in RECORD but not at {location}")
        chosen[PurePosixPath(*file.parts).as_posix()] = location

    original = dist.read_text("WHEEL")
    tags: list[Tag]
    if original is None:
        if any(Path(path).suffix in {".so", ".pyd", ".dylib"} for path in chosen):
            raise WheelhouseError(f"{label} has extension modules but no WHEEL to say their tags")
        pure, tags, build = True, [], None
    else:
        pure, tags, build = _wheel_headers(original)
        if not pure and not tags:
            raise WheelhouseError(f"{label}: WHEEL says Root-Is-Purelib false but has no Tag")
    tag_text = "py3-none-any" if pure else _compressed_tag(tags)
    if original is not None and frozenset(tags) == parse_tag(tag_text):
        wheel_text = original
    else:
        wheel_text = _new_wheel_text(pure, tag_text, build)
    parts = [_dist_name(name), version.replace("-", "_"), *([build] if build else []), tag_text]
    return DistributionFiles(
        name=name,
        version=version,
        dist_info=dist_info,
        files=chosen,
        wheel_text=wheel_text,
        filename="-".join(parts) + ".whl",
    )


def _new_wheel_text(pure: bool, tag_text: str, build: str | None) -> str:
    lines = [
        "Wheel-Version: 1.0",
        f"Generator: {_GENERATOR}",
        f"Root-Is-Purelib: {'true' if pure else 'false'}",
    ]
    if build:
        lines.append(f"Build: {build}")
    lines.extend(f"Tag: {tag}" for tag in sorted(str(tag) for tag in parse_tag(tag_text)))
    return "\n".join(lines) + "\n"


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def _zip_info(arcname: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(arcname, date_time=_ZIP_EPOCH)
    info.external_attr = (stat.S_IFREG | (mode & 0o777)) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def wheel_filename_for(dist: Distribution) -> str:
    """The wheel file name :func:`repack_distribution` gives ``dist``."""
    return _plan(dist).filename


def repack_distribution(dist: Distribution, dest: Path) -> Path:
    """Write the installed ``dist`` as a wheel into ``dest``; returns the wheel's path.

    The archive holds the package files in sorted order, then the ``.dist-info`` files
    with ``RECORD`` last; every date is 1980-01-01 and each file keeps its permission
    bits, so the same installed files give the same bytes. The wheel is written under a
    temporary name and renamed, so a reader never sees half of it.
    """
    plan = _plan(dist)
    dest.mkdir(parents=True, exist_ok=True)
    prefix = plan.dist_info + "/"
    body = sorted(path for path in plan.files if not path.startswith(prefix))
    info = sorted(path for path in plan.files if path.startswith(prefix))
    rows: list[tuple[str, str, str]] = []
    target = dest / plan.filename
    handle, temporary = tempfile.mkstemp(dir=dest, prefix=".repack-", suffix=".whl")
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w") as archive:
            for arcname in [*body, *info]:
                source = plan.files[arcname]
                data = source.read_bytes()
                archive.writestr(_zip_info(arcname, source.stat().st_mode), data)
                rows.append((arcname, _record_hash(data), str(len(data))))
            wheel_data = plan.wheel_text.encode("utf-8")
            archive.writestr(_zip_info(prefix + "WHEEL", 0o644), wheel_data)
            rows.append((prefix + "WHEEL", _record_hash(wheel_data), str(len(wheel_data))))
            record = io.StringIO()
            writer = csv.writer(record, lineterminator="\n")
            writer.writerows(rows)
            writer.writerow((prefix + "RECORD", "", ""))
            archive.writestr(_zip_info(prefix + "RECORD", 0o644), record.getvalue().encode("utf-8"))
        Path(temporary).chmod(0o644)
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


# ---------------------------------------------------------------------------------------
# The wheelhouse


def _cache_key(dist: Distribution) -> str:
    """``name-version-<hash of the installed RECORD>``: a reinstall of the same version
    with other files (a local patch, another build) gets a new cache entry."""
    record = dist.read_text("RECORD") or ""
    digest = hashlib.sha256(record.encode("utf-8")).hexdigest()[:16]
    return f"{_dist_name(dist.metadata['Name'])}-{_wheel_version(dist.version)}-{digest}"


def _cached_wheel(dist: Distribution, cache: Path) -> Path:
    entry = cache / _cache_key(dist)
    found = sorted(entry.glob("*.whl"))
    if len(found) == 1:
        return found[0]
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=cache, prefix=".staging-"))
    try:
        built = repack_distribution(dist, staging)
        if entry.exists():  # left half-made by an interrupted run
            shutil.rmtree(entry, ignore_errors=True)
        with contextlib.suppress(OSError):  # a concurrent run won: same bytes, keep its entry
            staging.rename(entry)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return entry / built.name


def build_wheelhouse(
    dest: Path,
    roots: Sequence[str],
    *,
    cache: Path | None = None,
    path: Sequence[str] | None = None,
) -> list[Path]:
    """Repack ``roots`` and their whole dependency closure into wheels in ``dest``.

    ``roots`` are requirement strings (``"hatchling>=1.24"``, ``"httpx[http2]"``); see
    :func:`dependency_closure` for how the closure is walked and ``path`` for where
    distributions are looked up. With ``cache``, each wheel is built once per installed
    distribution (name, version and the hash of its ``RECORD``) into that folder and
    copied from there. Returns the wheels in ``dest``, sorted by file name.
    """
    dest.mkdir(parents=True, exist_ok=True)
    wheels = []
    for dist in dependency_closure(roots, path=path):
        if cache is None:
            wheels.append(repack_distribution(dist, dest))
            continue
        source = _cached_wheel(dist, cache)
        wheels.append(Path(shutil.copyfile(source, dest / source.name)))
    return sorted(wheels, key=lambda wheel: wheel.name)


# ---------------------------------------------------------------------------------------
# The environment for pip (and virtualenv) to use it


def offline_pip_env(wheelhouse: Path, *, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default ``os.environ``) made to install from ``wheelhouse`` only.

    Removed: every ``PIP_*`` and ``VIRTUALENV_*`` variable, and ``PYTHONPATH`` (it would
    put the outer environment's packages in front of the new venv's). Set:

    - ``PIP_CONFIG_FILE=os.devnull``: pip reads no configuration file at all (this is
      pip's documented switch), so a machine's index mirrors or constraints don't apply;
    - ``PIP_NO_INDEX=1``, ``PIP_FIND_LINKS=<wheelhouse>``: the wheelhouse is the only
      source, for the install and for the isolated build environment pip makes for a
      PEP 517 backend (the subprocess inherits the environment);
    - ``PIP_DISABLE_PIP_VERSION_CHECK=1``, ``PIP_NO_INPUT=1``, ``PIP_NO_CACHE_DIR=1``:
      no self-update check, no prompts, no shared cache read or written;
    - ``VIRTUALENV_CONFIG_FILE=os.devnull``, ``VIRTUALENV_NO_PERIODIC_UPDATE=1``:
      virtualenv (which pre-commit uses) seeds pip from the wheels it bundles and never
      starts its background download of newer ones.

    Not set, the caller's job: ``PRE_COMMIT_HOME`` and ``VIRTUALENV_OVERRIDE_APP_DATA``
    (point both into a temporary directory).
    """
    source = os.environ if base is None else base
    env = {
        key: value
        for key, value in source.items()
        if not key.upper().startswith(("PIP_", "VIRTUALENV_")) and key.upper() != "PYTHONPATH"
    }
    env.update(
        {
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": str(wheelhouse),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
            "PIP_NO_CACHE_DIR": "1",
            "VIRTUALENV_CONFIG_FILE": os.devnull,
            "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
        }
    )
    return env


def no_network_prefix() -> list[str]:
    """A command prefix that runs a program with no network at all, or ``[]``.

    ``unshare --net`` puts the program in a network namespace of its own (only a
    loopback, and that one down): anything it tries to reach fails at once, so a test
    run with it *proves* it needed no network. Where namespaces are not allowed (no
    ``unshare``, no privileges, some containers) this returns ``[]`` and the program runs
    as usual, kept offline by :func:`offline_pip_env` alone.
    """
    return list(_no_network_prefix())


@functools.cache
def _no_network_prefix() -> tuple[str, ...]:
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    for prefix in ((unshare, "--net", "--"), (unshare, "--net", "--map-root-user", "--")):
        try:
            probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return prefix
    return ()
