"""Filtering candidates by specifiers over the whole list equals testing one by one."""

from __future__ import annotations

import pytest
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from depslim.resolve.candidates import Candidate, matching_specifiers

VERSIONS = [
    "0.9", "1.0", "1.0.post1", "1.1a1", "1.1", "1.2.dev3", "1.2", "1.2+cpu", "1.2.1",
    "1.3rc1", "1!0.5", "2.0", "2.0.0+cu121", "2.1b2", "2.5.1+cpu", "3.0",
]  # fmt: skip
SPECS = [
    "", ">=1.1", "<2", ">=1.0,<2,!=1.2.*", "~=1.2", "==1.2.*", "==2.0", "==2.5.1",
    "!=1.1", ">1.2", "<=1.2", "===1.2+cpu", ">=1!0", "==1.2+cpu", ">=1.1a1,<1.3",
]  # fmt: skip


@pytest.mark.parametrize("first", SPECS)
@pytest.mark.parametrize("second", ["", ">=1.0", "<3,!=2.0"])
def test_same_as_contains_one_by_one(first: str, second: str) -> None:
    name = canonicalize_name("p")
    pool = [Candidate(name=name, version=Version(v), links=()) for v in VERSIONS]
    specs = [SpecifierSet(first), SpecifierSet(second)]
    expected = [c for c in pool if all(s.contains(c.version, prereleases=True) for s in specs)]
    assert matching_specifiers(pool, specs) == expected
