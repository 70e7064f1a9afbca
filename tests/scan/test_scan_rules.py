"""Rules: dependencies used without an import."""

from __future__ import annotations

import pytest
from packaging.utils import NormalizedName, canonicalize_name

from depslim.scan.imports import scan_source
from depslim.scan.mapping import ModuleMap
from depslim.scan.records import Reference
from depslim.scan.refs import commands, dockerfile_commands, split_command
from depslim.scan.roles import Tier
from depslim.scan.rules import (
    COMMANDS,
    DB_DRIVERS,
    DEV_TOOLS,
    FOLLOWERS,
    IMPLIED_BY_IMPORT,
    RuleHit,
    apply_rules,
    is_dev_group,
)

N = canonicalize_name


def run(
    declared: dict[str, str],
    *,
    refs: tuple[Reference, ...] = (),
    source: str = "",
    dev_files: tuple[str, ...] = (),
) -> list[RuleHit]:
    groups: dict[NormalizedName, str] = {N(k): v for k, v in declared.items()}
    scanned = scan_source(source, file="app/main.py")
    return apply_rules(
        declared=groups,
        imports=scanned.imports,
        references=(*refs, *scanned.references),
        modules=ModuleMap.build(declared=groups),
        is_own=lambda module, file: module.startswith("app"),
        dev_file=lambda file: file in dev_files,
    )


def hits_for(hits: list[RuleHit], name: str) -> list[RuleHit]:
    return [h for h in hits if h.name == N(name)]


def test_split_command_drops_wrappers_and_env() -> None:
    assert split_command("exec env A=1 B=2 tini -- gunicorn app:app  # comment") == [
        "gunicorn",
        "app:app",
    ]
    assert split_command("unbalanced 'quote") == ["unbalanced", "'quote"]


def test_dockerfile_forms_and_continuations() -> None:
    text = (
        "FROM python:3.11\n"
        "RUN pip install x\n"
        'ENTRYPOINT ["/bin/sh", "-c"]\n'
        "CMD alembic upgrade head && \\\n"
        "    uvicorn app.main:app --host 0.0.0.0\n"
    )
    refs = dockerfile_commands(text, file="Dockerfile")
    assert [(r.value, r.line) for r in refs] == [
        ("/bin/sh -c", 3),
        ("alembic upgrade head", 4),
        ("uvicorn app.main:app --host 0.0.0.0", 4),
    ]


def test_procfile_and_compose_styles() -> None:
    proc = commands(
        "web: gunicorn app:app\n# comment\nrelease: python -m alembic upgrade head\n",
        file="Procfile",
        style="procfile",
    )
    assert [r.value for r in proc] == ["gunicorn app:app", "python -m alembic upgrade head"]
    compose = commands(
        'api:\n  command: ["celery", "-A", "app", "worker"]\n  image: x\n',
        file="compose.yaml",
        style="compose",
    )
    assert [r.value for r in compose] == ["celery -A app worker"]


def test_commands_place_servers_in_base_and_dev_scripts_in_dev() -> None:
    refs = (
        Reference(
            kind="command",
            value="gunicorn -k uvicorn.workers.UvicornWorker app.main:app",
            file="Dockerfile",
            line=5,
        ),
        Reference(kind="command", value="python -m celery -A app worker", file="Procfile", line=2),
        Reference(kind="command", value="python3 -m app.cli", file="Procfile", line=3),
        Reference(kind="command", value="locust -f load.py", file="scripts/load.sh", line=1),
        Reference(kind="command", value="echo hello", file="Dockerfile", line=6),
    )
    hits = run(
        {"gunicorn": "main", "uvicorn": "main", "celery": "main", "locust": "main"},
        refs=refs,
        dev_files=("scripts/load.sh",),
    )
    (gunicorn,) = hits_for(hits, "gunicorn")
    assert (gunicorn.tier, gunicorn.rule, gunicorn.where) == (Tier.BASE, "command", "Dockerfile:5")
    (uvicorn,) = hits_for(hits, "uvicorn")
    assert uvicorn.detail == "gunicorn -k uvicorn.workers.UvicornWorker"
    assert hits_for(hits, "celery")[0].detail == "python -m celery"
    assert [h.tier for h in hits_for(hits, "locust") if h.rule == "command"] == [Tier.DEV]
    assert not any(h.name == N("app") for h in hits)  # python -m of our own module


