"""A PyPI-like and a PyPI-Torch-like pair of specs for the GPU tests (see test_gpu_lock)."""

from __future__ import annotations

import random

# 1 MB that does not compress: lets tests see that sizes are read with range requests.
BLOB = random.Random(7).randbytes(1_000_000)

CP311_LINUX = "cp311-cp311-manylinux_2_28_x86_64"
CP311_ARM = "cp311-cp311-manylinux_2_28_aarch64"
CP311_MAC = "cp311-none-macosx_11_0_arm64"

PYPI_SPECS = [
    # CUDA torch, as PyPI serves it for Linux
    (
        "torch",
        "2.5.1",
        [
            "numpy",
            'nvidia-cublas-cu12==12.4.5.8 ; platform_system == "Linux"',
            'triton==3.1.0 ; platform_system == "Linux"',
        ],
        {"tag": CP311_LINUX, "files": {"torch/lib/cuda.bin": BLOB + BLOB[::-1]}},
    ),
    (
        "torch",
        "2.5.1",
        ["numpy", 'nvidia-cublas-cu12==12.4.5.8 ; platform_system == "Linux"'],
        {"tag": CP311_ARM},
    ),
    ("torch", "2.5.1", ["numpy"], {"tag": CP311_MAC}),
    ("nvidia-cublas-cu12", "12.4.5.8", [], {"tag": "py3-none-manylinux2014_x86_64"}),
    ("nvidia-cublas-cu12", "12.4.5.8", [], {"tag": "py3-none-manylinux2014_aarch64"}),
    ("triton", "3.1.0", [], {"tag": CP311_LINUX}),
    ("numpy", "1.26.4", []),
    ("sentence-thing", "1.0", ["torch>=2"]),
    ("onnx-app", "1.0", ["onnxruntime-gpu>=1.17"]),
    ("onnxruntime-gpu", "1.18.0", []),
    ("onnxruntime", "1.18.0", []),
    ("onnxruntime", "1.16.0", []),
    ("cupy-user", "1.0", ["cupy-cuda12x"]),
    ("cupy-cuda12x", "13.0.0", []),
    ("torchvision", "0.20.1", ["torch==2.5.1"], {"tag": CP311_LINUX}),
]

TORCH_SPECS = [
    ("torch", "2.5.1+cpu", ["numpy"], {"tag": CP311_LINUX, "files": {"torch/lib/blob.bin": BLOB}}),
    ("torch", "2.5.1", ["numpy"], {"tag": CP311_ARM}),  # aarch64 before 2.6: no +cpu label
    ("torch", "2.5.1+cu121", ["numpy", "nvidia-cublas-cu12"], {"tag": CP311_LINUX}),
    ("torch", "2.4.0+cpu", ["numpy"], {"tag": CP311_LINUX}),
    ("torchvision", "0.20.1+cpu", ["torch==2.5.1"], {"tag": CP311_LINUX}),
    ("numpy", "99.0", []),  # the mirror's booby trap: must never be taken
]
