"""Function assets are staged deterministically: the handler's folder, the `functions` marker and the domain
package without the operator CLI; no caches."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.assets import AssetError, function_sources, stage_function_asset

pytestmark = pytest.mark.infra


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    files = {
        "functions/__init__.py": "",
        "functions/risk_recalc/__init__.py": "",
        "functions/risk_recalc/handler.py": "def handler(event, context): ...\n",
        "functions/risk_recalc/__pycache__/handler.cpython-311.pyc": "cache",
        "functions/daily_reset/handler.py": "def handler(event, context): ...\n",
        "shared/propdesk/__init__.py": "",
        "shared/propdesk/engine/rules.py": "RULES = ()\n",
        "shared/propdesk/cli.py": "def main(): ...\n",
        "shared/propdesk/commands/token.py": "",
        "shared/propdesk/engine/__pycache__/rules.cpython-311.pyc": "cache",
    }
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return root


def _files(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


def test_an_asset_holds_its_function_the_marker_and_the_domain_package(project: Path, tmp_path: Path) -> None:
    asset = stage_function_asset("risk_recalc", tmp_path / "assets", project)

    assert asset == tmp_path / "assets" / "risk_recalc"
    assert _files(asset) == {
        "functions/__init__.py",
        "functions/risk_recalc/__init__.py",
        "functions/risk_recalc/handler.py",
        "propdesk/__init__.py",
        "propdesk/engine/rules.py",
    }


def test_other_functions_are_not_in_the_asset(project: Path) -> None:
    assert not [path for path in function_sources("risk_recalc", project) if "daily_reset" in path]


def test_staging_again_leaves_an_identical_asset_untouched(project: Path, tmp_path: Path) -> None:
    asset = stage_function_asset("risk_recalc", tmp_path / "assets", project)
    handler = asset / "functions/risk_recalc/handler.py"
    before = handler.stat().st_ino

    stage_function_asset("risk_recalc", tmp_path / "assets", project)

    assert handler.stat().st_ino == before


def test_a_changed_source_replaces_the_asset_and_drops_deleted_files(project: Path, tmp_path: Path) -> None:
    stage_function_asset("risk_recalc", tmp_path / "assets", project)
    (project / "functions/risk_recalc/handler.py").write_text("def handler(event, context): return 1\n")
    (project / "shared/propdesk/engine/rules.py").unlink()

    asset = stage_function_asset("risk_recalc", tmp_path / "assets", project)

    assert "return 1" in (asset / "functions/risk_recalc/handler.py").read_text()
    assert "propdesk/engine/rules.py" not in _files(asset)
    assert [p.name for p in (tmp_path / "assets").iterdir()] == ["risk_recalc"]  # no staging leftovers


def test_the_staged_folder_is_readable_by_lambdas_runtime_user(project: Path, tmp_path: Path) -> None:
    asset = stage_function_asset("risk_recalc", tmp_path / "assets", project)

    assert asset.stat().st_mode & 0o755 == 0o755


def test_a_function_without_a_folder_is_named_in_the_error(project: Path, tmp_path: Path) -> None:
    with pytest.raises(AssetError, match="functions/payouts_api/"):
        stage_function_asset("payouts_api", tmp_path / "assets", project)
