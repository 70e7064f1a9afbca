"""The classification: which tier each dependency belongs to, and why.

Pure. Inputs are a :class:`~depslim.scan.records.ScanResult`, the declared
dependencies (name → group), optional entry points (the first is the API), the
resolved dependency graph (may be empty before locking) and a module map. With entry
points, the project's own import graph is walked from each entry, lazy imports
included: what the first entry reaches is ``base``, what only the others reach is
``ml``. Without entries a curated ML family (and whatever depends on one of its
members) is ``ml``. Developer-only files give ``dev``. Rules place what is used
without an import; the rest of the declared dependencies is ``unused``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from packaging.utils import NormalizedName, canonicalize_name

from depslim.errors import InputError
from depslim.scan.firstparty import ProjectLayout
from depslim.scan.mapping import ModuleMap
from depslim.scan.reach import function_reference, reached_functions
from depslim.scan.records import ImportRecord, ScanResult
from depslim.scan.roles import Role, Tier
from depslim.scan.rules import RuleHit, apply_rules
from depslim.scan.stdlib import is_stdlib
from depslim.scan.wrappers import Carried, through_dependencies

__all__ = [
    "ML_FAMILY",
    "Classification",
    "Evidence",
    "Missing",
    "Placement",
    "Transitive",
    "classify",
    "closure",
    "ml_dependents",
    "partition_closure",
    "reachable_files",
]

ML_FAMILY = frozenset(
    canonicalize_name(n)
    for n in [
        "torch",
        "torchvision",
        "torchaudio",
        "torchtext",
        "pytorch-lightning",
        "lightning",
        "torchmetrics",
        "tensorflow",
        "tensorflow-cpu",
        "tensorflow-gpu",
        "tensorflow-macos",
        "tensorflow-intel",
        "tensorflow-hub",
        "tf-keras",
        "keras",
        "jax",
        "jaxlib",
        "flax",
        "optax",
        "transformers",
        "sentence-transformers",
        "scikit-learn",
        "xgboost",
        "lightgbm",
        "catboost",
        "onnxruntime",
        "onnxruntime-gpu",
        "onnx",
        "openvino",
        "tensorrt",
        "triton",
        "accelerate",
        "diffusers",
        "peft",
        "bitsandbytes",
        "xformers",
        "timm",
        "spacy",
        "gensim",
        "faiss-cpu",
        "faiss-gpu",
        "llama-cpp-python",
        "vllm",
        "ctranslate2",
        "faster-whisper",
        "openai-whisper",
        "mediapipe",
        "ultralytics",
        "paddlepaddle",
        "paddlepaddle-gpu",
        "mxnet",
        "cupy",
        "cupy-cuda12x",
        "cupy-cuda11x",
        "fastai",
    ]
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """Why a dependency sits where it does: an import (``where`` is ``file:line``) or a
    rule (``rule`` names it), and the tier that piece of evidence asks for."""

    tier: Tier
    kind: str
    detail: str
    where: str | None = None
    rule: str | None = None

    def __str__(self) -> str:
        head = f"{self.where} " if self.where else ""
        return (
            f"{head}{self.detail}"
            if self.kind == "import"
            else f"{head}[{self.rule}] {self.detail}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Placement:
    """A declared dependency's tier; ``evidence[0]`` is what decided it."""

    name: NormalizedName
    tier: Tier
    evidence: tuple[Evidence, ...]
    group: str = "main"


@dataclass(frozen=True, slots=True, kw_only=True)
class Missing:
    """Imported (or required by a rule) but declared by nobody and provided by no
    declared dependency; ``tier`` is where it would land. ``optional``: every import
    of it is guarded (``except ImportError``, ``find_spec``): the code runs without it,
    so it is reported but not added to a tier's roots."""

    name: NormalizedName
    tier: Tier
    modules: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    optional: bool = False
    uncertain: bool = False

    @property
    def label(self) -> str:
        """What the table shows: ``missing``, ``missing, optional``, or ``unknown`` when
        the provider is only a guess by name and a declared distribution whose modules
        are unknown offline is named like the import (it may be that one)."""
        head = "unknown" if self.uncertain else "missing"
        return f"{head}, optional" if self.optional else head


