"""Reading back a requirements lock: pins, hashes, options, depslim's header, ``# via``."""

from __future__ import annotations

from depslim.lockfile import read_requirements_lock

TEXT = """\
#
# depslim:target linux/arm64 python=3.12.0
# depslim:inputs-hash sha256:abc
# depslim:inputs requirements.in
#
--index-url https://pypi.org/simple
--no-index
--find-links wheels

anyio==4.3.0 \\
    --hash=sha256:{a} \\
    --hash=sha256:{b}
    # via
    #   httpx
    #   starlette
idna==3.7 \\
    --hash=sha256:{a}
    # via anyio
local @ file:///tmp/local-1.0-py3-none-any.whl \\
    --hash=sha256:{b}
    # via -r requirements.in
""".format(a="a" * 64, b="b" * 64)


def test_reads_pins_header_options_and_via() -> None:
    read = read_requirements_lock(TEXT)
    pins = {p.name: p for p in read.pins}
    assert str(pins["anyio"].version) == "4.3.0"
    assert pins["anyio"].hashes == ("a" * 64, "b" * 64)
    assert pins["anyio"].via == ("httpx", "starlette")
    assert pins["idna"].via == ("anyio",)
    assert pins["local"].url == "file:///tmp/local-1.0-py3-none-any.whl"
    assert pins["local"].via == ("-r requirements.in",)
    assert (read.target, read.python, read.inputs_hash) == ("linux/arm64", "3.12.0", "sha256:abc")
    assert read.inputs == ("requirements.in",)
    assert read.no_index and read.find_links == ("wheels",)


def test_never_raises_on_junk() -> None:
    read = read_requirements_lock("\\\n#   via\n==\n-x\nname===\x00\n")
    assert isinstance(read.pins, tuple)
