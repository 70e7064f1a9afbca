"""Hostile requirements files and pyprojects: each ends in an InputError naming file and
line, or parses in time linear in its size; never a traceback, a hang or a recursion error."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from depslim.errors import InputError
from depslim.inputs import parse_pyproject, parse_requirements, read_text
from depslim.inputs.files import read_text_file

needs_dev = pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def requirements_error(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        parse_requirements(path, environ={})
    return str(caught.value)


def pyproject_error(path: Path, **kw: object) -> str:
    with pytest.raises(InputError) as caught:
        parse_pyproject(path.read_text(encoding="utf-8"), path=path, **kw)  # type: ignore[arg-type]
    return str(caught.value)


# --- includes of things that are not files ---------------------------------------------


@needs_dev
@pytest.mark.parametrize(("option", "device"), [("-r", "/dev/zero"), ("-c", "/dev/urandom")])
def test_include_of_a_device_is_refused_naming_the_line(
    tmp_path: Path, option: str, device: str
) -> None:
    path = write(tmp_path / "requirements.in", f"flask\n{option} {device}\n")
    message = requirements_error(path)
    assert message.startswith(f"{path}:2: {option} {device}: can't read {device} ")
    assert "a character device, not a regular file" in message


@needs_dev
def test_top_level_device_is_refused() -> None:
    message = requirements_error(Path("/dev/zero"))
    assert message.startswith("/dev/zero: can't read this requirements file (a character device")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_include_of_a_fifo_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.in")
    path = write(tmp_path / "requirements.in", "-r pipe.in\n")
    assert "a FIFO (named pipe), not a regular file" in requirements_error(path)


def test_include_of_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    path = write(tmp_path / "requirements.in", "-r sub\n")
    assert f"{path}:1: -r sub: can't read {tmp_path / 'sub'} (a folder" in requirements_error(path)


def test_unreadable_include_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "loop.in").symlink_to(tmp_path / "loop.in")
    path = write(tmp_path / "requirements.in", "x\n-r loop.in\n")
    message = requirements_error(path)
    assert message.startswith(f"{path}:2: -r loop.in: can't read")
    assert "Too many levels of symbolic links" in message


def test_utf16_requirements_file_is_still_read_like_pip(tmp_path: Path) -> None:
    path = tmp_path / "requirements.in"
    path.write_bytes("flask\n".encode("utf-16"))
    assert read_text(path) == "flask\n"


# --- include chains -----------------------------------------------------------------


def test_include_chain_far_deeper_than_the_recursion_limit(tmp_path: Path) -> None:
    depth = sys.getrecursionlimit() * 3 // 2
    for i in range(depth):
        write(tmp_path / f"r{i}.in", f"p{i}\n-r r{i + 1}.in\n")
    write(tmp_path / f"r{depth}.in", "last\n")
    inputs = parse_requirements(tmp_path / "r0.in", environ={})
    assert len(inputs.requirements) == depth + 1
    assert str(inputs.requirements[-1].requirement) == "last"
    assert inputs.requirements[-1].origin.path == str(tmp_path / f"r{depth}.in")


def test_cycle_at_the_end_of_a_deep_chain_names_its_loop(tmp_path: Path) -> None:
    depth = 1200
    for i in range(depth):
        write(tmp_path / f"r{i}.in", f"-r r{i + 1}.in\n")
    write(tmp_path / f"r{depth}.in", f"x\n-c r{depth - 1}.in\n")
    message = requirements_error(tmp_path / "r0.in")
    assert message.startswith(f"{tmp_path / f'r{depth}.in'}:2: -c r{depth - 1}.in makes")
    assert f"{tmp_path / f'r{depth - 1}.in'} -> {tmp_path / f'r{depth}.in'} -> " in message


def test_files_including_each_other_many_times_are_read_and_parsed_once(tmp_path: Path) -> None:
    # r0 includes r1 twice, r1 includes r2 twice, ...: 2**40 parses if walked naively
    depth = 40
    for i in range(depth):
        write(tmp_path / f"r{i}.in", f"p{i}\n-r r{i + 1}.in\n-r ./r{i + 1}.in\n")
    write(tmp_path / f"r{depth}.in", "last\n")
    reads: list[Path] = []

    def counting(path: Path) -> str:
        reads.append(path)
        return read_text(path)

    inputs = parse_requirements(tmp_path / "r0.in", read=counting, environ={})
    assert [str(r.requirement) for r in inputs.requirements] == [
        *(f"p{i}" for i in range(depth)),
        "last",
    ]
    assert len(reads) == depth + 1 == len(set(reads))


# --- requirements that packaging accepts but later steps could not use ----------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("x @ http://[::1/x.whl", "invalid URL in 'x @ http://[::1/x.whl' (Invalid IPv6 URL)"),
        ("x @ https://host:99999/x.whl", "invalid URL in 'x @ https://host:99999/x.whl' (Port"),
        ("x @ https:///x-1.0-py3-none-any.whl", "names no host"),
        ("http://[::1/x-1.0-py3-none-any.whl", "invalid requirement"),
        (
            "foo ; python_full_version === ''",
            "marker 'python_full_version === \"\"' can't be evaluated",
        ),
        ("foo; python_version ~= '3'", "marker 'python_version ~= \"3\"' can't be evaluated"),
        ("foo; os_name ~= 'posix'", "can't be evaluated"),
    ],
)
def test_requirement_later_steps_could_not_use_is_an_input_error(
    tmp_path: Path, line: str, expected: str
) -> None:
    path = write(tmp_path / "requirements.in", f"# first\n{line}\n")
    message = requirements_error(path)
    assert message.startswith(f"{path}:2: ")
    assert expected in message


@pytest.mark.parametrize(
    "line",
    [
        "foo; python_full_version == ''",
        "foo; python_version >= '3.11.*'",
        "foo; platform_release >= '5'",
        "foo; python_version === '3.11'",
        "foo; python_version in '3.10 3.11'",
        "foo; extra == 'x'",
    ],
)
def test_odd_but_decidable_markers_are_kept(tmp_path: Path, line: str) -> None:
    path = write(tmp_path / "requirements.in", f"{line}\n")
    inputs = parse_requirements(path, environ={})
    assert [r.requirement.name for r in inputs.requirements] == ["foo"]


# --- pyproject ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["[" * 2000 + "]" * 2000, "{a = " * 2000 + "1" + "}" * 2000],
    ids=["arrays", "inline tables"],
)
def test_deeply_nested_toml_is_an_input_error(tmp_path: Path, value: str) -> None:
    path = write(tmp_path / "pyproject.toml", f"[project]\nname = 'a'\nx = {value}\n")
    message = pyproject_error(path)
    assert message.startswith(f"{path}: invalid TOML: arrays or tables nested too deeply")


def test_utf16_pyproject_is_an_input_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes("[project]\nname = 'a'\n".encode("utf-16"))
    with pytest.raises(InputError, match=r"pyproject\.toml: can.t read this .*: UTF-16"):
        read_text_file(path, what="pyproject.toml")


PROJECT_DYNAMIC = """\
[project]
name = "app"
version = "1"
dynamic = ["dependencies"]
[tool.setuptools.dynamic]
dependencies = {{file = ["{file}"]}}
"""


@needs_dev
def test_dynamic_dependencies_from_a_device_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", PROJECT_DYNAMIC.format(file="/dev/zero"))
    message = pyproject_error(path)
    assert message.startswith(f"{path}: [tool.setuptools.dynamic] takes requirements from ")
    assert "/dev/zero can't be read (a character device, not a regular file)" in message


def test_dynamic_dependencies_from_a_folder_are_refused(tmp_path: Path) -> None:
    (tmp_path / "reqs").mkdir()
    path = write(tmp_path / "pyproject.toml", PROJECT_DYNAMIC.format(file="reqs"))
    assert "(a folder, not a regular file)" in pyproject_error(path)


@pytest.mark.parametrize("tool", ["tool = 1", "tool = {setuptools = 2}", "[tool.setuptools]\n"])
def test_odd_tool_tables_do_not_crash_dynamic_lookup(tmp_path: Path, tool: str) -> None:
    text = f'[project]\nname = "app"\ndependencies = ["a"]\n{tool}\n'
    if tool.startswith("tool"):
        text = f'{tool}\n[project]\nname = "app"\ndependencies = ["a"]\n'
    path = write(tmp_path / "pyproject.toml", text)
    inputs = parse_pyproject(text, path=path)
    assert [r.name for r in inputs.requirements] == ["a"]


def test_bad_url_and_marker_in_pyproject_name_their_lines(tmp_path: Path) -> None:
    text = '[project]\nname = "app"\ndependencies = [\n  "a",\n  "x @ http://[::1/x.whl",\n]\n'
    path = write(tmp_path / "pyproject.toml", text)
    assert pyproject_error(path).startswith(f"{path}:5: invalid URL in 'x @ http://[::1/x.whl'")
    text = text.replace("x @ http://[::1/x.whl", "b; python_full_version === ''")
    path = write(tmp_path / "pyproject.toml", text)
    assert f"{path}:5: marker 'python_full_version === \"\"' can't" in pyproject_error(path)


def test_long_chain_of_dependency_groups(tmp_path: Path) -> None:
    count = sys.getrecursionlimit() * 3 // 2
    lines = ["[dependency-groups]"]
    lines += [f'g{i} = ["p{i}", {{include-group = "g{i + 1}"}}]' for i in range(count)]
    lines.append(f'g{count} = ["last"]')
    path = write(tmp_path / "pyproject.toml", "\n".join(lines) + "\n")
    inputs = parse_pyproject(path.read_text(encoding="utf-8"), path=path, groups=["g0"])
    assert len(inputs.requirements) == count + 1
    assert inputs.requirements[-1].name == "last"


def test_groups_including_each_other_many_times_expand_once(tmp_path: Path) -> None:
    depth = 40
    lines = ["[dependency-groups]"]
    lines += [
        f'g{i} = ["p{i}", {{include-group = "g{i + 1}"}}, {{include-group = "G{i + 1}"}}]'
        for i in range(depth)
    ]
    lines.append(f'g{depth} = ["last"]')
    path = write(tmp_path / "pyproject.toml", "\n".join(lines) + "\n")
    inputs = parse_pyproject(path.read_text(encoding="utf-8"), path=path, groups=["g0"])
    assert [r.name for r in inputs.requirements] == [*(f"p{i}" for i in range(depth)), "last"]


def test_long_chain_of_self_referencing_extras(tmp_path: Path) -> None:
    count = sys.getrecursionlimit() * 3 // 2
    lines = ['[project]\nname = "app"\n[project.optional-dependencies]']
    lines += [f'e{i} = ["p{i}", "app[e{i + 1}]"]' for i in range(count)]
    lines.append(f'e{count} = ["last"]')
    path = write(tmp_path / "pyproject.toml", "\n".join(lines) + "\n")
    inputs = parse_pyproject(path.read_text(encoding="utf-8"), path=path, extras=["e0"])
    names = [r.name for r in inputs.requirements]
    assert names[: count + 1] == [*(f"p{i}" for i in range(count)), "last"]


def test_self_referencing_extras_many_times_over_expand_once(tmp_path: Path) -> None:
    depth = 40
    lines = ['[project]\nname = "app"\n[project.optional-dependencies]']
    lines += [f'e{i} = ["p{i}", "app[e{i + 1}]", "APP[E{i + 1}]"]' for i in range(depth)]
    lines.append(f'e{depth} = ["last"]')
    path = write(tmp_path / "pyproject.toml", "\n".join(lines) + "\n")
    inputs = parse_pyproject(path.read_text(encoding="utf-8"), path=path, extras=["e0"])
    names = [r.name for r in inputs.requirements]
    # 2**40 if expanded naively; once per requirement of e0 that names the project here
    assert names.count("last") == 2
    assert len(names) <= 2 * (depth + 1) + 1


def test_markers_nested_through_many_extras_are_an_input_error(tmp_path: Path) -> None:
    lines = ['[project]\nname = "app"\n[project.optional-dependencies]']
    lines += [f"e{i} = [\"app[e{i + 1}]; os_name == 'posix'\"]" for i in range(300)]
    lines.append('e300 = ["last"]')
    path = write(tmp_path / "pyproject.toml", "\n".join(lines) + "\n")
    message = pyproject_error(path, extras=["e0"])
    assert "the combined marker nests too deeply" in message
    assert message.startswith(f"{path}:")


def test_include_through_a_link_to_its_own_folder_is_a_cycle(tmp_path: Path) -> None:
    (tmp_path / "here").symlink_to(tmp_path)
    path = write(tmp_path / "requirements.in", "x\n-r here/requirements.in\n")
    message = requirements_error(path)
    assert message.startswith(f"{path}:2: -r here/requirements.in makes an include cycle")