@dataclass(frozen=True, slots=True, kw_only=True)
class Transitive:
    """Imported but only installed because declared dependencies (``via``) pull it in."""

    name: NormalizedName
    tier: Tier
    modules: tuple[str, ...]
    via: tuple[NormalizedName, ...]
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Classification:
    """The result of :func:`classify`.

    ``placements`` covers every declared dependency that is used (by import or rule);
    ``unused`` the declared ones nothing uses; ``unknown`` the declared ones nothing
    is known to use while their modules are unknown (offline, no cache) and some
    import is unexplained — they may provide it, so they are never called unused;
    ``file_tiers`` gives the tier of each scanned project file (``base`` for app files
    when no entry points are given); ``record_tiers`` the tier of each lazy import
    inside a function, by ``(file, line)``, which may be lower than its file's when
    only another entry point calls that function (:meth:`tier_of` gives either).
    """

    placements: Mapping[NormalizedName, Placement] = field(
        default_factory=lambda: MappingProxyType({})
    )
    unused: tuple[NormalizedName, ...] = ()
    unknown: tuple[NormalizedName, ...] = ()
    missing: tuple[Missing, ...] = ()
    transitive: tuple[Transitive, ...] = ()
    file_tiers: Mapping[str, Tier] = field(default_factory=lambda: MappingProxyType({}))
    record_tiers: Mapping[tuple[str, int], Tier] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def tier_of(self, record: ImportRecord) -> Tier | None:
        """The tier an import runs in: its function's (lazy, scoped) or its file's."""
        found = self.record_tiers.get((record.file, record.line))
        return found if found is not None else self.file_tiers.get(record.file)

    def tiers(self) -> dict[Tier, tuple[NormalizedName, ...]]:
        """Declared dependencies by tier, sorted (every tier present)."""
        out: dict[Tier, list[NormalizedName]] = {t: [] for t in Tier}
        for name, placement in sorted(self.placements.items()):
            out[placement.tier].append(name)
        return {t: tuple(v) for t, v in out.items()}

    def roots_by_tier(self) -> dict[Tier, frozenset[NormalizedName]]:
        """The roots to lock per tier (declared placements; missing ones included)."""
        roots: dict[Tier, set[NormalizedName]] = {t: set() for t in Tier}
        for name, placement in self.placements.items():
            roots[placement.tier].add(name)
        for missing in self.missing:
            if not missing.optional:
                roots[missing.tier].add(missing.name)
        return {t: frozenset(v) for t, v in roots.items()}


# ---- graphs -----------------------------------------------------------------------


def closure(
    graph: Mapping[NormalizedName, Iterable[NormalizedName]], roots: Iterable[NormalizedName]
) -> frozenset[NormalizedName]:
    """``roots`` and everything they depend on, transitively."""
    seen: set[NormalizedName] = set()
    queue = deque(roots)
    while queue:
        name = queue.popleft()
        if name in seen:
            continue
        seen.add(name)
        queue.extend(graph.get(name, ()))
    return frozenset(seen)


def partition_closure(
    graph: Mapping[NormalizedName, Iterable[NormalizedName]],
    roots_by_tier: Mapping[Tier, Iterable[NormalizedName]],
) -> dict[Tier, frozenset[NormalizedName]]:
    """Split a pinned graph into tiers: base = closure(base roots); ml = closure(ml
    roots) - base; dev = closure(dev roots) - base - ml."""
    out: dict[Tier, frozenset[NormalizedName]] = {}
    taken: frozenset[NormalizedName] = frozenset()
    for tier in (Tier.BASE, Tier.ML, Tier.DEV):
        reached = closure(graph, roots_by_tier.get(tier, ())) - taken
        out[tier] = reached
        taken |= reached
    return out


