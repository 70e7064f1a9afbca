"""Write ``split``'s tiers back into a ``pyproject.toml``, keeping everything else as it was.

``[project] dependencies`` becomes the base tier, ``[project.optional-dependencies] ml``
the ML tier and ``[dependency-groups] dev`` the dev tier. The file is edited with
tomlkit, so comments, key order, quoting and blank lines outside the three arrays stay
byte for byte. Inside an array that already exists, the entries that stay keep their
place, their spelling (when the requirement is unchanged), and the comments on and above
them; entries that leave go with their comments; new entries are appended in the order
given. ``{include-group = "…"}`` entries of the dev group are kept. Pure: text in, text out.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import tomlkit
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from tomlkit.exceptions import TOMLKitError

from depslim.errors import DepslimError, InputError

__all__ = ["write_tiers_to_pyproject"]

_WIDTH = 100  # a one-line array longer than this is written one entry per line


def write_tiers_to_pyproject(
    text: str,
    *,
    base: Sequence[str | Requirement],
    ml: Sequence[str | Requirement],
    dev: Sequence[str | Requirement],
    path: str = "pyproject.toml",
) -> str:
    """``text`` with the tiers as its dependencies, extra ``ml`` and group ``dev``.

    An empty ``ml`` or ``dev`` leaves a table that has no such entry alone (an existing
    one is emptied). Raises :class:`InputError` naming ``path`` for invalid TOML, a file
    without a ``[project]`` table, dependencies declared ``dynamic`` and arrays that are
    not arrays of strings.
    """
    wanted = {
        "base": [_requirement(r, path) for r in base],
        "ml": [_requirement(r, path) for r in ml],
        "dev": [_requirement(r, path) for r in dev],
    }
    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise InputError(f"{path}: invalid TOML: {exc}; fix the syntax there") from None
    project: Any = doc.get("project")
    if not _is_table(project):
        raise InputError(
            f"{path}: no [project] table to write the tiers into; --write-pyproject edits "
            "a PEP 621 project (write [project] with name and version first)"
        )
    dynamic = project.get("dynamic", [])
    for field, tier in (("dependencies", "base"), ("optional-dependencies", "ml")):
        if field in dynamic and (wanted[tier] or field == "dependencies"):
            raise InputError(
                f"{path}: [project] {field} is listed in dynamic, so the build backend "
                f"fills it; remove it from dynamic to let depslim write the {tier} tier"
            )

    _set(project, "dependencies", wanted["base"], path, "[project] dependencies", create=True)
    if wanted["ml"] or "optional-dependencies" in project:
        extras: Any = project.get("optional-dependencies")
        created = extras is None
        if created:
            extras = tomlkit.table()
            project.add("optional-dependencies", extras)
        if not _is_table(extras):
            raise InputError(f"{path}: [project.optional-dependencies] must be a table")
        _set(
            extras,
            "ml",
            wanted["ml"],
            path,
            "[project.optional-dependencies] ml",
            create=bool(wanted["ml"]),
        )
        if created:
            extras.add(tomlkit.nl())
    if wanted["dev"] or "dependency-groups" in doc:
        groups: Any = doc.get("dependency-groups")
        if groups is None:
            groups = tomlkit.table()
            doc.add(tomlkit.nl())
            doc.add("dependency-groups", groups)
        if not _is_table(groups):
            raise InputError(f"{path}: [dependency-groups] must be a table")
        _set(
            groups,
            "dev",
            wanted["dev"],
            path,
            "[dependency-groups] dev",
            create=bool(wanted["dev"]),
        )

    out = tomlkit.dumps(doc)
    _check(out, wanted, path)
    return out


@dataclass(frozen=True, slots=True)
class _Wanted:
    """A requirement to write, spelled as the caller gave it."""

    requirement: Requirement
    text: str


def _requirement(value: str | Requirement, path: str) -> _Wanted:
    if isinstance(value, Requirement):
        return _Wanted(value, str(value))
    try:
        return _Wanted(Requirement(value), value.strip())
    except InvalidRequirement as exc:
        raise InputError(f"{path}: cannot write the invalid requirement '{value}': {exc}") from None


def _set(
    table: Any,
    key: str,
    wanted: list[_Wanted],
    path: str,
    shown: str,
    *,
    create: bool,
) -> None:
    old: Any = table.get(key)
    if old is None:
        if create:
            table.add(key, _parse_array(_fresh_array(wanted)))
        return
    if not _is_array(old):
        raise InputError(f"{path}: {shown} must be an array of requirement strings")
    source = old.as_string()
    entries = _scan(source, path, shown)
    new = _parse_array(_rewrite(entries, wanted, source))
    new.trivia.indent = old.trivia.indent
    new.trivia.comment_ws = old.trivia.comment_ws
    new.trivia.comment = old.trivia.comment
    new.trivia.trail = old.trivia.trail
    table[key] = new


def _is_table(value: object) -> bool:
    return isinstance(value, dict)


def _is_array(value: object) -> bool:
    return isinstance(value, list)


def _parse_array(text: str) -> Any:
    return tomlkit.parse(f"x = {text}\n")["x"]


# --- reading the old array's text ------------------------------------------------------


@dataclass(slots=True)
class _Entry:
    """One value of an array as written: its text, value and the comments that go with it."""

    text: str
    value: Any
    above: list[str]
    comment: str | None = None  # with the blank space written before it


@dataclass(slots=True)
class _Layout:
    entries: list[_Entry]
    multiline: bool
    indent: str
    tail: list[str]  # comment lines after the last entry


def _scan(source: str, path: str, shown: str) -> _Layout:
    """Split an array's text (``[ … ]``) into entries with their comments."""
    entries: list[_Entry] = []
    above: list[str] = []
    indent: str | None = None
    position = source.index("[") + 1
    end = len(source)
    newline_since_value = True
    value_end = 0
    while position < end:
        char = source[position]
        if char == "\n":
            newline_since_value = True
            position += 1
        elif char in " \t\r,":
            position += 1
        elif char == "#":
            stop = source.find("\n", position)
            stop = end if stop < 0 else stop
            comment = source[position:stop].rstrip()
            if entries and not newline_since_value:
                gap = source[value_end:position].replace(",", "")
                entries[-1].comment = (gap or " ") + comment
            else:
                above.append(comment)
            position = stop
        elif char == "]":
            break
        else:
            if indent is None:
                line_start = source.rfind("\n", 0, position) + 1
                indent = source[line_start:position] if line_start else ""
            stop = _value_end(source, position)
            text = source[position:stop]
            try:
                value = tomllib.loads(f"x = {text}")["x"]
            except tomllib.TOMLDecodeError:
                raise InputError(f"{path}: {shown}: cannot read entry {text}") from None
            if not isinstance(value, (str, dict)):
                raise InputError(
                    f"{path}: {shown} holds {text}; entries must be requirement strings"
                )
            entries.append(_Entry(text=text, value=value, above=above))
            above = []
            newline_since_value = False
            position = value_end = stop
            if source.startswith(",", position):
                position = value_end = position + 1
    return _Layout(
        entries=entries,
        multiline="\n" in source,
        indent=indent if indent is not None and "\n" in source else "    ",
        tail=above,
    )


