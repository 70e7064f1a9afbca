"""Requirements files on disk, parsed the way pip reads them (and where depslim is stricter)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

from depslim.errors import InputError
from depslim.inputs import parse_requirements, parse_requirements_text, read_text
from depslim.models import InputRequirement, Inputs

SHA = "a" * 64


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def parse(root: Path, text: str, name: str = "requirements.in", **kw: Any) -> Inputs:
    return parse_requirements(write(root, name, text), environ={}, **kw)


def names(inputs: Inputs) -> list[str]:
    return [str(r.requirement) for r in inputs.requirements]


def error(root: Path, text: str, name: str = "requirements.in", **kw: Any) -> str:
    with pytest.raises(InputError) as caught:
        parse(root, text, name, **kw)
    return str(caught.value)


# --- lines -------------------------------------------------------------------------


def test_comments_blank_lines_specifiers_extras_markers(tmp_path: Path) -> None:
    inputs = parse(
        tmp_path,
        "# a comment\n"
        "\n"
        "   \n"
        "requests[socks,security]>=2.31,<3  # trailing comment\n"
        "\t# indented comment\n"
        'tomli>=1.1 ; python_version < "3.11"\n'
        "Django~=4.2\n",
    )
    assert names(inputs) == [
        "requests[security,socks]<3,>=2.31",
        'tomli>=1.1; python_version < "3.11"',
        "Django~=4.2",
    ]
    assert [r.origin.line for r in inputs.requirements] == [4, 6, 7]
    assert {r.origin.path for r in inputs.requirements} == {str(tmp_path / "requirements.in")}
    assert [r.name for r in inputs.requirements] == ["requests", "tomli", "django"]
    assert not any(r.constraint or r.editable for r in inputs.requirements)
    assert inputs.files == (tmp_path / "requirements.in",)


def test_hash_without_whitespace_is_not_a_comment(tmp_path: Path) -> None:
    inputs = parse(
        tmp_path,
        f"pkg @ https://host/pkg-1.0.tar.gz#sha256={SHA}  # the sdist\n"
        "tool @ git+https://host/tool.git@v1#egg=tool\n",
    )
    first, second = inputs.requirements
    assert first.requirement.url == f"https://host/pkg-1.0.tar.gz#sha256={SHA}"
    assert second.requirement.url == "git+https://host/tool.git@v1#egg=tool"


def test_continuation_lines_keep_the_first_line_number(tmp_path: Path) -> None:
    inputs = parse(
        tmp_path,
        'alpha\nbeta>=1.0 \\\n    ,<2 \\\n    ; python_version >= "3.9"\ngamma\n',
    )
    assert names(inputs) == ["alpha", 'beta<2,>=1.0; python_version >= "3.9"', "gamma"]
    assert [r.origin.line for r in inputs.requirements] == [1, 2, 5]


def test_continuation_is_ended_by_a_comment_line_and_by_end_of_file(tmp_path: Path) -> None:
    inputs = parse(tmp_path, "alpha \\\n# comment\nbeta \\\n")
    assert names(inputs) == ["alpha", "beta"]
    assert [r.origin.line for r in inputs.requirements] == [1, 3]


def test_error_in_continued_line_names_its_first_line(tmp_path: Path) -> None:
    message = error(tmp_path, "ok\nbroken>=1.0 \\\n  ,,2\n")
    assert message.startswith(f"{tmp_path / 'requirements.in'}:2: invalid requirement")
    assert "'broken>=1.0   ,,2'" in message


def test_crlf_and_utf8_bom(tmp_path: Path) -> None:
    path = tmp_path / "requirements.in"
    path.write_bytes(b"\xef\xbb\xbfalpha==1.0\r\nbeta \\\r\n  >=2\r\n\r\n# c\r\ngamma\r\n")
    inputs = parse_requirements(path, environ={})
    assert names(inputs) == ["alpha==1.0", "beta>=2", "gamma"]
    assert [r.origin.line for r in inputs.requirements] == [1, 2, 6]


def test_utf16_file_with_bom_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "requirements.in"
    path.write_bytes("alpha\r\nbeta\r\n".encode("utf-16"))
    assert read_text(path) == "alpha\r\nbeta\r\n"
    assert names(parse_requirements(path, environ={})) == ["alpha", "beta"]


def test_file_that_is_not_utf8_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "requirements.in"
    path.write_bytes(b"caf\xe9\n")
    with pytest.raises(InputError, match=r"requirements\.in: can't read .*not UTF-8"):
        parse_requirements(path, environ={})


def test_missing_top_level_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.in: can't read this requirements file"):
        parse_requirements(tmp_path / "nope.in")


def test_invalid_requirement_names_file_line_text_and_reason(tmp_path: Path) -> None:
    message = error(tmp_path, "fine\n\nrequests>=>2\n")
    assert message.startswith(f"{tmp_path / 'requirements.in'}:3: ")
    assert "'requests>=>2'" in message
    assert "Expected" in message  # packaging's own reason
    assert "PEP 508" in message


# --- direct references, URLs and paths ------------------------------------------------


def test_bare_wheel_url_takes_its_name_from_the_filename(tmp_path: Path) -> None:
    inputs = parse(
        tmp_path,
        f"https://host/files/Some_Pkg-1.0-py3-none-any.whl#sha256={SHA}\n"
        'https://host/other-2.0-py3-none-any.whl ; sys_platform == "linux"\n',
    )
    first, second = inputs.requirements
    assert first.name == "some-pkg"
    assert first.requirement.url == f"https://host/files/Some_Pkg-1.0-py3-none-any.whl#sha256={SHA}"
    assert first.path is None
    assert second.name == "other"
    assert str(second.requirement.marker) == 'sys_platform == "linux"'


def test_bare_url_with_egg_fragment(tmp_path: Path) -> None:
    inputs = parse(
        tmp_path,
        "git+https://github.com/org/tool.git@v1.2#egg=tool\n"
        "https://host/archive/main.zip#egg=thing&subdirectory=src\n",
    )
    assert [r.name for r in inputs.requirements] == ["tool", "thing"]
    assert inputs.requirements[0].requirement.url == (
        "git+https://github.com/org/tool.git@v1.2#egg=tool"
    )


def test_bare_url_without_a_name_asks_for_name_at_url(tmp_path: Path) -> None:
    message = error(tmp_path, "a\nhttps://host/pkg-1.0.tar.gz\n")
    assert f"{tmp_path / 'requirements.in'}:2:" in message
    assert "'https://host/pkg-1.0.tar.gz'" in message
    assert "NAME @ https://host/pkg-1.0.tar.gz" in message


def test_bad_egg_fragment(tmp_path: Path) -> None:
    message = error(tmp_path, "https://host/x.zip#egg=foo>=1\n")
    assert "requirements.in:1:" in message
    assert "#egg=foo>=1" in message


def test_invalid_wheel_filename_in_url(tmp_path: Path) -> None:
    message = error(tmp_path, "https://host/not-a-wheel.whl\n")
    assert "requirements.in:1:" in message
    assert "'not-a-wheel.whl' is not a valid wheel file name" in message


def test_local_wheel_path_is_relative_to_the_requirements_file(tmp_path: Path) -> None:
    wheel = tmp_path / "reqs" / "dist" / "pkg-1.0-py3-none-any.whl"
    wheel.parent.mkdir(parents=True)
    wheel.write_bytes(b"")
    inputs = parse(
        tmp_path,
        "./dist/pkg-1.0-py3-none-any.whl\n"
        "dist/pkg-1.0-py3-none-any.whl[extra] ; python_version >= '3.9'\n",
        name="reqs/requirements.in",
    )
    first, second = inputs.requirements
    assert first.name == "pkg"
    assert first.path == str(wheel)
    assert first.requirement.url == wheel.as_uri()
    assert second.requirement.extras == {"extra"}
    assert str(second.requirement.marker) == 'python_version >= "3.9"'


def test_local_sdist_path_without_name_is_an_error(tmp_path: Path) -> None:
    message = error(tmp_path, "./dist/pkg-1.0.tar.gz\n")
    assert "requirements.in:1:" in message
    assert "'./dist/pkg-1.0.tar.gz'" in message
    assert f"NAME @ {(tmp_path / 'dist' / 'pkg-1.0.tar.gz').as_uri()}" in message


def test_local_project_folder_takes_its_name_from_pyproject(tmp_path: Path) -> None:
    write(tmp_path, "libs/core/pyproject.toml", '[project]\nname = "Core_Lib"\nversion = "1"\n')
    inputs = parse(tmp_path, "./libs/core\n")
    (item,) = inputs.requirements
    assert item.name == "core-lib"
    assert item.path == str(tmp_path / "libs" / "core")
    assert not item.editable


def test_named_requirement_with_relative_path_becomes_a_file_url(tmp_path: Path) -> None:
    inputs = parse(
        tmp_path,
        f"pkg @ ./vendor/pkg-1.0-py3-none-any.whl\nother @ {(tmp_path / 'o').as_uri()}\n",
        name="sub/requirements.in",
    )
    first, second = inputs.requirements
    target = tmp_path / "sub" / "vendor" / "pkg-1.0-py3-none-any.whl"
    assert first.requirement.url == target.as_uri()
    assert first.path == str(target)
    assert second.path == str(tmp_path / "o")


# --- includes -------------------------------------------------------------------------


def test_nested_requirements_relative_to_each_including_file(tmp_path: Path) -> None:
    write(tmp_path, "reqs/base.in", "flask\n-r ../common/shared.in\n")
    write(tmp_path, "common/shared.in", "# shared\nclick>=8\n--requirement=more.in\n")
    write(tmp_path, "common/more.in", "rich\n")
    write(tmp_path, "reqs/dev.in", "pytest\n")
    inputs = parse(
        tmp_path,
        "-r reqs/base.in\n--requirement reqs/dev.in\nhttpx\n",
    )
    assert names(inputs) == ["flask", "click>=8", "rich", "pytest", "httpx"]
    origins = [str(r.origin) for r in inputs.requirements]
    assert origins == [
        f"{tmp_path / 'reqs/base.in'}:1",
        f"{tmp_path / 'common/shared.in'}:2",
        f"{tmp_path / 'common/more.in'}:1",
        f"{tmp_path / 'reqs/dev.in'}:1",
        f"{tmp_path / 'requirements.in'}:3",
    ]
    assert inputs.files == (
        tmp_path / "requirements.in",
        tmp_path / "reqs/base.in",
        tmp_path / "common/shared.in",
        tmp_path / "common/more.in",
        tmp_path / "reqs/dev.in",
    )


def test_short_option_with_attached_value(tmp_path: Path) -> None:
    write(tmp_path, "b.in", "bee\n")
    write(tmp_path, "c.txt", "bee<2\n")
    inputs = parse(tmp_path, "-rb.in\n-cc.txt\n")
    assert [(str(r.requirement), r.constraint) for r in inputs.requirements] == [
        ("bee", False),
        ("bee<2", True),
    ]


def test_constraints_stay_constraints_through_nested_includes(tmp_path: Path) -> None:
    write(tmp_path, "constraints.txt", "urllib3<2\n-r more-constraints.txt\n")
    write(tmp_path, "more-constraints.txt", "idna==3.6\n--constraint=last.txt\n")
    write(tmp_path, "last.txt", "certifi>=2024\n")
    inputs = parse(tmp_path, "requests\n-c constraints.txt\n")
    assert [(r.name, r.constraint) for r in inputs.requirements] == [
        ("requests", False),
        ("urllib3", True),
        ("idna", True),
        ("certifi", True),
    ]


def test_whole_file_as_constraints(tmp_path: Path) -> None:
    inputs = parse(tmp_path, "numpy<2\n", constraint=True)
    assert [r.constraint for r in inputs.requirements] == [True]


def test_constraint_with_extras_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "c.txt", "ok<2\nrequests[socks]<3\n")
    message = error(tmp_path, "-c c.txt\n")
    assert f"{tmp_path / 'c.txt'}:2:" in message
    assert "'requests[socks]<3'" in message
    assert "constraint can't have extras" in message


def test_editable_in_constraints_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "proj/pyproject.toml", '[project]\nname = "proj"\n')
    write(tmp_path, "c.txt", "-e ./proj\n")
    message = error(tmp_path, "-c c.txt\n")
    assert f"{tmp_path / 'c.txt'}:1:" in message
    assert "can't hold an editable" in message


def test_include_cycle_names_the_chain(tmp_path: Path) -> None:
    write(tmp_path, "a.in", "alpha\n-r sub/b.in\n")
    write(tmp_path, "sub/b.in", "beta\n\n-c ../a.in\n")
    message = error(tmp_path, "-r a.in\n")
    assert message.startswith(f"{tmp_path / 'sub/b.in'}:3: -c ../a.in makes an include cycle")
    assert f"{tmp_path / 'a.in'} -> {tmp_path / 'sub/b.in'} -> {tmp_path / 'a.in'}" in message


def test_file_including_itself(tmp_path: Path) -> None:
    message = error(tmp_path, "x\n-r requirements.in\n")
    assert "requirements.in:2: -r requirements.in makes an include cycle" in message


def test_same_file_included_twice_is_not_a_cycle(tmp_path: Path) -> None:
    write(tmp_path, "common.in", "six\n")
    write(tmp_path, "a.in", "-r common.in\n")
    write(tmp_path, "b.in", "-r common.in\n")
    inputs = parse(tmp_path, "-r a.in\n-r b.in\n")
    # parsed once: a second include would only add the same line again
    assert names(inputs) == ["six"]
    assert inputs.files.count(tmp_path / "common.in") == 1


def test_file_included_as_requirements_and_as_constraints_gives_both(tmp_path: Path) -> None:
    write(tmp_path, "common.in", "six<2\n")
    inputs = parse(tmp_path, "-c common.in\n-r common.in\n-c common.in\n")
    assert [(str(r.requirement), r.constraint) for r in inputs.requirements] == [
        ("six<2", True),
        ("six<2", False),
    ]


def test_missing_include_names_the_including_line(tmp_path: Path) -> None:
    message = error(tmp_path, "a\n-r missing.in\n")
    assert message.startswith(f"{tmp_path / 'requirements.in'}:2: -r missing.in: can't read")
    assert "relative to the folder of" in message


def test_include_from_http_is_refused(tmp_path: Path) -> None:
    message = error(tmp_path, "-r https://example.org/reqs.txt\n")
    assert "requirements.in:1:" in message
    assert "from disk only" in message


def test_include_by_file_url(tmp_path: Path) -> None:
    other = write(tmp_path, "other dir/x.in", "xyz\n")
    inputs = parse(tmp_path, f"-r {other.as_uri()}\n")
    assert names(inputs) == ["xyz"]
    assert inputs.requirements[0].origin.path == str(other)


def test_text_parser_reads_includes_through_the_given_reader() -> None:
    files = {
        Path("/app/req/base.in"): "-r ../shared.in\nflask\n",
        Path("/app/shared.in"): "click\n",
    }

    def read(path: Path) -> str:
        try:
            return files[path]
        except KeyError:
            raise FileNotFoundError(2, "No such file or directory", str(path)) from None

    inputs = parse_requirements_text(
        "-r base.in\nrich\n", path=Path("/app/req/requirements.in"), read=read, environ={}
    )
    assert names(inputs) == ["click", "flask", "rich"]
    assert [str(r.origin) for r in inputs.requirements] == [
        "/app/shared.in:1",
        "/app/req/base.in:2",
        "/app/req/requirements.in:2",
    ]
    with pytest.raises(InputError, match=r"/app/req/requirements\.in:1: -r gone\.in: can't read"):
        parse_requirements_text("-r gone.in\n", path=Path("/app/req/requirements.in"), read=read)


# --- options --------------------------------------------------------------------------


def test_every_index_option_is_recorded(tmp_path: Path) -> None:
    (tmp_path / "wheels").mkdir()
    write(tmp_path, "sub/more.in", "--extra-index-url https://extra.example/simple\n-f ../wheels\n")
    inputs = parse(
        tmp_path,
        "--index-url https://pypi.example/simple\n"
        "-i https://pypi.example/simple\n"
        "--extra-index-url=https://extra.example/simple\n"
        "--extra-index-url https://two.example/simple\n"
        "-f ./wheels\n"
        "--find-links https://host/links.html\n"
        "--trusted-host extra.example\n"
        "--trusted-host=two.example --pre\n"
        "--no-index\n"
        "--prefer-binary\n"
        "--require-hashes\n"
        "-r sub/more.in\n"
        "six\n",
    )
    assert inputs.index_url == "https://pypi.example/simple"
    assert inputs.extra_index_urls == ("https://extra.example/simple", "https://two.example/simple")
    assert inputs.find_links == (str(tmp_path / "wheels"), "https://host/links.html")
    assert inputs.trusted_hosts == ("extra.example", "two.example")
    assert inputs.pre and inputs.no_index and inputs.prefer_binary
    assert names(inputs) == ["six"]


def test_defaults_without_options(tmp_path: Path) -> None:
    inputs = parse(tmp_path, "six\n")
    assert inputs.index_url is None
    assert inputs.extra_index_urls == inputs.find_links == inputs.trusted_hosts == ()
    assert not (inputs.pre or inputs.no_index or inputs.prefer_binary)
    assert inputs.only_binary == inputs.no_binary == ()


def test_index_url_as_local_directory_is_resolved(tmp_path: Path) -> None:
    inputs = parse(tmp_path, "--index-url ../simple\n", name="reqs/requirements.in")
    assert inputs.index_url == str(tmp_path / "simple")


def test_two_different_index_urls_are_an_error(tmp_path: Path) -> None:
    write(tmp_path, "other.in", "-i https://b.example/simple\n")
    message = error(tmp_path, "-i https://a.example/simple\n-r other.in\n")
    assert message.startswith(f"{tmp_path / 'other.in'}:1: -i https://b.example/simple conflicts")
    assert f"set at {tmp_path / 'requirements.in'}:1" in message
    assert "--extra-index-url" in message


def test_only_binary_and_no_binary_combine_like_pip(tmp_path: Path) -> None:
    inputs = parse(
        tmp_path,
        "--only-binary :all:\n--no-binary Foo_Bar,baz\n--only-binary=baz\n",
    )
    # as in pip, a project named in one set wins over ":all:" in the other
    assert inputs.only_binary == (":all:", "baz")
    assert inputs.no_binary == ("foo-bar",)
    inputs = parse(tmp_path, "--no-binary numpy\n--only-binary :none:\n--no-binary :all:\n")
    assert inputs.no_binary == (":all:",)
    assert inputs.only_binary == ()
    inputs = parse(tmp_path, "--only-binary scipy\n--only-binary :none:,numpy\n")
    assert inputs.only_binary == ("numpy",)


def test_bad_binary_value(tmp_path: Path) -> None:
    message = error(tmp_path, "--only-binary 'bad name!'\n")
    assert "requirements.in:1:" in message
    assert "'bad name!'" in message


def test_hashes_are_accepted_after_a_requirement(tmp_path: Path) -> None:
    inputs = parse(
        tmp_path,
        f"numpy==1.26.4 --hash=sha256:{SHA} \\\n    --hash sha512:{'b' * 128}\nsix\n",
    )
    assert names(inputs) == ["numpy==1.26.4", "six"]
    assert [r.origin.line for r in inputs.requirements] == [1, 3]


@pytest.mark.parametrize(
    "value", ["md5:" + "a" * 32, "sha256:" + "a" * 10, "sha256:" + "g" * 64, "nocolon"]
)
def test_bad_hash_is_an_error(tmp_path: Path, value: str) -> None:
    message = error(tmp_path, f"six\nnumpy==1 --hash={value}\n")
    assert "requirements.in:2: bad --hash" in message
    assert f"'{value}'" in message


def test_hash_without_a_requirement(tmp_path: Path) -> None:
    message = error(tmp_path, f"--hash=sha256:{SHA}\n")
    assert "requirements.in:1: --hash must follow a requirement" in message


def test_global_option_after_a_requirement_is_an_error(tmp_path: Path) -> None:
    message = error(tmp_path, "six\nnumpy --pre\n")
    assert "requirements.in:2: --pre can't follow a requirement" in message
    assert "'numpy --pre'" in message


def test_unknown_option(tmp_path: Path) -> None:
    message = error(tmp_path, "six\n\n--xyz\n")
    assert message.startswith(f"{tmp_path / 'requirements.in'}:3: unknown option --xyz in '--xyz'")
    assert "--index-url" in message  # says what is understood


def test_unknown_short_option_and_per_requirement_option(tmp_path: Path) -> None:
    assert "requirements.in:1: unknown option -x" in error(tmp_path, "-x foo\n")
    message = error(tmp_path, "pkg --config-settings=a=b\n")
    assert "requirements.in:1: unknown option --config-settings" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-r\n", "-r needs a value"),
        ("--index-url\n", "--index-url needs a value"),
        ("--pre=yes\n", "--pre takes no value"),
        ("--index-url=\n", "--index-url has an empty value"),
        ("-i https://a/simple extra\n", "unexpected 'extra'"),
        ("--find-links 'unclosed\n", "check the quotes"),
    ],
)
def test_malformed_options(tmp_path: Path, text: str, expected: str) -> None:
    message = error(tmp_path, text)
    assert "requirements.in:1:" in message
    assert expected in message


# --- environment variables ------------------------------------------------------------


def test_environment_variables_are_expanded(tmp_path: Path) -> None:
    inputs = parse_requirements(
        write(
            tmp_path,
            "requirements.in",
            "--index-url https://${USER_1}:${TOKEN}@host/simple\n"
            "pkg==${PKG_VERSION}\n"
            "other; platform_release == '${lower}'\n",
        ),
        environ={"USER_1": "me", "TOKEN": "s3cret", "PKG_VERSION": "2.0", "lower": "x"},
    )
    # an index URL keeps its variables: the client expands them for each request, and
    # the lock names them as written (the secret never reaches a file)
    assert inputs.index_url == "https://${USER_1}:${TOKEN}@host/simple"
    assert names(inputs) == ["pkg==2.0", 'other; platform_release == "${lower}"']


def test_only_braced_upper_case_variables_expand(tmp_path: Path) -> None:
    message = error(tmp_path, "pkg==$VERSION\n")
    assert "'pkg==$VERSION'" in message
    inputs = parse_requirements(
        write(tmp_path, "requirements.in", "pkg==${VERSION}\n"), environ={"VERSION": "1"}
    )
    assert names(inputs) == ["pkg==1"]


def test_unset_environment_variable_is_an_error(tmp_path: Path) -> None:
    message = error(tmp_path, "six\n-i https://${MISSING_TOKEN}@host/simple\n")
    assert "requirements.in:2: environment variable ${MISSING_TOKEN} is not set" in message


def test_environment_defaults_to_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPSLIM_TEST_PIN", "3.1")
    inputs = parse_requirements(write(tmp_path, "r.in", "pkg==${DEPSLIM_TEST_PIN}\n"))
    assert names(inputs) == ["pkg==3.1"]
    assert os.environ["DEPSLIM_TEST_PIN"] == "3.1"


# --- editables ------------------------------------------------------------------------


def test_editable_project_folder_named_by_pyproject(tmp_path: Path) -> None:
    write(tmp_path, "proj/pyproject.toml", '[project]\nname = "My.App"\nversion = "0"\n')
    inputs = parse(tmp_path, "-e ./proj\n--editable=proj[dev,test]\n")
    first, second = inputs.requirements
    assert first.editable and second.editable
    assert first.name == second.name == "my-app"
    assert first.path == second.path == str(tmp_path / "proj")
    assert first.requirement.url == (tmp_path / "proj").as_uri()
    assert second.requirement.extras == {"dev", "test"}


def test_editable_named_by_setup_cfg(tmp_path: Path) -> None:
    write(tmp_path, "legacy/setup.py", "from setuptools import setup\nsetup()\n")
    write(tmp_path, "legacy/setup.cfg", "[options]\nname = wrong\n[metadata]\nname = legacy-lib\n")
    (item,) = parse(tmp_path, "-e legacy\n").requirements
    assert item.name == "legacy-lib"
    assert item.editable


def test_editable_with_dynamic_name_falls_back_to_setup_cfg_then_egg(tmp_path: Path) -> None:
    write(tmp_path, "dyn/pyproject.toml", '[project]\ndynamic = ["name"]\n')
    write(tmp_path, "dyn/setup.py", "")
    (item,) = parse(tmp_path, "-e ./dyn#egg=dyn_pkg\n").requirements
    assert item.name == "dyn-pkg"
    assert item.path == str(tmp_path / "dyn")


def test_editable_without_a_name_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "noname/setup.py", "from setuptools import setup\nsetup(name='x')\n")
    message = error(tmp_path, "six\n-e ./noname\n")
    assert "requirements.in:2: can't tell which project '-e ./noname' is" in message
    assert f"nor [metadata] name in setup.cfg in {tmp_path / 'noname'}" in message
    assert "write it as '-e ./noname#egg=NAME'" in message


def test_local_folder_without_a_name_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "lib/pyproject.toml", "[build-system]\nrequires = []\n")
    message = error(tmp_path, "./lib\n")
    assert "requirements.in:1: can't tell which project './lib' is" in message
    assert f"write it as 'NAME @ {(tmp_path / 'lib').as_uri()}'" in message


def test_editable_vcs_url(tmp_path: Path) -> None:
    (item,) = parse(tmp_path, "-e git+https://host/org/lib.git@main#egg=lib\n").requirements
    assert item.editable
    assert item.name == "lib"
    assert item.path is None
    assert item.requirement.url == "git+https://host/org/lib.git@main#egg=lib"


def test_editable_wheel_is_an_error(tmp_path: Path) -> None:
    message = error(tmp_path, "-e ./dist/pkg-1.0-py3-none-any.whl\n")
    assert "requirements.in:1: -e needs a project folder" in message


def test_input_requirement_model_defaults() -> None:
    item = InputRequirement(
        requirement=Requirement("Foo_Bar>=1"),
        origin=parse_requirements_text("x", path=Path("r.in")).requirements[0].origin,
    )
    assert item.name == "foo-bar"
    assert item.path is None and not item.editable and not item.constraint
