"""``--allow-build``: real PEP 517 builds of real sdists, offline.

Every sdist here is written by the test with an in-tree build backend (``backend-path``)
or a backend package served by a real index on 127.0.0.1, so no build reaches the
internet. pip runs with no configuration file (``PIP_CONFIG_FILE=os.devnull``) and no
``PIP_*`` variable from the machine, pointed only at the local index.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import depslim
from depslim.errors import BuildFailedError, BuildRequiredError
from depslim.index.build import (
    DEFAULT_BUILD_SYSTEM,
    BuildSystem,
    build_metadata,
    extract_sdist,
    parse_build_system,
    safe_member_parts,
)
from depslim.index.cache import Cache
from depslim.index.metadata import parse_core_metadata
from support.index_server import IndexServer
from support.wheels import build_wheel

LINUX = depslim.Target.parse("linux/amd64", python="3.11")


# --------------------------------------------------------------------------- helpers


def isolated_env(tmp_path: Path) -> dict[str, str]:
    """This process's environment without any pip configuration of the machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_CACHE_DIR"] = str(tmp_path / "pip-cache")
    return env


@pytest.fixture
def pip_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Isolate pip for builds started through the client (which use ``os.environ``)."""
    env = isolated_env(tmp_path)
    for key in list(os.environ):
        if key.startswith("PIP_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("PIP_CONFIG_FILE", env["PIP_CONFIG_FILE"])
    monkeypatch.setenv("PIP_CACHE_DIR", env["PIP_CACHE_DIR"])
    return env


def backend_source(
    name: str,
    version: str,
    *,
    prepare: bool = True,
    extra_requires: Sequence[str] = (),
    fail_in: str | None = None,
    log: Path | None = None,
    imports: str | None = None,
) -> str:
    """A PEP 517 backend whose Requires-Dist is computed at build time from deps.txt.

    ``imports`` names a module the hooks import (installed by get_requires) whose
    ``DEPS`` are added; ``log`` is a file each hook call appends its name to;
    ``fail_in`` names a hook that raises.
    """
    dist = name.replace("-", "_")
    return f"""
import os, zipfile

NAME, VERSION, DIST = {name!r}, {version!r}, {dist!r}
LOG = {str(log) if log else None!r}


def _note(hook):
    if LOG:
        with open(LOG, "a") as handle:
            handle.write(hook + "\\n")
    if hook == {fail_in!r}:
        print("about to fail in", hook)
        raise RuntimeError("kaboom from " + hook)


def _metadata():
    with open("deps.txt") as handle:
        deps = [line.strip() for line in handle if line.strip()]
    if {imports!r}:
        deps += __import__({imports!r}).DEPS
    lines = ["Metadata-Version: 2.1", "Name: " + NAME, "Version: " + VERSION]
    lines += ["Requires-Dist: " + dep for dep in deps]
    return "\\n".join(lines) + "\\n\\n"


def get_requires_for_build_wheel(config_settings=None):
    _note("get_requires_for_build_wheel")
    return {list(extra_requires)!r}


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _note("build_wheel")
    info = DIST + "-" + VERSION + ".dist-info"
    filename = DIST + "-" + VERSION + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as wheel:
        wheel.writestr(info + "/METADATA", _metadata())
        wheel.writestr(info + "/WHEEL", "Wheel-Version: 1.0\\n")
    return filename
""" + (
        ""
        if not prepare
        else """

def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    _note("prepare_metadata_for_build_wheel")
    info = DIST + "-" + VERSION + ".dist-info"
    os.makedirs(os.path.join(metadata_directory, info))
    with open(os.path.join(metadata_directory, info, "METADATA"), "w") as handle:
        handle.write(_metadata())
    return info
"""
    )


def write_tar_gz(path: Path, members: Sequence[tarfile.TarInfo | tuple[str, bytes]]) -> Path:
    """A deterministic .tar.gz; ``(name, data)`` is a regular file."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for member in members:
            if isinstance(member, tarfile.TarInfo):
                archive.addfile(member)
                continue
            name, data = member
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(buffer.getvalue())
    return path


