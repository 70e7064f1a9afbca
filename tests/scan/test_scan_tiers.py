"""Tiers: classification of declared dependencies, with and without entry points."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from packaging.utils import NormalizedName, canonicalize_name

from depslim.errors import InputError
from depslim.scan.mapping import ModuleMap
from depslim.scan.roles import Tier
from depslim.scan.tiers import (
    Classification,
    classify,
    closure,
    ml_dependents,
    partition_closure,
)
from depslim.scan.walk import scan_project

Tree = Mapping[str, str | bytes]
MakeTree = Callable[[Tree], Path]
N = canonicalize_name


def graph_of(edges: dict[str, list[str]]) -> dict[NormalizedName, frozenset[NormalizedName]]:
    return {N(k): frozenset(N(d) for d in v) for k, v in edges.items()}


def tiers_of(result: Classification) -> dict[str, str]:
    return {name: p.tier.value for name, p in result.placements.items()}


RAG_TREE: Tree = {
    "pyproject.toml": '[project]\nname = "rag-api"\nversion = "0.1"\n',
    "Dockerfile": 'FROM python:3.11-slim\nCMD ["uvicorn", "app.main:app", "--port", "80"]\n',
    "app/__init__.py": "",
    "app/main.py": """
        from fastapi import FastAPI, File, UploadFile
        from .rag import search
        app = FastAPI()
        if __name__ == "__main__":
            import uvicorn
            uvicorn.run(app)
    """,
    "app/rag.py": """
        from __future__ import annotations
        from typing import TYPE_CHECKING
        import numpy as np
        if TYPE_CHECKING:
            import pandas as pd
        try:
            import ujson as json
        except ImportError:
            import json
        try:
            import tomllib
        except ModuleNotFoundError:
            import tomli as tomllib
        def search(query):
            from sentence_transformers import SentenceTransformer
            return SentenceTransformer("x").encode(query)
    """,
    "app/db.py": """
        import typing_extensions
        import redis
        from sqlalchemy import create_engine
        engine = create_engine("postgresql://user@db/rag")
    """,
    "tests/test_api.py": """
        import httpx
        import pytest
        from faker import Faker
        from app.main import app
    """,
    "notebooks/explore.ipynb": json.dumps(
        {
            "cells": [
                {"cell_type": "code", "source": ["%matplotlib inline\n", "import matplotlib\n"]},
                {"cell_type": "code", "source": "!pip install x\nimport numpy\n"},
            ]
        }
    ),
}
RAG_DECLARED = {
    "fastapi": "main",
    "uvicorn": "main",
    "sentence-transformers": "main",
    "torch": "main",
    "pydantic": "main",
    "python-multipart": "main",
    "SQLAlchemy": "main",
    "psycopg2-binary": "main",
    "numpy": "main",
    "ujson": "main",
    "tomli": "main",
    "pandas": "main",
    "requests": "main",
    "boto3": "main",
    "httpx": "group:dev",
    "pytest": "group:dev",
    "pytest-asyncio": "group:dev",
    "ruff": "group:dev",
    "types-requests": "group:dev",
}
RAG_GRAPH = graph_of(
    {
        "fastapi": ["starlette", "pydantic"],
        "pydantic": ["pydantic-core", "typing-extensions"],
        "pydantic-core": ["typing-extensions"],
        "sentence-transformers": ["torch", "transformers", "scikit-learn"],
        "transformers": ["huggingface-hub", "tokenizers", "numpy"],
        "scikit-learn": ["numpy", "scipy"],
        "uvicorn": ["click", "h11"],
    }
)


def test_rag_backend_without_entries(make_tree: MakeTree) -> None:
    scan = scan_project(make_tree(RAG_TREE))
    result = classify(scan, declared=RAG_DECLARED, graph=RAG_GRAPH, python=(3, 11))
    assert tiers_of(result) == {
        "fastapi": "base",
        "uvicorn": "base",
        "python-multipart": "base",
        "sqlalchemy": "base",
        "psycopg2-binary": "base",
        "numpy": "base",
        "ujson": "base",
        "pydantic": "base",
        "sentence-transformers": "ml",
        "torch": "ml",
        "pandas": "dev",
        "httpx": "dev",
        "pytest": "dev",
        "pytest-asyncio": "dev",
        "ruff": "dev",
        "types-requests": "dev",
    }
    # No module lists here (offline, cold cache): boto3, requests and tomli may provide
    # the unexplained imports (faker, matplotlib, redis), so they are unknown, not
    # unused; none is named like those imports, so the imports are still missing.
    assert result.unused == ()
    assert result.unknown == ("boto3", "requests", "tomli")
    assert [(m.name, m.tier, m.label) for m in result.missing] == [
        ("faker", Tier.DEV, "missing"),
        ("matplotlib", Tier.DEV, "missing"),
        ("redis", Tier.BASE, "missing"),
    ]
    known = ModuleMap.build(
        declared=RAG_DECLARED,
        top_levels={N("boto3"): ["boto3"], N("requests"): ["requests"], N("tomli"): ["tomli"]},
    )
    online = classify(scan, declared=RAG_DECLARED, graph=RAG_GRAPH, modules=known)
    assert online.unused == ("boto3", "requests", "tomli")
    assert online.unknown == ()
    assert [(m.name, m.label) for m in online.missing] == [
        ("faker", "missing"),
        ("matplotlib", "missing"),
        ("redis", "missing"),
    ]
    (transitive,) = result.transitive
    assert (transitive.name, transitive.via) == ("typing-extensions", ("fastapi", "pydantic"))

    p = result.placements
    assert str(p[N("fastapi")].evidence[0]) == "app/main.py:1 import fastapi"
    assert p[N("uvicorn")].evidence[0].where == "app/main.py:5"
    assert any(e.rule == "command" and e.where == "Dockerfile:2" for e in p[N("uvicorn")].evidence)
    assert p[N("python-multipart")].evidence[0].rule == "fastapi-forms"
    assert p[N("psycopg2-binary")].evidence[0].where == "app/db.py:4"
    assert p[N("torch")].evidence[0].detail == "required by sentence-transformers"
    assert p[N("sentence-transformers")].evidence[0].detail == "import sentence_transformers (lazy)"
    assert p[N("pandas")].evidence[0].detail == "import pandas (typing)"
    missing = {m.name: m for m in result.missing}
    assert missing[N("matplotlib")].evidence[0].where == "notebooks/explore.ipynb:cell 1:2"
    assert result.file_tiers["tests/test_api.py"] is Tier.DEV
    assert result.file_tiers["app/db.py"] is Tier.BASE


def test_target_python_changes_the_verdict(make_tree: MakeTree) -> None:
    scan = scan_project(make_tree(RAG_TREE))
    on_310 = classify(scan, declared=RAG_DECLARED, graph=RAG_GRAPH, python=(3, 10))
    assert tiers_of(on_310)["tomli"] == "base"
    assert "tomli" not in on_310.unused


def test_without_graph_declared_torch_is_unknown_and_ml_family_still_decides(
    make_tree: MakeTree,
) -> None:
    scan = scan_project(make_tree(RAG_TREE))
    result = classify(scan, declared=RAG_DECLARED)
    assert tiers_of(result)["sentence-transformers"] == "ml"
    # not imported, and offline nobody knows torch's modules: unknown, never "unused"
    assert "torch" in result.unknown
    assert "torch" not in result.unused
    # No graph: nothing is known to be transitive, so an undeclared import is missing.
    assert N("typing-extensions") in {m.name for m in result.missing}


WORKER_TREE: Tree = {
    "app/__init__.py": "",
    "app/api.py": """
        from fastapi import FastAPI
        import openai
        from app.tasks import enqueue
        from . import shared
        if __name__ == "__main__":
            import uvicorn
    """,
    "app/shared.py": "import numpy\n",
    "app/tasks.py": """
        from celery import Celery
        import redis
        def enqueue(job):
            return job
    """,
    "app/worker.py": """
        from app.tasks import enqueue
        from app import model
        enqueue(model.run)
    """,
    "app/model.py": """
        import numpy
        def run(text):
            import torch
            from transformers import pipeline
            return pipeline("x")(text)
        if __name__ == "__main__":
            import matplotlib
    """,
    "app/admin.py": "import boto3\nfrom app import model\n",
    "tests/test_api.py": "import pytest\nfrom app.api import app\n",
}
WORKER_DECLARED = dict.fromkeys(
    ("fastapi", "openai", "celery", "redis", "torch", "transformers", "numpy", "uvicorn"), "main"
) | {"pytest": "group:test"}


def test_api_and_worker_with_entries(make_tree: MakeTree) -> None:
    scan = scan_project(make_tree(WORKER_TREE))
    result = classify(
        scan, declared=WORKER_DECLARED, entries={"api": "app.api:app", "worker": "app.worker"}
    )
    assert tiers_of(result) == {
        "fastapi": "base",
        "openai": "base",
        "celery": "base",
        "redis": "base",
        "numpy": "base",
        "uvicorn": "base",
        "torch": "ml",
        "transformers": "ml",
        "pytest": "dev",
    }
    assert [(m.name, m.tier) for m in result.missing] == [
        ("boto3", Tier.DEV),
        ("matplotlib", Tier.DEV),
    ]
    assert result.file_tiers["app/model.py"] is Tier.ML
    assert result.file_tiers["app/tasks.py"] is Tier.BASE
    assert result.file_tiers["app/admin.py"] is Tier.DEV
    torch = result.placements[N("torch")].evidence[0]
    assert (torch.where, torch.detail) == (
        "app/model.py:3",
        "import torch (lazy, in run(), referenced at app/worker.py:3 (worker))",
    )


def test_entry_order_decides_which_is_base(make_tree: MakeTree) -> None:
    scan = scan_project(make_tree(WORKER_TREE))
    result = classify(
        scan, declared=WORKER_DECLARED, entries={"worker": "app.worker", "api": "app.api"}
    )
    tiers = tiers_of(result)
    assert tiers["torch"] == "base"
    assert tiers["fastapi"] == "ml"


def test_unknown_entry_is_an_input_error(make_tree: MakeTree) -> None:
    scan = scan_project(make_tree(WORKER_TREE))
    with pytest.raises(InputError, match=r"entry api = 'app.mian'.*app\.api"):
        classify(scan, declared=WORKER_DECLARED, entries={"api": "app.mian"})
    by_path = classify(scan, declared=WORKER_DECLARED, entries={"api": "app/api.py"})
    assert tiers_of(by_path)["fastapi"] == "base"


HARD_CASES: Tree = {
    "src/svc/__init__.py": "",
    "src/svc/store.py": """
        from google.cloud import storage
        from google.protobuf import json_format
        import attr, cv2
        from PIL import Image
        import sklearn, yaml, bs4, dateutil, dotenv, jwt
        import distutils.util
        import zope.interface
    """,
    "src/svc/lazy.py": """
        import importlib
        backend = importlib.import_module("psycopg2.extras")
        if TYPE_CHECKING:
            import typing_only_pkg
        else:
            import runtime_pkg
        try:
            import optional_pkg
        except ImportError:
            optional_pkg = None
        def later():
            from . import store
            import tqdm  # depslim: ignore
    """,
    "tests/test_store.py": "from svc import store\nimport scripts_helper\n",
    "tests/scripts_helper.py": "",
}
HARD_DECLARED = dict.fromkeys(
    (
        "google-cloud-storage",
        "google-cloud-bigquery",
        "protobuf",
        "attrs",
        "opencv-python-headless",
        "pillow",
        "scikit-learn",
        "pyyaml",
        "beautifulsoup4",
        "python-dateutil",
        "python-dotenv",
        "pyjwt",
        "psycopg2-binary",
        "runtime-pkg",
        "zope.interface",
        "jwt",
        "sklearn",
    ),
    "main",
)


@pytest.mark.parametrize("python", [(3, 11), (3, 12)])
def test_hard_cases_of_the_notes(make_tree: MakeTree, python: tuple[int, int]) -> None:
    scan = scan_project(make_tree(HARD_CASES))
    result = classify(scan, declared=HARD_DECLARED, python=python)
    tiers = tiers_of(result)
    for name in (
        "google-cloud-storage",
        "protobuf",
        "attrs",
        "opencv-python-headless",
        "pillow",
        "pyyaml",
        "beautifulsoup4",
        "python-dateutil",
        "python-dotenv",
        "pyjwt",
        "psycopg2-binary",
        "runtime-pkg",
        "zope-interface",
    ):
        assert tiers[name] == "base", name
    assert tiers["scikit-learn"] == "ml"
    # The namespace sibling nobody imports, and the look-alike names, are unused.
    # jwt and sklearn (squatters' names) provide modules nobody knows offline, and
    # some imports here are unexplained guesses: unknown rather than unused.
    assert result.unused == ("google-cloud-bigquery",)
    assert result.unknown == ("jwt", "sklearn")
    missing = {m.name: m.tier for m in result.missing}
    # typing-only → dev; an undeclared optional import is missing with the optional mark
    # (and is no tier root); ignored imports are never missing; first-party is not.
    assert missing.pop(N("typing-only-pkg")) is Tier.DEV
    assert missing.pop(N("optional-pkg")) is Tier.BASE
    optional = next(m for m in result.missing if m.name == "optional-pkg")
    assert optional.optional and optional.label == "missing, optional"
    assert N("optional-pkg") not in result.roots_by_tier()[Tier.BASE]
    if python >= (3, 12):
        assert missing == {N("setuptools"): Tier.BASE}  # distutils left the stdlib
    else:
        assert missing == {}


def test_ignore_all_and_conditions_for_the_platform(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "app.py": """
                import sys
                if sys.platform == "win32":
                    import pywin32_ctypes
                import silenced  # depslim: ignore
            """
        }
    )
    scan = scan_project(root)
    linux = classify(scan, declared={}, platform="linux")
    assert linux.missing == ()
    windows = classify(scan, declared={}, platform="win32")
    assert [m.name for m in windows.missing] == ["pywin32-ctypes"]


def test_followers_and_learned_top_levels(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "Procfile": "web: uvicorn main:app\n",
            "main.py": "import fastapi\nimport torchgen\n",
        }
    )
    declared = {"fastapi": "main", "uvicorn": "main", "uvloop": "main", "torch": "main"}
    modules = ModuleMap.build(
        declared=declared, top_levels={N("torch"): frozenset({"torch", "torchgen"})}
    )
    result = classify(scan_project(root), declared=declared, modules=modules)
    assert tiers_of(result) == {
        "fastapi": "base",
        "uvicorn": "base",
        "uvloop": "base",
        "torch": "ml",
    }
    assert result.placements[N("uvloop")].evidence[0].detail == "loaded by uvicorn"


def test_ml_dependents_follow_the_graph() -> None:
    graph = graph_of(
        {
            "my-rag-lib": ["sentence-transformers"],
            "sentence-transformers": ["torch"],
            "requests": ["urllib3"],
        }
    )
    ml = ml_dependents(graph)
    assert {"my-rag-lib", "sentence-transformers", "torch"} <= ml
    assert "requests" not in ml


def test_partition_closure() -> None:
    graph = graph_of(
        {
            "fastapi": ["starlette", "pydantic"],
            "starlette": ["anyio"],
            "sentence-transformers": ["torch", "numpy", "tqdm"],
            "torch": ["numpy", "filelock"],
            "pydantic": ["typing-extensions"],
            "pytest": ["pluggy", "typing-extensions"],
            "numpy": [],
        }
    )
    roots = {
        Tier.BASE: {N("fastapi"), N("numpy")},
        Tier.ML: {N("sentence-transformers")},
        Tier.DEV: {N("pytest"), N("fastapi")},
    }
    parts = partition_closure(graph, roots)
    assert parts[Tier.BASE] == {
        "fastapi",
        "starlette",
        "anyio",
        "pydantic",
        "typing-extensions",
        "numpy",
    }
    assert parts[Tier.ML] == {"sentence-transformers", "torch", "tqdm", "filelock"}
    assert parts[Tier.DEV] == {"pytest", "pluggy"}
    assert closure(graph, [N("torch")]) == {"torch", "numpy", "filelock"}


def test_roots_by_tier_include_missing(make_tree: MakeTree) -> None:
    scan = scan_project(make_tree(RAG_TREE))
    result = classify(scan, declared=RAG_DECLARED, graph=RAG_GRAPH)
    roots = result.roots_by_tier()
    assert N("redis") in roots[Tier.BASE]
    assert N("torch") in roots[Tier.ML]
    assert result.tiers()[Tier.ML] == ("sentence-transformers", "torch")


def test_fixture_data_and_nested_projects_do_not_make_dependencies(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "pyproject.toml": '[project]\nname = "tool"\nversion = "1"\ndependencies = ["httpx"]\n',
            "src/tool/__init__.py": "import httpx\n",
            # test data: a sample project with its own pyproject.toml, skipped whole
            "tests/data/sample/pyproject.toml": '[project]\nname = "sample"\n',
            "tests/data/sample/app.py": "import fastapi\n",
            # fixtures at the top are developer-only
            "fixtures/snippet.py": "import pandas\n",
            # a URL string in a test names a driver: evidence, not a missing dependency
            "tests/test_db.py": 'URL = "postgresql+psycopg2://u@h/db"\n',
        }
    )
    scan = scan_project(root)
    assert not any(f.file.startswith("tests/data/") for f in scan.files)
    result = classify(scan, declared={"httpx": "main"})
    missing = {m.name: m.tier for m in result.missing}
    assert "fastapi" not in missing
    assert "psycopg2-binary" not in missing and "psycopg2" not in missing
    assert missing.get("pandas") is Tier.DEV
