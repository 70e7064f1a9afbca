"""Read pip requirements files (``requirements.in``, ``-r``/``-c`` includes) into :class:`Inputs`.

The format is pip's, restricted to what matters for locking:

* comments (``#`` at the start of a line or after whitespace, so URL fragments such as
  ``#sha256=`` and ``#egg=`` survive), blank lines, ``\\`` line continuations (an
  error points at the first physical line), CRLF line ends and a leading BOM;
* PEP 508 requirements, direct references (``name @ url``), and bare URLs or paths of
  wheels (the name comes from the wheel's file name) or of project directories (the
  name comes from the project's ``pyproject.toml`` or ``setup.cfg``, or ``#egg=``);
* ``-r``/``--requirement`` and ``-c``/``--constraint`` includes, relative to the
  including file, nested to any depth, with include cycles reported; a file included
  again is read and parsed only once (per requirements / constraints role);
* every file read is a regular file of at most 16 MiB (see :mod:`depslim.inputs.files`);
* ``-i``/``--index-url``, ``--extra-index-url``, ``-f``/``--find-links``, ``--no-index``,
  ``--pre``, ``--trusted-host``, ``--only-binary``, ``--no-binary``,
  ``--prefer-binary``, ``-e``/``--editable``, ``--require-hashes`` (accepted: depslim
  always writes hashes) and the per-requirement ``--hash`` (checked for form, then
  ignored: a lock computes the hashes of what it pins);
* ``${VAR}`` environment variables (upper case, digits and ``_``, as pip has them);
  a variable that is not set is an error rather than left in place.

Where depslim differs from pip on purpose: relative paths of wheels, project
directories and editables are taken relative to the requirements file's folder (pip
takes them relative to the working directory), lines included from a ``-c`` file stay
constraints however deep the ``-r`` nesting below it, two different ``--index-url``
values are an error rather than "last one wins", and an option that pip would silently
drop (``--pre`` after a requirement on the same line) is an error.

Everything here is pure on text: files are read through the ``read`` callable, so
tests (and callers holding text in memory) decide what a path contains.
"""

from __future__ import annotations

import errno
import os
import re
import shlex
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion

from depslim.errors import InputError
from depslim.inputs.checks import check_requirement
from depslim.inputs.files import describe_read_error, read_file_bytes
from depslim.inputs.pyproject import project_name
from depslim.models import InputRequirement, Inputs, Location

__all__ = ["Reader", "parse_requirements", "parse_requirements_text", "read_text"]

Reader = Callable[[Path], str]
"""Returns the text of a file; raises :class:`OSError` when it can't read it and
:class:`ValueError` when it refuses it (not a regular file, too large, not text)."""

_COMMENT = re.compile(r"(?<!\S)#.*$")  # "#" at the start or after whitespace
_COMMENT_LINE = re.compile(r"\s*#")
_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
#: options whose URL keeps its ``${VAR}``: they are expanded only when a request is made
_URL_OPTIONS = ("-i", "--index-url", "--extra-index-url", "-f", "--find-links")
_NEEDS_SHLEX = re.compile(r"[\"'\\]")
_SHLEX_SPACE = re.compile(r"[ \t\r\n]+")  # what shlex splits on
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")
_NAMED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@")
_EXTRAS_SUFFIX = re.compile(r"^(?P<path>.*?)(?P<extras>\[[^\[\]]*\])$")
_EGG = re.compile(r"(?:^|&)egg=([^&]*)")
_HASH = re.compile(r"^(?P<algo>[a-z0-9]+):(?P<digest>[0-9a-fA-F]+)$")
_HASH_DIGEST_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
_ARCHIVE_SUFFIXES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".tar")
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)

