"""Standard-library names per target Python version."""

from __future__ import annotations

import sys

import pytest

from depslim.errors import InputError
from depslim.scan.stdlib import NEWEST, OLDEST, is_stdlib, stdlib_modules

PEP_594_AND_LIB2TO3 = [
    "aifc",
    "audioop",
    "cgi",
    "cgitb",
    "chunk",
    "crypt",
    "imghdr",
    "mailcap",
    "msilib",
    "nis",
    "nntplib",
    "ossaudiodev",
    "pipes",
    "sndhdr",
    "spwd",
    "sunau",
    "telnetlib",
    "uu",
    "xdrlib",
    "lib2to3",
]


def test_tomllib_arrives_in_311() -> None:
    assert not is_stdlib("tomllib", (3, 10))
    assert is_stdlib("tomllib", (3, 11))
    assert is_stdlib("tomllib", (3, 14))


@pytest.mark.parametrize("module", ["asynchat", "asyncore", "distutils", "imp", "smtpd"])
def test_removed_in_312(module: str) -> None:
    assert is_stdlib(module, (3, 11))
    assert not is_stdlib(module, (3, 12))
    assert not is_stdlib(f"{module}.sub", (3, 13))


@pytest.mark.parametrize("module", PEP_594_AND_LIB2TO3)
def test_removed_in_313(module: str) -> None:
    assert is_stdlib(module, (3, 12))
    assert not is_stdlib(module, (3, 13))


def test_older_and_newer_versions() -> None:
    assert is_stdlib("distutils", (3, 8))
    assert is_stdlib("dummy_threading", (3, 8))
    assert not is_stdlib("dummy_threading", (3, 9))
    assert not is_stdlib("zoneinfo", (3, 8))
    assert is_stdlib("zoneinfo", (3, 9))
    assert is_stdlib("graphlib", (3, 9))
    assert is_stdlib("parser", (3, 9))
    assert not is_stdlib("parser", (3, 10))
    assert is_stdlib("binhex", (3, 10))
    assert not is_stdlib("binhex", (3, 11))
    assert not is_stdlib("annotationlib", (3, 13))
    assert is_stdlib("annotationlib", (3, 14))
    assert is_stdlib("compression.zstd", (3, 14))


def test_common_modules_everywhere_and_third_party_nowhere() -> None:
    for minor in range(OLDEST[1], NEWEST[1] + 1):
        modules = stdlib_modules((3, minor))
        assert {"os", "sys", "json", "typing", "asyncio", "importlib", "__future__"} <= modules
        assert not {"requests", "numpy", "yaml", "attr", "google"} & modules


def test_versions_out_of_range() -> None:
    assert stdlib_modules((3, 15)) == stdlib_modules(NEWEST)
    assert stdlib_modules((3, 11, 4)) == stdlib_modules((3, 11))
    with pytest.raises(InputError, match=r"3\.7"):
        stdlib_modules((3, 7))


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="compares with the running 3.11")
def test_311_table_is_the_interpreters_own_list() -> None:
    assert stdlib_modules((3, 11)) == frozenset(sys.stdlib_module_names)
