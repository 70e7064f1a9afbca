"""Function-level reachability of lazy imports (by name), on real trees on disk."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from depslim.scan import Tier, classify, reachable_files, scan_project

Tree = Mapping[str, str | bytes]
MakeTree = Callable[[Tree], Path]

SERVICE = {
    "pyproject.toml": '[project]\nname = "svc"\n',
    "svc/__init__.py": "",
    "svc/utils.py": """
        import logging

        def build_logger(name):
            return logging.getLogger(name)

        def disable_torch_init():
            import torch
            torch.nn.Linear.reset_parameters = lambda self: None

        def load_model(path):
            from svc import heavy
            return heavy.load(path)

        @register
        def plugin():
            import orjson
            return orjson

        class Box:
            def __enter__(self):
                import ujson
                return ujson
    """,
    "svc/heavy.py": "import transformers\n\ndef load(path):\n    return path\n",
    "svc/api.py": """
        import fastapi
        from svc.utils import build_logger

        logger = build_logger("api")
        app = fastapi.FastAPI()
    """,
    "svc/worker.py": """
        from svc import utils

        def main():
            utils.disable_torch_init()
            return utils.load_model("m")

        if __name__ == "__main__":
            main()
    """,
    "tests/test_utils.py": "from svc.utils import disable_torch_init\n",
}
DECLARED = {
    "fastapi": "main",
    "torch": "main",
    "transformers": "main",
    "orjson": "main",
    "ujson": "main",
}


def test_lazy_import_goes_to_the_entry_that_calls_its_function(make_tree: MakeTree) -> None:
    scan = scan_project(make_tree(SERVICE))
    result = classify(scan, declared=DECLARED, entries={"api": "svc.api", "worker": "svc.worker"})
    placements = result.placements
    assert placements["fastapi"].tier is Tier.BASE
    assert placements["torch"].tier is Tier.ML
    evidence = str(placements["torch"].evidence[0])
    assert "in disable_torch_init(), referenced at svc/worker.py:4 (worker)" in evidence
    # the first-party lazy import behind load_model() is followed only from the worker
    assert placements["transformers"].tier is Tier.ML
    # decorated functions run with their file: the API's tier
    assert placements["orjson"].tier is Tier.BASE
    # a method (dunder or not) runs when its class is used; nobody uses Box
    assert placements["ujson"].tier is Tier.DEV
    assert "in Box(), called by no entry point" in str(placements["ujson"].evidence[0])
    torch_line = next(r for r in scan.imports if r.module == "torch")
    assert result.tier_of(torch_line) is Tier.ML
    assert result.file_tiers["svc/utils.py"] is Tier.BASE


def test_reachable_files_follow_lazy_first_party_imports_only_when_called(
    make_tree: MakeTree,
) -> None:
    scan = scan_project(make_tree(SERVICE))
    api = reachable_files(scan, ["svc/api.py"])
    worker = reachable_files(scan, ["svc/worker.py"])
    assert "svc/heavy.py" not in api
    assert "svc/heavy.py" in worker
    assert scan.mentions[("svc/utils.py", "disable_torch_init")] == (
        ("svc/worker.py", 4, "main"),
        ("tests/test_utils.py", 1, None),
    )
    # main() is mentioned at module level of the worker (its __main__ block)
    assert scan.mentions[("svc/worker.py", "main")] == (("svc/worker.py", 8, None),)


def test_a_call_from_module_level_of_the_same_file_counts(make_tree: MakeTree) -> None:
    tree = dict(SERVICE)
    tree["svc/utils.py"] = "def disable_torch_init():\n    import torch\n\ndisable_torch_init()\n"
    scan = scan_project(make_tree(tree))
    result = classify(scan, declared=DECLARED, entries={"api": "svc.api", "worker": "svc.worker"})
    assert result.placements["torch"].tier is Tier.BASE
    assert "referenced at svc/utils.py:4 (api)" in str(result.placements["torch"].evidence[0])


def test_recursion_inside_the_function_is_not_a_reference(make_tree: MakeTree) -> None:
    tree = dict(SERVICE)
    tree["svc/utils.py"] = (
        "def build_logger(n):\n    return n\n\n"
        "def disable_torch_init(depth=0):\n    import torch\n"
        "    return disable_torch_init(depth + 1)\n"
    )
    tree["svc/worker.py"] = "import svc.utils\n"
    scan = scan_project(make_tree(tree))
    result = classify(scan, declared=DECLARED, entries={"api": "svc.api", "worker": "svc.worker"})
    # called by no entry (only by itself): the import belongs to no entry, like a file
    # no entry imports
    placement = result.placements["torch"]
    assert placement.tier is Tier.DEV
    assert "in disable_torch_init(), called by no entry point" in str(placement.evidence[0])


def test_a_mention_inside_a_function_counts_only_when_that_function_runs(
    make_tree: MakeTree,
) -> None:
    tree = dict(SERVICE)
    tree["svc/utils.py"] = (
        "def build_logger(n):\n    return n\n\n"
        "def oai_moderation(text):\n    import openai\n    return openai\n\n"
        "def moderation_filter(text):\n    return oai_moderation(text)\n"
    )
    tree["svc/worker.py"] = "from svc.utils import moderation_filter\nmoderation_filter('x')\n"
    scan = scan_project(make_tree(tree))
    declared = {**DECLARED, "openai": "main"}
    entries = {"api": "svc.api", "worker": "svc.worker"}
    result = classify(scan, declared=declared, entries=entries)
    # the API reaches utils.py, and oai_moderation is mentioned there, but only inside
    # moderation_filter, which only the worker calls
    evidence = str(result.placements["openai"].evidence[0])
    assert result.placements["openai"].tier is Tier.ML
    assert "referenced at svc/utils.py:9 (worker)" in evidence


def test_a_method_is_reached_when_its_class_is_mentioned(make_tree: MakeTree) -> None:
    tree = dict(SERVICE)
    tree["svc/readers.py"] = (
        "class PdfReader:\n"
        "    def lazy_load(self):\n"
        "        import transformers\n"
        "        return transformers\n\n"
        "class ImageReader:\n"
        "    def lazy_load(self):\n"
        "        import torch\n"
        "        return torch\n"
    )
    tree["svc/api.py"] = "import fastapi\nfrom svc import readers\nREADERS = [readers.PdfReader]\n"
    tree["svc/worker.py"] = "from svc.readers import ImageReader\nImageReader().lazy_load()\n"
    scan = scan_project(make_tree(tree))
    result = classify(scan, declared=DECLARED, entries={"api": "svc.api", "worker": "svc.worker"})
    # the framework calls lazy_load(); what matters is which class each entry uses
    assert result.placements["transformers"].tier is Tier.BASE
    assert "in PdfReader(), referenced at svc/api.py:3 (api)" in str(
        result.placements["transformers"].evidence[0]
    )
    assert result.placements["torch"].tier is Tier.ML


def test_functions_not_traced_within_the_budget_run_with_their_file(make_tree: MakeTree) -> None:
    from depslim.scan.reach import collect_mentions

    root = make_tree(SERVICE)
    scan = scan_project(root)
    assert (
        collect_mentions(scan.files, scan.layout, lambda rel: (root / rel).read_text(), budget=0)
        == {}
    )
    untraced = type(scan)(
        root=scan.root, files=scan.files, layout=scan.layout, roles=scan.roles, mentions={}
    )
    result = classify(
        untraced, declared=DECLARED, entries={"api": "svc.api", "worker": "svc.worker"}
    )
    # nothing traced: every lazy import counts where its file runs (the old, safe rule)
    assert result.placements["torch"].tier is Tier.BASE
    assert "svc/heavy.py" in reachable_files(untraced, ["svc/api.py"])
