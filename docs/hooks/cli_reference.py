"""Generate the CLI reference from depslim's own argument parser.

A MkDocs hook (``hooks:`` in ``mkdocs.yml``): in every page, a line holding only
``<!-- cli-reference -->`` is replaced by the reference of ``depslim.cli.build_parser()``.
The parser is walked generically: every sub-command (and sub-sub-command) it declares
gets a section with its usage, description and one table per argument group, so a new
verb or option shows up in the docs without touching this file.

The depslim imported is the one in this checkout's ``src/`` (put first on ``sys.path``),
so the reference always matches the sources being built, not an installed copy.

Run it directly to print the reference: ``python docs/hooks/cli_reference.py``.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["MARKER", "anchor", "load_parser", "on_config", "on_page_markdown", "render_reference"]

MARKER = "<!-- cli-reference -->"
"""The line a page holds where the generated reference goes."""

PARSER_FACTORY = ("depslim.cli", "build_parser")
"""Module and function that return the full ``argparse.ArgumentParser``."""

_USAGE_WIDTH = 88
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def load_parser(src: Path | None = None) -> argparse.ArgumentParser:
    """Import ``depslim.cli`` (from ``src`` if given) and call its ``build_parser()``."""
    if src is not None and str(src) not in sys.path:
        sys.path.insert(0, str(src))
    module_name, function_name = PARSER_FACTORY
    module = importlib.import_module(module_name)
    factory = getattr(module, function_name, None)
    if not callable(factory):
        msg = f"{module_name}.{function_name} is missing: the CLI reference cannot be generated"
        raise TypeError(msg)
    parser = factory()
    if not isinstance(parser, argparse.ArgumentParser):
        msg = f"{module_name}.{function_name}() returned {type(parser).__name__}, not a parser"
        raise TypeError(msg)
    return parser


def render_reference(parser: argparse.ArgumentParser, *, level: int = 2) -> str:
    """The Markdown reference of ``parser`` and every sub-command below it."""
    return "\n".join(
        _render_command(path, sub, summary, aliases, level=level + len(path) - 1)
        for path, sub, summary, aliases in _walk(parser, (parser.prog,), None)
    )


def _walk(
    parser: argparse.ArgumentParser, path: tuple[str, ...], summary: str | None
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser, str | None, list[str]]]:
    """``parser`` then each sub-command depth-first, in the order they were declared.

    Each item is (command path, parser, one-line help from the parent, aliases).
    """
    yield path, parser, summary, []
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help for choice in action._choices_actions}
        names: dict[int, list[str]] = {}
        subs: dict[int, argparse.ArgumentParser] = {}
        for name, sub in action.choices.items():  # aliases map to the same parser
            names.setdefault(id(sub), []).append(name)
            subs[id(sub)] = sub
        for key, (name, *aliases) in names.items():
            help_text = helps.get(name)
            summary = None if help_text is None else str(help_text)
            for item in _walk(subs[key], (*path, name), summary):
                yield item if item[1] is not subs[key] else (*item[:3], aliases)


def _render_command(
    path: tuple[str, ...],
    parser: argparse.ArgumentParser,
    summary: str | None,
    aliases: list[str],
    *,
    level: int,
) -> str:
    heading = "#" * min(level, 6)
    lines = [f"{heading} `{' '.join(path)}` {{ #{anchor(path)} }}", ""]
    if summary and summary != argparse.SUPPRESS:
        lines += [_oneline(summary), ""]
    if aliases:
        lines += ["Aliases: " + ", ".join(f"`{alias}`" for alias in aliases), ""]
    lines += ["```text", _usage(parser), "```", ""]
    if parser.description:
        lines += [*_prose(parser, parser.description), ""]
    for title, actions in _groups(parser):
        rows = [row for action in actions if (row := _row(path, parser, action)) is not None]
        if not rows:
            continue
        header = "argument" if all(not a.option_strings for a in actions) else "option"
        lines += [f"**{title}**", "", f"| {header} | description |", "| --- | --- |", *rows, ""]
    if parser.epilog:
        lines += [*_prose(parser, parser.epilog), ""]
    return "\n".join(lines)


def _prose(parser: argparse.ArgumentParser, text: str) -> list[str]:
    """A description or epilog: a paragraph, or kept as typed for the raw formatters."""
    if "%(prog)" in text:
        text = text % {"prog": parser.prog}
    formatter = parser.formatter_class
    if isinstance(formatter, type) and issubclass(formatter, argparse.RawDescriptionHelpFormatter):
        return ["```text", textwrap.dedent(text).strip("\n"), "```"]
    return [_escape_text(text)]


def anchor(path: tuple[str, ...]) -> str:
    """The HTML id of a command's section: ``depslim-config-show``."""
    return re.sub(r"[^a-z0-9_-]+", "-", "-".join(path).lower()).strip("-")


