"""How often each pin changes, in changes per month, from three kinds of evidence.

Sources
-------
(a) **history**: in the project's git history of its lockfiles, package ``p``'s pin
    changed ``c_p`` times during the ``T_p`` months it was watched
    (:func:`depslim.layers.snapshots.count_pin_changes`).
(b) **cadence**: the index lists ``n_p`` releases (final versions, each at its first
    upload) in the last year; ``k_p = n_p / E_p`` releases per month, where ``E_p`` is
    twelve months or, for a project younger than that, the months since its first
    release (at least one month) — so pass every release's time, not only the last
    year's, or an old project looks young.
(c) **rules**: editable, path, VCS and first-party packages change with the project
    itself: they get the fixed rate ``rule_rate`` (default 30 a month, about daily).

Formula
-------
A rule, when it applies, decides. Otherwise the rate is the posterior mean of a
Gamma-Poisson model: pin changes are a Poisson process with rate ``λ_p``, and the prior
on ``λ_p`` is a Gamma with mean ``m_p`` worth ``M`` months of observation
(``prior_months``, default 6)::

    rate_p = (c_p + M * m_p) / (T_p + M)
           = w * (c_p / T_p) + (1 - w) * m_p       with  w = T_p / (T_p + M)

so a long history dominates and a short one is shrunk toward the prior. The prior
mean ``m_p`` is the release cadence ``k_p`` when the index is known; offline, it is the
repository's pooled pin change rate ``sum(c) / sum(T)`` over every package in the
history; with neither, ``default_rate``. Missing evidence degrades gracefully: no git
history (``T_p = 0``) gives the prior alone, no index gives history shrunk toward the
pooled rate. Each source's rate and weight are returned as
:class:`~depslim.layers.plan.Evidence`, so ``--json`` shows where a number came from.

Pure: times come in as arguments (``now``), nothing reads a clock, a file or the network.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from depslim.layers.plan import Evidence, LayerItem
from depslim.layers.snapshots import DAYS_PER_MONTH, PinChanges
from depslim.models import Link, Pin

__all__ = [
    "DEFAULT_PRIOR_MONTHS",
    "DEFAULT_RATE",
    "RULE_RATE",
    "ChangeEstimate",
    "Priors",
    "estimate_change_rates",
    "layer_items",
    "pin_bytes",
    "release_times",
    "volatility_rule",
]

DEFAULT_PRIOR_MONTHS = 6.0
DEFAULT_RATE = 1.0
RULE_RATE = 30.0
_VCS_SCHEMES = ("git+", "hg+", "svn+", "bzr+")


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeEstimate:
    """One package's estimated changes per month and the evidence behind it."""

    name: NormalizedName
    changes_per_month: float
    evidence: tuple[Evidence, ...]


def volatility_rule(
    *, url: str | None = None, editable: bool = False, first_party: bool = False
) -> str | None:
    """Why a pin counts as most volatile (``"editable"``, ``"vcs"``, ``"path"``,
    ``"first-party"``), or ``None`` for an ordinary index pin."""
    if editable:
        return "editable"
    if url:
        if url.startswith(_VCS_SCHEMES):
            return "vcs"
        if url.startswith("file:") or "://" not in url:
            return "path"
    if first_party:
        return "first-party"
    return None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def release_times(links: Iterable[Link]) -> dict[NormalizedName, list[datetime]]:
    """One upload time per final release (its earliest file), from index links.

    Pre-releases and files without a readable ``upload_time`` are skipped; the lists
    are sorted. This is the ``releases`` argument of :func:`estimate_change_rates`.
    """
    first: dict[tuple[NormalizedName, Version], datetime] = {}
    for link in links:
        if link.upload_time is None or link.version.is_prerelease:
            continue
        try:
            moment = _utc(datetime.fromisoformat(link.upload_time))
        except ValueError:
            continue
        key = (link.name, link.version)
        if key not in first or moment < first[key]:
            first[key] = moment
    out: dict[NormalizedName, list[datetime]] = {}
    for (name, _), moment in first.items():
        out.setdefault(name, []).append(moment)
    return {name: sorted(times) for name, times in sorted(out.items())}


def _cadence(
    times: Sequence[datetime], now: datetime, window_days: float
) -> tuple[float, int, float]:
    """Releases per month over the window: (rate, releases, months observed)."""
    uploads = sorted(_utc(t) for t in times if _utc(t) <= now)
    window_start = now - timedelta(days=window_days)
    if uploads:
        window_start = max(window_start, uploads[0])
    count = sum(1 for t in uploads if t >= window_start)
    months = max(1.0, (now - window_start).total_seconds() / 86400 / DAYS_PER_MONTH)
    return count / months, count, months


@dataclass(frozen=True, slots=True, kw_only=True)
class Priors:
    """How much the estimate trusts each kind of evidence (see the module docstring).

    ``prior_months``: how many months of lockfile history weigh as much as the prior;
    ``cadence_days``: the window of release history read from the index; ``rule_rate``:
    the rate of a package a rule calls volatile; ``default_rate``: with no evidence.
    """

    prior_months: float = DEFAULT_PRIOR_MONTHS
    cadence_days: float = 365.25
    rule_rate: float = RULE_RATE
    default_rate: float = DEFAULT_RATE