def ml_dependents(
    graph: Mapping[NormalizedName, Iterable[NormalizedName]],
    family: Iterable[NormalizedName] = ML_FAMILY,
) -> frozenset[NormalizedName]:
    """The ML family and every package that depends on one of its members."""
    reverse: dict[NormalizedName, set[NormalizedName]] = {}
    for name, deps in graph.items():
        for dep in deps:
            reverse.setdefault(dep, set()).add(name)
    return closure({k: frozenset(v) for k, v in reverse.items()}, family)


def _edge_targets(record: ImportRecord, layout: ProjectLayout) -> list[str]:
    """Project files an import executes: the module and its parent packages."""
    out: list[str] = []
    for candidate in record.candidates():
        parts = candidate.split(".")
        for n in range(len(parts), 0, -1):
            target = layout.file_of(".".join(parts[:n]))
            if target is not None:
                out.append(target)
    return out


def _runs(record: ImportRecord, *, python: tuple[int, ...], platform: str | None) -> bool:
    return (
        not record.is_ignored()
        and not record.typing_only
        and record.applies_to(python=python, platform=platform)
    )


def reachable_files(
    scan: ScanResult,
    start: Sequence[str],
    *,
    python: tuple[int, ...] = (3, 11),
    platform: str | None = None,
) -> frozenset[str]:
    """Project files executed when the files in ``start`` run (typing-only imports and
    ``__main__`` blocks of other files are not). A lazy import inside a function is
    followed only once that function is mentioned in a file reached so far
    (:mod:`depslim.scan.reach`), so this is a fixpoint."""
    by_file = {f.file: f.imports for f in scan.files}
    entry = set(start)
    seen: set[str] = set()
    queue = deque(start)
    waiting: list[ImportRecord] = []
    while True:
        while queue:
            file = queue.popleft()
            if file in seen:
                continue
            seen.add(file)
            for record in by_file.get(file, ()):
                if not _runs(record, python=python, platform=platform):
                    continue
                if record.main_guard and file not in entry:
                    continue
                if record.level or scan.layout.is_first_party(record.module, file):
                    if (file, record.scope or "") in scan.mentions and file.endswith(".py"):
                        waiting.append(record)
                    else:
                        queue.extend(t for t in _edge_targets(record, scan.layout) if t not in seen)
        live = reached_functions(seen, scan.mentions) if waiting else frozenset()
        released = [r for r in waiting if function_reference(r, seen, scan.mentions, live)]
        if not released:
            return frozenset(seen)
        waiting = [r for r in waiting if r not in released]
        for record in released:
            queue.extend(t for t in _edge_targets(record, scan.layout) if t not in seen)


