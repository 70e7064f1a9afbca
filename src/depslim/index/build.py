"""Core metadata of an sdist whose metadata is not static, by running its build backend.

Only used when the user passed ``--allow-build``: it runs the package's own code. The
steps are those of PEP 517, each in a subprocess with a timeout:

1. unpack the sdist into a temporary directory, refusing any member that would land
   outside it (absolute paths, ``..``, links pointing out, devices);
2. read ``[build-system]`` from its ``pyproject.toml`` (PEP 518; without one, the
   setuptools legacy backend);
3. create an isolated virtual environment and install the build requirements into it
   with pip, run as a program (depslim never imports pip), pointed at the same index;
4. ask the backend for more requirements (``get_requires_for_build_wheel``), install
   them, then call ``prepare_metadata_for_build_wheel`` (or ``build_wheel`` when the
   backend lacks that hook) through a small runner script, and read ``METADATA``.

Any failure raises :class:`~depslim.errors.BuildFailedError` naming the package, the
step and the last lines of the build's output.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import tomllib
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from depslim.errors import BuildFailedError
from depslim.index.filenames import parse_filename, sdist_extension

__all__ = [
    "DEFAULT_BUILD_SYSTEM",
    "BuildSystem",
    "build_metadata",
    "extract_sdist",
    "parse_build_system",
    "safe_member_parts",
]

_LEGACY_BACKEND = "setuptools.build_meta:__legacy__"
_LEGACY_REQUIRES = "setuptools>=40.8.0"
_DOTTED = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
_BACKEND_RE = re.compile(rf"^{_DOTTED}(?::{_DOTTED})?$")
_PIP_VERSION_RE = re.compile(r"^pip (\d+)\.(\d+)")
_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_MAX_UNPACKED = 2 * 1024**3
_MAX_MEMBERS = 200_000
_MAX_METADATA = 16 * 1024 * 1024
_TAIL_LINES = 20
_TAIL_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildSystem:
    """An sdist's ``[build-system]``: what to install, which backend, where it lives."""

    requires: tuple[str, ...]
    backend: str
    backend_path: tuple[str, ...] = ()


DEFAULT_BUILD_SYSTEM = BuildSystem(requires=(_LEGACY_REQUIRES,), backend=_LEGACY_BACKEND)
"""What PEP 517/518 say to use when an sdist has no ``pyproject.toml`` (or no table)."""


# --------------------------------------------------------------------------- pyproject