# option spelling -> (option id, takes a value)
_OPTIONS: dict[str, tuple[str, bool]] = {
    "-r": ("requirement", True),
    "--requirement": ("requirement", True),
    "-c": ("constraint", True),
    "--constraint": ("constraint", True),
    "-e": ("editable", True),
    "--editable": ("editable", True),
    "-i": ("index-url", True),
    "--index-url": ("index-url", True),
    "--extra-index-url": ("extra-index-url", True),
    "-f": ("find-links", True),
    "--find-links": ("find-links", True),
    "--no-index": ("no-index", False),
    "--pre": ("pre", False),
    "--trusted-host": ("trusted-host", True),
    "--only-binary": ("only-binary", True),
    "--no-binary": ("no-binary", True),
    "--prefer-binary": ("prefer-binary", False),
    "--require-hashes": ("require-hashes", False),
    "--hash": ("hash", True),
}
_PER_REQUIREMENT = frozenset({"hash"})


def read_text(path: Path) -> str:
    """Read a requirements file from disk, decoding it by its BOM, else as UTF-8.

    The file must be a regular file of at most :data:`~depslim.inputs.files.MAX_INPUT_BYTES`; raises
    :class:`OSError` when it can't be read, :class:`ValueError` (a
    :class:`RefusedFileError` or :class:`UnicodeDecodeError`) when it is refused.
    """
    data = read_file_bytes(path)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding)
    return data.decode("utf-8")


def parse_requirements(
    path: Path,
    *,
    read: Reader | None = None,
    environ: Mapping[str, str] | None = None,
    constraint: bool = False,
) -> Inputs:
    """Parse the requirements file at ``path`` and every file it includes.

    ``read`` returns a file's text (default: :func:`read_text`, from disk); ``environ``
    supplies ``${VAR}`` values (default: the process environment). With ``constraint``
    every line is a constraint, as for a file given to ``-c``.
    Raises :class:`InputError` naming ``file:line`` for anything wrong.
    """
    reader = read or read_text
    text = _read(reader, path, path, via=None)
    return parse_requirements_text(
        text, path=path, read=reader, environ=environ, constraint=constraint
    )


def parse_requirements_text(
    text: str,
    *,
    path: Path,
    read: Reader | None = None,
    environ: Mapping[str, str] | None = None,
    constraint: bool = False,
) -> Inputs:
    """Parse ``text`` as the content of the requirements file ``path``.

    ``path`` names the file in error messages and anchors relative paths (includes,
    ``--find-links``, wheels); included files are read with ``read`` (default: from
    disk). See :func:`parse_requirements` for the other arguments.
    """
    state = _State(
        read=read or read_text,
        environ=os.environ if environ is None else environ,
    )
    state.parse(text, path=path, constraint=constraint)
    return state.result()


# --- logical lines -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    text: str


def _logical_lines(text: str) -> Iterator[_Line]:
    """Join continuation lines, strip comments, drop blank lines."""
    text = text.removeprefix("\ufeff")
    pending: list[str] = []
    first = 0
    for number, physical in enumerate(text.splitlines(), start=1):
        is_comment = _COMMENT_LINE.match(physical) is not None
        if physical.endswith("\\") and not is_comment:
            if not pending:
                first = number
            pending.append(physical[:-1])
            continue
        if pending:
            # a comment line ends a continuation; the space keeps it a comment once joined
            pending.append(" " + physical if is_comment else physical)
            yield from _cleaned(first, "".join(pending))
            pending = []
        else:
            yield from _cleaned(number, physical)
    if pending:
        yield from _cleaned(first, "".join(pending))


def _cleaned(number: int, joined: str) -> Iterator[_Line]:
    stripped = _COMMENT.sub("", joined).strip()
    if stripped:
        yield _Line(number, stripped)


# --- the parser state ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Here:
    """The line being parsed: its text before ``${VAR}`` expansion, place and file."""

    raw: str
    where: Location
    path: Path
    constraint: bool


@dataclass(frozen=True, slots=True)
class _Include:
    """A ``-r``/``-c`` line asks for ``path`` (read as ``text``) to be parsed next."""

    path: Path
    key: str
    text: str
    constraint: bool


@dataclass(frozen=True, slots=True)
class _Frame:
    """A file being parsed: where it sits in the include chain, and its remaining lines."""

    path: Path
    key: str
    steps: Iterator[_Include]