def _entry_files(scan: ScanResult, entries: Mapping[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for label, spec in entries.items():
        module = spec.partition(":")[0].strip()
        if module.endswith(".py") or "/" in module:
            module = module.removesuffix(".py").replace("/", ".").removeprefix("src.")
            module = module.removesuffix(".__init__")
        file = scan.layout.file_of(module)
        if file is None:
            known = ", ".join(sorted(scan.layout.modules)[:8])
            raise InputError(
                f"entry {label} = {spec!r}: no module {module!r} in the project "
                f"(modules found: {known or 'none'}); give a dotted module such as 'app.main'"
            )
        files = [file]
        main = scan.layout.file_of(f"{module}.__main__")
        if main is not None:
            files.append(main)
        out[label] = files
    return out


# ---- classification ------------------------------------------------------------------


@dataclass(slots=True)
class _Acc:
    evidence: dict[NormalizedName, list[Evidence]] = field(default_factory=dict)
    modules: dict[NormalizedName, list[str]] = field(default_factory=dict)
    sources: dict[NormalizedName, set[str]] = field(default_factory=dict)

    def add(
        self,
        name: NormalizedName,
        evidence: Evidence,
        module: str | None = None,
        source: str = "rule",
    ) -> None:
        self.evidence.setdefault(name, []).append(evidence)
        self.sources.setdefault(name, set()).add(source)
        if module is not None:
            mods = self.modules.setdefault(name, [])
            if module not in mods:
                mods.append(module)


_GENERIC = frozenset({"python", "client", "sdk", "lib", "api", "core", "tools", "utils", "plugin"})


def _related(module: str, dist: str) -> bool:
    """Whether an import could plausibly come from a distribution named ``dist`` whose
    modules are unknown: their spellings share a word of three letters or more
    (``multipart`` / ``python-multipart``, ``markdownify`` / ``markdown2``)."""
    top = module.partition(".")[0].lower().replace("_", "-")
    words = {w.strip("0123456789") for w in dist.split("-")} - _GENERIC
    return top in dist or any(len(w) >= 3 and (w in top or top in w) for w in words)


def _is_optional(evidence: Evidence) -> bool:
    if evidence.kind != "import":
        return False
    flags = evidence.detail.partition(" (")[2]
    return "optional" in flags.rstrip(")").split(", ")


def _sorted(evidence: Iterable[Evidence]) -> tuple[Evidence, ...]:
    unique = list(dict.fromkeys(evidence))
    return tuple(sorted(unique, key=lambda e: (e.tier.rank, e.kind != "import", e.where or "")))


@dataclass(frozen=True, slots=True, kw_only=True)
class _Target:
    """What a classification works from: the scan, the declared groups and resolved
    graph (both by normalized name), the module map, the ML dependents and the target
    Python and platform."""

    scan: ScanResult
    groups: dict[NormalizedName, str]
    graph: dict[NormalizedName, set[NormalizedName]]
    modules: ModuleMap
    ml: frozenset[NormalizedName]
    python: tuple[int, ...]
    platform: str | None

    def is_dev_file(self, file: str) -> bool:
        role = self.scan.roles.get(file)
        return role is not None and role.role is Role.DEV

    def is_own(self, module: str, file: str) -> bool:
        return is_stdlib(module, self.python) or self.scan.layout.is_first_party(module, file)


@dataclass(frozen=True, slots=True, kw_only=True)
class _EntryReach:
    """The tier of each project file (None: "app, tier by package", when no entries are
    given) and, with entries, the files each entry reaches, the API's label first.
    ``live_functions`` caches, per label, the functions its files call; it is filled on
    first use."""

    file_tier: dict[str, Tier | None]
    has_entries: bool = False
    entry_files: frozenset[str] = frozenset()
    labels: tuple[str, ...] = ()
    reached: dict[str, frozenset[str]] = field(default_factory=dict)
    live_functions: dict[str, frozenset[tuple[str, str]]] = field(default_factory=dict)


def classify(
    scan: ScanResult,
    *,
    declared: Mapping[str, str],
    modules: ModuleMap | None = None,
    entries: Mapping[str, str] | None = None,
    graph: Mapping[NormalizedName, Iterable[NormalizedName]] | None = None,
    python: tuple[int, ...] = (3, 11),
    platform: str | None = None,
    ml_family: Iterable[str] = ML_FAMILY,
) -> Classification:
    """Classify the declared dependencies of a scanned project into tiers.

    ``declared`` maps each declared distribution to its group (``"main"``,
    ``"extra:NAME"``, ``"group:NAME"``); ``entries`` maps entry names to modules, the
    first being the API; ``graph`` is the resolved dependency graph (name → its
    dependencies); ``python``/``platform`` describe the target (``sys.platform``
    spelling) for stdlib and ``sys.version_info`` / ``sys.platform`` branches.
    Raises :class:`~depslim.errors.InputError` for an entry that is not a module.
    """
    groups = {canonicalize_name(k): v for k, v in declared.items()}
    resolved = {
        canonicalize_name(k): {canonicalize_name(d) for d in v} for k, v in (graph or {}).items()
    }
    target = _Target(
        scan=scan,
        groups=groups,
        graph=resolved,
        modules=modules or ModuleMap.build(declared=groups),
        ml=ml_dependents(resolved, frozenset(canonicalize_name(n) for n in ml_family)),
        python=python,
        platform=platform,
    )
    reach = _entry_reach(target, entries)
    used = _Acc()  # resolved to a declared distribution
    other = _Acc()  # resolved to an undeclared one (missing or transitive)
    record_tiers = _add_imports(target, reach, used, other)
    _add_rule_hits(target, reach, used, other)
    _add_required_by(target, used)

    placements = _placements(used, groups)
    unused, unknown = _unplaced(target, placements, other)
    missing, transitive = _undeclared(target, other, unknown)
    return Classification(
        placements=MappingProxyType(placements),
        unused=unused,
        unknown=unknown,
        missing=missing,
        transitive=transitive,
        file_tiers=MappingProxyType(
            {f: (t if t is not None else Tier.BASE) for f, t in reach.file_tier.items()}
        ),
        record_tiers=MappingProxyType(record_tiers),
    )


def _entry_reach(target: _Target, entries: Mapping[str, str] | None) -> _EntryReach:
    """The tier of each project file: with entries, what the first entry reaches is
    ``base``, what only the others reach is ``ml``, the rest (run by no entry point:
    tests, tools, code only a developer runs) is ``dev``; without entries a
    developer-only file is ``dev`` and the others are tiered by package later."""
    scan = target.scan
    if not entries:
        return _EntryReach(
            file_tier={f.file: Tier.DEV if target.is_dev_file(f.file) else None for f in scan.files}
        )
    starts = _entry_files(scan, entries)
    labels = tuple(starts)
    reached = {
        label: reachable_files(scan, starts[label], python=target.python, platform=target.platform)
        for label in labels
    }
    file_tier: dict[str, Tier | None] = {}
    for f in scan.files:
        if f.file in reached[labels[0]]:
            file_tier[f.file] = Tier.BASE
        elif any(f.file in reached[label] for label in labels[1:]):
            file_tier[f.file] = Tier.ML
        else:
            file_tier[f.file] = Tier.DEV
    return _EntryReach(
        file_tier=file_tier,
        has_entries=True,
        entry_files=frozenset(f for files in starts.values() for f in files),
        labels=labels,
        reached=reached,
    )


# ---- imports -------------------------------------------------------------------------


def _add_imports(
    target: _Target, reach: _EntryReach, used: _Acc, other: _Acc
) -> dict[tuple[str, int], Tier]:
    """Add the evidence of every third-party import to ``used`` (a declared provider,
    directly or through a declared wrapper) or ``other`` (undeclared); returns the tier
    of each import inside a function, by ``(file, line)``, when entries are given."""
    record_tiers: dict[tuple[str, int], Tier] = {}
    carriers: dict[str, Carried | None] = {}
    for record in target.scan.imports:
        if not _is_third_party(target, record):
            continue
        resolution = target.modules.resolve(*record.candidates())
        tier, note = _import_tier(target, reach, record, resolution.best)
        if record.scope is not None and reach.has_entries:
            record_tiers[(record.file, record.line)] = tier
        detail = _import_detail(record, note)
        evidence = Evidence(tier=tier, kind="import", detail=detail, where=record.where)
        if resolution.declared:
            for dist in resolution.declared:
                used.add(dist, evidence, record.module)
            continue
        if resolution.prefix not in carriers:
            carriers[resolution.prefix] = _carrier(target, record)
        carried = carriers[resolution.prefix]
        if carried is not None:
            used.add(
                carried.declared,
                replace(evidence, detail=f"{detail}: {carried.detail}"),
                record.module,
            )
            if carried.wrapper:
                continue  # the wrapper's code is the provider's: not a transitive use
        other.add(resolution.best, evidence, resolution.prefix, resolution.source)
    return record_tiers


def _is_third_party(target: _Target, record: ImportRecord) -> bool:
    """Whether an import can name a dependency: an absolute import that runs on the
    target and is neither first-party nor stdlib (nor the fallback of a stdlib import
    the target has)."""
    if (
        record.is_ignored()
        or record.level
        or not record.applies_to(python=target.python, platform=target.platform)
    ):
        return False
    if not record.module.strip(".") or target.is_own(record.module, record.file):
        return False
    return not (
        record.fallback_for and all(is_stdlib(m, target.python) for m in record.fallback_for)
    )


def _import_tier(
    target: _Target, reach: _EntryReach, record: ImportRecord, name: NormalizedName
) -> tuple[Tier, str]:
    """The tier an import (resolved to ``name``) asks for, and the note on its function
    when entry points decided it."""
    scoped, note = _scoped_tier(target, reach, record)
    if record.typing_only or (
        record.main_guard and reach.has_entries and record.file not in reach.entry_files
    ):
        return Tier.DEV, note
    if scoped is not None and reach.file_tier.get(record.file) is not Tier.DEV:
        return scoped, note
    return _tier_for(target, reach, record.file, name), note


def _scoped_tier(
    target: _Target, reach: _EntryReach, record: ImportRecord
) -> tuple[Tier | None, str]:
    """The tier of a lazy import inside a function, from the entries that mention
    the function (None: no entry does, the file's tier stands), and the note."""
    mentions = target.scan.mentions
    if (
        not reach.has_entries
        or record.scope is None
        or not record.file.endswith(".py")
        or (record.file, record.scope) not in mentions
    ):
        return None, ""
    for n, label in enumerate(reach.labels):
        if label not in reach.live_functions:
            reach.live_functions[label] = reached_functions(reach.reached[label], mentions)
        ref = function_reference(
            record, reach.reached[label], mentions, reach.live_functions[label]
        )
        if ref is not None:
            tier = Tier.BASE if n == 0 else Tier.ML
            return tier, f"in {record.scope}(), referenced at {ref[0]}:{ref[1]} ({label})"
    # No entry runs the function: the import belongs to no entry, like a file no
    # entry imports (tests, tools, dead code).
    return Tier.DEV, f"in {record.scope}(), called by no entry point"


def _tier_for(target: _Target, reach: _EntryReach, file: str, name: NormalizedName) -> Tier:
    """The tier of a file's use of ``name``: the file's tier, or by package (ML family
    or not) for an app file when no entries are given."""
    # A config file (Dockerfile, .env, ...) has no import tier: its role decides.
    if file in reach.file_tier:
        tier = reach.file_tier[file]
    else:
        tier = Tier.DEV if target.is_dev_file(file) else None
    if tier is None:
        return Tier.ML if name in target.ml else Tier.BASE
    return tier


def _import_detail(record: ImportRecord, note: str) -> str:
    """``import MODULE`` followed by the import's flags and note, if any."""
    flags = [
        f
        for f, on in (
            ("lazy", record.lazy),
            ("optional", record.optional),
            ("typing", record.typing_only),
            ("dynamic", record.dynamic),
            ("__main__", record.main_guard),
        )
        if on
    ]
    if note:
        flags.append(note)
    return f"import {record.module}" + (f" ({', '.join(flags)})" if flags else "")


def _carrier(target: _Target, record: ImportRecord) -> Carried | None:
    """The declared distribution an undeclared import reaches through the graph."""
    if not target.graph:
        return None
    return through_dependencies(
        *record.candidates(),
        graph=target.graph,
        module_map=target.modules,
        declared=target.groups,
    )


# ---- rules ---------------------------------------------------------------------------


def _add_rule_hits(target: _Target, reach: _EntryReach, used: _Acc, other: _Acc) -> None:
    """Add the evidence of every rule hit: to ``used`` for a declared distribution, to
    ``other`` for a strong hit on an undeclared one outside developer files. Add-ons
    (hits that follow another distribution) are placed last."""
    groups = target.groups
    hits = apply_rules(
        declared=groups,
        imports=target.scan.imports,
        references=target.scan.references,
        modules=target.modules,
        is_own=target.is_own,
        dev_file=target.is_dev_file,
    )
    following: list[RuleHit] = []
    for hit in hits:
        if hit.follows is not None:
            following.append(hit)
            continue
        tier = (
            hit.tier if hit.tier is not None else _tier_for(target, reach, hit.file or "", hit.name)
        )
        evidence = Evidence(
            tier=tier, kind="rule", detail=hit.detail, where=hit.where, rule=hit.rule
        )
        if hit.name in groups:
            used.add(hit.name, evidence)
        elif hit.strong and not (hit.file and target.is_dev_file(hit.file)):
            # a string in a test (a URL in test data) places a declared dependency but is
            # too weak to call an undeclared one missing
            other.add(hit.name, evidence)
    _add_followers(following, groups, used)


def _add_followers(
    following: Sequence[RuleHit], groups: Mapping[NormalizedName, str], used: _Acc
) -> None:
    """Add-ons take the tier of what loads them, once that one is placed."""
    for _ in range(3):
        for hit in following:
            leader = used.evidence.get(hit.follows) if hit.follows else None
            if not leader or hit.name not in groups:
                continue
            tier = min((e.tier for e in leader), key=lambda t: t.rank)
            evidence = Evidence(
                tier=tier, kind="rule", detail=hit.detail, where=hit.where, rule=hit.rule
            )
            if evidence not in used.evidence.get(hit.name, []):
                used.add(hit.name, evidence)


def _add_required_by(target: _Target, used: _Acc) -> None:
    """Declared but never imported, yet required by a used declared dependency (torch
    declared to pin its CPU build under sentence-transformers): not unused."""
    graph = target.graph
    placed_tier = {
        name: min((e.tier for e in found), key=lambda t: t.rank)
        for name, found in used.evidence.items()
    }
    reach = {user: closure(graph, [user]) for user in placed_tier} if graph else {}
    for name in target.groups:
        if name in used.evidence:
            continue
        for user, tier in sorted(placed_tier.items(), key=lambda kv: (kv[1].rank, kv[0])):
            if user != name and name in reach.get(user, ()):
                evidence = Evidence(
                    tier=tier, kind="rule", detail=f"required by {user}", rule="required-by"
                )
                used.add(name, evidence)


# ---- results -------------------------------------------------------------------------


def _placements(
    used: _Acc, groups: Mapping[NormalizedName, str]
) -> dict[NormalizedName, Placement]:
    placements: dict[NormalizedName, Placement] = {}
    for name, found in used.evidence.items():
        ordered = _sorted(found)
        placements[name] = Placement(
            name=name, tier=ordered[0].tier, evidence=ordered, group=groups.get(name, "main")
        )
    return placements


def _unplaced(
    target: _Target, placements: Mapping[NormalizedName, Placement], other: _Acc
) -> tuple[tuple[NormalizedName, ...], tuple[NormalizedName, ...]]:
    """The declared distributions nothing places, as ``(unused, unknown)``.

    Offline, a declared distribution whose modules nobody knows may be what an
    unexplained import (a name guess, or a table row naming someone else) is: it
    is unknown, not unused, and those imports are not surely missing either."""
    groups, graph = target.groups, target.graph
    not_placed = sorted(n for n in groups if n not in placements)
    unexplained = any(
        not sources <= {"rule", "metadata"} and name not in closure(graph, groups)
        for name, sources in other.sources.items()
    )
    unknown = tuple(n for n in not_placed if unexplained and not target.modules.knows(n))
    unused = tuple(n for n in not_placed if n not in unknown)
    return unused, unknown


def _undeclared(
    target: _Target, other: _Acc, unknown: Sequence[NormalizedName]
) -> tuple[tuple[Missing, ...], tuple[Transitive, ...]]:
    """What is used but not declared: transitive when a declared dependency installs
    it, missing otherwise."""
    groups, graph = target.groups, target.graph
    installed = closure(graph, groups)
    missing: list[Missing] = []
    transitive: list[Transitive] = []
    for name, found in sorted(other.evidence.items()):
        ordered = _sorted(found)
        mods = tuple(other.modules.get(name, ()))
        if name in installed:
            via = tuple(sorted(d for d in groups if name in closure(graph, [d])))
            transitive.append(
                Transitive(name=name, tier=ordered[0].tier, modules=mods, via=via, evidence=ordered)
            )
        else:
            optional = all(_is_optional(e) for e in ordered)
            guessed = other.sources.get(name, set()) == {"name"}
            missing.append(
                Missing(
                    name=name,
                    tier=ordered[0].tier,
                    modules=mods,
                    evidence=ordered,
                    optional=optional,
                    uncertain=guessed and any(_related(m, d) for m in mods for d in unknown),
                )
            )
    return tuple(missing), tuple(transitive)
