"""The pure code checks of ``depslim check`` (check.code_findings) on real trees."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from depslim.check import Finding, code_findings, failing, findings_to_json, render_findings
from depslim.scan import ModuleMap, Tier, classify, scan_project

N = canonicalize_name


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return root


def _codes(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return sorted((f.code, f.subject, f.severity) for f in findings)


def test_offline_unknown_modules_are_never_unused(tmp_path: Path) -> None:
    # foo-client provides `foo`; offline with a cold cache nobody knows that.
    root = _tree(tmp_path, {"app/__init__.py": "", "app/main.py": "import foo\nimport yaml\n"})
    scan = scan_project(root)
    declared = {"foo-client": "main", "pyyaml": "main"}
    result = classify(scan, declared=declared)
    findings = code_findings(
        result, imports=scan.imports, declared_at={"foo-client": ("pyproject.toml", 7)}
    )
    assert _codes(findings) == [("DS007", "foo", "info"), ("DS007", "foo-client", "info")]
    assert failing(findings) == []
    unknown = next(f for f in findings if f.subject == "foo-client")
    assert "unknown, run `depslim split` online once" in unknown.message
    assert (unknown.path, unknown.line) == ("pyproject.toml", 7)
    # online, with foo-client's file list known: foo is its module, nothing to report
    known = ModuleMap.build(declared=declared, top_levels={N("foo-client"): ["foo"]})
    online = classify(scan, declared=declared, modules=known)
    assert code_findings(online, imports=scan.imports) == []
    # and a distribution known to provide something else is truly unused
    other = ModuleMap.build(
        declared=[*declared, "bar"], top_levels={N("foo-client"): ["foo"], N("bar"): ["bar"]}
    )
    unused = classify(scan, declared={**declared, "bar": "main"}, modules=other)
    assert _codes(code_findings(unused, imports=scan.imports)) == [("DS004", "bar", "error")]


def test_a_shell_script_never_produces_an_empty_name(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/main.py": "import fastapi\n",
            "celeryworker.sh": "#!/bin/sh\npython -m \ncelery -A app worker\npython -m -u\n",
        },
    )
    scan = scan_project(root)
    known = ModuleMap.build(declared=["fastapi"], top_levels={N("fastapi"): ["fastapi"]})
    result = classify(scan, declared={"fastapi": "main"}, modules=known)
    findings = code_findings(result, imports=scan.imports)
    assert _codes(findings) == [("DS003", "celery", "error")]
    (finding,) = findings
    assert finding.message == (
        "uses celery ([command] celery), which no declared dependency provides "
        "(distribution: celery, tier base)"
    )
    assert finding.evidence == "celeryworker.sh:3 [command] celery"
    text = render_findings(findings)
    assert "imports ," not in text and "why: celeryworker.sh:3 [command] celery" in text


def test_optional_missing_is_a_warning_that_does_not_fail(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {"app.py": "try:\n    import ujson as json\nexcept ImportError:\n    import json\n"},
    )
    scan = scan_project(root)
    result = classify(scan, declared={}, modules=ModuleMap.build())
    (finding,) = code_findings(result, imports=scan.imports)
    assert (finding.code, finding.subject, finding.severity) == ("DS003", "ujson", "warning")
    assert "optional: the code runs without it" in finding.message
    assert finding.evidence == "app.py:2 import ujson (optional)"
    assert failing([finding]) == []
    assert findings_to_json([finding])[0]["severity"] == "warning"


SERVICE = {
    "app/__init__.py": "",
    "app/utils.py": (
        "import logging\n\ndef build_logger(n):\n    return logging.getLogger(n)\n\n"
        "def disable_torch_init():\n    import torch\n"
    ),
    "app/api.py": "from app.utils import build_logger\nimport fastapi\n",
    "app/worker.py": "from app import utils\n\nutils.disable_torch_init()\n",
}


def test_ds005_uses_function_level_reachability(tmp_path: Path) -> None:
    root = _tree(tmp_path, SERVICE)
    scan = scan_project(root)
    declared = {"fastapi": "main", "torch": "main"}
    known = ModuleMap.build(
        declared=declared, top_levels={N("fastapi"): ["fastapi"], N("torch"): ["torch"]}
    )
    entries = {"api": "app.api", "worker": "app.worker"}
    result = classify(scan, declared=declared, modules=known, entries=entries)
    expected = {N("fastapi"): Tier.BASE, N("torch"): Tier.ML}
    assert code_findings(result, imports=scan.imports, expected=expected, api="api") == []
    # the API calling it too puts torch in the API's image: DS005 at the import
    (root / "app/api.py").write_text(
        "from app.utils import build_logger, disable_torch_init\nimport fastapi\n"
        "disable_torch_init()\n",
        "utf-8",
    )
    scan = scan_project(root)
    result = classify(scan, declared=declared, modules=known, entries=entries)
    (finding,) = code_findings(result, imports=scan.imports, expected=expected, api="api")
    assert (finding.code, finding.subject, finding.path, finding.line) == (
        "DS005",
        "torch",
        "app/utils.py",
        7,
    )
    assert "referenced at app/api.py:1 (api)" in finding.evidence


def test_ignore_comment_silences_ds005_and_ds003(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/api.py": (
                "import torch  # depslim: ignore[DS005]\nimport boto3  # depslim: ignore[DS003]\n"
            ),
        },
    )
    scan = scan_project(root)
    known = ModuleMap.build(
        declared=["torch"], top_levels={N("torch"): ["torch"], N("boto3"): ["boto3"]}
    )
    result = classify(scan, declared={"torch": "main"}, modules=known, entries={"api": "app.api"})
    findings = code_findings(
        result, imports=scan.imports, expected={N("torch"): Tier.ML}, api="api"
    )
    assert findings == []


def test_every_finding_has_a_subject_and_evidence(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/api.py": "import torch\nimport requests\n",
            "Procfile": "web: gunicorn app.api:app\n",
        },
    )
    scan = scan_project(root)
    known = ModuleMap.build(
        declared=["torch", "numpy"],
        top_levels={N("torch"): ["torch"], N("numpy"): ["numpy"], N("requests"): ["requests"]},
    )
    result = classify(
        scan, declared={"torch": "main", "numpy": "main"}, modules=known, entries={"api": "app.api"}
    )
    findings = code_findings(
        result, imports=scan.imports, expected={N("torch"): Tier.ML}, api="api"
    )
    assert _codes(findings) == [
        ("DS003", "gunicorn", "error"),
        ("DS003", "requests", "error"),
        ("DS004", "numpy", "error"),
        ("DS005", "torch", "error"),
    ]
    for finding in findings:
        assert finding.subject and finding.evidence and ", which" not in finding.message[:8]


def test_finding_rejects_unknown_codes_and_severities() -> None:
    with pytest.raises(ValueError, match="DS999"):
        Finding(code="DS999", message="x")
    with pytest.raises(ValueError, match="fatal"):
        Finding(code="DS003", message="x", severity="fatal")
