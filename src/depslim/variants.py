"""GPU → CPU rules: the torch family, the swap table, and the pure functions that apply them.

Three kinds of knowledge live here, all of it as data with small functions beside it:

* **The torch family** (:data:`TORCH_FAMILY`): projects that, under the CPU policy of a
  Linux target, come only from the PyTorch CPU index (:data:`DEFAULT_TORCH_INDEX`) and
  prefer its ``+cpu`` builds. :func:`torch_policy_for` says whether the policy is on.
* **The swap table** (:data:`SWAP_TABLE`): other GPU projects with a CPU equivalent
  (``onnxruntime-gpu`` → ``onnxruntime``, ``jax[cuda12]`` → ``jax``, …), opt-in
  slimming swaps (``opencv-python`` → ``opencv-python-headless``), and GPU projects
  with no CPU equivalent, which are reported rather than dropped.
  :func:`apply_swaps` applies it to the user's requirements and
  :func:`swap_requirement` to each dependency the resolver meets.
* **GPU package detection** (:data:`GPU_PACKAGES`): what a finished lock must not
  contain on a CPU policy, and :func:`explain_gpu` to say what pulled it in.

Nothing here does I/O; everything takes values and returns values.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from depslim.errors import InputError
from depslim.models import Link
from depslim.target import Target

__all__ = [
    "DEFAULT_TORCH_INDEX",
    "GPU_EXTRAS",
    "GPU_PACKAGES",
    "JAX_GPU_EXTRAS",
    "NOT_GPU_PACKAGES",
    "SWAP_TABLE",
    "TORCH_BACKENDS",
    "TORCH_FAMILY",
    "Finding",
    "FindingCode",
    "Swap",
    "SwapAction",
    "SwapKind",
    "SwapRule",
    "TorchBackend",
    "TorchPolicy",
    "apply_swaps",
    "cpu_builds",
    "cpu_candidates",
    "cpu_local_key",
    "cpu_local_rank",
    "cpu_policy_applies",
    "explain_gpu",
    "explicit_local",
    "find_rule",
    "is_cpu_local",
    "is_gpu_local",
    "is_gpu_package",
    "matches_torch_pin",
    "parse_torch_backend",
    "prefer_cpu_local",
    "swap_requirement",
    "torch_family",
    "torch_policy_for",
]

# ---- the torch family and the policy ---------------------------------------------------

DEFAULT_TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
"""The PyTorch CPU index: PEP 503 HTML pages, ``+cpu`` builds of the torch family."""

TORCH_FAMILY: frozenset[NormalizedName] = frozenset(
    canonicalize_name(name)
    for name in (
        "torch",
        "torchvision",
        "torchaudio",
        "torchdata",
        "torchtext",
        "torchrec",
        "torchao",
        "torchcodec",
        "torchcsprng",
        "torchdistx",
        "torcharrow",
        "torchserve",
        "torchtune",
        "torch-tensorrt",
        "fbgemm-gpu",
        "fbgemm-gpu-genai",
        "xformers",
        "triton",
        "pytorch-triton",
        "pytorch-triton-rocm",
        "pytorch-triton-xpu",
        "triton-rocm",
        "triton-xpu",
    )
)
"""Projects released in lockstep with torch and built per accelerator on PyTorch's index.

