"""Property tests: Poetry constraints and the pyproject writer never crash on odd input."""

from __future__ import annotations

import tomllib

from hypothesis import given
from hypothesis import strategies as st
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from depslim.errors import InputError
from depslim.inputs.managers import poetry_specifier
from depslim.inputs.write_pyproject import write_tiers_to_pyproject

CONSTRAINT_TEXT = st.text(alphabet="0123456789.*^~=<>!, |abrc+-", max_size=24)


@given(CONSTRAINT_TEXT)
def test_poetry_constraint_is_pep440_or_a_clear_value_error(text: str) -> None:
    try:
        specifier = poetry_specifier(text)
    except ValueError as exc:
        assert str(exc)
    else:
        SpecifierSet(specifier)


NAMES = st.from_regex(r"[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,4})?", fullmatch=True)
REQUIREMENTS = st.lists(
    st.tuples(NAMES, st.sampled_from(["", ">=1", "<2,>=1.5", "[extra]", "==1.0.*"])).map("".join),
    max_size=6,
    unique_by=lambda r: Requirement(r).name,
)
EXISTING = st.sampled_from(
    [
        '[project]\nname = "x"\nversion = "1"\n',
        '[project]\nname = "x"\ndependencies = [\n  # c\n  "a>=1",  # d\n]\n',
        (
            '[project]\nname = "x"\ndependencies = ["b"]\n[project.optional-dependencies]\n'
            'ml = []\n[dependency-groups]\ndev = [{include-group = "t"}]\nt = ["pytest"]\n'
        ),
    ]
)


@given(EXISTING, REQUIREMENTS, REQUIREMENTS, REQUIREMENTS)
def test_written_tiers_always_read_back(
    text: str, base: list[str], ml: list[str], dev: list[str]
) -> None:
    try:
        out = write_tiers_to_pyproject(text, base=base, ml=ml, dev=dev)
    except InputError as exc:  # every input here is writable
        raise AssertionError(str(exc)) from exc
    data = tomllib.loads(out)

    def written(values: list[object]) -> list[str]:
        return sorted(str(Requirement(v)) for v in values if isinstance(v, str))

    def asked(values: list[str]) -> list[str]:
        return sorted(str(Requirement(v)) for v in values)

    assert written(data["project"]["dependencies"]) == asked(base)
    extras = data["project"].get("optional-dependencies", {})
    assert written(extras.get("ml", [])) == asked(ml)
    assert written(data.get("dependency-groups", {}).get("dev", [])) == asked(dev)
    assert write_tiers_to_pyproject(out, base=base, ml=ml, dev=dev) == out
