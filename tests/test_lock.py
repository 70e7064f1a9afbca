"""``depslim.lock`` end to end against a real index on 127.0.0.1, filled with real wheels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import depslim
from support.index_server import IndexServer

LINUX = depslim.Target.parse("linux/amd64", python="3.11")


@pytest.fixture
def lock_text(tmp_path: Path) -> Callable[..., depslim.LockResult]:
    """Write ``text`` to requirements.in and lock it against ``index`` (no user cache)."""

    def run(index: IndexServer, text: str, **options: Any) -> depslim.LockResult:
        source = tmp_path / "requirements.in"
        source.write_text(text)
        options.setdefault("target", LINUX)
        options.setdefault("cache_dir", tmp_path / "cache")
        return depslim.lock([source], index_url=index.url, config=False, **options)

    return run


def versions(result: depslim.LockResult) -> dict[str, str]:
    return {p.name: str(p.version) for p in result.pins}


def test_chain_takes_newest_and_records_via(make_index, lock_text) -> None:
    index = make_index([("app-lib", "1.0", ["b>=1"]), ("b", "1.0", []), ("b", "2.0", [])])
    result = lock_text(index, "app-lib\n")
    assert versions(result) == {"app-lib": "1.0", "b": "2.0"}
    text = result.text()
    assert "b==2.0 \\\n    --hash=sha256:" in text
    assert "    # via app-lib" in text
    assert "# via -r " in text and "requirements.in" in text
    assert f"--index-url {index.url}" in text


def test_every_pin_carries_the_hash_the_index_gave(make_index, lock_text) -> None:
    index = make_index([("a", "1.0", [])])
    result = lock_text(index, "a\n")
    (pin,) = result.pins
    served = {name: f.sha256 for name, f in index.files.items()}
    assert pin.hashes == (served[pin.files[0].filename],)


def test_extras_pull_their_dependencies(make_index, lock_text) -> None:
    index = make_index(
        [
            ("a", "1.0", ['c ; extra == "fast"'], {"extras": {"fast": ["c"]}}),
            ("c", "3.0", []),
        ]
    )
    assert versions(lock_text(index, "a\n")) == {"a": "1.0"}
    assert versions(lock_text(index, "a[fast]\n")) == {"a": "1.0", "c": "3.0"}


def test_markers_are_evaluated_for_the_target_not_the_host(make_index, lock_text) -> None:
    index = make_index(
        [
            (
                "a",
                "1.0",
                ['armonly ; platform_machine == "aarch64"', 'winonly ; sys_platform == "win32"'],
            ),
            ("armonly", "1.0", []),
            ("winonly", "1.0", []),
        ]
    )
    arm = depslim.Target.parse("linux/arm64", python="3.11")
    win = depslim.Target.parse("windows/amd64", python="3.11")
    assert set(versions(lock_text(index, "a\n", target=LINUX))) == {"a"}
    assert set(versions(lock_text(index, "a\n", target=arm))) == {"a", "armonly"}
    assert set(versions(lock_text(index, "a\n", target=win))) == {"a", "winonly"}


def test_hashes_are_those_of_the_targets_wheels(make_index, lock_text) -> None:
    index = make_index(
        [
            (
                "native",
                "1.0",
                [],
                {"tag": "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"},
            ),
            (
                "native",
                "1.0",
                [],
                {"tag": "cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64"},
            ),
            ("native", "1.0", [], {"tag": "cp311-cp311-musllinux_1_2_x86_64"}),
            ("native", "1.0", [], {"tag": "cp311-cp311-macosx_11_0_arm64"}),
            ("native", "1.0", [], {"tag": "cp311-cp311-win_amd64"}),
        ]
    )
    cases = {
        "linux/amd64": "manylinux_2_17_x86_64",
        "linux/arm64": "aarch64",
        "linux/amd64-musl": "musllinux_1_2_x86_64",
        "macos/arm64": "macosx_11_0_arm64",
        "windows/amd64": "win_amd64",
    }
    for platform, fragment in cases.items():
        target = depslim.Target.parse(platform, python="3.11")
        (pin,) = lock_text(index, "native\n", target=target).pins
        assert [f.filename for f in pin.files] and all(fragment in f.filename for f in pin.files), (
            platform
        )


def test_no_wheel_for_the_target_is_a_clear_error(make_index, lock_text) -> None:
    index = make_index([("native", "1.0", [], {"tag": "cp311-cp311-win_amd64"})])
    with pytest.raises(depslim.NoSolutionError) as info:
        lock_text(index, "native\n")
    message = str(info.value)
    assert message.startswith("No solution found")
    assert "native" in message and "win_amd64" in message


def test_requires_python_is_checked_against_the_target(make_index, lock_text) -> None:
    index = make_index(
        [
            ("a", "1.0", [], {"requires_python": ">=3.8"}),
            ("a", "2.0", [], {"requires_python": ">=3.12"}),
        ]
    )
    assert versions(lock_text(index, "a\n"))["a"] == "1.0"
    py312 = depslim.Target.parse("linux/amd64", python="3.12")
    assert versions(lock_text(index, "a\n", target=py312))["a"] == "2.0"


def test_requires_python_from_metadata_only(make_index, lock_text) -> None:
    """Without data-requires-python (HTML, no JSON) the metadata's Requires-Python still counts."""
    index = make_index(
        [("a", "1.0", []), ("a", "2.0", [], {"requires_python": ">=3.12"})], json=False
    )
    assert versions(lock_text(index, "a\n"))["a"] == "1.0"


