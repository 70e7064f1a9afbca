"""What a lock weighs: download and installed sizes per package and in total.

Pure: rows in, a table (Markdown, to paste into a PR) or JSON out. The API gathers
the figures (from the wheels' zip directories, read with range requests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from packaging.utils import NormalizedName
from packaging.version import Version

__all__ = ["ReportRow", "SizeReport", "format_bytes", "render_report", "report_to_json"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportRow:
    """One pinned package's file and what it weighs; ``None`` where a figure is unknown.

    ``method`` is ``not found`` when no file of the pin was found (the report's
    ``warnings`` say why).

    ``method`` says how the figures were obtained (``zip-directory``: exact, read from
    the wheel; ``index``: the size the index listed, no installed size for an sdist).
    """

    name: NormalizedName
    version: Version | None
    index: str
    filename: str
    download_size: int | None
    installed_size: int | None
    method: str
    layer_size: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SizeReport:
    """Sizes of one lock, and optionally of what PyPI would have given instead."""

    target: str
    rows: tuple[ReportRow, ...]
    baseline: SizeReport | None = None
    baseline_label: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def download_size(self) -> int:
        return sum(r.download_size or 0 for r in self.rows)

    @property
    def installed_size(self) -> int:
        return sum(r.installed_size or 0 for r in self.rows)

    @property
    def complete(self) -> bool:
        """True when every row has both figures."""
        return all(r.download_size is not None and r.installed_size is not None for r in self.rows)


def format_bytes(size: int | None) -> str:
    """``191.8 MB`` (decimal units, as registries show sizes); ``?`` when unknown."""
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if abs(value) < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError  # pragma: no cover


def _percent(new: int, old: int) -> str:
    return f"{(new - old) / old * 100:+.0f}%" if old else "n/a"


def render_report(report: SizeReport) -> str:
    """A Markdown table per lock, with totals and, for a rerouted lock, the saving."""
    lines = [f"Sizes for {report.target}", ""]
    lines += _table(report.rows)
    lines.append("")
    lines.append(
        f"Total: {format_bytes(report.download_size)} to download, "
        f"{format_bytes(report.installed_size)} installed ({len(report.rows)} packages)."
    )
    unknown = [r.name for r in report.rows if r.installed_size is None]
    if unknown:
        lines.append(f"Installed size unknown (no wheel) for: {', '.join(unknown)}.")
    base = report.baseline
    if base is not None:
        mine = {r.name: r for r in report.rows}
        changed = [
            r for r in base.rows if (m := mine.get(r.name)) is None or m.version != r.version
        ]
        lines += ["", f"What {report.baseline_label or 'PyPI'} would have given instead:", ""]
        lines += _table(changed)
        lines.append("")
        lines.append(
            f"Total with {report.baseline_label or 'PyPI'}: "
            f"{format_bytes(base.download_size)} to download, "
            f"{format_bytes(base.installed_size)} installed ({len(base.rows)} packages)."
        )
        saved_dl = base.download_size - report.download_size
        saved_inst = base.installed_size - report.installed_size
        lines.append(
            f"Saving: {format_bytes(saved_dl)} download "
            f"({_percent(report.download_size, base.download_size)}), "
            f"{format_bytes(saved_inst)} installed "
            f"({_percent(report.installed_size, base.installed_size)})."
        )
    methods = sorted({r.method for r in report.rows})
    lines += ["", "How: " + "; ".join(_METHODS.get(m, m) for m in methods) + "."]
    return "\n".join(lines) + "\n"


_METHODS = {
    "zip-directory": (
        "zip-directory = read from the wheel's zip central directory with HTTP range "
        "requests; installed = the files pip writes, the byte-code it compiles included "
        "(estimated with a CPython 3.11 model)"
    ),
    "index": "index = size listed by the index (sdist: installed size needs a build)",
}


def _table(rows: tuple[ReportRow, ...] | list[ReportRow]) -> list[str]:
    out = [
        "| package | version | download | installed | from | how |",
        "| --- | --- | ---: | ---: | --- | --- |",
    ]
    ordered = sorted(rows, key=lambda r: (-(r.installed_size or r.download_size or 0), r.name))
    out.extend(
        f"| {row.name} | {row.version} | {format_bytes(row.download_size)} | "
        f"{format_bytes(row.installed_size)} | {row.index} | {row.method} |"
        for row in ordered
    )
    return out


def report_to_json(report: SizeReport) -> dict[str, Any]:
    """Plain data: rows, totals, and the baseline with the saving when there is one."""

    def rows(r: SizeReport) -> list[dict[str, Any]]:
        return [
            {
                "name": row.name,
                "version": str(row.version),
                "index": row.index,
                "filename": row.filename,
                "download_size": row.download_size,
                "installed_size": row.installed_size,
                "layer_size": row.layer_size,
                "method": row.method,
            }
            for row in sorted(r.rows, key=lambda x: x.name)
        ]

    data: dict[str, Any] = {
        "target": report.target,
        "packages": rows(report),
        "download_size": report.download_size,
        "installed_size": report.installed_size,
        "warnings": list(report.warnings),
    }
    if report.baseline is not None:
        base = report.baseline
        data["baseline"] = {
            "label": report.baseline_label,
            "packages": rows(base),
            "download_size": base.download_size,
            "installed_size": base.installed_size,
        }
        data["saving"] = {
            "download_size": base.download_size - report.download_size,
            "installed_size": base.installed_size - report.installed_size,
        }
    return data
