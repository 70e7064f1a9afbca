"""``depslim split`` end to end: a real project tree, a real index, one resolution, tier files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from depslim import api
from depslim.cli import main
from depslim.lockfile import read_requirements_lock
from depslim.scan import Tier
from support.shop import LINUX, SHOP, SHOP_PYPI

FIXTURE = SHOP
PYPI = SHOP_PYPI
TORCH = [("torch", "2.3.0+cpu", ["numpy"], {"tag": LINUX})]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(FIXTURE, root)
    return root


@pytest.fixture
def indexes(make_index):
    return make_index(PYPI), make_index(TORCH, pytorch_style=True)


def run_split(project: Path, indexes, tmp_path: Path, **options):
    pypi, torch = indexes
    return api.split(
        project,
        index_url=pypi.url,
        torch_index_url=torch.url,
        cache_dir=tmp_path / "cache",
        **options,
    )


def test_tiers_follow_the_entry_points(project, indexes, tmp_path) -> None:
    result = run_split(project, indexes, tmp_path)
    placements = {n: p.tier for n, p in result.classification.placements.items()}
    assert placements["fastapi"] is Tier.BASE
    assert placements["pyyaml"] is Tier.BASE
    assert placements["torch"] is Tier.ML
    assert placements["scikit-learn"] is Tier.ML
    assert placements["pytest"] is Tier.DEV
    assert placements["uvicorn"] is Tier.BASE  # named in the Dockerfile CMD
    assert "requests-unused" in result.classification.unused
    # evidence is the file:line of the import
    fastapi = result.classification.placements["fastapi"]
    assert fastapi.evidence[0].where is not None and "src/shop/api.py" in fastapi.evidence[0].where
    # one resolution: the tiers partition the pins
    tiers = result.tiers
    assert "numpy" in tiers[Tier.ML] and "torch" in tiers[Tier.ML]
    assert "pydantic" in tiers[Tier.BASE] and "starlette" in tiers[Tier.BASE]
    assert "pluggy" in tiers[Tier.DEV]
    all_pins = {p.name for p in result.result.pins}
    assert set().union(*map(set, tiers.values())) <= all_pins


def test_tier_files_install_on_top_of_each_other(project, indexes, tmp_path) -> None:
    result = run_split(project, indexes, tmp_path)
    folder = tmp_path / "out"
    result.write(folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(result.file_names())
    base = read_requirements_lock((folder / "base.txt").read_text())
    ml_text = (folder / "ml.txt").read_text()
    ml = read_requirements_lock(ml_text)
    assert "-r base.txt" in ml_text
    assert "-r ml.txt" in (folder / "dev.txt").read_text()
    assert {p.name for p in base.pins}.isdisjoint({p.name for p in ml.pins})
    versions = {p.name: p.version for p in result.result.pins}
    for pin in base.pins + ml.pins:
        assert pin.version == versions[pin.name] and pin.hashes
    assert "torch" in (folder / "ml.in").read_text()
    assert "-r base.in" in (folder / "ml.in").read_text()


def test_cli_split_json_and_table(project, indexes, tmp_path, capsys) -> None:
    pypi, torch = indexes
    args = [
        "split",
        str(project),
        "-i",
        pypi.url,
        "--cache-dir",
        str(tmp_path / "cache"),
        "-o",
        str(tmp_path / "req"),
    ]
    # torch index via config, as a user would set it
    config = project / "pyproject.toml"
    config.write_text(config.read_text() + f'torch-index-url = "{torch.url}"\n')
    assert main(args) == 0
    table = capsys.readouterr().out
    assert "fastapi" in table and "base" in table and "unused" in table
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tiers"]["ml"] and "torch" in data["tiers"]["ml"]
    assert (tmp_path / "req" / "base.txt").is_file()


def test_no_entries_uses_the_ml_family(project, indexes, tmp_path) -> None:
    config = project / "pyproject.toml"
    config.write_text(
        config.read_text().replace('entries = { api = "shop.api", worker = "shop.worker" }', "")
    )
    result = run_split(project, indexes, tmp_path)
    placements = {n: p.tier for n, p in result.classification.placements.items()}
    assert placements["torch"] is Tier.ML and placements["fastapi"] is Tier.BASE


def test_bad_entry_is_a_clear_error(project, indexes, tmp_path) -> None:
    from depslim.errors import InputError

    with pytest.raises(InputError, match="nope"):
        run_split(project, indexes, tmp_path, entries={"api": "shop.nope"})
