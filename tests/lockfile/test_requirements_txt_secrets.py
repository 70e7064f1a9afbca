"""The requirements writer never writes a credential; ``${VAR}`` references are kept."""

from __future__ import annotations

import json

from packaging.utils import canonicalize_name
from packaging.version import Version

from depslim.credentials import redact_lock
from depslim.lockfile import lock_to_json, read_requirements_lock, render_requirements_txt
from depslim.models import Lock, Pin, PinnedFile
from depslim.target import Target

SECRET = "S3CRET-T0KEN"
DIGEST = "c" * 64


def _lock() -> Lock:
    private = f"https://ci:{SECRET}@private.example/simple"
    return Lock(
        target=Target.parse("linux/amd64", python="3.11"),
        pins=(
            Pin(
                name=canonicalize_name("inhouse"),
                version=Version("1.0"),
                index=private,
                files=(
                    PinnedFile(
                        filename="inhouse-1.0-py3-none-any.whl",
                        url=f"https://ci:{SECRET}@private.example/f/inhouse-1.0-py3-none-any.whl",
                        sha256=DIGEST,
                    ),
                ),
                via=("-r requirements.in",),
            ),
            Pin(
                name=canonicalize_name("direct"),
                version=Version("2.0"),
                index="",
                url=f"https://{SECRET}@files.example/direct-2.0-py3-none-any.whl",
                files=(PinnedFile(filename="direct-2.0-py3-none-any.whl", url="", sha256=DIGEST),),
            ),
        ),
        index_url=private,
        extra_index_urls=("https://${PRIVATE_USER}:${PRIVATE_TOKEN}@other.example/simple",),
        find_links=(f"https://links.example/wheels/?token={SECRET}",),
        command=(
            f"depslim lock requirements.in --index-url {private} "
            f"--torch-index-url https://u:{SECRET}@torch.example/whl/cpu"
        ),
        notes=(f"from https://u:{SECRET}@torch.example/whl/cpu only (CPU builds): torch",),
        torch_index_url=f"https://u:{SECRET}@torch.example/whl/cpu",
    )


def test_no_secret_is_written_and_each_index_is_named_without_it() -> None:
    text = render_requirements_txt(_lock(), version="0")
    assert SECRET not in text
    read = read_requirements_lock(text)
    assert read.index_url == "https://private.example/simple"
    assert read.extra_index_urls == (
        "https://${PRIVATE_USER}:${PRIVATE_TOKEN}@other.example/simple",
    )
    assert read.find_links == ("https://links.example/wheels/",)
    assert read.torch_index_url == "https://torch.example/whl/cpu"
    assert read.command is not None
    assert "--index-url https://private.example/simple" in read.command
    pins = {p.name: p for p in read.pins}
    assert pins["direct"].url == "https://files.example/direct-2.0-py3-none-any.whl"
    assert pins["inhouse"].hashes == (DIGEST,)


def test_the_layered_writer_too() -> None:
    text = render_requirements_txt(
        _lock(), version="0", sections=[("# layer 1", ["direct"]), ("# layer 2", ["inhouse"])]
    )
    assert SECRET not in text
    assert "# layer 2\ninhouse==1.0" in text


def test_redact_lock_gives_every_writer_a_lock_without_secrets() -> None:
    lock = _lock()
    shown = redact_lock(lock)
    assert SECRET not in json.dumps(lock_to_json(shown))
    assert SECRET not in repr(shown)
    assert shown.extra_index_urls == lock.extra_index_urls  # ${VAR} kept literally
    # The lock kept in memory for more requests still has them.
    assert SECRET in (lock.index_url or "")
    assert redact_lock(shown) == shown