def make_sdist(
    dest: Path,
    name: str,
    version: str,
    *,
    deps: Sequence[str] = (),
    requires: Sequence[str] = (),
    backend: str = "backend",
    backend_path: Sequence[str] | None = (".",),
    backend_code: str | None = None,
    extra: Mapping[str, bytes] | None = None,
    fmt: str = "tar.gz",
    **backend_options: Any,
) -> Path:
    """An sdist whose PKG-INFO declares Requires-Dist dynamic (PEP 643), built by
    ``backend`` (in-tree ``backend.py`` unless ``backend_path`` is ``None``)."""
    dest.mkdir(parents=True, exist_ok=True)
    dist = name.replace("-", "_")
    root = f"{dist}-{version}"
    system = [
        "[build-system]",
        f"requires = {json.dumps(list(requires))}",
        f'build-backend = "{backend}"',
    ]
    if backend_path is not None:
        system.append(f"backend-path = {json.dumps(list(backend_path))}")
    files = {
        f"{root}/PKG-INFO": (
            f"Metadata-Version: 2.2\nName: {name}\nVersion: {version}\nDynamic: Requires-Dist\n\n"
        ).encode(),
        f"{root}/pyproject.toml": ("\n".join(system) + "\n").encode(),
        f"{root}/deps.txt": "".join(f"{d}\n" for d in deps).encode(),
    }
    if backend_path is not None:
        code = backend_code or backend_source(name, version, **backend_options)
        files[f"{root}/backend.py"] = code.encode()
    for member, data in (extra or {}).items():
        files[f"{root}/{member}"] = data
    path = dest / f"{root}.{fmt}"
    if fmt == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            for member, data in files.items():
                archive.writestr(member, data)
        return path
    return write_tar_gz(path, list(files.items()))


def requires_of(data: bytes) -> list[str]:
    return [str(r) for r in parse_core_metadata(data, source="test").requires_dist]


def build(sdist: Path, env: Mapping[str, str], **options: Any) -> bytes:
    options.setdefault("index_url", None)
    options.setdefault("timeout", 120)
    return build_metadata(sdist, filename=sdist.name, env=env, **options)


# --------------------------------------------------------------------------- builds


def test_in_tree_backend_gives_the_dynamic_requires(tmp_path: Path) -> None:
    log = tmp_path / "hooks.log"
    sdist = make_sdist(
        tmp_path / "dist", "dyn-pkg", "1.0", deps=["b>=1", "c ; os_name == 'nt'"], log=log
    )
    data = build(sdist, isolated_env(tmp_path))
    assert requires_of(data) == ["b>=1", 'c; os_name == "nt"']
    assert log.read_text().split() == [
        "get_requires_for_build_wheel",
        "prepare_metadata_for_build_wheel",
    ]


def test_zip_sdist_builds_too(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path / "dist", "zipped", "2.0", deps=["b"], fmt="zip")
    assert requires_of(build(sdist, isolated_env(tmp_path))) == ["b"]


def test_backend_without_prepare_hook_builds_a_wheel(tmp_path: Path) -> None:
    log = tmp_path / "hooks.log"
    sdist = make_sdist(tmp_path / "dist", "old-style", "1.0", deps=["b<3"], prepare=False, log=log)
    assert requires_of(build(sdist, isolated_env(tmp_path))) == ["b<3"]
    assert log.read_text().split() == ["get_requires_for_build_wheel", "build_wheel"]


def test_backend_object_inside_a_module(tmp_path: Path) -> None:
    code = backend_source("objy", "1.0") + "\n\nclass _Backend:\n    pass\n\n"
    code += "api = _Backend()\n"
    code += "api.prepare_metadata_for_build_wheel = prepare_metadata_for_build_wheel\n"
    sdist = make_sdist(
        tmp_path / "dist", "objy", "1.0", deps=["b"], backend="backend:api", backend_code=code
    )
    assert requires_of(build(sdist, isolated_env(tmp_path))) == ["b"]