@pytest.mark.parametrize(("command", "dist"), sorted(COMMANDS.items()))
def test_every_command_row(command: str, dist: str) -> None:
    ref = Reference(kind="command", value=f"{command} --flag", file="Procfile", line=1)
    hits = run({}, refs=(ref,))
    assert [(h.name, h.strong) for h in hits] == [(N(dist), True)]


@pytest.mark.parametrize(("driver", "dists"), sorted(DB_DRIVERS.items()))
def test_every_db_driver_row(driver: str, dists: tuple[str, ...]) -> None:
    ref = Reference(kind="sqlalchemy-url", value=f"postgresql+{driver}", file=".env", line=1)
    undeclared = run({}, refs=(ref,))
    assert [(h.name, h.strong, h.file) for h in undeclared] == [(N(dists[0]), True, ".env")]
    declared = run({dists[-1]: "main"}, refs=(ref,))
    assert [h.name for h in declared if h.rule == "sqlalchemy-url"] == [N(dists[-1])]


def test_plain_dialect_places_only_a_declared_driver() -> None:
    ref = Reference(kind="sqlalchemy-url", value="postgresql", file="settings.py", line=3)
    assert run({}, refs=(ref,)) == []
    (hit,) = run({"psycopg2-binary": "main"}, refs=(ref,))
    assert (hit.name, hit.strong, hit.detail) == ("psycopg2-binary", False, "postgresql://")


def test_django_installed_apps() -> None:
    source = 'INSTALLED_APPS = ["django.contrib.admin", "rest_framework", "app.blog"]\n'
    hits = run({"django": "main", "djangorestframework": "main"}, source=source)
    assert {(h.name, h.rule) for h in hits} == {
        ("django", "django-installed-apps"),
        ("djangorestframework", "django-installed-apps"),
    }


@pytest.mark.parametrize(("module", "names", "dist", "rule"), IMPLIED_BY_IMPORT)
def test_every_implied_import_row(
    module: str, names: frozenset[str] | None, dist: str, rule: str
) -> None:
    imported = sorted(names)[0] if names else "anything"
    hits = run({}, source=f"from {module} import {imported}\n")
    assert [(h.name, h.rule, h.file) for h in hits] == [(N(dist), rule, "app/main.py")]


def test_fastapi_without_forms_implies_nothing() -> None:
    assert run({}, source="from fastapi import FastAPI, Depends\n") == []
    assert run({}, source="if TYPE_CHECKING:\n    from fastapi import UploadFile\n") == []


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("pytest-cov", "pytest-plugin"),
        ("pytest", "pytest-plugin"),
        ("coverage", "pytest-plugin"),
        ("types-requests", "type-stubs"),
        ("pandas-stubs", "type-stubs"),
        ("mypy-boto3-s3", "type-stubs"),
        ("flake8-bugbear", "dev-tool"),
        ("sphinx-rtd-theme", "dev-tool"),
        *[
            (tool, "pytest-plugin" if tool in ("pytest", "coverage") else "dev-tool")
            for tool in sorted(DEV_TOOLS)
        ],
    ],
)
def test_tooling_names_go_to_dev(name: str, rule: str) -> None:
    hits = run({name: "main"})
    assert [(h.rule, h.tier) for h in hits] == [(rule, Tier.DEV)]


@pytest.mark.parametrize(
    ("leader", "follower"),
    sorted((leader, f) for leader, fs in FOLLOWERS.items() for f in fs),
)
def test_every_follower_row(leader: str, follower: str) -> None:
    hits = run({leader: "main", follower: "main"})
    assert any(h.name == N(follower) and h.follows == N(leader) for h in hits)
    assert not any(h.name == N(follower) and h.follows for h in run({follower: "main"}))


def test_spacy_models_follow_spacy() -> None:
    (hit,) = run({"en-core-web-sm": "main"})
    assert (hit.rule, hit.follows) == ("spacy-model", "spacy")


@pytest.mark.parametrize(
    ("group", "dev"),
    [
        ("main", False),
        ("dev", True),
        ("group:lint", True),
        ("extra:test", True),
        ("extra:gpu", False),
        ("extra:docs", True),
        ("group:anything", True),
    ],
)
def test_dev_groups(group: str, dev: bool) -> None:
    assert is_dev_group(group) is dev
    hits = run({"ipdb-like-tool": group})
    assert bool(hits) is dev
