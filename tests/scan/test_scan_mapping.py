"""Import → distribution: learned top-levels, the bundled table, then the name."""

from __future__ import annotations

import pytest
from packaging.utils import NormalizedName, canonicalize_name

from depslim.scan.mapping import (
    ModuleMap,
    bundled_table,
    installed_top_levels,
    top_levels_from_paths,
)

TABLE = bundled_table()
N = canonicalize_name


def test_table_rows_are_well_formed() -> None:
    assert len(TABLE) > 200
    for module, names in TABLE.items():
        assert all(part.isidentifier() for part in module.split(".")), module
        assert names, module
        assert all(n == N(n) for n in names), module
        assert len(set(names)) == len(names), module


@pytest.mark.parametrize(("module", "names"), sorted(TABLE.items()))
def test_every_table_row_resolves(module: str, names: tuple[NormalizedName, ...]) -> None:
    nothing = ModuleMap.build()
    resolution = nothing.resolve(f"{module}.submodule")
    assert resolution.prefix == module
    assert resolution.names == names
    assert resolution.declared == ()
    assert resolution.best == names[0]
    assert resolution.source == "table"
    # Every member of an equivalence class satisfies the import when declared ...
    for name in names:
        declared = ModuleMap.build(declared=[name])
        assert declared.resolve(module).declared == (name,)
    # ... and a distribution merely named like the import never does.
    squatter = N(module.replace(".", "-"))
    if squatter not in names:
        with_squatter = ModuleMap.build(declared=[squatter])
        assert squatter not in with_squatter.resolve(module).declared


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("sklearn.linear_model", "scikit-learn"),
        ("cv2", "opencv-python"),
        ("PIL.Image", "pillow"),
        ("yaml", "pyyaml"),
        ("bs4", "beautifulsoup4"),
        ("dateutil.parser", "python-dateutil"),
        ("dotenv", "python-dotenv"),
        ("jwt", "pyjwt"),
        ("google.protobuf.json_format", "protobuf"),
        ("google.cloud.storage", "google-cloud-storage"),
        ("google.cloud.bigquery.table", "google-cloud-bigquery"),
        ("magic", "python-magic"),
        ("Crypto.Cipher", "pycryptodome"),
        ("attr", "attrs"),
        ("grpc", "grpcio"),
        ("zmq", "pyzmq"),
        ("MySQLdb", "mysqlclient"),
        ("distutils.core", "setuptools"),
        ("cgi", "legacy-cgi"),
    ],
)
def test_well_known_mismatches(module: str, expected: str) -> None:
    assert ModuleMap.build().resolve(module).best == expected


def test_from_import_of_a_namespace_submodule_uses_the_longest_prefix() -> None:
    mapping = ModuleMap.build(declared=["google-cloud-storage", "google-cloud-bigquery"])
    # from google.cloud import storage → candidates, most specific first
    resolution = mapping.resolve("google.cloud.storage", "google.cloud")
    assert resolution.declared == ("google-cloud-storage",)
    assert resolution.prefix == "google.cloud.storage"


def test_learned_top_levels_come_first_and_cover_several_modules() -> None:
    tops = {
        N("attrs"): frozenset({"attr", "attrs"}),
        N("torch"): frozenset({"torch", "functorch", "torchgen"}),
        N("google-cloud-storage"): frozenset({"google.cloud.storage"}),
        N("protobuf"): frozenset({"google.protobuf"}),
    }
    mapping = ModuleMap.build(declared=["attrs", "torch", "google-cloud-storage"], top_levels=tops)
    assert mapping.resolve("functorch").declared == ("torch",)
    assert mapping.resolve("torchgen.model").source == "metadata"
    assert mapping.resolve("attr").declared == ("attrs",)
    # protobuf is known but not declared: transitive at best, never "declared"
    protobuf = mapping.resolve("google.protobuf.message")
    assert protobuf.declared == ()
    assert protobuf.best == "protobuf"


