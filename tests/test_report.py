"""``depslim report``: exact sizes read from the wheels' zip directories, and the saving."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

import depslim
from depslim import api
from depslim.cli import main
from depslim.layers.installed import installed_estimate
from support.gpu import PYPI_SPECS, TORCH_SPECS


@pytest.fixture
def locked(tmp_path: Path, make_index):
    pypi = make_index(PYPI_SPECS)
    pytorch = make_index(TORCH_SPECS, pytorch_style=True)
    source = tmp_path / "requirements.in"
    source.write_text("torch\n")
    result = depslim.lock(
        [source],
        target=depslim.Target.parse("linux/amd64", python="3.11"),
        index_url=pypi.url,
        torch_index_url=pytorch.url,
        config=False,
        cache_dir=tmp_path / "cache",
    )
    out = tmp_path / "requirements.txt"
    result.write(out)
    return result, out, pypi, pytorch


def installed(path: Path) -> int:
    """What pip writes installing the wheel: its files and the byte-code it compiles."""
    with zipfile.ZipFile(path) as wheel:
        members = [(i.filename, i.file_size) for i in wheel.infolist() if not i.is_dir()]
    return installed_estimate(members).file_bytes


def test_sizes_are_exact_and_read_with_ranges(locked, tmp_path) -> None:
    _result, out, _pypi, pytorch = locked
    before = len(pytorch.log)
    report = api.report(out, cache_dir=tmp_path / "cache", config=False, compare=False)
    rows = {r.name: r for r in report.rows}
    wheel = next(p for p in pytorch.files_dir.iterdir() if p.name.startswith("torch-2.5.1+cpu"))
    assert rows["torch"].download_size == wheel.stat().st_size
    assert rows["torch"].installed_size == installed(wheel)
    assert rows["torch"].method == "zip-directory"
    sent = sum(
        r.length
        for r in pytorch.log[before:]
        if wheel.name.replace("+", "%2B") in r.path or wheel.name in r.path
    )
    assert 0 < sent < wheel.stat().st_size / 4  # the 1 MB blob was never downloaded
    assert report.download_size == sum(r.download_size or 0 for r in report.rows)


def test_rerouted_lock_is_compared_with_pypi(locked, tmp_path) -> None:
    _result, out, pypi, _ = locked
    before = len(pypi.log)
    report = api.report(out, cache_dir=tmp_path / "cache", config=False)
    whole = [r for r in pypi.log[before:] if r.path.endswith(".whl") and not r.range]
    assert whole == []  # sizes come from range reads: PyPI's CUDA wheels are never fetched whole
    assert report.baseline is not None
    base = {r.name: str(r.version) for r in report.baseline.rows}
    assert base["torch"] == "2.5.1" and "nvidia-cublas-cu12" in base and "triton" in base
    assert report.baseline.installed_size > report.installed_size


def test_cli_report_prints_table_and_json(locked, tmp_path, capsys) -> None:
    _result, out, _pypi, _ = locked
    assert main(["report", str(out), "--cache-dir", str(tmp_path / "cache"), "--no-config"]) == 0
    text = capsys.readouterr().out
    assert "| torch | 2.5.1+cpu |" in text
    assert "Saving:" in text and "nvidia-cublas-cu12" in text
    assert (
        main(["report", str(out), "--json", "--cache-dir", str(tmp_path / "cache"), "--no-config"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert (
        data["saving"]["installed_size"]
        == data["baseline"]["installed_size"] - data["installed_size"]
    )
    assert {p["name"] for p in data["packages"]} == {"torch", "numpy"}


def test_second_report_is_answered_from_the_cache(locked, tmp_path) -> None:
    _result, out, _pypi, pytorch = locked
    api.report(out, cache_dir=tmp_path / "cache", config=False, compare=False)
    before = len(pytorch.log)
    api.report(out, cache_dir=tmp_path / "cache", config=False, compare=False)
    new = [r for r in pytorch.log[before:] if r.path.endswith(".whl")]
    assert new == []


def test_missing_lockfile_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(depslim.InputError, match="no such lockfile"):
        api.report(tmp_path / "nope.txt", config=False)
