"""``split --no-lock``: the classification without a resolution, and after a failed one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from depslim import api
from depslim.cli import main
from depslim.scan import Tier
from support.shop import LINUX, SHOP, SHOP_PYPI

PYPI = [*SHOP_PYPI, ("torch", "2.3.0", ["numpy"], {"tag": LINUX})]


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    return root


def test_no_lock_classifies_from_the_newest_wheels(shop, make_index, tmp_path) -> None:
    index = make_index(PYPI)
    result = api.split(
        shop, lock=False, index_url=index.url, torch_backend="pypi", cache_dir=tmp_path / "c"
    )
    placements = {n: p.tier for n, p in result.classification.placements.items()}
    assert placements["fastapi"] is Tier.BASE
    assert placements["scikit-learn"] is Tier.ML  # module sklearn, learned from its wheel
    assert result.result is None
    assert "classified without a lock" in result.table()
    # no resolution: only pages, wheel directories and metadata were read
    assert not any("pinned" in line for line in result.table().splitlines())


def test_no_lock_writes_nothing_and_prints_json(shop, make_index, tmp_path, capsys) -> None:
    index = make_index(PYPI)
    code = main(
        ["split", str(shop), "--no-lock", "--json", "--index-url", index.url,
         "--torch-backend", "pypi", "--cache-dir", str(tmp_path / "c")]
    )  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["locked"] is False and data["pins"] == {}
    assert not (shop / "requirements").exists()


def test_a_failed_resolution_still_prints_the_classification(shop, make_index, tmp_path, capsys):
    # numpy is missing from the index: the lock cannot be made, the classification can
    index = make_index([spec for spec in PYPI if spec[0] != "numpy"])
    code = main(
        ["split", str(shop), "--index-url", index.url, "--torch-backend", "pypi",
         "--cache-dir", str(tmp_path / "c")]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 1
    assert "fastapi" in out and "classified without a lock" in out
    assert "nothing was written" in out
    assert "numpy" in err
    assert not (shop / "requirements").exists()


def test_write_pyproject_puts_the_tiers_back_keeping_comments(shop, make_index, tmp_path, capsys):
    index = make_index(PYPI)
    pyproject = shop / "pyproject.toml"
    pyproject.write_text("# the shop service\n" + pyproject.read_text())
    code = main(
        ["split", str(shop), "--no-lock", "--write-pyproject", "--index-url", index.url,
         "--torch-backend", "pypi", "--cache-dir", str(tmp_path / "c")]
    )  # fmt: skip
    assert code == 0
    assert "wrote the tiers into" in capsys.readouterr().err
    text = pyproject.read_text()
    assert text.startswith("# the shop service\n")
    import tomllib

    data = tomllib.loads(text)
    base = {r.split(">")[0].split("=")[0].split("[")[0] for r in data["project"]["dependencies"]}
    assert "fastapi" in base and "scikit-learn" not in base
    ml = data["project"]["optional-dependencies"]["ml"]
    assert any(r.startswith("scikit-learn") for r in ml)
    assert any(r.startswith("pytest") for r in data["dependency-groups"]["dev"])
    assert "requests-unused" in data["project"]["dependencies"], "an unused dependency is kept"
