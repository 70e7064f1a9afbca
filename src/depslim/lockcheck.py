"""The rules ``depslim check`` applies to locks themselves (pure): DS001, DS002, DS006.

Each rule reads a :class:`~depslim.models.Lock` (the lockfile or a tier file ``split``
wrote) and judges it by the options its own header records, so a lock made with
``--torch-backend pypi`` is not blamed for its CUDA pins. The rules on the code's
imports (DS003 to DS005) live in :mod:`depslim.check`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from packaging.utils import NormalizedName
from packaging.version import Version

from depslim.check import Finding
from depslim.lockfile.header import flag_values, parse_command
from depslim.models import Lock
from depslim.target import Target
from depslim.variants import is_gpu_package

__all__ = ["gpu_findings", "stale_findings", "tier_mismatch_findings"]


def stale_findings(
    lock: Lock,
    *,
    path: str,
    inputs: Sequence[str],
    missing: Sequence[str],
    current_hash: str | None,
    wanted: Mapping[str, str],
) -> list[Finding]:
    """DS001: the lock's inputs changed (``current_hash`` differs) or are gone, or the
    settings ask for another target than the lock's (``wanted``: key → value)."""
    if missing:
        return [
            Finding(
                code="DS001",
                path=path,
                line=1,
                message=f"the lock's inputs are gone: {', '.join(missing)}",
            )
        ]
    out = []
    if current_hash is not None and current_hash != lock.inputs_hash:
        out.append(
            Finding(
                code="DS001",
                path=path,
                line=1,
                message=f"{', '.join(inputs)} changed since the lock was written",
            )
        )
    target = lock.target
    if "python-version" in wanted:
        want = Target.parse(None, python=wanted["python-version"])
        if want.python != target.python:
            out.append(_target_finding(path, "python-version", wanted, target.python_version))
    if "python-platform" in wanted:
        want = Target.parse(wanted["python-platform"], python=target.python_version)
        if want.platform != target.platform:
            out.append(_target_finding(path, "python-platform", wanted, target.platform))
    return out


def _target_finding(path: str, key: str, wanted: Mapping[str, str], locked: str) -> Finding:
    return Finding(
        code="DS001",
        path=path,
        line=1,
        message=f"{key} is {wanted[key]} but the lock is for {locked}",
    )


def gpu_findings(lock: Lock, *, path: str) -> list[Finding]:
    """DS002: GPU packages in a Linux lock made under the CPU policy (the default)."""
    if not lock.target.platform.startswith("linux/"):
        return []
    flags = parse_command(lock.command)[0] if lock.command else []
    if "pypi" in flag_values(flags, "torch-backend"):
        return []  # made with the PyPI backend on purpose: CUDA builds are what was asked
    out = []
    for pin in lock.pins:
        reason = is_gpu_package(pin.name)
        if reason:
            via = f" (via {', '.join(pin.via)})" if pin.via else ""
            out.append(
                Finding(
                    code="DS002",
                    path=path,
                    line=pin.line,
                    subject=pin.name,
                    message=f"{pin.name} is a GPU package ({reason}){via}",
                )
            )
    return out


def tier_mismatch_findings(locks: Mapping[str, Lock]) -> list[Finding]:
    """DS006: a project pinned to different versions in two of the locks (by shown path)."""
    seen: dict[NormalizedName, tuple[Version, str]] = {}
    out = []
    for path, lock in sorted(locks.items()):
        for pin in lock.pins:
            if pin.version is None:
                continue
            first = seen.setdefault(pin.name, (pin.version, path))
            if first[0] != pin.version:
                out.append(
                    Finding(
                        code="DS006",
                        path=path,
                        line=pin.line,
                        subject=pin.name,
                        message=f"{pin.name}=={pin.version} here but =={first[0]} in {first[1]}",
                    )
                )
    return out
