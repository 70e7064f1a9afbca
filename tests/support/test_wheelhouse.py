"""The offline wheelhouse: repacked wheels are true wheels, and pip and pre-commit install
depslim from its source tree with them and nothing else.

The unit tests repack distributions "installed" by hand into a site-packages folder in
``tmp_path`` (every file real, ``RECORD`` true), the end-to-end tests run the real pip and
the real ``pre-commit try-repo`` in subprocesses, inside a network namespace of their own
where the system allows one (``no_network_prefix``).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import subprocess
import sys
import tomllib
import zipfile
from email.parser import BytesHeaderParser
from importlib.metadata import distribution
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.tags import parse_tag
from packaging.utils import canonicalize_name, parse_wheel_filename

from support.wheelhouse import (
    WheelhouseError,
    build_wheelhouse,
    dependency_closure,
    no_network_prefix,
    offline_pip_env,
    project_requirements,
    repack_distribution,
    wheel_filename_for,
)

# The fixtures offline_wheelhouse and offline_env; a no-op once tests/conftest.py lists
# "support.offline" in its pytest_plugins.
pytest_plugins = ["support.offline"]

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------------------------------
# Helpers: install a distribution by hand, read a wheel back


def _hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def install_fake(
    site: Path,
    name: str,
    version: str,
    *,
    requires: tuple[str, ...] = (),
    files: dict[str, bytes] | None = None,
    wheel: str | None = "Root-Is-Purelib: true\nTag: py3-none-any\n",
    entry_points: str | None = None,
    outside: tuple[str, ...] = (),
    editable: bool = False,
) -> None:
    """Lay out ``name`` in ``site`` as an installer would: files, dist-info, true RECORD.

    ``outside`` are RECORD entries above site-packages (``../../../bin/tool``), written
    to disk where they point; a ``__pycache__/*.pyc`` and an ``INSTALLER`` are always
    added, as pip adds them.
    """
    dist_info = f"{name.replace('-', '_')}-{version}.dist-info"
    module = name.replace("-", "_").lower()
    content: dict[str, bytes] = {
        f"{module}/__init__.py": f"VERSION = {version!r}\n".encode(),
        f"{module}/__pycache__/__init__.cpython-311.pyc": b"\x00compiled",
        **(files or {}),
    }
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {req}\n" for req in requires)
    content[f"{dist_info}/METADATA"] = metadata.encode()
    content[f"{dist_info}/INSTALLER"] = b"pip\n"
    if wheel is not None:
        content[f"{dist_info}/WHEEL"] = f"Wheel-Version: 1.0\nGenerator: hand\n{wheel}".encode()
    if entry_points is not None:
        content[f"{dist_info}/entry_points.txt"] = entry_points.encode()
    if editable:
        content[f"{dist_info}/direct_url.json"] = (
            b'{"url": "file:///src/x", "dir_info": {"editable": true}}'
        )
    for rel in outside:
        content[rel] = b"#!/usr/bin/python\nprint('script')\n"
    rows = []
    for rel, data in content.items():
        target = (site / rel).resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        is_pyc = rel.endswith(".pyc")
        rows.append((rel, "" if is_pyc else _hash(data), "" if is_pyc else str(len(data))))
    rows.append((f"{dist_info}/RECORD", "", ""))
    record = io.StringIO()
    csv.writer(record, lineterminator="\n").writerows(rows)
    (site / dist_info / "RECORD").write_text(record.getvalue())


def make_site(tmp_path: Path) -> Path:
    site = tmp_path / "prefix" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    return site


def read_record(archive: zipfile.ZipFile) -> tuple[str, list[list[str]]]:
    (record_name,) = [n for n in archive.namelist() if n.endswith(".dist-info/RECORD")]
    text = archive.read(record_name).decode()
    return record_name, list(csv.reader(io.StringIO(text)))


def assert_valid_wheel(path: Path) -> None:
    """Every archive member is in RECORD with its true hash and size, and vice versa;
    RECORD is last and unhashed; the dist-info and WHEEL agree with the file name."""
    name, version, _build, tags = parse_wheel_filename(path.name)
    with zipfile.ZipFile(path) as archive:
        record_name, rows = read_record(archive)
        members = archive.namelist()
        assert members[-1] == record_name
        assert len(members) == len(set(members))
        assert sorted(row[0] for row in rows) == sorted(members)
        for member, digest, size in rows:
            if member == record_name:
                assert (digest, size) == ("", "")
                continue
            data = archive.read(member)
            assert digest == _hash(data), member
            assert size == str(len(data)), member
        dist_info = record_name.split("/")[0]
        assert canonicalize_name(dist_info.removesuffix(".dist-info").rsplit("-", 1)[0]) == name
        wheel = BytesHeaderParser().parsebytes(archive.read(f"{dist_info}/WHEEL"))
        assert {tag for line in wheel.get_all("Tag") for tag in parse_tag(line)} == set(tags)
        metadata = BytesHeaderParser().parsebytes(archive.read(f"{dist_info}/METADATA"))
        assert canonicalize_name(metadata["Name"]) == name
        assert metadata["Version"] == str(version)
        assert not [m for m in members if "__pycache__" in m or m.endswith(".pyc")]
        assert not [m for m in members if m.startswith(("../", "/"))]


# ---------------------------------------------------------------------------------------
# Repacking


def test_repacked_pure_wheel_is_valid_and_keeps_metadata(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    install_fake(
        site,
        "Foo-Bar",
        "1.0.post1",
        requires=("idna>=2",),
        files={"foo_bar/data/table.json": b'{"a": 1}', "foo_bar/cli.py": b"def main(): ...\n"},
        entry_points="[console_scripts]\nfoo-bar = foo_bar.cli:main\n",
        outside=("../../../bin/foo-bar",),
    )
    install_fake(site, "idna", "3.0")
    dist, _idna = dependency_closure(["foo-bar"], path=[str(site)])
    wheel = repack_distribution(dist, tmp_path / "out")

    assert wheel.name == "foo_bar-1.0.post1-py3-none-any.whl"
    assert_valid_wheel(wheel)
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        assert sorted(names) == sorted(
            [
                "foo_bar/__init__.py",
                "foo_bar/cli.py",
                "foo_bar/data/table.json",
                "Foo_Bar-1.0.post1.dist-info/METADATA",
                "Foo_Bar-1.0.post1.dist-info/entry_points.txt",
                "Foo_Bar-1.0.post1.dist-info/WHEEL",
                "Foo_Bar-1.0.post1.dist-info/RECORD",
            ]
        )
        info = "Foo_Bar-1.0.post1.dist-info"
        assert archive.read(f"{info}/METADATA") == (site / info / "METADATA").read_bytes()
        assert archive.read(f"{info}/WHEEL") == (site / info / "WHEEL").read_bytes()
        assert archive.read(f"{info}/entry_points.txt") == (
            b"[console_scripts]\nfoo-bar = foo_bar.cli:main\n"
        )
        assert archive.read("foo_bar/data/table.json") == b'{"a": 1}'


def test_platform_wheel_keeps_its_tags_and_modes(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    so = "speedy/_core.cpython-311-x86_64-linux-gnu.so"
    install_fake(
        site,
        "speedy",
        "2.0",
        files={so: b"\x7fELF fake"},
        wheel=(
            "Root-Is-Purelib: false\n"
            "Tag: cp311-cp311-manylinux_2_17_x86_64\n"
            "Tag: cp311-cp311-manylinux2014_x86_64\n"
        ),
    )
    (site / so).chmod(0o755)
    (dist,) = dependency_closure(["speedy"], path=[str(site)])
    wheel = repack_distribution(dist, tmp_path / "out")

    assert wheel.name == "speedy-2.0-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"
    assert wheel_filename_for(dist) == wheel.name
    assert_valid_wheel(wheel)
    with zipfile.ZipFile(wheel) as archive:
        assert archive.getinfo(so).external_attr >> 16 & 0o777 == 0o755
        assert archive.getinfo("speedy/__init__.py").external_attr >> 16 & 0o777 == 0o644
        wheel_text = archive.read("speedy-2.0.dist-info/WHEEL")
    assert wheel_text == (site / "speedy-2.0.dist-info" / "WHEEL").read_bytes()


def test_wheel_file_is_rewritten_when_its_tags_disagree_with_the_name(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    install_fake(
        site, "old", "0.9", wheel="Root-Is-Purelib: true\nTag: py2-none-any\nTag: py3-none-any\n"
    )
    install_fake(site, "nowheel", "1.0", wheel=None)
    for name in ("old", "nowheel"):
        (dist,) = dependency_closure([name], path=[str(site)])
        wheel = repack_distribution(dist, tmp_path / "out")
        assert wheel.name == f"{name}-{dist.version}-py3-none-any.whl"
        assert_valid_wheel(wheel)
        with zipfile.ZipFile(wheel) as archive:
            text = archive.read(f"{name}-{dist.version}.dist-info/WHEEL").decode()
        assert "Tag: py3-none-any\n" in text
        assert "py2" not in text
        assert "Root-Is-Purelib: true" in text


@pytest.mark.parametrize(
    ("wheel", "files", "message"),
    [
        (
            "Root-Is-Purelib: false\nTag: cp311-cp311-linux_x86_64\nTag: cp312-abi3-win_amd64\n",
            {},
            "do not fit one wheel file name",
        ),
        ("Root-Is-Purelib: false\n", {}, "has no Tag"),
        (None, {"bad/_x.cpython-311-x86_64-linux-gnu.so": b"\x7fELF"}, "no WHEEL"),
    ],
)
def test_tags_that_cannot_name_a_wheel_are_refused(
    tmp_path: Path, wheel: str | None, files: dict[str, bytes], message: str
) -> None:
    site = make_site(tmp_path)
    install_fake(site, "bad", "1.0", wheel=wheel, files=files)
    (dist,) = dependency_closure(["bad"], path=[str(site)])
    with pytest.raises(WheelhouseError, match=message):
        repack_distribution(dist, tmp_path / "out")
    assert not list((tmp_path / "out").glob("*"))


def test_editable_and_damaged_installs_are_refused(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    install_fake(site, "edit", "1.0", editable=True)
    install_fake(site, "gone", "1.0")
    (site / "gone" / "__init__.py").unlink()
    install_fake(site, "norecord", "1.0")
    (site / "norecord-1.0.dist-info" / "RECORD").unlink()
    for name, message in [
        ("edit", "editable install"),
        ("gone", r"gone/__init__\.py is in RECORD but not at"),
        ("norecord", "has no RECORD"),
    ]:
        (dist,) = dependency_closure([name], path=[str(site)])
        with pytest.raises(WheelhouseError, match=message):
            repack_distribution(dist, tmp_path / "out")


def test_repacking_is_deterministic(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    install_fake(site, "same", "1.0", files={"same/a.py": b"A = 1\n", "same/b.py": b"B = 2\n"})
    (dist,) = dependency_closure(["same"], path=[str(site)])
    first = repack_distribution(dist, tmp_path / "one").read_bytes()
    second = repack_distribution(dist, tmp_path / "two").read_bytes()
    assert first == second


# ---------------------------------------------------------------------------------------
# The closure


def test_closure_follows_markers_and_named_extras_only(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    install_fake(
        site,
        "app",
        "1.0",
        requires=(
            "lib-b>=1",
            "lib_c",
            'old-only; python_version < "3"',
            'extra-dep; extra == "fast"',
            'never-dep; python_version < "3" and extra == "fast"',
        ),
    )
    install_fake(site, "lib-b", "1.5", requires=("Lib.C[speed]",))
    install_fake(site, "lib-c", "3.0", requires=('speedup; extra == "speed"',))
    install_fake(site, "speedup", "0.1")
    install_fake(site, "extra-dep", "2.0")
    # old-only and never-dep are not installed: asking for them would fail.

    plain = dependency_closure(["app"], path=[str(site)])
    assert [d.metadata["Name"] for d in plain] == ["app", "lib-b", "lib-c", "speedup"]

    fast = dependency_closure(["app[fast]"], path=[str(site)])
    assert sorted(d.metadata["Name"] for d in fast) == [
        "app",
        "extra-dep",
        "lib-b",
        "lib-c",
        "speedup",
    ]


def test_closure_reports_missing_and_mismatched_dependencies(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    install_fake(site, "needs-missing", "1.0", requires=("nowhere>=1",))
    install_fake(site, "needs-newer", "1.0", requires=("dep>=2",))
    install_fake(site, "dep", "1.0")
    with pytest.raises(WheelhouseError, match="nowhere is not installed"):
        dependency_closure(["needs-missing"], path=[str(site)])
    with pytest.raises(WheelhouseError, match=r"dep>=2 \(wanted by needs-newer 1.0\).* dep 1.0"):
        dependency_closure(["needs-newer"], path=[str(site)])
    with pytest.raises(WheelhouseError, match="bad root requirement"):
        dependency_closure(["not a requirement!"], path=[str(site)])


def test_project_requirements_reads_build_then_runtime(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[build-system]\nrequires = ["flit_core>=3.2"]\n\n'
        '[project]\nname = "x"\nversion = "1"\n'
        'dependencies = ["a>=1", "b[c]; os_name == \'posix\'"]\n'
    )
    assert project_requirements(pyproject) == ["flit_core>=3.2", "a>=1", "b[c]; os_name == 'posix'"]
    data = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    assert project_requirements(PROJECT_ROOT / "pyproject.toml") == [
        *data["build-system"]["requires"],
        *data["project"]["dependencies"],
    ]


# ---------------------------------------------------------------------------------------
# The wheelhouse and its cache


def test_cache_is_reused_per_installed_distribution(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    install_fake(site, "cached", "1.0", requires=("leaf",))
    install_fake(site, "leaf", "1.0")
    cache = tmp_path / "cache"
    first = build_wheelhouse(tmp_path / "h1", ["cached"], cache=cache, path=[str(site)])
    assert [w.name for w in first] == ["cached-1.0-py3-none-any.whl", "leaf-1.0-py3-none-any.whl"]

    # Same RECORD: the cached wheel is used, even though a file changed behind its back.
    (site / "leaf" / "__init__.py").write_text("VERSION = 'patched'\n")
    second = build_wheelhouse(tmp_path / "h2", ["cached"], cache=cache, path=[str(site)])
    assert [w.read_bytes() for w in second] == [w.read_bytes() for w in first]

    # A reinstall (new RECORD) of the same version is a new cache entry.
    install_fake(site, "leaf", "1.0", files={"leaf/extra.py": b"X = 1\n"})
    third = build_wheelhouse(tmp_path / "h3", ["cached"], cache=cache, path=[str(site)])
    with zipfile.ZipFile(third[1]) as archive:
        assert "leaf/extra.py" in archive.namelist()
    assert len([p for p in cache.iterdir() if p.name.startswith("leaf-1.0-")]) == 2
    assert not [p for p in cache.iterdir() if p.name.startswith(".staging-")]


def test_offline_wheelhouse_holds_depslims_closure_as_valid_wheels(
    offline_wheelhouse: Path,
) -> None:
    wheels = sorted(offline_wheelhouse.glob("*.whl"))
    names = {parse_wheel_filename(w.name)[0] for w in wheels}
    for requirement in project_requirements(PROJECT_ROOT / "pyproject.toml"):
        assert canonicalize_name(Requirement(requirement).name) in names
    # hatchling's own dependencies and httpx's come along.
    assert {"pluggy", "pathspec", "trove-classifiers", "httpcore", "h11", "anyio"} <= names
    for wheel in wheels:
        assert_valid_wheel(wheel)
        name, version, _build, _tags = parse_wheel_filename(wheel.name)
        installed = distribution(name)
        assert str(version) == installed.version
        with zipfile.ZipFile(wheel) as archive:
            (info,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
            assert archive.read(info).decode() == installed.read_text("METADATA")


def test_offline_pip_env_drops_the_machines_settings(tmp_path: Path) -> None:
    base = {
        "PATH": "/usr/bin",
        "PIP_INDEX_URL": "https://mirror.example/simple",
        "PIP_FIND_LINKS": "/opt/wheels",
        "pip_constraint": "/etc/c.txt",
        "VIRTUALENV_SEEDER": "pip",
        "PYTHONPATH": "/somewhere",
    }
    env = offline_pip_env(tmp_path, base=base)
    assert env == {
        "PATH": "/usr/bin",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(tmp_path),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
        "PIP_NO_CACHE_DIR": "1",
        "VIRTUALENV_CONFIG_FILE": os.devnull,
        "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
    }
    assert "PRE_COMMIT_HOME" not in offline_pip_env(tmp_path, base={"PIP_X": "1"})


# ---------------------------------------------------------------------------------------
# End to end: real pip, real pre-commit, no network


def _run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` with no network at all where the system allows it."""
    return subprocess.run(
        [*no_network_prefix(), *cmd],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        **kwargs,
    )


def _project_version() -> str:
    data = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    return str(data["project"]["version"])


def test_pip_finds_nothing_but_the_wheelhouse(tmp_path: Path, offline_wheelhouse: Path) -> None:
    """The machine's pip configuration (mirrors, find-links, constraints) is out of play:
    with an empty wheelhouse there is nothing to install; with ours, hatchling."""
    empty = tmp_path / "empty"
    empty.mkdir()
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "hatchling"]
    nothing = _run([*command, "--dest", str(tmp_path / "a")], env=offline_pip_env(empty))
    assert nothing.returncode != 0
    assert "No matching distribution found for hatchling" in nothing.stderr

    found = _run([*command, "--dest", str(tmp_path / "b")], env=offline_pip_env(offline_wheelhouse))
    assert found.returncode == 0, found.stderr
    (wheel,) = (tmp_path / "b").iterdir()
    assert wheel.read_bytes() == next(offline_wheelhouse.glob("hatchling-*.whl")).read_bytes()

    settings = _run([sys.executable, "-m", "pip", "config", "list"], env=offline_pip_env(empty))
    assert settings.returncode == 0, settings.stderr
    lines = settings.stdout.splitlines()
    assert f":env:.find-links='{empty}'" in lines
    assert [line for line in lines if not line.startswith(":env:.")] == []


def test_pip_installs_depslim_from_source_offline(
    tmp_path: Path, offline_env: dict[str, str]
) -> None:
    venv = tmp_path / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)], env=offline_env)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"

    installed = _run([str(python), "-m", "pip", "install", str(PROJECT_ROOT)], env=offline_env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "Successfully installed" in installed.stdout

    version = _run([str(venv / "bin" / "depslim"), "--version"], env=offline_env)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"depslim {_project_version()}"
    where = _run([str(python), "-c", "import depslim; print(depslim.__file__)"], env=offline_env)
    assert Path(where.stdout.strip()).is_relative_to(venv)


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _git_identity(repo: Path, env: dict[str, str]) -> None:
    _git(repo, env, "config", "user.name", "Wheelhouse Test")
    _git(repo, env, "config", "user.email", "wheelhouse@example.invalid")


HOOKS_YAML = """\
- id: depslim-version
  name: depslim version (smoke)
  entry: depslim --version
  language: python
  pass_filenames: false
  always_run: true
"""


def test_pre_commit_try_repo_installs_a_python_hook_offline(
    tmp_path: Path, offline_env: dict[str, str]
) -> None:
    pytest.importorskip("pre_commit")
    pytest.importorskip("virtualenv")
    # The hook repository: depslim's HEAD, plus the hooks file, committed (try-repo uses
    # HEAD when the working tree is clean).
    hooks = tmp_path / "depslim"
    _git(tmp_path, offline_env, "clone", "--quiet", str(PROJECT_ROOT), str(hooks))
    _git_identity(hooks, offline_env)
    (hooks / ".pre-commit-hooks.yaml").write_text(HOOKS_YAML)
    _git(hooks, offline_env, "add", ".pre-commit-hooks.yaml")
    _git(hooks, offline_env, "commit", "--quiet", "-m", "Add pre-commit hooks")

    # The project that uses the hook: one committed file.
    project = tmp_path / "project"
    project.mkdir()
    _git(project, offline_env, "init", "--quiet")
    _git_identity(project, offline_env)
    (project / "requirements.in").write_text("httpx\n")
    _git(project, offline_env, "add", "requirements.in")
    _git(project, offline_env, "commit", "--quiet", "-m", "init")

    ran = _run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(hooks),
            "depslim-version",
            "--all-files",
            "--verbose",
        ],
        cwd=project,
        env=offline_env,
    )
    output = ran.stdout + ran.stderr
    assert ran.returncode == 0, output
    assert "Passed" in output
    assert f"depslim {_project_version()}" in output
    # try-repo made its store (the hook's virtualenv among it) under TMPDIR, in the
    # test's own tree, and removed it.
    assert Path(offline_env["TMPDIR"]).is_relative_to(tmp_path)
    assert not list(Path(offline_env["TMPDIR"]).iterdir())
