"""``depslim.lock``: inputs and settings in, a hash-pinned lock for a target out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Unpack

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from depslim.api._files import read_lock_file
from depslim.api._locking import LockRequest, LockResult, resolve_lock
from depslim.api._session import Session, session_for
from depslim.errors import InputError
from depslim.settings import Options

__all__ = ["LockResult", "lock"]


def lock(
    inputs: Sequence[str | Path],
    *,
    output: str | Path | None = None,
    upgrade: bool = False,
    upgrade_packages: Sequence[str] = (),
    session: Session | None = None,
    **options: Unpack[Options],
) -> LockResult:
    """Resolve ``inputs`` (requirements files and/or pyproject.toml) into a hash-pinned lock.

    ``output`` names the lockfile the result will be written to: if it exists, its pins
    are preferred, so a re-lock changes nothing unless ``upgrade`` (everything) or
    ``upgrade_packages`` asks. Options are ``[tool.depslim]`` keys with ``_``
    (``python_version="3.11"``, ``index_url=…``, ``torch_backend="pypi"``, or
    ``target=Target.parse("linux/amd64", python="3.11")``); they win over the config
    file, found from the first input. Pass a :class:`Session` instead to share settings,
    cache and index client with other verbs.

    On Linux targets the torch family resolves from the PyTorch CPU index and known GPU
    packages are swapped for CPU ones, unless ``torch_backend="pypi"``. Every hash
    written is checked against the file's bytes unless ``no_verify_hashes``.

    Raises :class:`~depslim.errors.InputError` (bad input),
    :class:`~depslim.errors.NoSolutionError` (conflict) or
    :class:`~depslim.errors.IndexAccessError` (network/index failure).
    """
    paths = tuple(Path(p) for p in inputs)
    if not paths:
        raise InputError("no input given: name a requirements file or a pyproject.toml")
    run, owned = session_for(session, options, anchor=paths[0])
    try:
        output_path = Path(output) if output is not None else None
        preferred = _preferences(run, output_path, upgrade, upgrade_packages)
        if upgrade or upgrade_packages:
            run.revalidate = True  # an upgrade asks for what the index has now
        return resolve_lock(run, LockRequest(paths=paths, output=output_path, preferred=preferred))
    finally:
        if owned:
            run.close()


def _preferences(
    session: Session, output: Path | None, upgrade: bool, upgrade_packages: Sequence[str]
) -> dict[NormalizedName, Version]:
    """The existing lock's pins, except those the user asked to move."""
    if output is None or upgrade or not output.is_file():
        return {}
    try:
        existing = read_lock_file(output, target=session.settings.target)
    except InputError:
        return {}  # an unreadable or empty old lock is simply not a preference
    skip = {_name_of(n) for n in upgrade_packages}
    return {n: v for n, v in existing.versions.items() if n not in skip}


def _name_of(text: str) -> NormalizedName:
    try:
        return canonicalize_name(Requirement(text).name)
    except InvalidRequirement:
        return canonicalize_name(text)