def estimate_change_rates(
    names: Iterable[str],
    *,
    now: datetime,
    history: Mapping[NormalizedName, PinChanges] | None = None,
    releases: Mapping[str, Sequence[datetime]] | None = None,
    volatile: Mapping[str, str] | None = None,
    priors: Priors | None = None,
) -> dict[NormalizedName, ChangeEstimate]:
    """Changes per month for each of ``names``, combined as the module docstring says.

    ``history`` is :func:`~depslim.layers.snapshots.count_pin_changes`'s result
    (``None``: no git history). ``releases`` maps a project to its release upload
    times (``None``: the index was not asked; a project missing from it: unknown to
    the index). ``volatile`` maps a project to the reason a rule makes it volatile
    (see :func:`volatility_rule`). The result is keyed and sorted by normalized name.
    """
    now = _utc(now)
    chosen = priors or Priors()
    known_history = {canonicalize_name(k): v for k, v in (history or {}).items()}
    known_releases = {canonicalize_name(k): v for k, v in (releases or {}).items()}
    rules = {canonicalize_name(k): v for k, v in (volatile or {}).items()}
    watched = sum(changes.months for changes in known_history.values())
    pooled = (
        sum(changes.changes for changes in known_history.values()) / watched
        if watched > 0
        else None
    )
    estimates: dict[NormalizedName, ChangeEstimate] = {}
    for name in sorted({canonicalize_name(n) for n in names}):
        observed = known_history.get(name)
        history_months = observed.months if observed is not None else 0.0
        weight = 0.0
        if history_months > 0:
            weight = (
                history_months / (history_months + chosen.prior_months)
                if chosen.prior_months > 0
                else 1.0
            )
        evidence: list[Evidence] = []
        if observed is not None and history_months > 0:
            evidence.append(_history_evidence(observed, weight))
        prior = _prior_evidence(
            known_releases.get(name), now=now, pooled=pooled, watched=watched, priors=chosen
        )
        evidence.append(replace(prior, weight=1.0 - weight))
        combined = weight * (observed.rate if observed is not None else 0.0)
        combined += (1 - weight) * prior.rate
        if name in rules:
            evidence = [replace(e, weight=0.0) for e in evidence]
            evidence.append(
                Evidence(
                    source="rule",
                    rate=chosen.rule_rate,
                    weight=1.0,
                    detail=f"{rules[name]} package: changes with the project itself",
                )
            )
            combined = chosen.rule_rate
        estimates[name] = ChangeEstimate(
            name=name, changes_per_month=combined, evidence=tuple(evidence)
        )
    return estimates


def _history_evidence(observed: PinChanges, weight: float) -> Evidence:
    return Evidence(
        source="history",
        rate=observed.rate,
        weight=weight,
        detail=(
            f"pin changed {observed.changes} times in {observed.months:.1f} months "
            "of lockfile history"
        ),
        count=observed.changes,
        months=observed.months,
    )


def _prior_evidence(
    releases: Sequence[datetime] | None,
    *,
    now: datetime,
    pooled: float | None,
    watched: float,
    priors: Priors,
) -> Evidence:
    """The prior: the release cadence on the index, else the repository's pooled
    history, else the default rate (its weight is set by the caller)."""
    if releases is not None:
        rate, count, months = _cadence(releases, now, priors.cadence_days)
        return Evidence(
            source="cadence",
            rate=rate,
            weight=0.0,
            detail=f"{count} releases in the last {months:.1f} months on the index",
            count=count,
            months=months,
        )
    if pooled is not None:
        return Evidence(
            source="pooled-history",
            rate=pooled,
            weight=0.0,
            detail="not on the index: the repository's average pin change rate",
            months=watched,
        )
    return Evidence(
        source="default",
        rate=priors.default_rate,
        weight=0.0,
        detail="no history and no index data: the default rate",
    )


def pin_bytes(pin: Pin) -> int:
    """What installing ``pin`` downloads: its largest wheel, else its largest file, else 0.

    A lock lists the files the target can install; the installer takes one of them,
    and the largest is the cautious estimate.
    """
    wheels = [f.size for f in pin.files if f.size is not None and f.filename.endswith(".whl")]
    if wheels:
        return max(wheels)
    sized = [f.size for f in pin.files if f.size is not None]
    return max(sized, default=0)


def layer_items(
    pins: Iterable[Pin],
    estimates: Mapping[NormalizedName, ChangeEstimate],
    *,
    sizes: Mapping[NormalizedName, int] | None = None,
) -> tuple[LayerItem, ...]:
    """The partition's input: one :class:`LayerItem` per pin, sorted by name.

    ``sizes`` overrides :func:`pin_bytes` (for instance with installed sizes); a pin
    without an estimate gets ``DEFAULT_RATE`` with a ``default`` evidence record.
    """
    items: list[LayerItem] = []
    for pin in sorted(pins, key=lambda p: p.name):
        estimate = estimates.get(pin.name)
        if estimate is None:
            estimate = ChangeEstimate(
                name=pin.name,
                changes_per_month=DEFAULT_RATE,
                evidence=(
                    Evidence(
                        source="default",
                        rate=DEFAULT_RATE,
                        weight=1.0,
                        detail="no estimate was made for this pin: the default rate",
                    ),
                ),
            )
        size = sizes[pin.name] if sizes is not None and pin.name in sizes else pin_bytes(pin)
        items.append(
            LayerItem(
                name=pin.name,
                bytes=size,
                changes_per_month=estimate.changes_per_month,
                dependencies=tuple(sorted(set(pin.dependencies))),
                evidence=estimate.evidence,
            )
        )
    return tuple(items)
