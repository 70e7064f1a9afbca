"""One merge of every option source into frozen settings, once per run.

Precedence, highest first: explicit options (CLI flags, or keyword arguments of the
Python API), ``DEPSLIM_*`` environment variables, ``[tool.depslim]`` of the project's
``pyproject.toml`` (found by one rule, or given with ``--config``), then defaults.
Every verb receives the same :class:`Settings` value, so a key means the same thing
everywhere; :meth:`Settings.explain` says where each value came from.

The config file is found by one rule: ``--config FILE`` if given; none with
``--no-config``; else the nearest ``pyproject.toml`` at or above the verb's anchor (the
first input, the project folder, or the lockfile), stopping at a git root.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypedDict

from depslim.config import ALIASES, KEYS, ConfigValues, line_of, parse_settings
from depslim.credentials import redact_text
from depslim.errors import InputError
from depslim.inputs import read_tool_table
from depslim.inputs.files import read_text_file
from depslim.target import Target

__all__ = [
    "PYPI",
    "BuildSettings",
    "GpuSettings",
    "IndexSettings",
    "LayerSettings",
    "NetworkSettings",
    "Options",
    "Settings",
    "find_config",
    "load_settings",
]

PYPI = "https://pypi.org/simple"
DEFAULT_TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
ENV_PREFIX = "DEPSLIM_"

#: Each key's value when nothing sets it (python-version, python-platform, cache-dir and
#: index-url are filled in from the target, the user cache dir and ``no-index``).
DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {
        "extra-index-url": (),
        "find-links": (),
        "no-index": False,
        "only-binary": (),
        "no-binary": (),
        "output-file": None,
        "format": None,
        "index-of": {},
        "overrides": (),
        "constraints": (),
        "extra": (),
        "group": (),
        "all-extras": False,
        "no-extra": (),
        "no-group": (),
        "only-group": (),
        "pre": False,
        "allow-build": False,
        "no-cache": False,
        "offline": False,
        "no-verify-hashes": False,
        "timeout": 30.0,
        "retries": 3,
        "concurrency": 8,
        "torch-backend": "cpu",
        "torch-index-url": DEFAULT_TORCH_INDEX,
        "torch-family": (),
        "headless": False,
        "report": False,
        "entries": {},
        "exclude": (),
        "order": "alphabetical",
        "max-layers": 4,
        "max-layer-size": None,
        "closed-layers": False,
        "history-months": 24,
        "ignore": (),
    }
)


class Options(TypedDict, total=False):
    """Options as keyword arguments: each key is a ``[tool.depslim]`` key with ``_``.

    ``target`` (a :class:`~depslim.target.Target`) overrides python-version and
    python-platform at once; ``config`` is the pyproject.toml holding ``[tool.depslim]``
    (``True``: found by the usual rule; ``False``: none).
    """

    target: Target
    config: str | Path | bool | None
    python_version: str
    python_platform: str
    index_url: str
    extra_index_url: Sequence[str]
    find_links: Sequence[str]
    no_index: bool
    only_binary: Sequence[str]
    no_binary: Sequence[str]
    output_file: str
    format: str
    index_of: Mapping[str, str]
    overrides: Sequence[str | Path]
    constraints: Sequence[str | Path]
    extra: Sequence[str]
    group: Sequence[str]
    all_extras: bool
    no_extra: Sequence[str]
    no_group: Sequence[str]
    only_group: Sequence[str]
    pre: bool
    allow_build: bool
    cache_dir: str | Path
    no_cache: bool
    offline: bool
    no_verify_hashes: bool
    timeout: float
    retries: int
    concurrency: int
    torch_backend: str
    torch_index_url: str
    torch_family: Sequence[str]
    headless: bool
    report: bool
    entries: Mapping[str, str]
    exclude: Sequence[str]
    order: str
    max_layers: int
    max_layer_size: str | int
    closed_layers: bool
    history_months: int
    ignore: Sequence[str]


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexSettings:
    """Where packages come from. ``index_url`` is ``None`` with ``no_index``."""

    index_url: str | None = PYPI
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    index_of: Mapping[str, str] = field(default_factory=_empty)


@dataclass(frozen=True, slots=True, kw_only=True)
class GpuSettings:
    """The GPU policy: ``cpu`` reroutes the torch family and swaps GPU packages."""

    torch_backend: str = "cpu"
    torch_index_url: str = DEFAULT_TORCH_INDEX
    torch_family: tuple[str, ...] = ()
    headless: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildSettings:
    """What may be installed and run: pre-releases, sdists, build backends."""

    allow_build: bool = False
    only_binary: tuple[str, ...] = ()
    no_binary: tuple[str, ...] = ()
    pre: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkSettings:
    """How the index client talks and caches. ``cache_dir`` is ``None`` with no cache."""

    offline: bool = False
    cache_dir: Path | None = None
    timeout: float = 30.0
    retries: int = 3
    concurrency: int = 8
    verify_hashes: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerSettings:
    """How ``layers`` (and ``lock --order change-frequency``) cut a lock."""

    order: str = "alphabetical"
    max_layers: int = 4
    max_layer_size: str | None = None
    closed_layers: bool = False
    history_months: int = 24


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Every option of a run, merged once; what each stage receives.

    ``origins`` maps a key (``index-url``) to where its value came from: ``option``
    (a flag or an API argument), ``env DEPSLIM_…``, ``PATH:LINE`` of the config, or
    ``default``. ``config`` is the pyproject.toml that was read, if any.
    """

    target: Target
    indexes: IndexSettings = field(default_factory=IndexSettings)
    gpu: GpuSettings = field(default_factory=GpuSettings)
    builds: BuildSettings = field(default_factory=BuildSettings)
    network: NetworkSettings = field(default_factory=NetworkSettings)
    layers: LayerSettings = field(default_factory=LayerSettings)
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    all_extras: bool = False
    no_extras: tuple[str, ...] = ()
    no_groups: tuple[str, ...] = ()
    only_groups: tuple[str, ...] = ()
    entries: Mapping[str, str] = field(default_factory=_empty)
    exclude: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    output_file: str | None = None
    output_format: str | None = None
    overrides: tuple[Path, ...] = ()
    constraints: tuple[Path, ...] = ()
    report: bool = False
    config: Path | None = None
    values: Mapping[str, Any] = field(default_factory=_empty, repr=False)
    origins: Mapping[str, str] = field(default_factory=_empty, repr=False)

    def given(self, key: str) -> bool:
        """Whether ``key`` was set explicitly (flag, API argument or environment)."""
        origin = self.origins.get(key, "default")
        return origin == "option" or origin.startswith("env ")

    def explain(self) -> list[dict[str, Any]]:
        """Every key with its effective value and where it came from (``depslim config``)."""
        rows = []
        for key in [*KEYS, "target"]:
            value = self.values.get(key)
            if key == "target":
                value = str(self.target)
            elif isinstance(value, str):
                value = redact_text(value)  # `depslim config` never shows a credential
            elif isinstance(value, tuple):
                value = [redact_text(v) if isinstance(v, str) else v for v in value]
            elif isinstance(value, Mapping):
                value = dict(value)
            elif isinstance(value, Path):
                value = str(value)
            rows.append({"key": key, "value": value, "from": self.origins.get(key, "default")})
        return rows


