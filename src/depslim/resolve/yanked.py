"""Yanked releases in a resolution: what the verb warns about (PEP 592).

A yanked release is a candidate only when a requirement pins it exactly (``==``), see
:func:`depslim.resolve.candidates.group_candidates`; then it is locked, and the user is
told, with the reason the index gave. Pure: a resolution in, warnings as data out.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.utils import NormalizedName
from packaging.version import Version

from depslim.resolve.resolver import Resolution

__all__ = ["YankedPin", "yanked_pins"]


@dataclass(frozen=True, slots=True, kw_only=True)
class YankedPin:
    """A pinned release whose files (all or ``files``) the index marks as yanked."""

    name: NormalizedName
    version: Version
    reason: str
    files: tuple[str, ...]
    via: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """The warning line, quoting the index's reason."""
        reason = f'reason: "{self.reason}"' if self.reason else "no reason given"
        pinned_by = f" by {', '.join(self.via)}" if self.via else ""
        return (
            f"{self.name}=={self.version} is yanked ({reason}); it is locked only because "
            f"it is pinned exactly{pinned_by}: pin another version to move off it"
        )

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "version": str(self.version),
            "reason": self.reason,
            "files": list(self.files),
            "via": list(self.via),
            "message": self.message,
        }


def yanked_pins(resolution: Resolution) -> tuple[YankedPin, ...]:
    """Every pinned release with yanked files, by name."""
    found = []
    for name, candidate in resolution.candidates.items():
        yanked = [link for link in candidate.links if link.is_yanked]
        if not yanked:
            continue
        reasons = sorted({link.yanked or "" for link in yanked}, key=lambda r: (not r, r))
        found.append(
            YankedPin(
                name=name,
                version=candidate.version,
                reason="; ".join(r for r in reasons if r),
                files=tuple(link.filename for link in yanked),
                via=tuple(resolution.via.get(name, ())),
            )
        )
    return tuple(found)