def test_declared_variant_wins_among_several_providers() -> None:
    tops = {
        N("psycopg2"): frozenset({"psycopg2"}),
        N("psycopg2-binary"): frozenset({"psycopg2"}),
    }
    mapping = ModuleMap.build(declared=["psycopg2-binary"], top_levels=tops)
    resolution = mapping.resolve("psycopg2.extras")
    assert resolution.declared == ("psycopg2-binary",)
    assert resolution.names[0] == "psycopg2-binary"
    headless = ModuleMap.build(declared=["opencv-python-headless"])
    assert headless.resolve("cv2").best == "opencv-python-headless"


def test_metadata_of_a_declared_distribution_beats_the_table() -> None:
    # The "jwt" project really installs a module named jwt; when declared and its file
    # list says so, it is the provider (the table's PyJWT is not declared).
    mapping = ModuleMap.build(declared=["jwt"], top_levels={N("jwt"): frozenset({"jwt"})})
    assert mapping.resolve("jwt").declared == ("jwt",)
    # Without that knowledge, the table wins over the look-alike name.
    assert ModuleMap.build(declared=["jwt"]).resolve("jwt").declared == ()


def test_name_fallback() -> None:
    mapping = ModuleMap.build(declared=["requests", "zope.interface", "my_lib"])
    assert mapping.resolve("requests.adapters").declared == ("requests",)
    assert mapping.resolve("zope.interface.verify").declared == ("zope-interface",)
    assert mapping.resolve("my_lib").declared == ("my-lib",)
    unknown = mapping.resolve("some_thing.sub")
    assert unknown.declared == ()
    assert unknown.best == "some-thing"
    assert unknown.source == "name"


def test_no_name_guess_for_a_distribution_whose_modules_are_known() -> None:
    mapping = ModuleMap.build(declared=["foo"], top_levels={N("foo"): frozenset({"bar"})})
    assert mapping.resolve("foo").declared == ()
    assert mapping.resolve("bar").declared == ("foo",)


def test_top_levels_from_wheel_paths() -> None:
    paths = [
        "yaml/__init__.py",
        "yaml/constructor.py",
        "_yaml/__init__.py",
        "PyYAML-6.0.1.dist-info/RECORD",
        "PyYAML-6.0.1.dist-info/METADATA",
        "_cffi_backend.cpython-311-x86_64-linux-gnu.so",
        "zmq/backend/cython/_zmq.abi3.so",
        "zmq/__init__.py",
        "pyzmq.libs/libzmq-abc.so.5",
        "google/cloud/storage/__init__.py",
        "google/cloud/storage/blob.py",
        "google/protobuf/__init__.py",
        "nspkg/plain_module.py",
        "six.py",
        "win_ext.pyd",
        "typing_stubs/__init__.pyi",
        "foo-1.0.data/scripts/tool",
        "../../bin/tool",
        "__editable___foo_finder.py",
        "distutils-precedence.pth",
        "README.md",
    ]
    assert top_levels_from_paths(paths) == frozenset(
        {
            "yaml",
            "_yaml",
            "_cffi_backend",
            "zmq",
            "google.cloud.storage",
            "google.protobuf",
            "nspkg.plain_module",
            "six",
            "win_ext",
            "typing_stubs",
        }
    )


def test_installed_top_levels_reads_the_environment() -> None:
    found = installed_top_levels(["PyYAML", "packaging", "pip-tools", "no-such-dist-here"])
    assert found[N("pyyaml")] >= {"yaml"}
    assert found[N("packaging")] == frozenset({"packaging"})
    assert found[N("pip-tools")] == frozenset({"piptools"})
    assert N("no-such-dist-here") not in found
    mapping = ModuleMap.build(declared=["pip-tools"], top_levels=found)
    assert mapping.resolve("piptools.scripts").declared == ("pip-tools",)