# ---- finding and reading the config ----------------------------------------------------


def find_config(anchor: str | Path | None) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``anchor`` (a file or a folder), not
    above the enclosing git root; ``None`` when there is none."""
    if anchor is None:
        anchor = Path.cwd()
    try:
        here = Path(anchor).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise InputError(f"{anchor}: cannot follow this path ({exc})") from None
    if here.name == "pyproject.toml" and here.is_file():
        return here
    folder = here if here.is_dir() else here.parent
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        if path.is_file():
            return path
        if (candidate / ".git").exists():
            break
    return None


def _config_path(choice: str | Path | bool | None, anchor: str | Path | None) -> Path | None:
    if choice is False or choice is None:
        return None
    if choice is True:
        return find_config(anchor)
    path = Path(choice)
    if not path.is_file():
        raise InputError(f"--config {path}: no such file (give a pyproject.toml)")
    return path


def _read_config(path: Path | None) -> tuple[ConfigValues, dict[str, str]]:
    """The ``[tool.depslim]`` values of ``path`` and each key's ``file:line``."""
    if path is None:
        return ConfigValues(), {}
    text = _read_text(path)
    table = read_tool_table(text, path)
    values = parse_settings(table, source=str(path), text=text)
    origins = {}
    for key in table:
        line = line_of(key, text)
        origins[ALIASES.get(key, key)] = f"{path}:{line}" if line else str(path)
    return values, origins