@dataclass(slots=True)
class _State:
    """Everything collected so far across all files, in the order pip would apply it.

    Includes are walked with an explicit stack, not by recursion, so that a chain of
    any depth is read without hitting Python's recursion limit. Each file is read once,
    and parsed at most once as requirements and once as constraints: including it again
    would add the same lines again, and skipping that keeps the work linear even when
    files include each other many times over.
    """

    read: Reader
    environ: Mapping[str, str]
    requirements: list[InputRequirement] = field(default_factory=list)
    index_url: tuple[str, Location] | None = None
    # dicts as ordered sets: a value given again keeps its first place, in O(1)
    extra_index_urls: dict[str, None] = field(default_factory=dict)
    find_links: dict[str, None] = field(default_factory=dict)
    trusted_hosts: dict[str, None] = field(default_factory=dict)
    only_binary: set[str] = field(default_factory=set)
    no_binary: set[str] = field(default_factory=set)
    no_index: bool = False
    pre: bool = False
    prefer_binary: bool = False
    files: list[Path] = field(default_factory=list)
    listed: set[Path] = field(default_factory=set)
    texts: dict[str, str] = field(default_factory=dict)
    parsed: set[tuple[str, bool]] = field(default_factory=set)
    stack: list[_Frame] = field(default_factory=list)
    active: dict[str, int] = field(default_factory=dict)  # file on the stack -> its depth

    def result(self) -> Inputs:
        return Inputs(
            requirements=tuple(self.requirements),
            index_url=None if self.index_url is None else self.index_url[0],
            extra_index_urls=tuple(self.extra_index_urls),
            find_links=tuple(self.find_links),
            pre=self.pre,
            files=tuple(self.files),
            no_index=self.no_index,
            trusted_hosts=tuple(self.trusted_hosts),
            only_binary=tuple(sorted(self.only_binary)),
            no_binary=tuple(sorted(self.no_binary)),
            prefer_binary=self.prefer_binary,
        )

    def parse(self, text: str, *, path: Path, constraint: bool) -> None:
        """Parse ``text`` (the file ``path``) and, depth first, every file it includes."""
        key = _key(path)
        self.texts[key] = text
        self._push(_Include(path=path, key=key, text=text, constraint=constraint))
        while self.stack:
            include = next(self.stack[-1].steps, None)
            if include is None:
                del self.active[self.stack.pop().key]
            elif (include.key, include.constraint) not in self.parsed:
                self._push(include)

    def _push(self, include: _Include) -> None:
        self.parsed.add((include.key, include.constraint))
        if include.path not in self.listed:
            self.listed.add(include.path)
            self.files.append(include.path)
        steps = self._steps(include.text, path=include.path, constraint=include.constraint)
        self.active[include.key] = len(self.stack)
        self.stack.append(_Frame(path=include.path, key=include.key, steps=steps))

    def _steps(self, text: str, *, path: Path, constraint: bool) -> Iterator[_Include]:
        """Apply the lines of one file, yielding each include for :meth:`parse` to walk."""
        for line in _logical_lines(text):
            where = Location(path=str(path), line=line.number)
            here = _Here(raw=line.text, where=where, path=path, constraint=constraint)
            expanded = self._expand(line.text, where)  # every variable must be set
            if line.text.lstrip().startswith(_URL_OPTIONS):
                # an index or find-links URL keeps its ${VAR} (its credentials, say): the
                # client expands it for each request, and the lock keeps it as written
                expanded = line.text
            yield from self._parse_line(expanded, here)

    def _expand(self, text: str, where: Location) -> str:
        """``text`` with each ``${VAR}`` replaced by its value (an unset one is an error)."""

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            found = self.environ.get(name)
            if found is None:
                raise InputError(
                    f"{where}: environment variable ${{{name}}} is not set "
                    f"(in {_quote(text)}); set it, or write the value into the file"
                )
            return found

        return _ENV_VAR.sub(value, text)

    def _parse_line(self, text: str, here: _Here) -> Iterator[_Include]:
        raw, where = here.raw, here.where
        argument, options_text = _split_arguments(text)
        options = _parse_options(options_text, raw, where)
        if argument:
            for spelled, option, value in options:
                if option not in _PER_REQUIREMENT:
                    raise InputError(
                        f"{where}: {spelled} can't follow a requirement on the same line "
                        f"({_quote(raw)}); put it on a line of its own"
                    )
                _check_hash(value, raw, where)
            requirement, local = _requirement(argument, here, self.read)
            self._add(requirement, local, here, editable=False)
            return
        for spelled, option, value in options:
            if option in ("requirement", "constraint"):
                yield self._include(spelled, value, here, constraint=option == "constraint")
            else:
                self._apply_option(spelled, option, value, here)

    def _add(
        self, requirement: Requirement, local: str | None, here: _Here, *, editable: bool
    ) -> None:
        raw, where, constraint = here.raw, here.where, here.constraint
        if constraint and editable:
            raise InputError(
                f"{where}: a constraints file can't hold an editable ({_quote(raw)}); "
                "move the -e line into a requirements file"
            )
        if constraint and requirement.extras:
            raise InputError(
                f"{where}: a constraint can't have extras ({_quote(raw)}); constraints only "
                f"narrow versions: write {requirement.name} without [...]"
            )
        check_requirement(requirement, raw=raw, where=where)
        self.requirements.append(
            InputRequirement(
                requirement=requirement,
                origin=where,
                constraint=constraint,
                editable=editable,
                path=local,
            )
        )

    def _apply_option(self, spelled: str, option: str, value: str, here: _Here) -> None:
        raw, where, base = here.raw, here.where, here.path.parent
        if option == "editable":
            requirement, local = _editable(value, here, self.read)
            self._add(requirement, local, here, editable=True)
        elif option == "index-url":
            url = _location(value, base)
            if self.index_url is not None and self.index_url[0] != url:
                raise InputError(
                    f"{where}: {spelled} {value} conflicts with --index-url {self.index_url[0]} "
                    f"set at {self.index_url[1]}; keep one --index-url and make the other an "
                    "--extra-index-url"
                )
            self.index_url = (url, where)
        elif option == "extra-index-url":
            self.extra_index_urls[_location(value, base)] = None
        elif option == "find-links":
            self.find_links[_location(value, base)] = None
        elif option == "trusted-host":
            self.trusted_hosts[value] = None
        elif option == "no-index":
            self.no_index = True
        elif option == "pre":
            self.pre = True
        elif option == "prefer-binary":
            self.prefer_binary = True
        elif option == "only-binary":
            _update_binary(value, self.only_binary, self.no_binary, spelled, where)
        elif option == "no-binary":
            _update_binary(value, self.no_binary, self.only_binary, spelled, where)
        elif option == "hash":
            raise InputError(
                f"{where}: {spelled} must follow a requirement on the same line "
                f"({_quote(raw)}); write 'name==version --hash=sha256:...'"
            )
        # "require-hashes": nothing to record, depslim always writes hashes

    def _include(self, spelled: str, value: str, here: _Here, *, constraint: bool) -> _Include:
        where = here.where
        target = _include_path(value, spelled, where, here.path.parent)
        key = _key(target)
        if key in self.active:
            loop = [str(frame.path) for frame in self.stack[self.active[key] :]] + [str(target)]
            raise InputError(
                f"{where}: {spelled} {value} makes an include cycle: {' -> '.join(loop)}; "
                "remove one of these includes"
            )
        text = self.texts.get(key)
        if text is None:
            text = _read(self.read, target, value, via=(spelled, where))
            self.texts[key] = text
        return _Include(path=target, key=key, text=text, constraint=here.constraint or constraint)


