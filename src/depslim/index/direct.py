"""Direct references to git repositories: ``name @ git+https://host/repo.git@ref``.

A git reference is pinned to the commit its ref names when the lock is made, and
written back as the commit URL (``git+https://host/repo.git@<40 hex>``), as uv does:
the lock then installs the same tree tomorrow. The real ``git`` program does the work
(``ls-remote`` for branches and tags, a shallow fetch of the commit, a full clone only
for an abbreviated commit), with no prompt for credentials and a timeout.

The project's metadata comes from the checkout: read from ``pyproject.toml`` when its
``[project]`` table declares name, version and dependencies statically (no code runs),
else built by the project's PEP 517 backend, which runs its code and so happens only
with ``--allow-build``. Only ``git+`` URLs are read; ``hg+``, ``svn+`` and ``bzr+`` are
refused with a message.

:class:`GitReferences` implements the resolver's
:class:`~depslim.resolve.protocol.DirectReferences`.
"""

from __future__ import annotations

import os
import re
import subprocess
import tarfile
import tempfile
import threading
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from depslim.errors import BuildRequiredError, IndexAccessError, InputError
from depslim.index.metadata import parse_core_metadata
from depslim.models import CoreMetadata

__all__ = [
    "GitReferences",
    "GitUrl",
    "MetadataCache",
    "is_vcs_url",
    "parse_git_url",
    "shown",
    "static_metadata",
]

_VCS_PREFIXES = ("git+", "hg+", "svn+", "bzr+")
_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
_SHORT_SHA = re.compile(r"^[0-9a-f]{7,39}$")
_GIT_SCHEMES = ("https", "http", "ssh", "file", "git")

#: ``build(tarball, filename)`` returns the METADATA bytes the project's build backend
#: writes (:func:`depslim.index.build.build_metadata` with the lock's indexes).
Builder = Callable[[Path, str], bytes]


class MetadataCache(Protocol):
    """Where metadata is kept between runs (:class:`depslim.index.cache.Cache` is one)."""

    def get_metadata(self, key: str) -> CoreMetadata | None: ...

    def put_metadata(self, key: str, meta: CoreMetadata) -> None: ...


