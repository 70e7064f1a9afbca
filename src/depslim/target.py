"""The platform and Python a lock is made for, not the machine depslim runs on.

A :class:`Target` turns into the two things resolution needs: the PEP 508 marker
environment and the ordered list of wheel tags the target's installer accepts.
Pure: nothing here looks at the host except :func:`Target.parse`'s default Python.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from packaging import tags as _tags
from packaging.markers import Marker, UndefinedEnvironmentName

from depslim.errors import InputError

__all__ = ["PLATFORM_HELP", "Target", "evaluate_marker"]

PLATFORM_HELP = (
    "linux/amd64, linux/arm64, linux/amd64-musl, linux/arm64-musl, macos/arm64, macos/amd64, "
    "windows/amd64, windows/arm64, or uv's spellings (x86_64-manylinux_2_28, "
    "aarch64-unknown-linux-gnu, x86_64-pc-windows-msvc, ...)"
)

_ARCH_ALIASES = {
    "amd64": "x86_64",
    "x86_64": "x86_64",
    "x64": "x86_64",
    "arm64": "aarch64",
    "aarch64": "aarch64",
    "arm64/v8": "aarch64",
}
_OS_ALIASES = {
    "linux": "linux",
    "macos": "macos",
    "darwin": "macos",
    "osx": "macos",
    "windows": "windows",
    "win": "windows",
}

DEFAULT_GLIBC = (2, 28)
DEFAULT_MUSL = (1, 2)
DEFAULT_MACOS = (14, 0)  # the macOS release the target Mac runs; wheels for it or older fit


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """A platform and a CPython version to resolve for.

    ``os`` is ``linux``, ``macos`` or ``windows``; ``arch`` is ``x86_64`` or
    ``aarch64``; ``libc`` is ``gnu`` or ``musl`` on Linux and ``None`` elsewhere, with
    ``libc_version`` the newest manylinux/musllinux level accepted; ``os_version`` is
    the macOS release the target Mac runs (wheels built for it or older fit).
    """

    python: tuple[int, int]
    python_full: str
    os: str = "linux"
    arch: str = "x86_64"
    libc: str | None = "gnu"
    libc_version: tuple[int, int] | None = DEFAULT_GLIBC
    os_version: tuple[int, int] | None = None

    # ---- construction -------------------------------------------------------------

    @classmethod
    def parse(cls, platform: str | None = None, *, python: str | None = None) -> Target:
        """Build a target from a platform string and a Python version (``"3.11"``).

        ``platform`` takes Docker's spelling (``linux/amd64``, ``linux/arm64``,
        ``linux/amd64-musl``, ``macos/arm64``, ``windows/amd64``) or uv's
        (``x86_64-manylinux_2_28``, ``aarch64-apple-darwin``, ...). The default is
        ``linux/amd64``; the default Python is the running interpreter's ``X.Y`` (patch
        level 0, so that the lock does not depend on the host's patch release).
        """
        py, full = _parse_python(python)
        fields = _parse_platform(platform or "linux/amd64")
        return cls(python=py, python_full=full, **fields)

    # ---- derived values -----------------------------------------------------------

    @property
    def python_version(self) -> str:
        return f"{self.python[0]}.{self.python[1]}"

    @property
    def platform(self) -> str:
        """Canonical Docker-style name: ``linux/amd64``, ``linux/arm64-musl``, ..."""
        arch = {"x86_64": "amd64", "aarch64": "arm64"}[self.arch]
        suffix = "-musl" if self.libc == "musl" else ""
        return f"{self.os}/{arch}{suffix}"

    def __str__(self) -> str:
        return f"{self.platform}, CPython {self.python_full}"

    @property
    def machine(self) -> str:
        """``platform_machine`` as the target's Python reports it."""
        if self.os == "windows":
            return {"x86_64": "AMD64", "aarch64": "ARM64"}[self.arch]
        if self.os == "macos":
            return {"x86_64": "x86_64", "aarch64": "arm64"}[self.arch]
        return self.arch

    def marker_environment(self) -> dict[str, str]:
        """The PEP 508 environment the target's interpreter would report."""
        system, sys_platform, os_name = {
            "linux": ("Linux", "linux", "posix"),
            "macos": ("Darwin", "darwin", "posix"),
            "windows": ("Windows", "win32", "nt"),
        }[self.os]
        return {
            "implementation_name": "cpython",
            "implementation_version": self.python_full,
            "os_name": os_name,
            "platform_machine": self.machine,
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": system,
            "platform_version": "",
            "python_full_version": self.python_full,
            "python_version": self.python_version,
            "sys_platform": sys_platform,
        }

    def marker_applies(
        self, marker: Marker | None, extras: Iterable[str] = (), *, where: str = ""
    ) -> bool:
        """Whether ``marker`` holds on the target, with any one of ``extras`` (or none).

        A marker that can't be evaluated (``python_full_version === ''``,
        ``python_version ~= '3'``) raises :class:`InputError` naming it, prefixed by
        ``where`` (``file:line``, or the package whose metadata holds it).
        """
        if marker is None:
            return True
        environment = self.marker_environment()
        return any(
            evaluate_marker(marker, {**environment, "extra": extra}, where=where)
            for extra in (list(extras) or [""])
        )

    def platform_tags(self) -> list[str]:
        """Platform tags the target accepts, most specific first."""
        if self.os == "windows":
            return ["win_amd64" if self.arch == "x86_64" else "win_arm64"]
        if self.os == "macos":
            version = self.os_version or DEFAULT_MACOS
            arch = "arm64" if self.arch == "aarch64" else "x86_64"
            return list(_tags.mac_platforms(version, arch))
        assert self.libc_version is not None
        major, minor = self.libc_version
        out = []
        if self.libc == "musl":
            out += [f"musllinux_{major}_{m}_{self.arch}" for m in range(minor, -1, -1)]
        else:
            legacy = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}
            for m in range(minor, 4, -1):
                out.append(f"manylinux_{major}_{m}_{self.arch}")
                alias = legacy.get((major, m))
                if alias and (self.arch == "x86_64" or alias == "manylinux2014"):
                    out.append(f"{alias}_{self.arch}")
        out.append(f"linux_{self.arch}")
        return out

    def tags(self) -> list[_tags.Tag]:
        """Every wheel tag the target accepts, best first (as pip would rank them)."""
        platforms = self.platform_tags()
        interp = f"cp{self.python[0]}{self.python[1]}"
        out = list(_tags.cpython_tags(self.python, abis=[interp], platforms=platforms, warn=False))
        out += list(_tags.compatible_tags(self.python, interp, platforms))
        return out

    def tag_rank(self, tag: _tags.Tag) -> int | None:
        """Position of ``tag`` in :meth:`tags` (lower is better), or ``None`` if unsupported."""
        return _tag_priority(self).get(tag)

    def best_rank(self, tags: frozenset[_tags.Tag]) -> int | None:
        """The best :meth:`tag_rank` among a wheel's ``tags``; ``None`` if none fits."""
        return _best_rank(self, tags)

    def supports(self, tags: frozenset[_tags.Tag]) -> bool:
        """True when a wheel carrying ``tags`` installs on the target."""
        return _best_rank(self, tags) is not None