def _string_list(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{what} must be a list of strings")
    return tuple(value)


def _requirement(text: str, what: str) -> str:
    """``text`` if it is a PEP 508 requirement (so it can never pass as a pip option)."""
    try:
        Requirement(text)
    except InvalidRequirement as exc:
        raise ValueError(f"{what}: invalid requirement {text!r}: {exc}") from None
    return text


def parse_build_system(text: str) -> BuildSystem:
    """The build system a ``pyproject.toml``'s text declares (PEP 517/518).

    No ``[build-system]`` table: :data:`DEFAULT_BUILD_SYSTEM`. A table without
    ``build-backend``: the setuptools legacy backend, with setuptools added to
    ``requires`` if missing. Raises ``ValueError`` saying what is wrong.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"pyproject.toml is not valid TOML: {exc}") from None
    table = data.get("build-system")
    if table is None:
        return DEFAULT_BUILD_SYSTEM
    if not isinstance(table, dict):
        raise ValueError("[build-system] must be a table")  # noqa: TRY004 - one error type
    if "requires" not in table:
        raise ValueError("[build-system] has no 'requires' key (PEP 518 makes it mandatory)")
    requires = tuple(
        _requirement(item, "[build-system] requires")
        for item in _string_list(table["requires"], "[build-system] requires")
    )
    backend = table.get("build-backend")
    if backend is None:
        if not any(canonicalize_name(Requirement(r).name) == "setuptools" for r in requires):
            requires = (*requires, _LEGACY_REQUIRES)
        return BuildSystem(requires=requires, backend=_LEGACY_BACKEND)
    if not isinstance(backend, str) or not _BACKEND_RE.match(backend.strip()):
        raise ValueError(f"[build-system] build-backend {backend!r} is not 'module:object'")
    backend_path = _string_list(table.get("backend-path", []), "[build-system] backend-path")
    return BuildSystem(requires=requires, backend=backend.strip(), backend_path=backend_path)


# --------------------------------------------------------------------------- unpacking


def safe_member_parts(name: str) -> tuple[str, ...]:
    """The path components of an archive member, or ``ValueError`` if it could escape.

    Absolute paths, drive letters, ``..`` components and NUL characters are refused;
    ``.`` and empty components are dropped (``./pkg//a`` is ``("pkg", "a")``).
    """
    if "\0" in name:
        raise ValueError(f"member {name!r} has a NUL character")
    text = name.replace("\\", "/")
    if text.startswith("/") or _DRIVE_RE.match(text):
        raise ValueError(f"member {name!r} has an absolute path")
    parts = tuple(part for part in text.split("/") if part not in {"", "."})
    if ".." in parts:
        raise ValueError(f"member {name!r} has a '..' component")
    return parts


def _link_target(parent: tuple[str, ...], target: str, links: set[str], name: str) -> str:
    """Where a symlink at ``parent/…`` to ``target`` points, inside the tree, or raise.

    The walk refuses to pass through another symlink: ``..`` after a link is not what a
    lexical walk says it is.
    """
    text = target.replace("\\", "/")
    if not text or text.startswith("/") or _DRIVE_RE.match(text) or "\0" in text:
        raise ValueError(f"link {name!r} points to {target!r}, outside the sdist")
    stack = list(parent)
    for part in text.split("/"):
        if part in {"", "."}:
            continue
        if part == "..":
            if not stack:
                raise ValueError(f"link {name!r} points to {target!r}, outside the sdist")
            stack.pop()
            continue
        stack.append(part)
        if "/".join(stack) in links:
            raise ValueError(f"link {name!r} points through another link ({target!r})")
    return "/".join(stack)


def _check_tar(members: Sequence[tarfile.TarInfo]) -> list[tarfile.TarInfo]:
    """The members to extract, after refusing the whole archive if any is unsafe."""
    if len(members) > _MAX_MEMBERS:
        raise ValueError(f"more than {_MAX_MEMBERS} members")
    parsed = [(member, safe_member_parts(member.name)) for member in members]
    links = {"/".join(parts) for member, parts in parsed if member.issym() and parts}
    files = {"/".join(parts) for member, parts in parsed if member.isreg() and parts}
    total = 0
    chosen = []
    for member, parts in parsed:
        if not parts:
            continue
        for depth in range(1, len(parts)):
            if "/".join(parts[:depth]) in links:
                raise ValueError(f"member {member.name!r} lies under a symlink")
        if member.issym():
            _link_target(parts[:-1], member.linkname, links - {"/".join(parts)}, member.name)
        elif member.islnk():
            target = "/".join(safe_member_parts(member.linkname))
            if target not in files:
                raise ValueError(
                    f"hard link {member.name!r} to {member.linkname!r}, no file of the sdist"
                )
        elif member.isreg():
            total += member.size
        elif not member.isdir():
            raise ValueError(f"member {member.name!r} is not a file, directory or link")
        chosen.append(member)
    if total > _MAX_UNPACKED:
        raise ValueError(f"unpacks to more than {_MAX_UNPACKED // 1024**3} GiB")
    return chosen


def _extract_tar(archive: Path, dest: Path) -> None:
    with tarfile.open(archive, mode="r:*") as tar:
        members = _check_tar(tar.getmembers())
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, members=members, filter="data")
        else:  # Python < 3.11.4: the checks above are the whole defence
            tar.extractall(dest, members=members)  # noqa: S202 - members checked above


def _extract_zip(archive: Path, dest: Path) -> None:
    with zipfile.ZipFile(archive) as zipped:
        infos = zipped.infolist()
        if len(infos) > _MAX_MEMBERS:
            raise ValueError(f"more than {_MAX_MEMBERS} members")
        parsed = [(info, safe_member_parts(info.filename)) for info in infos]
        if sum(info.file_size for info, _ in parsed) > _MAX_UNPACKED:
            raise ValueError(f"unpacks to more than {_MAX_UNPACKED // 1024**3} GiB")
        for info, parts in parsed:
            if not parts:
                continue
            path = dest.joinpath(*parts)
            if info.is_dir():
                path.mkdir(parents=True, exist_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            # A zip "symlink" is written as a file holding its target: never followed.
            with zipped.open(info) as source, path.open("wb") as target:
                shutil.copyfileobj(source, target)


def extract_sdist(archive: Path, dest: Path, *, filename: str) -> Path:
    """Unpack the sdist ``archive`` into ``dest`` and return its source tree.

    The source tree is the archive's single top-level directory (``name-version/``), or
    ``dest`` itself when there is none. Raises ``ValueError`` naming the first unsafe or
    unreadable member; nothing is written then.
    """
    ext = sdist_extension(filename)
    if ext is None:
        raise ValueError(f"{filename} is not an sdist (unknown archive type)")
    try:
        if ext == ".zip":
            _extract_zip(archive, dest)
        else:
            _extract_tar(archive, dest)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ValueError(f"cannot unpack {filename}: {exc}") from None
    entries = list(dest.iterdir())
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return dest


# --------------------------------------------------------------------------- subprocesses

# The runner imports the backend named in a request file and calls one hook. The
# backend's own output (and its children's) goes to stderr: stdout carries one JSON
# answer. Kept to old syntax: it runs on whatever Python builds the package.
_RUNNER = r"""
import importlib, json, os, sys, traceback

def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        request = json.load(handle)
    answer_fd = os.dup(1)
    os.dup2(2, 1)

    def answer(value):
        sys.stdout.flush()
        with os.fdopen(answer_fd, "w", encoding="utf-8") as out:
            out.write(json.dumps(value))

    paths = request["backend_path"]
    sys.path[:0] = paths
    module_name, _, attributes = request["backend"].partition(":")
    try:
        backend = importlib.import_module(module_name)
        for attribute in filter(None, attributes.split(".")):
            backend = getattr(backend, attribute)
    except Exception:
        traceback.print_exc()
        answer({"error": "cannot import the build backend " + request["backend"]})
        return 1
    if paths:
        origin = os.path.abspath(getattr(sys.modules[module_name], "__file__", None) or "")
        if not any(origin.startswith(os.path.join(p, "")) for p in paths):
            answer({"error": "the backend was not loaded from backend-path: " + origin})
            return 1
    hook = getattr(backend, request["hook"], None)
    if hook is None:
        answer({"missing": True})
        return 0
    try:
        result = hook(**request["kwargs"])
    except (Exception, SystemExit):
        traceback.print_exc()
        answer({"error": "the backend's " + request["hook"] + " raised an exception"})
        return 1
    answer({"result": result})
    return 0

sys.exit(main())
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Step:
    """What one build is doing, for error messages."""

    package: str
    work: Path
    env: Mapping[str, str]
    timeout: float

    def fail(self, step: str, reason: str, log: Path | None = None) -> BuildFailedError:
        output = _tail(log) if log is not None else ""
        message = f"building the metadata of {self.package} failed at {step}: {reason}"
        if output:
            lines = "\n".join(f"    {line}" for line in output.splitlines())
            message += f"\n  last lines of output:\n{lines}"
        return BuildFailedError(message, package=self.package, step=step, output=output)

    def run(
        self,
        step: str,
        command: Sequence[str],
        *,
        cwd: Path,
        hook: bool = False,
        extra_env: Mapping[str, str] | None = None,
    ) -> str:
        """Run ``command``; its stdout, or :class:`BuildFailedError` with the log's tail.

        ``hook``: the command is the hook runner, whose JSON answer says what failed.
        ``extra_env`` is added to the environment (secrets go there, not on the command
        line, where any process list shows them).
        """
        log = self.work / "step.log"
        with log.open("wb") as sink:
            try:
                process = subprocess.Popen(
                    list(command),
                    cwd=cwd,
                    env={**self.env, **(extra_env or {})},
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=sink,
                    start_new_session=os.name == "posix",
                )
            except OSError as exc:
                raise self.fail(step, f"cannot run {command[0]}: {exc.strerror}") from None
            try:
                out, _ = process.communicate(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                _kill(process)
                raise self.fail(step, f"no result within {self.timeout:g} s", log) from None
        if process.returncode != 0:
            if hook:
                # The runner's answer says why; the log has the traceback.
                detail = _answer(out).get("error")
                if isinstance(detail, str):
                    raise self.fail(step, detail, log)
            raise self.fail(step, f"exit status {process.returncode}", log)
        return out.decode("utf-8", errors="replace")


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Kill ``process`` and everything it started (its own session on POSIX)."""
    try:
        if os.name == "posix":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except OSError:
        process.kill()
    process.communicate()


def _tail(log: Path) -> str:
    try:
        with log.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - _TAIL_BYTES))
            data = handle.read()
    except OSError:
        return ""
    lines = data.decode("utf-8", errors="replace").rstrip().splitlines()
    return "\n".join(line.rstrip() for line in lines[-_TAIL_LINES:])


def _answer(stdout: bytes | str) -> dict[str, Any]:
    text = stdout.decode("utf-8", errors="replace") if isinstance(stdout, bytes) else stdout
    try:
        value = json.loads(text.strip().splitlines()[-1]) if text.strip() else None
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


_HOST_PIP: dict[str, bool] = {}
_HOST_PIP_LOCK = threading.Lock()


def _host_pip_usable(step: _Step, python: str) -> bool:
    """Whether ``python -m pip`` exists and knows ``--python`` (pip 22.3 or later)."""
    with _HOST_PIP_LOCK:
        known = _HOST_PIP.get(python)
    if known is not None:
        return known
    try:
        done = subprocess.run(
            [python, "-m", "pip", "--version"],
            env=dict(step.env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=step.timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        usable = False
    else:
        match = _PIP_VERSION_RE.match(done.stdout.decode("utf-8", errors="replace"))
        version = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
        usable = done.returncode == 0 and version >= (22, 3)
    with _HOST_PIP_LOCK:
        _HOST_PIP[python] = usable
    return usable


def _venv_python(venv: Path) -> Path:
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def _pip_for(step: _Step, python: str, venv_python: Path) -> list[str]:
    """The command that runs pip for the build environment.

    The host's pip with ``--python`` when it is new enough (fast: nothing to install),
    else a pip bootstrapped into the environment from the standard library's
    ``ensurepip`` (works offline).
    """
    if _host_pip_usable(step, python):
        return [python, "-m", "pip", "--python", str(venv_python)]
    step.run("bootstrapping pip (ensurepip)", [str(venv_python), "-m", "ensurepip"], cwd=step.work)
    return [str(venv_python), "-m", "pip"]


def _install(
    step: _Step,
    name: str,
    pip: Sequence[str],
    requirements: Sequence[str],
    *,
    index_url: str | None,
    find_links: Sequence[str],
) -> None:
    # the index URL may hold credentials: pip reads it from its environment instead of
    # the command line, which `ps` shows to every user of the machine
    sources = [] if index_url else ["--no-index"]
    extra_env = {"PIP_INDEX_URL": index_url} if index_url else {}
    for location in find_links:
        sources += ["--find-links", location]
    command = [
        *pip,
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--no-warn-script-location",
        "--progress-bar",
        "off",
        *sources,
        *requirements,
    ]
    step.run(name, command, cwd=step.work, extra_env=extra_env)


def _call_hook(
    step: _Step,
    *,
    venv_python: Path,
    source: Path,
    system: BuildSystem,
    backend_path: Sequence[str],
    hook: str,
    kwargs: Mapping[str, Any],
) -> dict[str, Any]:
    runner = step.work / "runner.py"
    if not runner.exists():
        runner.write_text(_RUNNER, encoding="utf-8")
    request = step.work / "request.json"
    request.write_text(
        json.dumps(
            {
                "backend": system.backend,
                "backend_path": list(backend_path),
                "hook": hook,
                "kwargs": dict(kwargs),
            }
        ),
        encoding="utf-8",
    )
    command = [str(venv_python), "-I", str(runner), str(request)]
    out = step.run(hook, command, cwd=source, hook=True)
    answer = _answer(out)
    if not answer:
        raise step.fail(hook, "the hook runner gave no answer", step.work / "step.log")
    return answer


# --------------------------------------------------------------------------- the build


def _describe(filename: str) -> str:
    parsed = parse_filename(filename)
    return f"{parsed[0]} {parsed[1]} ({filename})" if parsed else filename


def _read_build_system(step: _Step, source: Path) -> tuple[BuildSystem, list[str]]:
    """The sdist's build system and its ``backend-path`` as absolute paths in the tree."""
    where = "reading pyproject.toml"
    pyproject = source / "pyproject.toml"
    if not pyproject.is_file():
        if not (source / "setup.py").is_file():
            raise step.fail(where, "the sdist has neither pyproject.toml nor setup.py")
        return DEFAULT_BUILD_SYSTEM, []
    try:
        system = parse_build_system(pyproject.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise step.fail(where, "pyproject.toml is not UTF-8") from None
    except ValueError as exc:
        raise step.fail(where, str(exc)) from None
    root = source.resolve()
    paths = []
    for entry in system.backend_path:
        resolved = (root / entry).resolve()
        if not resolved.is_relative_to(root):
            raise step.fail(where, f"backend-path {entry!r} lies outside the source tree")
        paths.append(str(resolved))
    return system, paths


def _checked_requirements(step: _Step, hook: str, result: object) -> list[str]:
    if not isinstance(result, list) or not all(isinstance(item, str) for item in result):
        raise step.fail(hook, f"the hook returned {result!r}, not a list of strings")
    try:
        return [_requirement(item, hook) for item in result]
    except ValueError as exc:
        raise step.fail(hook, str(exc)) from None


def _dist_info_metadata(step: _Step, hook: str, directory: Path, name: object) -> bytes:
    if (
        not isinstance(name, str)
        or not name.endswith(".dist-info")
        or PurePosixPath(name.replace("\\", "/")).name != name
        or name in {".", ".."}
    ):
        raise step.fail(hook, f"the hook returned {name!r}, not a .dist-info directory name")
    path = directory / name / "METADATA"
    try:
        if path.stat().st_size > _MAX_METADATA:
            raise step.fail(hook, "METADATA is implausibly large")
        return path.read_bytes()
    except OSError as exc:
        raise step.fail(hook, f"cannot read {name}/METADATA: {exc.strerror}") from None


def _wheel_metadata(step: _Step, directory: Path, name: object) -> bytes:
    hook = "build_wheel"
    if not isinstance(name, str) or not name.endswith(".whl") or Path(name).name != name:
        raise step.fail(hook, f"the hook returned {name!r}, not a wheel file name")
    try:
        with zipfile.ZipFile(directory / name) as wheel:
            members = [
                info
                for info in wheel.infolist()
                if re.fullmatch(r"[^/]+\.dist-info/METADATA", info.filename)
            ]
            if len(members) != 1:
                raise step.fail(hook, f"{name} has {len(members)} .dist-info/METADATA files")
            if members[0].file_size > _MAX_METADATA:
                raise step.fail(hook, "METADATA is implausibly large")
            return wheel.read(members[0])
    except (OSError, zipfile.BadZipFile) as exc:
        raise step.fail(hook, f"cannot read {name}: {exc}") from None


def build_metadata(
    sdist_path: Path,
    *,
    filename: str,
    index_url: str | None,
    find_links: Sequence[str] = (),
    timeout: float = 600.0,
    python: str = sys.executable,
    env: Mapping[str, str] | None = None,
) -> bytes:
    """The core metadata (``METADATA`` bytes) the sdist's build backend produces.

    ``filename`` is the sdist's name on the index (it says the archive type).
    Requirements are installed with pip from ``index_url`` (``None``: no index) and
    ``find_links`` only. ``timeout`` bounds each subprocess; ``python`` is the
    interpreter the isolated build environment is made from; ``env`` the environment of
    every subprocess (default: this process's, so the user's pip configuration applies).
    Runs the package's code. Raises :class:`~depslim.errors.BuildFailedError`.
    """
    package = _describe(filename)
    environment = dict(os.environ if env is None else env)
    environment.pop("PYTHONPATH", None)
    environment.pop("PYTHONHOME", None)
    with tempfile.TemporaryDirectory(prefix="depslim-build-", ignore_cleanup_errors=True) as tmp:
        work = Path(tmp)
        step = _Step(package=package, work=work, env=environment, timeout=timeout)
        unpacked = work / "src"
        unpacked.mkdir()
        try:
            source = extract_sdist(sdist_path, unpacked, filename=filename)
        except ValueError as exc:
            raise step.fail("unpacking the sdist", f"refused: {exc}") from None
        system, backend_path = _read_build_system(step, source)

        venv = work / "env"
        step.run(
            "creating the build environment",
            [python, "-m", "venv", "--without-pip", str(venv)],
            cwd=work,
        )
        venv_python = _venv_python(venv)
        pip: list[str] | None = None

        def install(name: str, requirements: Sequence[str]) -> None:
            nonlocal pip
            if not requirements:
                return
            if pip is None:
                pip = _pip_for(step, python, venv_python)
            _install(step, name, pip, requirements, index_url=index_url, find_links=find_links)

        def call(hook: str, **kwargs: Any) -> dict[str, Any]:
            return _call_hook(
                step,
                venv_python=venv_python,
                source=source,
                system=system,
                backend_path=backend_path,
                hook=hook,
                kwargs=kwargs,
            )

        install("installing build requirements", system.requires)
        hook = "get_requires_for_build_wheel"
        answer = call(hook, config_settings=None)
        extra = [] if answer.get("missing") else _checked_requirements(step, hook, answer["result"])
        install("installing the backend's extra requirements", extra)

        metadata_dir = work / "metadata"
        metadata_dir.mkdir()
        hook = "prepare_metadata_for_build_wheel"
        answer = call(hook, metadata_directory=str(metadata_dir), config_settings=None)
        if not answer.get("missing"):
            return _dist_info_metadata(step, hook, metadata_dir, answer.get("result"))
        wheel_dir = work / "wheel"
        wheel_dir.mkdir()
        answer = call("build_wheel", wheel_directory=str(wheel_dir), config_settings=None)
        if answer.get("missing"):
            raise step.fail("build_wheel", f"the backend {system.backend} has no build_wheel hook")
        return _wheel_metadata(step, wheel_dir, answer.get("result"))