def shown(url: str) -> str:
    """``url`` for messages: credentials in it (``user:token@``, ``token@``) hidden.

    ``git@`` (the usual ssh user) is kept: it is no secret.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at or userinfo == "git":
        return url
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


def _secret(url: str) -> str | None:
    try:
        userinfo, at, _ = urlsplit(url).netloc.rpartition("@")
    except ValueError:
        return None
    return userinfo if at and userinfo != "git" else None


def is_vcs_url(url: str) -> bool:
    """Whether ``url`` is a VCS reference (``git+…``, ``hg+…``, ``svn+…``, ``bzr+…``)."""
    return url.strip().lower().startswith(_VCS_PREFIXES)


@dataclass(frozen=True, slots=True, kw_only=True)
class GitUrl:
    """A ``git+`` URL taken apart: what git clones, the ref asked for, the subdirectory."""

    repository: str
    ref: str | None = None
    subdirectory: str | None = None

    def pinned(self, commit: str) -> str:
        """The URL with ``commit`` in place of the ref (the subdirectory kept)."""
        tail = f"#subdirectory={self.subdirectory}" if self.subdirectory else ""
        return f"git+{self.repository}@{commit}{tail}"


def parse_git_url(url: str) -> GitUrl:
    """Split ``git+SCHEME://host/path[@ref][#subdirectory=dir]``; raise InputError if bad.

    The ref is what follows the last ``@`` of the path, slashes included (``user@`` in
    the host part is not a ref). ``#egg=`` in the fragment is ignored; ``subdirectory``
    may not climb out.
    """
    text = url.strip()
    if not text.lower().startswith("git+"):
        scheme = text.split("+", 1)[0] if is_vcs_url(text) else text.split(":", 1)[0]
        raise InputError(
            f"{shown(text)}: only git references are read ({scheme} is not); build a wheel of "
            "the project (or publish it to an index) and require that file instead"
        )
    try:
        parts = urlsplit(text[4:])
    except ValueError as exc:
        raise InputError(f"{shown(text)}: not a URL ({exc})") from None
    if parts.scheme.lower() not in _GIT_SCHEMES or (parts.scheme != "file" and not parts.netloc):
        raise InputError(
            f"{shown(text)}: a git reference needs git+https://, git+ssh://, git+http://, "
            "git+git:// or git+file:// followed by the repository"
        )
    path, ref = parts.path, None
    head, at, tail = path.rpartition("@")
    if at and tail:  # as pip reads it: the ref is after the path's last "@"
        path, ref = head, unquote(tail)
    subdirectory = None
    for item in parts.fragment.split("&"):
        key, _, value = item.partition("=")
        if key == "subdirectory" and value:
            subdirectory = unquote(value).strip("/")
    if subdirectory and (".." in Path(subdirectory).parts or Path(subdirectory).is_absolute()):
        raise InputError(f"{shown(text)}: the subdirectory {subdirectory!r} leaves the repository")
    repository = urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
    return GitUrl(repository=repository, ref=ref, subdirectory=subdirectory)


class GitReferences:
    """Pin ``git+`` references to commits and read their metadata with the ``git`` CLI.

    ``build`` is given only when builds are allowed (``--allow-build``): it builds the
    metadata of a project whose metadata is not static (its code runs). ``timeout``
    bounds each git command. Pins are kept per URL for the life of the object (one
    lock: a branch is asked once). Metadata is kept in ``cache`` by repository, commit
    and subdirectory (a commit's content never changes), so a later lock of the same
    commit runs no git and no build. With ``offline`` only ``file://`` repositories and
    cached full commits are read. Thread-safe.
    """

    def __init__(
        self,
        *,
        build: Builder | None = None,
        timeout: float = 300.0,
        git: str = "git",
        env: Mapping[str, str] | None = None,
        cache: MetadataCache | None = None,
        offline: bool = False,
    ) -> None:
        self.build = build
        self.cache = cache
        self.offline = offline
        self.timeout = timeout
        self.git = git
        environment = dict(os.environ if env is None else env)
        environment["GIT_TERMINAL_PROMPT"] = "0"  # never wait on a password prompt
        environment.setdefault("GIT_ASKPASS", "echo")
        self.env = environment
        self._lock = threading.Lock()
        self._pinned: dict[str, str] = {}
        self._metadata: dict[str, CoreMetadata] = {}

    # -- the resolver's DirectReferences --------------------------------------------

    def pin_url(self, name: NormalizedName, url: str) -> str:
        """The commit URL that pins ``url`` (a ``git+`` URL whose ref may move)."""
        with self._lock:
            if url not in self._pinned:
                git_url = parse_git_url(url)
                self._pinned[url] = git_url.pinned(self._commit(name, url, git_url))
            return self._pinned[url]

    def metadata(self, name: NormalizedName, url: str) -> CoreMetadata:
        """The metadata of the project at ``url`` (pinned with :meth:`pin_url` first)."""
        pinned = self.pin_url(name, url)
        with self._lock:
            if pinned not in self._metadata:
                self._metadata[pinned] = self._cached_metadata(name, pinned)
            return self._metadata[pinned]

    def _cached_metadata(self, name: NormalizedName, pinned: str) -> CoreMetadata:
        key = f"git:{shown(pinned)}"
        meta = self.cache.get_metadata(key) if self.cache is not None else None
        if meta is None:
            self._refuse_offline(pinned)
            meta = self._read_metadata(name, pinned)
            if self.cache is not None:
                self.cache.put_metadata(key, meta)
        if meta.name != name:
            raise InputError(f"{shown(pinned)} is the project {meta.name}, not {name}")
        return meta

    def _refuse_offline(self, url: str) -> None:
        if self.offline and not parse_git_url(url).repository.lower().startswith("file:"):
            raise IndexAccessError(
                f"{shown(url)}: reading a git repository needs the network and --offline "
                "forbids it: run once without --offline, or name a full commit that an "
                "earlier lock read",
                url=shown(url),
            )

    # -- git -------------------------------------------------------------------------

    def _run(self, args: Sequence[str], *, cwd: Path | None, url: str, what: str) -> str:
        try:
            done = subprocess.run(
                [self.git, *args],
                cwd=cwd,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except FileNotFoundError:
            raise InputError(
                f"{shown(url)}: git references need the git program, and {self.git!r} was not "
                "found; install git or require a wheel of the project instead"
            ) from None
        except subprocess.TimeoutExpired:
            raise IndexAccessError(
                f"{shown(url)}: git {what} took longer than {self.timeout:.0f}s", url=shown(url)
            ) from None
        if done.returncode != 0:
            lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
            reason = lines[-1] if lines else f"exit status {done.returncode}"
            secret = _secret(url)
            if secret:
                reason = reason.replace(secret, "***")
            raise IndexAccessError(f"{shown(url)}: git {what} failed: {reason}", url=shown(url))
        return done.stdout

    def _commit(self, name: NormalizedName, url: str, git_url: GitUrl) -> str:
        ref = git_url.ref
        if ref is not None and _FULL_SHA.match(ref.lower()):
            return ref.lower()
        self._refuse_offline(url)
        listing = self._run(
            ["ls-remote", "--", git_url.repository], cwd=None, url=url, what="ls-remote"
        )
        refs: dict[str, str] = {}
        for line in listing.splitlines():
            sha, _, refname = line.partition("\t")
            if refname:
                refs[refname.strip()] = sha.strip()
        wanted = "HEAD" if ref is None else ref
        # git's own order for a short name: a tag before a branch
        names = [wanted]
        if wanted != "HEAD" and not wanted.startswith("refs/"):
            names = [f"refs/tags/{wanted}", f"refs/heads/{wanted}"]
        for refname in names:
            # an annotated tag is listed twice; ``^{}`` is the commit it points at
            found = refs.get(f"{refname}^{{}}") or refs.get(refname)
            if found:
                return found.lower()
        if ref is not None and _SHORT_SHA.match(ref.lower()):
            return self._expand_short(url, git_url, ref.lower())
        raise InputError(
            f"{name} @ {shown(url)}: the repository has no branch or tag {wanted!r} (and "
            "it is not a commit); name an existing branch, tag or full commit"
        )

    def _expand_short(self, url: str, git_url: GitUrl, short: str) -> str:
        with tempfile.TemporaryDirectory(prefix="depslim-git-") as tmp:
            self._run(
                ["clone", "--quiet", "--bare", "--filter=blob:none", "--", git_url.repository, tmp],
                cwd=None,
                url=url,
                what="clone",
            )
            try:
                out = self._run(
                    ["rev-parse", "--verify", "--quiet", f"{short}^{{commit}}"],
                    cwd=Path(tmp),
                    url=url,
                    what="rev-parse",
                )
            except IndexAccessError:
                raise InputError(
                    f"{shown(url)}: no commit {short!r} in the repository; name an existing "
                    "branch, tag or full commit"
                ) from None
        return out.strip().lower()

    def _checkout(self, url: str, git_url: GitUrl, commit: str, dest: Path) -> None:
        self._run(["init", "--quiet", str(dest)], cwd=None, url=url, what="init")
        try:
            self._run(
                ["fetch", "--quiet", "--depth=1", "--", git_url.repository, commit],
                cwd=dest,
                url=url,
                what="fetch",
            )
        except IndexAccessError:
            # servers that refuse to serve a commit by its id: fetch everything instead
            self._run(
                ["fetch", "--quiet", "--", git_url.repository, "+refs/*:refs/remotes/all/*"],
                cwd=dest,
                url=url,
                what="fetch",
            )
        self._run(
            ["-c", "advice.detachedHead=false", "checkout", "--quiet", commit],
            cwd=dest,
            url=url,
            what=f"checkout of {commit}",
        )

    # -- metadata --------------------------------------------------------------------

    def _read_metadata(self, name: NormalizedName, pinned: str) -> CoreMetadata:
        git_url = parse_git_url(pinned)
        commit = git_url.ref or ""
        with tempfile.TemporaryDirectory(prefix="depslim-git-") as tmp:
            work = Path(tmp) / "checkout"
            self._checkout(pinned, git_url, commit, work)
            tree = work / git_url.subdirectory if git_url.subdirectory else work
            if not tree.is_dir():
                raise InputError(
                    f"{name} @ {shown(pinned)}: the commit has no folder {git_url.subdirectory!r}"
                )
            meta = static_metadata(tree, source=f"{name} @ {shown(pinned)}")
            if meta is None:
                if self.build is None:
                    raise BuildRequiredError(
                        f"{name} @ {shown(pinned)}: the project's metadata is not static (its "
                        "pyproject.toml [project] table does not declare name, version and "
                        "dependencies, or there is none): reading it would run the project's "
                        "build backend, which executes its code. Pass --allow-build to allow "
                        "that, or require a wheel of the project instead."
                    )
                meta = self._built(name, tree, commit, Path(tmp))
        return meta

    def _built(self, name: NormalizedName, tree: Path, commit: str, tmp: Path) -> CoreMetadata:
        """Pack the checkout as an sdist-like tarball and hand it to the build frontend."""
        filename = f"{name}-{commit[:12]}.tar.gz"
        tarball = tmp / filename
        with tarfile.open(tarball, "w:gz") as archive:
            for path in sorted(tree.rglob("*")):
                if ".git" in path.relative_to(tree).parts:
                    continue
                archive.add(
                    path, arcname=f"{name}/{path.relative_to(tree).as_posix()}", recursive=False
                )
        assert self.build is not None
        data = self.build(tarball, filename)
        return parse_core_metadata(data, source=f"{name} at {commit} (built)")


def static_metadata(tree: Path, *, source: str) -> CoreMetadata | None:
    """Metadata from ``tree/pyproject.toml`` when ``[project]`` declares it statically.

    Static means: ``name`` and ``version`` given, and none of ``version``,
    ``dependencies``, ``optional-dependencies`` and ``requires-python`` listed in
    ``dynamic`` (PEP 621). ``None`` otherwise: the build backend must be asked. A value
    that does not parse is an :class:`InputError` naming ``source``.
    """
    path = tree / "pyproject.toml"
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: pyproject.toml does not parse ({exc})") from None
    project = data.get("project")
    if not isinstance(project, dict):
        return None
    dynamic = {str(d) for d in project.get("dynamic", []) if isinstance(d, str)}
    needed = {"version", "dependencies", "optional-dependencies", "requires-python"}
    if dynamic & needed or "name" not in project or "version" not in project:
        return None
    try:
        name = canonicalize_name(str(project["name"]))
        version = Version(str(project["version"]))
        requires_python = (
            SpecifierSet(str(project["requires-python"])) if "requires-python" in project else None
        )
        requires = [Requirement(str(r)) for r in _strings(project.get("dependencies", []))]
        extras: list[NormalizedName] = []
        optional = project.get("optional-dependencies", {})
        for extra, items in optional.items() if isinstance(optional, dict) else []:
            extra_name = canonicalize_name(str(extra))
            extras.append(extra_name)
            requires += [_with_extra(Requirement(i), extra_name) for i in _strings(items)]
    except (InvalidVersion, InvalidSpecifier, InvalidRequirement) as exc:
        raise InputError(f"{source}: pyproject.toml [project] is not valid ({exc})") from None
    return CoreMetadata(
        name=name,
        version=version,
        metadata_version="2.2",
        requires_dist=tuple(requires),
        requires_python=requires_python,
        provides_extra=tuple(extras),
    )


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _with_extra(requirement: Requirement, extra: NormalizedName) -> Requirement:
    condition = f'extra == "{extra}"'
    marker = f"({requirement.marker}) and {condition}" if requirement.marker else condition
    text = str(requirement).split(";", 1)[0].strip()
    return Requirement(f"{text} ; {marker}")
