"""``depslim check``: offline findings with stable codes, on a real project, lock and tiers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from depslim import api
from depslim.cli import main
from test_split import FIXTURE, PYPI, TORCH


@pytest.fixture
def project(tmp_path: Path, make_index):
    """The shop project, locked and split against local indexes, as a team would commit it."""
    pypi = make_index(PYPI)
    torch = make_index(TORCH, pytorch_style=True)
    root = tmp_path / "shop"
    shutil.copytree(FIXTURE, root)
    config = root / "pyproject.toml"
    config.write_text(
        config.read_text()
        + f'index-url = "{pypi.url}"\ntorch-index-url = "{torch.url}"\nignore = ["DS004"]\n'
    )
    cache = tmp_path / "cache"
    api.split(root, cache_dir=cache).write(root / "requirements")
    api.lock([config], output=root / "requirements.txt", group=["dev"], cache_dir=cache).write(
        root / "requirements.txt"
    )
    return root, cache, pypi, torch


def codes(root: Path, cache: Path, **options) -> list[tuple[str, str | None, int | None]]:
    result = api.check(root, cache_dir=cache, **options)
    return [(f.code, f.path, f.line) for f in result.findings]


def test_clean_project_passes_without_network(project) -> None:
    root, cache, pypi, torch = project
    before = len(pypi.log) + len(torch.log)
    assert codes(root, cache) == []
    assert len(pypi.log) + len(torch.log) == before  # answered from files and caches only


def test_torch_creeping_into_the_api_is_caught(project) -> None:
    root, cache, *_ = project
    api_module = root / "src" / "shop" / "api.py"
    api_module.write_text("import torch\n" + api_module.read_text())
    found = codes(root, cache, files=["src/shop/api.py"])
    assert ("DS005", "src/shop/api.py", 1) in found


def test_inline_ignore_silences_one_line(project) -> None:
    root, cache, *_ = project
    api_module = root / "src" / "shop" / "api.py"
    api_module.write_text("import torch  # depslim: ignore[DS005]\n" + api_module.read_text())
    assert [c for c in codes(root, cache) if c[0] == "DS005"] == []


def test_missing_import_is_reported_with_its_line(project) -> None:
    root, cache, *_ = project
    worker = root / "src" / "shop" / "worker.py"
    worker.write_text(
        worker.read_text() + "\nimport boto3\nimport redis  # depslim: ignore[DS003]\n"
    )
    found = codes(root, cache)
    assert any(c[0] == "DS003" and c[1] == "src/shop/worker.py" for c in found)
    assert len([c for c in found if c[0] == "DS003"]) == 1


def test_changed_inputs_make_the_lock_stale(project) -> None:
    root, cache, *_ = project
    config = root / "pyproject.toml"
    config.write_text(config.read_text().replace('"uvicorn",', '"uvicorn>=0.20",'))
    assert ("DS001", "requirements.txt", 1) in codes(root, cache)


def test_config_target_change_makes_the_lock_stale(project) -> None:
    root, cache, *_ = project
    config = root / "pyproject.toml"
    config.write_text(config.read_text() + 'python-platform = "linux/arm64"\n')
    result = api.check(root, cache_dir=cache)
    assert any(f.code == "DS001" and "linux/arm64" in f.message for f in result.findings)


def test_gpu_package_in_a_cpu_lock(project) -> None:
    root, cache, *_ = project
    lock = root / "requirements.txt"
    lock.write_text(lock.read_text() + "nvidia-cublas-cu12==12.4.5.8\n    # via torch\n")
    found = api.check(root, cache_dir=cache).findings
    gpu = [f for f in found if f.code == "DS002"]
    assert gpu and gpu[0].subject == "nvidia-cublas-cu12" and "via torch" in gpu[0].message


def test_tier_locks_that_disagree(project) -> None:
    root, cache, *_ = project
    ml = root / "requirements" / "ml.txt"
    ml.write_text(ml.read_text().replace("numpy==1.26.4", "numpy==1.26.3"))
    assert any(c[0] == "DS006" for c in codes(root, cache))


def test_config_ignores_a_code(project) -> None:
    root, cache, *_ = project
    config = root / "pyproject.toml"
    assert codes(root, cache) == []  # DS004 (requests-unused) is ignored by the config
    config.write_text(config.read_text().replace('ignore = ["DS004"]\n', ""))
    assert [c[0] for c in codes(root, cache)] == ["DS004"]


def test_cli_exit_codes_and_json(project, capsys, monkeypatch) -> None:
    root, cache, *_ = project
    assert main(["check", "--project", str(root), "--cache-dir", str(cache)]) == 0
    capsys.readouterr()
    (root / "src" / "shop" / "api.py").write_text("import torch\n")
    assert main(["check", "--project", str(root), "--cache-dir", str(cache), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["findings"][0]["code"] == "DS005" and data["findings"][0]["hint"]
    (root / "pyproject.toml").write_text("[tool.depslim]\nbogus = 1\n")
    assert main(["check", "--project", str(root), "--cache-dir", str(cache)]) == 2
    assert "bogus" in capsys.readouterr().err


def test_tier_locks_alone_give_the_graph(project) -> None:
    """Without requirements.txt, the tier locks' `# via` lines say pydantic comes with fastapi."""
    root, cache, *_ = project
    (root / "requirements.txt").unlink()
    assert codes(root, cache) == []


def test_a_kept_answer_follows_every_change(project) -> None:
    """Warm runs answer from the last result, and any edit or learned module ends it."""
    root, cache, *_ = project
    assert codes(root, cache) == []
    kept = list((cache / "check-v1").glob("*.json"))
    assert len(kept) == 1
    assert codes(root, cache) == []  # answered from the kept result
    assert list((cache / "check-v1").glob("*.json")) == kept
    api_module = root / "src" / "shop" / "api.py"
    api_module.write_text("import torch\n" + api_module.read_text())
    assert ("DS005", "src/shop/api.py", 1) in codes(root, cache)  # the edit is seen
    (root / "tests" / "test_api.py").write_text("import not_declared_anywhere\n")
    found = codes(root, cache)
    assert any(code == "DS003" and path == "tests/test_api.py" for code, path, _ in found)


def test_a_kept_answer_ends_when_unknown_modules_are_learned(project) -> None:
    from depslim.index.cache import Cache

    root, cache, *_ = project
    store = Cache(cache)
    lock = (root / "requirements.txt").read_text()
    digest = lock.split("--hash=sha256:", 1)[1][:64]
    facts_dir = cache / "facts-v1"
    shutil.rmtree(facts_dir, ignore_errors=True)  # nothing known about any wheel
    first = api.check(root, cache_dir=cache)
    answer = json.loads(next((cache / "check-v1").glob("*.json")).read_text())
    assert digest in answer["unknown"]
    store.put_file_facts(digest, {"top_level": ["anything"], "installed_size": 1})
    second = api.check(root, cache_dir=cache)  # recomputed, not the kept answer
    answer = json.loads(next((cache / "check-v1").glob("*.json")).read_text())
    assert digest not in answer["unknown"]
    assert isinstance(first.findings, tuple) and isinstance(second.findings, tuple)