def test_build_requirements_come_from_the_local_index(
    tmp_path: Path, index_server: Callable[..., IndexServer]
) -> None:
    """The backend is a package on the index; it asks for one more (get_requires)."""
    files = tmp_path / "index"
    inner = backend_source("served", "1.0", extra_requires=["helper-dep>=1"], imports="helper_dep")
    build_wheel(files, "fake-backend", "1.0", files={"fake_backend/__init__.py": inner.encode()})
    build_wheel(files, "helper-dep", "1.0", files={"helper_dep/__init__.py": b'DEPS = ["h>=2"]\n'})
    index = index_server(files)
    sdist = make_sdist(
        tmp_path / "dist",
        "served",
        "1.0",
        deps=["a"],
        requires=["fake-backend==1.0"],
        backend="fake_backend",
        backend_path=None,
    )
    data = build(sdist, isolated_env(tmp_path), index_url=index.url)
    assert requires_of(data) == ["a", "h>=2"]
    asked = {entry.path for entry in index.log}
    assert "/simple/fake-backend/" in asked and "/simple/helper-dep/" in asked


def test_find_links_alone_serve_build_requirements(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    inner = backend_source("linked", "1.0")
    build_wheel(wheels, "fake-backend", "1.0", files={"fake_backend/__init__.py": inner.encode()})
    sdist = make_sdist(
        tmp_path / "dist",
        "linked",
        "1.0",
        deps=["z"],
        requires=["fake-backend"],
        backend="fake_backend",
        backend_path=None,
    )
    data = build(sdist, isolated_env(tmp_path), find_links=[str(wheels)])
    assert requires_of(data) == ["z"]


@pytest.mark.slow
def test_without_pip_on_the_host_pip_is_bootstrapped(tmp_path: Path) -> None:
    """A Python with no pip (as in a uv or pipx tool environment) still builds."""
    bare = tmp_path / "bare"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True, timeout=120
    )
    python = bare / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    wheels = tmp_path / "wheels"
    inner = backend_source("bootstrapped", "1.0")
    build_wheel(wheels, "fake-backend", "1.0", files={"fake_backend/__init__.py": inner.encode()})
    sdist = make_sdist(
        tmp_path / "dist",
        "bootstrapped",
        "1.0",
        deps=["q"],
        requires=["fake-backend"],
        backend="fake_backend",
        backend_path=None,
    )
    data = build(sdist, isolated_env(tmp_path), find_links=[str(wheels)], python=str(python))
    assert requires_of(data) == ["q"]


# --------------------------------------------------------------------------- failures


def test_failing_backend_names_package_step_and_output(tmp_path: Path) -> None:
    sdist = make_sdist(
        tmp_path / "dist", "broken", "1.0", fail_in="prepare_metadata_for_build_wheel"
    )
    with pytest.raises(BuildFailedError) as info:
        build(sdist, isolated_env(tmp_path))
    error = info.value
    assert error.exit_code == 2
    assert error.step == "prepare_metadata_for_build_wheel"
    assert error.package == "broken 1.0 (broken-1.0.tar.gz)"
    message = str(error)
    assert message.startswith("building the metadata of broken 1.0 (broken-1.0.tar.gz) failed")
    assert "prepare_metadata_for_build_wheel" in message
    assert "about to fail in prepare_metadata_for_build_wheel" in error.output
    assert "RuntimeError: kaboom from prepare_metadata_for_build_wheel" in message
    assert len(error.output.splitlines()) <= 20


def test_failing_get_requires_is_its_own_step(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path / "dist", "early", "1.0", fail_in="get_requires_for_build_wheel")
    with pytest.raises(BuildFailedError) as info:
        build(sdist, isolated_env(tmp_path))
    assert info.value.step == "get_requires_for_build_wheel"
    assert "kaboom" in info.value.output


def test_missing_backend_module_is_reported(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path / "dist", "nomod", "1.0", backend="not_here")
    with pytest.raises(BuildFailedError) as info:
        build(sdist, isolated_env(tmp_path))
    assert "cannot import the build backend not_here" in str(info.value)
    assert "ModuleNotFoundError" in info.value.output