def test_yanked_is_skipped_unless_pinned(make_index, lock_text) -> None:
    index = make_index(
        [("a", "1.0", []), ("a", "2.0", [])], yanked={"a-2.0-py3-none-any.whl": "broken"}
    )
    assert versions(lock_text(index, "a\n"))["a"] == "1.0"
    assert versions(lock_text(index, "a==2.0\n"))["a"] == "2.0"


def test_prereleases_only_when_asked_or_alone(make_index, lock_text) -> None:
    index = make_index([("a", "1.0", []), ("a", "2.0b1", []), ("only-pre", "1.0rc1", [])])
    assert versions(lock_text(index, "a\n"))["a"] == "1.0"
    assert versions(lock_text(index, "a\n", pre=True))["a"] == "2.0b1"
    assert versions(lock_text(index, "a>=2.0b1\n"))["a"] == "2.0b1"
    assert versions(lock_text(index, "only-pre\n"))["only-pre"] == "1.0rc1"


def test_local_versions_match_public_pins(make_index, lock_text) -> None:
    index = make_index([("torchish", "2.1.0+cpu", []), ("torchish", "2.0.0+cpu", [])])
    assert versions(lock_text(index, "torchish==2.1.0\n"))["torchish"] == "2.1.0+cpu"


def test_relock_keeps_existing_pins_unless_upgraded(make_index, lock_text, tmp_path) -> None:
    index = make_index([("a", "1.0", []), ("b", "1.0", [])])
    out = tmp_path / "requirements.txt"
    first = lock_text(index, "a\nb\n", output=out)
    first.write(out)
    from support.fixtures import build_files

    build_files(index.files_dir, [("a", "2.0", []), ("b", "2.0", [])])
    index.refresh()
    assert versions(lock_text(index, "a\nb\n", output=out)) == {"a": "1.0", "b": "1.0"}
    assert versions(lock_text(index, "a\nb\n", output=out, upgrade_packages=["B"])) == {
        "a": "1.0",
        "b": "2.0",
    }
    assert versions(lock_text(index, "a\nb\n", output=out, upgrade=True)) == {
        "a": "2.0",
        "b": "2.0",
    }


def test_conflict_explains_the_chain(make_index, lock_text) -> None:
    index = make_index(
        [
            ("langchain", "0.0.300", ["pydantic<2"]),
            ("pydantic", "1.10.13", []),
            ("pydantic", "2.5.0", []),
            ("wrapper", "1.0", ["langchain==0.0.300"]),
        ]
    )
    with pytest.raises(depslim.NoSolutionError) as info:
        lock_text(index, "pydantic>=2\nwrapper\n")
    message = str(info.value)
    assert message.startswith("No solution found")
    assert "needs pydantic>=2" in message
    assert "langchain 0.0.300 needs pydantic<2" in message
    assert "wrapper 1.0" in message  # the chain through which langchain came in
    assert "Traceback" not in message


def test_unknown_project_is_no_solution_naming_it(make_index, lock_text) -> None:
    index = make_index([("a", "1.0", [])])
    with pytest.raises(depslim.NoSolutionError, match="no index has a project named 'nope'"):
        lock_text(index, "nope\n")


