"""Dependencies named in strings: database URLs, Django apps, console commands.

Pure functions from text to :class:`~depslim.scan.records.Reference`; the rules in
:mod:`depslim.scan.rules` turn them into placements. Low confidence by nature: they
are evidence, never imports.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Iterator

from depslim.scan.records import Reference

__all__ = [
    "commands",
    "django_apps",
    "dockerfile_commands",
    "split_command",
    "sqlalchemy_urls",
    "url_matches",
]

SQLALCHEMY_DIALECTS = (
    "postgresql",
    "postgres",
    "mysql",
    "mariadb",
    "sqlite",
    "oracle",
    "mssql",
    "cockroachdb",
    "redshift",
    "snowflake",
    "clickhouse",
    "trino",
    "duckdb",
)
_URL_RE = re.compile(
    r"(?<![\w+.-])(" + "|".join(SQLALCHEMY_DIALECTS) + r")(\+[A-Za-z0-9_]+)?://", re.IGNORECASE
)
_DJANGO_DB_RE = re.compile(r"django\.db\.backends\.(postgresql|mysql|oracle)(?:_psycopg2)?()\b")
_ENV_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_WRAPPERS = frozenset(
    {
        "exec",
        "sudo",
        "nohup",
        "env",
        "time",
        "command",
        "su-exec",
        "gosu",
        "tini",
        "dumb-init",
        "--",
    }
)
# RUN is build time; only what the container runs counts.
_DOCKER_INSTRUCTIONS = ("CMD", "ENTRYPOINT")


def sqlalchemy_urls(text: str, *, file: str) -> tuple[Reference, ...]:
    """Database URLs (``dialect[+driver]://``, ``value`` is ``dialect[+driver]``) and
    Django ``ENGINE`` strings (``django.db.backends.postgresql`` → ``postgresql``)."""
    out: list[Reference] = []
    for regex, needle in ((_URL_RE, "://"), (_DJANGO_DB_RE, "django.db.backends")):
        line, last = 1, 0
        for match in _near(regex, text, needle):
            line += text.count("\n", last, match.start())
            last = match.start()
            value = match.group(1).lower() + (match.group(2) or "").lower()
            out.append(Reference(kind="sqlalchemy-url", value=value, file=file, line=line))
    return tuple(out)


def url_matches(regex: re.Pattern[str], text: str, needle: str = "://") -> list[re.Match[str]]:
    """``regex`` matches in ``text``, searched only around each ``needle`` (a regex
    with a leading alternation is slow over a whole file; ``://`` is rare)."""
    return list(_near(regex, text, needle))


def _near(regex: re.Pattern[str], text: str, needle: str) -> Iterator[re.Match[str]]:
    start = text.find(needle)
    done = 0
    while start != -1:
        lo = max(done, start - 64)
        line_start = text.rfind("\n", 0, lo) + 1 if lo > done else lo
        hi = start + len(needle) + 64
        for match in regex.finditer(text, max(line_start, done), hi):
            if match.start() >= done:
                yield match
                done = match.end()
        done = max(done, start + len(needle))
        start = text.find(needle, done)


def django_apps(entries: Iterable[tuple[str, int]], *, file: str) -> list[Reference]:
    """``INSTALLED_APPS`` strings as references to the modules they name."""
    out: list[Reference] = []
    for value, line in entries:
        module = value.strip()
        if module and all(part.isidentifier() for part in module.split(".")):
            out.append(Reference(kind="django-app", value=module, file=file, line=line))
    return out


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Lines with backslash continuations joined, each with its first line number."""
    buffer: list[str] = []
    start = 1
    for number, raw in enumerate(text.splitlines(), start=1):
        if not buffer:
            start = number
        stripped = raw.rstrip()
        if stripped.endswith("\\"):
            buffer.append(stripped[:-1])
            continue
        buffer.append(stripped)
        yield start, " ".join(part.strip() for part in buffer)
        buffer = []
    if buffer:
        yield start, " ".join(part.strip() for part in buffer)


def _exec_form(rest: str) -> str:
    """A Docker exec-form ``["a", "b"]`` as a shell line; shell form unchanged."""
    rest = rest.strip()
    if rest.startswith("[") and rest.endswith("]"):
        items = re.findall(r'"((?:[^"\\]|\\.)*)"', rest)
        if items:
            return " ".join(shlex.quote(item) if " " in item else item for item in items)
    return rest


def dockerfile_commands(text: str, *, file: str, kind: str = "command") -> tuple[Reference, ...]:
    """Commands of a Dockerfile's ``CMD`` and ``ENTRYPOINT`` instructions."""
    out: list[Reference] = []
    for line, logical in _logical_lines(text):
        head, _, rest = logical.strip().partition(" ")
        if head.upper() in _DOCKER_INSTRUCTIONS and rest.strip():
            shell = _exec_form(rest)
            out.extend(
                Reference(kind=kind, value=segment, file=file, line=line)
                for segment in _segments(shell)
            )
    return tuple(out)


def commands(
    text: str, *, file: str, style: str = "shell", kind: str = "command"
) -> tuple[Reference, ...]:
    """Commands in a Procfile (``style="procfile"``), a compose file's ``command:``
    lines (``"compose"``) or a shell script / Makefile recipe (``"shell"``)."""
    out: list[Reference] = []
    for line, logical in _logical_lines(text):
        stripped = logical.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if style == "procfile":
            _, sep, stripped = stripped.partition(":")
            if not sep:
                continue
        elif style == "compose":
            key, sep, rest = stripped.lstrip("- ").partition(":")
            if not sep or key.strip() not in ("command", "entrypoint"):
                continue
            stripped = _exec_form(rest.strip().strip("'\""))
        out.extend(
            Reference(kind=kind, value=segment, file=file, line=line)
            for segment in _segments(stripped)
        )
    return tuple(out)


def _segments(shell: str) -> Iterator[str]:
    for part in re.split(r"&&|\|\||;|\|", shell):
        words = split_command(part)
        if words:
            yield " ".join(words)


def split_command(command: str) -> list[str]:
    """The words of one simple command, without env assignments and wrappers
    (``exec``, ``sudo``, ``env``, ``tini --``, …)."""
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        words = command.split()
    while words and (words[0] in _WRAPPERS or _ENV_ASSIGN.match(words[0])):
        words.pop(0)
    return words
