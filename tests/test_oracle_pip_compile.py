"""pip-compile is the oracle: on the same fixture index both must pin the same versions.

Each scenario is served by a real index on 127.0.0.1; ``pip-compile`` runs as a
subprocess against it (with pip's user/site configuration switched off so that it
sees nothing but that index) for this interpreter's platform, and depslim locks for
the same target.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import depslim

HOST = depslim.Target.parse("linux/amd64", python=".".join(str(p) for p in sys.version_info[:3]))

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.uname().machine != "x86_64",
    reason="pip-compile resolves for the host; the scenarios' target is linux/amd64",
)

SCENARIOS: dict[str, tuple[list[tuple], str]] = {
    "newest-wins": ([("a", "1.0", []), ("a", "1.1", []), ("a", "2.0", [])], "a\n"),
    "transitive-range": (
        [("a", "1.0", ["b>=1,<3"]), ("b", "1.0", []), ("b", "2.5", []), ("b", "3.0", [])],
        "a\n",
    ),
    "backtrack-on-conflict": (
        [
            ("a", "2.0", ["c==2.0"]),
            ("a", "1.0", ["c==1.0"]),
            ("b", "1.0", ["c<2"]),
            ("c", "1.0", []),
            ("c", "2.0", []),
        ],
        "a\nb\n",
    ),
    "extras": (
        [
            ("web", "1.0", ['fast ; extra == "speed"', "core"], {"extras": {"speed": ["fast"]}}),
            ("fast", "0.3", []),
            ("core", "1.0", []),
        ],
        "web[speed]\n",
    ),
    "markers-on-deps": (
        [
            (
                "a",
                "1.0",
                [
                    'old ; python_version < "3.8"',
                    'new ; python_version >= "3.8"',
                    'win ; sys_platform == "win32"',
                ],
            ),
            ("old", "1.0", []),
            ("new", "1.0", []),
            ("win", "1.0", []),
        ],
        "a\n",
    ),
    "requires-python": (
        [
            ("a", "1.0", [], {"requires_python": ">=3.7"}),
            ("a", "2.0", [], {"requires_python": ">=3.99"}),
        ],
        "a\n",
    ),
    "prerelease-excluded": (
        [("a", "1.0", []), ("a", "2.0rc1", []), ("b", "1.0", ["a>=1"])],
        "b\n",
    ),
    "local-version": (
        [("t", "2.1.0+cpu", []), ("t", "2.0.0+cpu", []), ("u", "1.0", ["t==2.1.0"])],
        "u\n",
    ),
    "diamond": (
        [
            ("top", "1.0", ["left", "right"]),
            ("left", "1.0", ["base>=1.2"]),
            ("right", "1.0", ["base<2"]),
            ("base", "1.0", []),
            ("base", "1.5", []),
            ("base", "2.0", []),
        ],
        "top\n",
    ),
    "specifier-mix": (
        [("a", "1.0", []), ("a", "1.4", []), ("a", "1.5", []), ("a", "2.0", [])],
        "a~=1.4,!=1.5\n",
    ),
    "platform-wheels": (
        [
            (
                "native",
                "1.0",
                [],
                {"tag": "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"},
            ),
            ("native", "2.0", [], {"tag": "cp311-cp311-win_amd64"}),
        ],
        "native\n",
    ),
    "upper-bound-via-deps": (
        [
            ("a", "1.0", ["b"]),
            ("a", "2.0", ["b>=2"]),
            ("b", "1.0", []),
            ("b", "2.0", ["c<1"]),
            ("c", "0.5", []),
            ("c", "1.0", []),
        ],
        "a\nc>=1\n",
    ),
    "nested-and-self-extras": (
        [
            (
                "pkg",
                "1.0",
                [
                    'fast ; extra == "speed"',
                    'pkg[speed] ; extra == "all"',
                    'tool[cli] ; extra == "all"',
                ],
                {"extras": {"speed": ["fast"], "all": ["pkg[speed]", "tool[cli]"]}},
            ),
            ("fast", "0.3", []),
            ("tool", "2.0", ['click ; extra == "cli"'], {"extras": {"cli": ["click"]}}),
            ("click", "8.0", []),
        ],
        "pkg[all]\n",
    ),
    "post-and-wildcard": (
        [("a", "1.0", []), ("a", "1.0.post1", []), ("a", "1.1", []), ("b", "2.0", ["a==1.0.*"])],
        "b\na>1.0\n".replace("a>1.0", "a>=1.0"),
    ),
    "prerelease-named-by-a-dependency": (
        [("a", "1.0", ["b>=2.0b1"]), ("b", "1.5", []), ("b", "2.0b2", [])],
        "a\n",
    ),
}


def _pins(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)", line)
        if m:
            out[re.sub(r"[-_.]+", "-", m.group(1)).lower()] = m.group(2)
    return out


def _pip_compile(index_url: str, source: Path, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    out = tmp / "pip-compile.txt"
    cmd = [
        sys.executable,
        "-m",
        "piptools",
        "compile",
        "--quiet",
        "--no-header",
        "--no-annotate",
        "--strip-extras",
        "--index-url",
        index_url,
        "--cache-dir",
        str(tmp / "pip-cache"),
        "-o",
        str(out),
        str(source),
    ]
    done = subprocess.run(cmd, check=False, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    return _pins(out.read_text())


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_same_pins_as_pip_compile(scenario: str, make_index, tmp_path: Path) -> None:
    specs, requirements = SCENARIOS[scenario]
    index = make_index(specs)
    source = tmp_path / "requirements.in"
    source.write_text(requirements)
    expected = _pip_compile(index.url, source, tmp_path)
    result = depslim.lock([source], index_url=index.url, target=HOST, config=False, no_cache=True)
    got = {p.name: str(p.version) for p in result.pins}
    assert got == expected
    assert expected  # the scenario pinned something