# --- lines and options ------------------------------------------------------------


def _split_arguments(text: str) -> tuple[str, str]:
    """Split a line into its requirement part and its options part, as pip does."""
    match = re.search(r"(?:^|\s)(?=-)", text)
    if match is None:
        return text.strip(), ""
    return text[: match.start()].strip(), text[match.end() :]


def _parse_options(text: str, raw: str, where: Location) -> list[tuple[str, str, str]]:
    """``[(spelling, option id, value)]`` for the options on a line."""
    if not text.strip():
        return []
    try:
        # shlex is slow; without quotes or escapes it splits as str.split does
        if _NEEDS_SHLEX.search(text):
            tokens = shlex.split(text)
        else:
            tokens = [token for token in _SHLEX_SPACE.split(text) if token]
    except ValueError as exc:
        raise InputError(
            f"{where}: can't split {_quote(raw)} into options ({exc}); check the quotes"
        ) from None
    found: list[tuple[str, str, str]] = []
    index = 0
    while index < len(tokens):
        word = tokens[index]
        index += 1
        if not word.startswith("-") or word == "-":
            raise InputError(
                f"{where}: unexpected {_quote(word)} in {_quote(raw)}; a line holds one "
                "requirement, and options come after it"
            )
        if word.startswith("--"):
            spelled, equals, attached = word.partition("=")
            has_value = bool(equals)
        else:
            spelled, attached = word[:2], word[2:].removeprefix("=")
            has_value = bool(attached)
        spec = _OPTIONS.get(spelled)
        if spec is None:
            raise InputError(
                f"{where}: unknown option {spelled} in {_quote(raw)}; depslim reads "
                f"{', '.join(sorted({s for s in _OPTIONS if s.startswith('--')}))} "
                "(and their short forms)"
            )
        option, takes_value = spec
        if not takes_value:
            if has_value:
                raise InputError(f"{where}: {spelled} takes no value ({_quote(raw)})")
            found.append((spelled, option, ""))
            continue
        if not has_value:
            if index >= len(tokens):
                raise InputError(
                    f"{where}: {spelled} needs a value ({_quote(raw)}); write '{spelled} VALUE'"
                )
            attached = tokens[index]
            index += 1
        if not attached.strip():
            raise InputError(f"{where}: {spelled} has an empty value ({_quote(raw)})")
        found.append((spelled, option, attached))
    return found


