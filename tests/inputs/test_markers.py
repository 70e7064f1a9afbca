"""Markers that packaging parses but can't evaluate: an InputError naming the marker and
where it was written, both at input time and when a target evaluates it."""

from __future__ import annotations

import pytest
from packaging.markers import Marker

from depslim.errors import InputError
from depslim.inputs.checks import check_marker
from depslim.target import Target, evaluate_marker

LINUX = Target.parse("linux/amd64", python="3.11")


@pytest.mark.parametrize(
    ("marker", "reason"),
    [
        ("python_full_version === ''", "Undefined <Op('===')> on '3.11.0' and ''"),
        ("python_version ~= '3'", "Undefined <Op('~=')> on '3.11' and '3'"),
        ("os_name ~= 'posix'", "Undefined <Op('~=')>"),
        ("'x' in dependency_groups", "it names 'dependency_groups', which the target's"),
    ],
)
def test_undecidable_marker_is_an_input_error_naming_it(marker: str, reason: str) -> None:
    parsed = Marker(marker)
    with pytest.raises(InputError) as caught:
        LINUX.marker_applies(parsed, where="numpy 2.0 metadata")
    message = str(caught.value)
    assert message.startswith(f"numpy 2.0 metadata: marker '{parsed}' can't be evaluated")
    assert reason in message
    assert caught.value.exit_code == 2
    with pytest.raises(InputError, match=r"^reqs\.in:3: marker "):
        check_marker(parsed, where="reqs.in:3")


@pytest.mark.parametrize(
    ("marker", "extras", "expected"),
    [
        ("python_version >= '3.11'", (), True),
        ("python_full_version == ''", (), False),
        ("python_version === '3.11'", (), True),
        ("sys_platform == 'win32'", (), False),
        ("extra == 'gpu'", (), False),
        ("extra == 'gpu'", ("cpu", "gpu"), True),
        ("platform_release >= '5'", (), False),
    ],
)
def test_decidable_markers_evaluate_on_the_target(
    marker: str, extras: tuple[str, ...], expected: bool
) -> None:
    assert LINUX.marker_applies(Marker(marker), extras) is expected
    check_marker(Marker(marker), where="reqs.in:1")  # no error


def test_no_marker_always_applies() -> None:
    assert LINUX.marker_applies(None) is True


def test_evaluate_marker_in_a_given_environment() -> None:
    environment = {**LINUX.marker_environment(), "extra": ""}
    assert evaluate_marker(Marker("os_name == 'posix'"), environment) is True
    with pytest.raises(InputError, match=r"^marker 'python_version ~= \"3\"' can't be evaluated"):
        evaluate_marker(Marker("python_version ~= '3'"), environment)
