"""Dependencies placed by rule: the ones code uses without importing them.

Servers and CLIs run from a Dockerfile ``CMD`` or a Procfile, database drivers named
in a SQLAlchemy URL, ``python-multipart`` behind FastAPI forms, pytest plugins,
linters, type stubs, server add-ons (uvicorn's uvloop/httptools), spaCy models. Each
rule yields :class:`RuleHit` values with the rule's name as evidence; the tier is
fixed (``tier``), that of a file (``file``), or that of another distribution
(``follows``). Pure: works on scan results and the module map only.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from packaging.utils import NormalizedName, canonicalize_name

from depslim.scan.indirect import indirect_hits
from depslim.scan.mapping import ModuleMap
from depslim.scan.records import ImportRecord, Reference
from depslim.scan.refs import split_command
from depslim.scan.roles import Tier

__all__ = [
    "COMMANDS",
    "COMMAND_PROVIDERS",
    "DB_DRIVERS",
    "DEV_TOOLS",
    "FOLLOWERS",
    "IMPLIED_BY_IMPORT",
    "RuleHit",
    "apply_rules",
    "is_dev_group",
]

N = canonicalize_name

# Console command → the distribution that installs it.
COMMANDS: Mapping[str, str] = {
    "uvicorn": "uvicorn",
    "gunicorn": "gunicorn",
    "hypercorn": "hypercorn",
    "daphne": "daphne",
    "granian": "granian",
    "waitress-serve": "waitress",
    "celery": "celery",
    "rq": "rq",
    "dramatiq": "dramatiq",
    "huey_consumer": "huey",
    "arq": "arq",
    "alembic": "alembic",
    "flask": "flask",
    "fastapi": "fastapi-cli",
    "streamlit": "streamlit",
    "gradio": "gradio",
    "chainlit": "chainlit",
    "panel": "panel",
    "bokeh": "bokeh",
    "dagster": "dagster",
    "prefect": "prefect",
    "ddtrace-run": "ddtrace",
    "opentelemetry-instrument": "opentelemetry-distro",
    "newrelic-admin": "newrelic",
    "watchfiles": "watchfiles",
    "supervisord": "supervisor",
    "locust": "locust",
    "pytest": "pytest",
    "mkdocs": "mkdocs",
    "sphinx-build": "sphinx",
    "jupyter": "jupyter",
    "mlflow": "mlflow",
    "bentoml": "bentoml",
    "ray": "ray",
    "dvc": "dvc",
}

# Commands that other declared distributions install too (any of them serves).
COMMAND_PROVIDERS: Mapping[str, tuple[str, ...]] = {
    "jupyter": ("jupyter", "jupyterlab", "notebook", "jupyter-core"),
    "fastapi": ("fastapi-cli", "fastapi"),
    "flask": ("flask",),
}

# SQLAlchemy dialect[+driver] → distributions (equivalence class, preferred first).
DB_DRIVERS: Mapping[str, tuple[str, ...]] = {
    "psycopg2": ("psycopg2-binary", "psycopg2"),
    "psycopg": ("psycopg", "psycopg-binary"),
    "asyncpg": ("asyncpg",),
    "pg8000": ("pg8000",),
    "psycopg2cffi": ("psycopg2cffi",),
    "pymysql": ("pymysql",),
    "mysqldb": ("mysqlclient",),
    "mysqlconnector": ("mysql-connector-python",),
    "aiomysql": ("aiomysql",),
    "asyncmy": ("asyncmy",),
    "mariadbconnector": ("mariadb",),
    "aiosqlite": ("aiosqlite",),
    "pysqlcipher": ("sqlcipher3-binary", "sqlcipher3"),
    "pyodbc": ("pyodbc",),
    "aioodbc": ("aioodbc",),
    "pymssql": ("pymssql",),
    "cx_oracle": ("cx-oracle",),
    "oracledb": ("oracledb",),
}
# Dialect named without a driver → the drivers that may serve it (any declared one).
DIALECT_DRIVERS: Mapping[str, tuple[str, ...]] = {
    "postgresql": ("psycopg2-binary", "psycopg2", "psycopg", "psycopg-binary", "asyncpg", "pg8000"),
    "postgres": ("psycopg2-binary", "psycopg2", "psycopg", "psycopg-binary", "asyncpg"),
    "mysql": ("mysqlclient", "pymysql", "mysql-connector-python", "aiomysql"),
    "mariadb": ("mysqlclient", "pymysql", "mariadb"),
    "oracle": ("cx-oracle", "oracledb"),
    "mssql": ("pyodbc", "pymssql"),
    "cockroachdb": ("sqlalchemy-cockroachdb", "psycopg2-binary", "psycopg2"),
    "redshift": ("sqlalchemy-redshift", "redshift-connector"),
    "snowflake": ("snowflake-sqlalchemy",),
    "clickhouse": ("clickhouse-sqlalchemy", "clickhouse-connect"),
    "trino": ("trino",),
    "duckdb": ("duckdb-engine",),
}

# (module, names imported from it or None for any) → distribution needed with it.
IMPLIED_BY_IMPORT: tuple[tuple[str, frozenset[str] | None, str, str], ...] = (
    ("fastapi", frozenset({"Form", "File", "UploadFile"}), "python-multipart", "fastapi-forms"),
    ("fastapi.params", frozenset({"Form", "File"}), "python-multipart", "fastapi-forms"),
    (
        "fastapi.security",
        frozenset({"OAuth2PasswordRequestForm", "OAuth2PasswordRequestFormStrict"}),
        "python-multipart",
        "fastapi-forms",
    ),
    ("starlette.formparsers", None, "python-multipart", "starlette-forms"),
    ("pydantic", frozenset({"EmailStr", "NameEmail"}), "email-validator", "pydantic-email"),
    (
        "pydantic.networks",
        frozenset({"EmailStr", "NameEmail"}),
        "email-validator",
        "pydantic-email",
    ),
    ("fastapi.templating", None, "jinja2", "starlette-templates"),
    ("starlette.templating", None, "jinja2", "starlette-templates"),
    ("fastapi.responses", frozenset({"ORJSONResponse"}), "orjson", "fastapi-orjson"),
    ("fastapi.responses", frozenset({"UJSONResponse"}), "ujson", "fastapi-ujson"),
    ("sqlalchemy.ext.asyncio", None, "greenlet", "sqlalchemy-asyncio"),
)

# Distribution → add-ons it loads when installed (they take its tier when declared).
FOLLOWERS: Mapping[str, frozenset[str]] = {
    "uvicorn": frozenset({"uvloop", "httptools", "websockets", "watchfiles", "wsproto"}),
    "gunicorn": frozenset({"gevent", "eventlet", "uvicorn-worker", "setproctitle"}),
    "celery": frozenset({"redis", "librabbitmq", "pycurl", "flower"}),
    "kombu": frozenset({"redis", "librabbitmq"}),
    "httpx": frozenset({"h2", "socksio", "brotli", "brotlicffi", "zstandard"}),
    "aiohttp": frozenset({"aiodns", "brotli", "brotlicffi"}),
    "requests": frozenset({"pysocks", "chardet"}),
    "pandas": frozenset(
        {
            "openpyxl",
            "xlrd",
            "xlsxwriter",
            "odfpy",
            "pyarrow",
            "fastparquet",
            "tables",
            "lxml",
            "html5lib",
            "tabulate",
            "pyxlsb",
            "calamine",
            "python-calamine",
        }
    ),
    "polars": frozenset({"pyarrow", "fastexcel", "xlsx2csv", "connectorx"}),
    "transformers": frozenset({"sentencepiece", "accelerate", "protobuf", "tiktoken"}),
    "passlib": frozenset({"bcrypt", "argon2-cffi"}),
    "python-jose": frozenset({"cryptography"}),
    "pyjwt": frozenset({"cryptography"}),
    "sqlalchemy": frozenset({"greenlet"}),
    "django": frozenset({"whitenoise"}),
}
_SPACY_MODEL = re.compile(r"^[a-z]{2,3}-core-(?:web|news|sci)-(?:sm|md|lg|trf)$")

DEV_TOOLS = frozenset(
    N(n)
    for n in [
        "ruff",
        "black",
        "isort",
        "flake8",
        "pylint",
        "mypy",
        "pyright",
        "basedpyright",
        "bandit",
        "pre-commit",
        "tox",
        "nox",
        "coverage",
        "pip-tools",
        "pip-audit",
        "twine",
        "build",
        "hatch",
        "pdm",
        "poetry",
        "uv",
        "wheel",
        "sphinx",
        "mkdocs",
        "mkdocs-material",
        "mkdocstrings",
        "pdoc",
        "ipython",
        "ipykernel",
        "ipdb",
        "pdbpp",
        "jupyter",
        "jupyterlab",
        "notebook",
        "nbstripout",
        "nbqa",
        "autopep8",
        "yapf",
        "pydocstyle",
        "pycodestyle",
        "pyflakes",
        "codespell",
        "commitizen",
        "bump2version",
        "bump-my-version",
        "towncrier",
        "vulture",
        "radon",
        "xenon",
        "deptry",
        "fawltydeps",
        "pyupgrade",
        "autoflake",
        "docformatter",
        "interrogate",
        "safety",
        "debugpy",
        "memray",
        "py-spy",
        "scalene",
        "line-profiler",
        "snakeviz",
        "pipdeptree",
        "virtualenv",
        "import-linter",
        "semgrep",
        "detect-secrets",
        "gitlint",
        "yamllint",
        "sqlfluff",
        "djlint",
        "python-lsp-server",
        "rope",
        "pytest",
        "locust",
        "pyinstrument",
        "tox-uv",
        "nox-uv",
        "check-manifest",
        "setuptools-scm",
        "pip",
    ]
)
_DEV_PREFIXES = (
    "pytest-",
    "flake8-",
    "pylint-",
    "sphinx-",
    "sphinxcontrib-",
    "mkdocs-",
    "types-",
    "mypy-boto3-",
    "jupyterlab-",
    "pre-commit-",
)
_DEV_GROUP_NAMES = frozenset(
    {
        "dev",
        "develop",
        "development",
        "test",
        "tests",
        "testing",
        "lint",
        "linting",
        "docs",
        "doc",
        "typing",
        "types",
        "style",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleHit:
    """A distribution a rule says is needed, the rule's name, and where it applies.

    Exactly one of ``tier`` (fixed), ``file`` (the tier of that project file) and
    ``follows`` (the tier of that distribution) is set. ``strong`` hits on an
    undeclared distribution are worth reporting as missing.
    """

    name: NormalizedName
    rule: str
    detail: str
    where: str | None = None
    tier: Tier | None = None
    file: str | None = None
    follows: NormalizedName | None = None
    strong: bool = False


def is_dev_group(group: str) -> bool:
    """Whether a declared group (``main``, ``extra:NAME``, ``group:NAME``, ``dev``) is
    developer-only: any PEP 735 dependency group, or an extra named like one."""
    kind, _, name = group.partition(":")
    if kind == "group":
        return True
    if kind == "extra":
        return N(name) in _DEV_GROUP_NAMES
    return N(group) in _DEV_GROUP_NAMES


def apply_rules(
    *,
    declared: Mapping[NormalizedName, str],
    imports: Sequence[ImportRecord],
    references: Sequence[Reference],
    modules: ModuleMap,
    is_own: Callable[[str, str], bool],
    dev_file: Callable[[str], bool],
) -> list[RuleHit]:
    """Every rule hit for the project.

    ``declared`` maps each declared distribution to its group; ``is_own(module,
    file)`` says whether a module is first-party or stdlib (not a dependency);
    ``dev_file(path)`` whether a file is developer-only.
    """
    hits: list[RuleHit] = []
    hits.extend(_command_hits(references, modules, is_own, dev_file, declared))
    hits.extend(_db_hits(references, declared))
    hits.extend(_django_hits(references, modules, is_own))
    hits.extend(_implied_hits(imports))
    hits.extend(_name_hits(declared))
    hits.extend(
        RuleHit(
            name=hit.name,
            rule=hit.rule,
            detail=hit.detail,
            where=hit.where,
            tier=hit.tier,
            file=None if hit.tier is not None else hit.file,
            strong=hit.strong,
        )
        for hit in indirect_hits(references, declared)
    )
    return hits


def _command_hits(
    references: Iterable[Reference],
    modules: ModuleMap,
    is_own: Callable[[str, str], bool],
    dev_file: Callable[[str], bool],
    declared: Mapping[NormalizedName, str],
) -> Iterable[RuleHit]:
    for ref in references:
        if ref.kind != "command":
            continue
        words = split_command(ref.value)
        if not words:
            continue
        tier = Tier.DEV if dev_file(ref.file) else Tier.BASE
        program = PurePosixPath(words[0]).name
        if re.fullmatch(r"python(?:\d+(?:\.\d+)?)?", program) and "-m" in words[1:]:
            index = words.index("-m")
            if index + 1 < len(words):
                module = words[index + 1].strip()
                if module and not module.startswith("-") and not is_own(module, ref.file):
                    resolution = modules.resolve(module)
                    yield RuleHit(
                        name=resolution.best,
                        rule="command",
                        detail=f"python -m {module}",
                        where=ref.where,
                        tier=tier,
                        strong=True,
                    )
        elif program in COMMANDS:
            choices = [N(n) for n in COMMAND_PROVIDERS.get(program, ())]
            yield RuleHit(
                name=next((n for n in choices if n in declared), N(COMMANDS[program])),
                rule="command",
                detail=program,
                where=ref.where,
                tier=tier,
                strong=True,
            )
        for flag, value in itertools.pairwise(words):
            # gunicorn -k uvicorn.workers.UvicornWorker, --worker-class gevent
            if flag in ("-k", "--worker-class") and "." in value:
                module = value.rsplit(".", 1)[0]
                if not is_own(module, ref.file):
                    yield RuleHit(
                        name=modules.resolve(module).best,
                        rule="command",
                        detail=f"{program} {flag} {value}",
                        where=ref.where,
                        tier=tier,
                        strong=True,
                    )


def _db_hits(
    references: Iterable[Reference], declared: Mapping[NormalizedName, str]
) -> Iterable[RuleHit]:
    for ref in references:
        if ref.kind != "sqlalchemy-url":
            continue
        dialect, _, driver = ref.value.partition("+")
        if driver:
            names = tuple(N(n) for n in DB_DRIVERS.get(driver, (driver,)))
            chosen = [n for n in names if n in declared] or [names[0]]
            for name in chosen:
                yield RuleHit(
                    name=name,
                    rule="sqlalchemy-url",
                    detail=ref.value,
                    where=ref.where,
                    file=ref.file,
                    strong=True,
                )
        else:
            for name in (N(n) for n in DIALECT_DRIVERS.get(dialect, ())):
                if name in declared:
                    yield RuleHit(
                        name=name,
                        rule="sqlalchemy-url",
                        detail=f"{dialect}://",
                        where=ref.where,
                        file=ref.file,
                    )


def _django_hits(
    references: Iterable[Reference], modules: ModuleMap, is_own: Callable[[str, str], bool]
) -> Iterable[RuleHit]:
    for ref in references:
        if ref.kind == "django-app" and not is_own(ref.value, ref.file):
            resolution = modules.resolve(ref.value)
            yield RuleHit(
                name=resolution.best,
                rule="django-installed-apps",
                detail=ref.value,
                where=ref.where,
                file=ref.file,
                strong=bool(resolution.declared),
            )


def _implied_hits(imports: Iterable[ImportRecord]) -> Iterable[RuleHit]:
    for record in imports:
        if record.is_ignored() or record.typing_only:
            continue
        for module, names, dist, rule in IMPLIED_BY_IMPORT:
            if record.module != module:
                continue
            used = set(record.names)
            if names is None or used & names:
                shown = ", ".join(sorted(used & names)) if names else "*"
                yield RuleHit(
                    name=N(dist),
                    rule=rule,
                    detail=f"from {module} import {shown}",
                    where=record.where,
                    file=record.file,
                    strong=not record.optional,
                )


def _name_hits(declared: Mapping[NormalizedName, str]) -> Iterable[RuleHit]:
    for name, group in declared.items():
        if name.startswith("pytest-") or name in ("pytest", "coverage"):
            yield RuleHit(name=name, rule="pytest-plugin", detail=name, tier=Tier.DEV)
        elif name.startswith(("types-", "mypy-boto3-")) or name.endswith("-stubs"):
            yield RuleHit(name=name, rule="type-stubs", detail=name, tier=Tier.DEV)
        elif name in DEV_TOOLS or name.startswith(_DEV_PREFIXES):
            yield RuleHit(name=name, rule="dev-tool", detail=name, tier=Tier.DEV)
        elif _SPACY_MODEL.match(name):
            yield RuleHit(name=name, rule="spacy-model", detail=name, follows=N("spacy"))
        else:
            for parent, followers in FOLLOWERS.items():
                if name in followers and N(parent) in declared:
                    yield RuleHit(
                        name=name,
                        rule="add-on",
                        detail=f"loaded by {parent}",
                        follows=N(parent),
                    )
        if is_dev_group(group):
            yield RuleHit(name=name, rule="dev-group", detail=f"declared in {group}", tier=Tier.DEV)