def _check_hash(value: str, raw: str, where: Location) -> None:
    match = _HASH.match(value)
    expected = None if match is None else _HASH_DIGEST_LENGTHS.get(match["algo"])
    if match is None or expected is None or len(match["digest"]) != expected:
        allowed = ", ".join(_HASH_DIGEST_LENGTHS)
        raise InputError(
            f"{where}: bad --hash {_quote(value)} in {_quote(raw)}; write "
            f"--hash=ALGORITHM:HEXDIGEST with ALGORITHM one of {allowed}"
        )


def _update_binary(
    value: str, target: set[str], other: set[str], spelled: str, where: Location
) -> None:
    """Apply one ``--only-binary``/``--no-binary`` value the way pip combines them.

    ``:all:`` takes every project into ``target`` (and out of ``other``), ``:none:``
    empties ``target``, a name moves that project from ``other`` into ``target``.
    """
    for item in value.split(","):
        name = item.strip()
        if not name:
            continue
        if name == ":all:":
            other.clear()
            target.clear()
            target.add(":all:")
        elif name == ":none:":
            target.clear()
        else:
            if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?", name):
                raise InputError(
                    f"{where}: {spelled} takes project names separated by commas, "
                    f":all: or :none:, not {_quote(name)}"
                )
            normalized = canonicalize_name(name)
            other.discard(normalized)
            target.add(normalized)


# --- paths and URLs ---------------------------------------------------------------


def _key(path: Path) -> str:
    """What makes two spellings of one file path the same file, for cycle detection.

    Symbolic links are resolved: through a link to its own folder, a file could
    otherwise include itself under ever longer names.
    """
    try:
        return os.path.realpath(path.absolute())
    except (OSError, ValueError, RuntimeError):
        return os.path.normpath(path.absolute())


def _has_scheme(value: str) -> bool:
    """Whether ``value`` is a URL (a one-letter scheme is a Windows drive, not a URL)."""
    return _SCHEME.match(value) is not None


def _file_url_path(url: str) -> str:
    """The local path a ``file:`` URL names."""
    parts = urlsplit(url)
    local = unquote(parts.path)
    if parts.netloc and parts.netloc != "localhost":
        return f"//{parts.netloc}{local}"
    return local