def evaluate_marker(marker: Marker, environment: Mapping[str, str], *, where: str = "") -> bool:
    """``marker`` evaluated in ``environment``; :class:`InputError` when it can't be.

    :mod:`packaging` raises a ``ValueError`` for a comparison it can't decide (``===``
    or ``~=`` against a value that is no version) and a ``KeyError`` for a name the
    environment lacks (``dependency_groups`` outside a PEP 751 lock); each becomes one
    line naming the marker and what to do.
    """
    try:
        return marker.evaluate(dict(environment))
    except UndefinedEnvironmentName as exc:
        prefix = f"{where}: " if where else ""
        name = exc.args[0] if exc.args else "?"
        raise InputError(
            f"{prefix}marker '{marker}' can't be evaluated: it names {name!r}, which the "
            "target's environment does not define; use the PEP 508 names (python_version, "
            "sys_platform, platform_machine, ...)"
        ) from None
    except (ValueError, TypeError, RecursionError) as exc:
        prefix = f"{where}: " if where else ""
        reason = str(exc).strip() or type(exc).__name__
        raise InputError(
            f"{prefix}marker '{marker}' can't be evaluated ({reason}); write a comparison "
            "PEP 508 can decide, such as python_full_version >= '3.11.2'"
        ) from None


@lru_cache(maxsize=16)
def _tag_priority(target: Target) -> dict[_tags.Tag, int]:
    return {tag: i for i, tag in enumerate(target.tags())}


