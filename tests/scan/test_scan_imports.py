"""The ast scanner: every import, with its context, from source text."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depslim.scan.imports import decode_source, resolve_relative, scan_bytes, scan_source
from depslim.scan.records import FileScan, ImportRecord, file_scan_from_json, to_json


def scan(src: str, **kw: object) -> FileScan:
    return scan_source(textwrap.dedent(src).lstrip("\n"), file="pkg/mod.py", **kw)  # type: ignore[arg-type]


def by_module(result: FileScan) -> dict[str, ImportRecord]:
    return {r.module: r for r in result.imports}


def test_plain_imports_have_file_line_and_names() -> None:
    result = scan(
        """
        import os, requests as rq
        from google.cloud import storage, bigquery
        import a.b.c
        """
    )
    got = [(r.module, r.line, r.names) for r in result.imports]
    assert got == [
        ("os", 1, ()),
        ("requests", 1, ()),
        ("google.cloud", 2, ("storage", "bigquery")),
        ("a.b.c", 3, ()),
    ]
    assert all(r.file == "pkg/mod.py" for r in result.imports)
    cloud = result.imports[2]
    assert cloud.candidates() == ("google.cloud.storage", "google.cloud.bigquery", "google.cloud")
    assert cloud.where == "pkg/mod.py:2"


def test_top_level_versus_lazy() -> None:
    result = by_module(
        scan(
            """
            import fastapi
            def handler():
                import torch
                class Inner:
                    import numpy
            async def other():
                from sklearn import svm
            class Model:
                import pydantic
                def method(self):
                    import pandas
            """
        )
    )
    assert not result["fastapi"].lazy
    assert result["torch"].lazy
    assert result["numpy"].lazy
    assert result["sklearn"].lazy
    assert not result["pydantic"].lazy
    assert result["pandas"].lazy


@pytest.mark.parametrize("guard", ["TYPE_CHECKING", "typing.TYPE_CHECKING", "t.TYPE_CHECKING"])
def test_type_checking_body_is_typing_only_and_else_stays_runtime(guard: str) -> None:
    result = by_module(
        scan(
            f"""
            import typing
            if {guard}:
                import pandas
                from mypy_boto3_s3 import S3Client
            else:
                import numpy
            import yaml
            """
        )
    )
    assert result["pandas"].typing_only
    assert result["mypy_boto3_s3"].typing_only
    assert not result["numpy"].typing_only
    assert not result["yaml"].typing_only


def test_not_type_checking_swaps_branches() -> None:
    result = by_module(
        scan(
            """
            if not TYPE_CHECKING:
                import runtime_one
            else:
                import typing_one
            """
        )
    )
    assert not result["runtime_one"].typing_only
    assert result["typing_one"].typing_only


@pytest.mark.parametrize(
    "handler",
    [
        "except ImportError:",
        "except ModuleNotFoundError:",
        "except (ValueError, ImportError):",
        "except (ImportError, AttributeError) as exc:",
        "except builtins.ImportError:",
        "except Exception:",
        "except:",
    ],
)
def test_try_except_import_error_marks_optional(handler: str) -> None:
    result = by_module(
        scan(
            f"""
            try:
                import ujson as json
                from orjson import dumps
            {handler}
                import json
            """
        )
    )
    assert result["ujson"].optional
    assert result["orjson"].optional
    assert not result["json"].optional
    assert result["json"].fallback_for == ("ujson", "orjson")


def test_other_exceptions_do_not_make_optional() -> None:
    result = by_module(
        scan(
            """
            try:
                import requests
            except ValueError:
                import idna
            else:
                import certifi
            finally:
                import urllib3
            """
        )
    )
    assert not any(r.optional for r in result.values())
    assert result["idna"].fallback_for == ()


def test_try_star_and_contextlib_suppress() -> None:
    result = by_module(
        scan(
            """
            import contextlib
            from contextlib import suppress
            with contextlib.suppress(ImportError):
                import rich
            with suppress(ModuleNotFoundError):
                import colorama
            with open("x") as fh:
                import click
            """
        )
    )
    assert result["rich"].optional
    assert result["colorama"].optional
    assert not result["click"].optional


def test_main_guard_and_its_else() -> None:
    result = by_module(
        scan(
            """
            if __name__ == "__main__":
                import uvicorn
            else:
                import gunicorn
            if "__main__" == __name__:
                import typer
            """
        )
    )
    assert result["uvicorn"].main_guard
    assert not result["gunicorn"].main_guard
    assert result["typer"].main_guard


def test_dynamic_imports_in_any_expression() -> None:
    result = scan(
        """
        import importlib
        from importlib import import_module
        importlib.import_module("plain")
        backend = importlib.import_module("in_assignment.sub")
        handlers = {"x": import_module("in_dict")}
        print(__import__("dunder"))
        def later(name=importlib.import_module("in_default")):
            return import_module(name)
        if importlib.util.find_spec("probed") is not None:
            pass
        relative = importlib.import_module(".sibling", "pkg")
        """
    )
    dynamic = {r.module: r for r in result.imports if r.dynamic}
    assert set(dynamic) == {
        "plain",
        "in_assignment.sub",
        "in_dict",
        "dunder",
        "in_default",
        "probed",
        "pkg.sibling",
    }
    assert dynamic["in_assignment.sub"].line == 4
    assert dynamic["probed"].optional
    assert not dynamic["plain"].optional


def test_dynamic_import_inside_function_is_lazy_and_non_literal_is_skipped() -> None:
    result = scan(
        """
        import importlib
        def load(name):
            importlib.import_module("inside")
            importlib.import_module(name)
            importlib.import_module(f"x{name}")
        """
    )
    dynamic = [r for r in result.imports if r.dynamic]
    assert [(r.module, r.lazy) for r in dynamic] == [("inside", True)]


def test_relative_imports_resolved_against_the_package() -> None:
    result = scan(
        """
        from . import sibling
        from .helpers import util
        from .. import top
        from ..other.mod import thing
        from ..... import beyond
        """,
        package="app.api",
    )
    got = [(r.module, r.names, r.level) for r in result.imports]
    assert got == [
        ("app.api", ("sibling",), 1),
        ("app.api.helpers", ("util",), 1),
        ("app", ("top",), 2),
        ("app.other.mod", ("thing",), 2),
        (".....", ("beyond",), 5),
    ]


@pytest.mark.parametrize(
    ("module", "level", "package", "expected"),
    [
        ("x", 0, None, "x"),
        ("x", 1, "a.b", "a.b.x"),
        (None, 1, "a.b", "a.b"),
        ("x", 2, "a.b", "a.x"),
        (None, 3, "a.b", None),
        ("x", 1, None, None),
    ],
)
def test_resolve_relative(
    module: str | None, level: int, package: str | None, expected: str | None
) -> None:
    assert resolve_relative(module, level, package) == expected


def test_version_and_platform_conditions() -> None:
    result = by_module(
        scan(
            """
            import sys
            if sys.version_info >= (3, 11):
                import tomllib
            else:
                import tomli
            if sys.version_info[:2] < (3, 9):
                import backports.zoneinfo
            if (3, 12) <= sys.version_info:
                import new_thing
            if sys.platform == "win32":
                import colorama
            elif sys.platform.startswith("linux"):
                import uvloop
            """
        )
    )
    py311, py310 = (3, 11), (3, 10)
    assert result["tomllib"].applies_to(python=py311)
    assert not result["tomllib"].applies_to(python=py310)
    assert result["tomli"].applies_to(python=py310)
    assert not result["tomli"].applies_to(python=py311)
    assert result["tomli"].conditions[0].marker == 'python_version < "3.11"'
    assert not result["backports.zoneinfo"].applies_to(python=py311)
    assert result["new_thing"].applies_to(python=(3, 12))
    assert not result["new_thing"].applies_to(python=py311)
    assert result["colorama"].applies_to(python=py311, platform="win32")
    assert not result["colorama"].applies_to(python=py311, platform="linux")
    assert result["colorama"].applies_to(python=py311)  # platform unknown: kept
    assert result["uvloop"].applies_to(python=py311, platform="linux")
    assert not result["uvloop"].applies_to(python=py311, platform="win32")
    assert result["colorama"].conditions[0].marker == 'sys_platform == "win32"'


def test_ignore_comments() -> None:
    result = scan(
        """
        import torch  # depslim: ignore
        import pandas  # depslim: ignore[DS002, ds005]
        from fastapi import (  # depslim: ignore[DS001]
            FastAPI,
        )
        import numpy  # a normal comment
        """
    )
    torch, pandas, fastapi, numpy = result.imports
    assert torch.ignore_all and torch.is_ignored()
    assert pandas.ignore_codes == frozenset({"DS002", "DS005"})
    assert not pandas.is_ignored()
    assert pandas.is_ignored("ds002")
    assert fastapi.ignore_codes == frozenset({"DS001"})
    assert not numpy.is_ignored("DS001")


def test_syntax_error_is_a_warning_with_line() -> None:
    result = scan_source("import ok\n\ndef broken(:\n", file="bad.py")
    assert result.imports == ()
    assert len(result.warnings) == 1
    assert result.warnings[0].line == 3
    assert str(result.warnings[0]).startswith("bad.py:3: syntax error")


def test_python2_file_is_a_warning_that_says_so() -> None:
    result = scan_source('import urllib2\nprint "hello"\n', file="old.py")
    assert result.warnings[0].line == 2
    assert "Python 2" in result.warnings[0].message


def test_null_bytes_and_deep_nesting_are_warnings() -> None:
    assert scan_source("import x\0\n", file="nul.py").warnings
    deep = "x = " + "(" * 5000 + ")" * 5000 + "\n"
    assert scan_source(deep, file="deep.py").warnings


def test_decode_honours_coding_cookie_and_bom() -> None:
    latin = "# -*- coding: latin-1 -*-\nimport requests\nname = 'café'\n".encode("latin-1")
    assert "café" in decode_source(latin)
    result = scan_bytes(latin, file="latin.py")
    assert [r.module for r in result.imports] == ["requests"]
    assert result.warnings == ()
    bom = b"\xef\xbb\xbfimport yaml\n"
    assert [r.module for r in scan_bytes(bom, file="bom.py").imports] == ["yaml"]


def test_bad_encoding_is_a_warning_with_line() -> None:
    undecodable = b"import os\nx = 1\ns = '\xff\xfe'\n"
    result = scan_bytes(undecodable, file="bad.py")
    assert result.warnings[0].line == 3
    assert "decode" in result.warnings[0].message
    unknown = b"# coding: no-such-codec\nimport os\n"
    assert scan_bytes(unknown, file="cookie.py").warnings[0].message.startswith("bad encoding")


def test_references_sqlalchemy_urls_and_django_apps() -> None:
    result = scan(
        """
        DATABASE_URL = "postgresql+asyncpg://user@db/app"
        OTHER = 'mysql://root@localhost/x'
        INSTALLED_APPS = [
            "django.contrib.admin",
            "rest_framework",
            "corsheaders",
        ] + ["myapp.apps.MyAppConfig"]
        DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql"}}
        """
    )
    urls = [(x.value, x.line) for x in result.references if x.kind == "sqlalchemy-url"]
    assert urls == [("postgresql+asyncpg", 1), ("mysql", 2), ("postgresql", 8)]
    apps = [(x.value, x.line) for x in result.references if x.kind == "django-app"]
    assert apps == [
        ("django.contrib.admin", 4),
        ("rest_framework", 5),
        ("corsheaders", 6),
        ("myapp.apps.MyAppConfig", 7),
    ]


def test_json_roundtrip_keeps_every_field() -> None:
    result = scan(
        """
        import sys
        if TYPE_CHECKING:
            import a  # depslim: ignore[X1]
        try:
            import b
        except ImportError:
            import c  # depslim: ignore
        if sys.version_info < (3, 11) and sys.platform == "linux":
            def f():
                from . import d
        X = "postgresql+psycopg2://x"
        """,
        package="pkg",
    )
    again = file_scan_from_json(to_json(result), result.file)
    assert again == result


IDENT = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda s: (
        s not in {"if", "in", "is", "as", "or", "and", "not", "def", "for", "try", "del"}
        and not __import__("keyword").iskeyword(s)
    )
)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_arbitrary_text_never_crashes(text: str) -> None:
    result = scan_source(text, file="x.py", package="p")
    assert isinstance(result, FileScan)


@settings(max_examples=200, deadline=None)
@given(st.binary())
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    result = scan_bytes(data, file="x.py")
    assert isinstance(result, FileScan)


@settings(max_examples=100, deadline=None)
@given(st.lists(IDENT, min_size=1, max_size=4), st.integers(min_value=0, max_value=3))
def test_any_dotted_import_is_found_at_its_depth(parts: list[str], depth: int) -> None:
    module = ".".join(parts)
    body = f"import {module}\n"
    for level in range(depth):
        body = textwrap.indent(body, "    ")
        body = f"def f{level}():\n" + body
    result = scan_source(body, file="x.py")
    assert [r.module for r in result.imports] == [module]
    assert result.imports[0].lazy == (depth > 0)