They resolve together from one index: taking ``torchvision`` from PyPI while ``torch``
comes from the CPU index would drag PyPI's CUDA ``torch`` back in.
"""

TorchBackend = Literal["cpu", "pypi"]
TORCH_BACKENDS: tuple[TorchBackend, ...] = ("cpu", "pypi")

# PEP 508 project names (the regex the packaging specifications give).
_PROJECT_NAME = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE)


def torch_family(
    extra: Iterable[str] = (), *, source: str = "[tool.depslim] torch-family"
) -> frozenset[NormalizedName]:
    """:data:`TORCH_FAMILY` plus the ``extra`` project names (from config), normalized.

    ``source`` names where ``extra`` came from, for the error message. Raises
    :class:`~depslim.errors.InputError` for a string that is not a project name.
    """
    names = set(TORCH_FAMILY)
    for raw in extra:
        text = raw.strip()
        if not _PROJECT_NAME.fullmatch(text):
            raise InputError(
                f"{source}: {raw!r} is not a project name; list project names such as "
                '"torchmetrics" or "torch-geometric"'
            )
        names.add(canonicalize_name(text))
    return frozenset(names)


def parse_torch_backend(text: str, *, source: str = "--torch-backend") -> TorchBackend:
    """``"cpu"`` or ``"pypi"`` from a flag or config value (case and spaces ignored)."""
    value = text.strip().lower()
    if value == "cpu":
        return "cpu"
    if value == "pypi":
        return "pypi"
    raise InputError(
        f"{source}: unknown torch backend {text!r}; use 'cpu' (CPU builds from the PyTorch "
        "CPU index, the default for Linux targets) or 'pypi' (keep PyPI's builds, CUDA included)"
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class TorchPolicy:
    """The torch family resolves from ``index_url`` only, preferring ``+cpu`` builds.

    ``family`` is every project the policy reroutes; no other project may be taken from
    ``index_url`` (it mirrors numpy, sympy, …: the door of dependency-confusion attacks).
    """

    backend: TorchBackend = "cpu"
    index_url: str = DEFAULT_TORCH_INDEX
    family: frozenset[NormalizedName] = TORCH_FAMILY

    def routes(self, name: str) -> bool:
        """True when ``name`` must come from :attr:`index_url` (and only from there)."""
        return canonicalize_name(name) in self.family


def cpu_policy_applies(target: Target, backend: str = "cpu") -> bool:
    """True when GPU builds are to be replaced for ``target``: a Linux target, backend cpu.

    macOS and Windows are left alone: PyPI's torch there is already the CPU build.
    """
    return parse_torch_backend(backend) == "cpu" and target.os == "linux"


def torch_policy_for(
    target: Target,
    backend: str = "cpu",
    index_url: str = DEFAULT_TORCH_INDEX,
    extra_family: Iterable[str] = (),
) -> TorchPolicy | None:
    """The torch policy for ``target``, or ``None`` when torch is left as PyPI serves it.

    On for Linux targets with backend ``cpu`` (the default); ``None`` for macOS and
    Windows targets and for backend ``pypi``. Every argument is validated whatever the
    target, so a typo in a flag fails on a Mac too.
    """
    chosen = parse_torch_backend(backend)
    url = index_url.strip()
    if not url:
        raise InputError(
            "--torch-index-url (torch-index-url in [tool.depslim]) is empty: give the URL "
            f"of a PEP 503 index such as {DEFAULT_TORCH_INDEX}"
        )
    family = torch_family(extra_family)
    if not cpu_policy_applies(target, chosen):
        return None
    return TorchPolicy(backend=chosen, index_url=url, family=family)


# ---- the swap table --------------------------------------------------------------------

SwapKind = Literal["gpu", "slim"]
"""``gpu`` rows apply under the CPU policy; ``slim`` rows only when asked (``--headless``)."""

SwapAction = Literal["swap", "report"]
"""``swap`` rewrites the requirement; ``report`` keeps it and reports a finding."""

GPU_EXTRAS = r"(?:[a-z0-9]+-)*(?:cuda|cudnn|rocm|gpu)\d*x?(?:-[a-z0-9]+)*"
"""Normalized extra names that ask for GPU support: ``cuda``, ``and-cuda``, ``cuda12-pip``…"""

JAX_GPU_EXTRAS = r"(?:cuda|rocm)\d*(?:-(?:pip|local|cudnn\d+))?"
"""JAX's accelerator extras, normalized: ``cuda``, ``cuda12``, ``cuda12-pip`` (written
``cuda12_pip``), ``cuda12-local``, ``cuda11-cudnn86``, ``rocm``, ``rocm7-local``… but not
``cpu``, ``tpu`` or ``k8s``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SwapRule:
    """One row of :data:`SWAP_TABLE`.

    ``name`` is a normalized project name, or with ``regex`` a pattern that must match
    the whole normalized name. ``extras``, when set, is a pattern the row needs at least
    one of the requirement's (normalized) extras to match. ``replacement`` is the project
    that replaces it (``None`` keeps the name: only extras go). ``drop_extras`` is the
    pattern of the extras removed in the replacement (default: ``extras``); other extras
    are kept as written. ``warning``, when set, is reported whenever the row is applied.
    """

    name: str
    regex: bool = False
    extras: str | None = None
    replacement: str | None = None
    drop_extras: str | None = None
    kind: SwapKind = "gpu"
    action: SwapAction = "swap"
    warning: str = ""
    note: str

    def matches(self, name: str, extras: Iterable[str] = ()) -> bool:
        """True when this row is about a requirement on ``name`` with ``extras``."""
        project = canonicalize_name(name)
        if self.regex:
            if re.fullmatch(self.name, project) is None:
                return False
        elif project != self.name:
            return False
        if self.extras is None:
            return True
        return any(re.fullmatch(self.extras, canonicalize_name(e)) for e in extras)

    def kept_extras(self, extras: Iterable[str]) -> list[str]:
        """The extras the replacement keeps, as written, sorted."""
        pattern = self.drop_extras if self.drop_extras is not None else self.extras
        if pattern is None:
            return sorted(extras)
        return sorted(e for e in extras if re.fullmatch(pattern, canonicalize_name(e)) is None)


