"""``[tool.depslim]``: keys named like the long flags, validated, overridden by flags."""

from __future__ import annotations

from pathlib import Path

import pytest

import depslim
from depslim.cli import main
from depslim.config import parse_settings
from depslim.errors import InputError

TEXT = '[project]\nname = "x"\n\n[tool.depslim]\npython-version = "3.12"\npyhton-platform = "x"\n'


def test_unknown_key_names_file_line_and_suggests() -> None:
    with pytest.raises(InputError) as info:
        parse_settings(
            {"python-version": "3.12", "pyhton-platform": "x"}, source="pyproject.toml", text=TEXT
        )
    message = str(info.value)
    assert message.startswith("pyproject.toml:6:")
    assert "'pyhton-platform'" in message and "Did you mean 'python-platform'" in message


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("retries", "3", "non-negative integer"),
        ("pre", "yes", "true or false"),
        ("torch-backend", "cuda", "'cpu', 'pypi'"),
        ("entries", ["app.main"], "table of strings"),
        ("extra-index-url", 3, "list of strings"),
    ],
)
def test_wrong_types_are_errors(key, value, expected) -> None:
    with pytest.raises(InputError, match=expected):
        parse_settings({key: value}, source="pyproject.toml")


def test_list_keys_take_a_single_string() -> None:
    settings = parse_settings({"extra-index-url": "https://a/simple"}, source="p")
    assert settings.extra_index_url == ("https://a/simple",)


def test_config_sets_target_and_flags_override(tmp_path: Path, make_index) -> None:
    index = make_index([("a", "1.0", [])])
    (tmp_path / "pyproject.toml").write_text(
        "[tool.depslim]\n"
        'python-version = "3.12"\n'
        'python-platform = "linux/arm64"\n'
        f'index-url = "{index.url}"\n'
    )
    (tmp_path / "requirements.in").write_text("a\n")
    result = depslim.lock([tmp_path / "requirements.in"], cache_dir=tmp_path / "c")
    assert result.lock.target.platform == "linux/arm64" and result.lock.target.python == (3, 12)
    out = tmp_path / "requirements.txt"
    code = main(
        [
            "lock",
            str(tmp_path / "requirements.in"),
            "-o",
            str(out),
            "--python-version",
            "3.11",
            "--cache-dir",
            str(tmp_path / "c"),
        ]
    )
    assert code == 0
    header = out.read_text()
    assert (
        "# depslim:target linux/arm64 python=3.11.0" in header
    )  # flag wins, config fills the rest


def test_unknown_key_fails_the_cli_with_exit_2(tmp_path: Path, capsys) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.depslim]\npython-verison = '3.11'\n")
    (tmp_path / "requirements.in").write_text("a\n")
    assert main(["lock", str(tmp_path / "requirements.in")]) == 2
    err = capsys.readouterr().err
    assert "pyproject.toml:2" in err and "python-verison" in err
