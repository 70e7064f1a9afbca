"""Every parser of user or index input, fed generated hostile input: it returns a value or
raises a DepslimError (exit 1, 2 or 3 with a message); never any other exception.

Example counts are kept small so that the whole folder runs in seconds; hunt deeper
with ``DEPSLIM_FUZZ_EXAMPLES=2000`` in the environment.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from depslim.config import parse_settings
from depslim.errors import InputError
from depslim.index.filenames import parse_filename
from depslim.index.metadata import parse_core_metadata
from depslim.index.pages import (
    parse_html_page,
    parse_json_page,
    parse_project_list_html,
    parse_project_list_json,
)
from depslim.inputs import (
    Reader,
    parse_pyproject,
    parse_requirements_text,
    project_name,
    read_tool_table,
)
from depslim.inputs.checks import check_marker
from depslim.lockfile.requirements_txt import read_requirements_lock
from depslim.scan.imports import scan_bytes, scan_source
from depslim.scan.notebooks import scan_notebook
from depslim.target import Target
from fuzz.oracle import succeeds_or_depslim_error
from fuzz.strategies import (
    core_metadata,
    filenames,
    html_pages,
    json_pages,
    lockfiles,
    markers,
    notebooks,
    pyprojects,
    python_bytes,
    python_sources,
    requirement_lines,
    requirements_files,
)

EXAMPLES = int(os.environ.get("DEPSLIM_FUZZ_EXAMPLES", "40"))
fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

APP = Path("/virtual/app")
TARGETS = (
    Target.parse("linux/amd64", python="3.12"),
    Target.parse("linux/arm64-musl", python="3.13.1"),
    Target.parse("windows/arm64", python="3.11"),
)
PAGE_URL = "http://127.0.0.1:9/simple/x/"
INDEX_URL = "http://127.0.0.1:9/simple/"


def in_memory(files: dict[str, str]) -> Reader:
    """A requirements ``Reader`` over ``files`` (by file name); other paths don't exist."""

    def read(path: Path) -> str:
        if path.name in files:
            return files[path.name]
        raise FileNotFoundError(2, "No such file or directory", str(path))

    return read


# --- requirements and markers --------------------------------------------------------


@fuzz
@example(text="x @ http://[::1/x.whl", included="")
@example(text="foo ; python_full_version === ''", included="")
@example(text="-r base.in", included="-r base.in")
@given(text=requirements_files, included=requirements_files)
def test_requirements_files(text: str, included: str) -> None:
    read = in_memory({"base.in": included, "sub": "", "pyproject.toml": "", "setup.cfg": ""})
    inputs = succeeds_or_depslim_error(
        lambda: parse_requirements_text(
            text,
            path=APP / "requirements.in",
            read=read,
            environ={},
        )
    )
    if inputs is None:
        return
    for item in inputs.requirements:
        for target in TARGETS:  # what the resolver does with each requirement
            succeeds_or_depslim_error(target.marker_applies, item.requirement.marker)


@fuzz
@example(marker="python_full_version === ''")
@example(marker="python_version ~= '3'")
@given(marker=markers())
def test_markers_pass_the_input_check_only_if_every_target_can_evaluate_them(
    marker: str,
) -> None:
    try:
        requirement = Requirement(f"x; {marker}")
    except InvalidRequirement:
        return
    assert requirement.marker is not None
    try:
        check_marker(requirement.marker, where="r.in:1")
    except InputError as exc:
        assert str(exc).startswith("r.in:1: marker ")
        passed = False
    else:
        passed = True
    for target in TARGETS:
        evaluated = succeeds_or_depslim_error(
            target.marker_applies, requirement.marker, extras=("", "x")
        )
        if passed:  # what passed the check at input time can't fail the resolver
            assert isinstance(evaluated, bool)


# --- pyproject and [tool.depslim] ----------------------------------------------------


