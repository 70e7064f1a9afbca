"""GPU wheels out (issue 3): the torch family from a PyTorch-style CPU index, swaps, routing.

Two real indexes on 127.0.0.1: a PyPI-like one, where Linux torch is the CUDA build
pulling ``nvidia-*`` and ``triton``, and a PyTorch-style one (HTML only, 403 for
unknown projects, ``%2B`` in hrefs, sha256 in the fragment) serving ``+cpu`` builds and
mirroring numpy at a booby-trapped higher version.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import depslim
from support.gpu import CP311_LINUX, PYPI_SPECS, TORCH_SPECS
from support.index_server import IndexServer


@pytest.fixture
def indexes(make_index) -> tuple[IndexServer, IndexServer]:
    pypi = make_index(PYPI_SPECS)
    pytorch = make_index(
        TORCH_SPECS, pytorch_style=True, no_hash={"torch-2.4.0+cpu-" + CP311_LINUX + ".whl"}
    )
    return pypi, pytorch


@pytest.fixture
def lock_gpu(tmp_path: Path, indexes) -> Callable[..., depslim.LockResult]:
    pypi, pytorch = indexes

    def run(text: str, platform: str = "linux/amd64", **options: Any) -> depslim.LockResult:
        source = tmp_path / "requirements.in"
        source.write_text(text)
        return depslim.lock(
            [source],
            target=depslim.Target.parse(platform, python="3.11"),
            index_url=pypi.url,
            torch_index_url=options.pop("torch_index_url", pytorch.url),
            config=False,
            cache_dir=tmp_path / "cache",
            **options,
        )

    return run


def pins(result: depslim.LockResult) -> dict[str, str]:
    return {p.name: str(p.version) for p in result.pins}


def test_linux_torch_is_the_cpu_build_without_cuda_deps(lock_gpu, indexes) -> None:
    pypi, pytorch = indexes
    result = lock_gpu("torch\n")
    assert pins(result) == {"torch": "2.5.1+cpu", "numpy": "1.26.4"}
    torch = result.lock.pin("torch")
    assert torch is not None and torch.index.rstrip("/") == pytorch.url.rstrip("/")
    numpy = result.lock.pin("numpy")
    assert numpy is not None and numpy.index.rstrip("/") == pypi.url.rstrip("/")
    text = result.text()
    assert f"--extra-index-url {pytorch.url}" in text
    assert "torch==2.5.1+cpu \\\n    --hash=sha256:" in text
    assert not result.warnings


def test_mirrored_projects_never_come_from_the_pytorch_index(lock_gpu) -> None:
    """The torchtriton lesson: numpy 99.0 on the PyTorch index is never considered."""
    result = lock_gpu("torch\nnumpy>=2\n".replace("numpy>=2", "numpy"))
    assert pins(result)["numpy"] == "1.26.4"
    with pytest.raises(depslim.NoSolutionError):
        lock_gpu("numpy>=50\n")


def test_plain_pin_matches_the_cpu_local_version(lock_gpu) -> None:
    assert pins(lock_gpu("torch==2.5.1\n"))["torch"] == "2.5.1+cpu"


def test_transitive_torch_is_rerouted_too(lock_gpu) -> None:
    result = lock_gpu("sentence-thing\n")
    assert pins(result) == {"sentence-thing": "1.0", "torch": "2.5.1+cpu", "numpy": "1.26.4"}


def test_explicit_gpu_build_is_kept_with_a_warning(lock_gpu) -> None:
    result = lock_gpu("torch==2.5.1+cu121\n")
    assert pins(result)["torch"] == "2.5.1+cu121"
    assert any("+cu121" in w and "explicit" in w for w in result.warnings)
    assert any("nvidia-cublas-cu12" in w and "torch" in w for w in result.warnings)


def test_pypi_backend_keeps_the_cuda_build(lock_gpu) -> None:
    result = lock_gpu("torch\n", torch_backend="pypi")
    assert pins(result) == {
        "torch": "2.5.1",
        "numpy": "1.26.4",
        "nvidia-cublas-cu12": "12.4.5.8",
        "triton": "3.1.0",
    }
    assert "--torch-backend pypi" in result.text()


def test_macos_is_left_alone(lock_gpu, indexes) -> None:
    pypi, _ = indexes
    result = lock_gpu("torch\n", platform="macos/arm64")
    torch = result.lock.pin("torch")
    assert torch is not None and str(torch.version) == "2.5.1"
    assert torch.index.rstrip("/") == pypi.url.rstrip("/")


def test_arm64_takes_the_unlabelled_cpu_build_before_2_6(lock_gpu, indexes) -> None:
    _, pytorch = indexes
    result = lock_gpu("torch\n", platform="linux/arm64")
    assert pins(result) == {"torch": "2.5.1", "numpy": "1.26.4"}
    torch = result.lock.pin("torch")
    assert torch is not None and torch.index.rstrip("/") == pytorch.url.rstrip("/")
    assert all("aarch64" in f.filename for f in torch.files)


def test_missing_hash_on_the_pytorch_index_is_computed(lock_gpu) -> None:
    result = lock_gpu("torch==2.4.0\n")
    torch = result.lock.pin("torch")
    assert torch is not None and str(torch.version) == "2.4.0+cpu"
    assert len(torch.hashes) == 1 and len(torch.hashes[0]) == 64


def test_gpu_packages_are_swapped_transitively_and_listed(lock_gpu) -> None:
    result = lock_gpu("onnx-app\n")
    assert pins(result) == {"onnx-app": "1.0", "onnxruntime": "1.18.0"}
    text = result.text()
    assert "# swapped: onnxruntime-gpu>=1.17 -> onnxruntime>=1.17" in text
    swaps = result.to_json()["swaps"]
    assert swaps and swaps[0]["from"] == "onnxruntime-gpu>=1.17"


def test_gpu_package_without_cpu_equivalent_is_reported_with_its_chain(lock_gpu) -> None:
    result = lock_gpu("cupy-user\n")
    assert "cupy-cuda12x" in pins(result)
    assert any("cupy-cuda12x" in w and "cupy-user -> cupy-cuda12x" in w for w in result.warnings)


def test_a_family_member_missing_from_its_index_is_not_taken_from_pypi(
    lock_gpu, make_index
) -> None:
    empty = make_index([("unrelated", "1.0", [])], pytorch_style=True)
    with pytest.raises(depslim.NoSolutionError, match="torch"):
        lock_gpu("torch\n", torch_index_url=empty.url)


def test_unreachable_torch_index_says_how_out(lock_gpu) -> None:
    with pytest.raises(depslim.IndexAccessError) as info:
        lock_gpu("torch\n", torch_index_url="http://127.0.0.1:9/simple/", retries=0, timeout=2)
    message = str(info.value)
    assert "127.0.0.1:9" in message and "--torch-backend pypi" in message
    assert info.value.exit_code == 3


def test_a_swapped_version_that_does_not_exist_names_the_swap(lock_gpu) -> None:
    with pytest.raises(depslim.NoSolutionError) as info:
        lock_gpu("onnxruntime-gpu==1.17.3\n")
    message = str(info.value)
    assert message.startswith("No solution found")
    assert "onnxruntime-gpu==1.17.3 -> onnxruntime==1.17.3" in message


def test_written_lock_installs_with_pip_require_hashes(lock_gpu, tmp_path) -> None:
    """The lock carries the extra index line: plain pip installs the CPU build, hash-checked."""
    import os
    import subprocess
    import sys

    out = tmp_path / "requirements.txt"
    lock_gpu("torch\n").write(out)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--ignore-installed",
            "--require-hashes",
            "--no-deps",
            "--report",
            str(tmp_path / "report.json"),
            "--cache-dir",
            str(tmp_path / "pip-cache"),
            "-r",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    import json

    report = json.loads((tmp_path / "report.json").read_text())
    got = {i["metadata"]["name"]: i["metadata"]["version"] for i in report["install"]}
    assert got == {"torch": "2.5.1+cpu", "numpy": "1.26.4"}
