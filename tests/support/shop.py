"""The ``shop`` fixture project (API + worker + notebook + tests) and the index its
dependencies come from: shared by the split, check and verb tests."""

from __future__ import annotations

from pathlib import Path

SHOP = Path(__file__).resolve().parents[2] / "fixtures" / "projects" / "shop"
LINUX = "cp311-cp311-manylinux_2_28_x86_64"

#: every declared dependency of the shop, without torch (each test adds the torch it needs)
SHOP_PYPI = [
    ("fastapi", "0.110.0", ["pydantic>=2", "starlette"]),
    ("pydantic", "2.7.0", []),
    ("starlette", "0.37.0", []),
    ("uvicorn", "0.29.0", []),
    ("pyyaml", "6.0.1", [], {"modules": ["yaml", "_yaml"]}),
    ("scikit-learn", "1.4.2", ["numpy"], {"modules": ["sklearn"]}),
    ("numpy", "1.26.4", []),
    ("requests-unused", "1.0", []),
    ("pytest", "8.2.0", ["pluggy"], {"modules": ["pytest", "_pytest"]}),
    ("pluggy", "1.5.0", []),
]
