"""Targets: the marker environment and wheel tags of the target, never of the host."""

from __future__ import annotations

import pytest
from packaging.markers import Marker
from packaging.tags import Tag

from depslim.errors import InputError
from depslim.target import Target


@pytest.mark.parametrize(
    ("spelling", "platform", "machine", "first_tag"),
    [
        ("linux/amd64", "linux/amd64", "x86_64", "manylinux_2_28_x86_64"),
        ("linux/arm64", "linux/arm64", "aarch64", "manylinux_2_28_aarch64"),
        ("linux/arm64/v8", "linux/arm64", "aarch64", "manylinux_2_28_aarch64"),
        ("linux/amd64-musl", "linux/amd64-musl", "x86_64", "musllinux_1_2_x86_64"),
        ("macos/arm64", "macos/arm64", "arm64", "macosx_14_0_arm64"),
        ("macos/amd64", "macos/amd64", "x86_64", "macosx_14_0_x86_64"),
        ("windows/amd64", "windows/amd64", "AMD64", "win_amd64"),
        ("x86_64-manylinux_2_31", "linux/amd64", "x86_64", "manylinux_2_31_x86_64"),
        ("x86_64-manylinux2014", "linux/amd64", "x86_64", "manylinux_2_17_x86_64"),
        ("aarch64-unknown-linux-gnu", "linux/arm64", "aarch64", "manylinux_2_28_aarch64"),
        ("x86_64-unknown-linux-musl", "linux/amd64-musl", "x86_64", "musllinux_1_2_x86_64"),
        ("aarch64-apple-darwin", "macos/arm64", "arm64", "macosx_14_0_arm64"),
        ("x86_64-pc-windows-msvc", "windows/amd64", "AMD64", "win_amd64"),
        ("linux", "linux/amd64", "x86_64", "manylinux_2_28_x86_64"),
    ],
)
def test_spellings(spelling: str, platform: str, machine: str, first_tag: str) -> None:
    target = Target.parse(spelling, python="3.11")
    assert target.platform == platform
    assert target.marker_environment()["platform_machine"] == machine
    assert target.platform_tags()[0] == first_tag


def test_markers_are_the_targets() -> None:
    arm = Target.parse("linux/arm64", python="3.12").marker_environment()
    assert Marker('platform_machine == "aarch64" and python_version >= "3.12"').evaluate(arm)
    win = Target.parse("windows/amd64", python="3.11").marker_environment()
    assert Marker('sys_platform == "win32" and os_name == "nt"').evaluate(win)


def test_tags_rank_native_above_abi3_and_pure() -> None:
    target = Target.parse("linux/amd64", python="3.11")
    native = target.tag_rank(Tag("cp311", "cp311", "manylinux_2_17_x86_64"))
    abi3 = target.tag_rank(Tag("cp38", "abi3", "manylinux_2_17_x86_64"))
    pure = target.tag_rank(Tag("py3", "none", "any"))
    assert native is not None and abi3 is not None and pure is not None
    assert native < abi3 < pure
    assert target.tag_rank(Tag("cp311", "cp311", "manylinux_2_34_x86_64")) is None
    assert target.tag_rank(Tag("cp312", "cp312", "manylinux_2_17_x86_64")) is None
    assert not target.supports(frozenset({Tag("cp311", "cp311", "win_amd64")}))


def test_python_versions() -> None:
    assert Target.parse(None, python="3.12.4").python_full == "3.12.4"
    assert Target.parse(None, python="3.11").python == (3, 11)
    assert Target.parse(None, python="cp312").python == (3, 12)
    with pytest.raises(InputError, match="unsupported Python version"):
        Target.parse(None, python="2.7")


def test_unknown_platform_lists_the_known_ones() -> None:
    with pytest.raises(InputError, match="linux/amd64") as info:
        Target.parse("linux/sparc")
    assert "unknown platform 'linux/sparc'" in str(info.value)


def test_default_python_ignores_the_hosts_patch_level() -> None:
    import sys

    target = Target.parse(None)
    assert target.python == sys.version_info[:2]
    assert target.python_full == f"{sys.version_info[0]}.{sys.version_info[1]}.0"
