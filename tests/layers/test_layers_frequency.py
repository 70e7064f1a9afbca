"""Change frequency from history, cadence and rules, each source present or missing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from depslim.layers import (
    PinChanges,
    estimate_change_rates,
    layer_items,
    pin_bytes,
    release_times,
    volatility_rule,
)
from depslim.layers.frequency import DEFAULT_PRIOR_MONTHS, DEFAULT_RATE, RULE_RATE
from depslim.models import DistKind, Link, Pin, PinnedFile

NOW = datetime(2025, 1, 1, tzinfo=UTC)
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "history" / "webapp-weekly.json"


def monthly(count: int, *, every_days: float = 30.4375, end: datetime = NOW) -> list[datetime]:
    return [end - timedelta(days=every_days * (k + 0.5)) for k in range(count)]


def sources(estimate) -> dict[str, tuple[float, float]]:
    return {e.source: (e.rate, e.weight) for e in estimate.evidence}


def test_history_and_cadence_combine_as_a_shrunk_mean() -> None:
    history = {canonicalize_name("Django"): PinChanges(changes=6, months=18.0)}
    # 24 releases in the last year, and an older one (the project is not young)
    recent = [NOW - timedelta(days=365 / 24 * (k + 0.5)) for k in range(24)]
    releases = {"django": [*recent, NOW - timedelta(days=800)]}
    estimate = estimate_change_rates(["Django"], now=NOW, history=history, releases=releases)[
        "django"
    ]
    cadence = 24 / 12
    expected = (6 + DEFAULT_PRIOR_MONTHS * cadence) / (18 + DEFAULT_PRIOR_MONTHS)
    assert estimate.changes_per_month == pytest.approx(expected)
    got = sources(estimate)
    assert got["history"] == pytest.approx((6 / 18, 18 / 24))
    assert got["cadence"] == pytest.approx((cadence, 6 / 24))
    assert sum(e.weight for e in estimate.evidence) == pytest.approx(1.0)
    assert next(e for e in estimate.evidence if e.source == "history").count == 6


def test_without_history_the_cadence_alone_decides() -> None:
    releases = {"boto3": [*monthly(120, every_days=365 / 120), NOW - timedelta(days=900)]}
    estimate = estimate_change_rates(["boto3"], now=NOW, releases=releases)["boto3"]
    assert estimate.changes_per_month == pytest.approx(10.0)
    assert sources(estimate) == {"cadence": (pytest.approx(10.0), 1.0)}


def test_offline_history_is_shrunk_toward_the_pooled_rate() -> None:
    history = {
        canonicalize_name("a"): PinChanges(changes=0, months=12.0),
        canonicalize_name("b"): PinChanges(changes=12, months=12.0),
    }
    estimates = estimate_change_rates(["a", "b", "c"], now=NOW, history=history)
    pooled = 12 / 24
    assert estimates["a"].changes_per_month == pytest.approx(
        (0 + DEFAULT_PRIOR_MONTHS * pooled) / (12 + DEFAULT_PRIOR_MONTHS)
    )
    assert estimates["b"].changes_per_month > estimates["a"].changes_per_month
    # c is in the lock but not in the history: the pooled rate alone
    assert sources(estimates["c"]) == {"pooled-history": (pytest.approx(pooled), 1.0)}


def test_a_package_the_index_does_not_know_uses_the_pooled_prior() -> None:
    history = {canonicalize_name("private-lib"): PinChanges(changes=3, months=6.0)}
    estimate = estimate_change_rates(
        ["private-lib"], now=NOW, history=history, releases={"numpy": monthly(1)}
    )["private-lib"]
    assert set(sources(estimate)) == {"history", "pooled-history"}


def test_no_evidence_at_all_gives_the_default_rate() -> None:
    estimate = estimate_change_rates(["x"], now=NOW)["x"]
    assert estimate.changes_per_month == DEFAULT_RATE
    assert sources(estimate) == {"default": (DEFAULT_RATE, 1.0)}


def test_rules_make_first_party_and_vcs_pins_the_most_volatile() -> None:
    history = {canonicalize_name("my-app"): PinChanges(changes=1, months=12.0)}
    estimate = estimate_change_rates(
        ["my-app"],
        now=NOW,
        history=history,
        releases={"my-app": monthly(1)},
        volatile={"My_App": "first-party"},
    )["my-app"]
    assert estimate.changes_per_month == RULE_RATE
    got = sources(estimate)
    assert got["rule"] == (RULE_RATE, 1.0)
    assert got["history"][1] == 0.0
    assert got["cadence"][1] == 0.0


def test_volatility_rule() -> None:
    assert volatility_rule(editable=True) == "editable"
    assert volatility_rule(url="git+https://github.com/o/r@abc") == "vcs"
    assert volatility_rule(url="file:///src/lib") == "path"
    assert volatility_rule(url="./lib") == "path"
    assert volatility_rule(url="https://example.com/x-1-py3-none-any.whl") is None
    assert volatility_rule(first_party=True) == "first-party"
    assert volatility_rule() is None


def test_young_projects_and_future_uploads() -> None:
    young = [NOW - timedelta(days=45), NOW - timedelta(days=15)]
    future = [NOW + timedelta(days=3)]
    estimates = estimate_change_rates(
        ["young", "later"], now=NOW, releases={"young": young, "later": future}
    )
    young_cadence = next(e for e in estimates["young"].evidence if e.source == "cadence")
    assert young_cadence.count == 2
    assert young_cadence.months == pytest.approx(45 / (365.25 / 12))
    assert estimates["later"].changes_per_month == 0.0


def link(version: str, when: str | None, filename: str | None = None) -> Link:
    return Link(
        url=f"https://files.example/{version}",
        filename=filename or f"demo-{version}-py3-none-any.whl",
        name=canonicalize_name("demo"),
        version=Version(version),
        kind=DistKind.WHEEL,
        index="https://pypi.org/simple",
        upload_time=when,
    )


def test_release_times_from_index_links() -> None:
    links = [
        link("1.0", "2024-06-01T10:00:00.000000Z"),
        link("1.0", "2024-05-31T09:00:00Z", "demo-1.0.tar.gz"),
        link("1.1rc1", "2024-07-01T00:00:00Z"),
        link("1.1", "2024-08-01T00:00:00+00:00"),
        link("1.2", None),
        link("1.3", "yesterday"),
    ]
    times = release_times(links)
    assert times == {
        "demo": [
            datetime(2024, 5, 31, 9, tzinfo=UTC),
            datetime(2024, 8, 1, tzinfo=UTC),
        ]
    }


def test_cadence_from_real_pypi_upload_times() -> None:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    end = datetime.fromisoformat(data["end"])
    releases = {
        name: [datetime.fromisoformat(r["uploaded"]) for r in package["releases"]]
        for name, package in data["packages"].items()
    }
    estimates = estimate_change_rates(releases, now=end, releases=releases)
    # botocore ships several releases a week, torch a few a year, six almost never
    assert estimates["botocore"].changes_per_month > 15
    assert estimates["torch"].changes_per_month < 1.5
    assert estimates["six"].changes_per_month < estimates["torch"].changes_per_month
    assert list(estimates) == sorted(estimates)


def pin(name: str, *files: tuple[str, int | None], deps: tuple[str, ...] = ()) -> Pin:
    return Pin(
        name=canonicalize_name(name),
        version=Version("1.0"),
        index="https://pypi.org/simple",
        files=tuple(
            PinnedFile(filename=f, url=f"https://files.example/{f}", sha256="0" * 64, size=s)
            for f, s in files
        ),
        dependencies=tuple(canonicalize_name(d) for d in deps),
    )


def test_pin_bytes_and_layer_items() -> None:
    numpy = pin(
        "numpy",
        ("numpy-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", 16_000_000),
        ("numpy-1.0.tar.gz", 20_000_000),
        deps=(),
    )
    pandas = pin("pandas", ("pandas-1.0.tar.gz", 4_000_000), deps=("numpy", "numpy", "pytz"))
    unsized = pin("unsized", ("unsized-1.0-py3-none-any.whl", None))
    assert pin_bytes(numpy) == 16_000_000
    assert pin_bytes(pandas) == 4_000_000
    assert pin_bytes(unsized) == 0
    estimates = estimate_change_rates(["numpy", "pandas"], now=NOW, releases={"numpy": monthly(3)})
    items = layer_items([unsized, pandas, numpy], estimates, sizes={"numpy": 50_000_000})
    assert [i.name for i in items] == ["numpy", "pandas", "unsized"]
    assert items[0].bytes == 50_000_000
    # numpy's three releases span 2.5 months: a young project's cadence counts from its start
    assert items[0].changes_per_month == pytest.approx(3 / 2.5)
    assert items[1].dependencies == ("numpy", "pytz")
    assert items[2].changes_per_month == DEFAULT_RATE
    assert items[2].evidence[0].source == "default"
