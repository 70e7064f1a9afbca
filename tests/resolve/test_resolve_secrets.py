"""A resolver explanation never shows the credentials of a direct reference's URL."""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement

from depslim.errors import NoSolutionError
from depslim.models import InputRequirement, Location
from depslim.resolve.resolver import resolve
from depslim.target import Target

SECRET = "S3CRET-T0KEN"


def test_no_solution_message_without_the_secret(make_index, index_client) -> None:
    index = make_index([("x", "1.0", []), ("needs-new-x", "1.0", ["x>=2"])])
    wheel = index.file_url("x-1.0-py3-none-any.whl").replace("http://", f"http://ci:{SECRET}@")
    roots = [
        InputRequirement(requirement=Requirement(f"x @ {wheel}"), origin=Location(path="r.in")),
        InputRequirement(requirement=Requirement("needs-new-x"), origin=Location(path="r.in")),
    ]
    with pytest.raises(NoSolutionError) as caught:
        resolve(roots, index_client(index.url), Target.parse("linux/amd64", python="3.11"))
    assert "x-1.0-py3-none-any.whl" in str(caught.value)
    assert SECRET not in str(caught.value)