def _read_text(path: Path) -> str:
    return read_text_file(path, what="config (pyproject.toml)")


# ---- the environment -------------------------------------------------------------------


def _from_env(env: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """``DEPSLIM_<KEY>`` values, converted and validated like config values."""
    raw: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for key, (kind, _) in KEYS.items():
        name = ENV_PREFIX + key.upper().replace("-", "_")
        text = env.get(name)
        if text is None or text == "":
            continue
        raw[key] = _env_value(name, text, kind)
        origins[key] = f"env {name}"
    values = parse_settings(raw, source="the environment")
    return {k: getattr(values, k.replace("-", "_")) for k in raw}, origins


def _env_value(name: str, text: str, kind: str) -> Any:
    if kind == "bool":
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise InputError(f"{name}={text!r}: write 1/true/yes or 0/false/no")
    if kind in ("int", "float"):
        try:
            return int(text) if kind == "int" else float(text)
        except ValueError:
            raise InputError(f"{name}={text!r}: must be a number") from None
    if kind == "list":
        return [item.strip() for item in text.replace(",", " ").split() if item.strip()]
    if kind == "table":
        pairs = [p.partition("=") for p in text.replace(",", " ").split()]
        if any(not sep for _, sep, _ in pairs):
            raise InputError(f"{name}={text!r}: write NAME=VALUE pairs, like api=app.main")
        return {k: v for k, _, v in pairs}
    return text


# ---- explicit options ------------------------------------------------------------------


def _from_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Explicit options (API keywords or CLI flags) as config keys, validated the same way."""
    raw: dict[str, Any] = {}
    for name, value in options.items():
        if name in ("target", "config") or value is None:
            continue
        key = name.replace("_", "-")
        if key not in KEYS:
            raise InputError(f"unknown option {name!r}")
        converted = _option_value(key, KEYS[key][0], value)
        if converted is not None:
            raw[key] = converted
    if "cache-dir" in raw:
        raw["cache-dir"] = str(raw["cache-dir"])
    values = parse_settings(raw, source="the command line")
    return {k: getattr(values, k.replace("-", "_")) for k in raw}


def _option_value(key: str, kind: str, value: Any) -> Any:
    """One explicit option in the config's shape; ``None`` for an empty list or table."""
    if kind == "list":
        items = [str(v) for v in ([value] if isinstance(value, str) else value)]
        return items or None
    if kind == "table":
        return dict(value) or None
    if kind == "str" and isinstance(value, Path):
        return str(value)
    if kind == "float" and isinstance(value, int | float) and not math.isfinite(value):
        raise InputError(f"--{key} must be a positive, finite number, not {value}")
    return value


# ---- the merge -------------------------------------------------------------------------


def load_settings(
    options: Mapping[str, Any] | None = None,
    *,
    anchor: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Merge ``options`` > ``DEPSLIM_*`` > ``[tool.depslim]`` > defaults into settings.

    ``anchor`` is where the config search starts (the first input, the project, the
    lockfile); ``options["config"]`` overrides the search (a path, or ``False``).
    """
    options = dict(options or {})
    environment = os.environ if env is None else env
    config_path = _config_path(options.get("config", True), anchor)
    config, config_origins = _read_config(config_path)
    env_values, env_origins = _from_env(environment)
    explicit = _from_options(options)
    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for key in KEYS:
        attr = key.replace("-", "_")
        if key in explicit:
            merged[key], origins[key] = explicit[key], "option"
        elif key in env_values:
            merged[key], origins[key] = env_values[key], env_origins[key]
        elif getattr(config, attr) is not None:
            merged[key], origins[key] = getattr(config, attr), config_origins[key]
    if "target" in options and options["target"] is not None:
        origins["python-version"] = origins["python-platform"] = "option"
    return _build(merged, origins, options.get("target"), config_path)


def _build(
    merged: Mapping[str, Any],
    origins: dict[str, str],
    target: Target | None,
    config_path: Path | None,
) -> Settings:
    def get(key: str) -> Any:
        return merged.get(key, DEFAULTS.get(key))

    if target is None:
        target = Target.parse(get("python-platform"), python=get("python-version"))
    no_index = bool(get("no-index"))
    cache_dir = None if get("no-cache") else _cache_root(get("cache-dir"))
    if get("offline") and cache_dir is None:
        raise InputError("--offline needs the cache: drop --no-cache")
    values = {key: get(key) for key in KEYS}
    values["python-version"] = merged.get("python-version", target.python_version)
    values["python-platform"] = merged.get("python-platform", target.platform)
    values["index-url"] = None if no_index else get("index-url") or PYPI
    values["cache-dir"] = cache_dir
    if "cache-dir" not in origins and cache_dir is not None:
        origins["cache-dir"] = "default"
    return Settings(
        target=target,
        indexes=IndexSettings(
            index_url=values["index-url"],
            extra_index_urls=tuple(get("extra-index-url")),
            find_links=tuple(get("find-links")),
            no_index=no_index,
            index_of=MappingProxyType(dict(get("index-of"))),
        ),
        gpu=GpuSettings(
            torch_backend=get("torch-backend"),
            torch_index_url=get("torch-index-url"),
            torch_family=tuple(get("torch-family")),
            headless=bool(get("headless")),
        ),
        builds=BuildSettings(
            allow_build=bool(get("allow-build")),
            only_binary=tuple(get("only-binary")),
            no_binary=tuple(get("no-binary")),
            pre=bool(get("pre")),
        ),
        network=NetworkSettings(
            offline=bool(get("offline")),
            cache_dir=cache_dir,
            timeout=float(get("timeout")),
            retries=int(get("retries")),
            concurrency=max(1, int(get("concurrency"))),
            verify_hashes=not get("no-verify-hashes"),
        ),
        layers=LayerSettings(
            order=get("order"),
            max_layers=int(get("max-layers")),
            max_layer_size=get("max-layer-size"),
            closed_layers=bool(get("closed-layers")),
            history_months=int(get("history-months")),
        ),
        extras=tuple(get("extra")),
        groups=tuple(get("group")),
        all_extras=bool(get("all-extras")),
        no_extras=tuple(get("no-extra")),
        no_groups=tuple(get("no-group")),
        only_groups=tuple(get("only-group")),
        entries=MappingProxyType(dict(get("entries"))),
        exclude=tuple(get("exclude")),
        ignore=tuple(get("ignore")),
        output_file=get("output-file"),
        output_format=get("format"),
        overrides=_files(get("overrides"), origins.get("overrides"), config_path),
        constraints=_files(get("constraints"), origins.get("constraints"), config_path),
        report=bool(get("report")),
        config=config_path,
        values=MappingProxyType(values),
        origins=MappingProxyType(origins),
    )


def _files(names: Sequence[str], origin: str | None, config: Path | None) -> tuple[Path, ...]:
    """Files named by a key: relative to the config file's folder when the config set
    them, else to the current directory."""
    from_config = config is not None and origin is not None and origin.startswith(str(config))
    return tuple(config.parent / n if from_config and config else Path(n) for n in names)


def _cache_root(cache_dir: str | None) -> Path:
    """``--cache-dir`` / ``DEPSLIM_CACHE_DIR`` / config (merged above), else the user
    cache dir (``~/.cache/depslim`` on Linux)."""
    if cache_dir:
        return Path(cache_dir)
    import platformdirs  # only when no folder was given: keeps start-up light

    return Path(platformdirs.user_cache_dir("depslim"))