def test_backend_outside_backend_path_is_refused(tmp_path: Path) -> None:
    """backend-path names where the backend must come from (PEP 517)."""
    sdist = make_sdist(
        tmp_path / "dist",
        "elsewhere",
        "1.0",
        backend="json",
        extra={"tools/x.py": b""},
        backend_path=["tools"],
    )
    with pytest.raises(BuildFailedError, match="not loaded from backend-path"):
        build(sdist, isolated_env(tmp_path))


def test_backend_path_outside_the_tree_is_refused(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path / "dist", "escape", "1.0", backend_path=[".."])
    with pytest.raises(BuildFailedError) as info:
        build(sdist, isolated_env(tmp_path))
    assert info.value.step == "reading pyproject.toml"
    assert "outside the source tree" in str(info.value)


def test_build_requirement_not_on_the_index(
    tmp_path: Path, index_server: Callable[..., IndexServer]
) -> None:
    (tmp_path / "empty").mkdir()
    index = index_server(tmp_path / "empty")
    sdist = make_sdist(tmp_path / "dist", "needy", "1.0", requires=["absent-backend>=9"])
    with pytest.raises(BuildFailedError) as info:
        build(sdist, isolated_env(tmp_path), index_url=index.url)
    assert info.value.step == "installing build requirements"
    assert "absent-backend" in info.value.output
    assert "needy 1.0" in str(info.value)


def test_a_hanging_backend_is_stopped(tmp_path: Path) -> None:
    code = backend_source("slowpoke", "1.0").replace(
        "def get_requires_for_build_wheel(config_settings=None):\n",
        "def get_requires_for_build_wheel(config_settings=None):\n"
        "    import time; time.sleep(600)\n",
    )
    sdist = make_sdist(tmp_path / "dist", "slowpoke", "1.0", backend_code=code)
    with pytest.raises(BuildFailedError, match="no result within 1 s") as info:
        build(sdist, isolated_env(tmp_path), timeout=1)
    assert info.value.step == "get_requires_for_build_wheel"


def test_hook_returning_junk_is_an_error(tmp_path: Path) -> None:
    code = backend_source("junky", "1.0").replace("    return info\n", '    return "../../etc"\n')
    sdist = make_sdist(tmp_path / "dist", "junky", "1.0", backend_code=code)
    with pytest.raises(BuildFailedError, match=r"not a \.dist-info directory name"):
        build(sdist, isolated_env(tmp_path))


def test_requirement_that_looks_like_an_option_is_refused(tmp_path: Path) -> None:
    code = backend_source("sneaky", "1.0", extra_requires=["--index-url=http://evil.example/"])
    sdist = make_sdist(tmp_path / "dist", "sneaky", "1.0", backend_code=code)
    with pytest.raises(BuildFailedError, match="invalid requirement") as info:
        build(sdist, isolated_env(tmp_path))
    assert info.value.step == "get_requires_for_build_wheel"


# --------------------------------------------------------------------------- unpacking


