"""Tests of depslim.variants: the torch family, the swap table, torch local versions, GPU detection.

Real data where it exists: the PyTorch CPU index's file list and a real CPU torch
wheel's METADATA (trimmed copies in ``fixtures/variants/``, see its README).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name, parse_wheel_filename
from packaging.version import Version

from depslim.errors import InputError
from depslim.models import DistKind, Link
from depslim.target import Target
from depslim.variants import (
    DEFAULT_TORCH_INDEX,
    GPU_PACKAGES,
    SWAP_TABLE,
    TORCH_FAMILY,
    SwapRule,
    TorchPolicy,
    apply_swaps,
    cpu_builds,
    cpu_candidates,
    cpu_local_key,
    cpu_local_rank,
    cpu_policy_applies,
    explain_gpu,
    explicit_local,
    find_rule,
    is_cpu_local,
    is_gpu_local,
    is_gpu_package,
    matches_torch_pin,
    parse_torch_backend,
    prefer_cpu_local,
    swap_requirement,
    torch_family,
    torch_policy_for,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "variants"
WHEELS_TSV = FIXTURES / "wheels-cp311-2026-03-15.tsv"
CPU_TORCH_METADATA = (
    FIXTURES / "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl.metadata.head"
)

LINUX_AMD64 = Target.parse("linux/amd64", python="3.11")
LINUX_ARM64 = Target.parse("linux/arm64", python="3.11")
LINUX_MUSL = Target.parse("linux/amd64-musl", python="3.11")
MACOS_ARM64 = Target.parse("macos/arm64", python="3.11")
MACOS_AMD64 = Target.parse("macos/amd64", python="3.11")
WINDOWS_AMD64 = Target.parse("windows/amd64", python="3.11")
WINDOWS_ARM64 = Target.parse("windows/arm64", python="3.11")


def n(name: str) -> NormalizedName:
    return canonicalize_name(name)


def req(text: str) -> Requirement:
    return Requirement(text)


# ---- the torch family ------------------------------------------------------------------

FAMILY_NAMES = [
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
]


def test_family_holds_exactly_the_listed_normalized_names() -> None:
    assert set(FAMILY_NAMES) == TORCH_FAMILY
    assert all(name == canonicalize_name(name) for name in TORCH_FAMILY)


@pytest.mark.parametrize(
    "spelling", ["torch", "Torch", "torch_tensorrt", "FBGEMM.GPU", "PyTorch-Triton"]
)
def test_policy_routes_family_members_in_any_spelling(spelling: str) -> None:
    assert TorchPolicy().routes(spelling)


@pytest.mark.parametrize("name", ["numpy", "sympy", "jinja2", "torchtriton", "torch-geometric"])
def test_policy_does_not_route_other_projects(name: str) -> None:
    # torchtriton: the December 2022 dependency-confusion package; never ours to reroute.
    assert not TorchPolicy().routes(name)


def test_family_extends_from_config_names() -> None:
    family = torch_family(["TorchMetrics", " torch_geometric "])
    assert family == TORCH_FAMILY | {"torchmetrics", "torch-geometric"}
    assert "torchmetrics" not in TORCH_FAMILY  # the default table is left alone


def test_family_extension_rejects_non_names_and_says_where() -> None:
    with pytest.raises(
        InputError, match=r"pyproject.toml \[tool.depslim\] torch-family.*'torch vision'"
    ):
        torch_family(["torch vision"], source="pyproject.toml [tool.depslim] torch-family")
    with pytest.raises(InputError, match="not a project name"):
        torch_family([""])


@given(st.lists(st.text(max_size=20), max_size=4))
def test_family_extension_never_crashes(names: list[str]) -> None:
    try:
        family = torch_family(names)
    except InputError:
        return
    assert family >= TORCH_FAMILY
    assert len(family) <= len(TORCH_FAMILY) + len(names)


# ---- the policy per target -------------------------------------------------------------


@pytest.mark.parametrize("target", [LINUX_AMD64, LINUX_ARM64, LINUX_MUSL], ids=str)
def test_policy_is_on_by_default_for_linux(target: Target) -> None:
    policy = torch_policy_for(target)
    assert policy == TorchPolicy(backend="cpu", index_url=DEFAULT_TORCH_INDEX, family=TORCH_FAMILY)
    assert DEFAULT_TORCH_INDEX == "https://download.pytorch.org/whl/cpu"


@pytest.mark.parametrize(
    "target", [MACOS_ARM64, MACOS_AMD64, WINDOWS_AMD64, WINDOWS_ARM64], ids=str
)
def test_policy_leaves_macos_and_windows_alone(target: Target) -> None:
    assert torch_policy_for(target) is None
    assert not cpu_policy_applies(target)


@pytest.mark.parametrize("target", [LINUX_AMD64, LINUX_ARM64], ids=str)
def test_backend_pypi_opts_out(target: Target) -> None:
    assert torch_policy_for(target, "pypi") is None
    assert torch_policy_for(target, " PyPI ") is None
    assert not cpu_policy_applies(target, "pypi")


def test_policy_carries_index_url_and_extended_family() -> None:
    policy = torch_policy_for(
        LINUX_ARM64, "cpu", " http://127.0.0.1:8000/whl/cpu ", extra_family=["torchmetrics"]
    )
    assert policy is not None
    assert policy.index_url == "http://127.0.0.1:8000/whl/cpu"
    assert policy.routes("torchmetrics")
    assert policy.routes("torch")


@pytest.mark.parametrize("target", [LINUX_AMD64, MACOS_ARM64], ids=str)
def test_bad_backend_fails_on_every_target(target: Target) -> None:
    with pytest.raises(
        InputError, match=r"--torch-backend: unknown torch backend 'cuda'.*'cpu'.*'pypi'"
    ):
        torch_policy_for(target, "cuda")


def test_empty_index_url_fails() -> None:
    with pytest.raises(
        InputError, match=r"--torch-index-url \(torch-index-url in \[tool.depslim\]\) is empty"
    ):
        torch_policy_for(LINUX_AMD64, "cpu", "  ")


def test_parse_torch_backend_names_its_source() -> None:
    assert parse_torch_backend("CPU") == "cpu"
    assert parse_torch_backend("pypi") == "pypi"
    with pytest.raises(InputError, match=r"^\[tool.depslim\] torch-backend: unknown"):
        parse_torch_backend("rocm", source="[tool.depslim] torch-backend")


# ---- the swap table: every row -----------------------------------------------------------

# (requirement as written, what it becomes, kind). Each row of SWAP_TABLE appears here;
# test_every_row_is_exercised checks it.
SWAPS = [
    ("onnxruntime-gpu>=1.17", "onnxruntime>=1.17", "gpu"),
    ("onnxruntime-gpu[cuda,cudnn]==1.22.0", "onnxruntime==1.22.0", "gpu"),
    ("ONNXRuntime_GPU", "onnxruntime", "gpu"),
    ("faiss-gpu==1.7.2", "faiss-cpu==1.7.2", "gpu"),
    ("faiss-gpu-cu11", "faiss-cpu", "gpu"),
    (
        "faiss_gpu_cu12[fix_cuda]>=1.9; python_version >= '3.10'",
        'faiss-cpu>=1.9; python_version >= "3.10"',
        "gpu",
    ),
    ("tensorflow[and-cuda]==2.16.1", "tensorflow==2.16.1", "gpu"),
    ("tensorflow[and_cuda]>=2.15,<2.17", "tensorflow>=2.15,<2.17", "gpu"),
    ("tf-nightly[and-cuda]", "tf-nightly", "gpu"),
    ("tensorflow-gpu==2.10.0", "tensorflow==2.10.0", "gpu"),
    ("jax[cuda]", "jax", "gpu"),
    ("jax[cuda11]", "jax", "gpu"),
    ("jax[cuda12]>=0.4.30", "jax>=0.4.30", "gpu"),
    ("jax[cuda13]", "jax", "gpu"),
    ("jax[cuda11_pip]", "jax", "gpu"),
    ("jax[cuda12_pip]==0.4.26", "jax==0.4.26", "gpu"),
    ("jax[cuda12-local]", "jax", "gpu"),
    ("jax[cuda13_local]", "jax", "gpu"),
    ("jax[cuda11_cudnn86]", "jax", "gpu"),
    ("jax[cuda12.cudnn89]", "jax", "gpu"),
    ("jax[rocm]", "jax", "gpu"),
    ("jax[cuda12,k8s]>=0.5", "jax[k8s]>=0.5", "gpu"),
    ("jaxlib[cuda12_pip]==0.4.26", "jaxlib==0.4.26", "gpu"),
    ("jaxlib[cuda]", "jaxlib", "gpu"),
    ("paddlepaddle-gpu==2.6.2", "paddlepaddle==2.6.2", "gpu"),
    ("mxnet-cu112==1.9.1", "mxnet==1.9.1", "gpu"),
    ("mxnet-cu101mkl", "mxnet", "gpu"),
    (
        "opencv-python>=4.8; sys_platform == 'linux'",
        'opencv-python-headless>=4.8; sys_platform == "linux"',
        "slim",
    ),
    ("opencv-contrib-python==4.10.0.84", "opencv-contrib-python-headless==4.10.0.84", "slim"),
]

# GPU projects with no CPU equivalent: kept and reported.
REPORTED = [
    "cupy-cuda11x",
    "cupy-cuda12x>=13",
    "cupy-cuda13x",
    "cupy-cuda102",
    "cupy-cuda80",
    "cupy-cuda117",
    "cupy-rocm-5-0",
    "cupy",
    "jax-cuda12-plugin[with_cuda]",
    "jax-cuda12-pjrt==0.5.0",
    "jax-cuda13-plugin",
    "jax-rocm60-plugin",
]

# Requirements no row touches, even with --headless.
UNTOUCHED = [
    "jax",
    "jax[cpu]",
    "jax[tpu]",
    "jaxlib",
    "tensorflow",
    "tensorflow-cpu==2.16.1",
    "onnxruntime",
    "faiss-cpu",
    "paddlepaddle",
    "mxnet",
    "opencv-python-headless",
    "torch==2.5.1",
    "torchvision",
    "numpy",
]


@pytest.mark.parametrize(("written", "becomes", "kind"), SWAPS)
def test_swap_row(written: str, becomes: str, kind: str) -> None:
    new, swap = swap_requirement(req(written), target=LINUX_AMD64, headless=True)
    assert str(new) == str(req(becomes))
    assert swap is not None
    assert swap.original == str(req(written))
    assert swap.replacement == str(new)
    assert swap.kind == kind
    assert swap.name == n(req(written).name)
    assert swap.new_name == n(req(becomes).name)
    assert swap.note
    assert f"{swap.original} -> {swap.replacement}" in str(swap)


@pytest.mark.parametrize("written", REPORTED)
def test_no_cpu_equivalent_is_reported_not_dropped(written: str) -> None:
    requirement = req(written)
    out, swaps, findings = apply_swaps([requirement], target=LINUX_AMD64, headless=True)
    assert out == [requirement]
    assert swaps == []
    assert [(f.code, f.name, f.requirement) for f in findings] == [
        ("no-cpu-equivalent", n(requirement.name), str(requirement))
    ]
    assert findings[0].message.startswith("kept: ")
    # The resolver's hook leaves it alone too; the finished lock's GPU check catches it.
    assert swap_requirement(requirement, target=LINUX_AMD64, headless=True) == (requirement, None)
    assert is_gpu_package(requirement.name) is not None


@pytest.mark.parametrize("written", UNTOUCHED)
def test_requirements_without_a_row_are_untouched(written: str) -> None:
    requirement = req(written)
    assert find_rule(requirement, target=LINUX_AMD64, headless=True) is None
    out, swaps, findings = apply_swaps([requirement], target=LINUX_AMD64, headless=True)
    assert (out, swaps, findings) == ([requirement], [], [])


def test_every_row_is_exercised() -> None:
    used = {find_rule(req(w), target=LINUX_AMD64, headless=True) for w, _, _ in SWAPS}
    used |= {find_rule(req(w), target=LINUX_AMD64, headless=True) for w in REPORTED}
    assert used == set(SWAP_TABLE)


def test_table_rows_are_well_formed() -> None:
    for rule in SWAP_TABLE:
        assert rule.note, rule
        for pattern in (rule.name, rule.extras, rule.drop_extras):
            if pattern is not None:
                re.compile(pattern)
        if not rule.regex:
            assert rule.name == canonicalize_name(rule.name), rule
        if rule.action == "report":
            assert rule.replacement is None, rule
        elif rule.replacement is None:
            assert rule.extras is not None, f"{rule} would change nothing"
        else:
            assert rule.replacement == canonicalize_name(rule.replacement), rule
            assert is_gpu_package(rule.replacement) is None, rule
        if rule.kind == "slim":
            assert rule.action == "swap"
            assert rule.replacement is not None


def test_gpu_rows_stand_for_gpu_packages() -> None:
    renamed = [(w, b) for w, b, kind in SWAPS if kind == "gpu" and n(req(w).name) != n(req(b).name)]
    assert len(renamed) >= 5
    for written, becomes in renamed:
        assert is_gpu_package(req(written).name) is not None, written
        assert is_gpu_package(req(becomes).name) is None, becomes


# ---- when the rows apply ---------------------------------------------------------------


@pytest.mark.parametrize("target", [MACOS_ARM64, WINDOWS_AMD64], ids=str)
def test_gpu_rows_are_off_on_macos_and_windows(target: Target) -> None:
    requirements = [req("onnxruntime-gpu>=1.17"), req("jax[cuda12]"), req("cupy-cuda12x")]
    out, swaps, findings = apply_swaps(requirements, target=target, headless=False)
    assert (out, swaps, findings) == (requirements, [], [])


def test_gpu_rows_are_off_with_backend_pypi() -> None:
    requirements = [req("onnxruntime-gpu>=1.17"), req("tensorflow[and-cuda]"), req("cupy-cuda12x")]
    out, swaps, findings = apply_swaps(
        requirements, target=LINUX_AMD64, headless=False, backend="pypi"
    )
    assert (out, swaps, findings) == (requirements, [], [])
    new, swap = swap_requirement(
        requirements[0], target=LINUX_AMD64, headless=False, backend="pypi"
    )
    assert (new, swap) == (requirements[0], None)


@pytest.mark.parametrize("target", [LINUX_AMD64, MACOS_ARM64, WINDOWS_AMD64], ids=str)
def test_headless_rows_are_opt_in_on_every_target(target: Target) -> None:
    opencv = req("opencv-python==4.10.0.84")
    assert swap_requirement(opencv, target=target, headless=False) == (opencv, None)
    new, swap = swap_requirement(opencv, target=target, headless=True)
    assert str(new) == "opencv-python-headless==4.10.0.84"
    assert swap is not None
    assert swap.kind == "slim"


# ---- apply_swaps on a realistic list ---------------------------------------------------


def test_apply_swaps_keeps_order_and_reports_everything() -> None:
    written = [
        "fastapi>=0.110",
        "torch==2.5.1",
        "onnxruntime-gpu>=1.17; platform_machine == 'x86_64'",
        "cupy-cuda12x",
        "mxnet-cu112==1.9.1",
        "nvidia-cudnn-cu12==9.1.0.70",
        "triton==3.1.0",
        "opencv-python",
        "onnxruntime-gpu @ https://files.example.invalid/onnxruntime_gpu-1.17.0-cp311-cp311-manylinux_2_28_x86_64.whl",
    ]
    out, swaps, findings = apply_swaps([req(w) for w in written], target=LINUX_AMD64, headless=True)
    assert [str(r) for r in out] == [
        "fastapi>=0.110",
        "torch==2.5.1",
        'onnxruntime>=1.17; platform_machine == "x86_64"',
        "cupy-cuda12x",
        "mxnet==1.9.1",
        "nvidia-cudnn-cu12==9.1.0.70",
        "triton==3.1.0",
        "opencv-python-headless",
        str(req(written[-1])),
    ]
    assert [(s.name, s.new_name, s.kind) for s in swaps] == [
        ("onnxruntime-gpu", "onnxruntime", "gpu"),
        ("mxnet-cu112", "mxnet", "gpu"),
        ("opencv-python", "opencv-python-headless", "slim"),
    ]
    assert [(f.code, f.name) for f in findings] == [
        ("no-cpu-equivalent", "cupy-cuda12x"),
        ("swap-warning", "mxnet-cu112"),
        ("gpu-package", "nvidia-cudnn-cu12"),
        ("gpu-direct-reference", "onnxruntime-gpu"),
    ]
    assert "retired" in findings[1].message
    assert "NVIDIA" in findings[2].message
    assert "require onnxruntime instead" in findings[3].message
    # torch and triton are the torch family: index routing deals with them, not a finding.


def test_apply_swaps_of_nothing() -> None:
    assert apply_swaps([], target=LINUX_AMD64, headless=True) == ([], [], [])


# ---- transitive requirements: markers and specifiers preserved -------------------------


@pytest.mark.parametrize(
    ("requires_dist", "becomes"),
    [
        ('onnxruntime-gpu>=1.16; extra == "gpu"', 'onnxruntime>=1.16; extra == "gpu"'),
        (
            "opencv-python>=4.6.0,!=4.7.0.68; python_version >= '3.8' and extra == 'vision'",
            (
                "opencv-python-headless>=4.6.0,!=4.7.0.68;"
                ' python_version >= "3.8" and extra == "vision"'
            ),
        ),
        (
            'jax[cuda12]>=0.4.20; sys_platform == "linux" and extra == "cuda"',
            'jax>=0.4.20; sys_platform == "linux" and extra == "cuda"',
        ),
        ("faiss-gpu~=1.7.2", "faiss-cpu~=1.7.2"),
    ],
)
def test_transitive_swap_keeps_marker_and_specifier(requires_dist: str, becomes: str) -> None:
    original = req(requires_dist)
    new, swap = swap_requirement(original, target=LINUX_ARM64, headless=True)
    assert swap is not None
    assert str(new) == str(req(becomes))
    assert new.specifier == original.specifier
    assert str(new.marker) == str(original.marker)
    if original.marker is None:
        return
    assert new.marker is not None
    for extra in ("", "gpu", "vision", "cuda"):
        env = LINUX_ARM64.marker_environment() | {"extra": extra}
        assert new.marker.evaluate(env) == original.marker.evaluate(env)


def test_transitive_direct_reference_is_untouched() -> None:
    original = req("onnxruntime-gpu @ https://files.example.invalid/o.whl ; extra == 'gpu'")
    assert swap_requirement(original, target=LINUX_AMD64, headless=True) == (original, None)


_NAMES = st.sampled_from(
    [
        "onnxruntime-gpu",
        "faiss_gpu_cu12",
        "tensorflow",
        "tensorflow-gpu",
        "jax",
        "jaxlib",
        "paddlepaddle-gpu",
        "mxnet-cu117",
        "opencv-python",
        "opencv-contrib-python",
        "cupy-cuda12x",
        "numpy",
        "torch",
    ]
)
_EXTRAS = st.lists(
    st.sampled_from(["cuda", "and-cuda", "cuda12_pip", "cpu", "k8s", "fix-cuda", "rocm", "tpu"]),
    max_size=3,
    unique=True,
)
_SPECIFIERS = st.sampled_from(["", ">=1.0", "==2.5.1", "~=4.8,!=4.8.1", "<3,>=2", "===1.0"])
_MARKERS = st.sampled_from(
    ["", "python_version >= '3.10'", "extra == 'gpu'", "sys_platform == 'linux' or os_name == 'nt'"]
)


@given(_NAMES, _EXTRAS, _SPECIFIERS, _MARKERS, st.booleans(), st.booleans())
def test_swaps_never_lose_a_specifier_or_marker(
    name: str, extras: list[str], specifier: str, marker: str, headless: bool, linux: bool
) -> None:
    text = name + (f"[{','.join(extras)}]" if extras else "") + specifier
    if marker:
        text += f"; {marker}"
    original = req(text)
    target = LINUX_AMD64 if linux else MACOS_ARM64
    new, swap = swap_requirement(original, target=target, headless=headless)
    assert new.specifier == original.specifier
    assert str(new.marker) == str(original.marker)
    assert new.extras <= original.extras
    if swap is None:
        assert new is original
    else:
        assert (n(new.name), new.extras) != (n(original.name), original.extras)
        assert is_gpu_package(new.name) is None


# ---- torch local versions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "version", "expected"),
    [
        # PEP 440, as packaging implements it: a public pin ignores the candidate's label.
        ("==2.5.1", "2.5.1+cpu", True),
        ("==2.5.1", "2.5.1+cpu.cxx11.abi", True),
        ("==2.5.*", "2.5.1+cpu", True),
        (">=2.5", "2.5.1+cpu", True),
        ("<=2.5.1", "2.5.1+cpu", True),
        ("~=2.5.0", "2.5.1+cpu", True),
        ("<2.5.1", "2.5.1+cpu", False),
        (">2.5.1", "2.5.1+cpu", False),
        ("!=2.5.1", "2.5.1+cpu", False),
        ("==2.5.1", "2.5.2+cpu", False),
        # A pin with a label matches that build only.
        ("==2.5.1+cu121", "2.5.1+cpu", False),
        ("==2.5.1+cu121", "2.5.1+cu121", True),
        ("==2.5.1+cpu", "2.5.1+cpu", True),
        ("==2.5.1+cpu", "2.5.1+cpu.cxx11.abi", False),
        ("==2.5.1+cpu", "2.5.1", False),
        # Arbitrary equality is string equality.
        ("===2.5.1", "2.5.1+cpu", False),
        ("===2.5.1+cpu", "2.5.1+cpu", True),
        # A pin on a pre-release selects its CPU build.
        ("==2.6.0.dev20241112", "2.6.0.dev20241112+cpu", True),
    ],
)
def test_matches_torch_pin_follows_pep_440(spec: str, version: str, expected: bool) -> None:
    assert matches_torch_pin(SpecifierSet(spec), Version(version)) is expected


def test_matches_torch_pin_passes_prereleases_on() -> None:
    assert not matches_torch_pin(
        SpecifierSet(">=2.5"), Version("2.6.0.dev1+cpu"), prereleases=False
    )
    assert matches_torch_pin(SpecifierSet(">=2.5"), Version("2.6.0.dev1+cpu"), prereleases=True)


@pytest.mark.parametrize(
    ("spec", "version", "expected"),
    [
        ("==2.5.1+cpu", "2.5.1", True),
        ("===2.5.1+cpu", "2.5.1", True),
        ("==2.5.1+cpu,<3", "2.5.1", True),
        ("==2.5.1+cpu.cxx11.abi", "2.5.1", True),
        ("==2.5.1+cpu", "2.5.2", False),
        ("==2.5.1+cpu,!=2.5.1", "2.5.1", False),
        ("==2.5.1+cu121", "2.5.1", False),
        ("==2.5.1+rocm6.2", "2.5.1", False),
        ("==2.5.1+cpu", "2.5.1+cpu.cxx11.abi", False),
        (">=2.4", "2.5.1", True),
    ],
)
def test_cpu_label_pin_matches_plain_build_where_plain_is_cpu(
    spec: str, version: str, expected: bool
) -> None:
    assert matches_torch_pin(SpecifierSet(spec), Version(version), plain_is_cpu=True) is expected


@pytest.mark.parametrize(
    ("written", "label"),
    [
        ("torch==2.5.1+cu121", "cu121"),
        ("torch==2.5.1+cpu", "cpu"),
        ("torch===2.4.0+ROCm6.1", "rocm6.1"),
        ("torch==2.5.1+cu124,<3", "cu124"),
        ("torchvision>=0.20,==0.20.1+xpu", "xpu"),
        ("torch==2.5.1", None),
        ("torch>=2", None),
        ("torch", None),
        ("torch!=2.5.1+cu121", None),
        ("torch===not-a-version", None),
    ],
)
def test_explicit_local(written: str, label: str | None) -> None:
    assert explicit_local(req(written)) == label


@pytest.mark.parametrize(
    "label", ["cu121", "cu118", "rocm6.2", "rocm6.2.4", "xpu", "cuda12.cudnn89", "CU124"]
)
def test_gpu_local_labels(label: str) -> None:
    assert is_gpu_local(label)
    assert not is_cpu_local(label)


@pytest.mark.parametrize("label", ["cpu", "cpu.cxx11.abi", "CPU", "cpu-cxx11-abi"])
def test_cpu_local_labels(label: str) -> None:
    assert is_cpu_local(label)
    assert not is_gpu_local(label)


@pytest.mark.parametrize("label", [None, "", "0429d73", "git.abcdef"])
def test_other_labels_are_neither(label: str | None) -> None:
    assert not is_gpu_local(label)
    assert not is_cpu_local(label)


def test_cpu_build_wins_among_equal_public_versions() -> None:
    versions = [
        Version(v)
        for v in ("2.5.1", "2.5.1+cu121", "2.5.1+cpu", "2.5.1+cpu.cxx11.abi", "2.5.1+0429d73")
    ]
    # Plain PEP 440 order would take the CUDA build (the longest/highest local label).
    assert max(versions) == Version("2.5.1+cu121")
    assert max(versions, key=cpu_local_key) == Version("2.5.1+cpu")
    assert [cpu_local_rank(v) for v in versions] == [1, -1, 3, 2, 0]


def test_prefer_cpu_local_orders_public_version_first() -> None:
    versions = [
        Version(v) for v in ("2.5.1", "2.5.1+cu121", "2.5.0+cpu", "2.5.1+cpu", "2.6.0", "2.5.1+cpu")
    ]
    assert prefer_cpu_local(versions) == [
        Version("2.6.0"),
        Version("2.5.1+cpu"),
        Version("2.5.1"),
        Version("2.5.1+cu121"),
        Version("2.5.0+cpu"),
    ]


def test_cpu_builds_never_gpu_and_plain_only_without_cpu() -> None:
    versions = [
        Version(v)
        for v in (
            "2.5.1",
            "2.5.1+cu121",
            "2.5.1+cpu",
            "2.5.1+cpu.cxx11.abi",
            "2.5.0",
            "2.5.0+rocm6.1",
            "2.4.0+cu118",
            "0.24.0+0429d73",
            "0.24.0+7a9db90",
        )
    ]
    assert cpu_builds(versions) == [
        Version("2.5.1+cpu"),
        Version("2.5.1+cpu.cxx11.abi"),
        Version("2.5.0"),
        Version("0.24.0+7a9db90"),
        Version("0.24.0+0429d73"),
    ]


# ---- the real CPU index file list --------------------------------------------------------


def load_links(project: str) -> list[Link]:
    with WHEELS_TSV.open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    links = []
    for row in rows:
        if row["project"] != project:
            continue
        name, version, build, tags = parse_wheel_filename(row["filename"])
        links.append(
            Link(
                url=row["url"],
                filename=row["filename"],
                name=name,
                version=version,
                kind=DistKind.WHEEL,
                index=DEFAULT_TORCH_INDEX,
                tags=tags,
                build=build,
                hashes={"sha256": row["sha256"]} if row["sha256"] else {},
            )
        )
    assert links, f"no {project} rows in {WHEELS_TSV}"
    return links


def synthetic(filename: str) -> Link:
    """A file a mixed index (the ``whl/`` root, a mirror) could list next to the CPU ones."""
    name, version, build, tags = parse_wheel_filename(filename)
    return Link(
        url=f"http://127.0.0.1/whl/{filename}",
        filename=filename,
        name=name,
        version=version,
        kind=DistKind.WHEEL,
        index="http://127.0.0.1/whl/",
        tags=tags,
        build=build,
    )


GPU_INTRUDERS = [
    synthetic("torch-2.5.1+cu121-cp311-cp311-linux_x86_64.whl"),
    synthetic("torch-2.7.0+cu128-cp311-cp311-manylinux_2_28_x86_64.whl"),
    synthetic("torch-2.7.0+cu128-cp311-cp311-manylinux_2_28_aarch64.whl"),
    synthetic("torch-2.6.0+rocm6.2.4-cp311-cp311-manylinux_2_28_x86_64.whl"),
    synthetic("torch-2.10.0+xpu-cp311-cp311-manylinux_2_28_x86_64.whl"),
    # PyPI's own Linux x86_64 build (CUDA) carries no label.
    synthetic("torch-2.7.0-cp311-cp311-manylinux_2_28_x86_64.whl"),
]


def chosen(links: list[Link]) -> list[tuple[str, str | None]]:
    return [(str(Version(link.version.public)), link.version.local) for link in links]


def test_linux_amd64_takes_cpu_builds_only() -> None:
    picked = cpu_candidates(load_links("torch") + GPU_INTRUDERS, target=LINUX_AMD64)
    assert chosen(picked) == [
        ("2.10.0", "cpu"),
        ("2.7.0", "cpu"),
        ("2.6.0", "cpu"),
        ("2.5.1", "cpu"),
        ("2.4.1", "cpu"),
    ]
    assert picked[0].filename == "torch-2.10.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"
    # Up to 2.6 the x86_64 CPU wheels were tagged linux_x86_64, which the target accepts.
    assert picked[-1].filename == "torch-2.4.1+cpu-cp311-cp311-linux_x86_64.whl"
    assert all(link.sha256 for link in picked)


def test_linux_arm64_takes_plain_builds_before_2_6_and_cpu_after() -> None:
    picked = cpu_candidates(load_links("torch") + GPU_INTRUDERS, target=LINUX_ARM64)
    assert chosen(picked) == [
        ("2.10.0", "cpu"),
        ("2.10.0", "cpu"),
        ("2.7.0", "cpu"),
        ("2.6.0", "cpu"),
        ("2.5.1", None),
        ("2.4.1", None),
    ]
    # 2.10.0 has a manylinux_2_28 and a bare linux_aarch64 wheel: the manylinux one fits best.
    assert picked[0].filename == "torch-2.10.0+cpu-cp311-cp311-manylinux_2_28_aarch64.whl"
    assert picked[1].filename == "torch-2.10.0+cpu-cp311-cp311-linux_aarch64.whl"
    assert picked[4].filename == (
        "torch-2.5.1-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"
    )
    # A pin copied from PyTorch's install page locks for aarch64 2.5.1 all the same.
    assert matches_torch_pin(SpecifierSet("==2.5.1+cpu"), picked[4].version, plain_is_cpu=True)
    assert not matches_torch_pin(SpecifierSet("==2.5.1+cpu"), picked[4].version)


def test_macos_takes_plain_builds_highest_build_tag_first() -> None:
    picked = cpu_candidates(load_links("torch"), target=MACOS_ARM64)
    assert {link.version.local for link in picked} == {None}
    assert [link.filename for link in picked[:3]] == [
        "torch-2.10.0-2-cp311-none-macosx_11_0_arm64.whl",
        "torch-2.10.0-1-cp311-none-macosx_11_0_arm64.whl",
        "torch-2.10.0-cp311-none-macosx_11_0_arm64.whl",
    ]
    assert [str(link.version) for link in picked[3:]] == ["2.7.0", "2.6.0", "2.5.1", "2.4.1"]


def test_windows_arm64_torchvision_has_only_commit_labels() -> None:
    picked = cpu_candidates(load_links("torchvision"), target=WINDOWS_ARM64)
    assert sorted(link.version.local or "" for link in picked) == [
        "0429d73",
        "7a9db90",
        "b919bd0",
        "e437e35",
    ]
    windows = cpu_candidates(load_links("torchvision"), target=WINDOWS_AMD64)
    assert [link.filename for link in windows] == [
        "torchvision-0.24.0+cpu-cp311-cp311-win_amd64.whl"
    ]


def test_musl_gets_no_manylinux_build() -> None:
    # PyTorch publishes no musllinux wheels. The target accepts the bare linux_x86_64 tag
    # (as pip on musl does), so only the pre-2.7 wheels tagged that way remain.
    picked = cpu_candidates(load_links("torch"), target=LINUX_MUSL)
    assert [link.filename for link in picked] == [
        "torch-2.6.0+cpu-cp311-cp311-linux_x86_64.whl",
        "torch-2.5.1+cpu-cp311-cp311-linux_x86_64.whl",
        "torch-2.4.1+cpu-cp311-cp311-linux_x86_64.whl",
    ]


# ---- GPU packages in a finished lock -----------------------------------------------------


def requires_dist(metadata: str) -> list[Requirement]:
    return [
        Requirement(line.removeprefix("Requires-Dist:").strip())
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:")
    ]


def test_cpu_torch_metadata_requires_no_gpu_package() -> None:
    text = CPU_TORCH_METADATA.read_text(encoding="utf-8")
    assert "Version: 2.13.0+cpu" in text
    deps = requires_dist(text)
    assert {n(d.name) for d in deps} >= {"filelock", "sympy", "networkx", "jinja2", "fsspec"}
    assert [d.name for d in deps if is_gpu_package(d.name)] == []


# Requires-Dist of PyPI's Linux (CUDA) torch, from ../shared/notes/gpu-swaps.md (2.15.0) and
# the cu12 generation before it; unsuffixed nvidia-* names appear in the newest releases.
_LINUX = 'platform_system == "Linux"'
_LINUX_X86 = _LINUX + ' and platform_machine == "x86_64"'
CUDA_TORCH_REQUIRES = [
    f"cuda-toolkit[cublas,cudart,cufft,curand,cusolver,cusparse,nvrtc]==13.2.2; {_LINUX}",
    f"cuda-bindings; {_LINUX}",
    f"cuda-pathfinder; {_LINUX}",
    f"nvidia-cudnn-cu13; {_LINUX}",
    f"nvidia-cusparselt-cu13; {_LINUX}",
    f"nvidia-nccl-cu13; {_LINUX}",
    f"nvidia-nvshmem-cu13; {_LINUX}",
    f"triton~=3.9; {_LINUX}",
    f"nvidia-cublas; {_LINUX}",
    f"nvidia-cuda-runtime; {_LINUX}",
    f"nvidia-cuda-nvrtc-cu12==12.4.127; {_LINUX_X86}",
    f"nvidia-cuda-runtime-cu12==12.4.127; {_LINUX_X86}",
    f"nvidia-cuda-cupti-cu12==12.4.127; {_LINUX_X86}",
    f"nvidia-cudnn-cu12==9.1.0.70; {_LINUX_X86}",
    f"nvidia-cublas-cu12==12.4.5.8; {_LINUX_X86}",
    f"nvidia-cufft-cu12==11.2.1.3; {_LINUX_X86}",
    f"nvidia-curand-cu12==10.3.5.147; {_LINUX_X86}",
    f"nvidia-cusolver-cu12==11.6.1.9; {_LINUX_X86}",
    f"nvidia-cusparse-cu12==12.3.1.170; {_LINUX_X86}",
    f"nvidia-nccl-cu12==2.21.5; {_LINUX_X86}",
    f"nvidia-nvtx-cu12==12.4.127; {_LINUX_X86}",
    f"nvidia-nvjitlink-cu12==12.4.127; {_LINUX_X86}",
    f"nvidia-cuda-nvrtc-cu11==11.7.99; {_LINUX_X86}",
    f"pytorch-triton-rocm==3.1.0; {_LINUX}",
]


@pytest.mark.parametrize("line", CUDA_TORCH_REQUIRES)
def test_cuda_torch_requirements_are_gpu_packages(line: str) -> None:
    assert is_gpu_package(req(line).name) is not None


@pytest.mark.parametrize(
    "name",
    [
        "nvidia_cudnn_cu12",
        "NVIDIA-CUBLAS-CU12",
        "nvidia.nccl.cu12",
        "cuda-python",
        "cuda-core",
        "jax-cuda12-plugin",
        "jax-cuda12-pjrt",
        "jax-cuda13-plugin",
        "jax-rocm60-pjrt",
        "cupy-cuda12x",
        "cupy-cuda102",
        "onnxruntime-gpu",
        "faiss-gpu",
        "faiss-gpu-cu12",
        "paddlepaddle-gpu",
        "mxnet-cu112",
        "tensorflow-gpu",
        "triton",
        "triton-rocm",
        "pytorch-triton",
        "pytorch-triton-xpu",
        "tensorrt",
        "tensorrt-cu12-libs",
        "nccl",
        "flash-attn",
        "pycuda",
        "cudf-cu12",
        "numba-cuda",
    ],
)
def test_gpu_packages_are_detected(name: str) -> None:
    reason = is_gpu_package(name)
    assert reason


@pytest.mark.parametrize(
    "name",
    [
        "numpy",
        "torch",
        "torchvision",
        "fbgemm-gpu",
        "onnxruntime",
        "faiss-cpu",
        "tensorflow",
        "jax",
        "jaxlib",
        "cupyx",
        "tritonclient",
        "nvidia-ml-py",
        "nvidia-ml-py3",
        "accuracy",
        "rocket",
        "opencv-python",
    ],
)
def test_cpu_packages_are_not_detected(name: str) -> None:
    assert is_gpu_package(name) is None


def test_detection_patterns_compile_and_have_reasons() -> None:
    for pattern, reason in GPU_PACKAGES:
        re.compile(pattern)
        assert reason


@given(st.text(max_size=40))
def test_is_gpu_package_never_crashes(text: str) -> None:
    reason = is_gpu_package(text)
    assert reason is None or isinstance(reason, str)


# ---- explain_gpu -----------------------------------------------------------------------

GRAPH: dict[NormalizedName, tuple[NormalizedName, ...]] = {
    n("sentence-transformers"): (n("torch"), n("transformers")),
    n("transformers"): (n("numpy"), n("tokenizers")),
    n("torch"): (n("nvidia-cudnn-cu12"), n("triton"), n("sympy")),
    n("nvidia-cudnn-cu12"): (n("nvidia-cublas-cu12"),),
    n("nvidia-cublas-cu12"): (),
    n("triton"): (),
    n("sympy"): (n("mpmath"),),
    n("fastapi"): (n("starlette"),),
    n("starlette"): (n("anyio"),),
    n("anyio"): (n("fastapi"),),  # a cycle: the walk must end
}


def test_explain_gpu_gives_the_chain_that_pulled_each_gpu_package() -> None:
    found = explain_gpu(GRAPH, [n("fastapi"), n("sentence-transformers")])
    assert found == {
        "nvidia-cublas-cu12": [
            ("sentence-transformers", "torch", "nvidia-cudnn-cu12", "nvidia-cublas-cu12")
        ],
        "nvidia-cudnn-cu12": [("sentence-transformers", "torch", "nvidia-cudnn-cu12")],
        "triton": [("sentence-transformers", "torch", "triton")],
    }


def test_explain_gpu_one_shortest_chain_per_root() -> None:
    graph = dict(GRAPH) | {n("app-extras"): (n("torch"),), n("cupy-cuda12x"): ()}
    found = explain_gpu(graph, [n("sentence-transformers"), n("torch"), n("cupy-cuda12x")])
    assert found[n("triton")] == [
        ("torch", "triton"),
        ("sentence-transformers", "torch", "triton"),
    ]
    assert found[n("cupy-cuda12x")] == [("cupy-cuda12x",)]


def test_explain_gpu_reports_unreachable_gpu_packages_with_no_chain() -> None:
    found = explain_gpu(GRAPH, [n("fastapi")])
    assert found == {"nvidia-cublas-cu12": [], "nvidia-cudnn-cu12": [], "triton": []}


def test_explain_gpu_on_the_real_cpu_torch_is_empty() -> None:
    deps = requires_dist(CPU_TORCH_METADATA.read_text(encoding="utf-8"))
    graph = {n("torch"): tuple(n(d.name) for d in deps if d.marker is None)}
    assert graph[n("torch")]
    assert explain_gpu(graph, [n("torch")]) == {}


def test_swap_rule_matches_is_name_and_extras_driven() -> None:
    rule = SwapRule(name="tensorflow", extras="and-cuda", note="test row")
    assert rule.matches("TensorFlow", ["AND_CUDA"])
    assert not rule.matches("tensorflow", [])
    assert not rule.matches("tensorflow-cpu", ["and-cuda"])
    assert rule.kept_extras(["and_cuda", "Keras"]) == ["Keras"]
