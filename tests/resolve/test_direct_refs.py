"""Direct references resolved for real: wheels and sdists by URL, git refs by commit.

Files are served by a real index on 127.0.0.1; git repositories are made by the test
in a temporary folder and read through ``git+file://`` with the real ``git``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import depslim
from depslim.errors import BuildRequiredError, InputError
from depslim.index.client import IndexClient
from depslim.index.direct import GitReferences
from depslim.lockfile import read_requirements_lock, render_requirements_txt
from depslim.models import InputRequirement, Location, Lock, Pin, PinnedFile
from depslim.resolve.overrides import overrides_from_strings
from depslim.resolve.resolver import Resolution, resolve
from support.fixtures import build_files
from support.gitrepo import GIT_ENV, commit, git, make_repo, static_project
from support.index_server import IndexServer
from support.wheels import file_sha256

LINUX = depslim.Target.parse("linux/amd64", python="3.11")


def roots(*lines: str) -> list[InputRequirement]:
    return [
        InputRequirement(requirement=Requirement(text), origin=Location(path="in", line=i + 1))
        for i, text in enumerate(lines)
    ]


def pinned(result: Resolution) -> dict[str, str]:
    return {name: str(c.version) for name, c in result.candidates.items()}


def as_lock(result: Resolution, client: IndexClient) -> str:
    """The lock text, with pins built as the lock verb builds them (hash of every file)."""
    pins = tuple(
        Pin(
            name=name,
            version=cand.version,
            index=cand.index,
            files=tuple(
                PinnedFile(filename=lk.filename, url=lk.url, sha256=client.file_sha256(lk))
                for lk in cand.links
            ),
            via=result.via.get(name, ()),
            url=cand.url,
        )
        for name, cand in result.candidates.items()
    )
    return render_requirements_txt(Lock(target=LINUX, pins=pins), version="test")


@pytest.fixture
def index(make_index: Callable[..., IndexServer]) -> IndexServer:
    return make_index([("dep", "1.0", []), ("dep", "2.0", []), ("app", "1.0", ["tool"])])


# ------------------------------------------------------------------- files by URL


def test_wheel_by_http_url_is_hashed_and_pinned(
    index: IndexServer, index_client: Callable[..., IndexClient], tmp_path: Path
) -> None:
    (wheel,) = build_files(index.files_dir, [("direct-pkg", "3.0", ["dep<2"])])
    index.refresh()
    link_url = index.file_url(wheel.name)
    client = index_client(index.url)
    result = resolve(roots(f"direct-pkg @ {link_url}"), client, LINUX)
    assert pinned(result) == {"direct-pkg": "3.0", "dep": "1.0"}
    text = as_lock(result, client)
    # the URL carries no hash: the file was downloaded and hashed
    assert f"direct-pkg @ {link_url} \\\n    --hash=sha256:{file_sha256(wheel)}\n" in text
    assert read_requirements_lock(text).pins[1].url == link_url


def test_sdist_by_url_with_dynamic_metadata_needs_allow_build(
    index: IndexServer, index_client: Callable[..., IndexClient]
) -> None:
    options = {"sdist": True, "metadata_version": "2.2", "dynamic": ["Requires-Dist"]}
    (sdist,) = build_files(index.files_dir, [("dyn", "1.0", ["dep"], options)])
    index.refresh()
    with pytest.raises(BuildRequiredError, match="--allow-build"):
        resolve(roots(f"dyn @ {index.file_url(sdist.name)}"), index_client(index.url), LINUX)


def test_sdist_by_url_with_static_metadata_is_pinned_with_its_hash(
    index: IndexServer, index_client: Callable[..., IndexClient]
) -> None:
    options = {"sdist": True, "metadata_version": "2.2"}
    (sdist,) = build_files(index.files_dir, [("stat", "1.0", ["dep>1"], options)])
    index.refresh()
    client = index_client(index.url)
    link_url = index.file_url(sdist.name)
    result = resolve(roots(f"stat @ {link_url}"), client, LINUX)
    assert pinned(result) == {"stat": "1.0", "dep": "2.0"}
    assert f"stat @ {link_url} \\\n    --hash=sha256:{file_sha256(sdist)}" in as_lock(
        result, client
    )


# ------------------------------------------------------------------- git


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = make_repo(tmp_path / "tool")
    commit(path, static_project("tool", "1.0", ["dep<2"]))
    git(path, "tag", "v1.0")
    commit(path, static_project("tool", "1.5", ["dep>=2"]))
    return path


def git_url(repo: Path, ref: str) -> str:
    return f"git+{repo.as_uri()}@{ref}"


def test_git_reference_is_pinned_to_its_commit(
    index: IndexServer, index_client: Callable[..., IndexClient], repo: Path
) -> None:
    client = index_client(index.url)
    head = git(repo, "rev-parse", "HEAD")
    result = resolve(
        roots(f"tool @ {git_url(repo, 'main')}"), client, LINUX, direct=GitReferences(env=GIT_ENV)
    )
    assert pinned(result) == {"tool": "1.5", "dep": "2.0"}
    assert result.candidates["tool"].url == git_url(repo, head)
    assert result.candidates["tool"].links == ()
    text = as_lock(result, client)
    # as uv writes it: the commit URL, no --hash (a checkout has no file to hash)
    assert f"tool @ {git_url(repo, head)}\n    # via in:1\n" in text
    (back,) = [p for p in read_requirements_lock(text).pins if p.name == "tool"]
    assert (back.url, back.hashes) == (git_url(repo, head), ())


def test_two_spellings_of_one_commit_are_one_candidate(
    make_index: Callable[..., IndexServer],
    index_client: Callable[..., IndexClient],
    repo: Path,
) -> None:
    tag = git(repo, "rev-parse", "v1.0^{commit}")
    index = make_index([("dep", "1.0", []), ("app", "1.0", [f"tool @ {git_url(repo, tag)}"])])
    result = resolve(
        roots("app", f"tool @ {git_url(repo, 'v1.0')}"),
        index_client(index.url),
        LINUX,
        direct=GitReferences(env=GIT_ENV),
    )
    assert pinned(result) == {"app": "1.0", "tool": "1.0", "dep": "1.0"}
    assert set(result.via["tool"]) == {"app", "in:2"}


def test_override_can_point_at_a_git_reference(
    index: IndexServer, index_client: Callable[..., IndexClient], repo: Path
) -> None:
    over = overrides_from_strings(
        overrides=[f"tool @ {git_url(repo, 'v1.0')}"], origin=Location(path="o.txt")
    )
    result = resolve(
        roots("app"),
        index_client(index.url),
        LINUX,
        overrides=over,
        direct=GitReferences(env=GIT_ENV),
    )
    assert pinned(result) == {"app": "1.0", "tool": "1.0", "dep": "1.0"}


def test_without_direct_references_git_is_refused_with_a_reason(
    index: IndexServer, index_client: Callable[..., IndexClient], repo: Path
) -> None:
    with pytest.raises(InputError, match="does not name a wheel or an sdist"):
        resolve(roots(f"tool @ {git_url(repo, 'main')}"), index_client(index.url), LINUX)


def test_git_reference_with_extras(
    make_index: Callable[..., IndexServer],
    index_client: Callable[..., IndexClient],
    repo: Path,
) -> None:
    """tool 1.5's static table has the extra ``fast = ["speedup>=2 ; os_name == 'posix'"]``."""
    index = make_index([("dep", "2.0", []), ("speedup", "1.0", []), ("speedup", "2.1", [])])
    result = resolve(
        roots(f"tool[fast] @ {git_url(repo, 'main')}"),
        index_client(index.url),
        LINUX,
        direct=GitReferences(env=GIT_ENV),
    )
    assert pinned(result) == {"tool": "1.5", "dep": "2.0", "speedup": "2.1"}
    assert result.extras["tool"] == {"fast"}
