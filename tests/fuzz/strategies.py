"""Hypothesis strategies for every kind of input depslim reads.

Each strategy mixes well-formed pieces (so that examples reach deep into the parsers)
with the hostile ones that crashed depslim before: malformed URLs, undecidable markers,
deep nesting, odd encodings, wrong shapes. URLs only ever name loopback hosts, so that
feeding an example to the real CLI can't reach the internet.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import strategies as st

__all__ = [
    "core_metadata",
    "depslim_tables",
    "filenames",
    "html_pages",
    "json_pages",
    "lockfiles",
    "markers",
    "notebooks",
    "pyprojects",
    "python_sources",
    "requirement_lines",
    "requirements_files",
    "toml_value",
]

# --- small pieces --------------------------------------------------------------------

names = st.one_of(
    st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,5}([._-][A-Za-z0-9]{1,3})?", fullmatch=True),
    st.sampled_from(["numpy", "torch", "Foo_Bar", "a", "app", "x", "-bad", "", "ñame"]),
)
versions = st.one_of(
    st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,3}", fullmatch=True),
    st.sampled_from(["1.0", "2.0.0rc1", "1!2.0", "1.0+cpu", "1.0.post1.dev2", "1.*", "x", ""]),
)
operators = st.sampled_from(["==", ">=", "<=", "<", ">", "!=", "~=", "===", "=", "=>", ""])
specifiers = st.lists(st.tuples(operators, versions).map("".join), max_size=3).map(",".join)
extras = st.lists(names, max_size=2).map(lambda xs: f"[{','.join(xs)}]" if xs else "")

MARKER_VARIABLES = [
    "python_version",
    "python_full_version",
    "os_name",
    "sys_platform",
    "platform_machine",
    "platform_release",
    "platform_system",
    "platform_version",
    "platform_python_implementation",
    "implementation_name",
    "implementation_version",
    "extra",
    "dependency_groups",
    "os.name",
    "unknown_name",
]
marker_values = st.one_of(
    versions,
    st.sampled_from(["", "posix", "nt", "linux", "win32", "x86_64", "3", "3.11.*", "a b"]),
    st.text(alphabet="abc.*~ 019", max_size=6),
)
marker_ops = st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "~=", "===", "in", "not in", "="])


def _comparison(draw: Callable[..., Any]) -> str:
    variable = draw(st.sampled_from(MARKER_VARIABLES))
    value = repr(draw(marker_values))
    op = draw(marker_ops)
    return f"{value} {op} {variable}" if draw(st.booleans()) else f"{variable} {op} {value}"


@st.composite
def markers(draw: Callable[..., Any]) -> str:
    """PEP 508 markers: decidable, undecidable (``python_full_version === ''``) and broken."""
    parts = [_comparison(draw) for _ in range(draw(st.integers(1, 3)))]
    joined = parts[0]
    for part in parts[1:]:
        joined = f"{joined} {draw(st.sampled_from(['and', 'or', 'and not', '']))} {part}"
    depth = draw(st.sampled_from([0, 0, 1, 3, 250]))
    return "(" * depth + joined + ")" * depth


LOOPBACK_HOSTS = ["127.0.0.1:9", "[::1]:9", "localhost:9", "[::1", "127.0.0.1:99999", "", "@"]
url_paths = st.sampled_from(
    [
        "/x-1.0-py3-none-any.whl",
        "/x-1.0.tar.gz",
        "/simple/x/",
        "/a%20b/x-1.0-py3-none-any.whl",
        "/x.whl",
        "/",
        "",
        "/x-1.0-py3-none-any.whl#sha256=" + "a" * 64,
        "/x-1.0.zip#egg=x",
        "/x-1.0.zip#egg=x[y]",
    ]
)


@st.composite
def urls(draw: Callable[..., Any]) -> str:
    """URLs of loopback hosts only, well-formed or not, and local paths."""
    scheme = draw(st.sampled_from(["http://", "https://", "file://", "file:", "git+https://", ""]))
    if scheme.startswith("file") or scheme == "":
        return scheme + draw(st.sampled_from(["/nonexistent/x-1.0-py3-none-any.whl", "./x", "."]))
    return scheme + draw(st.sampled_from(LOOPBACK_HOSTS)) + draw(url_paths)


@st.composite
def requirement_lines(draw: Callable[..., Any]) -> str:
    """One line of a requirements file: a requirement, a direct reference or an option."""
    kind = draw(st.sampled_from(["pep508", "pep508", "url", "bare", "option", "junk"]))
    if kind == "pep508":
        line = draw(names) + draw(extras) + draw(specifiers)
        if draw(st.booleans()):
            line += " ; " + draw(markers())
        if draw(st.booleans()):
            line += " --hash=sha256:" + "0" * draw(st.sampled_from([64, 63]))
    elif kind == "url":
        line = f"{draw(names)}{draw(extras)} @ {draw(urls())}"
        if draw(st.booleans()):
            line += " ; " + draw(markers())
    elif kind == "bare":
        line = draw(urls())
    elif kind == "option":
        option = draw(
            st.sampled_from(
                [
                    "-r",
                    "-c",
                    "-e",
                    "-i",
                    "--extra-index-url",
                    "-f",
                    "--no-index",
                    "--pre",
                    "--only-binary",
                    "--no-binary",
                    "--hash",
                    "--unknown",
                ]
            )
        )
        value = draw(
            st.sampled_from(
                ["base.in", "missing.in", "/dev/zero", "sub", ":all:", ":none:", "a,b", "", "'"]
            )
            | urls()
        )
        line = f"{option} {value}"
    else:
        line = draw(st.text(max_size=20))
    return line + draw(st.sampled_from(["", "", "  # comment", " \\"]))


requirements_files = st.lists(requirement_lines(), max_size=8).map("\n".join)

# --- TOML ----------------------------------------------------------------------------


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def toml_value(value: object) -> str:
    """``value`` (str, bool, int, float, list, dict) written as an inline TOML value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        text = repr(value)
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(text, text)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return (
            "{" + ", ".join(f"{_toml_string(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
        )
    raise TypeError(type(value))


scalars = st.one_of(
    st.text(max_size=8),
    st.booleans(),
    st.integers(-3, 10**6),
    st.sampled_from([float("nan"), float("inf"), 0.5, -1.0]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
requirement_strings = st.one_of(requirement_lines(), st.text(max_size=10))
requirement_arrays = st.one_of(st.lists(requirement_strings, max_size=4), values)


def _table(header: str, items: Mapping[str, object]) -> str:
    lines = [f"[{header}]"]
    lines += [f"{_toml_string(k)} = {toml_value(v)}" for k, v in items.items()]
    return "\n".join(lines)


DEPSLIM_KEYS = [
    "python-version",
    "python-platform",
    "index-url",
    "extra-index-url",
    "find-links",
    "no-index",
    "only-binary",
    "extra",
    "group",
    "all-extras",
    "pre",
    "timeout",
    "retries",
    "concurrency",
    "torch-backend",
    "entries",
    "exclude",
    "order",
    "max-layers",
    "max-layer-size",
    "ignore",
    "unknown-key",
]
depslim_values = st.one_of(
    values,
    st.sampled_from(["3.11", "linux/amd64", "cpu", "alphabetical", "1 GB", "http://[::1/"]),
)
depslim_tables = st.dictionaries(st.sampled_from(DEPSLIM_KEYS), depslim_values, max_size=5)


@st.composite
def pyprojects(draw: Callable[..., Any]) -> str:
    """A pyproject.toml: [project], extras, groups, setuptools dynamic files, [tool.depslim]."""
    name = draw(st.sampled_from(["app", "App", "other"]))
    project: dict[str, object] = {"name": name, "dependencies": draw(requirement_arrays)}
    if draw(st.booleans()):
        project["dynamic"] = draw(
            st.sampled_from([["dependencies"], ["optional-dependencies"], "x", [1]])
        )
    extra_names = st.sampled_from(["a", "b", "A", "test", "c-d"])
    optional = draw(
        st.dictionaries(
            extra_names,
            st.lists(
                st.one_of(
                    requirement_strings,
                    st.builds(
                        lambda e, m: f"app[{e}]" + (f"; {m}" if m else ""),
                        extra_names,
                        st.none() | markers(),
                    ),
                ),
                max_size=3,
            ),
            max_size=3,
        )
    )
    groups = draw(
        st.dictionaries(
            extra_names,
            st.lists(
                st.one_of(
                    requirement_strings,
                    st.builds(lambda g: {"include-group": g}, extra_names),
                    values,
                ),
                max_size=3,
            ),
            max_size=3,
        )
    )
    parts = [_table("project", project)]
    if optional or draw(st.booleans()):
        parts.append(_table("project.optional-dependencies", optional))
    if groups:
        parts.append(_table("dependency-groups", groups))
    if draw(st.booleans()):
        files = draw(
            st.lists(st.sampled_from(["reqs.txt", "/dev/zero", "missing.txt", "."]), max_size=2)
        )
        parts.append(_table("tool.setuptools.dynamic", {"dependencies": {"file": files}}))
    if draw(st.booleans()):
        parts.append(_table("tool.depslim", draw(depslim_tables)))
    text = "\n".join(parts) + "\n"
    mutation = draw(st.sampled_from(["none", "none", "none", "junk", "deep", "bom", "cut"]))
    if mutation == "junk":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=6)) + text[at:]
    elif mutation == "deep":
        depth = draw(st.sampled_from([50, 400, 3000]))
        text += f"deep = {'[' * depth}{']' * depth}\n"
    elif mutation == "bom":
        text = "\ufeff" + text
    elif mutation == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    return text


# --- lockfiles -----------------------------------------------------------------------

lock_lines = st.one_of(
    st.builds(lambda n, v: f"{n}=={v} \\", names, versions),
    st.builds(lambda h: f"    --hash=sha256:{h}", st.sampled_from(["a" * 64, "b" * 63, ""])),
    st.builds(lambda n, u: f"{n} @ {u}", names, urls()),
    st.sampled_from(
        [
            "# depslim:target linux/amd64 python=3.11",
            "# depslim:target",
            "# depslim:inputs-hash",
            "# depslim:inputs-hash abc",
            "# depslim:inputs 'unclosed",
            "# depslim:torch-index http://[::1",
            "#    depslim lock requirements.in",
            "    # via",
            "    #   flask",
            "    # via -r requirements.in",
            "--index-url http://127.0.0.1:9/simple",
            "--extra-index-url",
            "-f ./wheels",
            "--no-index",
            "# layer 1",
            "\\",
            "",
        ]
    ),
    st.text(max_size=12),
)
lockfiles = st.lists(lock_lines, max_size=12).map("\n".join)

# --- index pages ---------------------------------------------------------------------

filenames = st.one_of(
    st.builds(
        lambda n, v, b, py, abi, plat: f"{n}-{v}{b}-{py}-{abi}-{plat}.whl",
        names,
        versions,
        st.sampled_from(["", "-1", "-1a", "-x"]),
        st.sampled_from(["py3", "cp311", "py2.py3", "", "cp311.cp312"]),
        st.sampled_from(["none", "abi3", "cp311", ""]),
        st.sampled_from(["any", "manylinux_2_28_x86_64", "win_amd64", "macosx_14_0_arm64", ""]),
    ),
    st.builds(
        lambda n, v, ext: f"{n}-{v}{ext}",
        names,
        versions,
        st.sampled_from([".tar.gz", ".zip", ".tar.bz2", ".whl", ".egg", ""]),
    ),
    st.builds("".join, st.lists(st.sampled_from(["%2B", "%", "-", ".", "_", "a", "1", "%2"]))),
    st.text(max_size=30),
)
hrefs = st.one_of(
    filenames,
    st.builds(lambda u, f: f"{u}/{f}", urls(), filenames),
    st.builds(lambda f, h: f"{f}#sha256={h}", filenames, st.sampled_from(["a" * 64, "zz", ""])),
    st.sampled_from(
        ["", "#", "javascript:alert(1)", "//127.0.0.1:9/x-1.0.tar.gz", "http://[::1/a"]
    ),
)
attribute_values = st.one_of(
    st.none(),
    st.sampled_from([">=3.8", "&gt;=3.8", "true", "sha256=" + "a" * 64, "sha256=zz", "1"]),
    st.text(max_size=8),
)


@st.composite
def html_pages(draw: Callable[..., Any]) -> bytes:
    """PEP 503 pages: anchors with every attribute depslim reads, and broken markup."""
    parts = ["<!DOCTYPE html><html><head>"]
    if draw(st.booleans()):
        version = draw(st.sampled_from(["1.0", "1.1", "2.0", "x", ""]))
        parts.append(f'<meta name="pypi:repository-version" content="{version}">')
    if draw(st.booleans()):
        parts.append(f'<base href="{draw(hrefs)}">')
    parts.append("</head><body>")
    for _ in range(draw(st.integers(0, 5))):
        attributes = ""
        for attribute in draw(
            st.lists(
                st.sampled_from(
                    [
                        "data-requires-python",
                        "data-yanked",
                        "data-dist-info-metadata",
                        "data-core-metadata",
                        "data-gpg-sig",
                    ]
                ),
                max_size=3,
            )
        ):
            value = draw(attribute_values)
            attributes += f" {attribute}" if value is None else f' {attribute}="{value}"'
        parts.append(f'<a href="{draw(hrefs)}"{attributes}>{draw(filenames)}</a><br>')
    parts.append(draw(st.sampled_from(["", "</body></html>", "<![", "<a", "<!--", "&#xffffff;"])))
    text = "".join(parts)
    encoded = text.encode("utf-8", "surrogatepass")
    return encoded + draw(st.sampled_from([b"", b"", b"\xff\xfe", b"\xe9"]))


@st.composite
def json_pages(draw: Callable[..., Any]) -> bytes:
    """PEP 691 pages: the expected shape with wrong types, odd values, or not JSON."""
    file_entry = st.fixed_dictionaries(
        {},
        optional={
            "filename": st.one_of(filenames, values),
            "url": st.one_of(hrefs, values),
            "hashes": st.one_of(
                st.dictionaries(
                    st.sampled_from(["sha256", "md5", "x"]),
                    st.sampled_from(["a" * 64, "zz", ""]) | values,
                    max_size=2,
                ),
                values,
            ),
            "requires-python": st.one_of(st.sampled_from([">=3.8", "x", ""]), values),
            "yanked": st.one_of(st.booleans(), st.text(max_size=5), values),
            "core-metadata": st.one_of(
                st.booleans(),
                st.dictionaries(st.sampled_from(["sha256"]), st.sampled_from(["a" * 64, "zz"])),
                values,
            ),
            "dist-info-metadata": st.one_of(st.booleans(), values),
            "size": st.one_of(st.integers(-1, 10**12), values),
            "upload-time": st.one_of(st.sampled_from(["2024-01-01T00:00:00Z", "x"]), values),
        },
    )
    document = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "meta": st.one_of(
                    st.fixed_dictionaries(
                        {"api-version": st.sampled_from(["1.0", "1.1", "2.0", "x", ""]) | values}
                    ),
                    values,
                ),
                "name": st.one_of(names, values),
                "files": st.one_of(st.lists(file_entry, max_size=4), values),
                "versions": st.one_of(st.lists(versions, max_size=3), values),
                "projects": st.one_of(
                    st.lists(st.fixed_dictionaries({"name": st.one_of(names, values)}), max_size=3),
                    values,
                ),
            },
        )
    )
    text = json.dumps(document, allow_nan=True)
    mutation = draw(st.sampled_from(["none", "none", "cut", "deep", "bytes", "list"]))
    if mutation == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif mutation == "deep":
        depth = draw(st.sampled_from([100, 5000]))
        text = '{"meta": {"api-version": "1.0"}, "files": ' + "[" * depth + "]" * depth + "}"
    elif mutation == "list":
        text = "[" + text + "]"
    data = text.encode()
    if mutation == "bytes":
        data = draw(st.binary(max_size=30))
    return data