def _usage(parser: argparse.ArgumentParser) -> str:
    try:  # a fixed width, so the page does not depend on the terminal that builds it
        formatter = parser.formatter_class(prog=parser.prog, width=_USAGE_WIDTH)  # type: ignore[call-arg]
    except TypeError:  # a formatter class that takes no width
        formatter = parser.formatter_class(prog=parser.prog)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups)
    return _ANSI.sub("", formatter.format_help()).strip()


def _groups(
    parser: argparse.ArgumentParser,
) -> Iterator[tuple[str, list[argparse.Action]]]:
    """Positional arguments first, then every titled group, as ``--help`` shows them."""
    for group in parser._action_groups:
        actions = [a for a in group._group_actions if a.help != argparse.SUPPRESS]
        title = group.title or "options"
        if title in {"optional arguments", "options"}:
            title = "options"
        elif title == "positional arguments":
            title = "arguments"
        yield title, actions


def _row(
    path: tuple[str, ...], parser: argparse.ArgumentParser, action: argparse.Action
) -> str | None:
    if isinstance(action, argparse._SubParsersAction):
        links: dict[int, str] = {}
        for name, sub in action.choices.items():  # an alias links to its command's section
            links.setdefault(id(sub), name)
        names = [
            f"[`{name}`](#{anchor((*path, links[id(sub)]))})"
            for name, sub in action.choices.items()
        ]
        return f"| `{action.metavar or action.dest}` | one of " + ", ".join(names) + " |"
    if isinstance(action, argparse._HelpAction):
        return None
    return f"| {_invocation(action)} | {_escape_cell(_help(parser, action))} |"


def _invocation(action: argparse.Action) -> str:
    if not action.option_strings:
        return f"`{_metavar(action)}`"
    takes_value = action.nargs != 0
    value = f" {_metavar(action)}" if takes_value else ""
    return ", ".join(f"`{opt}{value}`" for opt in action.option_strings)


def _metavar(action: argparse.Action) -> str:
    metavar: Any = action.metavar
    if isinstance(metavar, tuple):
        return " ".join(str(m) for m in metavar)
    if metavar is not None:
        return str(metavar)
    if action.choices is not None and not isinstance(action.choices, dict):
        return "{" + ",".join(str(choice) for choice in action.choices) + "}"
    if action.option_strings:
        return action.dest.upper()
    return action.dest


def _help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    if action.help is None:
        text = ""
    else:
        params: dict[str, Any] = dict(vars(action), prog=parser.prog)
        for name in list(params):
            if params[name] is argparse.SUPPRESS:
                del params[name]
        if params.get("choices") is not None:
            params["choices"] = ", ".join(str(c) for c in params["choices"])
        try:
            text = str(action.help) % params
        except (KeyError, TypeError, ValueError):
            text = str(action.help)
    if action.choices is not None and action.metavar is not None:
        text += " (one of: " + ", ".join(f"`{c}`" for c in action.choices) + ")"
    if _repeatable(action) and "repeatable" not in text:
        text += " (repeatable)"
    default = action.default
    if default not in (None, False, True, [], (), "", argparse.SUPPRESS) and "default" not in text:
        text += f" (default: `{default}`)"
    return _oneline(text) if text else ""


def _repeatable(action: argparse.Action) -> bool:
    return isinstance(action, argparse._AppendAction | argparse._CountAction)


def _oneline(text: str) -> str:
    return " ".join(text.split())


_CODE = re.compile(r"(`[^`]*`)")


def _escape_text(text: str) -> str:
    """Prose from the parser: keep code spans, keep ``<…>`` from reading as HTML."""
    pieces = _CODE.split(" ".join(text.split()))
    return "".join(
        piece if piece.startswith("`") else piece.replace("<", "&lt;").replace(">", "&gt;")
        for piece in pieces
    )


def _escape_cell(text: str) -> str:
    """Text inside a Markdown table cell: no line breaks, no bare pipes outside code."""
    pieces = _CODE.split(_escape_text(text))
    return "".join(p if p.startswith("`") else p.replace("|", "\\|") for p in pieces)


# --- the MkDocs hook -------------------------------------------------------------------


_reference: str | None = None


def on_config(config: Any) -> Any:
    """Build the reference once per build, from the checkout next to ``mkdocs.yml``."""
    global _reference  # noqa: PLW0603 - one value per build, read by on_page_markdown
    src = Path(config["config_file_path"]).resolve().parent / "src"
    _reference = render_reference(load_parser(src if src.is_dir() else None))
    return config


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Replace the marker line with the reference."""
    if MARKER not in markdown:
        return markdown
    if _reference is None:
        msg = "the CLI reference was not built (on_config did not run)"
        raise RuntimeError(msg)
    lines = markdown.split("\n")
    return "\n".join(_reference if line.strip() == MARKER else line for line in lines)


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[2]
    sys.stdout.write(render_reference(load_parser(root / "src")))
