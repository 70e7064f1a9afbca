"""The file walker on real trees: skips, warnings, encodings, cache and parallelism."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from depslim.scan.walk import iter_project_files, scan_project

Tree = Mapping[str, str | bytes]
MakeTree = Callable[[Tree], Path]


def modules_by_file(result: object) -> dict[str, list[str]]:
    return {f.file: [r.module for r in f.imports] for f in result.files}  # type: ignore[attr-defined]


def test_skips_environments_vcs_and_build_outputs(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "app/main.py": "import fastapi\n",
            "env/pyvenv.cfg": "home = /usr/bin\n",
            "env/lib/python3.11/site-packages/requests/__init__.py": "import urllib3\n",
            ".venv/lib/x.py": "import x\n",
            "venv/x.py": "import x\n",
            ".git/hooks/pre-commit.py": "import x\n",
            "build/lib/app/main.py": "import x\n",
            "dist/x.py": "import x\n",
            "app/__pycache__/x.py": "import x\n",
            "web/node_modules/pkg/x.py": "import x\n",
            ".tox/py311/x.py": "import x\n",
            ".nox/s/x.py": "import x\n",
            "app.egg-info/x.py": "import x\n",
            "vendor/lib/site-packages/y.py": "import y\n",
            "generated/models_pb2.py": "import google.protobuf\n",
            "legacy/old.py": "import x\n",
            "notebooks/a.ipynb": json.dumps({"cells": []}),
            "Dockerfile": "FROM python:3.11\nCMD uvicorn app.main:app\n",
        }
    )
    sources, configs = iter_project_files(root, excludes=["generated/*_pb2.py", "legacy/"])
    assert sources == ["app/main.py", "notebooks/a.ipynb"]
    assert configs == ["Dockerfile"]


def test_broken_files_are_warnings_and_the_scan_goes_on(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "app/__init__.py": "",
            "app/ok.py": "import requests\n",
            "app/py2.py": "import urllib2\nprint 'hi'\n",
            "app/syntax.py": "def f(:\n",
            "app/bytes.py": b"x = 1\ns = '\xff\xfe'\n",
            "app/latin.py": "# -*- coding: latin-1 -*-\nimport yaml\nname = 'caf\xe9'\n".encode(
                "latin-1"
            ),
        }
    )
    result = scan_project(root)
    found = modules_by_file(result)
    assert found["app/ok.py"] == ["requests"]
    assert found["app/latin.py"] == ["yaml"]
    warnings = {w.file: w for w in result.warnings}
    assert set(warnings) == {"app/py2.py", "app/syntax.py", "app/bytes.py"}
    assert warnings["app/py2.py"].line == 2
    assert warnings["app/syntax.py"].line == 1
    assert warnings["app/bytes.py"].line == 2


def test_relative_imports_and_layout_from_disk(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "pyproject.toml": '[project]\nname = "shop-api"\nversion = "1"\n',
            "src/shop/__init__.py": "",
            "src/shop/api/__init__.py": "from . import routes\n",
            "src/shop/api/routes.py": "from ..db import session\nfrom .deps import auth\n",
            "tests/test_routes.py": "from shop.api import routes\nimport shop_api\n",
        }
    )
    result = scan_project(root)
    found = {f.file: f for f in result.files}
    routes = found["src/shop/api/routes.py"].imports
    assert [r.module for r in routes] == ["shop.db", "shop.api.deps"]
    assert found["src/shop/api/__init__.py"].imports[0].module == "shop.api"
    assert result.layout.is_first_party("shop.api", "tests/test_routes.py")
    assert result.layout.is_first_party("shop_api")  # the project's own name
    assert result.roles["tests/test_routes.py"].role.value == "dev"


def test_cache_second_run_parses_nothing(make_tree: MakeTree, tmp_path: Path) -> None:
    files = {f"pkg/m{i}.py": f"import dep{i}\n" for i in range(30)}
    root = make_tree({**files, "pkg/__init__.py": ""})
    cache = tmp_path / "cache"
    first = scan_project(root, cache_dir=cache)
    assert (first.stats.parsed, first.stats.cached) == (31, 0)
    second = scan_project(root, cache_dir=cache)
    assert (second.stats.parsed, second.stats.cached) == (0, 31)
    assert modules_by_file(second) == modules_by_file(first)

    (root / "pkg/m3.py").write_text("import changed\n")
    third = scan_project(root, cache_dir=cache)
    assert third.stats.parsed == 1
    assert modules_by_file(third)["pkg/m3.py"] == ["changed"]

    (root / "pkg/new.py").write_text("import newdep\n")
    (root / "pkg/m4.py").unlink()
    fourth = scan_project(root, cache_dir=cache)
    assert fourth.stats.parsed == 1
    assert "pkg/m4.py" not in modules_by_file(fourth)


def test_cache_survives_a_copy_of_identical_content(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree({"x.py": "import same\n", "y.py": "import same\n", "a/x.py": "import same\n"})
    result = scan_project(root, cache_dir=tmp_path / "c")
    # x.py and y.py: same bytes, same (no) package, one parse; a/x.py is in package a.
    assert result.stats.parsed == 2
    assert modules_by_file(result) == {"a/x.py": ["same"], "x.py": ["same"], "y.py": ["same"]}


def test_trusted_stat_and_files_argument(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree({"a.py": "import one\n", "b.py": "import two\n"})
    old = 1_000_000_000
    for name in ("a.py", "b.py"):
        os.utime(root / name, (old, old))
    cache = tmp_path / "cache"
    scan_project(root, cache_dir=cache)
    # Rewrite b.py keeping size and mtime: only a forced re-read can see it.
    (root / "b.py").write_text("import tw0\n")
    os.utime(root / "b.py", (old, old))
    stale = scan_project(root, cache_dir=cache)
    assert modules_by_file(stale)["b.py"] == ["two"]
    assert stale.stats.parsed == 0
    fresh = scan_project(root, cache_dir=cache, files=[root / "b.py"])
    assert modules_by_file(fresh)["b.py"] == ["tw0"]
    assert fresh.stats.parsed == 1
    relative = scan_project(root, cache_dir=cache, files=["a.py"])
    assert relative.stats.parsed == 0  # a.py re-read, content unchanged: from the cache


def test_damaged_cache_is_ignored(make_tree: MakeTree, tmp_path: Path) -> None:
    root = make_tree({"a.py": "import one\n"})
    cache = tmp_path / "cache"
    scan_project(root, cache_dir=cache)
    (cache_file,) = cache.iterdir()
    cache_file.write_text("{broken")
    assert modules_by_file(scan_project(root, cache_dir=cache)) == {"a.py": ["one"]}
    data = {"version": 1, "index": {}, "entries": {"x": {"imports": 5}}, "scanned_at": 0}
    cache_file.write_text(json.dumps(data))
    assert modules_by_file(scan_project(root, cache_dir=cache)) == {"a.py": ["one"]}


def test_parallel_parse_matches_serial(make_tree: MakeTree) -> None:
    files: Tree = {
        f"pkg/sub{i % 5}/m{i}.py": f"import dep{i}\nfrom . import x\n" for i in range(40)
    }
    root = make_tree({**files, "pkg/bad.py": "def (:\n"})
    serial = scan_project(root, workers=1)
    parallel = scan_project(root, workers=2, parallel_threshold=1)
    assert parallel.stats.parallel
    assert not serial.stats.parallel
    assert parallel.files == serial.files
    assert len(parallel.warnings) == 1


def test_config_files_give_references(make_tree: MakeTree) -> None:
    root = make_tree(
        {
            "app/main.py": "import fastapi\n",
            "Dockerfile": (
                "FROM python:3.11-slim\n"
                "RUN pip install -r requirements.txt\n"
                'CMD ["gunicorn", "-k", "uvicorn.workers.UvicornWorker", "app.main:app"]\n'
            ),
            "Procfile": "web: uvicorn app.main:app --port $PORT\nworker: celery -A app worker\n",
            "docker-compose.yml": "services:\n  api:\n    command: hypercorn app.main:app\n",
            ".env": "DATABASE_URL=postgresql+psycopg://u:p@db/app\n",
            "alembic.ini": "[alembic]\nsqlalchemy.url = mysql+pymysql://root@db/x\n",
            "scripts/serve.sh": "#!/bin/sh\nexec env PORT=1 daphne app.asgi:app\n",
        }
    )
    result = scan_project(root)
    refs = {(x.kind, x.value, x.where) for x in result.references}
    assert (
        "command",
        "gunicorn -k uvicorn.workers.UvicornWorker app.main:app",
        "Dockerfile:3",
    ) in refs
    assert ("command", "uvicorn app.main:app --port $PORT", "Procfile:1") in refs
    assert ("command", "celery -A app worker", "Procfile:2") in refs
    assert ("command", "hypercorn app.main:app", "docker-compose.yml:3") in refs
    assert ("sqlalchemy-url", "postgresql+psycopg", ".env:1") in refs
    assert ("sqlalchemy-url", "mysql+pymysql", "alembic.ini:2") in refs
    assert ("command", "daphne app.asgi:app", "scripts/serve.sh:2") in refs
    assert not any("pip install" in x.value for x in result.references)


def test_a_file_over_the_size_cap_is_skipped_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app/__init__.py").write_text("import requests\n")
    generated = tmp_path / "app/generated_table.py"
    row = "import numpy  # " + "x" * 80 + "\n"
    generated.write_text(row * 20_000)  # ~2 MB of a generated module
    size = generated.stat().st_size
    scan = scan_project(tmp_path, max_file_bytes=1_000_000, cache_dir=tmp_path / "cache")
    (warning,) = scan.warnings
    assert warning.file == "app/generated_table.py"
    assert f"skipped: {size / 1e6:.1f} MB is over the 1.0 MB limit" in warning.message
    assert [r.module for r in scan.imports] == ["requests"]
    assert (scan.stats.files, scan.stats.parsed, scan.stats.cached) == (2, 1, 0)
    # under the cap (default 8 MB) the same file is scanned
    full = scan_project(tmp_path)
    assert {r.module for r in full.imports} == {"requests", "numpy"}
    assert len([r for r in full.imports if r.module == "numpy"]) == 20_000