def _link(name: str, target: str, *, hard: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    return info


def _fifo(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.FIFOTYPE
    return info


@pytest.mark.parametrize(
    "members",
    [
        [("pkg-1.0/../evil.txt", b"x")],
        [("/tmp/evil.txt", b"x")],
        [("pkg-1.0/a/../../../evil.txt", b"x")],
        [_link("pkg-1.0/out", "../../evil.txt")],
        [_link("pkg-1.0/abs", "/etc/passwd")],
        [_link("pkg-1.0/dir", "/tmp"), ("pkg-1.0/dir/evil.txt", b"x")],
        [_link("pkg-1.0/l1", "."), _link("pkg-1.0/l1/l2", "../..")],
        [_link("pkg-1.0/l1", "."), _link("pkg-1.0/l2", "l1/../..")],
        [_link("pkg-1.0/hard", "/etc/passwd", hard=True)],
        [_fifo("pkg-1.0/pipe")],
    ],
    ids=[
        "dotdot",
        "absolute",
        "deep-dotdot",
        "symlink-out",
        "symlink-absolute",
        "file-under-symlink",
        "symlink-through-symlink",
        "target-through-symlink",
        "hardlink-out",
        "fifo",
    ],
)
def test_unsafe_members_refuse_the_whole_sdist(tmp_path: Path, members: list[Any]) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    sdist = write_tar_gz(dist / "pkg-1.0.tar.gz", [("pkg-1.0/PKG-INFO", b""), *members])
    with pytest.raises(BuildFailedError) as info:
        build(sdist, isolated_env(tmp_path))
    assert info.value.step == "unpacking the sdist"
    assert "refused" in str(info.value)
    assert not (tmp_path / "evil.txt").exists()


def test_zip_with_dotdot_member_is_refused(tmp_path: Path) -> None:
    sdist = tmp_path / "pkg-1.0.zip"
    with zipfile.ZipFile(sdist, "w") as archive:
        archive.writestr("pkg-1.0/PKG-INFO", b"")
        archive.writestr("pkg-1.0/../../evil.txt", b"x")
    with pytest.raises(BuildFailedError, match=r"refused: member .* '\.\.' component"):
        build(sdist, isolated_env(tmp_path))
    assert not (tmp_path / "evil.txt").exists()


def test_links_inside_the_tree_are_kept(tmp_path: Path) -> None:
    sdist = write_tar_gz(
        tmp_path / "pkg-1.0.tar.gz",
        [
            ("pkg-1.0/LICENSE", b"MIT"),
            ("./pkg-1.0/docs/index.txt", b"docs"),
            _link("pkg-1.0/docs/LICENSE", "../LICENSE"),
            _link("pkg-1.0/COPYING", "pkg-1.0/LICENSE", hard=True),
        ],
    )
    dest = tmp_path / "out"
    dest.mkdir()
    source = extract_sdist(sdist, dest, filename=sdist.name)
    assert source == dest / "pkg-1.0"
    assert (source / "docs" / "LICENSE").read_text() == "MIT"
    assert (source / "COPYING").read_text() == "MIT"
    assert (source / "docs" / "index.txt").read_text() == "docs"


@given(st.text(alphabet=st.sampled_from("ab./\\:\0C"), max_size=12))
def test_member_names_never_escape(name: str) -> None:
    try:
        parts = safe_member_parts(name)
    except ValueError:
        return
    assert ".." not in parts and "" not in parts and "." not in parts
    assert not name.replace("\\", "/").startswith("/")


# --------------------------------------------------------------------------- pyproject


def test_build_system_defaults() -> None:
    assert parse_build_system("[project]\nname = 'x'\n") == DEFAULT_BUILD_SYSTEM
    assert parse_build_system('[build-system]\nrequires = ["wheel"]\n') == BuildSystem(
        requires=("wheel", "setuptools>=40.8.0"), backend="setuptools.build_meta:__legacy__"
    )
    assert parse_build_system(
        '[build-system]\nrequires = ["flit_core>=3.2"]\nbuild-backend = "flit_core.buildapi"\n'
    ) == BuildSystem(requires=("flit_core>=3.2",), backend="flit_core.buildapi")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[build-system]\nbuild-backend = 'x'\n", "no 'requires' key"),
        ("[build-system]\nrequires = 'setuptools'\n", "must be a list of strings"),
        ("[build-system]\nrequires = ['--index-url=http://x/']\n", "invalid requirement"),
        ("[build-system]\nrequires = []\nbuild-backend = 'x; y'\n", "is not 'module:object'"),
        ("[build-system]\nrequires = []\nbuild-backend = 'x'\nbackend-path = '.'\n", "list"),
        ("build-system = 3\n", "must be a table"),
        ("[build-system\n", "not valid TOML"),
    ],
)
def test_bad_build_system_is_explained(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_build_system(text)


@given(st.text(max_size=200))
def test_build_system_parser_never_crashes(text: str) -> None:
    try:
        system = parse_build_system(text)
    except ValueError:
        return
    assert system.backend and all(isinstance(r, str) for r in system.requires)


# --------------------------------------------------------------------------- the client and lock


def test_client_builds_once_per_sdist_and_caches_by_sha256(
    tmp_path: Path, index_server: Callable[..., IndexServer], index_client, pip_env
) -> None:
    log = tmp_path / "hooks.log"
    files = tmp_path / "index"
    make_sdist(files, "cached-build", "1.0", deps=["b>=2"], log=log)
    index = index_server(files)
    cache = Cache(tmp_path / "cache")
    for _ in range(2):
        client = index_client(index.url, cache=cache, allow_build=True)
        (link,) = client.links("cached-build")
        meta = client.metadata(link)
        assert [str(r) for r in meta.requires_dist] == ["b>=2"]
    assert log.read_text().split().count("prepare_metadata_for_build_wheel") == 1


def test_client_without_allow_build_refuses(
    tmp_path: Path, index_server: Callable[..., IndexServer], index_client
) -> None:
    log = tmp_path / "hooks.log"
    files = tmp_path / "index"
    make_sdist(files, "refused", "1.0", deps=["b"], log=log)
    client = index_client(index_server(files).url)
    (link,) = client.links("refused")
    with pytest.raises(BuildRequiredError, match="--allow-build"):
        client.metadata(link)
    assert not log.exists()


def test_client_checks_built_metadata_against_the_file_name(
    tmp_path: Path, index_server: Callable[..., IndexServer], index_client, pip_env
) -> None:
    files = tmp_path / "index"
    code = backend_source("liar", "1.0").replace('"Name: " + NAME', '"Name: other"')
    make_sdist(files, "liar", "1.0", backend_code=code)
    client = index_client(index_server(files).url, allow_build=True)
    (link,) = client.links("liar")
    with pytest.raises(depslim.IndexAccessError, match=r"the metadata names other 1\.0"):
        client.metadata(link)


@pytest.fixture
def lock_sdist(
    tmp_path: Path, index_server: Callable[..., IndexServer]
) -> Callable[..., depslim.LockResult]:
    """Serve a dynamic sdist (dyn-sd needs b) next to b's wheel and lock ``dyn-sd``."""
    files = tmp_path / "index"
    make_sdist(files, "dyn-sd", "1.0", deps=["b>=1", "winonly ; sys_platform == 'win32'"])
    build_wheel(files, "b", "1.0")
    build_wheel(files, "b", "2.0")
    index = index_server(files)

    def run(**options: Any) -> depslim.LockResult:
        source = tmp_path / "requirements.in"
        source.write_text("dyn-sd\n")
        return depslim.lock(
            [source],
            index_url=index.url,
            config=False,
            target=LINUX,
            cache_dir=tmp_path / "cache",
            **options,
        )

    return run


def test_lock_with_allow_build_uses_the_built_requires(lock_sdist, pip_env) -> None:
    result = lock_sdist(allow_build=True)
    assert {p.name: str(p.version) for p in result.pins} == {"dyn-sd": "1.0", "b": "2.0"}
    assert "    # via dyn-sd" in result.text()


def test_lock_without_allow_build_asks_for_it(lock_sdist) -> None:
    with pytest.raises(depslim.BuildRequiredError, match="dyn-sd") as info:
        lock_sdist()
    assert "--allow-build" in str(info.value)


def test_client_builds_from_a_flat_directory_index(tmp_path: Path, index_client, pip_env) -> None:
    """A plain directory of files works as depslim's index and as pip's source."""
    flat = tmp_path / "flat"
    inner = backend_source("flat-pkg", "1.0")
    build_wheel(flat, "fake-backend", "1.0", files={"fake_backend/__init__.py": inner.encode()})
    make_sdist(
        flat,
        "flat-pkg",
        "1.0",
        deps=["b"],
        requires=["fake-backend"],
        backend="fake_backend",
        backend_path=None,
    )
    client = index_client(str(flat), allow_build=True)
    (link,) = client.links("flat-pkg")
    assert [str(r) for r in client.metadata(link).requires_dist] == ["b"]
