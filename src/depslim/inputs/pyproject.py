"""Read what a ``pyproject.toml`` declares: dependencies, extras, dependency groups.

``[project] dependencies`` are always taken; ``[project.optional-dependencies]`` as
selected by ``extras`` (or all of them); PEP 735 ``[dependency-groups]`` as selected by
``groups``, following ``{include-group = "..."}`` entries. Extra and group names are
compared normalized (PEP 685 / PEP 735). A requirement on the project itself
(``myapp[test]`` inside ``myapp``'s own extras or groups, the usual way to say "these
other extras too") is replaced by the requirements of the extras it names, with its
marker carried over, since the project is being locked, not fetched from an index.

TOML is read with :mod:`tomllib`, which keeps no positions; each requirement's line
is found again in the text by searching for its quoted string after its table and key,
which is right for every ordinary file and never fails (at worst an error names the
file without a line).
"""

from __future__ import annotations

import json
import re
import tomllib
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from depslim.errors import InputError
from depslim.inputs.checks import check_requirement
from depslim.inputs.files import describe_read_error
from depslim.inputs.managers import read_manager_tables
from depslim.models import InputRequirement, Inputs, Location

if TYPE_CHECKING:
    from depslim.inputs.requirements import Reader

__all__ = ["parse_pyproject", "project_name", "read_tool_table"]


def parse_pyproject(
    text: str,
    *,
    path: Path,
    extras: Sequence[str] = (),
    groups: Sequence[str] = (),
    all_extras: bool = False,
    read: Reader | None = None,
) -> Inputs:
    """The requirements ``text`` (the content of the ``pyproject.toml`` at ``path``) declares.

    Dynamic ``dependencies`` / ``optional-dependencies`` are read when setuptools takes
    them from files (``[tool.setuptools.dynamic] dependencies = {file = [...]}``): those
    are requirements files, read with ``read`` (default: from disk). Raises
    :class:`InputError` naming ``file:line`` for invalid TOML, malformed tables, invalid
    requirements, unknown extras or groups, include cycles between groups, and dynamic
    dependencies any other way (which only a build could tell).
    """
    data = _load(text, path)
    finder = _LineFinder(text)
    reader = _Reader(path=path, finder=finder)
    project = reader.table(data, "project", "[project]")
    dynamic = _dynamic(project, reader)
    self_name = project.get("name")
    own = canonicalize_name(self_name) if isinstance(self_name, str) else None

    wants_extras = bool(extras) or all_extras
    from_files = _setuptools_dynamic(data)
    main_files: list[str] = []
    if "dependencies" in dynamic:
        files = from_files.get("dependencies")
        if not isinstance(files, list):
            reader.fail_dynamic("dependencies")
        main_files = list(files or [])
    extra_files: dict[str, list[str]] = {}
    if "optional-dependencies" in dynamic:
        table = from_files.get("optional-dependencies")
        if isinstance(table, dict):
            extra_files = {k: v for k, v in table.items() if isinstance(v, list)}
        elif wants_extras:
            reader.fail_dynamic("optional-dependencies")

    optional = _optional_dependencies(project, reader)
    for key, names in extra_files.items():
        optional[canonicalize_name(key)] = _Extra(key, _from_files(path, names, read))
    group_table = _dependency_groups(data, reader)
    managers = read_manager_tables(text, path=path)  # Poetry, PDM, uv and Rye tables
    for name, items in managers.extras.items():
        optional.setdefault(name, _Extra(name, list(items)))
    for name, items in managers.groups.items():  # uv's dev-dependencies join group dev
        key, entries = group_table.get(name, (name, []))
        group_table[name] = (key, [*entries, *items])

    out: list[InputRequirement] = []
    expander = _SelfExpander(own=own, optional=optional, reader=reader)
    for requirement in reader.requirements(project.get("dependencies", []), _DEPS):
        expander.add(requirement, out)
    for requirement in _from_files(path, main_files, read):
        expander.add(requirement, out)
    for requirement in managers.dependencies:
        expander.add(requirement, out)

    if all_extras:
        selected = list(optional)
    else:
        selected = [
            _pick(name, optional, "extra", reader, "project.optional-dependencies")
            for name in extras
        ]
    for name in dict.fromkeys(selected):
        for requirement in optional[name].requirements:
            expander.add(requirement, out, extra=name)

    picked = [
        _pick(name, group_table, "dependency group", reader, "dependency-groups") for name in groups
    ]
    for name in dict.fromkeys(picked):
        for requirement in _expand_group(name, group_table, reader):
            expander.add(requirement, out)

    return Inputs(requirements=tuple(out), files=(path,))