SWAP_TABLE: tuple[SwapRule, ...] = (
    SwapRule(
        name="onnxruntime-gpu",
        replacement="onnxruntime",
        drop_extras=GPU_EXTRAS,
        note="the CUDA build of ONNX Runtime (~256 MB wheel); onnxruntime is the CPU build "
        "(~28 MB) of the same `onnxruntime` module",
    ),
    SwapRule(
        name=r"faiss-gpu(?:-cu\d+)?",
        regex=True,
        replacement="faiss-cpu",
        drop_extras=GPU_EXTRAS,
        note="the CUDA build of Faiss; faiss-cpu is the same `faiss` module without CUDA",
    ),
    SwapRule(
        name=r"tensorflow|tf-nightly",
        regex=True,
        extras=r"and-cuda",
        note="the [and-cuda] extra only adds a dozen NVIDIA CUDA wheels (nvidia-*-cu12)",
    ),
    SwapRule(
        name="tensorflow-gpu",
        replacement="tensorflow",
        note="tensorflow-gpu is a removed stub (its last releases refuse to install); "
        "tensorflow is the package since TensorFlow 2.1",
    ),
    SwapRule(
        name="jax",
        extras=JAX_GPU_EXTRAS,
        note="the CUDA/ROCm extras add JAX's GPU plugin (jax-cuda*-plugin, -pjrt) and "
        "NVIDIA wheels; plain jax runs on the CPU",
    ),
    SwapRule(
        name="jaxlib",
        extras=JAX_GPU_EXTRAS,
        note="the CUDA/ROCm extras ask for a GPU build of jaxlib; plain jaxlib is the CPU build",
    ),
    SwapRule(
        name="paddlepaddle-gpu",
        replacement="paddlepaddle",
        note="the CUDA build of PaddlePaddle; paddlepaddle is the CPU build of the same "
        "`paddle` module",
    ),
    SwapRule(
        name=r"mxnet-cu\d+(?:mkl)?",
        regex=True,
        replacement="mxnet",
        warning="Apache MXNet is retired (moved to the Apache Attic in 2023): no new releases "
        "or security fixes; plan a move away from it",
        note="mxnet-cuNN are CUDA builds of MXNet; mxnet is the CPU build",
    ),
    SwapRule(
        name="opencv-python",
        replacement="opencv-python-headless",
        kind="slim",
        note="same `cv2` module without the GUI: no libGL/X11 system libraries needed in a "
        "slim image",
    ),
    SwapRule(
        name="opencv-contrib-python",
        replacement="opencv-contrib-python-headless",
        kind="slim",
        note="same `cv2` module (with contrib) without the GUI: no libGL/X11 system "
        "libraries needed in a slim image",
    ),
    SwapRule(
        name=r"cupy(?:-cuda\d+x?|-rocm(?:-\d+)+)?",
        regex=True,
        action="report",
        note="CuPy needs a CUDA (or ROCm) GPU and has no CPU build; NumPy is a fallback only "
        "if your code has one",
    ),
    SwapRule(
        name=r"jax-(?:cuda|rocm)\d+-(?:plugin|pjrt)",
        regex=True,
        action="report",
        note="JAX's GPU plugin has no CPU build: jax runs on the CPU without it; drop it "
        "from the requirements of a CPU image",
    ),
)
"""The swap rows, first match wins. Data only: every behaviour comes from a row."""


