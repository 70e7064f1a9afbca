"""``depslim.lock``: inputs and config in, a hash-pinned lock for a target out."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from depslim.errors import DepslimError, IndexAccessError, InputError, NoSolutionError
from depslim.index.cache import Cache
from depslim.index.client import ClientSettings, IndexClient
from depslim.index.routing import Routing
from depslim.inputs import parse_pyproject, parse_requirements, project_name
from depslim.lockfile import (
    lock_to_json,
    read_requirements_lock,
    render_requirements_txt,
)
from depslim.models import IndexSource, InputRequirement, Inputs, Location, Lock, Pin, PinnedFile
from depslim.resolve.candidates import BinaryPolicy
from depslim.resolve.policy import cpu_candidate_filter, cpu_candidate_key, explicit_locals
from depslim.resolve.requirements import Req
from depslim.resolve.resolver import Resolution, resolve
from depslim.target import Target
from depslim.variants import (
    DEFAULT_TORCH_INDEX,
    Swap,
    TorchPolicy,
    apply_swaps,
    explain_gpu,
    is_gpu_package,
    swap_requirement,
    torch_policy_for,
)

__all__ = ["LockResult", "bound_routing", "inputs_hash", "lock", "read_inputs"]


from depslim.api._files import (
    PYPI,
    Progress,
    cache_root,
    display_path,
    find_project_config,
    load_settings,
    package_version,
    relative_location,
    write_atomic,
)

# ---- lock -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LockResult:
    """The outcome of :func:`lock`: the lock itself, warnings, and how to write it."""

    lock: Lock
    warnings: tuple[str, ...] = ()
    swaps: tuple[Swap, ...] = ()
    resolution: Resolution | None = field(default=None, repr=False, compare=False)

    @property
    def pins(self) -> tuple[Pin, ...]:
        return self.lock.pins

    def text(self) -> str:
        """The lock as requirements.txt text."""
        return render_requirements_txt(self.lock, version=package_version())

    def to_json(self) -> dict[str, Any]:
        """The lock as plain data (what ``--json`` prints)."""
        data = lock_to_json(self.lock)
        data["warnings"] = list(self.warnings)
        data["swaps"] = [
            {"from": sw.original, "to": sw.replacement, "kind": sw.kind, "note": sw.note}
            for sw in self.swaps
        ]
        return data

    def write(self, path: str | Path) -> None:
        """Write requirements.txt atomically (``.json`` suffix: the JSON document)."""
        if str(path).endswith(".json"):
            write_atomic(path, json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n")
        else:
            write_atomic(path, self.text())


def _read_inputs(
    paths: Sequence[Path], *, extras: Sequence[str], groups: Sequence[str], all_extras: bool
) -> Inputs:
    merged: list[InputRequirement] = []
    index_url: str | None = None
    extra: list[str] = []
    find_links: list[str] = []
    pre = no_index = False
    only_binary: list[str] = []
    no_binary: list[str] = []
    for path in paths:
        if not path.is_file():
            raise InputError(f"{path}: no such file (give a requirements file or pyproject.toml)")
        if path.name.endswith(".toml"):
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"{path}: not UTF-8 text ({exc.reason})") from None
            inputs = parse_pyproject(
                text, path=path, extras=extras, groups=groups, all_extras=all_extras
            )
        else:
            if extras or groups or all_extras:
                raise InputError(f"{path}: --extra and --group apply to pyproject.toml inputs only")
            inputs = parse_requirements(path)
        merged.extend(_expand_local_projects(inputs.requirements))
        index_url = index_url or inputs.index_url
        extra += [u for u in inputs.extra_index_urls if u not in extra]
        find_links += [u for u in inputs.find_links if u not in find_links]
        pre = pre or inputs.pre
        no_index = no_index or inputs.no_index
        only_binary += inputs.only_binary
        no_binary += inputs.no_binary
    return Inputs(
        requirements=tuple(merged),
        index_url=index_url,
        extra_index_urls=tuple(extra),
        find_links=tuple(find_links),
        pre=pre,
        files=tuple(paths),
        no_index=no_index,
        only_binary=tuple(only_binary),
        no_binary=tuple(no_binary),
    )


def _expand_local_projects(items: Iterable[InputRequirement]) -> list[InputRequirement]:
    """Replace a local project folder (``-e .``) by its own static dependencies.

    The folder itself is not pinned: it is the application being locked. Its
    ``pyproject.toml`` must declare dependencies statically; anything else would need a build.
    """
    out: list[InputRequirement] = []
    for item in items:
        folder = Path(item.path) if item.path else None
        if folder is None or not folder.is_dir():
            out.append(item)
            continue
        pyproject = folder / "pyproject.toml"
        if not pyproject.is_file():
            raise InputError(
                f"{item.origin}: {folder} has no pyproject.toml; depslim reads a local "
                "project's dependencies from its [project] table (setup.py would need a build)"
            )
        extras = sorted(item.requirement.extras)
        inner = parse_pyproject(
            pyproject.read_text(encoding="utf-8"), path=pyproject, extras=extras
        )
        out.extend(_expand_local_projects(inner.requirements))
    return out


def inputs_hash(inputs: Inputs, target: Target, flags: Sequence[str]) -> str:
    """Fingerprint of what decides the lock's content: requirements, target, options.

    Comments, ordering and file layout do not count. ``flags`` are the canonical options
    written into the lock's command line (everything but inputs, output and target).
    """
    doc = {
        "requirements": sorted(
            f"{'c' if r.constraint else 'r'} {r.requirement}" for r in inputs.requirements
        ),
        "target": [target.platform, target.python_full, target.libc_version, target.os_version],
        "flags": list(flags),
    }
    raw = json.dumps(doc, sort_keys=True, default=str).encode()
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _command(
    paths: Sequence[Path], output: Path | None, target: Target, flags: Sequence[str]
) -> str:
    parts = ["depslim", "lock", *(display_path(p) for p in paths)]
    if output is not None:
        parts += ["-o", display_path(output)]
    parts += ["--python-version", target.python_full, "--python-platform", target.platform]
    parts += list(flags)
    return shlex.join(parts)


def lock(
    inputs: Sequence[str | Path],
    *,
    target: Target | None = None,
    output: str | Path | None = None,
    index_url: str | None = None,
    extra_index_urls: Sequence[str] = (),
    find_links: Sequence[str] = (),
    extras: Sequence[str] = (),
    groups: Sequence[str] = (),
    all_extras: bool = False,
    pre: bool | None = None,
    upgrade: bool = False,
    upgrade_packages: Sequence[str] = (),
    allow_build: bool | None = None,
    cache_dir: str | Path | None = None,
    no_cache: bool | None = None,
    offline: bool | None = None,
    timeout: float | None = None,
    retries: int | None = None,
    concurrency: int | None = None,
    torch_backend: str | None = None,
    torch_index_url: str | None = None,
    headless: bool | None = None,
    no_index: bool | None = None,
    only_binary: Sequence[str] = (),
    no_binary: Sequence[str] = (),
    verify_hashes: bool | None = None,
    config: str | Path | bool | None = True,
    progress: Progress | None = None,
    client_settings: ClientSettings | None = None,
) -> LockResult:
    """Resolve ``inputs`` (requirements files and/or pyproject.toml) into a hash-pinned lock.

    ``target`` defaults to ``[tool.depslim]``'s python-version/python-platform, else
    linux/amd64 with the running Python. ``output`` names the lockfile the result will be
    written to: if it exists, its pins are preferred so a re-lock changes nothing unless
    ``upgrade`` (everything) or ``upgrade_packages`` asks. ``config`` is the
    pyproject.toml holding ``[tool.depslim]`` (``True``: the nearest one above the first
    input; ``False``/``None``: none). Explicit arguments override the config file.

    On Linux targets the torch family resolves from the PyTorch CPU index
    (``torch_index_url``) and known GPU packages are swapped for CPU ones, unless
    ``torch_backend="pypi"``; ``headless`` also swaps opencv for its headless build.

    Every hash written into the lock is checked against the file's bytes (streamed once,
    then cached by URL); ``verify_hashes=False`` trusts the index's listing instead.

    Raises :class:`~depslim.errors.InputError` (bad input),
    :class:`~depslim.errors.NoSolutionError` (conflict) or
    :class:`~depslim.errors.IndexAccessError` (network/index failure).
    """
    paths = [Path(p) for p in inputs]
    if not paths:
        raise InputError("no input given: name a requirements file or a pyproject.toml")
    config_path: Path | None
    if config is True:
        config_path = find_project_config(paths[0])
    elif config is False or config is None:
        config_path = None
    else:
        config_path = Path(config)
    settings = load_settings(config_path)

    extras = tuple(extras) or settings.extra or ()
    groups = tuple(groups) or settings.group or ()
    all_extras = all_extras or bool(settings.all_extras)
    if target is None:
        target = Target.parse(settings.python_platform, python=settings.python_version)
    declared = _read_inputs(paths, extras=extras, groups=groups, all_extras=all_extras)

    no_index = bool(no_index if no_index is not None else (declared.no_index or settings.no_index))
    chosen_index: str | None = index_url or declared.index_url or settings.index_url or PYPI
    extra_urls = _unique(
        [*extra_index_urls, *declared.extra_index_urls, *(settings.extra_index_url or ())]
    )
    extra_urls = [u for u in extra_urls if u.rstrip("/") != (chosen_index or "").rstrip("/")]
    links_dirs = _unique([*find_links, *declared.find_links, *(settings.find_links or ())])
    binary = _binary_policy(
        [*declared.only_binary, *(settings.only_binary or ()), *only_binary],
        [*declared.no_binary, *(settings.no_binary or ()), *no_binary],
    )
    if no_index:  # pip's --no-index: only --find-links locations
        if not links_dirs:
            raise InputError("--no-index needs at least one --find-links location to lock from")
        chosen_index, extra_urls = None, []
    allow_pre = bool(pre if pre is not None else (declared.pre or settings.pre))
    allow_build = bool(allow_build if allow_build is not None else settings.allow_build)
    offline = bool(offline if offline is not None else settings.offline)
    if verify_hashes is None:
        verify_hashes = not settings.no_verify_hashes
    no_cache = bool(no_cache if no_cache is not None else settings.no_cache)

    base_settings = client_settings or ClientSettings()
    # An upgrade asks for what the index has now: revalidate every page.
    overrides: dict[str, Any] = {
        "allow_build": allow_build,
        "offline": offline,
        "honor_max_age": base_settings.honor_max_age and not (upgrade or upgrade_packages),
    }
    if (t := timeout or settings.timeout) is not None:
        overrides["timeout"] = t
    if (r := retries if retries is not None else settings.retries) is not None:
        overrides["retries"] = r
    if (c := concurrency or settings.concurrency) is not None:
        overrides["concurrency"] = c
    client_conf = replace(base_settings, **overrides)

    cache: Cache | None = None
    if not no_cache:
        cache = Cache(cache_root(cache_dir, settings))
    elif offline:
        raise InputError("--offline needs the cache: drop --no-cache")

    output_path = Path(output) if output is not None else None
    preferred = _preferences(output_path, upgrade=upgrade, upgrade_packages=upgrade_packages)
    policy = torch_policy_for(
        target,
        torch_backend or settings.torch_backend or "cpu",
        torch_index_url or settings.torch_index_url or DEFAULT_TORCH_INDEX,
        settings.torch_family or (),
    )
    if no_index:
        policy = None  # no index at all: the torch family comes from --find-links too
    headless = bool(headless if headless is not None else settings.headless)
    backend = "pypi" if policy is None else policy.backend
    roots = [r for r in declared.requirements if not r.constraint]
    _, root_swaps, findings = apply_swaps(
        [r.requirement for r in roots], target=target, headless=headless, backend=backend
    )
    warnings = [f"{f.requirement}: {f.message}" for f in findings]
    routing = _routing(
        chosen_index,
        extra_urls=extra_urls,
        find_links=links_dirs,
        policy=policy,
        declared=declared,
        warnings=warnings,
    )
    swaps: dict[str, Swap] = {str(sw): sw for sw in root_swaps}

    def hook(requirement: Requirement) -> Requirement:
        new, swap = swap_requirement(requirement, target=target, headless=headless, backend=backend)
        if swap is not None:
            swaps.setdefault(str(swap), swap)
        return new

    flags: list[str] = []
    if no_index:
        flags.append("--no-index")
    elif chosen_index != PYPI and chosen_index is not None:
        flags += ["--index-url", chosen_index]
    for url in extra_urls:
        flags += ["--extra-index-url", url]
    for url in links_dirs:
        flags += ["--find-links", url]
    flags += [f"--extra={e}" for e in extras] + [f"--group={g}" for g in groups]
    if all_extras:
        flags.append("--all-extras")
    if allow_pre:
        flags.append("--pre")
    if target.os == "linux" and policy is None:
        flags += ["--torch-backend", "pypi"]
    if policy is not None and policy.index_url != DEFAULT_TORCH_INDEX:
        flags += ["--torch-index-url", policy.index_url]
    if headless:
        flags.append("--headless")
    flags += [f"--only-binary={n}" for n in sorted(binary.only_binary)]
    flags += [f"--no-binary={n}" for n in sorted(binary.no_binary)]

    def on_event(kind: str, url: str) -> None:
        if progress is not None:
            progress(f"{kind} {url}")

    with IndexClient(client_conf, routing=routing, cache=cache, on_event=on_event) as client:
        try:
            resolution = resolve(
                declared.requirements,
                client,
                target,
                preferred=preferred,
                allow_prereleases=allow_pre,
                requirement_hook=hook,
                candidate_key=cpu_candidate_key(policy) if policy else None,
                candidate_filter=cpu_candidate_filter(policy) if policy else None,
                binary=binary,
                progress=progress,
                root_label=_root_label,
            )
            if progress is not None:
                progress(
                    f"hashing {sum(len(c.links) for c in resolution.candidates.values())} files"
                )
            pins = _pins(resolution, client, verify=verify_hashes)
        except NoSolutionError as exc:
            if swaps:
                listed = "\n".join(f"  {sw}" for sw in sorted(swaps.values(), key=str))
                raise NoSolutionError(
                    f"{exc}\nGPU→CPU swaps applied (a carried version must exist under the new "
                    f"name; pin the CPU project yourself if it does not):\n{listed}"
                ) from None
            raise
        except IndexAccessError as exc:
            bound = {s.url.rstrip("/") for srcs in routing.bound.values() for s in srcs}
            failed = (exc.url or "").rstrip("/")
            if policy is not None and any(failed.startswith(u) for u in bound):
                raise IndexAccessError(
                    f"{exc}\nThe torch family is locked from {policy.index_url}. Point "
                    "--torch-index-url at a mirror or a local copy of it, or keep PyPI's "
                    "CUDA builds with --torch-backend pypi.",
                    url=exc.url,
                ) from None
            raise

    warnings += _gpu_warnings(resolution, roots, policy)
    used_indexes = {p.index.rstrip("/") for p in pins}
    lock_extra = list(extra_urls)
    for sources in routing.bound.values():
        for source in sources:
            if source.url.rstrip("/") in used_indexes and source.url not in lock_extra:
                lock_extra.append(source.url)
    notes = [f"swapped: {sw}" for sw in sorted(swaps.values(), key=str)]
    if policy is not None:
        rerouted = sorted(p.name for p in pins if p.name in routing.bound)
        if rerouted:
            notes.append(f"from {policy.index_url} only (CPU builds): {', '.join(rerouted)}")

    result_lock = Lock(
        target=target,
        pins=pins,
        index_url=chosen_index,
        extra_index_urls=tuple(lock_extra),
        find_links=tuple(
            relative_location(u, output_path.parent if output_path else Path.cwd())
            for u in links_dirs
        ),
        command=_command(paths, output_path, target, flags),
        inputs_hash=inputs_hash(declared, target, flags),
        inputs=_relative_inputs(paths, output_path),
        notes=tuple(notes),
        torch_index_url=policy.index_url if policy else None,
        no_index=no_index,
    )
    return LockResult(
        lock=result_lock,
        warnings=tuple(warnings),
        resolution=resolution,
        swaps=tuple(sorted(swaps.values(), key=str)),
    )


def _binary_policy(only: Sequence[str], no: Sequence[str]) -> BinaryPolicy:
    """Combine --only-binary / --no-binary values (comma lists) as pip does, in order."""
    only_set: set[str] = set()
    no_set: set[str] = set()
    for values, target, other in ((only, only_set, no_set), (no, no_set, only_set)):
        for value in values:
            for item in (v.strip() for v in value.split(",")):
                if item == ":all:":
                    target.clear()
                    other.discard(":all:")
                    target.add(":all:")
                elif item == ":none:":
                    target.clear()
                elif item:
                    name = canonicalize_name(item)
                    other.discard(name)
                    target.add(name)
    return BinaryPolicy(only_binary=frozenset(only_set), no_binary=frozenset(no_set))


def _sibling_index(url: str, label: str) -> str:
    """``…/whl/cpu`` → ``…/whl/cu121``: where PyTorch serves builds with that label."""
    base = url.rstrip("/")
    head, _, last = base.rpartition("/")
    return f"{head}/{label}" if last == "cpu" else base


def bound_routing(
    plain: Routing,
    *,
    index_url: str,
    family: Iterable[NormalizedName],
    labels: Mapping[NormalizedName, str] | None = None,
) -> Routing:
    """``plain`` with every ``family`` project bound to ``index_url`` (exclusive).

    A project with an explicit GPU build label (``labels``: ``torch`` → ``cu121``) is
    bound to the sibling index that serves it (``…/whl/cu121``) instead.
    """
    bound: dict[NormalizedName, tuple[IndexSource, ...]] = {}
    exclusive = {index_url}
    for name in sorted(family):
        label = (labels or {}).get(name)
        url = _sibling_index(index_url, label) if label else index_url
        exclusive.add(url)
        bound[name] = (IndexSource(url=url),)
    return Routing(
        default=plain.default,
        find_links=plain.find_links,
        bound=bound,
        exclusive=frozenset(exclusive),
    )


def _routing(
    index_url: str | None,
    *,
    extra_urls: Sequence[str],
    find_links: Sequence[str],
    policy: TorchPolicy | None,
    declared: Inputs,
    warnings: list[str],
) -> Routing:
    """Plain routing, plus the torch family bound to its index when the policy is on."""
    plain = Routing.simple(index_url, extra_urls, find_links)
    if policy is None:
        return plain
    labels: dict[NormalizedName, str] = {}
    for name in sorted(policy.family):
        reqs = [
            Req.from_requirement(r.requirement, origin=str(r.origin))
            for r in declared.requirements
            if r.name == name
        ]
        explicit = sorted(lbl for lbl in explicit_locals(reqs) if lbl != "cpu")
        if explicit:
            labels[name] = explicit[0]
            warnings.append(
                f"{name}: the requirement names the +{explicit[0]} build explicitly; kept, "
                f"taken from {_sibling_index(policy.index_url, explicit[0])} "
                "(drop the local label to get the CPU build)"
            )
    return bound_routing(plain, index_url=policy.index_url, family=policy.family, labels=labels)


def _gpu_warnings(
    resolution: Resolution, roots: Sequence[InputRequirement], policy: TorchPolicy | None
) -> list[str]:
    """Name every GPU package left in a CPU-policy lock and the chain that pulled it."""
    if policy is None:
        return []
    chains = explain_gpu(resolution.dependencies, [r.name for r in roots])
    out = []
    for name, found in chains.items():
        reason = is_gpu_package(name)
        path = " -> ".join(found[0]) if found else "an unknown path"
        out.append(f"{name} is a GPU package ({reason}) still in the lock, pulled in by {path}")
    return out


def _relative_inputs(paths: Sequence[Path], output: Path | None) -> tuple[str, ...]:
    """The inputs as seen from the lockfile's folder (so a check can find them again)."""
    base = (output.parent if output is not None else Path.cwd()).resolve()
    out = []
    for path in paths:
        try:
            out.append(Path(os.path.relpath(path.resolve(), base)).as_posix())
        except ValueError:  # another drive on Windows
            out.append(path.resolve().as_posix())
    return tuple(out)


