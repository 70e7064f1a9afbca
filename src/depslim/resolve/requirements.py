"""The requirement values the resolver works with.

A :class:`Req` is one edge of the dependency graph as resolvelib sees it: a name,
the extras asked for, a specifier or a direct URL, and where it came from (for
explanations and ``# via`` lines).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name

from depslim.credentials import redact_url

__all__ = ["PYTHON", "Req", "identifier_of", "split_identifier"]

#: Identifier of the pseudo-project standing for the target's Python (never a real name).
PYTHON = NormalizedName("<python>")


@dataclass(frozen=True, slots=True, kw_only=True)
class Req:
    """A requirement on one project (with extras) as the resolver tracks it."""

    name: NormalizedName
    specifier: SpecifierSet = field(default_factory=SpecifierSet)
    extras: frozenset[NormalizedName] = frozenset()
    url: str | None = None
    origin: str = ""

    @classmethod
    def from_requirement(cls, req: Requirement, *, origin: str) -> Req:
        return cls(
            name=canonicalize_name(req.name),
            specifier=req.specifier,
            extras=frozenset(canonicalize_name(e) for e in req.extras),
            url=req.url,
            origin=origin,
        )

    @property
    def shown_url(self) -> str | None:
        """The direct reference's URL as messages show it: without credentials."""
        return None if self.url is None else redact_url(self.url)

    @property
    def identifier(self) -> str:
        return identifier_of(self.name, self.extras)

    def __str__(self) -> str:
        if self.name == PYTHON:
            return f"Python {self.specifier}"
        extras = f"[{','.join(sorted(self.extras))}]" if self.extras else ""
        if self.url:
            return f"{self.name}{extras} @ {self.shown_url}"
        return f"{self.name}{extras}{self.specifier}"


def identifier_of(name: NormalizedName, extras: frozenset[NormalizedName]) -> str:
    """resolvelib identifier: ``name`` or ``name[extra1,extra2]``."""
    return f"{name}[{','.join(sorted(extras))}]" if extras else name


def split_identifier(identifier: str) -> tuple[NormalizedName, frozenset[NormalizedName]]:
    name, _, rest = identifier.partition("[")
    extras = frozenset(NormalizedName(e) for e in rest.rstrip("]").split(",") if e)
    return NormalizedName(name), extras
