"""Git direct references, pinned to commits with the real ``git`` against local repositories.

Every repository here is made by the test in a temporary folder and reached through a
``git+file://`` URL; builds use an in-tree PEP 517 backend, so nothing leaves the machine.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from packaging.utils import NormalizedName

from depslim.errors import BuildRequiredError, IndexAccessError, InputError
from depslim.index.build import build_metadata
from depslim.index.cache import Cache
from depslim.index.direct import (
    GitReferences,
    GitUrl,
    is_vcs_url,
    parse_git_url,
    shown,
    static_metadata,
)
from support.gitrepo import GIT_ENV, commit, dynamic_project, git, make_repo, static_project


def url(repo: Path, ref: str | None = None, subdirectory: str | None = None) -> str:
    text = f"git+{repo.as_uri()}" + (f"@{ref}" if ref else "")
    return text + (f"#subdirectory={subdirectory}" if subdirectory else "")


def refs(**options: object) -> GitReferences:
    return GitReferences(env=GIT_ENV, timeout=60, **options)  # type: ignore[arg-type]


NAME = NormalizedName("tool")


# ------------------------------------------------------------------------ URLs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("git+https://host/org/repo.git", GitUrl(repository="https://host/org/repo.git")),
        (
            "git+https://host/org/repo.git@v1.2#egg=repo",
            GitUrl(repository="https://host/org/repo.git", ref="v1.2"),
        ),
        (
            "git+ssh://git@host/org/repo.git@main#subdirectory=pkgs/a",
            GitUrl(repository="ssh://git@host/org/repo.git", ref="main", subdirectory="pkgs/a"),
        ),
        (
            "git+https://user:tok@host/repo@feature/x",
            GitUrl(repository="https://user:tok@host/repo", ref="feature/x"),
        ),
        ("git+file:///srv/repo@abc1234", GitUrl(repository="file:///srv/repo", ref="abc1234")),
    ],
)
def test_parse_git_url(text: str, expected: GitUrl) -> None:
    assert parse_git_url(text) == expected
    assert is_vcs_url(text)


def test_pinned_url_keeps_the_subdirectory() -> None:
    parsed = parse_git_url("git+https://host/r.git@main#subdirectory=lib")
    assert parsed.pinned("a" * 40) == f"git+https://host/r.git@{'a' * 40}#subdirectory=lib"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hg+https://host/repo", "only git references are read (hg is not)"),
        ("git+ftp://host/repo", "a git reference needs git+https://"),
        ("git+https://host/r.git#subdirectory=../up", "leaves the repository"),
    ],
)
def test_bad_git_urls_are_explained(text: str, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        parse_git_url(text)


def test_credentials_never_shown() -> None:
    assert shown("git+https://user:secret@host/r.git") == "git+https://***@host/r.git"
    assert shown("git+https://ghp_token@host/r.git") == "git+https://***@host/r.git"
    assert shown("git+ssh://git@host/r.git") == "git+ssh://git@host/r.git"
    with pytest.raises(IndexAccessError) as info:
        refs().pin_url(NAME, "git+https://user:secret@127.0.0.1:9/r.git@main")
    assert "secret" not in str(info.value)


# ---------------------------------------------------------------- pinning refs


def test_refs_pin_to_their_commits(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    first = commit(repo, static_project("tool", "1.0", []))
    git(repo, "tag", "-a", "v1.0", "-m", "release")  # annotated: ls-remote lists it twice
    git(repo, "tag", "light", first)
    second = commit(repo, static_project("tool", "1.1", []))
    git(repo, "branch", "old", first)
    found = refs()
    assert found.pin_url(NAME, url(repo)) == url(repo, second)
    assert found.pin_url(NAME, url(repo, "main")) == url(repo, second)
    assert found.pin_url(NAME, url(repo, "old")) == url(repo, first)
    assert found.pin_url(NAME, url(repo, "v1.0")) == url(repo, first)
    assert found.pin_url(NAME, url(repo, "light")) == url(repo, first)
    assert found.pin_url(NAME, url(repo, "refs/heads/old")) == url(repo, first)
    assert found.pin_url(NAME, url(repo, first[:9])) == url(repo, first)
    assert found.pin_url(NAME, url(repo, first.upper())) == url(repo, first)


def test_a_moved_branch_pins_the_new_commit_in_a_new_lock(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    commit(repo, static_project("tool", "1.0", []))
    before = refs().pin_url(NAME, url(repo, "main"))
    after_commit = commit(repo, static_project("tool", "1.1", []))
    assert refs().pin_url(NAME, url(repo, "main")) == url(repo, after_commit) != before


def test_unknown_ref_and_missing_repository(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    commit(repo, static_project("tool", "1.0", []))
    with pytest.raises(InputError, match="no branch or tag 'nope'"):
        refs().pin_url(NAME, url(repo, "nope"))
    with pytest.raises(InputError, match="no commit 'abcdef12'"):
        refs().pin_url(NAME, url(repo, "abcdef12"))
    with pytest.raises(IndexAccessError, match="git ls-remote failed"):
        refs().pin_url(NAME, url(tmp_path / "absent", "main"))


def test_missing_git_program_is_explained(tmp_path: Path) -> None:
    found = GitReferences(git=str(tmp_path / "no-git-here"), env=GIT_ENV)
    with pytest.raises(InputError, match="need the git program"):
        found.pin_url(NAME, "git+https://host/r.git@main")


# ---------------------------------------------------------------- metadata


def test_static_metadata_needs_no_build(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    commit(repo, static_project("tool", "2.0", ["dep>=1", "other ; python_version < '3.8'"]))
    meta = refs().metadata(NAME, url(repo, "main"))
    assert (meta.name, str(meta.version)) == ("tool", "2.0")
    assert [str(r) for r in meta.requires_dist] == [
        "dep>=1",
        'other; python_version < "3.8"',
        'speedup>=2; os_name == "posix" and extra == "fast"',
    ]
    assert str(meta.requires_python) == ">=3.9"
    assert meta.provides_extra == ("fast",)


def test_metadata_is_read_at_the_pinned_commit(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    commit(repo, static_project("tool", "1.0", ["dep<2"]))
    git(repo, "tag", "v1")
    commit(repo, static_project("tool", "2.0", ["dep>=2"]))
    meta = refs().metadata(NAME, url(repo, "v1"))
    assert str(meta.version) == "1.0"
    assert str(meta.requires_dist[0]) == "dep<2"


def test_subdirectory(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    files = {f"libs/tool/{k}": v for k, v in static_project("tool", "3.0", []).items()}
    commit(repo, files)
    meta = refs().metadata(NAME, url(repo, "main", "libs/tool"))
    assert str(meta.version) == "3.0"
    with pytest.raises(InputError, match="has no folder 'libs/nope'"):
        refs().metadata(NAME, url(repo, "main", "libs/nope"))


def test_dynamic_metadata_needs_allow_build(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    sha = commit(repo, dynamic_project("tool", "4.0", ["dep>=3"]))
    with pytest.raises(BuildRequiredError) as info:
        refs().metadata(NAME, url(repo, "main"))
    message = str(info.value)
    assert "--allow-build" in message and sha in message and "executes its code" in message


def test_dynamic_metadata_is_built_when_allowed(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    commit(repo, dynamic_project("tool", "4.0", ["dep>=3", "extra-dep ; os_name == 'nt'"]))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env["PIP_CONFIG_FILE"] = os.devnull

    def build(tarball: Path, filename: str) -> bytes:
        return build_metadata(
            tarball, filename=filename, index_url=None, timeout=120, python=sys.executable, env=env
        )

    meta = refs(build=build).metadata(NAME, url(repo, "main"))
    assert (meta.name, str(meta.version)) == ("tool", "4.0")
    assert [str(r) for r in meta.requires_dist] == ["dep>=3", 'extra-dep; os_name == "nt"']


def test_wrong_project_name_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    commit(repo, static_project("other-tool", "1.0", []))
    with pytest.raises(InputError, match="is the project other-tool, not tool"):
        refs().metadata(NAME, url(repo, "main"))


@pytest.mark.parametrize(
    ("text", "static"),
    [
        ('[project]\nname = "t"\nversion = "1"\n', True),
        ('[project]\nname = "t"\ndynamic = ["version"]\n', False),
        ('[project]\nname = "t"\nversion = "1"\ndynamic = ["dependencies"]\n', False),
        ('[build-system]\nrequires = ["setuptools"]\n', False),
    ],
)
def test_static_metadata_rule(tmp_path: Path, text: str, static: bool) -> None:
    (tmp_path / "pyproject.toml").write_text(text)
    assert (static_metadata(tmp_path, source="t") is not None) is static


def test_invalid_static_metadata_names_the_source(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "t"\nversion = "1"\ndependencies = ["not valid !!"]\n'
    )
    with pytest.raises(InputError, match=r"^t @ here: pyproject.toml \[project\] is not valid"):
        static_metadata(tmp_path, source="t @ here")


# ---------------------------------------------------------------- cache and offline


def test_metadata_of_a_commit_is_cached_across_runs(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    sha = commit(repo, dynamic_project("tool", "4.0", ["dep>=3"]))
    cache = Cache(tmp_path / "cache")
    built: list[str] = []

    def build(tarball: Path, filename: str) -> bytes:
        built.append(filename)
        return b"Metadata-Version: 2.1\nName: tool\nVersion: 4.0\nRequires-Dist: dep>=3\n\n"

    first = refs(build=build, cache=cache).metadata(NAME, url(repo, "main"))
    assert built == [f"tool-{sha[:12]}.tar.gz"]
    # a later run of the same commit needs neither git nor a build
    later = GitReferences(git=str(tmp_path / "no-git"), env=GIT_ENV, cache=cache)
    assert later.metadata(NAME, url(repo, sha)) == first
    assert len(built) == 1


def test_offline_reads_only_local_repositories_and_cached_commits(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    commit(repo, static_project("tool", "1.0", []))
    assert str(refs(offline=True).metadata(NAME, url(repo, "main")).version) == "1.0"
    with pytest.raises(IndexAccessError, match="--offline forbids it"):
        refs(offline=True).pin_url(NAME, "git+https://host.invalid/r.git@main")
    with pytest.raises(IndexAccessError, match="--offline forbids it"):
        refs(offline=True).metadata(NAME, f"git+https://host.invalid/r.git@{'a' * 40}")


# ---------------------------------------------------------------- over HTTP


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_repository_over_local_http(tmp_path: Path) -> None:
    """git's "dumb" HTTP protocol from a plain file server on 127.0.0.1: it cannot fetch
    one commit shallowly, so the fallback (fetch every ref) is what reads it."""
    repo = make_repo(tmp_path / "work")
    first = commit(repo, static_project("tool", "1.0", ["dep"]))
    git(repo, "tag", "v1.0")
    commit(repo, static_project("tool", "2.0", []))
    served = tmp_path / "served"
    served.mkdir()
    git(served, "clone", "--quiet", "--bare", str(repo), "tool.git")
    git(served / "tool.git", "update-server-info")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"git+http://127.0.0.1:{server.server_address[1]}/tool.git"
        found = refs()
        assert found.pin_url(NAME, f"{base}@v1.0") == f"{base}@{first}"
        meta = found.metadata(NAME, f"{base}@v1.0")
        assert (str(meta.version), [str(r) for r in meta.requires_dist][:1]) == ("1.0", ["dep"])
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