# --- Python sources and notebooks ----------------------------------------------------

SOURCE_PIECES = [
    "import os\n",
    "import numpy as np\n",
    "from . import x\n",
    "from ..a.b import c\n",
    "from .... import y\n",
    "import a.b.c\n",
    "from x import *\n",
    "__import__('z')\n",
    "importlib.import_module('q')\n",
    "importlib.import_module(name)\n",
    "try:\n    import yaml\nexcept ImportError:\n    yaml = None\n",
    "if TYPE_CHECKING:\n    import mypy\n",
    "if sys.version_info >= (3, 11):\n    import tomllib\n",
    "if __name__ == '__main__':\n    import cli\n",
    "def f():\n    import inner\n",
    "with suppress(ImportError):\n    import opt\n",
    "import torch  # depslim: ignore\n",
    "# -*- coding: latin-1 -*-\n",
    "# coding: nonexistent\n",
    "\ufeff",
    "\x00",
    "\\\n",
    "(" * 200,
    ")" * 200,
    "[" * 1000,
    "x = '''\n",
    "\t",
    "  import indented\n",
    "async def g():\n",
    "    await x\n",
    "match x:\n    case 1:\n        import m\n",
    "lambda: (yield)\n",
]
python_sources = st.one_of(
    st.lists(st.sampled_from(SOURCE_PIECES) | st.text(max_size=6), max_size=10).map("".join),
    st.text(max_size=40),
)
python_bytes = st.one_of(
    python_sources.map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=40),
    python_sources.map(lambda s: b"\xef\xbb\xbf# coding: latin-1\n" + s.encode("utf-8", "replace")),
)

