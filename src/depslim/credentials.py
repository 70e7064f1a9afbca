"""Credentials in URLs: find them, keep them out of everything depslim writes or prints.

A URL such as ``https://user:TOKEN@host/simple`` is used as given for requests, but
everything depslim writes (a lock, a tier or layer file, a report, ``--json``, cache
entries) and every message it prints names it through :func:`redact_url`:
``https://host/simple``. The installer then gets the credentials on its own (netrc,
keyring, ``PIP_INDEX_URL``), see ``docs/security.md``.

A credential written as environment variable references (``https://${USER}:${TOKEN}@host``)
is no secret: it is kept literally, so that pip expands it at install time; depslim
expands it only for its own requests (:func:`expand_url`).

Pure: text in, text out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from depslim.errors import InputError
from depslim.models import Lock

__all__ = [
    "FoundCredentials",
    "expand_url",
    "find_credentials",
    "redact_lock",
    "redact_text",
    "redact_url",
    "with_credentials_of",
]

#: ``${VAR}`` as pip expands it in requirements files (upper case, digits and ``_``).
_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)\}")
#: A value made only of variable references (``${TOKEN}``, ``${A}${B}``).
_ONLY_VARIABLES = re.compile(r"(?:\$\{[A-Z0-9_]+\})+")
#: Query parameters that carry secrets (signed URLs, token-in-URL indexes).
_SECRET_PARAMETERS = frozenset(
    {
        "access_token",
        "api_key",
        "apikey",
        "auth",
        "key",
        "password",
        "private_token",
        "secret",
        "sig",
        "signature",
        "token",
        "x-amz-credential",
        "x-amz-security-token",
        "x-amz-signature",
        "x-goog-credential",
        "x-goog-signature",
    }
)
#: Anything in free text that looks like a URL with a scheme (http, https, file, git+…).
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>`]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class FoundCredentials:
    """What secret a URL carries, without the secret itself.

    ``userinfo`` is true when the part before ``@`` holds a literal secret (a password,
    or a user name standing alone, which tokens often are); ``parameters`` names the
    query parameters that carry one. ``variables`` names the ``${VAR}`` references kept
    literally.
    """

    userinfo: bool = False
    parameters: tuple[str, ...] = ()
    variables: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.userinfo or bool(self.parameters)

    def describe(self) -> str:
        """``"a password"``, ``"the query parameter token"``, … for a warning."""
        parts = ["a user name or password"] if self.userinfo else []
        parts += [f"the query parameter {name!r}" for name in self.parameters]
        return " and ".join(parts)


def _split(url: str) -> tuple[str, str, str, str, str] | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return parts.scheme, parts.netloc, parts.path, parts.query, parts.fragment


def _userinfo_is_secret(userinfo: str) -> bool:
    """Whether ``user[:password]`` holds anything but ``${VAR}`` references where it counts.

    With a password, only the password is the secret (a plain user name next to a
    ``${TOKEN}`` password is kept). Without one, the user name itself may be a token
    (``https://TOKEN@host``, ``https://TOKEN:@host``).
    """
    user, _, password = userinfo.partition(":")
    secret = password or user
    return bool(secret) and not _ONLY_VARIABLES.fullmatch(secret)


def _secret_parameters(query: str) -> tuple[str, ...]:
    if not query:
        return ()
    names = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name.lower() in _SECRET_PARAMETERS and value and not _ONLY_VARIABLES.fullmatch(value):
            names.append(name)
    return tuple(dict.fromkeys(names))


def find_credentials(url: str) -> FoundCredentials:
    """Which secrets ``url`` carries (falsy when none); never raises."""
    split = _split(url)
    if split is None:
        return FoundCredentials()
    _, netloc, _, query, _ = split
    userinfo, at, _ = netloc.rpartition("@")
    return FoundCredentials(
        userinfo=bool(at) and _userinfo_is_secret(userinfo),
        parameters=_secret_parameters(query),
        variables=tuple(dict.fromkeys(_VARIABLE.findall(url))),
    )


def redact_url(url: str) -> str:
    """``url`` without its secrets: what depslim writes and prints in its place.

    The user name and password are dropped (``https://user:TOKEN@host/simple`` →
    ``https://host/simple``) unless the secret part is made of ``${VAR}`` references,
    which are kept literally; query parameters carrying secrets (``token=…``,
    signatures) are dropped. Anything else, including text that is not a URL at all,
    comes back unchanged.
    """
    if "@" not in url and "=" not in url:
        return url  # the common case: nothing to look at
    split = _split(url)
    if split is None:
        return url
    scheme, netloc, path, query, fragment = split
    userinfo, at, host = netloc.rpartition("@")
    if at and _userinfo_is_secret(userinfo):
        netloc = host
    secret = {name.lower() for name in _secret_parameters(query)}
    if secret:
        kept = [
            part
            for part in query.split("&")
            if part.partition("=")[0].lower() not in secret or not part.partition("=")[2]
        ]
        query = "&".join(kept)
    if netloc == split[1] and not secret:
        return url
    return urlunsplit((scheme, netloc, path, query, fragment))


def redact_text(text: str) -> str:
    """``text`` (a message, a command line) with :func:`redact_url` applied to each URL."""
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda match: redact_url(match.group(0)), text)


def expand_url(url: str, environ: Mapping[str, str]) -> str:
    """``url`` with each ``${VAR}`` replaced by its value from ``environ``, for requests.

    Raises :class:`~depslim.errors.InputError` naming the variable when it is not set.
    """
    if "${" not in url:
        return url

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        found = environ.get(name)
        if found is None:
            raise InputError(
                f"environment variable ${{{name}}} in {redact_url(url)} is not set; set it "
                "(depslim writes the URL with ${" + name + "} kept, for the installer to expand)"
            )
        return found

    return _VARIABLE.sub(value, url)


def with_credentials_of(url: str, source: str) -> str:
    """``url`` with ``source``'s user name and password when both name the same server.

    Cache entries keep URLs without credentials; a page read back from the cache gets
    them again from the URL it was requested with, so that its relative links can be
    fetched. ``url`` is returned unchanged when it has credentials of its own or names
    another scheme, host or port.
    """
    target, origin = _split(url), _split(source)
    if target is None or origin is None:
        return url
    userinfo, at, origin_host = origin[1].rpartition("@")
    if not at or "@" in target[1]:
        return url
    if target[0].lower() != origin[0].lower() or target[1].lower() != origin_host.lower():
        return url
    return urlunsplit((target[0], f"{userinfo}@{target[1]}", *target[2:]))


def redact_lock(lock: Lock) -> Lock:
    """``lock`` as every writer must see it: no URL in it carries credentials.

    Index and find-links URLs, the torch index, the command line and notes, each pin's
    index and direct reference, each file's URL. A lock kept in memory for more requests
    keeps its credentials; apply this where a lock is written or shown.
    """
    pins = tuple(
        replace(
            pin,
            index=redact_url(pin.index),
            url=None if pin.url is None else redact_url(pin.url),
            files=tuple(replace(f, url=redact_url(f.url)) for f in pin.files),
        )
        for pin in lock.pins
    )
    return replace(
        lock,
        pins=pins,
        index_url=None if lock.index_url is None else redact_url(lock.index_url),
        extra_index_urls=tuple(redact_url(u) for u in lock.extra_index_urls),
        find_links=tuple(redact_url(u) for u in lock.find_links),
        command=redact_text(lock.command),
        notes=tuple(redact_text(note) for note in lock.notes),
        torch_index_url=(
            None if lock.torch_index_url is None else redact_url(lock.torch_index_url)
        ),
    )
