"""PEP 751 ``pylock.toml``: what the writer puts in, what packaging accepts, reading back."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime

import pytest
from packaging.pylock import Pylock
from packaging.utils import canonicalize_name
from packaging.version import Version

from depslim.errors import InputError
from depslim.lockfile import format_for_output, read_pylock, write_pylock
from depslim.models import Lock, Pin, PinnedFile
from depslim.target import Target

TARGET = Target.parse("linux/amd64", python="3.11")
PYPI = "https://pypi.org/simple"
TORCH = "https://download.pytorch.org/whl/cpu"
NUMPY_WHEEL = "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
TORCH_WHEEL = "torch-2.3.0+cpu-cp311-cp311-linux_x86_64.whl"


def _file(filename: str, base: str, digest: str, **extra: object) -> PinnedFile:
    url = f"{base}/{filename.replace('+', '%2B')}"
    return PinnedFile(filename=filename, url=url, sha256=digest * 64, **extra)  # type: ignore[arg-type]


def _lock(**changes: object) -> Lock:
    numpy = Pin(
        name=canonicalize_name("numpy"),
        version=Version("1.26.4"),
        index=PYPI,
        files=(
            _file(
                NUMPY_WHEEL,
                "https://files.example/packages",
                "b",
                size=18_200_000,
                upload_time="2024-02-05T23:48:01.194305Z",
            ),
            _file("numpy-1.26.4.tar.gz", "https://files.example/packages", "c", size=15_000_000),
        ),
        via=("torch",),
    )
    torch = Pin(
        name=canonicalize_name("torch"),
        version=Version("2.3.0+cpu"),
        index=TORCH,
        files=(_file(TORCH_WHEEL, TORCH, "a", size=190_000_000),),
        via=("-r requirements.in",),
        dependencies=(canonicalize_name("numpy"),),
    )
    fields: dict[str, object] = {
        "target": TARGET,
        "pins": (torch, numpy),
        "index_url": PYPI,
        "command": "depslim lock requirements.in -o pylock.toml",
        "inputs_hash": "sha256:feed",
        "notes": ("torch: GPU wheel swapped for the CPU build",),
        "torch_index_url": TORCH,
        "inputs": ("requirements.in",),
    }
    fields.update(changes)
    return Lock(**fields)  # type: ignore[arg-type]


def _packages(text: str) -> dict[str, dict[str, object]]:
    return {p["name"]: p for p in tomllib.loads(text)["packages"]}


def test_written_lock_is_valid_pep751_with_every_file_field() -> None:
    text = write_pylock(_lock())
    data = tomllib.loads(text)
    pylock = Pylock.from_dict(data)

    assert str(pylock.lock_version) == "1.0"
    assert pylock.created_by == "depslim"
    assert [str(m) for m in pylock.environments or ()] == [
        (
            'sys_platform == "linux" and platform_machine == "x86_64" '
            'and implementation_name == "cpython" and python_version == "3.11"'
        )
    ]
    by_name = {p.name: p for p in pylock.packages}
    numpy = by_name["numpy"]
    assert numpy.version == Version("1.26.4")
    assert numpy.index == PYPI
    (wheel,) = numpy.wheels or ()
    assert wheel.filename == NUMPY_WHEEL
    assert wheel.url == f"https://files.example/packages/{NUMPY_WHEEL}"
    assert wheel.hashes == {"sha256": "b" * 64}
    assert wheel.size == 18_200_000
    assert wheel.upload_time == datetime(2024, 2, 5, 23, 48, 1, 194305, tzinfo=UTC)
    assert numpy.sdist is not None
    assert numpy.sdist.filename == "numpy-1.26.4.tar.gz"
    assert numpy.sdist.hashes == {"sha256": "c" * 64}
    assert numpy.sdist.upload_time is None  # not known: left out, not invented


def test_rerouted_torch_family_keeps_its_own_index() -> None:
    pylock = Pylock.from_dict(tomllib.loads(write_pylock(_lock())))
    by_name = {p.name: p for p in pylock.packages}
    torch = by_name["torch"]
    assert torch.index == TORCH
    assert torch.version == Version("2.3.0+cpu")
    (wheel,) = torch.wheels or ()
    # the URL keeps the index's %2B; the file name packaging derives from it has the +
    assert wheel.url == f"{TORCH}/torch-2.3.0%2Bcpu-cp311-cp311-linux_x86_64.whl"
    assert wheel.filename == TORCH_WHEEL
    assert torch.dependencies == [{"name": "numpy"}]
    assert by_name["numpy"].index == PYPI


def test_depslim_fields_live_under_tool_depslim() -> None:
    data = tomllib.loads(write_pylock(_lock()))
    assert data["tool"]["depslim"] == {
        "target": "linux/amd64",
        "python": "3.11.0",
        "command": "depslim lock requirements.in -o pylock.toml",
        "inputs-hash": "sha256:feed",
        "inputs": ["requirements.in"],
        "index-url": PYPI,
        "torch-index-url": TORCH,
        "notes": ["torch: GPU wheel swapped for the CPU build"],
    }
    assert _packages(write_pylock(_lock()))["numpy"]["tool"] == {"depslim": {"via": ["torch"]}}


def test_writer_is_deterministic_and_sorted_by_name() -> None:
    first = write_pylock(_lock())
    assert first == write_pylock(_lock(pins=tuple(reversed(_lock().pins))))
    assert [p["name"] for p in tomllib.loads(first)["packages"]] == ["numpy", "torch"]
    assert first.endswith("\n")


def test_read_back_gives_the_lock_that_was_written() -> None:
    lock = _lock()
    text = write_pylock(lock)
    back = read_pylock(text, source="pylock.toml")

    assert back.target == lock.target
    assert back.source == "pylock.toml"
    for field in (
        "index_url",
        "command",
        "inputs_hash",
        "notes",
        "torch_index_url",
        "inputs",
        "no_index",
    ):
        assert getattr(back, field) == getattr(lock, field), field
    for pin in lock.pins:
        read = back.pin(pin.name)
        assert read is not None
        assert (read.version, read.index, read.via, read.dependencies) == (
            pin.version,
            pin.index,
            pin.via,
            pin.dependencies,
        )
        assert sorted(read.files, key=lambda f: f.filename) == sorted(
            pin.files, key=lambda f: f.filename
        )
    lines = text.splitlines()
    for read in back.pins:
        assert read.line is not None
        assert lines[read.line - 1] == "[[packages]]"
        assert lines[read.line] == f'name = "{read.name}"'


def test_find_links_pins_carry_no_index_and_no_index_flag_round_trips() -> None:
    folder = "file:///srv/wheels"
    pin = Pin(
        name=canonicalize_name("local-tool"),
        version=Version("1.0"),
        index=folder,
        files=(_file("local_tool-1.0-py3-none-any.whl", folder, "d"),),
    )
    lock = _lock(pins=(pin,), find_links=(folder,), no_index=True, index_url=None)
    text = write_pylock(lock)
    (package,) = Pylock.from_dict(tomllib.loads(text)).packages
    assert package.index is None  # a find-links folder is not a PEP 503 index
    back = read_pylock(text, source="pylock.toml")
    assert back.find_links == (folder,)
    assert back.no_index


def test_direct_references_are_written_as_archive_and_vcs() -> None:
    archive = Pin(
        name=canonicalize_name("thing"),
        version=Version("1.0"),
        index="",
        url="https://example.org/dl/thing-1.0-py3-none-any.whl",
        files=(
            PinnedFile(
                filename="thing-1.0-py3-none-any.whl",
                url="https://example.org/dl/thing-1.0-py3-none-any.whl",
                sha256="e" * 64,
                size=1234,
            ),
        ),
    )
    commit = "0123456789abcdef0123456789abcdef01234567"
    vcs = Pin(
        name=canonicalize_name("gadget"),
        version=None,
        index="",
        url=f"git+https://example.org/gadget.git@{commit}#subdirectory=py",
    )
    text = write_pylock(_lock(pins=(archive, vcs)))
    by_name = {p.name: p for p in Pylock.from_dict(tomllib.loads(text)).packages}
    thing = by_name["thing"]
    assert thing.archive is not None and thing.wheels is None
    assert thing.archive.url == "https://example.org/dl/thing-1.0-py3-none-any.whl"
    assert (thing.archive.hashes, thing.archive.size) == ({"sha256": "e" * 64}, 1234)
    gadget = by_name["gadget"]
    assert gadget.version is None
    assert gadget.vcs is not None
    assert (gadget.vcs.type, gadget.vcs.url, gadget.vcs.commit_id, gadget.vcs.subdirectory) == (
        "git",
        "https://example.org/gadget.git",
        commit,
        "py",
    )
    back = read_pylock(text, source="pylock.toml")
    assert back.pin("gadget").url == vcs.url  # type: ignore[union-attr]
    thing_back = back.pin("thing")
    assert thing_back is not None
    assert thing_back.url == archive.url
    assert thing_back.hashes == ("e" * 64,)


def test_vcs_reference_without_a_commit_is_refused() -> None:
    pin = Pin(
        name=canonicalize_name("gadget"),
        version=None,
        index="",
        url="git+https://example.org/gadget.git",
    )
    with pytest.raises(InputError, match="must name a commit"):
        write_pylock(_lock(pins=(pin,)))


def test_pins_read_from_requirements_text_cannot_be_written() -> None:
    pin = Pin(
        name=canonicalize_name("idna"),
        version=Version("3.7"),
        index="",
        files=(PinnedFile(filename="", url="", sha256="a" * 64),),
        line=12,
    )
    with pytest.raises(InputError) as info:
        write_pylock(_lock(pins=(pin,), source="requirements.txt"))
    assert "idna (requirements.txt:12)" in str(info.value)
    assert "--format pylock" in str(info.value)


def _wheel(url: str, digest: str, extra: str = "") -> str:
    return f'{{ url = "{url}",{extra} hashes = {{ sha256 = "{digest * 64}" }} }}'


F = "https://files.example/"
MS = F + "MarkupSafe-2.1.5"
SDIST_FIELDS = " upload-time = 2024-02-02T16:30:33Z, size = 19384,"
UV_STYLE = "\n".join(
    [
        'lock-version = "1.0"',
        'created-by = "uv"',
        'requires-python = ">=3.10"',
        "",
        "[[packages]]",
        'name = "colorama"',
        'version = "0.4.6"',
        "marker = \"sys_platform == 'win32'\"",
        'index = "https://pypi.org/simple"',
        f"wheels = [{_wheel(F + 'colorama-0.4.6-py2.py3-none-any.whl', 'a')}]",
        "",
        "[[packages]]",
        'name = "markupsafe"',
        'version = "2.1.5"',
        'index = "https://pypi.org/simple"',
        "sdist = " + _wheel(MS + ".tar.gz", "b", SDIST_FIELDS),
        "wheels = [",
        f"  {_wheel(MS + '-cp311-cp311-macosx_10_9_universal2.whl', 'c')},",
        f"  {_wheel(MS + '-cp311-cp311-manylinux_2_17_x86_64.whl', 'd', ' size = 28215,')},",
        f"  {_wheel(MS + '-cp311-cp311-win_amd64.whl', 'e')},",
        "]",
    ]
)


def test_reads_another_tools_lock_for_the_given_target() -> None:
    lock = read_pylock(UV_STYLE, source="pylock.toml", target=TARGET)
    assert lock.target == TARGET
    assert lock.inputs_hash is None  # not depslim's: nothing to compare with
    assert [p.name for p in lock.pins] == ["markupsafe"]  # colorama is for Windows only
    (markupsafe,) = lock.pins
    assert markupsafe.version == Version("2.1.5")
    assert markupsafe.index == "https://pypi.org/simple"
    assert markupsafe.line == 12
    by_file = {f.filename: f for f in markupsafe.files}
    assert set(by_file) == {
        "MarkupSafe-2.1.5-cp311-cp311-manylinux_2_17_x86_64.whl",
        "MarkupSafe-2.1.5.tar.gz",
    }
    sdist = by_file["MarkupSafe-2.1.5.tar.gz"]
    assert (sdist.size, sdist.upload_time) == (19384, "2024-02-02T16:30:33Z")
    assert sdist.sha256 == "b" * 64

    windows = read_pylock(UV_STYLE, source="pylock.toml", target=Target.parse("windows/amd64"))
    assert sorted(p.name for p in windows.pins) == ["colorama", "markupsafe"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lock-version = \n", r"pylock\.toml: invalid TOML"),
        ('created-by = "x"\npackages = []\n', r"not a valid PEP 751 lock: .*lock-version"),
        (
            'lock-version = "2.0"\ncreated-by = "x"\npackages = []\n',
            "not a valid PEP 751 lock",
        ),
        (
            (
                'lock-version = "1.0"\ncreated-by = "x"\n[[packages]]\nname = "Not_Normal"\n'
                'version = "1"\narchive = {url = "https://x/y.whl", hashes = {sha256 = "aa"}}\n'
            ),
            "not normalized",
        ),
    ],
)
def test_invalid_files_name_the_source(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_pylock(text, source="pylock.toml")


def test_file_without_sha256_is_refused_with_its_line() -> None:
    text = (
        'lock-version = "1.0"\ncreated-by = "x"\n\n[[packages]]\nname = "idna"\nversion = "3.7"\n'
        'wheels = [{url = "https://x/idna-3.7-py3-none-any.whl", hashes = {sha512 = "ff"}}]\n'
    )
    with pytest.raises(InputError, match=r"pylock\.toml:4: a file of idna has no sha256"):
        read_pylock(text, source="pylock.toml")


def test_a_project_locked_twice_for_the_target_is_refused() -> None:
    wheel = "wheels = [" + _wheel("https://x/idna-{v}-py3-none-any.whl", "{h}") + "]"
    text = "\n".join(
        [
            'lock-version = "1.0"',
            'created-by = "x"',
            "[[packages]]",
            'name = "idna"',
            'version = "3.6"',
            wheel.replace("{v}", "3.6").replace("{h}" * 64, "a" * 64),
            "[[packages]]",
            'name = "idna"',
            'version = "3.7"',
            wheel.replace("{v}", "3.7").replace("{h}" * 64, "b" * 64),
        ]
    )
    with pytest.raises(InputError, match=r"pylock\.toml:7: idna is locked twice"):
        read_pylock(text, source="pylock.toml", target=TARGET)


@pytest.mark.parametrize(
    ("path", "requested", "expected"),
    [
        ("pylock.toml", None, "pylock"),
        ("out/pylock.toml", "pylock", "pylock"),
        ("pylock.api.toml", None, "pylock"),
        ("requirements.txt", None, "requirements"),
        ("requirements/base.txt", "requirements", "requirements"),
        ("locks/constraints.in", None, "requirements"),
        ("lockfile", "pylock", "pylock"),
        ("lockfile", None, "requirements"),
        ("-", "pylock", "pylock"),
        ("lock.json", None, "json"),
        ("lock.json", "json", "json"),
        ("lockfile", "json", "json"),
        (None, None, "requirements"),
    ],
)
def test_format_follows_the_request_or_the_name(
    path: str | None, requested: str | None, expected: str
) -> None:
    assert format_for_output(path, requested) == expected


@pytest.mark.parametrize(
    ("path", "requested", "message"),
    [
        ("pylock.toml", "requirements", "the name says pylock but --format requirements"),
        ("pylock.api.toml", "requirements", "the name says pylock"),
        ("requirements.txt", "pylock", "the name says requirements but --format pylock"),
        ("pylock.a.b.toml", None, "pylock.NAME.toml"),
        ("pylock.a.b.toml", "pylock", "pylock.NAME.toml"),
        ("deps.toml", "pylock", "not TOML unless it is a PEP 751"),
        ("deps.toml", None, "not TOML unless it is a PEP 751"),
        ("lock.json", "pylock", "the name says json but --format pylock"),
        ("requirements.txt", "json", "name the output like lock.json"),
        ("pylock.toml", "poetry", "unknown lock format 'poetry'"),
    ],
)
def test_a_name_that_says_another_format_is_an_error(
    path: str, requested: str | None, message: str
) -> None:
    with pytest.raises(InputError, match=message) as info:
        format_for_output(path, requested)
    assert info.value.exit_code == 2
