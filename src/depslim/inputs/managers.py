"""Read the dependency tables of Poetry, PDM, uv and Rye into PEP 508 requirements.

- Poetry: ``[tool.poetry.dependencies]`` (the project's own, used when ``[project]``
  does not list ``dependencies``), ``[tool.poetry.group.NAME.dependencies]``, the legacy
  ``[tool.poetry.dev-dependencies]`` (group ``dev``) and ``[tool.poetry.extras]`` over
  the ``optional = true`` dependencies. Version constraints in Poetry's syntax (caret
  ``^1.2``, tilde ``~1.2``, wildcards ``1.*``, bare ``1.2.3``) become PEP 440 specifiers;
  ``python``, ``platform`` and ``markers`` become one marker; ``extras`` are kept;
  ``git`` / ``url`` / ``path`` forms become direct references (``name @ git+…@ref``).
- PDM: ``[tool.pdm.dev-dependencies]``, a table of group name → requirement strings.
- uv and Rye: ``[tool.uv] dev-dependencies`` / ``[tool.rye] dev-dependencies`` (group
  ``dev``); uv's ``constraint-dependencies`` and ``override-dependencies`` as lists.

Anything in these tables written in a form depslim does not read raises
:class:`~depslim.errors.InputError` naming the file, line, table and key, so a project is
never locked to fewer packages than it declares. Pure: text in, values out.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from depslim.errors import InputError
from depslim.models import InputRequirement, Location

__all__ = ["ManagerTables", "poetry_specifier", "read_manager_tables", "select"]


def _frozen(value: Mapping[str, tuple[InputRequirement, ...]] | None = None) -> Any:
    return MappingProxyType(dict(value or {}))


@dataclass(frozen=True, slots=True, kw_only=True)
class ManagerTables:
    """What the package managers' own tables of one ``pyproject.toml`` declare.

    ``dependencies`` are Poetry's main dependencies (empty when ``[project]`` lists its
    own); ``extras`` and ``groups`` are keyed by normalized name; ``requires_python`` is
    Poetry's ``python`` constraint; ``constraints`` (marked ``constraint=True``) and
    ``overrides`` are uv's. ``tables`` names every table read, ``notes`` what was read
    but has no effect in depslim (for the output).
    """

    dependencies: tuple[InputRequirement, ...] = ()
    extras: Mapping[str, tuple[InputRequirement, ...]] = field(default_factory=_frozen)
    groups: Mapping[str, tuple[InputRequirement, ...]] = field(default_factory=_frozen)
    requires_python: SpecifierSet | None = None
    constraints: tuple[InputRequirement, ...] = ()
    overrides: tuple[InputRequirement, ...] = ()
    tables: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def select(
    tables: ManagerTables,
    *,
    extras: tuple[str, ...] | list[str] = (),
    groups: tuple[str, ...] | list[str] = (),
    all_extras: bool = False,
) -> tuple[InputRequirement, ...]:
    """The main dependencies plus the named extras and groups these tables declare.

    Names not declared here are skipped: the caller looks them up in ``[project]`` and
    ``[dependency-groups]`` and reports the ones found nowhere.
    """
    out = list(tables.dependencies)
    chosen = list(tables.extras) if all_extras else [canonicalize_name(e) for e in extras]
    for name in dict.fromkeys(chosen):
        out.extend(tables.extras.get(name, ()))
    for name in dict.fromkeys(canonicalize_name(g) for g in groups):
        out.extend(tables.groups.get(name, ()))
    return tuple(out)


def read_manager_tables(text: str, *, path: Path) -> ManagerTables:
    """Read Poetry's, PDM's, uv's and Rye's dependency tables from a ``pyproject.toml``.

    Raises :class:`InputError` (file, line, table, key, what to write instead) for
    invalid TOML and for every entry in a form depslim does not read.
    """
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: invalid TOML: {exc}; fix the syntax there") from None
    reader = _Reader(text, path)
    builder = _Builder()
    tool = data.get("tool")
    tool = tool if isinstance(tool, dict) else {}
    _flit(tool, reader)
    builder.notes = reader.notes
    project = data.get("project")
    project = project if isinstance(project, dict) else {}
    if isinstance(tool.get("poetry"), dict):
        _poetry(tool["poetry"], project, reader, builder)
    if isinstance(tool.get("pdm"), dict):
        _pdm(tool["pdm"], reader, builder)
    for manager in ("uv", "rye"):
        if isinstance(tool.get(manager), dict):
            _uv(manager, tool[manager], reader, builder)
    return builder.build()


# --- locating entries -------------------------------------------------------------------


class _Reader:
    """Finds where a table or key is written, for error messages and origins."""

    __slots__ = ("notes", "path", "text")

    def __init__(self, text: str, path: Path) -> None:
        self.text = text
        self.path = path
        self.notes: list[str] = []

    def _line(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def _header(self, dotted: str) -> int | None:
        parts = r"\s*\.\s*".join(rf"[\"']?{re.escape(p)}[\"']?" for p in dotted.split("."))
        match = re.search(rf"^\s*\[\s*{parts}\s*\]", self.text, re.MULTILINE)
        return None if match is None else match.start()

    def at(self, table: str, key: str | None = None) -> Location:
        """Where ``key`` of ``[table]`` is written (else the table's header, else the file)."""
        start = self._header(table)
        if key is not None:
            pattern = rf"^\s*[\"']?{re.escape(key)}[\"']?\s*="
            found = re.compile(pattern, re.MULTILINE).search(self.text, start or 0)
            if found is not None:
                return Location(path=str(self.path), line=self._line(found.start()))
        if start is not None:
            return Location(path=str(self.path), line=self._line(start))
        return Location(path=str(self.path))

    def fail(self, table: str, key: str | None, message: str) -> InputError:
        where = self.at(table, key)
        named = f"[{table}]" + (f" {key}" if key else "")
        return InputError(f"{where}: {named}: {message}")


class _Builder:
    __slots__ = (
        "constraints",
        "dependencies",
        "extras",
        "groups",
        "notes",
        "overrides",
        "requires_python",
        "tables",
    )

    def __init__(self) -> None:
        self.dependencies: list[InputRequirement] = []
        self.extras: dict[str, list[InputRequirement]] = {}
        self.groups: dict[str, list[InputRequirement]] = {}
        self.requires_python: SpecifierSet | None = None
        self.constraints: list[InputRequirement] = []
        self.overrides: list[InputRequirement] = []
        self.tables: list[str] = []
        self.notes: list[str] = []

    def build(self) -> ManagerTables:
        return ManagerTables(
            dependencies=tuple(self.dependencies),
            extras=_frozen({k: tuple(v) for k, v in self.extras.items()}),
            groups=_frozen({k: tuple(v) for k, v in self.groups.items()}),
            requires_python=self.requires_python,
            constraints=tuple(self.constraints),
            overrides=tuple(self.overrides),
            tables=tuple(self.tables),
            notes=tuple(self.notes),
        )


# --- Poetry ------------------------------------------------------------------------------

_POETRY_KEYS = frozenset(
    {
        "version",
        "python",
        "platform",
        "markers",
        "extras",
        "optional",
        "allow-prereleases",
        "source",
        "git",
        "branch",
        "tag",
        "rev",
        "subdirectory",
        "url",
        "path",
        "develop",
    }
)


def _poetry(
    poetry: dict[str, Any], project: dict[str, Any], reader: _Reader, out: _Builder
) -> None:
    table = "tool.poetry.dependencies"
    main = poetry.get("dependencies")
    optional: dict[str, list[InputRequirement]] = {}
    if main is not None:
        if not isinstance(main, dict):
            raise reader.fail(table, None, "must be a table of name = constraint")
        dynamic = project.get("dynamic")
        from_project = "dependencies" in project and not (
            isinstance(dynamic, list) and "dependencies" in dynamic
        )
        out.tables.append(f"[{table}]")
        for key, value in main.items():
            if canonicalize_name(key) == "python":
                out.requires_python = _python_constraint(value, reader, table)
                continue
            for item, is_optional in _poetry_entry(key, value, reader, table):
                if is_optional:
                    optional.setdefault(canonicalize_name(key), []).append(item)
                elif not from_project:
                    out.dependencies.append(item)
        if from_project and any(canonicalize_name(k) != "python" for k in main):
            out.notes.append(
                f"{reader.path}: [project] dependencies is read; the versions in [{table}] "
                "only add details for Poetry and are not used"
            )
    _poetry_extras(poetry.get("extras"), optional, reader, out)
    legacy = poetry.get("dev-dependencies")
    if legacy is not None:
        _poetry_group("dev", legacy, "tool.poetry.dev-dependencies", reader, out)
    groups = poetry.get("group")
    if groups is None:
        return
    if not isinstance(groups, dict):
        raise reader.fail("tool.poetry", "group", "must be a table of [tool.poetry.group.NAME]")
    for name, group in groups.items():
        where = f"tool.poetry.group.{name}"
        if not isinstance(group, dict):
            raise reader.fail(where, None, "must be a table with a dependencies table")
        unknown = sorted(set(group) - {"dependencies", "optional", "include-groups"})
        if unknown:
            raise reader.fail(where, unknown[0], "is not a key of a Poetry group depslim reads")
        for included in group.get("include-groups", []):
            out.groups.setdefault(canonicalize_name(name), []).extend(
                _poetry_included(str(included), groups, reader, where, (name,))
            )
        if "dependencies" in group:
            _poetry_group(name, group["dependencies"], f"{where}.dependencies", reader, out)


def _poetry_included(
    name: str,
    groups: dict[str, Any],
    reader: _Reader,
    where: str,
    chain: tuple[str, ...],
) -> list[InputRequirement]:
    """The requirements of group ``name`` and of the groups it includes (Poetry 2)."""
    if name in chain:
        raise reader.fail(where, "include-groups", f"groups include each other: {name}")
    group = groups.get(name)
    if not isinstance(group, dict):
        raise reader.fail(where, "include-groups", f"includes unknown group '{name}'")
    out: list[InputRequirement] = []
    for inner in group.get("include-groups", []):
        out.extend(_poetry_included(str(inner), groups, reader, where, (*chain, name)))
    table = f"tool.poetry.group.{name}.dependencies"
    for key, value in (group.get("dependencies") or {}).items():
        out.extend(item for item, _ in _poetry_entry(key, value, reader, table))
    return out


def _poetry_group(name: str, value: object, table: str, reader: _Reader, out: _Builder) -> None:
    if not isinstance(value, dict):
        raise reader.fail(table, None, "must be a table of name = constraint")
    out.tables.append(f"[{table}]")
    group = out.groups.setdefault(canonicalize_name(name), [])
    for key, spec in value.items():
        if canonicalize_name(key) == "python":
            raise reader.fail(table, key, "python belongs in [tool.poetry.dependencies] only")
        group.extend(item for item, _ in _poetry_entry(key, spec, reader, table))


def _poetry_extras(
    extras: object,
    optional: dict[str, list[InputRequirement]],
    reader: _Reader,
    out: _Builder,
) -> None:
    table = "tool.poetry.extras"
    if extras is None:
        return
    if not isinstance(extras, dict):
        raise reader.fail(table, None, 'must be a table of extra = ["dependency", ...]')
    out.tables.append(f"[{table}]")
    for extra, names in extras.items():
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise reader.fail(table, extra, "must be an array of dependency names")
        chosen = out.extras.setdefault(canonicalize_name(extra), [])
        for name in names:
            items = optional.get(canonicalize_name(name))
            if items is None:
                raise reader.fail(
                    table,
                    extra,
                    f"names '{name}', which [tool.poetry.dependencies] does not declare "
                    "with optional = true; declare it there",
                )
            chosen.extend(items)


def _poetry_entry(
    key: str, value: object, reader: _Reader, table: str
) -> list[tuple[InputRequirement, bool]]:
    """One dependency (a constraint, a table or a list of tables) as requirements."""
    if isinstance(value, list):
        if not value:
            raise reader.fail(table, key, "an empty list declares nothing; remove it")
        return [_poetry_one(key, item, reader, table) for item in value]
    return [_poetry_one(key, value, reader, table)]


def _poetry_one(
    key: str, value: object, reader: _Reader, table: str
) -> tuple[InputRequirement, bool]:
    where = reader.at(table, key)
    if isinstance(value, str):
        value = {"version": value}
    if not isinstance(value, dict):
        raise reader.fail(
            table,
            key,
            f'{value!r} is not a constraint; write "^1.2" or {{ version = "^1.2", ... }}',
        )
    for unused, why in (
        ("source", "depslim takes each project from the index its options bind it to"),
        ("allow-prereleases", "pass --pre to depslim to allow pre-releases"),
    ):
        if unused in value:
            reader.notes.append(
                f"{where}: [{table}] {key}: {unused} = {value[unused]!r} is not used; {why}"
            )
    unknown = sorted(set(value) - _POETRY_KEYS)
    if unknown:
        raise reader.fail(
            table,
            key,
            f"'{unknown[0]}' is a form depslim does not read; write the dependency with "
            f"version, python, platform, markers, extras, optional, git, url or path",
        )
    sources = [k for k in ("git", "url", "path") if k in value]
    if len(sources) > 1 or (sources and "version" in value):
        raise reader.fail(table, key, "give one of version, git, url or path")
    if not sources and "version" not in value:
        raise reader.fail(table, key, 'has no version; write version = "*" for any version')
    extras = value.get("extras", [])
    if not isinstance(extras, list) or not all(isinstance(e, str) for e in extras):
        raise reader.fail(table, key, 'extras must be an array of names, e.g. ["socks"]')
    name = key + (f"[{','.join(extras)}]" if extras else "")
    marker = _poetry_marker(value, reader, table, key)
    path: str | None = None
    if sources:
        reference, path = _direct_reference(value, reader, table, key)
        text = f"{name} @ {reference}"
        if marker:
            text += f" ; {marker}"  # a space before ';' keeps it out of the URL
    else:
        try:
            specifier = poetry_specifier(str(value["version"]))
        except ValueError as exc:
            raise reader.fail(table, key, str(exc)) from None
        text = name + specifier + (f"; {marker}" if marker else "")
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        raise reader.fail(table, key, f"gives the invalid requirement '{text}': {exc}") from None
    item = InputRequirement(
        requirement=requirement,
        origin=where,
        path=path,
        editable=path is not None and value.get("develop") is True,
    )
    return item, value.get("optional") is True


def _poetry_marker(value: dict[str, Any], reader: _Reader, table: str, key: str) -> str:
    parts: list[str] = []
    if "python" in value:
        python = _python_constraint(value["python"], reader, table, key)
        parts.extend(f'python_full_version {s.operator} "{s.version}"' for s in python)
    if "platform" in value:
        platform = value["platform"]
        if not isinstance(platform, str) or not re.fullmatch(r"[\w.-]+", platform):
            raise reader.fail(table, key, 'platform must be a sys.platform value, e.g. "linux"')
        parts.append(f'sys_platform == "{platform}"')
    if "markers" in value:
        markers = value["markers"]
        try:
            parts.append(f"({Marker(str(markers))})")
        except InvalidMarker as exc:
            raise reader.fail(table, key, f"markers: {exc}") from None
    return " and ".join(parts)


def _python_constraint(
    value: object, reader: _Reader, table: str, key: str = "python"
) -> SpecifierSet:
    if not isinstance(value, str):
        raise reader.fail(table, key, 'python must be a constraint string, e.g. "^3.11"')
    try:
        return SpecifierSet(poetry_specifier(value))
    except (ValueError, InvalidSpecifier) as exc:
        raise reader.fail(table, key, f"python: {exc}") from None


_SCP_LIKE = re.compile(r"^(?P<user>[\w.-]+)@(?P<host>[\w.-]+):(?P<path>[^/].*)$")


def _direct_reference(
    value: dict[str, Any], reader: _Reader, table: str, key: str
) -> tuple[str, str | None]:
    """The URL of a git, url or path dependency, and the absolute path of a path one."""
    if "git" in value:
        url = str(value["git"])
        scp = _SCP_LIKE.match(url)
        if scp is not None:  # git@github.com:org/repo.git
            url = f"ssh://{scp['user']}@{scp['host']}/{scp['path']}"
        refs = [str(value[k]) for k in ("rev", "tag", "branch") if k in value]
        if len(refs) > 1:
            raise reader.fail(table, key, "give one of rev, tag or branch")
        text = f"git+{url}" + (f"@{refs[0]}" if refs else "")
        if "subdirectory" in value:
            text += f"#subdirectory={value['subdirectory']}"
        return text, None
    if "url" in value:
        return str(value["url"]), None
    folder = (reader.path.parent / str(value["path"])).resolve()
    return folder.as_uri(), str(folder)


# --- Poetry's constraint syntax ----------------------------------------------------------

_ATOM = re.compile(r"(\^|~=|~|===|==|=|!=|>=|<=|>|<)?\s*([0-9A-Za-z*][0-9A-Za-z.*+!_-]*)")


def poetry_specifier(constraint: str) -> str:
    """A Poetry version constraint as a PEP 440 specifier string (``""`` for any).

    ``^1.2.3`` → ``>=1.2.3,<2.0.0``; ``^0.2`` → ``>=0.2,<0.3``; ``~1.2`` → ``>=1.2,<1.3``;
    ``1.*`` → ``==1.*``; ``1.2.3`` and ``=1.2.3`` → ``==1.2.3``; ``*`` → ``""``;
    PEP 440 operators pass through; clauses joined by commas or spaces all hold.
    Raises :class:`ValueError` saying why for ``||`` (PEP 440 has no "either") and for
    text that is no constraint.
    """
    text = constraint.strip()
    if "|" in text:
        raise ValueError(
            f"'{constraint}' allows either of several ranges ('||'), which a PEP 440 "
            "specifier cannot say; pick one range"
        )
    out: list[str] = []
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            if text:
                raise ValueError(f"'{constraint}' has an empty clause between commas")
            continue
        position = 0
        while position < len(part):
            match = _ATOM.match(part, position)
            if match is None:
                raise ValueError(f"'{constraint}' is not a version constraint")
            out.extend(_clause(match.group(1) or "", match.group(2), constraint))
            position = match.end()
            while position < len(part) and part[position].isspace():
                position += 1
    specifier = ",".join(out)
    try:
        SpecifierSet(specifier)
    except InvalidSpecifier:
        raise ValueError(f"'{constraint}' is not a version constraint") from None
    return specifier


def _clause(operator: str, version: str, constraint: str) -> list[str]:
    if version == "*":
        if operator not in ("", "=", "=="):
            raise ValueError(f"'{constraint}': '*' stands alone or after ==")
        return []
    if "*" in version:
        if operator not in ("", "=", "==", "!="):
            raise ValueError(f"'{constraint}': a wildcard goes with == or != only")
        return [f"{operator if operator == '!=' else '=='}{version}"]
    try:
        parsed = Version(version)
    except InvalidVersion:
        raise ValueError(f"'{constraint}': '{version}' is not a version") from None
    if operator == "^":
        release = list(parsed.release)
        first = next((i for i, n in enumerate(release) if n), len(release) - 1)
        return [f">={version}", f"<{_bump(release, first)}"]
    if operator == "~":
        release = list(parsed.release)
        return [f">={version}", f"<{_bump(release, 1 if len(release) > 1 else 0)}"]
    if operator in ("", "="):
        return [f"=={version}"]
    return [f"{operator}{version}"]


def _bump(release: list[int], index: int) -> str:
    """``release`` with part ``index`` raised by one and the later parts zero."""
    parts = [*release[:index], release[index] + 1]
    parts += [0] * (len(release) - len(parts))
    return ".".join(map(str, parts))


# --- PDM, uv, Rye, flit ------------------------------------------------------------------


def _strings(
    value: object, reader: _Reader, table: str, key: str, *, constraint: bool = False
) -> list[InputRequirement]:
    """An array of PEP 508 strings; editables and options are a form depslim does not read."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise reader.fail(table, key, 'must be an array of requirement strings, e.g. ["pytest"]')
    out: list[InputRequirement] = []
    for text in value:
        if text.lstrip().startswith("-"):
            raise reader.fail(
                table,
                key,
                f"'{text}' is an installer option (an editable or a flag), a form depslim "
                "does not read; write a PEP 508 requirement, or list local projects in a "
                "requirements file as -e PATH",
            )
        try:
            requirement = Requirement(text)
        except InvalidRequirement as exc:
            raise reader.fail(table, key, f"invalid requirement '{text}': {exc}") from None
        out.append(
            InputRequirement(
                requirement=requirement, origin=reader.at(table, key), constraint=constraint
            )
        )
    return out


def _pdm(pdm: dict[str, Any], reader: _Reader, out: _Builder) -> None:
    table = "tool.pdm.dev-dependencies"
    groups = pdm.get("dev-dependencies")
    if groups is None:
        return
    if not isinstance(groups, dict):
        raise reader.fail(table, None, 'must be a table of group = ["requirement", ...]')
    out.tables.append(f"[{table}]")
    for name, value in groups.items():
        out.groups.setdefault(canonicalize_name(name), []).extend(
            _strings(value, reader, table, name)
        )


def _uv(manager: str, uv: dict[str, Any], reader: _Reader, out: _Builder) -> None:
    table = f"tool.{manager}"
    if "dev-dependencies" in uv:
        out.tables.append(f"[{table}] dev-dependencies")
        out.groups.setdefault(canonicalize_name("dev"), []).extend(
            _strings(uv["dev-dependencies"], reader, table, "dev-dependencies")
        )
    if manager != "uv":
        return
    if "constraint-dependencies" in uv:
        out.tables.append(f"[{table}] constraint-dependencies")
        out.constraints.extend(
            _strings(
                uv["constraint-dependencies"],
                reader,
                table,
                "constraint-dependencies",
                constraint=True,
            )
        )
    if "override-dependencies" in uv:
        out.tables.append(f"[{table}] override-dependencies")
        out.overrides.extend(
            _strings(uv["override-dependencies"], reader, table, "override-dependencies")
        )


def _flit(tool: dict[str, Any], reader: _Reader) -> None:
    """Flit's pre-PEP 621 metadata declares dependencies depslim does not read."""
    flit = tool.get("flit")
    metadata = flit.get("metadata") if isinstance(flit, dict) else None
    if isinstance(metadata, dict) and ("requires" in metadata or "requires-extra" in metadata):
        key = "requires" if "requires" in metadata else "requires-extra"
        raise reader.fail(
            "tool.flit.metadata",
            key,
            "flit's old metadata table is a form depslim does not read; move the "
            "requirements to [project] dependencies (flit reads it since 3.2)",
        )
