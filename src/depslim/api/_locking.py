"""Inputs and settings in, a hash-pinned :class:`~depslim.models.Lock` out.

The resolve stage's edge, shared by the verbs that pin (``lock``, ``split``, and the
PyPI comparison of ``report``): merge the declared options with the settings, bind the
torch family to its index, resolve, hash every file and build the lock and its header.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.requirements import Requirement
from packaging.utils import NormalizedName
from packaging.version import Version

from depslim.api._files import (
    display_path,
    package_version,
    read_lock_file,
    relative_location,
    write_atomic,
)
from depslim.api._session import Session
from depslim.credentials import redact_lock, redact_text
from depslim.errors import DepslimError, IndexAccessError, InputError, NoSolutionError
from depslim.index.binding import bind_projects
from depslim.index.build import build_metadata
from depslim.index.direct import GitReferences
from depslim.index.routing import Routing, bound_routing, sibling_index
from depslim.inputs import project_name, read_text
from depslim.inputs.managers import read_manager_tables
from depslim.inputs.merge import binary_sets, read_inputs, unique
from depslim.lockfile import (
    format_for_output,
    lock_to_json,
    render_requirements_txt,
    write_pylock,
)
from depslim.lockfile.header import LockFlags, command_line, inputs_hash
from depslim.models import InputRequirement, Inputs, Link, Location, Lock, Pin, PinnedFile
from depslim.resolve.candidates import BinaryPolicy
from depslim.resolve.overrides import (
    Overrides,
    fingerprint_lines,
    override_lines,
    read_overrides,
)
from depslim.resolve.policy import cpu_candidate_filter, cpu_candidate_key, explicit_locals
from depslim.resolve.requirements import Req
from depslim.resolve.resolver import Resolution, resolve
from depslim.resolve.yanked import yanked_pins
from depslim.settings import PYPI, Settings
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

if TYPE_CHECKING:
    from depslim.index.client import IndexClient

__all__ = ["LockRequest", "LockResult", "as_lock", "resolve_lock"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LockResult:
    """The outcome of a lock: the lock itself, warnings, swaps, and how to write it."""

    lock: Lock
    warnings: tuple[str, ...] = ()
    swaps: tuple[Swap, ...] = ()
    resolution: Resolution | None = field(default=None, repr=False, compare=False)

    @property
    def pins(self) -> tuple[Pin, ...]:
        return self.lock.pins

    def text(self, format: str = "requirements") -> str:
        """The lock as text: ``requirements`` (pip-compile's), ``pylock`` (PEP 751) or
        ``json``."""
        if format == "pylock":
            return write_pylock(redact_lock(self.lock))
        if format == "json":
            import json

            return json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n"
        return render_requirements_txt(self.lock, version=package_version())

    def to_json(self) -> dict[str, Any]:
        """The lock as plain data (what ``--json`` prints)."""
        data = lock_to_json(redact_lock(self.lock))  # credentials are used, never written
        data["warnings"] = [redact_text(w) for w in self.warnings]
        data["swaps"] = [
            {"from": sw.original, "to": sw.replacement, "kind": sw.kind, "note": sw.note}
            for sw in self.swaps
        ]
        return data

    def write(self, path: str | Path, format: str | None = None) -> None:
        """Write the lock atomically in ``format``, else the one the name implies
        (``pylock.toml`` / ``pylock.NAME.toml``: PEP 751; ``.json``: JSON; else
        requirements.txt). A name that implies another format than ``format`` is an
        :class:`~depslim.errors.InputError`."""
        write_atomic(path, self.text(format_for_output(str(path), format)))


def as_lock(value: str | Path | Lock | LockResult, target: Target) -> Lock:
    """The lock a verb was given: a path (read with ``target`` for a lock that does not
    name its own), a :class:`Lock`, or what :func:`~depslim.lock` returned."""
    if isinstance(value, LockResult):
        return value.lock
    if isinstance(value, Lock):
        return value
    return read_lock_file(value, target=target)


@dataclass(frozen=True, slots=True, kw_only=True)
class LockRequest:
    """What to lock, beyond the settings: the input files (or, in memory, requirements)
    and where the lock goes.

    ``preferred`` pins are kept when they still fit (the existing lock's); ``verb``,
    ``shown_inputs`` and ``extra_flags`` go into the header's command line (``split``
    names the project and records its entries).
    """

    paths: tuple[Path, ...] = ()
    requirements: tuple[InputRequirement, ...] = ()
    output: Path | None = None
    preferred: Mapping[NormalizedName, Version] = field(default_factory=dict)
    verb: str = "lock"
    shown_inputs: tuple[str, ...] | None = None
    extra_flags: tuple[str, ...] = ()
    verify_hashes: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Plan:
    """Declared inputs merged with the settings: everything the resolution needs."""

    declared: Inputs
    index_url: str | None
    extra_urls: tuple[str, ...]
    find_links: tuple[str, ...]
    no_index: bool
    pre: bool
    binary: BinaryPolicy
    policy: TorchPolicy | None
    flags: LockFlags


def _plan(settings: Settings, declared: Inputs) -> _Plan:
    """Options from the input files meet the settings: explicit options win over a file's
    own lines, which win over the config file and the defaults."""
    indexes = settings.indexes
    no_index = (
        indexes.no_index if settings.given("no-index") else (indexes.no_index or declared.no_index)
    )
    if settings.given("index-url"):
        index_url: str | None = indexes.index_url
    else:
        index_url = declared.index_url or indexes.index_url or PYPI
    extra = unique([*indexes.extra_index_urls, *declared.extra_index_urls])
    extra = [u for u in extra if u.rstrip("/") != (index_url or "").rstrip("/")]
    links = unique([*indexes.find_links, *declared.find_links])
    only, no = binary_sets(
        [*declared.only_binary, *settings.builds.only_binary],
        [*declared.no_binary, *settings.builds.no_binary],
    )
    if no_index:  # pip's --no-index: only --find-links locations
        if not links:
            raise InputError("--no-index needs at least one --find-links location to lock from")
        index_url, extra = None, []
    pre = settings.builds.pre if settings.given("pre") else (settings.builds.pre or declared.pre)
    gpu = settings.gpu
    policy = torch_policy_for(
        settings.target, gpu.torch_backend, gpu.torch_index_url, gpu.torch_family
    )
    if no_index:
        policy = None  # no index at all: the torch family comes from --find-links too
    flags = LockFlags(
        index_url=index_url,
        default_index=PYPI,
        no_index=no_index,
        extra_index_urls=tuple(extra),
        find_links=tuple(links),
        extras=settings.extras,
        groups=settings.groups,
        all_extras=settings.all_extras,
        pre=pre,
        torch_backend_pypi=settings.target.os == "linux" and policy is None,
        torch_index_url=(
            policy.index_url if policy and policy.index_url != DEFAULT_TORCH_INDEX else None
        ),
        headless=gpu.headless,
        only_binary=tuple(only),
        no_binary=tuple(no),
        index_of=dict(indexes.index_of),
    )
    return _Plan(
        declared=declared,
        index_url=index_url,
        extra_urls=tuple(extra),
        find_links=tuple(links),
        no_index=no_index,
        pre=pre,
        binary=BinaryPolicy(only_binary=only, no_binary=no),
        policy=policy,
        flags=flags,
    )


def lock_overrides(
    override_files: Sequence[Path], constraint_files: Sequence[Path], inputs: Sequence[Path]
) -> tuple[Overrides, list[str]]:
    """Overrides and constraints of a lock: the files given (flags, config), then
    ``[tool.uv]`` ``override-dependencies`` / ``constraint-dependencies`` of any
    pyproject.toml input; and a note for each table honoured."""
    found = read_overrides(override_files, constraint_files)
    notes = []
    for path in inputs:
        if path.name != "pyproject.toml" or not path.is_file():
            continue
        tables = read_manager_tables(read_text(path), path=path)
        if tables.overrides or tables.constraints:
            found = found.merged(
                Overrides(overrides=tables.overrides, constraints=tables.constraints)
            )
            notes.append(
                f"honouring [tool.uv] override-dependencies ({len(tables.overrides)}) and "
                f"constraint-dependencies ({len(tables.constraints)}) of {display_path(path)}"
            )
    return found, notes


def fingerprint(
    requirements: Sequence[InputRequirement],
    target: Target,
    flags: Sequence[str],
    overrides: Overrides,
) -> str:
    """The lock's ``inputs-hash``: its requirements, target, flags, and overrides."""
    return inputs_hash(requirements, target, [*flags, *fingerprint_lines(overrides)])


def _git_references(session: Session, plan: _Plan) -> GitReferences:
    """Git references pinned to commits; their metadata built only with --allow-build."""
    settings = session.settings
    build = None
    if settings.builds.allow_build:
        timeout = session.client_settings().build_timeout

        def build(tree: Path, filename: str) -> bytes:
            return build_metadata(
                tree,
                filename=filename,
                index_url=plan.index_url,
                find_links=plan.find_links,
                timeout=timeout,
            )

    return GitReferences(build=build, cache=session.cache, offline=settings.network.offline)


def resolve_lock(session: Session, request: LockRequest) -> LockResult:
    """Resolve ``request``'s inputs with ``session``'s settings into a hash-pinned lock.

    Raises :class:`~depslim.errors.InputError` (bad input),
    :class:`~depslim.errors.NoSolutionError` (conflict) or
    :class:`~depslim.errors.IndexAccessError` (network/index failure).
    """
    settings = session.settings
    declared = _declared(settings, request)
    plan = _plan(settings, declared)
    overrides, override_notes = lock_overrides(
        settings.overrides, settings.constraints, request.paths
    )
    roots = [r for r in declared.requirements if not r.constraint]
    backend = "pypi" if plan.policy is None else plan.policy.backend
    _, root_swaps, findings = apply_swaps(
        [r.requirement for r in roots],
        target=settings.target,
        headless=settings.gpu.headless,
        backend=backend,
    )
    warnings = [f"{f.requirement}: {f.message}" for f in findings] + override_notes
    routing = _routing(plan, warnings)
    swaps: dict[str, Swap] = {str(sw): sw for sw in root_swaps}

    def hook(requirement: Requirement) -> Requirement:
        new, swap = swap_requirement(
            requirement, target=settings.target, headless=settings.gpu.headless, backend=backend
        )
        if swap is not None:
            swaps.setdefault(str(swap), swap)
        return new

    client = session.client(routing)
    verify = settings.network.verify_hashes
    if request.verify_hashes is not None:
        verify = request.verify_hashes
    try:
        resolution = resolve(
            declared.requirements,
            client,
            settings.target,
            preferred=request.preferred,
            allow_prereleases=plan.pre,
            requirement_hook=hook,
            candidate_key=cpu_candidate_key(plan.policy) if plan.policy else None,
            candidate_filter=cpu_candidate_filter(plan.policy) if plan.policy else None,
            binary=plan.binary,
            progress=session.progress,
            root_label=_root_label,
            overrides=overrides,
            direct=_git_references(session, plan),
            override_label=lambda where: f"--override {display_path(Path(where.path))}",
        )
        session.say(f"hashing {sum(len(c.links) for c in resolution.candidates.values())} files")
        pins = _pins(resolution, client, verify=verify)
    except NoSolutionError as exc:
        raise _with_swaps(exc, swaps) from None
    except IndexAccessError as exc:
        raise _with_torch_hint(exc, routing, plan.policy) from None
    warnings += _gpu_warnings(resolution, roots, plan.policy)
    warnings += _pin_warnings(resolution, pins)
    lock = _build_lock(request, settings, plan, routing, pins, swaps, overrides)
    return LockResult(
        lock=lock,
        warnings=tuple(warnings),
        resolution=resolution,
        swaps=tuple(sorted(swaps.values(), key=str)),
    )


def _declared(settings: Settings, request: LockRequest) -> Inputs:
    """The request's inputs: its files read with the settings' extras and groups, or
    its requirements as given."""
    if not request.paths:
        return Inputs(requirements=request.requirements)
    return read_inputs(
        request.paths,
        extras=settings.extras,
        groups=settings.groups,
        all_extras=settings.all_extras,
    )


def _pin_warnings(resolution: Resolution, pins: Sequence[Pin]) -> list[str]:
    """Yanked releases pinned exactly, and git pins pip cannot install with hashes."""
    warnings = [y.message for y in yanked_pins(resolution)]
    if any(p.url and p.url.startswith("git+") for p in pins):
        warnings.append(
            "the lock pins a git reference: pip cannot install it with --require-hashes "
            "(it cannot hash a repository); uv can"
        )
    return warnings


def _build_lock(  # noqa: PLR0917 - private; one call site names every argument
    request: LockRequest,
    settings: Settings,
    plan: _Plan,
    routing: Routing,
    pins: tuple[Pin, ...],
    swaps: Mapping[str, Swap],
    overrides: Overrides,
) -> Lock:
    used_indexes = {p.index.rstrip("/") for p in pins}
    lock_extra = list(plan.extra_urls)
    for sources in routing.bound.values():
        for source in sources:
            if source.url.rstrip("/") in used_indexes and source.url not in lock_extra:
                lock_extra.append(source.url)
    notes = [f"swapped: {sw}" for sw in sorted(swaps.values(), key=str)]
    if plan.policy is not None:
        rerouted = sorted(p.name for p in pins if p.name in routing.bound)
        if rerouted:
            notes.append(f"from {plan.policy.index_url} only (CPU builds): {', '.join(rerouted)}")
    output = request.output
    folder = output.parent if output else Path.cwd()

    def shown(where: Location) -> str:
        return relative_location(where.path, folder) if where.path else str(where)

    notes += override_lines(overrides, label=lambda where: f"{shown(where)}:{where.line}")
    lock_flags = replace(
        plan.flags,
        overrides=tuple(relative_location(str(p), folder) for p in settings.overrides),
        constraints=tuple(relative_location(str(p), folder) for p in settings.constraints),
    )
    flags = [*lock_flags.words(), *request.extra_flags]
    return Lock(
        target=settings.target,
        pins=pins,
        index_url=plan.index_url,
        extra_index_urls=tuple(lock_extra),
        find_links=tuple(relative_location(u, folder) for u in plan.find_links),
        command=command_line(
            request.verb,
            request.shown_inputs or [display_path(p) for p in request.paths],
            display_path(output) if output is not None else None,
            settings.target,
            flags,
        ),
        inputs_hash=fingerprint(plan.declared.requirements, settings.target, flags, overrides),
        inputs=_relative_inputs(request.paths, output),
        notes=tuple(notes),
        torch_index_url=plan.policy.index_url if plan.policy else None,
        no_index=plan.no_index,
    )


def _with_swaps(exc: NoSolutionError, swaps: Mapping[str, Swap]) -> NoSolutionError:
    return exc.with_swaps(sorted(swaps)) if swaps else exc


def _with_torch_hint(
    exc: IndexAccessError, routing: Routing, policy: TorchPolicy | None
) -> IndexAccessError:
    bound = {s.url.rstrip("/") for srcs in routing.bound.values() for s in srcs}
    failed = (exc.url or "").rstrip("/")
    if policy is None or not any(failed.startswith(u) for u in bound):
        return exc
    return IndexAccessError(
        f"{exc}\nThe torch family is locked from {policy.index_url}. Point "
        "--torch-index-url at a mirror or a local copy of it, or keep PyPI's "
        "CUDA builds with --torch-backend pypi.",
        url=exc.url,
    )


def _routing(plan: _Plan, warnings: list[str]) -> Routing:
    """Plain routing, plus the torch family bound to its index when the policy is on."""
    plain = Routing.simple(plan.index_url, plan.extra_urls, plan.find_links)
    policy = plan.policy
    bindings = plan.flags.index_of or {}
    if policy is None:
        return bind_projects(plain, bindings)
    labels: dict[NormalizedName, str] = {}
    for name in sorted(policy.family):
        reqs = [
            Req.from_requirement(r.requirement, origin=str(r.origin))
            for r in plan.declared.requirements
            if r.name == name
        ]
        explicit = sorted(lbl for lbl in explicit_locals(reqs) if lbl != "cpu")
        if explicit:
            labels[name] = explicit[0]
            warnings.append(
                f"{name}: the requirement names the +{explicit[0]} build explicitly; kept, "
                f"taken from {sibling_index(policy.index_url, explicit[0])} "
                "(drop the local label to get the CPU build)"
            )
    routing = bound_routing(plain, index_url=policy.index_url, family=policy.family, labels=labels)
    return bind_projects(routing, bindings)  # the user's bindings win over the torch default


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
    import os

    base = (output.parent if output is not None else Path.cwd()).resolve()
    out = []
    for path in paths:
        try:
            out.append(Path(os.path.relpath(path.resolve(), base)).as_posix())
        except ValueError:  # another drive on Windows
            out.append(path.resolve().as_posix())
    return tuple(out)


def _pins(resolution: Resolution, client: IndexClient, *, verify: bool) -> tuple[Pin, ...]:
    """Pins with the sha256 of every file; with ``verify`` each is checked against its bytes."""
    links = [(name, link) for name, cand in resolution.candidates.items() for link in cand.links]
    digest_of = client.verified_sha256 if verify else client.file_sha256

    def digest(item: tuple[NormalizedName, Link]) -> str:
        # the wheel's own METADATA must say what the resolution was told
        return digest_of(item[1], resolution.metadata.get(item[0]))

    with ThreadPoolExecutor(max_workers=client.settings.concurrency) as pool:
        found = pool.map(digest, links)
        digests = dict(zip((lk.url for _, lk in links), found, strict=True))
    pins = []
    for name, cand in resolution.candidates.items():
        files = tuple(
            PinnedFile(
                filename=link.filename,
                url=link.url,
                sha256=digests[link.url],
                size=link.size,
                upload_time=link.upload_time,
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
            name = project_name(read_text(path), path=path)
        except (OSError, UnicodeDecodeError, DepslimError):
            name = None
        return f"{name} ({shown})" if name else shown
    return f"-r {shown}"