def _value_end(source: str, start: int) -> int:
    """Where the string or inline table starting at ``start`` ends."""
    if source.startswith(('"""', "'''"), start):
        quote = source[start : start + 3]
        return source.index(quote, start + 3) + 3
    if source[start] == '"':
        position = start + 1
        while source[position] != '"':
            position += 2 if source[position] == "\\" else 1
        return position + 1
    if source[start] == "'":
        return source.index("'", start + 1) + 1
    if source[start] == "{":
        depth, position = 0, start
        while True:
            char = source[position]
            if char in "\"'":
                position = _value_end(source, position)
                continue
            depth += {"{": 1, "}": -1}.get(char, 0)
            position += 1
            if depth == 0:
                return position
    match = re.compile(r"[^,\]\s#]+").match(source, start)
    return match.end() if match else start + 1


# --- writing the new array --------------------------------------------------------------


def _quoted(wanted: _Wanted, like: str | None) -> str:
    text = wanted.text
    if like is not None and like.startswith("'") and "'" not in text:
        return f"'{text}'"
    return json.dumps(text, ensure_ascii=False)


def _fresh_array(wanted: list[_Wanted]) -> str:
    items = [_quoted(r, None) for r in wanted]
    if len(items) <= 1:
        return f"[{', '.join(items)}]"
    return "[\n" + "".join(f"    {item},\n" for item in items) + "]"


def _rewrite(layout: _Layout, wanted: list[_Wanted], source: str) -> str:
    unused = list(wanted)
    kept: list[tuple[_Entry, str]] = []
    for entry in layout.entries:
        if isinstance(entry.value, dict):  # {include-group = "…"}: not a tier's business
            kept.append((entry, entry.text))
            continue
        try:
            old = Requirement(entry.value)
        except InvalidRequirement:
            continue  # the tier does not hold it: it goes
        same = next((w for w in unused if str(w.requirement) == str(old)), None)
        if same is not None:
            unused.remove(same)
            kept.append((entry, entry.text))
            continue
        name = canonicalize_name(old.name)
        renamed = next((w for w in unused if canonicalize_name(w.requirement.name) == name), None)
        if renamed is not None:
            unused.remove(renamed)
            kept.append((entry, _quoted(renamed, entry.text)))
    strings = [e.text for e in layout.entries if isinstance(e.value, str)]
    single = sum(text.startswith("'") for text in strings)
    like = "'" if single * 2 > len(strings) else None
    rows = [(entry.above, text, entry.comment) for entry, text in kept]
    rows += [([], _quoted(r, like), None) for r in unused]
    one_line = "[" + ", ".join(text for _, text, _ in rows) + "]"
    fits = not any(above or comment for above, _, comment in rows) and not layout.tail
    if not layout.multiline and fits and len(one_line) <= _WIDTH:
        return one_line
    if not rows and not layout.tail:
        return "[]"
    indent = layout.indent
    lines = ["["]
    for above, text, comment in rows:
        lines.extend(f"{indent}{line}" for line in above)
        lines.append(f"{indent}{text}," + (comment or ""))
    lines.extend(f"{indent}{line}" for line in layout.tail)
    closing = source[source.rfind("\n") + 1 : source.rfind("]")] if layout.multiline else ""
    lines.append(f"{closing if not closing.strip() else ''}]")
    return "\n".join(lines)


def _check(out: str, wanted: dict[str, list[_Wanted]], path: str) -> None:
    """The written text must read back as the tiers asked for (a guard against bugs)."""
    data = tomllib.loads(out)
    project = data["project"]
    found = {
        "base": project.get("dependencies", []),
        "ml": project.get("optional-dependencies", {}).get("ml", []),
        "dev": [d for d in data.get("dependency-groups", {}).get("dev", []) if isinstance(d, str)],
    }
    for tier, requirements in wanted.items():
        written = sorted(str(Requirement(r)) for r in found[tier])
        if written != sorted(str(w.requirement) for w in requirements):
            raise DepslimError(f"{path}: writing the {tier} tier went wrong; nothing was written")