def _local(value: str, base: Path) -> str:
    """``value`` (a path, relative to ``base`` unless absolute) as an absolute path."""
    return os.path.normpath((base / value).absolute())


def _location(value: str, base: Path) -> str:
    """An index or find-links location: URLs stay, paths become absolute."""
    if _has_scheme(value):
        return value
    return _local(value, base)


def _include_path(value: str, spelled: str, where: Location, base: Path) -> Path:
    if _has_scheme(value):
        if value.lower().startswith("file:"):
            return Path(_file_url_path(value))
        raise InputError(
            f"{where}: {spelled} {value}: depslim reads requirements files from disk "
            "only; download the file and include its local path"
        )
    return Path(os.path.normpath(base / value))


def _read(read: Reader, path: Path, spelled: object, via: tuple[str, Location] | None) -> str:
    try:
        return read(path)
    except (OSError, ValueError) as exc:
        what, fix = describe_read_error(exc)
        if via is None:
            raise InputError(f"{path}: can't read this requirements file ({what}); {fix}") from None
        option, where = via
        if isinstance(exc, OSError) and exc.errno == errno.ENOENT:
            fix = f"the path is relative to the folder of {where.path}"
        message = f"{where}: {option} {spelled}: can't read {path} ({what}); {fix}"
        raise InputError(message) from None


# --- requirements -----------------------------------------------------------------


def _invalid(raw: str, where: Location, reason: str) -> InputError:
    first = reason.strip().splitlines()[0] if reason.strip() else "not PEP 508"
    return InputError(
        f"{where}: invalid requirement {_quote(raw)}: {first}; write a PEP 508 "
        "requirement such as 'name>=1.0', 'name[extra]; python_version >= \"3.11\"' "
        "or 'name @ https://host/name-1.0-py3-none-any.whl'"
    )


def _pep508(text: str, raw: str, where: Location) -> Requirement:
    try:
        return Requirement(text)
    except (InvalidRequirement, RecursionError) as exc:
        raise _invalid(raw, where, str(exc) or "nested too deeply") from None


def _requirement(argument: str, here: _Here, read: Reader) -> tuple[Requirement, str | None]:
    """A requirement line's requirement, and the local path it points at, if any."""
    raw, where, base = here.raw, here.where, here.path.parent
    if _has_scheme(argument):
        url, marker = _split_marker(argument, url=True)
        return _unnamed(url, "", marker, here, read)
    if _NAMED.match(argument) is None:
        head, marker = _split_marker(argument, url=False)
        extras_match = _EXTRAS_SUFFIX.match(head)
        bare = extras_match["path"] if extras_match else head
        if _looks_like_path(bare):
            extras = extras_match["extras"] if extras_match else ""
            return _unnamed(bare, extras, marker, here, read)
    requirement = _pep508(argument, raw, where)
    local: str | None = None
    if requirement.url is not None:
        if not _has_scheme(requirement.url):
            local = _local(requirement.url, base)
            requirement.url = Path(local).as_uri()
        elif requirement.url.lower().startswith("file:"):
            local = _file_url_path(requirement.url)
    return requirement, local


def _split_marker(argument: str, *, url: bool) -> tuple[str, str]:
    """Split ``thing ; marker``; after a URL the ``;`` must be set off by whitespace."""
    pattern = r"\s;|;\s" if url else r";"
    match = re.search(pattern, argument)
    if match is None:
        return argument.strip(), ""
    return argument[: match.start()].strip(), argument[match.end() :].strip()


def _looks_like_path(value: str) -> bool:
    return (
        "/" in value
        or "\\" in value
        or value.startswith((".", "~"))
        or value.lower().endswith(_ARCHIVE_SUFFIXES)
    )


