"""The real-project corpus (fixtures/real): five open-source services of different
shapes, classified offline (no lock, cold cache) and checked against an expected
classification written by reading their code (expected.json, with notes)."""

from __future__ import annotations

import pytest
from tests.scan.real_projects import PROJECTS, declared, run, spec

from depslim.check import code_findings
from depslim.scan import Tier, partition_closure
from depslim.scan.truth import tier_problems, tier_roots


@pytest.fixture(scope="module", params=PROJECTS)
def project(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_expected_classification(project: str) -> None:
    expect = spec(project)["expect"]
    assert isinstance(expect, dict)
    _, result = run(project)
    tiers = {name: p.tier.value for name, p in result.placements.items()}
    for tier in ("base", "ml", "dev"):
        for name in expect.get(tier, []):
            assert tiers.get(name) == tier, (project, name, tiers.get(name), tier)
    assert list(result.unused) == expect["unused"]
    assert set(expect["unknown"]) <= set(result.unknown)
    labels = {m.name: m.label for m in result.missing}
    for name, label in expect["missing"].items():
        assert labels.get(name) == label, (project, name, labels.get(name))
    for name in expect["not_missing"]:
        assert name not in labels, (project, name)
    # every declared distribution is accounted for exactly once
    accounted = [*result.placements, *result.unused, *result.unknown]
    assert sorted(accounted) == sorted(declared(project))


def test_tier_files_give_every_tier_what_it_imports(project: str) -> None:
    _, result = run(project)
    pinned = partition_closure({}, tier_roots(result))
    assert tier_problems(result, pinned) == []


def test_check_findings_are_never_empty_and_cite_their_evidence(project: str) -> None:
    scan, result = run(project)
    findings = code_findings(
        result, imports=scan.imports, expected={}, api="api" if spec(project)["entries"] else None
    )
    assert findings
    for finding in findings:
        assert finding.subject.strip()
        assert finding.evidence.strip()
        assert "imports ," not in finding.message
    unknown = {f.subject for f in findings if f.code == "DS007"}
    assert set(result.unknown) <= unknown
    assert not {f.subject for f in findings if f.code == "DS004"} & set(result.unknown)


def test_api_images_do_not_carry_the_ml_stack() -> None:
    _, fastchat = run("fastchat")
    assert fastchat.placements["torch"].tier is Tier.ML
    assert fastchat.file_tiers["fastchat/utils.py"] is Tier.BASE
    torch_in_utils = [
        e for e in fastchat.placements["torch"].evidence if e.where == "fastchat/utils.py:124"
    ]
    assert [e.tier for e in torch_in_utils] == [Tier.DEV]
    assert "in disable_torch_init(), called by no entry point" in torch_in_utils[0].detail
