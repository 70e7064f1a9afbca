"""The CPU policy as resolver hooks: which torch-family builds may be chosen, best first.

Pure glue between :mod:`depslim.variants` (the rules) and the provider (the hooks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from packaging.utils import NormalizedName
from packaging.version import Version

from depslim.resolve.candidates import Candidate
from depslim.resolve.provider import CandidateFilter, CandidateKey, Descending, newest_first
from depslim.resolve.requirements import Req
from depslim.variants import TorchPolicy, cpu_builds, cpu_local_key

__all__ = ["cpu_candidate_filter", "cpu_candidate_key", "explicit_locals"]


def explicit_locals(reqs: Sequence[Req]) -> set[str]:
    """Local labels a requirement names explicitly (``torch==2.5.1+cu121`` → ``cu121``)."""
    out = set()
    for req in reqs:
        for spec in req.specifier:
            if spec.operator in ("==", "===") and "+" in spec.version and "*" not in spec.version:
                out.add(spec.version.split("+", 1)[1].lower())
    return out


def cpu_candidate_filter(policy: TorchPolicy) -> CandidateFilter:
    """Keep CPU builds of the policy's projects, ``+cpu`` first among equal versions.

    A build whose local label a requirement names (``+cu121``) is an explicit choice
    and stays; other GPU builds never are candidates. Projects outside the family pass
    through untouched.
    """

    def narrow(
        name: NormalizedName, candidates: list[Candidate], reqs: Sequence[Req]
    ) -> list[Candidate]:
        if name not in policy.family:
            return candidates
        wanted = explicit_locals(reqs)
        allowed: set[Version] = set(cpu_builds(c.version for c in candidates))
        allowed |= {c.version for c in candidates if (c.version.local or "") in wanted}
        return [c for c in candidates if c.version in allowed]

    return narrow


def cpu_candidate_key(policy: TorchPolicy) -> CandidateKey:
    """Order the family's candidates newest first, ``+cpu`` first among equal versions."""

    def key(candidate: Candidate) -> Any:
        if candidate.name in policy.family:
            return Descending(cpu_local_key(candidate.version))
        return newest_first(candidate)

    return key
