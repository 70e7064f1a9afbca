"""Overrides and constraints given beside the inputs (``--override``, ``-c``, ``[tool.uv]``).

An **override** has uv's meaning: it replaces every requirement on its project, the
inputs' and every dependency's alike, whatever version range or extras they asked for.
Several overrides on one project are all used (they are told apart by their markers).
A dependency's condition on an extra (``foo ; extra == "fast"``) is kept: the override
applies where the replaced requirement would have; its other markers are dropped, as uv
drops them, and the override's own marker decides on the target.

A **constraint** narrows the versions of a project if something requires it, and never
adds a project (pip's ``-c``).

:class:`Overrides` is the one frozen value the resolver takes for both. Build it from
files (:func:`read_overrides`) or from lists of requirement strings, such as
``[tool.uv] override-dependencies`` (:func:`overrides_from_strings`), and combine with
:meth:`Overrides.merged`. :func:`override_lines` and :func:`fingerprint_lines` give what
the lock header and the staleness fingerprint record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from depslim.errors import InputError
from depslim.inputs.requirements import parse_requirements
from depslim.models import InputRequirement, Inputs, Location

__all__ = [
    "Overrides",
    "apply_overrides",
    "extra_condition",
    "fingerprint_lines",
    "override_lines",
    "overrides_from_strings",
    "read_overrides",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Overrides:
    """Requirements that replace (``overrides``) or narrow (``constraints``) others.

    Every item keeps where it was declared, for messages and ``# via`` lines. Items are
    in declaration order; :meth:`merged` appends another value's items.
    """

    overrides: tuple[InputRequirement, ...] = ()
    constraints: tuple[InputRequirement, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.overrides or self.constraints)

    @property
    def names(self) -> frozenset[NormalizedName]:
        """The projects that have an override."""
        return frozenset(item.name for item in self.overrides)

    def merged(self, other: Overrides) -> Overrides:
        """This value's items, then ``other``'s."""
        return Overrides(
            overrides=self.overrides + other.overrides,
            constraints=self.constraints + other.constraints,
        )

    def replacements(self, name: str) -> tuple[InputRequirement, ...]:
        """The overrides of project ``name`` (empty when it has none)."""
        wanted = canonicalize_name(name)
        return tuple(item for item in self.overrides if item.name == wanted)


def extra_condition(marker: Marker | None) -> frozenset[NormalizedName] | None:
    """The extra a requirement's marker is conditioned on, as uv reads it for overrides.

    ``None`` when the marker does not mention ``extra`` at all; else the set of extras
    named by ``extra == "x"`` terms of the marker's top-level ``and`` chain (empty when
    ``extra`` appears only in a more complex form, then the whole marker must decide).
    """
    if marker is None or "extra" not in str(marker):
        return None
    # packaging keeps the parsed marker as a list of (lhs, op, rhs) tuples, "and"/"or"
    # strings and nested lists; its public API has no walker, so read that structure
    # and fall back to "complex" if it ever changes shape.
    tree = getattr(marker, "_markers", None)
    if not isinstance(tree, list) or "or" in tree:
        return frozenset()
    found: set[NormalizedName] = set()
    for item in tree:
        if not isinstance(item, tuple) or len(item) != 3:
            continue
        lhs, op, rhs = (str(getattr(part, "value", part)) for part in item)
        kinds = (type(item[0]).__name__, type(item[2]).__name__)
        if op != "==":
            continue
        if kinds == ("Variable", "Value") and lhs == "extra":
            found.add(canonicalize_name(rhs))
        elif kinds == ("Value", "Variable") and rhs == "extra":
            found.add(canonicalize_name(lhs))
    return frozenset(found)


def overrides_from_strings(
    *,
    overrides: Sequence[str] = (),
    constraints: Sequence[str] = (),
    origin: Location,
) -> Overrides:
    """Overrides and constraints from lists of requirement strings (a config key, or
    ``[tool.uv] override-dependencies`` / ``constraint-dependencies``).

    ``origin`` names where the list is (``pyproject.toml``, and the key in messages).
    Raises :class:`InputError` naming the origin and the bad item.
    """
    return Overrides(
        overrides=tuple(_item(text, origin, "override") for text in overrides),
        constraints=tuple(
            replace(_item(text, origin, "constraint"), constraint=True) for text in constraints
        ),
    )


def _item(text: str, origin: Location, what: str) -> InputRequirement:
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        raise InputError(
            f"{origin}: the {what} {text!r} is not a PEP 508 requirement ({exc}); write "
            "it as in a requirements file, such as 'numpy==1.26.4'"
        ) from None
    return InputRequirement(requirement=requirement, origin=origin, constraint=what == "constraint")


def read_overrides(
    override_files: Sequence[Path] = (), constraint_files: Sequence[Path] = ()
) -> Overrides:
    """Read ``--override`` and ``-c/--constraint`` files (requirements-file syntax).

    Index options, editables and local project folders in them are refused with an
    error naming the file: they have no meaning there. Raises :class:`InputError`.
    """
    overrides: list[InputRequirement] = []
    constraints: list[InputRequirement] = []
    for path in override_files:
        overrides += _read(path, "--override", constraint=False)
    for path in constraint_files:
        constraints += _read(path, "--constraint", constraint=True)
    return Overrides(overrides=tuple(overrides), constraints=tuple(constraints))


def _read(path: Path, flag: str, *, constraint: bool) -> list[InputRequirement]:
    if not path.is_file():
        raise InputError(f"{path}: no such file (given to {flag})")
    inputs = parse_requirements(path, constraint=constraint)
    _refuse_options(path, flag, inputs)
    items = []
    for item in inputs.requirements:
        if item.editable or (item.path and Path(item.path).is_dir()):
            raise InputError(
                f"{item.origin}: {flag} takes requirements on projects, not a local project "
                f"folder or an editable ({item.requirement}); pin a version or a file instead"
            )
        if not constraint and item.constraint:
            raise InputError(
                f"{path}: a -c line inside an overrides file is ambiguous (it brings "
                f"{item.origin}); give that file to -c/--constraint instead"
            )
        items.append(replace(item, constraint=constraint))
    return items


def _refuse_options(path: Path, flag: str, inputs: Inputs) -> None:
    given = [
        ("--index-url", inputs.index_url is not None),
        ("--extra-index-url", bool(inputs.extra_index_urls)),
        ("--find-links", bool(inputs.find_links)),
        ("--no-index", inputs.no_index),
        ("--only-binary", bool(inputs.only_binary)),
        ("--no-binary", bool(inputs.no_binary)),
        ("--pre", inputs.pre),
    ]
    found = [option for option, present in given if present]
    if found:
        raise InputError(
            f"{path}: {', '.join(found)} in a file given to {flag} is not read; put index "
            "and build options in the requirements file or on the command line"
        )


def override_lines(overrides: Overrides, *, label: Callable[[Location], str] = str) -> list[str]:
    """Header lines recording the overrides and constraints, one per item, in order.

    ``override: numpy==1.26.4 (from overrides.txt:3)``, where ``label`` shows the
    origin (say, relative to the lock's folder). The lock header writes each as a ``#``
    comment: a reader sees why a version differs from what a project asks.
    """
    lines = [
        f"override: {item.requirement} (from {label(item.origin)})" for item in overrides.overrides
    ]
    lines += [
        f"constraint: {item.requirement} (from {label(item.origin)})"
        for item in overrides.constraints
    ]
    return lines


def fingerprint_lines(overrides: Overrides) -> list[str]:
    """What the staleness fingerprint (DS001) must cover: each item's kind and
    requirement, sorted, without where it was declared (moving a line is no change)."""
    return sorted(
        [f"o {item.requirement}" for item in overrides.overrides]
        + [f"c {item.requirement}" for item in overrides.constraints]
    )


def apply_overrides(
    overrides: Overrides,
    requirement: Requirement,
    *,
    applies: Callable[[Marker | None], bool],
    hook: Callable[[Requirement], Requirement] | None = None,
) -> list[Requirement]:
    """The requirements that stand for ``requirement`` once overrides are applied.

    Without an override on its project, ``requirement`` itself (through ``hook``, the
    GPU→CPU swaps). With some, those whose own marker ``applies`` on the target (the
    caller has decided, by the replaced requirement's extra condition, that it is
    wanted at all), each through ``hook``. An override is applied again when the hook
    renamed the project to one that has an override of its own.
    """
    out: list[Requirement] = []
    for req in _replacements(overrides, requirement, applies):
        hooked = hook(req) if hook is not None else req
        if canonicalize_name(hooked.name) != canonicalize_name(req.name):
            out += _replacements(overrides, hooked, applies)
        else:
            out.append(hooked)
    return out


def _replacements(
    overrides: Overrides, requirement: Requirement, applies: Callable[[Marker | None], bool]
) -> list[Requirement]:
    items = overrides.replacements(requirement.name)
    if not items:
        return [requirement]
    return [item.requirement for item in items if applies(item.requirement.marker)]