def test_output_is_byte_identical_across_runs(make_index, lock_text, tmp_path) -> None:
    index = make_index([("a", "1.0", ["b", "c"]), ("b", "1.0", ["c"]), ("c", "1.0", [])])
    one = lock_text(index, "a\n", cache_dir=tmp_path / "c1").text()
    two = lock_text(index, "a\n", no_cache=True).text()
    assert one == two


def test_failed_lock_leaves_old_file_untouched(make_index, lock_text, tmp_path) -> None:
    index = make_index([("a", "1.0", [])])
    out = tmp_path / "requirements.txt"
    out.write_bytes(b"# precious\r\na==0.1\n")
    with pytest.raises(depslim.NoSolutionError):
        lock_text(index, "a>=5\n", output=out)
    assert out.read_bytes() == b"# precious\r\na==0.1\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".requirements")) == []


def test_static_sdist_is_read_dynamic_needs_allow_build(make_index, lock_text) -> None:
    index = make_index(
        [
            ("static-sd", "1.0", ["b"], {"sdist": True, "metadata_version": "2.2"}),
            ("b", "1.0", []),
            (
                "dyn-sd",
                "1.0",
                ["b"],
                {"sdist": True, "metadata_version": "2.2", "dynamic": ["Requires-Dist"]},
            ),
        ]
    )
    assert versions(lock_text(index, "static-sd\n")) == {"static-sd": "1.0", "b": "1.0"}
    with pytest.raises(depslim.BuildRequiredError, match="dyn-sd") as info:
        lock_text(index, "dyn-sd\n")
    assert "--allow-build" in str(info.value)


def test_json_records_index_sizes_and_target(make_index, lock_text) -> None:
    index = make_index([("a", "1.0", [])])
    data = lock_text(index, "a\n").to_json()
    (pin,) = data["pins"]
    assert pin["index"].startswith("http://127.0.0.1:")
    assert pin["files"][0]["size"] > 0 and len(pin["files"][0]["sha256"]) == 64
    assert data["target"]["platform"] == "linux/amd64"
    assert data["target"]["markers"]["platform_machine"] == "x86_64"


def test_constraints_narrow_without_adding(make_index, lock_text, tmp_path) -> None:
    index = make_index([("a", "1.0", ["b"]), ("b", "1.0", []), ("b", "2.0", []), ("c", "1.0", [])])
    (tmp_path / "constraints.txt").write_text("b<2\nc==1.0\n")
    assert versions(lock_text(index, "-c constraints.txt\na\n")) == {"a": "1.0", "b": "1.0"}


def test_find_links_directory(make_index, lock_text, tmp_path) -> None:
    index = make_index([("a", "1.0", ["local-only"])])
    from support.fixtures import build_files

    links = tmp_path / "links"
    links.mkdir()
    build_files(links, [("local-only", "0.5", [])])
    result = lock_text(index, "a\n", find_links=[str(links)])
    assert versions(result) == {"a": "1.0", "local-only": "0.5"}
    assert f"--find-links {links}" in result.text()


def test_direct_url_requirement(make_index, lock_text, tmp_path) -> None:
    from support.fixtures import build_files

    index = make_index([("b", "1.0", [])])
    (wheel,) = build_files(tmp_path, [("direct", "3.0", ["b"])])
    result = lock_text(index, f"direct @ {wheel.as_uri()}\n")
    assert versions(result) == {"direct": "3.0", "b": "1.0"}
    assert f"direct @ {wheel.as_uri()} \\\n    --hash=sha256:" in result.text()


def test_pages_are_fetched_concurrently_while_resolving(make_index, lock_text) -> None:
    """The resolver asks for one project at a time; the client prefetches the others."""
    from support.index_server import Fault

    deps = [f"dep{i}" for i in range(6)]
    index = make_index([("root-app", "1.0", deps), *[(d, "1.0", []) for d in deps]])
    for dep in deps:  # slow pages, so that overlapping requests are seen, not timed
        index.add_fault(f"/simple/{dep}/", Fault.delay(0.3))
    result = lock_text(index, "root-app\n")
    assert set(versions(result)) == {"root-app", *deps}
    assert index.max_in_flight >= 3


