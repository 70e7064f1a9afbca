"""A project's declared dependencies, each with the group that declares it.

``pyproject.toml``: ``[project] dependencies`` (group ``main``), every
``optional-dependencies`` extra (``extra:NAME``) and every ``[dependency-groups]``
group (``group:NAME``); a requirement the main list already has stays ``main``.
Without any there: ``requirements.in`` (``main``) plus a dev requirements file
(``group:dev``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from depslim.errors import InputError
from depslim.inputs.files import read_text_file
from depslim.inputs.managers import read_manager_tables
from depslim.inputs.pyproject import parse_pyproject
from depslim.inputs.requirements import parse_requirements
from depslim.models import InputRequirement

__all__ = [
    "DEV_REQUIREMENTS",
    "Declared",
    "DeclaredProject",
    "Selection",
    "declared_dependencies",
]

DEV_REQUIREMENTS = ("requirements-dev.in", "dev-requirements.in", "requirements/dev.in")


@dataclass(frozen=True, slots=True, kw_only=True)
class Declared:
    """A dependency as the project declares it, with its group (main / extra:X / group:X)."""

    requirement: InputRequirement
    group: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclaredProject:
    """What a project declares: the dependencies, the files to lock, extras and groups."""

    dependencies: tuple[Declared, ...]
    paths: tuple[Path, ...]
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


def declared_dependencies(root: Path) -> DeclaredProject:
    """The dependencies the project at ``root`` declares (see the module's docstring)."""
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        found = _from_pyproject(pyproject)
        if found.dependencies:
            return found
    main = root / "requirements.in"
    if not main.is_file():
        raise InputError(
            f"{root}: no dependencies declared: depslim reads [project] dependencies, "
            "optional-dependencies and [dependency-groups] of pyproject.toml, or requirements.in "
            "(plus requirements-dev.in)"
        )
    out = [
        Declared(requirement=r, group="main")
        for r in parse_requirements(main).requirements
        if not r.constraint
    ]
    paths = [main]
    for name in DEV_REQUIREMENTS:
        dev = root / name
        if dev.is_file():
            paths.append(dev)
            out += [
                Declared(requirement=r, group="group:dev")
                for r in parse_requirements(dev).requirements
                if not r.constraint
            ]
    return DeclaredProject(dependencies=tuple(out), paths=tuple(paths))


def _from_pyproject(pyproject: Path) -> DeclaredProject:
    text = read_text_file(pyproject, what="pyproject.toml")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{pyproject}: invalid TOML: {exc}") from None
    except RecursionError:
        raise InputError(f"{pyproject}: TOML nested too deeply to read") from None
    project = data.get("project", {})
    tables = read_manager_tables(text, path=pyproject)  # Poetry, PDM, uv, Rye
    extras = sorted({*(project.get("optional-dependencies") or {}).keys(), *tables.extras})
    groups = sorted({*(data.get("dependency-groups") or {}).keys(), *tables.groups})
    out = [
        Declared(requirement=r, group="main")
        for r in parse_pyproject(text, path=pyproject).requirements
    ]
    selections: list[tuple[str, list[str], list[str]]] = [(f"extra:{e}", [e], []) for e in extras]
    selections += [(f"group:{g}", [], [g]) for g in groups]
    main_names = {d.requirement.name for d in out}
    for label, one_extra, one_group in selections:
        # each extra/group parsed alone; a project the main list declares stays "main"
        inner = parse_pyproject(text, path=pyproject, extras=one_extra, groups=one_group)
        seen = {d.requirement.requirement for d in out}
        out += [
            Declared(requirement=r, group=label)
            for r in inner.requirements
            if r.name not in main_names and r.requirement not in seen
        ]
    return DeclaredProject(
        dependencies=tuple(out), paths=(pyproject,), extras=tuple(extras), groups=tuple(groups)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """Which extras and groups to take, with uv's flags' meaning.

    ``extras`` / ``groups`` name the ones asked for (``--extra``, ``--group``);
    ``all_extras``; ``no_extras`` / ``no_groups`` leave some out; ``only_groups`` takes
    those groups alone, without the main dependencies or any extra. With nothing asked,
    ``default_all`` decides: every extra and group (``split``, which tiers the whole
    project), or none (``lock``); ``extras_asked`` / ``groups_asked`` say that a list
    was given even if empty (``extras = []`` in the config: none).
    """

    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    all_extras: bool = False
    no_extras: tuple[str, ...] = ()
    no_groups: tuple[str, ...] = ()
    only_groups: tuple[str, ...] = ()
    default_all: bool = False
    extras_asked: bool = False
    groups_asked: bool = False

    def choose(self, project: DeclaredProject) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
        """The extras and groups to take from ``project``, and whether its main
        dependencies come too. A name the project does not declare is an error."""
        for asked, known, what in (
            ([*self.extras, *self.no_extras], project.extras, "extra"),
            ([*self.groups, *self.no_groups, *self.only_groups], project.groups, "group"),
        ):
            wrong = sorted({n for n in asked if canonicalize_name(n) not in _normal(known)})
            if wrong:
                listing = ", ".join(known) or "none"
                raise InputError(
                    f"{project.paths[0]}: no {what} named {', '.join(wrong)} (declared: {listing})"
                )
        if self.only_groups:
            return (), _keep(project.groups, self.only_groups, ()), False
        asked_extras = self.extras_asked or bool(self.extras)
        everything = self.default_all and not asked_extras
        extras = project.extras if self.all_extras or everything else self.extras
        groups_all = self.default_all and not (self.groups_asked or self.groups)
        groups = project.groups if groups_all else self.groups
        return (
            _keep(project.extras, extras, self.no_extras),
            _keep(project.groups, groups, self.no_groups),
            True,
        )


def _normal(names: tuple[str, ...]) -> set[str]:
    return {canonicalize_name(n) for n in names}


def _keep(
    known: tuple[str, ...], wanted: tuple[str, ...], dropped: tuple[str, ...]
) -> tuple[str, ...]:
    """``known`` names that are ``wanted`` and not ``dropped`` (compared normalized)."""
    want, drop = _normal(wanted), _normal(dropped)
    return tuple(
        n for n in known if canonicalize_name(n) in want and canonicalize_name(n) not in drop
    )