def project_name(text: str, *, path: Path | None = None) -> str | None:
    """The ``[project] name`` of a ``pyproject.toml``, as written; ``None`` if it has none.

    Raises :class:`InputError` (naming ``path``, default ``pyproject.toml``) for invalid TOML.
    """
    data = _load(text, path or Path("pyproject.toml"))
    project = data.get("project")
    if not isinstance(project, dict):
        return None
    name = project.get("name")
    return name if isinstance(name, str) and name.strip() else None


def read_tool_table(text: str, path: Path) -> dict[str, Any]:
    """The ``[tool.depslim]`` table of a ``pyproject.toml``; empty when there is none.

    Raises :class:`InputError` with ``file:line`` for invalid TOML or a ``tool.depslim``
    that is not a table.
    """
    data = _load(text, path)
    finder = _LineFinder(text)
    tool = data.get("tool", {})
    where = Location(path=str(path), line=finder.header("tool"))
    if not isinstance(tool, dict):
        raise InputError(f"{where}: 'tool' must be a table; write [tool.depslim] sections")
    table = tool.get("depslim", {})
    if not isinstance(table, dict):
        where = Location(path=str(path), line=finder.header("tool.depslim"))
        raise InputError(
            f"{where}: tool.depslim must be a table; write its keys under a [tool.depslim] header"
        )
    return table


# --- reading TOML ----------------------------------------------------------------

_DEPS = ("project", "dependencies")