def test_a_wrong_hash_in_the_listing_is_never_written(make_index, lock_text, tmp_path) -> None:
    index = make_index([("a", "1.0", [])], wrong_hashes={"a-1.0-py3-none-any.whl"})
    out = tmp_path / "requirements.txt"
    out.write_text("# old\n")
    with pytest.raises(depslim.HashMismatchError, match=r"a-1\.0-py3-none-any\.whl"):
        lock_text(index, "a\n", output=out)
    assert out.read_text() == "# old\n"


def test_verified_files_are_not_downloaded_again(make_index, lock_text) -> None:
    index = make_index([("a", "1.0", [])])
    lock_text(index, "a\n")
    downloads = lambda: [r for r in index.log if r.path.endswith(".whl") and not r.range]  # noqa: E731
    assert len(downloads()) == 1
    lock_text(index, "a\n")
    assert len(downloads()) == 1  # the verified hash came from the cache


def test_no_verify_hashes_trusts_the_listing(make_index, lock_text) -> None:
    index = make_index([("a", "1.0", [])])
    lock_text(index, "a\n", no_verify_hashes=True)
    assert not [r for r in index.log if r.path.endswith(".whl") and not r.range]


def test_local_project_is_replaced_by_its_dependencies(make_index, lock_text, tmp_path) -> None:
    index = make_index([("b", "1.0", []), ("c", "2.0", [])])
    app = tmp_path / "app"
    app.mkdir()
    (app / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0"\ndependencies = ["b"]\n'
        '[project.optional-dependencies]\nextra = ["c"]\n'
    )
    assert versions(lock_text(index, "-e ./app\n")) == {"b": "1.0"}
    assert versions(lock_text(index, "./app[extra]\n")) == {"b": "1.0", "c": "2.0"}


def test_no_index_locks_from_find_links_only(tmp_path) -> None:
    from support.fixtures import build_files

    links = tmp_path / "wheels"
    links.mkdir()
    build_files(links, [("a", "1.0", ["b"]), ("b", "2.0", [])])
    source = tmp_path / "requirements.in"
    source.write_text(f"--no-index\n--find-links {links}\na\n")
    result = depslim.lock([source], target=LINUX, config=False, cache_dir=tmp_path / "c")
    assert versions(result) == {"a": "1.0", "b": "2.0"}
    text = result.text()
    assert "--no-index\n" in text and f"--find-links {links}" in text
    assert "--index-url" not in text


def test_no_index_without_find_links_is_bad_input(tmp_path) -> None:
    source = tmp_path / "requirements.in"
    source.write_text("a\n")
    with pytest.raises(depslim.InputError, match="--find-links"):
        depslim.lock([source], no_index=True, config=False, no_cache=True)


def test_only_binary_and_no_binary(make_index, lock_text) -> None:
    index = make_index(
        [
            ("both", "1.0", []),
            ("both", "1.0", [], {"sdist": True}),
            ("sdist-only", "1.0", [], {"sdist": True}),
        ]
    )
    (pin,) = lock_text(index, "both\n", no_binary=["both"]).pins
    assert [f.filename for f in pin.files] == ["both-1.0.tar.gz"]
    (pin,) = lock_text(index, "--only-binary :all:\nboth\n").pins
    assert [f.filename for f in pin.files] == ["both-1.0-py3-none-any.whl"]
    with pytest.raises(depslim.NoSolutionError):
        lock_text(index, "sdist-only\n", only_binary=[":all:"])
    assert versions(
        lock_text(index, "sdist-only\n", only_binary=[":all:"], no_binary=["sdist-only"])
    ) == {"sdist-only": "1.0"}


def test_local_find_links_are_written_relative_to_the_lock(make_index, lock_text, tmp_path) -> None:
    """pip reads a relative --find-links from the requirements file's folder: portable."""
    from depslim import api
    from support.fixtures import build_files

    index = make_index([("a", "1.0", [])])
    links = tmp_path / "wheels"
    links.mkdir()
    build_files(links, [("local-only", "0.5", [])])
    out = tmp_path / "requirements.txt"
    lock_text(index, "a\nlocal-only\n", output=out, find_links=[str(links)]).write(out)
    assert "\n--find-links wheels\n" in out.read_text()
    rows = {r.name: r for r in api.report(out, config=False, cache_dir=tmp_path / "cache").rows}
    assert rows["local-only"].installed_size  # the relative location was found again
