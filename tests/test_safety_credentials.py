"""Credentials in URLs: found, redacted, ``${VAR}`` kept literally, expanded for requests."""

from __future__ import annotations

import pytest

from depslim.credentials import (
    expand_url,
    find_credentials,
    redact_text,
    redact_url,
    with_credentials_of,
)
from depslim.errors import InputError


@pytest.mark.parametrize(
    ("url", "written"),
    [
        ("https://user:TOKEN@host/simple", "https://host/simple"),
        ("https://TOKEN@host/simple/", "https://host/simple/"),
        ("https://TOKEN:@host:8443/simple/", "https://host:8443/simple/"),
        ("https://__token__:pypi-AgEI@upload.example/simple", "https://upload.example/simple"),
        ("https://host/simple", "https://host/simple"),
        ("https://${USER}:${TOKEN}@host/simple", "https://${USER}:${TOKEN}@host/simple"),
        ("https://ci:${TOKEN}@host/simple", "https://ci:${TOKEN}@host/simple"),
        ("https://${TOKEN}@host/simple", "https://${TOKEN}@host/simple"),
        ("https://${USER}:secret@host/simple", "https://host/simple"),
        ("https://host/simple?token=abc&x=1", "https://host/simple?x=1"),
        (
            "https://bucket.s3/f.whl?X-Amz-Signature=ff&X-Amz-Credential=k&v=2#sha256=00",
            "https://bucket.s3/f.whl?v=2#sha256=00",
        ),
        ("https://host/simple?token=${TOKEN}", "https://host/simple?token=${TOKEN}"),
        ("file:///srv/wheels", "file:///srv/wheels"),
        ("./wheels", "./wheels"),
        ("git+https://user:pw@git.example/r.git@v1", "git+https://git.example/r.git@v1"),
        ("http://[::1/x.whl", "http://[::1/x.whl"),  # not a URL: unchanged, no crash
    ],
)
def test_redact_url(url: str, written: str) -> None:
    assert redact_url(url) == written
    assert not find_credentials(written)
    assert redact_url(written) == written


def test_find_credentials_says_what_without_the_secret() -> None:
    found = find_credentials("https://user:TOKEN@host/simple?token=t2")
    assert found
    assert found.userinfo
    assert found.parameters == ("token",)
    assert "TOKEN" not in found.describe() and "t2" not in found.describe()
    literal = find_credentials("https://${USER}:${TOKEN}@host/simple")
    assert not literal
    assert literal.variables == ("USER", "TOKEN")
    assert not find_credentials("https://host/simple")


def test_redact_text_finds_every_url_in_a_command_line_or_message() -> None:
    command = (
        "depslim lock requirements.in --index-url https://u:S3CRET@a.example/simple "
        "--extra-index-url=https://TOK@b.example/simple '--find-links=https://c/?token=Z9'"
    )
    shown = redact_text(command)
    for secret in ("S3CRET", "TOK@", "Z9"):
        assert secret not in shown
    assert "https://a.example/simple" in shown
    assert "--extra-index-url=https://b.example/simple" in shown
    message = "GET https://u:S3CRET@a.example/simple/x/: 401 Unauthorized"
    assert redact_text(message) == "GET https://a.example/simple/x/: 401 Unauthorized"
    assert redact_text("no url here: a:b@c") == "no url here: a:b@c"


def test_expand_url_for_requests() -> None:
    env = {"USER": "ci", "TOKEN": "s3cret"}
    assert (
        expand_url("https://${USER}:${TOKEN}@host/simple", env) == "https://ci:s3cret@host/simple"
    )
    assert expand_url("https://host/simple", {}) == "https://host/simple"
    with pytest.raises(InputError, match=r"\$\{MISSING\}") as caught:
        expand_url("https://${MISSING}@host/simple", env)
    assert "s3cret" not in str(caught.value)


def test_with_credentials_of_the_same_server_only() -> None:
    source = "https://u:p@host/simple/x/"
    assert with_credentials_of("https://host/files/x.whl", source) == "https://u:p@host/files/x.whl"
    assert with_credentials_of("https://other/files/x.whl", source) == "https://other/files/x.whl"
    assert with_credentials_of("http://host/files/x.whl", source) == "http://host/files/x.whl"
    assert with_credentials_of("https://v:q@host/f.whl", source) == "https://v:q@host/f.whl"
    assert with_credentials_of("https://host/f.whl", "https://host/simple") == "https://host/f.whl"
