"""Classification without a lock. The index seam is a plain function here (the verb
passes one that reads wheels with range requests; that part is tested with the index
client)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from depslim.scan import Tier, scan_project
from depslim.scan.nolock import classify_without_lock, learn_top_levels

N = canonicalize_name


def test_sources_in_order_cache_index_table_unknown() -> None:
    cache = {N("fastapi"): ["fastapi"], N("wrapper"): []}
    index = {N("foo-client"): ["foo"]}
    asked: list[str] = []

    def fetch(name: NormalizedName) -> Sequence[str] | None:
        asked.append(name)
        if name == "broken":
            raise OSError("index unreachable")
        return index.get(name)

    source = learn_top_levels(
        ["FastAPI", "wrapper", "foo-client", "PyYAML", "obscure", "broken"],
        cached=cache.get,
        fetch=fetch,
    )
    assert dict(source.origin) == {
        "broken": "unknown",
        "fastapi": "cache",
        "foo-client": "index",
        "obscure": "unknown",
        "pyyaml": "table",
        "wrapper": "cache",
    }
    assert sorted(asked) == ["broken", "foo-client", "obscure", "pyyaml"]
    assert source.top_levels[N("wrapper")] == frozenset()
    assert dict(source.errors) == {"broken": "index unreachable"}
    assert source.unknown == ("broken", "obscure")
    offline = learn_top_levels(["foo-client"], cached=cache.get)
    assert offline.unknown == ("foo-client",)


def test_classify_without_lock(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app/__init__.py").write_text("")
    (tmp_path / "app/main.py").write_text("import fastapi\nimport foo\nimport yaml\n")
    scan = scan_project(tmp_path)
    source = learn_top_levels(
        ["fastapi", "foo-client", "pyyaml", "openai"],
        cached={N("fastapi"): ["fastapi"], N("openai"): ["openai"]}.get,
        fetch={N("foo-client"): ["foo"]}.get,
    )
    result = classify_without_lock(
        scan,
        declared=[
            ("fastapi", "main"),
            ("foo-client", "main"),
            ("pyyaml", "main"),
            ("openai", "extra:eval"),
            ("openai", "main"),
        ],
        source=source,
    )
    assert {n: p.tier for n, p in result.placements.items()} == {
        "fastapi": Tier.BASE,
        "foo-client": Tier.BASE,
        "pyyaml": Tier.BASE,
    }
    assert result.unused == ("openai",)
    assert result.missing == () and result.unknown == ()