def read_inputs(
    paths: Sequence[Path], *, extras: Sequence[str], groups: Sequence[str], all_extras: bool
) -> Inputs:
    """Parse and merge the input files as ``lock`` does (local projects expanded)."""
    return _read_inputs(paths, extras=extras, groups=groups, all_extras=all_extras)


def _unique(items: Iterable[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _preferences(
    output: Path | None, *, upgrade: bool, upgrade_packages: Sequence[str]
) -> dict[NormalizedName, Version]:
    if output is None or upgrade or not output.is_file():
        return {}
    try:
        text = output.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    skip = {
        canonicalize_name(Requirement(n).name) if _valid_req(n) else canonicalize_name(n)
        for n in upgrade_packages
    }
    return {n: v for n, v in read_requirements_lock(text).versions().items() if n not in skip}


def _valid_req(text: str) -> bool:
    try:
        Requirement(text)
    except ValueError:
        return False
    return True


def _pins(resolution: Resolution, client: IndexClient, *, verify: bool) -> tuple[Pin, ...]:
    """Pins with the sha256 of every file; with ``verify`` each is checked against its bytes."""
    links = [link for cand in resolution.candidates.values() for link in cand.links]
    digest_of = client.verified_sha256 if verify else client.file_sha256
    with ThreadPoolExecutor(max_workers=client.settings.concurrency) as pool:
        digests = dict(zip((lk.url for lk in links), pool.map(digest_of, links), strict=True))
    pins = []
    for name, cand in resolution.candidates.items():
        files = tuple(
            PinnedFile(
                filename=link.filename,
                url=link.url,
                sha256=digests[link.url],
                size=link.size,
            )
            for link in cand.links
        )
        pins.append(
            Pin(
                name=name,
                version=cand.version,
                index=cand.index,
                files=files,
                via=resolution.via.get(name, ()),
                url=cand.url,
                dependencies=resolution.dependencies.get(name, ()),
            )
        )
    return tuple(pins)


def _root_label(location: Location) -> str:
    """How pip-compile names a top-level input in ``# via`` lines."""
    path = Path(location.path)
    shown = display_path(path)
    if path.name == "pyproject.toml":
        try:
            name = project_name(path.read_text(encoding="utf-8"), path=path)
        except (OSError, UnicodeDecodeError, DepslimError):
            name = None
        return f"{name} ({shown})" if name else shown
    return f"-r {shown}"


# ---- report -------------------------------------------------------------------------
