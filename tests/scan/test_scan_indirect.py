"""The table of indirect uses: every row is exercised on a real tree on disk, and the
command and SQLAlchemy-driver tables of the rules are too."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from depslim.scan import ML_FAMILY, Tier, classify, scan_project
from depslim.scan.indirect import INDIRECT_USES, IndirectUse, indirect_references
from depslim.scan.rules import COMMANDS, DB_DRIVERS

N = canonicalize_name
Tree = Mapping[str, str | bytes]
MakeTree = Callable[[Tree], Path]
APP = {"app/__init__.py": "", "app/main.py": "import fastapi\n"}


def _trigger(row: IndirectUse) -> dict[str, str]:
    if row.kind == "env":
        value = row.values[0] if row.values else "1"
        return {".env": f"{row.key}={value}\n"}
    if row.kind == "url-scheme":
        return {"app/settings.py": f'BROKER_URL = "{row.key}://broker.local:1234/0"\n'}
    return {}


@pytest.mark.parametrize(
    "row", INDIRECT_USES, ids=[f"{r.kind}:{r.key}:{'/'.join(r.values)}" for r in INDIRECT_USES]
)
def test_every_row_places_its_declared_distribution(make_tree: MakeTree, row: IndirectUse) -> None:
    dist = N(row.dists[-1])  # any member of the row's class serves, not only the first
    scan = scan_project(make_tree({**APP, **_trigger(row)}))
    result = classify(scan, declared={"fastapi": "main", dist: "main"})
    assert dist not in result.unused
    evidence = result.placements[dist].evidence[0]
    assert evidence.rule == row.rule
    without_entries = Tier.ML if dist in ML_FAMILY else Tier.BASE
    assert result.placements[dist].tier is (row.tier or without_entries)


@pytest.mark.parametrize(
    "row",
    [r for r in INDIRECT_USES if r.kind != "plugin-name"],
    ids=[f"{r.kind}:{r.key}" for r in INDIRECT_USES if r.kind != "plugin-name"],
)
def test_undeclared_rows_are_missing_only_when_strong(
    make_tree: MakeTree, row: IndirectUse
) -> None:
    scan = scan_project(make_tree({**APP, **_trigger(row)}))
    result = classify(scan, declared={"fastapi": "main"})
    missing = {m.name for m in result.missing}
    assert (N(row.dists[0]) in missing) is row.strong


def test_off_values_and_other_values_do_not_trigger(make_tree: MakeTree) -> None:
    scan = scan_project(
        make_tree({**APP, ".env": "HF_HUB_ENABLE_HF_TRANSFER=0\nKERAS_BACKEND=numpy\n"})
    )
    result = classify(scan, declared={"fastapi": "main", "hf-transfer": "main", "jax": "main"})
    assert result.unused == ("hf-transfer", "jax")


@pytest.mark.parametrize(
    ("file", "text", "line"),
    [
        (".env", "A=1\nHF_HUB_ENABLE_HF_TRANSFER=1\n", 2),
        ("Dockerfile", "FROM python:3.12\nENV HF_HUB_ENABLE_HF_TRANSFER 1\n", 2),
        ("Dockerfile", "FROM python:3.12\nENV HF_HUB_ENABLE_HF_TRANSFER=1 X=2\n", 2),
        (
            "docker-compose.yml",
            "services:\n  w:\n    environment:\n      HF_HUB_ENABLE_HF_TRANSFER: '1'\n",
            4,
        ),
        (
            "docker-compose.yml",
            "services:\n  w:\n    environment:\n      - HF_HUB_ENABLE_HF_TRANSFER=1\n",
            4,
        ),
        ("start.sh", "export HF_HUB_ENABLE_HF_TRANSFER=1\npython -m app\n", 1),
        ("app/dl.py", 'import os\nos.environ["HF_HUB_ENABLE_HF_TRANSFER"] = "1"\n', 2),
        ("app/dl.py", 'import os\nos.environ.setdefault("HF_HUB_ENABLE_HF_TRANSFER", "1")\n', 2),
    ],
)
def test_environment_settings_are_found_in_every_kind_of_file(
    make_tree: MakeTree, file: str, text: str, line: int
) -> None:
    refs = indirect_references(text, file=file)
    assert [(r.kind, r.value, r.line) for r in refs] == [
        ("env", "HF_HUB_ENABLE_HF_TRANSFER=1", line)
    ]
    scan = scan_project(make_tree({**APP, file: text}))
    result = classify(scan, declared={"fastapi": "main", "hf-transfer": "main"})
    assert str(result.placements[N("hf-transfer")].evidence[0]) == (
        f"{file}:{line} [env-plugin] HF_HUB_ENABLE_HF_TRANSFER=1"
    )


@pytest.mark.parametrize(("command", "dist"), sorted(COMMANDS.items()))
def test_every_command_in_a_procfile_places_its_distribution(
    make_tree: MakeTree, command: str, dist: str
) -> None:
    scan = scan_project(make_tree({**APP, "Procfile": f"web: {command} app.main:app\n"}))
    result = classify(scan, declared={"fastapi": "main", dist: "main"})
    placement = result.placements[N(dist)]
    assert placement.evidence[0].rule == "command"
    assert placement.evidence[0].where == "Procfile:1"


@pytest.mark.parametrize(("driver", "dists"), sorted(DB_DRIVERS.items()))
def test_every_sqlalchemy_driver_in_a_url_places_its_distribution(
    make_tree: MakeTree, driver: str, dists: tuple[str, ...]
) -> None:
    text = f'DATABASE_URL = "postgresql+{driver}://u@h/db"\n'
    scan = scan_project(make_tree({**APP, "app/db.py": text}))
    dist = N(dists[-1])
    result = classify(scan, declared={"fastapi": "main", dist: "main"})
    assert result.placements[dist].evidence[0].rule == "sqlalchemy-url"
    undeclared = classify(scan, declared={"fastapi": "main"})
    assert N(dists[0]) in {m.name for m in undeclared.missing}


@pytest.mark.parametrize(
    ("command", "dist"),
    [("jupyter", "jupyterlab"), ("jupyter", "notebook"), ("fastapi", "fastapi")],
)
def test_a_command_another_declared_distribution_installs(
    make_tree: MakeTree, command: str, dist: str
) -> None:
    scan = scan_project(make_tree({**APP, "Dockerfile": f'CMD ["{command}", "run"]\n'}))
    result = classify(scan, declared={"fastapi": "main", dist: "main"})
    assert "command" in {e.rule for e in result.placements[N(dist)].evidence}
    assert result.missing == ()


def test_django_engine_postgresql_psycopg2_places_the_driver(make_tree: MakeTree) -> None:
    settings = 'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql_psycopg2"}}\n'
    scan = scan_project(make_tree({**APP, "app/settings.py": settings}))
    result = classify(scan, declared={"fastapi": "main", "psycopg2-binary": "main"})
    assert result.placements[N("psycopg2-binary")].evidence[0].rule == "sqlalchemy-url"