def _load(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text.removeprefix("\ufeff"))
    except RecursionError:
        raise InputError(
            f"{path}: invalid TOML: arrays or tables nested too deeply for depslim to read; "
            "flatten them"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = getattr(exc, "lineno", None)
        if not isinstance(line, int):
            match = re.search(r"at line (\d+)", message)
            if match is not None:
                line = int(match.group(1))
            elif "end of document" in message:
                line = max(1, len(text.splitlines()))
            else:
                line = None
        where = Location(path=str(path), line=line)
        raise InputError(f"{where}: invalid TOML: {message}; fix the syntax there") from None


class _LineFinder:
    """Finds the line a header, key or quoted string sits on, by searching the text.

    Keys and quoted strings are indexed in one pass over the text, headers looked up
    once each: finding the lines of all requirements stays linear in the file's size,
    however many requirements, groups or extras it holds.
    """

    __slots__ = ("_headers", "_keys", "_starts", "_strings", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts = [0]
        self._starts.extend(m.end() for m in re.finditer(r"\r\n|\n|\r", text))
        self._headers: dict[str, int | None] = {}
        self._keys: dict[str, list[int]] | None = None
        self._strings: dict[str, list[int]] | None = None

    def _line(self, offset: int) -> int:
        return bisect_right(self._starts, offset)

    def _header_offset(self, dotted: str) -> int | None:
        if dotted not in self._headers:
            parts = r"[ \t]*\.[ \t]*".join(
                rf"(?:{re.escape(p)}|\"{re.escape(p)}\"|'{re.escape(p)}')"
                for p in dotted.split(".")
            )
            match = re.search(rf"^[ \t]*\[[ \t]*{parts}[ \t]*\]", self._text, re.MULTILINE)
            self._headers[dotted] = None if match is None else match.start()
        return self._headers[dotted]

    def header(self, dotted: str) -> int | None:
        """The line of the ``[dotted]`` header, else of the first mention of its last part."""
        offset = self._header_offset(dotted)
        if offset is None:
            offset = self._key_offset(dotted.rsplit(".", 1)[-1], 0)
        return None if offset is None else self._line(offset)

    def _key_offset(self, key: str, start: int) -> int | None:
        if self._keys is None:
            self._keys = {}
            for match in _KEY.finditer(self._text):
                name = match.group(1)
                if name[:1] in "\"'":
                    name = name[1:-1]
                self._keys.setdefault(name, []).append(match.start())
        return _first_at_or_after(self._keys.get(key), start)

    def key(self, key: str, section: str) -> int | None:
        """The line where ``key =`` is written after ``[section]`` (or anywhere)."""
        start = self._header_offset(section) or 0
        offset = self._key_offset(key, start)
        if offset is None:
            offset = self._key_offset(key, 0)
        return None if offset is None else self._line(offset)

    def _string_offset(self, quoted: str, start: int) -> int | None:
        if self._strings is None:
            self._strings = {}
            for match in _STRING.finditer(self._text):
                self._strings.setdefault(match.group(0), []).append(match.start())
        return _first_at_or_after(self._strings.get(quoted), start)

    def value(self, value: str, section: str, key: str | None) -> int | None:
        """The line of the string ``value``, looked for after ``[section]`` and ``key``."""
        section_start = self._header_offset(section)
        if section_start is None and "." in section:
            section_start = self._header_offset(section.rsplit(".", 1)[0])
        starts = [section_start or 0]
        if key is not None:
            key_start = self._key_offset(key, starts[0])
            if key_start is not None:
                starts.insert(0, key_start)
        starts.append(0)
        quoted = (json.dumps(value, ensure_ascii=False), f"'{value}'", f'"{value}"')
        for start in starts:
            found = [i for q in quoted if (i := self._string_offset(q, start)) is not None]
            if found:
                return self._line(min(found))
        return None


# a key before "=" (bare or quoted), and a one-line basic or literal string
_KEY = re.compile(r"""(?<![\w-])("[^"\r\n]*"|'[^'\r\n]*'|[A-Za-z0-9_-]+)[ \t]*=""")
_STRING = re.compile(r""""(?:[^"\\\r\n]|\\.)*"|'[^'\r\n]*'""")


def _first_at_or_after(offsets: list[int] | None, start: int) -> int | None:
    if not offsets:
        return None
    index = bisect_left(offsets, start)
    return offsets[index] if index < len(offsets) else None


class _Reader:
    """Validates the shapes of pyproject tables, with file:line in every error."""

    __slots__ = ("finder", "path")

    def __init__(self, *, path: Path, finder: _LineFinder) -> None:
        self.path = path
        self.finder = finder

    def at(self, line: int | None) -> Location:
        return Location(path=str(self.path), line=line)

    def table(self, data: dict[str, Any], key: str, shown: str) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise InputError(
                f"{self.at(self.finder.header(key))}: {shown} must be a table; "
                f"write it as a [{key}] section"
            )
        return value

    def fail_dynamic(self, field: str) -> None:
        line = self.finder.key("dynamic", "project") or self.finder.header("project")
        raise InputError(
            f"{self.at(line)}: [project] {field} is listed in dynamic = [...] in {self.path}: "
            "depslim can't read it without building the project, which it does not do; "
            f"write the list into [project] {field} and drop it from dynamic, or lock a "
            "requirements file instead"
        )

    def requirements(
        self, value: object, where: tuple[str, ...], *, key: str | None = None
    ) -> list[InputRequirement]:
        """Parse a TOML array of PEP 508 strings found at ``where``."""
        section, field = ".".join(where[:-1]), where[-1]
        if not isinstance(value, list):
            line = self.finder.key(field, section)
            raise InputError(
                f"{self.at(line)}: {'.'.join(where)} must be an array of requirement "
                f'strings, not {type(value).__name__}; write it as {field} = ["name>=1.0"]'
            )
        return [self.requirement(item, section, key or field) for item in value]

    def requirement(self, item: object, section: str, key: str) -> InputRequirement:
        if not isinstance(item, str):
            line = self.finder.key(key, section)
            raise InputError(
                f"{self.at(line)}: {section} {key}: {_short_repr(item)} is not a requirement "
                "string; "
                "write requirements as quoted PEP 508 strings"
            )
        where = self.at(self.finder.value(item, section, key))
        try:
            requirement = Requirement(item)
        except (InvalidRequirement, RecursionError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "not PEP 508"
            raise InputError(
                f"{where}: invalid requirement '{item}': {reason}; write a PEP 508 "
                "requirement such as 'name>=1.0' or 'name[extra]; python_version >= \"3.11\"'"
            ) from None
        check_requirement(requirement, raw=item, where=where)
        return InputRequirement(requirement=requirement, origin=where)


class _Extra:
    __slots__ = ("name", "requirements")

    def __init__(self, name: str, requirements: list[InputRequirement]) -> None:
        self.name = name
        self.requirements = requirements


def _setuptools_dynamic(data: dict[str, Any]) -> dict[str, Any]:
    """``[tool.setuptools.dynamic]`` fields given as files: field → list of paths."""
    table: object = data
    for key in ("tool", "setuptools", "dynamic"):
        table = table.get(key, {}) if isinstance(table, dict) else {}
    if not isinstance(table, dict):
        return {}
    out: dict[str, Any] = {}
    deps = table.get("dependencies")
    if isinstance(deps, dict) and "file" in deps:
        files = deps["file"]
        out["dependencies"] = [files] if isinstance(files, str) else files
    extras = table.get("optional-dependencies")
    if isinstance(extras, dict):
        out["optional-dependencies"] = {
            key: [v["file"]] if isinstance(v["file"], str) else v["file"]
            for key, v in extras.items()
            if isinstance(v, dict) and "file" in v
        }
    return out


def _from_files(path: Path, names: Sequence[Any], read: Reader | None) -> list[InputRequirement]:
    """Requirements of the files setuptools' dynamic metadata names, next to pyproject."""
    # requirements.py reads project names from pyproject.py: import it when needed
    from depslim.inputs.requirements import parse_requirements_text, read_text

    reader = read or read_text
    out: list[InputRequirement] = []
    for name in names:
        if not isinstance(name, str):
            raise InputError(f"{path}: [tool.setuptools.dynamic] file entries must be strings")
        target = path.parent / name
        try:
            text = reader(target)
        except (OSError, ValueError) as exc:
            what, fix = describe_read_error(exc)
            raise InputError(
                f"{path}: [tool.setuptools.dynamic] takes requirements from {name!r}, but "
                f"{target} can't be read ({what}); {fix}"
            ) from None
        out.extend(parse_requirements_text(text, path=target, read=read).requirements)
    return out


def _dynamic(project: dict[str, Any], reader: _Reader) -> set[str]:
    dynamic = project.get("dynamic", [])
    if not isinstance(dynamic, list) or not all(isinstance(d, str) for d in dynamic):
        line = reader.finder.key("dynamic", "project")
        raise InputError(f"{reader.at(line)}: [project] dynamic must be an array of field names")
    return set(dynamic)


def _normalized_table(
    table: dict[str, Any], what: str, section: str, reader: _Reader
) -> dict[NormalizedName, tuple[str, Any]]:
    """``table`` keyed by normalized name; two spellings of one name are an error."""
    out: dict[NormalizedName, tuple[str, Any]] = {}
    for key, value in table.items():
        name = canonicalize_name(key)
        if name in out:
            where = reader.at(reader.finder.key(key, section))
            raise InputError(
                f"{where}: {what} '{key}' and '{out[name][0]}' are the same name once "
                f"normalized ({name}); merge them into one"
            )
        out[name] = (key, value)
    return out


def _optional_dependencies(project: dict[str, Any], reader: _Reader) -> dict[str, _Extra]:
    section = "project.optional-dependencies"
    table = project.get("optional-dependencies", {})
    if not isinstance(table, dict):
        raise InputError(
            f"{reader.at(reader.finder.header(section))}: [{section}] must be a table of "
            "extra name = [requirements]"
        )
    out: dict[str, _Extra] = {}
    for name, (key, value) in _normalized_table(table, "extras", section, reader).items():
        requirements = reader.requirements(value, (*section.split("."), key), key=key)
        out[name] = _Extra(key, requirements)
    return out


def _dependency_groups(data: dict[str, Any], reader: _Reader) -> dict[str, tuple[str, list[Any]]]:
    table = reader.table(data, "dependency-groups", "[dependency-groups]")
    out: dict[str, tuple[str, list[Any]]] = {}
    for name, (key, value) in _normalized_table(
        table, "dependency groups", "dependency-groups", reader
    ).items():
        if not isinstance(value, list):
            where = reader.at(reader.finder.key(key, "dependency-groups"))
            raise InputError(
                f"{where}: dependency group '{key}' must be an array of requirement strings "
                'and {include-group = "..."} tables'
            )
        out[name] = (key, value)
    return out


def _pick(name: str, available: dict[str, Any], what: str, reader: _Reader, section: str) -> str:
    normalized = canonicalize_name(name)
    if normalized in available:
        return normalized
    names = sorted((v.name if isinstance(v, _Extra) else v[0]) for v in available.values())
    listing = ", ".join(names) if names else "none"
    raise InputError(
        f"{reader.at(reader.finder.header(section))}: unknown {what} '{name}' in "
        f"{reader.path}; available: {listing}"
    )


def _expand_group(
    name: str, groups: dict[str, tuple[str, list[Any]]], reader: _Reader
) -> list[InputRequirement]:
    """The requirements of group ``name`` with its includes expanded, in file order.

    Walked with an explicit stack (no recursion limit), each group expanded once: a
    group included a second time would only repeat requirements already taken.
    """
    out: list[InputRequirement] = []
    visited = {name}
    chain = [name]  # groups being expanded, outermost first
    stack = [iter(groups[name][1])]
    while stack:
        entry = next(stack[-1], _END)
        current = chain[-1]
        key = groups[current][0]
        if entry is _END:
            stack.pop()
            chain.pop()
            continue
        if isinstance(entry, InputRequirement):  # read from a package manager's table
            out.append(entry)
            continue
        if isinstance(entry, str):
            out.append(reader.requirement(entry, "dependency-groups", key))
            continue
        included = entry.get("include-group") if isinstance(entry, dict) else None
        if (
            not isinstance(entry, dict)
            or set(entry) != {"include-group"}
            or not isinstance(included, str)
        ):
            where = reader.at(reader.finder.key(key, "dependency-groups"))
            raise InputError(
                f"{where}: dependency group '{key}' holds {_short_repr(entry)}; an entry is a "
                'requirement string or {include-group = "NAME"}'
            )
        target = canonicalize_name(included)
        if target not in groups:
            where = reader.at(reader.finder.value(included, "dependency-groups", key))
            listing = ", ".join(sorted(v[0] for v in groups.values()))
            raise InputError(
                f"{where}: dependency group '{key}' includes unknown group '{included}'; "
                f"available: {listing}"
            )
        if target in chain:
            loop = " -> ".join(groups[n][0] for n in [*chain[chain.index(target) :], target])
            where = reader.at(reader.finder.key(groups[target][0], "dependency-groups"))
            raise InputError(
                f"{where}: dependency groups include each other in a cycle: {loop}; "
                "remove one of these include-group entries"
            )
        if target in visited:
            continue
        visited.add(target)
        chain.append(target)
        stack.append(iter(groups[target][1]))
    return out


_END = object()


def _short_repr(value: object) -> str:
    """``repr(value)`` cut to a readable length (a TOML value may be large or deep)."""
    try:
        text = repr(value)
    except RecursionError:
        text = f"a nested {type(value).__name__}"
    return text if len(text) <= 80 else text[:77] + "..."


class _SelfExpander:
    """Replaces requirements on the project itself by the extras they name."""

    __slots__ = ("optional", "own", "reader")

    def __init__(
        self, *, own: NormalizedName | None, optional: dict[str, _Extra], reader: _Reader
    ) -> None:
        self.own = own
        self.optional = optional
        self.reader = reader

    def add(
        self, item: InputRequirement, out: list[InputRequirement], *, extra: str | None = None
    ) -> None:
        """Append ``item`` (declared in ``extra``, if any) to ``out``, self-references expanded."""
        self._add(item, out, () if extra is None else (extra,))

    def _add(
        self, item: InputRequirement, out: list[InputRequirement], chain: tuple[str, ...]
    ) -> None:
        # Depth first with an explicit stack of events (no recursion limit): an extra is
        # "entered" (its requirements pushed) unless it is on the current path (a cycle)
        # or was entered before under the same marker (nothing new), and "left" after
        # its requirements; the work stays linear in what is written.
        path = set(chain)
        seen: set[tuple[str, str]] = set()
        stack: list[_Event] = [("item", item, "")]
        added = 0
        while stack:
            kind, current, extra = stack.pop()
            if kind == "leave":
                path.discard(extra)
                continue
            requirement = current.requirement
            if kind == "enter":
                key = (extra, str(requirement.marker))
                if extra in path or key in seen:
                    continue
                seen.add(key)
                path.add(extra)
                stack.append(("leave", current, extra))
                stack.extend(
                    ("item", _with_marker(inner, requirement.marker, current), "")
                    for inner in reversed(self.optional[extra].requirements)
                )
                continue
            if self.own is None or current.name != self.own or requirement.url is not None:
                out.append(current)
                added += 1
                if added > _MAX_EXPANDED:
                    raise InputError(
                        f"{current.origin}: requirements on the project itself expand into "
                        f"more than {_MAX_EXPANDED} requirements; simplify how the extras "
                        "name each other"
                    )
                continue
            extras = sorted(canonicalize_name(e) for e in requirement.extras)
            for name in extras:
                if name not in self.optional:
                    listing = ", ".join(sorted(e.name for e in self.optional.values())) or "none"
                    raise InputError(
                        f"{current.origin}: '{requirement}' names the project itself with "
                        f"extra '{name}', which [project.optional-dependencies] does not "
                        f"define; available: {listing}"
                    )
            stack.extend(("enter", current, name) for name in reversed(extras))


_Event = tuple[str, InputRequirement, str]
"""``("item", requirement, "")``, ``("enter", requirement naming extra, extra)`` or
``("leave", requirement, extra)``."""

_MAX_EXPANDED = 100_000


def _with_marker(
    item: InputRequirement, outer: Marker | None, via: InputRequirement
) -> InputRequirement:
    """``item`` restricted to where ``outer`` (the marker of ``via``) holds as well."""
    if outer is None:
        return item
    requirement = Requirement(str(item.requirement))
    inner = requirement.marker
    try:
        requirement.marker = outer if inner is None else Marker(f"({inner}) and ({outer})")
    except (ValueError, RecursionError):
        raise InputError(
            f"{via.origin}: '{via.requirement}' names the project itself through so many "
            "extras with markers that the combined marker nests too deeply; simplify how "
            "the extras name each other"
        ) from None
    return InputRequirement(requirement=requirement, origin=item.origin)