@fuzz
@given(
    text=pyprojects(),
    reqs=requirements_files,
    extras=st.lists(st.sampled_from(["a", "B", "test", "nope"]), max_size=2),
    groups=st.lists(st.sampled_from(["a", "b", "c-d", "nope"]), max_size=2),
    all_extras=st.booleans(),
)
def test_pyproject(
    text: str, reqs: str, extras: list[str], groups: list[str], all_extras: bool
) -> None:
    path = APP / "pyproject.toml"
    read = in_memory({"reqs.txt": reqs})
    succeeds_or_depslim_error(
        lambda: parse_pyproject(
            text,
            path=path,
            extras=extras,
            groups=groups,
            all_extras=all_extras,
            read=read,
        )
    )
    succeeds_or_depslim_error(lambda: project_name(text, path=path))
    table = succeeds_or_depslim_error(lambda: read_tool_table(text, path))
    if table is not None:
        succeeds_or_depslim_error(lambda: parse_settings(table, source=str(path), text=text))


# --- lockfiles -----------------------------------------------------------------------


@fuzz
@given(text=lockfiles)
def test_requirements_lockfile_reader_never_raises(text: str) -> None:
    lock = read_requirements_lock(text)  # documented: never raises
    for pin in lock.pins:
        assert pin.name == canonicalize_name(pin.name)


# --- index pages and file names ------------------------------------------------------


@fuzz
@example(content=b"<a href='http://[::1/x-1.0.tar.gz'>x</a>", project="x")
@example(content=b"<![", project=None)
@example(content=b'<a href="A://["></a>', project=None)  # root list: urlsplit's ValueError
@given(content=html_pages(), project=st.sampled_from(["x", "numpy", None]))
def test_html_pages(content: bytes, project: str | None) -> None:
    name = None if project is None else canonicalize_name(project)
    succeeds_or_depslim_error(
        lambda: parse_html_page(content, url=PAGE_URL, index=INDEX_URL, project=name)
    )
    succeeds_or_depslim_error(lambda: parse_project_list_html(content, url=INDEX_URL))


@fuzz
@given(content=json_pages(), project=st.sampled_from(["x", "numpy"]))
def test_json_pages(content: bytes, project: str) -> None:
    name = canonicalize_name(project)
    succeeds_or_depslim_error(
        lambda: parse_json_page(content, url=PAGE_URL, index=INDEX_URL, project=name)
    )
    succeeds_or_depslim_error(lambda: parse_project_list_json(content, url=INDEX_URL))


@settings(max_examples=EXAMPLES * 3, deadline=None)
@given(filename=filenames, project=st.sampled_from(["x", "foo-bar", None]))
def test_wheel_and_sdist_filenames(filename: str, project: str | None) -> None:
    parsed = succeeds_or_depslim_error(lambda: parse_filename(filename, project=project))
    if parsed is not None:
        assert parsed[0] == canonicalize_name(parsed[0])


@fuzz
@given(data=core_metadata)
def test_core_metadata(data: bytes) -> None:
    succeeds_or_depslim_error(lambda: parse_core_metadata(data, source="x-1.0-py3-none-any.whl"))


# --- sources and notebooks -----------------------------------------------------------


@fuzz
@example(data=b"(" * 5000)
@example(data=b"# coding: nonexistent\nimport x\n")
@given(data=python_bytes)
def test_python_source_bytes(data: bytes) -> None:
    succeeds_or_depslim_error(lambda: scan_bytes(data, file="app/mod.py", package="app"))


@fuzz
@given(source=python_sources, package=st.sampled_from(["app", "app.sub", None, ""]))
def test_python_source_text(source: str, package: str | None) -> None:
    succeeds_or_depslim_error(lambda: scan_source(source, file="app/mod.py", package=package))


@fuzz
@given(data=notebooks())
def test_notebooks(data: bytes) -> None:
    succeeds_or_depslim_error(lambda: scan_notebook(data, file="nb.ipynb", package=None))


@fuzz
@given(line=requirement_lines())
def test_single_lines_report_their_file_and_line(line: str) -> None:
    path = APP / "requirements.in"
    read = in_memory({})
    try:
        parse_requirements_text(f"# header\n{line}\n", path=path, read=read, environ={})
    except Exception as exc:
        assert isinstance(exc, InputError), repr(exc)
        assert str(exc).startswith(str(APP)), str(exc)
