"""Indirect uses: distributions a project uses without importing them (data + pure code).

One table, :data:`INDIRECT_USES`, of the ways a declared distribution is switched on
from outside the code: an environment variable (``HF_HUB_ENABLE_HF_TRANSFER=1`` makes
huggingface_hub load hf-transfer), a URL scheme a library dispatches on (a Celery/kombu
broker ``redis://``), or a name that is a plugin by itself (pytest plugins loaded
through entry points). :func:`indirect_references` finds the triggers in text (Python
sources, ``.env``, Dockerfiles, compose and shell files); :func:`indirect_hits` turns
them into rule hits. Console commands, SQLAlchemy drivers, Django apps and add-ons keep
their own tables in :mod:`depslim.scan.rules`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from packaging.utils import NormalizedName, canonicalize_name

from depslim.scan.records import Reference
from depslim.scan.refs import url_matches
from depslim.scan.roles import Tier

__all__ = ["INDIRECT_USES", "IndirectUse", "indirect_hits", "indirect_references"]


@dataclass(frozen=True, slots=True, kw_only=True)
class IndirectUse:
    """One row: ``kind`` is ``env`` (``key`` is the variable, ``values`` the settings
    that switch the plugin on, empty: any non-false value), ``url-scheme`` (``key`` is
    the scheme before ``://``) or ``plugin-name`` (``key`` is the declared name).
    ``dists`` can serve it, preferred first; ``strong`` rows report an undeclared
    distribution as missing (switching the plugin on without it fails at run time)."""

    kind: str
    key: str
    dists: tuple[str, ...]
    rule: str
    values: tuple[str, ...] = ()
    strong: bool = False
    tier: Tier | None = None


INDIRECT_USES: tuple[IndirectUse, ...] = (
    # huggingface_hub / transformers / datasets downloads
    IndirectUse(
        kind="env",
        key="HF_HUB_ENABLE_HF_TRANSFER",
        dists=("hf-transfer",),
        rule="env-plugin",
        strong=True,
    ),
    IndirectUse(kind="env", key="HF_XET_HIGH_PERFORMANCE", dists=("hf-xet",), rule="env-plugin"),
    # uvicorn's event loop and HTTP parser chosen by environment (UVICORN_* = --loop/--http)
    IndirectUse(
        kind="env",
        key="UVICORN_LOOP",
        values=("uvloop",),
        dists=("uvloop",),
        rule="env-plugin",
        strong=True,
    ),
    IndirectUse(
        kind="env",
        key="UVICORN_HTTP",
        values=("httptools",),
        dists=("httptools",),
        rule="env-plugin",
        strong=True,
    ),
    # Keras 3 backend
    IndirectUse(
        kind="env",
        key="KERAS_BACKEND",
        values=("jax",),
        dists=("jax",),
        rule="env-plugin",
        strong=True,
    ),
    IndirectUse(
        kind="env",
        key="KERAS_BACKEND",
        values=("torch",),
        dists=("torch",),
        rule="env-plugin",
        strong=True,
    ),
    IndirectUse(
        kind="env",
        key="KERAS_BACKEND",
        values=("tensorflow",),
        dists=("tensorflow", "tensorflow-cpu"),
        rule="env-plugin",
        strong=True,
    ),
    # pytest plugins named in PYTEST_PLUGINS / PYTEST_ADDOPTS are loaded by pytest
    IndirectUse(
        kind="env",
        key="PYTEST_PLUGINS",
        values=("xdist",),
        dists=("pytest-xdist",),
        rule="pytest-plugin",
        tier=Tier.DEV,
    ),
    # Celery / kombu broker and result-backend transports, chosen by URL scheme
    IndirectUse(kind="url-scheme", key="redis", dists=("redis",), rule="broker-url"),
    IndirectUse(kind="url-scheme", key="rediss", dists=("redis",), rule="broker-url"),
    IndirectUse(kind="url-scheme", key="sentinel", dists=("redis",), rule="broker-url"),
    IndirectUse(kind="url-scheme", key="amqp", dists=("amqp", "librabbitmq"), rule="broker-url"),
    IndirectUse(kind="url-scheme", key="pyamqp", dists=("amqp",), rule="broker-url"),
    IndirectUse(kind="url-scheme", key="librabbitmq", dists=("librabbitmq",), rule="broker-url"),
    IndirectUse(kind="url-scheme", key="sqs", dists=("boto3", "pycurl"), rule="broker-url"),
    IndirectUse(kind="url-scheme", key="mongodb", dists=("pymongo",), rule="broker-url"),
    IndirectUse(
        kind="url-scheme", key="memcached", dists=("pylibmc", "python-memcached"), rule="broker-url"
    ),
    IndirectUse(kind="url-scheme", key="zookeeper", dists=("kazoo",), rule="broker-url"),
    IndirectUse(
        kind="url-scheme", key="confluentkafka", dists=("confluent-kafka",), rule="broker-url"
    ),
    # pytest plugins that pytest loads through their entry point, named unlike pytest-*
    IndirectUse(
        kind="plugin-name", key="syrupy", dists=("syrupy",), rule="pytest-plugin", tier=Tier.DEV
    ),
    IndirectUse(
        kind="plugin-name",
        key="time-machine",
        dists=("time-machine",),
        rule="pytest-plugin",
        tier=Tier.DEV,
    ),
    IndirectUse(
        kind="plugin-name",
        key="inline-snapshot",
        dists=("inline-snapshot",),
        rule="pytest-plugin",
        tier=Tier.DEV,
    ),
    IndirectUse(
        kind="plugin-name", key="nbval", dists=("nbval",), rule="pytest-plugin", tier=Tier.DEV
    ),
    IndirectUse(
        kind="plugin-name", key="xdoctest", dists=("xdoctest",), rule="pytest-plugin", tier=Tier.DEV
    ),
)

_ENV_KEYS = sorted({row.key for row in INDIRECT_USES if row.kind == "env"})
# KEY=VALUE, KEY: VALUE, ENV KEY VALUE, environ["KEY"] = "VALUE", setdefault("KEY", "VALUE")
_ENV_RE = re.compile(
    r"(?<![\w])(" + "|".join(_ENV_KEYS) + r")(?![\w])[\"'\]]*"
    r"(?:\s*[=:,]\s*|[ \t]+)[\"']?([^\s\"',)#]*)"
)
_SCHEMES = sorted({row.key for row in INDIRECT_USES if row.kind == "url-scheme"})
_SCHEME_RE = re.compile(r"(?<![\w+.-])(" + "|".join(_SCHEMES) + r")://")
_FALSE = frozenset({"", "0", "false", "no", "off", "none"})


def indirect_references(text: str, *, file: str) -> tuple[Reference, ...]:
    """The environment settings (``env``, ``KEY=value``) and URL schemes
    (``url-scheme``) of :data:`INDIRECT_USES` found in ``text``."""
    out: list[Reference] = []
    if any(key in text for key in _ENV_KEYS):
        line, last = 1, 0
        for match in _ENV_RE.finditer(text):
            line += text.count("\n", last, match.start())  # linear: count from the last hit
            last = match.start()
            value = f"{match.group(1)}={match.group(2)}"
            out.append(Reference(kind="env", value=value, file=file, line=line))
    if "://" in text:
        line, last = 1, 0
        for match in url_matches(_SCHEME_RE, text):
            line += text.count("\n", last, match.start())
            last = match.start()
            out.append(Reference(kind="url-scheme", value=match.group(1), file=file, line=line))
    return tuple(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class IndirectHit:
    """A distribution an indirect use asks for (see :class:`~depslim.scan.rules.RuleHit`)."""

    name: NormalizedName
    rule: str
    detail: str
    where: str | None
    file: str | None
    tier: Tier | None
    strong: bool


def _matches(row: IndirectUse, ref: Reference) -> bool:
    if row.kind == "url-scheme":
        return ref.kind == "url-scheme" and ref.value == row.key
    if row.kind != "env" or ref.kind != "env":
        return False
    key, _, value = ref.value.partition("=")
    if key != row.key:
        return False
    value = value.strip().lower()
    if row.values:
        return any(v in re.split(r"[\s,]+", value) for v in row.values)
    return value not in _FALSE


def indirect_hits(
    references: Iterable[Reference], declared: Mapping[NormalizedName, str]
) -> list[IndirectHit]:
    """Hits for every table row a reference (or a declared name) triggers: the declared
    members of the row's distributions, else its preferred one (reported as missing
    only for ``strong`` rows)."""
    out: list[IndirectHit] = []
    for row in INDIRECT_USES:
        names = [canonicalize_name(n) for n in row.dists]
        if row.kind == "plugin-name":
            name = canonicalize_name(row.key)
            if name in declared:
                out.append(
                    IndirectHit(
                        name=name,
                        rule=row.rule,
                        detail=f"{row.key} is a pytest plugin",
                        where=None,
                        file=None,
                        tier=row.tier,
                        strong=False,
                    )
                )
            continue
        for ref in references:
            if not _matches(row, ref):
                continue
            chosen = [n for n in names if n in declared]
            for name in chosen or names[:1]:
                detail = ref.value if ref.kind == "env" else f"{ref.value}://"
                out.append(
                    IndirectHit(
                        name=name,
                        rule=row.rule,
                        detail=detail,
                        where=ref.where,
                        file=ref.file,
                        tier=row.tier,
                        strong=row.strong and not chosen,
                    )
                )
    return out
