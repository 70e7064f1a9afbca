"""The documentation site: it builds with ``mkdocs build --strict`` and says what the code does.

The build runs the real MkDocs (with Material and mkdocstrings) in a subprocess with no
network (``unshare --net`` where the machine allows it), into a temporary folder; it is
skipped, with the reason, when the ``docs`` extra is not installed. The generators of
the CLI reference and of the API page are also tested on their own, on parsers built
here, without MkDocs.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path
from types import ModuleType

import pytest

from support.wheelhouse import no_network_prefix

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
DOCS_TOOLS = ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python")


def _load_hook(name: str) -> ModuleType:
    path = DOCS / "hooks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"depslim_docs_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cli_reference = _load_hook("cli_reference")
api_reference = _load_hook("api_reference")


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its parent package is missing
        return False


def _text(html: str) -> str:
    """The visible text of an HTML page, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every (sub-)command of ``parser``, found independently of the generator."""
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen: set[int] = set()
            for name, sub in action.choices.items():
                if id(sub) not in seen:
                    seen.add(id(sub))
                    found += _commands(sub, (*path, name))
    return found


# --- the CLI reference generator, on a parser made here ------------------------------


def _toy_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toy", description="A toy CLI.")
    parser.add_argument("--version", action="version", version="toy 1")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    run = verbs.add_parser("run", help="run a thing", aliases=["r"], description="Run <it>.")
    run.add_argument("target", metavar="TARGET", help="what to run")
    run.add_argument("where", nargs="?", default=".", help="a folder")
    group = run.add_argument_group("tuning")
    group.add_argument("-j", "--jobs", type=int, default=4, help="parallel jobs")
    group.add_argument("--tag", action="append", default=[], help="a tag")
    group.add_argument("--mode", choices=["a|b", "c"], metavar="MODE", help="mode `x|y`; a|b")
    run.add_argument("--secret", help=argparse.SUPPRESS)
    run.add_argument("--level", default="low", help="level (default: %(default)s)")
    cfg = verbs.add_parser("config", help="show or edit settings")
    nested = cfg.add_subparsers(dest="action", metavar="ACTION")
    nested.add_parser(
        "show",
        help="print the merged settings",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  %(prog)s --json\n  %(prog)s | less",
    )
    return parser


def test_reference_has_a_section_per_command_in_declared_order() -> None:
    text = cli_reference.render_reference(_toy_parser())
    headings = re.findall(r"^(#+) `([^`]+)` \{ #([\w-]+) \}$", text, flags=re.MULTILINE)
    assert headings == [
        ("##", "toy", "toy"),
        ("###", "toy run", "toy-run"),
        ("###", "toy config", "toy-config"),
        ("####", "toy config show", "toy-config-show"),
    ]


def test_reference_lists_options_groups_help_and_aliases() -> None:
    text = cli_reference.render_reference(_toy_parser())
    run = text.split("### `toy run`")[1].split("### `toy config`")[0]
    assert "### `toy config` { #toy-config }" in text
    assert "run a thing" in run
    assert "Aliases: `r`" in run
    assert "usage: toy run [-h]" in run
    assert "Run &lt;it&gt;." in run  # prose cannot open an HTML tag
    assert "**tuning**" in run
    assert "| `-j JOBS`, `--jobs JOBS` | parallel jobs (default: `4`) |" in run
    assert "| `--tag TAG` | a tag (repeatable) |" in run
    assert "| `--level LEVEL` | level (default: low) |" in run  # %(default)s expanded once
    assert "--secret" not in run  # suppressed options stay out of the docs
    assert "| argument | description |" in run
    assert "| `TARGET` | what to run |" in run
    assert "| `where` | a folder (default: `.`) |" in run
    # a pipe in prose is escaped, one inside a code span is left to the code span
    assert "mode `x|y`; a\\|b (one of: `a|b`, `c`)" in run
    for line in run.splitlines():
        if line.startswith("| `--mode"):
            assert line.replace("\\|", "").replace("`a|b`", "").replace("`x|y`", "").count("|") == 3


def test_reference_skips_help_and_lists_sub_commands() -> None:
    text = cli_reference.render_reference(_toy_parser())
    top = text.split("### `toy run`")[0]
    # each sub-command links to its section; an alias to its command's
    assert "| `VERB` | one of [`run`](#toy-run), [`r`](#toy-run), [`config`](#toy-config) |" in top
    assert "| `ACTION` | one of [`show`](#toy-config-show) |" in text
    assert "`-h`" not in text
    assert "| `--version` |" in top


def test_raw_epilog_is_kept_as_typed() -> None:
    text = cli_reference.render_reference(_toy_parser())
    show = text.split("#### `toy config show`")[1]
    assert "```text\nexamples:\n  toy config show --json\n  toy config show | less\n```" in show


def test_page_marker_is_replaced_only_where_it_stands_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))  # the hook puts src/ first
    config = {"config_file_path": str(ROOT / "mkdocs.yml")}
    cli_reference.on_config(config)
    page = f"# CLI\n\nintro\n\n{cli_reference.MARKER}\n"
    out = cli_reference.on_page_markdown(page)
    assert cli_reference.MARKER not in out
    assert "## `depslim` { #depslim }" in out
    assert cli_reference.on_page_markdown("no marker here") == "no marker here"


def test_reference_of_depslim_covers_every_command_and_option(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    parser = cli_reference.load_parser(ROOT / "src")
    text = cli_reference.render_reference(parser)
    commands = _commands(parser, (parser.prog,))
    assert len(commands) > 1
    for path, sub in commands:
        assert f"`{' '.join(path)}`" in text
        for action in sub._actions:
            if action.help == argparse.SUPPRESS or isinstance(action, argparse._HelpAction):
                continue
            for option in action.option_strings:
                assert f"`{option}" in text, (path, option)


# --- the API page generator ----------------------------------------------------------


def test_api_blocks_name_every_export_where_it_is_defined() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    try:
        import depslim

        blocks = api_reference.api_blocks()
    finally:
        sys.path.remove(str(ROOT / "src"))
    for name in depslim.__all__:
        obj = getattr(depslim, name)
        assert f'heading: "depslim.{name}"' in blocks
        if callable(obj) and hasattr(obj, "__qualname__"):
            assert f"::: {obj.__module__}.{obj.__qualname__}\n" in blocks
    # every export is documented once, even when depslim.api exports it too
    assert blocks.count('heading: "depslim.lock"') == 1
    assert blocks.count(f"::: {depslim.lock.__module__}.lock\n") == 1


def test_sphinx_roles_become_code_spans() -> None:
    pytest.importorskip("griffe", reason="the docs extra is not installed")
    roles = _load_hook("griffe_sphinx_roles")
    text = (
        "See :func:`lock`, :class:`~depslim.models.Lock`, :meth:`.LockResult.write`, "
        ":py:mod:`depslim.api` and :data:`the table <depslim.check.CODES>`; ``x`` stays."
    )
    assert roles.strip_roles(text) == (
        "See `lock`, `Lock`, `LockResult.write`, `depslim.api` and `the table`; ``x`` stays."
    )


def test_api_blocks_point_at_foreign_exports_without_documenting_them() -> None:
    from packaging.version import Version

    lines = api_reference._block("depslim", "Version", Version, level=3)
    assert lines[0] == "### `depslim.Version`"
    assert "Re-exported from `packaging.version.Version`." in lines
    assert not any(line.startswith(":::") for line in lines)
    sys.path.insert(0, str(ROOT / "src"))
    try:
        from depslim.models import Pin
    finally:
        sys.path.remove(str(ROOT / "src"))
    own = api_reference._block("depslim", "Pin", Pin, level=3)
    assert own[0] == "::: depslim.models.Pin"
    assert '      heading: "depslim.Pin"' in own


# --- the whole site ------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    missing = [name for name in DOCS_TOOLS if not _installed(name)]
    if missing:
        pytest.skip(f"the docs extra is not installed (pip install -e '.[docs]'): {missing}")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "NO_COLOR": "1"}
    env.pop("PYTHONPATH", None)  # the hooks put this checkout's src/ first themselves
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml")]
    proc = subprocess.run(
        [*no_network_prefix(), *cmd, "--site-dir", str(out)],
        cwd=out,  # not the checkout: every path in mkdocs.yml must hold from anywhere
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    return out


@pytest.mark.slow
def test_every_page_of_the_nav_is_built(site: Path) -> None:
    nav_pages = re.findall(r":\s*([\w./-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), re.M)
    assert {"index.md", "getting-started.md", "cli.md", "api.md", "check.md"} <= set(nav_pages)
    for page in nav_pages:
        built = site / ("index.html" if page == "index.md" else f"{page[:-3]}/index.html")
        assert built.is_file(), page
    assert not (site / "hooks").exists()  # the generators are build scripts, not pages


@pytest.mark.slow
def test_cli_page_documents_every_command(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    parser = cli_reference.load_parser(ROOT / "src")
    text = _text((site / "cli" / "index.html").read_text())
    assert "<!-- cli-reference -->" not in (site / "cli" / "index.html").read_text()
    for path, sub in _commands(parser, (parser.prog,)):
        assert " ".join(path) in text
        for action in sub._actions:
            if action.help != argparse.SUPPRESS and not isinstance(action, argparse._HelpAction):
                for option in action.option_strings:
                    assert option in text, (path, option)


@pytest.mark.slow
def test_api_page_documents_every_export_from_its_docstring(site: Path) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    try:
        import depslim
    finally:
        sys.path.remove(str(ROOT / "src"))
    html = (site / "api" / "index.html").read_text()
    text = _text(html)
    for name in depslim.__all__:
        assert f"depslim.{name}" in text, name
    first_line = (depslim.lock.__doc__ or "").strip().splitlines()[0]
    assert " ".join(first_line.replace("``", "").split()) in text
    assert not re.search(r":(func|class|mod|meth|attr|data):", text)  # roles read as code


@pytest.mark.slow
def test_check_page_lists_every_code(site: Path) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    try:
        from depslim.check import CODES
    finally:
        sys.path.remove(str(ROOT / "src"))
    text = _text((site / "check" / "index.html").read_text())
    for code, (name, _hint) in CODES.items():
        assert f"{code} {name}" in text, f"{code} ({name}) is missing from docs/check.md"