@lru_cache(maxsize=8192)
def _best_rank(target: Target, tags: frozenset[_tags.Tag]) -> int | None:
    # Wheels of one project share a few tag sets: rank each set once per target.
    priority = _tag_priority(target)
    ranks = [r for t in tags if (r := priority.get(t)) is not None]
    return min(ranks) if ranks else None


def _parse_python(python: str | None) -> tuple[tuple[int, int], str]:
    if python is None:
        # The running interpreter's X.Y, not its patch level: two developers on 3.11.7
        # and 3.11.9 must write the same lock.
        info = sys.version_info
        return (info.major, info.minor), f"{info.major}.{info.minor}.0"
    text = python.strip().removeprefix("cp").removeprefix("python").removeprefix("py")
    match = re.fullmatch(r"(\d)\.?(\d+)(?:\.(\d+))?", text)
    if not match or int(match.group(1)) != 3:
        raise InputError(
            f"unsupported Python version {python!r}: give a CPython 3 version like 3.11 or 3.12.4"
        )
    major, minor = int(match.group(1)), int(match.group(2))
    micro = match.group(3) or "0"
    return (major, minor), f"{major}.{minor}.{micro}"


def _parse_platform(text: str) -> dict[str, Any]:
    raw = text.strip().lower()
    # Docker / depslim spelling: os/arch[-musl]
    if "/" in raw:
        os_part, _, arch_part = raw.partition("/")
        musl = arch_part.endswith("-musl")
        arch_part = arch_part.removesuffix("-musl")
        os_name = _OS_ALIASES.get(os_part)
        arch = _ARCH_ALIASES.get(arch_part)
        if os_name is None or arch is None or (musl and os_name != "linux"):
            raise _bad_platform(text)
        return _fields(os_name, arch, "musl" if musl else None)
    # uv spellings
    if raw in ("linux", "macos", "windows"):
        return _fields(raw, "aarch64" if raw == "macos" else "x86_64", None)
    match = re.fullmatch(r"(x86_64|aarch64|arm64|amd64)-(.+)", raw)
    if not match:
        raise _bad_platform(text)
    arch = _ARCH_ALIASES[match.group(1)]
    rest = match.group(2)
    if rest in ("unknown-linux-gnu", "manylinux"):
        return _fields("linux", arch, None)
    if rest in ("unknown-linux-musl", "musllinux"):
        return _fields("linux", arch, "musl")
    if rest == "apple-darwin":
        return _fields("macos", arch, None)
    if rest == "pc-windows-msvc":
        return _fields("windows", arch, None)
    legacy = {"manylinux2014": (2, 17), "manylinux2010": (2, 12), "manylinux1": (2, 5)}
    if rest in legacy:
        return _fields("linux", arch, None, libc_version=legacy[rest])
    level = re.fullmatch(r"(many|musl)linux_(\d+)_(\d+)", rest)
    if level:
        kind = "musl" if level.group(1) == "musl" else None
        return _fields("linux", arch, kind, libc_version=(int(level.group(2)), int(level.group(3))))
    raise _bad_platform(text)


def _fields(
    os_name: str, arch: str, libc: str | None, *, libc_version: tuple[int, int] | None = None
) -> dict[str, Any]:
    if os_name == "linux":
        libc = libc or "gnu"
        default = DEFAULT_MUSL if libc == "musl" else DEFAULT_GLIBC
        return {
            "os": "linux",
            "arch": arch,
            "libc": libc,
            "libc_version": libc_version or default,
            "os_version": None,
        }
    os_version = DEFAULT_MACOS if os_name == "macos" else None
    return {
        "os": os_name,
        "arch": arch,
        "libc": None,
        "libc_version": None,
        "os_version": os_version,
    }


def _bad_platform(text: str) -> InputError:
    return InputError(f"unknown platform {text!r}: use one of {PLATFORM_HELP}")