cell_sources = st.one_of(
    python_sources,
    st.lists(python_sources, max_size=3),
    st.sampled_from(["%matplotlib inline\nimport pandas\n", "!pip install x\nimport x\n"]),
    values,
)


@st.composite
def notebooks(draw: Callable[..., Any]) -> bytes:
    """Jupyter notebooks: cells of every type and shape, kernels of other languages."""
    cells = draw(
        st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "cell_type": st.sampled_from(["code", "markdown", "raw", ""]) | values,
                    "source": cell_sources,
                    "metadata": values,
                },
            )
            | values,
            max_size=4,
        )
    )
    document: object = {
        "cells": cells,
        "metadata": draw(
            st.one_of(
                st.fixed_dictionaries(
                    {
                        "kernelspec": st.fixed_dictionaries(
                            {"language": st.sampled_from(["python", "R", ""]) | values}
                        )
                        | values,
                        "language_info": st.fixed_dictionaries(
                            {"name": st.sampled_from(["python", "julia"]) | values}
                        ),
                    }
                ),
                values,
            )
        ),
        "nbformat": draw(st.sampled_from([4, 3, "4"])),
    }
    if draw(st.integers(0, 9)) == 0:
        document = draw(values)
    text = json.dumps(document)
    mutation = draw(st.sampled_from(["none", "none", "cut", "deep"]))
    if mutation == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif mutation == "deep":
        text = '{"cells": ' + "[" * 5000 + "]" * 5000 + "}"
    return text.encode()


# --- core metadata -------------------------------------------------------------------

metadata_fields = st.one_of(
    st.builds(lambda n: f"Name: {n}", names),
    st.builds(lambda v: f"Version: {v}", versions),
    st.builds(lambda r: f"Requires-Dist: {r}", requirement_lines()),
    st.builds(lambda s: f"Requires-Python: {s}", specifiers),
    st.builds(lambda e: f"Provides-Extra: {e}", names),
    st.sampled_from(
        [
            "Metadata-Version: 2.1",
            "Metadata-Version: 9.9",
            "Dynamic: Requires-Dist",
            " continued",
            "Bad header",
            ":",
            "",
        ]
    ),
    st.text(max_size=12),
)
core_metadata = st.lists(metadata_fields, max_size=8).map(
    lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass")
)
