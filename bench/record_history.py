"""Record a real two-year lockfile history of a web application from PyPI (run once, by hand).

Never run in CI or tests: it reaches https://pypi.org. It writes
``fixtures/history/webapp-weekly.json``, which ``bench/layers_replay.py`` and the layer
tests replay offline.

What the data is
----------------
* A fixed requirement set of 30 packages a FastAPI + SQLAlchemy + boto3 + pandas +
  torch web application installs (``PACKAGES``; the set is flat: every package is
  pinned directly, as in a pip-compile output of it).
* For each package, every final release (no pre/dev releases, no yanked ones) from
  PyPI's JSON API (``https://pypi.org/pypi/NAME/json``): its version, the upload time
  of its first file, and the size of the file CPython 3.11 on linux/amd64 installs
  (the largest ``cp311``/``abi3``/``py3`` manylinux x86_64 or pure wheel; the sdist
  when there is no such wheel, flagged ``"sdist": true``). Releases whose files all
  declare a ``Requires-Python`` excluding 3.11 are left out. torch's size is PyPI's
  manylinux x86_64 wheel, i.e. the CUDA build (~0.9 GB), without its nvidia-* deps.
* ``states``: a simulated lock refresh every Monday for two years (``--end`` minus 104
  weeks to ``--end``): at each refresh every package is pinned to the highest
  final release uploaded before that moment — what a bot that upgrades everything
  weekly (``pip-compile --upgrade``) would commit, ignoring cross-package version
  constraints (the real pairs that move together, pydantic/pydantic-core and
  boto3/botocore/s3transfer, release together anyway).

Usage::

    python bench/record_history.py [--end 2026-11-02] [-o fixtures/history/webapp-weekly.json]
"""

from __future__ import annotations

import argparse
import json
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

PACKAGES = (
    "annotated-types",
    "anyio",
    "boto3",
    "botocore",
    "certifi",
    "click",
    "fastapi",
    "greenlet",
    "h11",
    "httpcore",
    "httpx",
    "idna",
    "jmespath",
    "numpy",
    "pandas",
    "pydantic",
    "pydantic-core",
    "python-dateutil",
    "pytz",
    "redis",
    "s3transfer",
    "six",
    "sniffio",
    "sqlalchemy",
    "starlette",
    "torch",
    "typing-extensions",
    "tzdata",
    "urllib3",
    "uvicorn",
)
WEEKS = 104


def _fits(filename: str) -> bool:
    try:
        _, _, _, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename:
        return False
    for tag in tags:
        interpreter_ok = tag.interpreter in {"cp311", "py3", "cp3"} or tag.interpreter.startswith(
            "py3"
        )
        abi_ok = tag.abi in {"cp311", "abi3", "none"}
        platform_ok = tag.platform == "any" or (
            tag.platform.startswith("manylinux") and tag.platform.endswith("x86_64")
        )
        if interpreter_ok and abi_ok and platform_ok:
            return True
    return False


def _python_ok(file: dict[str, Any]) -> bool:
    spec = file.get("requires_python")
    if not spec:
        return True
    try:
        return SpecifierSet(spec).contains("3.11.9")
    except InvalidSpecifier:
        return True


def _releases(name: str) -> list[dict[str, Any]]:
    url = f"https://pypi.org/pypi/{name}/json"
    with urllib.request.urlopen(url, timeout=120) as response:
        data = json.load(response)
    out = []
    for version_text, files in data["releases"].items():
        try:
            version = Version(version_text)
        except InvalidVersion:
            continue
        if version.is_prerelease or version.is_devrelease or not files:
            continue
        live = [f for f in files if not f.get("yanked") and _python_ok(f)]
        if not live:
            continue
        wheels = [f for f in live if f["filename"].endswith(".whl") and _fits(f["filename"])]
        sdists = [f for f in live if f["packagetype"] == "sdist"]
        chosen = max(wheels, key=lambda f: f["size"]) if wheels else None
        if chosen is None and sdists:
            chosen = sdists[0]
        if chosen is None:
            continue
        uploaded = min(datetime.fromisoformat(f["upload_time_iso_8601"]) for f in files)
        entry = {
            "version": str(version),
            "uploaded": uploaded.astimezone(UTC).isoformat(),
            "bytes": int(chosen["size"]),
        }
        if not wheels:
            entry["sdist"] = True
        out.append(entry)
    out.sort(key=lambda r: (r["uploaded"], Version(r["version"])))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--end", default="2026-11-02", help="last refresh (a Monday), UTC")
    parser.add_argument("-o", "--output", default="fixtures/history/webapp-weekly.json")
    args = parser.parse_args()
    end = datetime.fromisoformat(args.end).replace(tzinfo=UTC)
    start = end - timedelta(weeks=WEEKS)
    keep_from = start - timedelta(days=365)
    packages: dict[str, list[dict[str, Any]]] = {}
    for name in PACKAGES:
        print(f"fetching {name}")
        releases = _releases(name)
        earlier = [r for r in releases if datetime.fromisoformat(r["uploaded"]) < keep_from]
        recent = [r for r in releases if keep_from <= datetime.fromisoformat(r["uploaded"]) <= end]
        # the highest release before the kept range stays: it may be the pin at ``start``
        head = [max(earlier, key=lambda r: Version(r["version"]))] if earlier else []
        packages[canonicalize_name(name)] = head + recent
    states = []
    for week in range(WEEKS + 1):
        moment = start + timedelta(weeks=week)
        pins = {}
        for name, releases in sorted(packages.items()):
            available = [r for r in releases if datetime.fromisoformat(r["uploaded"]) <= moment]
            if available:
                pins[name] = str(max(Version(r["version"]) for r in available))
        states.append({"date": moment.isoformat(), "pins": pins})
    document = {
        "description": (
            "Real PyPI release data (versions, first-upload times, cp311 manylinux x86_64 "
            "wheel sizes) of a 30-package web application, and a simulated weekly "
            "upgrade-everything lock refresh over two years. Recorded by "
            "bench/record_history.py; see its docstring."
        ),
        "recorded": datetime.now(UTC).date().isoformat(),
        "source": "https://pypi.org/pypi/{name}/json",
        "target": "cp311-manylinux-x86_64",
        "start": start.isoformat(),
        "end": end.isoformat(),
        "refresh": "weekly",
        "packages": {name: {"releases": releases} for name, releases in sorted(packages.items())},
        "states": states,
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {output}: {len(packages)} packages, {len(states)} lock states")


if __name__ == "__main__":
    main()