def find_rule(
    requirement: Requirement, *, target: Target, headless: bool, backend: str = "cpu"
) -> SwapRule | None:
    """The first row of :data:`SWAP_TABLE` that applies to ``requirement``, if any.

    ``gpu`` rows apply when :func:`cpu_policy_applies`; ``slim`` rows when ``headless``.
    """
    gpu = cpu_policy_applies(target, backend)
    for rule in SWAP_TABLE:
        if rule.kind == "gpu" and not gpu:
            continue
        if rule.kind == "slim" and not headless:
            continue
        if rule.matches(requirement.name, requirement.extras):
            return rule
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Swap:
    """One requirement replaced by another, as the lock header and ``--json`` list it."""

    original: str
    replacement: str
    name: NormalizedName
    new_name: NormalizedName
    kind: SwapKind
    note: str

    def __str__(self) -> str:
        return f"{self.original} -> {self.replacement} ({self.note})"


FindingCode = Literal["no-cpu-equivalent", "gpu-package", "gpu-direct-reference", "swap-warning"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """Something about a requirement the user should know; it was kept as written.

    ``code`` is stable for ``--json`` and tests: ``no-cpu-equivalent`` (a GPU project
    the table knows has none), ``gpu-package`` (another GPU project, see
    :func:`is_gpu_package`), ``gpu-direct-reference`` (a ``name @ url`` the table would
    swap: a URL names one file, so it is kept), ``swap-warning`` (a swapped row's
    warning, e.g. a retired project).
    """

    code: FindingCode
    name: NormalizedName
    requirement: str
    message: str

    def __str__(self) -> str:
        return f"{self.requirement}: {self.message}"


def _rewrite(requirement: Requirement, rule: SwapRule) -> Requirement:
    name = rule.replacement or requirement.name
    extras = rule.kept_extras(requirement.extras)
    text = name
    if extras:
        text += f"[{','.join(extras)}]"
    text += str(requirement.specifier)
    if requirement.marker is not None:
        text += f"; {requirement.marker}"
    return Requirement(text)


def _swap(requirement: Requirement, rule: SwapRule) -> tuple[Requirement, Swap]:
    new = _rewrite(requirement, rule)
    return new, Swap(
        original=str(requirement),
        replacement=str(new),
        name=canonicalize_name(requirement.name),
        new_name=canonicalize_name(new.name),
        kind=rule.kind,
        note=rule.note,
    )


def swap_requirement(
    requirement: Requirement, *, target: Target, headless: bool, backend: str = "cpu"
) -> tuple[Requirement, Swap | None]:
    """``requirement`` with its swap applied, and the swap (``None`` if nothing changed).

    For every dependency the resolver meets (a Requires-Dist), so that a transitive
    ``onnxruntime-gpu`` or ``opencv-python`` is replaced like a top-level one. The
    specifier and marker are carried over unchanged (``onnxruntime-gpu>=1.17`` →
    ``onnxruntime>=1.17``). ``report`` rows and direct references (``name @ url``) are
    returned untouched: GPU projects left this way are caught in the finished lock by
    :func:`is_gpu_package`.
    """
    rule = find_rule(requirement, target=target, headless=headless, backend=backend)
    if rule is None or rule.action == "report" or requirement.url:
        return requirement, None
    return _swap(requirement, rule)


def apply_swaps(
    requirements: Sequence[Requirement], *, target: Target, headless: bool, backend: str = "cpu"
) -> tuple[list[Requirement], list[Swap], list[Finding]]:
    """Apply :data:`SWAP_TABLE` to the user's requirements, in order.

    Returns the new requirements (one for each given, in the same order), the swaps
    made, and findings: GPU projects with no CPU equivalent (kept, never dropped), other
    GPU projects named directly (outside the torch family, which index routing handles),
    direct references the table would have swapped, and row warnings.
    """
    gpu = cpu_policy_applies(target, backend)
    out: list[Requirement] = []
    swaps: list[Swap] = []
    findings: list[Finding] = []
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        rule = find_rule(requirement, target=target, headless=headless, backend=backend)
        if rule is None:
            out.append(requirement)
            reason = is_gpu_package(name) if gpu and name not in TORCH_FAMILY else None
            if reason is not None:
                findings.append(
                    Finding(
                        code="gpu-package",
                        name=name,
                        requirement=str(requirement),
                        message=f"kept: {reason}, and depslim knows no CPU equivalent",
                    )
                )
            continue
        if rule.action == "report":
            out.append(requirement)
            findings.append(
                Finding(
                    code="no-cpu-equivalent",
                    name=name,
                    requirement=str(requirement),
                    message=f"kept: {rule.note}",
                )
            )
            continue
        if requirement.url:
            out.append(requirement)
            target_name = rule.replacement or requirement.name
            findings.append(
                Finding(
                    code="gpu-direct-reference",
                    name=name,
                    requirement=str(requirement),
                    message=f"kept: a direct reference names one file, so it is not swapped; "
                    f"require {target_name} instead to get the CPU build ({rule.note})",
                )
            )
            continue
        new, swap = _swap(requirement, rule)
        out.append(new)
        swaps.append(swap)
        if rule.warning:
            findings.append(
                Finding(
                    code="swap-warning",
                    name=name,
                    requirement=str(requirement),
                    message=rule.warning,
                )
            )
    return out, swaps, findings


# ---- torch local versions --------------------------------------------------------------

_GPU_LOCAL_SEGMENT = re.compile(r"cu\d+|cuda\d*|rocm\d*|xpu|gpu")


def _segments(label: str) -> list[str]:
    return re.split(r"[._-]", label.lower())


def is_gpu_local(label: str | None) -> bool:
    """True for a local label naming an accelerator build: ``cu121``, ``rocm6.2``, ``xpu``…"""
    if not label:
        return False
    return any(_GPU_LOCAL_SEGMENT.fullmatch(s) for s in _segments(label))


def is_cpu_local(label: str | None) -> bool:
    """True for a CPU build's local label: ``cpu``, or a variant like ``cpu.cxx11.abi``."""
    if not label:
        return False
    return _segments(label)[0] == "cpu" and not is_gpu_local(label)


def explicit_local(requirement: Requirement) -> str | None:
    """The local label a requirement pins explicitly (``torch==2.5.1+cu121`` → ``cu121``).

    Only ``==`` and ``===`` can choose a build this way; ``None`` when none does. The
    label is normalized the way PEP 440 compares it (lower case, ``.`` separators).
    """
    for spec in requirement.specifier:
        if spec.operator not in ("==", "==="):
            continue
        try:
            version = Version(spec.version)
        except InvalidVersion:
            continue
        if version.local is not None:
            return version.local
    return None


def matches_torch_pin(
    spec: SpecifierSet,
    version: Version,
    *,
    prereleases: bool | None = None,
    plain_is_cpu: bool = False,
) -> bool:
    """True when a candidate ``version`` of a torch-family project satisfies ``spec``.

    PEP 440 semantics, as :mod:`packaging` implements them: ``==2.5.1`` matches
    ``2.5.1+cpu`` (a public version ignores the candidate's local label), while
    ``==2.5.1+cu121`` matches only that build. With ``plain_is_cpu`` (the candidate comes
    from where an unlabelled build *is* the CPU build: the CPU index for Linux aarch64
    before torch 2.6, and macOS), a pin on a CPU label (``==2.5.1+cpu``) also matches the
    unlabelled ``2.5.1``, so a requirement copied from PyTorch's install page still
    locks for those targets.
    """
    if spec.contains(version, prereleases=prereleases):
        return True
    if not plain_is_cpu or version.local is not None:
        return False
    relaxed: list[str] = []
    changed = False
    for item in spec:
        if item.operator in ("==", "==="):
            try:
                pinned = Version(item.version)
            except InvalidVersion:
                pinned = None
            if pinned is not None and is_cpu_local(pinned.local):
                relaxed.append(f"{item.operator}{pinned.public}")
                changed = True
                continue
        relaxed.append(str(item))
    if not changed:
        return False
    try:
        loose = SpecifierSet(",".join(relaxed))
    except InvalidSpecifier:
        return False
    return loose.contains(version, prereleases=prereleases)


def cpu_local_rank(version: Version) -> int:
    """How much a CPU policy wants this build among builds of one public version.

    3 ``+cpu``; 2 another CPU label (``+cpu.cxx11.abi``); 1 no label; 0 any other label
    (a commit hash, as some torchvision Windows wheels carry); -1 a GPU label.
    """
    label = version.local
    if label is None:
        return 1
    if is_gpu_local(label):
        return -1
    if label == "cpu":
        return 3
    if is_cpu_local(label):
        return 2
    return 0


def cpu_local_key(version: Version) -> tuple[Version, int, Version]:
    """Sort key, larger is better: newer public version first, then :func:`cpu_local_rank`.

    Unlike plain version order (where ``2.5.1+cpu.cxx11.abi`` > ``2.5.1+cpu`` and
    ``2.5.1+cu121`` > ``2.5.1+cpu``), ``+cpu`` wins among equal public versions.
    """
    return (Version(version.public), cpu_local_rank(version), version)


def prefer_cpu_local(versions: Iterable[Version]) -> list[Version]:
    """The distinct ``versions``, best first by :func:`cpu_local_key`."""
    return sorted(set(versions), key=cpu_local_key, reverse=True)


def cpu_builds(versions: Iterable[Version]) -> list[Version]:
    """The versions a CPU policy may choose among those offered, best first.

    Never a GPU label. For each public version: its CPU-labelled builds when it has any;
    else its unlabelled build (the CPU index serves CPU builds unlabelled where it has no
    ``+cpu`` one: Linux aarch64 before torch 2.6, macOS); else builds with other labels.
    Pass the versions of files the target can install (see :func:`cpu_candidates`): an
    unlabelled file is acceptable only when no ``+cpu`` file exists *for that target*.
    """
    groups: dict[Version, list[Version]] = {}
    for version in set(versions):
        if cpu_local_rank(version) < 0:
            continue
        groups.setdefault(Version(version.public), []).append(version)
    chosen: list[Version] = []
    for group in groups.values():
        best = max(cpu_local_rank(v) for v in group)
        floor = 2 if best >= 2 else best
        chosen += [v for v in group if cpu_local_rank(v) >= floor]
    return prefer_cpu_local(chosen)


def _best_tag_rank(link: Link, target: Target) -> int:
    ranks = [r for r in (target.tag_rank(tag) for tag in link.tags) if r is not None]
    return min(ranks, default=len(target.tags()))


def cpu_candidates(links: Iterable[Link], *, target: Target) -> list[Link]:
    """The files of a torch-family project a CPU policy may choose for ``target``, best first.

    Keeps the wheels ``target`` can install (and any sdist), then the builds
    :func:`cpu_builds` accepts among them; orders by :func:`cpu_local_key`, then by how
    well the wheel's tags fit the target, then by build tag (higher first). Pass only
    links from the policy's index: an unlabelled build is taken for a CPU build because
    that index serves it.
    """
    usable = [link for link in links if not link.is_wheel or target.supports(link.tags)]
    order = {v: i for i, v in enumerate(cpu_builds(link.version for link in usable))}
    chosen = [link for link in usable if link.version in order]

    def key(link: Link) -> tuple[int, int, int]:
        build = link.build[0] if link.build else -1
        return (order[link.version], _best_tag_rank(link, target), -build)

    return sorted(chosen, key=key)


# ---- GPU packages in a finished lock ---------------------------------------------------

_SEGMENTS = r"(?:[a-z0-9]+-)*"
_TAIL = r"(?:-[a-z0-9]+)*"

GPU_PACKAGES: tuple[tuple[str, str], ...] = (
    (r"nvidia-.+", "an NVIDIA CUDA library"),
    (r"cuda-.+", "part of the CUDA toolkit or its Python bindings"),
    (r"(?:pytorch-)?triton(?:-rocm|-xpu)?", "the Triton GPU compiler that GPU builds of torch use"),
    (r"jax-(?:cuda|rocm)\d+-(?:plugin|pjrt)", "JAX's GPU plugin"),
    (r"cupy(?:-cuda\d+x?|-rocm(?:-\d+)+)?", "CuPy, which needs a CUDA or ROCm GPU"),
    (r"onnxruntime-gpu", "the CUDA build of ONNX Runtime"),
    (r"faiss-gpu(?:-[a-z0-9]+)*", "the CUDA build of Faiss"),
    (r"paddlepaddle-gpu", "the CUDA build of PaddlePaddle"),
    (r"tensorflow-gpu|tf-nightly-gpu", "TensorFlow's retired GPU package"),
    (r"mxnet-cu\d+(?:mkl)?", "a CUDA build of MXNet"),
    (r"tensorrt(?:-[a-z0-9]+)*", "NVIDIA TensorRT"),
    (r"nccl(?:-[a-z0-9]+)*", "NCCL, NVIDIA's GPU communication library"),
    (r"flash-attn(?:-[a-z0-9]+)*", "FlashAttention, CUDA kernels only"),
    (r"pycuda", "PyCUDA"),
    (
        rf"{_SEGMENTS}(?:cu\d{{2,3}}|cuda\d*x?|rocm\d*){_TAIL}",
        "a CUDA or ROCm build (its name says so)",
    ),
)
"""Patterns on normalized names of GPU-only projects, first match gives the reason.

Under a CPU policy none of these belongs in a finished lock: each exists only because a
GPU build required it (``nvidia-*``, ``cuda-*``, ``triton`` under CUDA torch and
``tensorflow[and-cuda]``; ``jax-cuda*-plugin`` under ``jax[cuda12]``), or was asked for.
"""

NOT_GPU_PACKAGES: frozenset[NormalizedName] = frozenset(
    canonicalize_name(name) for name in ("nvidia-ml-py", "nvidia-ml-py3")
)
"""Names the patterns catch that are not GPU builds: NVML bindings are a few pure-Python
kilobytes that import fine without a GPU (monitoring tools depend on them)."""


def is_gpu_package(name: str) -> str | None:
    """Why ``name`` is a GPU-only project, or ``None`` if it is not one."""
    project = canonicalize_name(name)
    if project in NOT_GPU_PACKAGES:
        return None
    for pattern, reason in GPU_PACKAGES:
        if re.fullmatch(pattern, project):
            return reason
    return None


def explain_gpu(
    graph: Mapping[NormalizedName, Collection[NormalizedName]],
    roots: Iterable[NormalizedName],
) -> dict[NormalizedName, list[tuple[NormalizedName, ...]]]:
    """For each GPU package of a pinned graph, the chains of requirements that pulled it.

    ``graph`` maps each pinned project to the projects it requires; ``roots`` are the
    projects the user asked for. Each chain runs from a root to the GPU package (a root
    that is itself one gives a chain of one): the shortest one from each root that
    reaches it, shortest first. A GPU package no root reaches maps to an empty list, so
    none goes unreported. Keys are sorted; an empty dict means a clean lock.
    """
    nodes = set(graph) | {dep for deps in graph.values() for dep in deps}
    gpu = sorted(name for name in nodes if is_gpu_package(name) is not None)
    chains: dict[NormalizedName, list[tuple[NormalizedName, ...]]] = {name: [] for name in gpu}
    if not gpu:
        return chains
    for root in sorted(set(roots)):
        if root not in nodes:
            continue
        parent: dict[NormalizedName, NormalizedName | None] = {root: None}
        queue = deque([root])
        while queue:
            current = queue.popleft()
            for dep in sorted(graph.get(current, ())):
                if dep not in parent:
                    parent[dep] = current
                    queue.append(dep)
        for name in gpu:
            if name not in parent:
                continue
            chain: list[NormalizedName] = []
            step: NormalizedName | None = name
            while step is not None:
                chain.append(step)
                step = parent[step]
            chains[name].append(tuple(reversed(chain)))
    for found in chains.values():
        found.sort(key=lambda chain: (len(chain), chain))
    return chains
