"""First-party modules and file roles."""

from __future__ import annotations

import pytest

from depslim.scan.firstparty import build_layout
from depslim.scan.roles import Role, file_role


def test_flat_layout() -> None:
    layout = build_layout(
        ["app/__init__.py", "app/main.py", "app/api/routes.py", "settings.py", "tests/test_x.py"]
    )
    assert layout.module_of["app/api/routes.py"] == "app.api.routes"
    assert layout.file_of("app") == "app/__init__.py"
    assert layout.package_of("app/api/routes.py") == "app.api"
    assert layout.package_of("app/__init__.py") == "app"
    assert layout.package_of("settings.py") is None
    assert {"app", "settings"} <= layout.top_levels
    assert layout.is_first_party("app.api.routes")
    assert layout.is_first_party("settings")
    assert not layout.is_first_party("requests")


def test_src_layout_and_tests_importing_it() -> None:
    layout = build_layout(["src/mylib/__init__.py", "src/mylib/core.py", "tests/test_core.py"])
    assert layout.module_of["src/mylib/core.py"] == "mylib.core"
    assert layout.is_first_party("mylib.core", "tests/test_core.py")
    assert "src" not in layout.top_levels


def test_namespace_packages() -> None:
    layout = build_layout(
        ["src/acme/tools/__init__.py", "src/acme/tools/cli.py", "corp/plugins/x/__init__.py"]
    )
    assert layout.module_of["src/acme/tools/cli.py"] == "acme.tools.cli"
    assert layout.is_first_party("acme.tools")
    assert layout.is_first_party("corp.plugins.x")  # namespace folder of packages


def test_namespace_folder_of_loose_files_does_not_shadow_a_distribution() -> None:
    layout = build_layout(["docker/healthcheck.py", "app/__init__.py"])
    assert not layout.is_first_party("docker", "app/__init__.py")
    assert layout.is_first_party("docker.healthcheck", "app/__init__.py")
    assert layout.is_first_party("healthcheck", "docker/healthcheck.py")


def test_folder_chain_for_scripts() -> None:
    layout = build_layout(
        ["scripts/run.py", "scripts/helpers.py", "scripts/sub/job.py", "tests/util/__init__.py"]
    )
    assert layout.is_first_party("helpers", "scripts/run.py")
    assert layout.is_first_party("helpers", "scripts/sub/job.py")
    assert not layout.is_first_party("helpers", "tests/util/__init__.py")
    assert layout.is_first_party("util", "tests/test_x.py")


def test_project_name_and_root_package() -> None:
    layout = build_layout(["core.py"], project_name="My-App")
    assert layout.is_first_party("my_app.anything")
    rooted = build_layout(["__init__.py", "core.py", "sub/__init__.py"], root_package="mylib")
    assert rooted.module_of["core.py"] == "mylib.core"
    assert rooted.module_of["sub/__init__.py"] == "mylib.sub"
    assert rooted.package_of("core.py") == "mylib"
    assert rooted.top_levels == frozenset({"mylib"})


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("app/main.py", Role.APP),
        ("app/tasks.py", Role.APP),
        ("src/pkg/scripts/cli.py", Role.APP),
        ("manage.py", Role.APP),
        ("tests/test_api.py", Role.DEV),
        ("app/tests/helpers.py", Role.DEV),
        ("conftest.py", Role.DEV),
        ("app/test_models.py", Role.DEV),
        ("app/models_test.py", Role.DEV),
        ("scripts/seed.py", Role.DEV),
        ("docs/conf.py", Role.DEV),
        ("notebooks/explore.ipynb", Role.DEV),
        ("research.ipynb", Role.DEV),
        ("noxfile.py", Role.DEV),
        ("setup.py", Role.DEV),
        ("tasks.py", Role.DEV),
        ("benchmarks/run.py", Role.DEV),
        ("examples/demo.py", Role.DEV),
        ("Makefile", Role.DEV),
    ],
)
def test_file_roles(path: str, role: Role) -> None:
    assert file_role(path).role is role


def test_user_dev_globs() -> None:
    assert file_role("app/admin_cli.py", dev_globs=("app/*_cli.py",)).role is Role.DEV
    assert file_role("tests/x.py").reason == "in tests/"


def test_module_inside_a_package_does_not_hide_a_distribution() -> None:
    # model/rich.py is model.rich: `import rich` anywhere (even next to it) is the library.
    layout = build_layout(
        ["model/__init__.py", "model/rich.py", "model/train.py", "app/__init__.py", "app/ui.py"]
    )
    assert not layout.is_first_party("rich.console", "model/train.py")
    assert not layout.is_first_party("rich", "app/ui.py")
    assert not layout.is_first_party("rich", "model/rich.py")
    assert layout.is_first_party("model.rich", "app/ui.py")
    assert layout.is_first_party(".rich", "model/train.py")


def test_import_root_of_a_package_file_is_the_first_non_package_folder() -> None:
    # Django: manage.py in shynet/ puts shynet/ on sys.path; apps import `core.models`.
    layout = build_layout(
        [
            "shynet/manage.py",
            "shynet/core/__init__.py",
            "shynet/core/models.py",
            "shynet/api/__init__.py",
            "shynet/api/views.py",
            "shynet/api/rich.py",
        ]
    )
    assert layout.is_first_party("core.models", "shynet/api/views.py")
    assert not layout.is_first_party("rich", "shynet/api/views.py")
    assert not layout.is_first_party("core", "other/tool.py")
