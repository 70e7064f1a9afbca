"""Whatever text a requirements file holds, parsing it fails only with an InputError."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from depslim.errors import InputError
from depslim.inputs import parse_requirements_text
from depslim.models import Inputs

ROOT = Path("/virtual/app/requirements.in")

# pieces that reach every branch of the parser: options, URLs, paths, markers, quoting
# fmt: off
FRAGMENTS = [
    "-r", "-c", "-e", "-i", "-f", "--requirement=", "--constraint", "--editable",
    "--index-url", "--extra-index-url", "--find-links", "--no-index", "--pre",
    "--trusted-host", "--only-binary", "--no-binary", "--prefer-binary", "--require-hashes",
    "--hash=sha256:", "--hash", "--xyz", "-", "--", "=",
    "#", " #", "#egg=", "#sha256=", "&subdirectory=", "\\", "\\\n", "\n", "\r\n", "\r",
    "\ufeff", "${A}", "${MISSING}", "$", "{", "}", "'", '"',
    "@", " @ ", "https://", "file://", "file:", "git+https://", "c:\\", "/", "./", "../", "~",
    ".whl", ".tar.gz", ".zip", "pkg-1.0-py3-none-any.whl", "pkg", "Foo_Bar", "proj", "base.in",
    "[", "]", "[extra]", ",", ";", " ; ", "python_version", ">=", "==", "<", "1.0", "'3.8'",
    ":all:", ":none:", " ", "\t", "\x00", "\x0b", "\u2028", "a" * 64,
]
# fmt: on

text_pieces = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=25).map(
    "".join
)


def reader_for(files: dict[str, str]) -> Callable[[Path], str]:
    def read(path: Path) -> str:
        for suffix, text in files.items():
            if str(path).endswith(suffix):
                return text
        raise FileNotFoundError(2, "No such file or directory", str(path))

    return read


def check(inputs: Inputs, text: str) -> None:
    lines = max(1, len(text.splitlines()))
    assert inputs.files[0] == ROOT
    for item in inputs.requirements:
        assert item.origin.line is not None and item.origin.line >= 1
        if item.origin.path == str(ROOT):
            assert item.origin.line <= lines
        assert item.name == item.name.lower()


@settings(max_examples=400, deadline=None)
@given(text=text_pieces, included=text_pieces, project=text_pieces)
def test_arbitrary_text_raises_only_input_error(text: str, included: str, project: str) -> None:
    read = reader_for({"base.in": included, "pyproject.toml": project, "setup.cfg": project})
    try:
        inputs = parse_requirements_text(text, path=ROOT, read=read, environ={"A": "1.0"})
    except InputError as exc:
        assert str(exc)  # every error says something
    else:
        check(inputs, text)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200))
def test_arbitrary_unicode_raises_only_input_error(text: str) -> None:
    try:
        inputs = parse_requirements_text(text, path=ROOT, read=reader_for({}), environ={})
    except InputError as exc:
        assert str(exc).startswith(str(ROOT))
    else:
        check(inputs, text)


names = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,6}([._-][A-Za-z0-9]{1,4})?", fullmatch=True)
versions = st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,2}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(
    entries=st.lists(
        st.tuples(names, st.sampled_from(["==", ">=", "<", "!="]), versions), min_size=1, max_size=8
    ),
    comments=st.lists(st.booleans(), min_size=8, max_size=8),
    crlf=st.booleans(),
)
def test_valid_requirements_round_trip_with_their_lines(
    entries: list[tuple[str, str, str]], comments: list[bool], crlf: bool
) -> None:
    lines: list[str] = []
    expected: list[tuple[str, int]] = []
    for (name, op, version), comment in zip(entries, comments, strict=False):
        if comment:
            lines.append("# a comment line")
        lines.append(f"{name}{op}{version}  # why")
        expected.append((f"{name}{op}{version}", len(lines)))
    text = ("\r\n" if crlf else "\n").join(lines)
    inputs = parse_requirements_text(text, path=ROOT, read=reader_for({}), environ={})
    assert [(str(r.requirement), r.origin.line) for r in inputs.requirements] == expected