def _unnamed(
    target: str, extras: str, marker: str, here: _Here, read: Reader, *, editable: bool = False
) -> tuple[Requirement, str | None]:
    """A requirement for a URL or path written without ``name @``: find its name."""
    raw, where, base = here.raw, here.where, here.path.parent
    is_url = _has_scheme(target)
    try:
        parts = urlsplit(target) if is_url else None
    except ValueError as exc:
        raise _invalid(raw, where, str(exc)) from None
    local: str | None = None
    if parts is None:
        local = _local(target.partition("#")[0], base)
        url = Path(local).as_uri() + (f"#{target.partition('#')[2]}" if "#" in target else "")
    else:
        url = target
        if parts.scheme.lower() == "file":
            local = _file_url_path(target)
    fragment = parts.fragment if parts is not None else target.partition("#")[2]
    filename = (parts.path if parts is not None else target.partition("#")[0]).rsplit("/", 1)[-1]
    filename = unquote(filename).rsplit("\\", 1)[-1]

    name = _egg_name(fragment, raw, where)
    if name is None and filename.lower().endswith(".whl"):
        if editable:
            raise InputError(
                f"{where}: -e needs a project folder or a VCS URL, not a wheel "
                f"({_quote(raw)}); drop -e to install the wheel"
            )
        try:
            name = parse_wheel_filename(filename)[0]
        except (InvalidWheelFilename, InvalidVersion) as exc:
            raise InputError(
                f"{where}: {_quote(filename)} is not a valid wheel file name ({exc}); "
                "write the requirement as 'name @ URL'"
            ) from None
    if name is None and local is not None and not local.lower().endswith(_ARCHIVE_SUFFIXES):
        name = _project_dir_name(Path(local), read)
    if name is None:
        if local is not None and not local.lower().endswith(_ARCHIVE_SUFFIXES):
            why = (
                f"found no [project] name in pyproject.toml nor [metadata] name in "
                f"setup.cfg in {local}"
            )
        else:
            why = "depslim takes a name from a wheel's file name or an #egg=NAME fragment"
        fix = f"-e {target}#egg=NAME" if editable else f"NAME @ {url}"
        raise InputError(
            f"{where}: can't tell which project {_quote(raw)} is ({why}); write it as '{fix}'"
        )
    text = f"{name}{extras} @ {url}" + (f" ; {marker}" if marker else "")
    return _pep508(text, raw, where), local


def _egg_name(fragment: str, raw: str, where: Location) -> str | None:
    match = _EGG.search(fragment)
    if match is None:
        return None
    egg = unquote(match.group(1))
    try:
        parsed = Requirement(egg)
    except InvalidRequirement:
        parsed = None
    if parsed is None or parsed.specifier or parsed.url or parsed.marker or parsed.extras:
        raise InputError(
            f"{where}: #egg={egg} in {_quote(raw)} is not a project name; write "
            "#egg=NAME, or better 'NAME @ URL'"
        )
    return parsed.name


def _project_dir_name(folder: Path, read: Reader) -> str | None:
    """The name a project folder declares: ``[project] name``, else ``setup.cfg``'s."""
    try:
        text = read(folder / "pyproject.toml")
    except (OSError, ValueError):
        text = None
    if text is not None:
        try:
            name = project_name(text, path=folder / "pyproject.toml")
        except InputError:
            name = None
        if name is not None:
            return name
    try:
        text = read(folder / "setup.cfg")
    except (OSError, ValueError):
        return None
    return _setup_cfg_name(text)


def _setup_cfg_name(text: str) -> str | None:
    """``[metadata] name`` of a ``setup.cfg``, read line by line (no interpolation)."""
    section = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1].strip().lower()
            continue
        if section != "metadata" or line[:1].isspace():
            continue
        key, sep, value = stripped.partition("=")
        if not sep:
            key, sep, value = stripped.partition(":")
        if sep and key.strip().lower() == "name":
            candidate = value.strip()
            if re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?", candidate):
                return candidate
            return None
    return None


def _editable(value: str, here: _Here, read: Reader) -> tuple[Requirement, str | None]:
    """The requirement of ``-e VALUE``: a project folder (or ``file:`` URL) or a VCS URL."""
    target, extras = value, ""
    if not _has_scheme(value):
        extras_match = _EXTRAS_SUFFIX.match(value)
        if extras_match is not None:
            target, extras = extras_match["path"], extras_match["extras"]
    return _unnamed(target, extras, "", here, read, editable=True)


def _quote(text: str) -> str:
    return f"'{text}'"
