"""Verbs that agree: one set of options, one settings merge, one lock model.

A cross-verb matrix (the same settings given as flags, as ``[tool.depslim]`` and via
``--config FILE`` give the same effective settings in every verb), and a regression test
for each disagreement found on real projects: a pip-compile lock with a +cpu extra index
read by ``report`` and ``layers``, ``layers --dockerfile`` asking for compilers, split's
tier files judged by ``check`` with split's options, ``-q``, and the verb's own usage.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

import depslim
from depslim import api
from depslim.cli import main
from depslim.cli.commands import options_of
from depslim.cli.options import parse
from depslim.settings import load_settings
from support.gpu import CP311_LINUX
from support.shop import SHOP, SHOP_PYPI

INDEX_READING_VERBS = ("lock", "split", "layers", "report")
SHARED_FLAGS = (
    "--index-url",
    "--extra-index-url",
    "--find-links",
    "--no-index",
    "--torch-backend",
    "--torch-index-url",
    "--python-version",
    "--python-platform",
    "--allow-build",
    "--offline",
    "--cache-dir",
    "--no-cache",
    "--timeout",
    "--config",
    "--no-config",
    "-q",
    "-v",
    "--json",
)

# (flag words, [tool.depslim] line, key as `depslim config` shows it, expected value)
MATRIX = [
    (["--index-url", "https://mirror.example/simple"], 'index-url = "https://mirror.example/simple"',
     "index-url", "https://mirror.example/simple"),
    (["--timeout", "7.5"], "timeout = 7.5", "timeout", 7.5),
    (["--retries", "1"], "retries = 1", "retries", 1),
    (["--concurrency", "3"], "concurrency = 3", "concurrency", 3),
    (["--torch-backend", "pypi"], 'torch-backend = "pypi"', "torch-backend", "pypi"),
    (["--torch-index-url", "https://t.example/cpu"], 'torch-index-url = "https://t.example/cpu"',
     "torch-index-url", "https://t.example/cpu"),
    (["--python-version", "3.12"], 'python-version = "3.12"', "python-version", "3.12"),
    (["--python-platform", "linux/arm64"], 'python-platform = "linux/arm64"',
     "python-platform", "linux/arm64"),
    (["--allow-build"], "allow-build = true", "allow-build", True),
    (["--offline"], "offline = true", "offline", True),
    (["--find-links", "wheels"], 'find-links = ["wheels"]', "find-links", ["wheels"]),
]  # fmt: skip


def effective(verb: str, words: list[str], anchor: Path) -> dict[str, object]:
    """What ``verb`` would run with: its parsed flags merged exactly as the CLI merges them."""
    args = parse([verb, *words])
    settings = load_settings(options_of(args), anchor=anchor, env={})
    return {row["key"]: row["value"] for row in settings.explain()}


@pytest.mark.parametrize("verb", INDEX_READING_VERBS)
def test_every_index_reading_verb_takes_the_shared_flags(verb, capsys) -> None:
    with pytest.raises(SystemExit):
        main([verb, "--help"])
    text = capsys.readouterr().out
    missing = [flag for flag in SHARED_FLAGS if not any(f"{flag}{end}" in text for end in " ,\n")]
    assert not missing, f"depslim {verb} lacks {missing}"


@pytest.mark.parametrize(("words", "line", "key", "value"), MATRIX, ids=[m[2] for m in MATRIX])
def test_flags_config_and_config_file_agree_in_every_verb(tmp_path, words, line, key, value):
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(f"[tool.depslim]\n{line}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "settings.toml").write_text(f"[tool.depslim]\n{line}\n")
    seen = {}
    for verb in INDEX_READING_VERBS:
        seen[verb, "flag"] = effective(verb, words, elsewhere)[key]
        seen[verb, "config"] = effective(verb, [], project)[key]
        config_file = ["--config", str(elsewhere / "settings.toml")]
        seen[verb, "--config"] = effective(verb, config_file, elsewhere)[key]
    assert all(v == value for v in seen.values()), seen


def test_depslim_config_json_names_each_origin(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.depslim]\ntimeout = 9\nretries = 2\n")
    monkeypatch.setenv("DEPSLIM_RETRIES", "5")
    monkeypatch.chdir(tmp_path)
    assert main(["config", "--json", "--concurrency", "2"]) == 0
    rows = {r["key"]: r for r in json.loads(capsys.readouterr().out)["keys"]}
    assert rows["timeout"]["value"] == 9 and rows["timeout"]["from"].endswith("pyproject.toml:2")
    assert rows["retries"] == {"key": "retries", "value": 5, "from": "env DEPSLIM_RETRIES"}
    assert rows["concurrency"] == {"key": "concurrency", "value": 2, "from": "option"}
    assert rows["index-url"]["value"] == "https://pypi.org/simple"
    assert rows["index-url"]["from"] == "default"


def test_no_config_ignores_the_table(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.depslim]\ntimeout = 9\n")
    monkeypatch.chdir(tmp_path)
    assert main(["config", "--json", "--no-config"]) == 0
    rows = {r["key"]: r for r in json.loads(capsys.readouterr().out)["keys"]}
    assert rows["timeout"]["from"] == "default"


def test_an_unknown_flag_prints_the_verbs_usage(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["layers", "--no-such-flag"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: depslim layers")
    assert "unrecognized arguments: --no-such-flag" in err


def test_nan_timeout_is_bad_input_not_a_crash(capsys) -> None:
    assert main(["config", "--timeout", "nan"]) == 2
    assert "finite" in capsys.readouterr().err


# ---- one lock model: a pip-compile lock with the PyTorch CPU index as an extra index ----


TORCH_CPU = [("torch", "2.3.0+cpu", ["numpy"], {"tag": CP311_LINUX})]
PYPI = [("numpy", "1.26.4", []), ("fastapi", "0.110.0", [])]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def pip_compile_lock(tmp_path: Path, make_index):
    """A lock as pip-compile writes it: index lines, pins, hashes, no depslim header."""
    pypi = make_index(PYPI)
    torch = make_index(TORCH_CPU, pytorch_style=True)
    files = {
        p.name.split("-")[0]: p for p in [*pypi.files_dir.iterdir(), *torch.files_dir.iterdir()]
    }
    text = "\n".join(
        [
            "#",
            "# This file is autogenerated by pip-compile with Python 3.11",
            "#",
            f"--index-url {pypi.url}",
            f"--extra-index-url {torch.url}",
            "",
            f"fastapi==0.110.0 \\\n    --hash=sha256:{sha256(files['fastapi'])}",
            "    # via -r requirements.in",
            f"numpy==1.26.4 \\\n    --hash=sha256:{sha256(files['numpy'])}",
            "    # via torch",
            f"torch==2.3.0+cpu \\\n    --hash=sha256:{sha256(files['torch'])}",
            "    # via -r requirements.in",
            "",
        ]
    )
    path = tmp_path / "requirements.txt"
    path.write_text(text)
    return path, files


def test_report_reads_a_pip_compile_lock_with_a_cpu_extra_index(pip_compile_lock, tmp_path):
    path, files = pip_compile_lock
    report = api.report(path, cache_dir=tmp_path / "cache", config=False, compare=False)
    rows = {r.name: r for r in report.rows}
    assert rows["torch"].download_size == files["torch"].stat().st_size
    assert rows["torch"].installed_size and rows["torch"].installed_size > 0
    assert not report.warnings


def test_layers_weighs_every_pin_of_a_pip_compile_lock(pip_compile_lock, tmp_path) -> None:
    path, _ = pip_compile_lock
    result = api.layers(path, cache_dir=tmp_path / "cache", config=False, offline=False)
    sizes = {item.name: item.bytes for layer in result.plan.layers for item in layer.items}
    assert sizes["torch"] > 0, "torch must not be planned as 0 bytes"
    assert not result.warnings


def test_layers_dockerfile_asks_for_no_compiler_when_every_pin_has_a_wheel(
    pip_compile_lock, tmp_path
):
    path, _ = pip_compile_lock
    result = api.layers(path, cache_dir=tmp_path / "cache", config=False)
    dockerfile = result.dockerfile()
    assert "build-essential" not in dockerfile
    assert "gcc" not in dockerfile


def test_a_pin_no_index_has_is_a_warning_naming_it(pip_compile_lock, tmp_path) -> None:
    path, _ = pip_compile_lock
    text = path.read_text() + "ghost==1.0 \\\n    --hash=sha256:" + "0" * 64 + "\n"
    path.write_text(text)
    report = api.report(path, cache_dir=tmp_path / "cache", config=False, compare=False)
    assert any("ghost" in w for w in report.warnings)
    layers = api.layers(path, cache_dir=tmp_path / "cache", config=False)
    assert any("ghost" in w for w in layers.warnings)


def test_a_build_script_chains_lock_report_layers_in_one_session(tmp_path, make_index):
    pypi = make_index(PYPI)
    torch = make_index(TORCH_CPU, pytorch_style=True)
    source = tmp_path / "requirements.in"
    source.write_text("fastapi\ntorch\n")
    settings = load_settings(
        {
            "index_url": pypi.url,
            "torch_index_url": torch.url,
            "cache_dir": tmp_path / "cache",
            "config": False,
        },
        env={},
    )
    with depslim.Session(settings) as session:
        locked = depslim.lock([source], session=session)
        sizes = depslim.report(locked, compare=False, session=session)
        plan = depslim.layers(locked, session=session)
    assert {r.name for r in sizes.rows} == {"fastapi", "numpy", "torch"}
    assert {n for layer in plan.plan.layers for n in layer.packages} == {
        "fastapi",
        "numpy",
        "torch",
    }


def test_session_and_options_together_is_a_type_error(tmp_path) -> None:
    settings = load_settings({"config": False}, env={})
    with depslim.Session(settings) as session, pytest.raises(TypeError, match="timeout"):
        depslim.report(tmp_path / "x.txt", session=session, timeout=3)


# ---- split's tiers remember how they were made; check judges them the same way ------------


SHOP_CUDA = [
    *SHOP_PYPI,
    # CUDA torch as PyPI serves it
    ("torch", "2.3.0", ["numpy", "nvidia-cublas-cu12"], {"tag": CP311_LINUX}),
    ("nvidia-cublas-cu12", "12.4.5.8", [], {"tag": "py3-none-manylinux2014_x86_64"}),
]


def test_split_with_pypi_backend_records_it_and_check_agrees(tmp_path, make_index, capsys):
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    pypi = make_index(SHOP_CUDA)
    cache = tmp_path / "cache"
    code = main(
        [
            "split", str(root), "--index-url", pypi.url, "--torch-backend", "pypi",
            "--cache-dir", str(cache), "-q", "--python-version", "3.11",
            "--entry", "api=shop.api", "--entry", "worker=shop.worker",
        ]
    )  # fmt: skip
    assert code == 0
    out, _ = capsys.readouterr()
    assert out == "", "-q prints no table"
    ml = (root / "requirements" / "ml.txt").read_text()
    assert "nvidia-cublas-cu12==" in ml
    assert "--torch-backend pypi" in ml and "--entry=api=shop.api" in ml
    result = api.check(root, cache_dir=cache)
    assert not [f for f in result.findings if f.code == "DS002"], result.text()


def test_layers_quiet_prints_nothing(pip_compile_lock, tmp_path, capsys) -> None:
    path, _ = pip_compile_lock
    code = main(["layers", str(path), "-q", "--no-config", "--cache-dir", str(tmp_path / "c")])
    assert code == 0
    assert capsys.readouterr().out == ""


def test_check_reads_an_empty_tier_file_split_wrote(tmp_path) -> None:
    """A project without ML code gets an ml.txt with a header and no pins: not an error."""
    root = tmp_path / "svc"
    (root / "requirements").mkdir(parents=True)
    (root / "requirements" / "ml.txt").write_text(
        "#\n# This file is autogenerated by depslim 0.1.0 for linux/amd64, CPython 3.11.9\n"
        "# by the following command:\n#\n"
        "#    depslim split . --python-version 3.11.9 --python-platform linux/amd64\n#\n"
        "# depslim:target linux/amd64 python=3.11.9\n"
        "# depslim:inputs-hash sha256:" + "0" * 64 + "\n# depslim:inputs pyproject.toml\n"
        "# tier: ml\n#\n\n-r base.txt\n"
    )
    result = api.check(root, no_cache=True, config=False)
    assert result.ok, result.text()
    assert result.checked["tier_locks"] == ["requirements/ml.txt"]


def test_layers_counts_lockfile_commits_made_today(tmp_path) -> None:
    import subprocess

    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "t")
    lock = repo / "requirements.txt"
    for version in ("1.0", "1.1"):
        pins = [
            f"a==1.0 \\\n    --hash=sha256:{'0' * 64}",
            f"b=={version} \\\n    --hash=sha256:{'1' * 64}",
        ]
        lock.write_text("\n".join(pins) + "\n")
        git("add", "requirements.txt")
        git("commit", "-q", "-m", f"b {version}")
    result = api.layers(lock, config=False, offline=True, cache_dir=tmp_path / "cache")
    assert result.sources["history"] == "2 commits"


def test_a_flag_is_never_read_as_an_abbreviation_of_another(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["layers", "x.txt", "--extra", "gpu"])  # layers has no --extra-index-url abbreviation
    assert info.value.code == 2
    assert "unrecognized arguments: --extra gpu" in capsys.readouterr().err


def test_one_index_client_serves_a_whole_command(tmp_path, make_index, monkeypatch) -> None:
    """`lock --report` (lock, sizes, PyPI baseline) opens one client; views share it."""
    from depslim.index.client import IndexClient

    opened: list[object] = []
    original = IndexClient.__init__

    def counting(self: IndexClient, *args: object, **kwargs: object) -> None:
        opened.append(self)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(IndexClient, "__init__", counting)  # a spy: the real client runs
    pypi = make_index([*PYPI, ("torch", "2.3.0", ["numpy"], {"tag": CP311_LINUX})])
    torch = make_index(TORCH_CPU, pytorch_style=True)
    source = tmp_path / "requirements.in"
    source.write_text("fastapi\ntorch\n")
    flags = ["--index-url", pypi.url, "--torch-index-url", torch.url, "--no-config"]
    code = main(["lock", str(source), "-o", str(tmp_path / "out.txt"), "--report", "-q",
                 "--cache-dir", str(tmp_path / "c"), *flags])  # fmt: skip
    assert code == 0
    assert len(opened) == 1
