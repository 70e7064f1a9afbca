"""A lock's files found again on its indexes: names, exact sizes, top-level modules.

Shared by the verbs that weigh a lock (``report``, ``layers``, ``lock --report``) and
``split``. A lock read from text knows only its files' hashes; here each pin's files are
matched on the indexes the lock names (by version and hash), so every verb sees the
same complete pins. A pin that cannot be found is a warning naming it and why, never a
silent zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

from depslim.api._session import Session
from depslim.credentials import redact_url
from depslim.errors import DepslimError, IndexAccessError, InputError
from depslim.index.binding import bind_projects
from depslim.index.client import IndexClient
from depslim.index.routing import Routing, bound_routing, looks_like_pytorch_index
from depslim.models import Link, Lock, Pin, PinnedFile
from depslim.report import ReportRow
from depslim.settings import PYPI, Settings
from depslim.target import Target
from depslim.variants import is_gpu_local, torch_family

__all__ = ["Newest", "Sized", "lock_routing", "newest_facts", "weigh"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Sized:
    """A lock with every findable file named, its size rows, and what could not be found."""

    lock: Lock
    rows: tuple[ReportRow, ...]
    top_levels: dict[NormalizedName, list[str]]
    warnings: tuple[str, ...] = ()
    routing: Routing | None = None
    links: Mapping[NormalizedName, Link] = field(default_factory=dict)


def lock_routing(lock: Lock, settings: Settings) -> Routing:
    """Where a lock's files are looked up: the indexes it names (explicit index options
    win), with the torch family bound to its PyTorch index when the lock has one.

    A lock without depslim's header (pip-compile's) that takes ``+cpu`` builds from a
    PyTorch ``--extra-index-url`` gets that index bound for the torch family too.
    """
    given = settings.given("index-url") or settings.given("extra-index-url")
    has_lines = bool(lock.index_url or lock.extra_index_urls or lock.find_links or lock.no_index)
    if given or not has_lines:
        index: str | None = settings.indexes.index_url
        extras = list(settings.indexes.extra_index_urls)
        links = [*settings.indexes.find_links, *lock.find_links]
    else:
        index = None if lock.no_index else (lock.index_url or PYPI)
        extras = list(lock.extra_index_urls)
        links = list(lock.find_links)
    torch_index = lock.torch_index_url
    if torch_index is None and any(p.version is not None and p.version.local for p in lock.pins):
        torch_index = next((u for u in (index, *extras) if u and looks_like_pytorch_index(u)), None)
    if torch_index is not None:
        extras = [u for u in extras if u.rstrip("/") != torch_index.rstrip("/")]
    plain = Routing.simple(index, extras, links)
    bindings = settings.indexes.index_of
    if torch_index is None:
        return bind_projects(plain, bindings)
    labels = {
        p.name: p.version.local
        for p in lock.pins
        if p.version is not None and p.version.local and is_gpu_local(p.version.local)
    }
    family = torch_family(settings.gpu.torch_family)
    routing = bound_routing(plain, index_url=torch_index, family=family, labels=labels)
    return bind_projects(routing, bindings)


def _matching(pin: Pin, client: IndexClient, target: Target) -> list[Link]:
    """The files of ``pin`` on its indexes: same version, a hash the lock lists (when it
    lists any), installable on the target."""
    hashes = set(pin.hashes)
    if pin.url is not None:
        return []
    return [
        link
        for link in client.links(pin.name)
        if link.version == pin.version
        and (not link.is_wheel or target.supports(link.tags))
        and (not hashes or not link.sha256 or link.sha256 in hashes)
    ]


def _named(pin: Pin, links: Sequence[Link]) -> Pin:
    """``pin`` with its files named from ``links`` (a pin whose files are known stays)."""
    if not links or (pin.files and all(f.known for f in pin.files)):
        return pin
    files = tuple(
        PinnedFile(
            filename=lk.filename,
            url=lk.url,
            sha256=lk.sha256 or "",
            size=lk.size,
            upload_time=lk.upload_time,
        )
        for lk in links
    )
    return replace(pin, files=files, index=pin.index or links[0].index)


def weigh(session: Session, lock: Lock, *, top_levels: bool = False, links: bool = False) -> Sized:
    """Find every pin's files, name them, and read the best file's sizes for the target
    (and, with ``links``, keep each pin's best file for callers that read its metadata)."""
    routing = lock_routing(lock, session.settings)
    client = session.client(routing)
    target = lock.target
    pins = [p for p in lock.pins if p.version is not None or p.url is not None]
    client.prefetch([p.name for p in pins if p.url is None])

    best_links: dict[NormalizedName, Link] = {}

    offline = session.settings.network.offline

    def one(pin: Pin) -> tuple[Pin, ReportRow | None, list[str], str | None]:
        try:
            links = _matching(pin, client, target)
        except IndexAccessError as exc:
            if not offline:
                raise
            return pin, _unknown(pin), [], f"{pin.name}: size unknown offline ({exc})"
        if not links:
            return pin, _unknown(pin), [], _why_missing(pin, client)
        best = min(links, key=lambda lk: (not lk.is_wheel, target.best_rank(lk.tags) or 0))
        best_links[pin.name] = best
        facts = client.file_facts(best)
        row = ReportRow(
            name=pin.name,
            version=best.version,
            index=redact_url(best.index),
            filename=best.filename,
            download_size=facts.download_size,
            installed_size=facts.installed_size,
            method=facts.method,
            layer_size=facts.layer_size,
        )
        return _named(pin, links), row, list(facts.top_level), None

    with ThreadPoolExecutor(max_workers=session.settings.network.concurrency) as pool:
        found = list(pool.map(one, pins))
    named = {pin.name: pin for pin, _, _, _ in found}
    return Sized(
        lock=replace(lock, pins=tuple(named.get(p.name, p) for p in lock.pins)),
        rows=tuple(row for _, row, _, _ in found if row is not None),
        top_levels={pin.name: tops for pin, row, tops, _ in found if row is not None and tops}
        if top_levels
        else {},
        warnings=tuple(why for _, _, _, why in found if why is not None),
        routing=routing,
        links=best_links if links else {},
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Newest:
    """What the newest wheels of some projects say, without a lock: each one's top-level
    modules and the projects it requires on the target (one level deep)."""

    top_levels: dict[NormalizedName, list[str]]
    requires: dict[NormalizedName, set[NormalizedName]]


def newest_facts(session: Session, wanted: Mapping[NormalizedName, frozenset[str]]) -> Newest:
    """Top-level modules and direct requirements of each project's newest wheel for the
    target (``wanted`` maps each project to the extras asked of it), without a lock.

    Read from the wheel's zip directory with range requests and its metadata (both
    cached by hash, so a warm run costs no request); a project that cannot be read is
    left out, and the caller's bundled table answers for it.
    """
    settings = session.settings
    client = session.client(lock_routing(Lock(target=settings.target, pins=()), settings))
    target = settings.target
    names = sorted(wanted)
    client.prefetch(names)

    def one(name: NormalizedName) -> tuple[NormalizedName, list[str], set[NormalizedName]]:
        try:
            wheels = [
                lk
                for lk in client.links(name)
                if lk.is_wheel and target.supports(lk.tags) and not lk.is_yanked
            ]
            if not wheels:
                return name, [], set()
            newest = max(lk.version for lk in wheels)
            best = min(
                (lk for lk in wheels if lk.version == newest),
                key=lambda lk: target.best_rank(lk.tags) or 0,
            )
            requires = {
                canonicalize_name(r.name)
                for r in client.metadata(best).requires_dist
                if _holds(r, target, wanted[name])
            }
            return name, list(client.file_facts(best).top_level), requires
        except DepslimError:
            return name, [], set()

    with ThreadPoolExecutor(max_workers=settings.network.concurrency) as pool:
        found = list(pool.map(one, names))
    return Newest(
        top_levels={name: tops for name, tops, _ in found if tops},
        requires={name: deps for name, _, deps in found if deps},
    )


def _holds(requirement: Requirement, target: Target, extras: frozenset[str]) -> bool:
    """Whether ``requirement`` applies on the target with one of ``extras`` (or none);
    a marker no installer can evaluate does not."""
    try:
        return target.marker_applies(requirement.marker, ("", *sorted(extras)))
    except InputError:
        return False


def _unknown(pin: Pin) -> ReportRow | None:
    """The row of a pin whose files were not found (none for a direct reference)."""
    if pin.version is None:
        return None
    return ReportRow(
        name=pin.name,
        version=pin.version,
        index="",
        filename="",
        download_size=None,
        installed_size=None,
        method="not found",
    )


def _why_missing(pin: Pin, client: IndexClient) -> str:
    if pin.url is not None:
        return f"{pin.name} @ {pin.url}: a direct reference; its size is not counted"
    where = ", ".join(client.searched(pin.name)) or "no index (none allowed for it)"
    hashes = " with the lock's hashes" if pin.hashes else ""
    return (
        f"{pin.name}=={pin.version}: no file{hashes} for the target found on {where}; "
        "its size is unknown and not counted (pass the index it comes from with "
        "--index-url/--extra-index-url)"
    )
