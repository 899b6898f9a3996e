"""Every handler imports from its built asset in a clean interpreter that has only the layer's packages,
and imports no package it does not use."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.assets import stage_function_asset
from scripts.lambda_imports import HOST_LAYER, function_names, import_in_clean_interpreter

# Packages that only some functions may pull in at cold start.
FORBIDDEN_EVERYWHERE = {"stripe", "pytest", "hypothesis", "aws_cdk", "moto"}


@pytest.fixture(scope="module")
def asset_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not HOST_LAYER.is_dir():
        pytest.fail("the host dependency layer is missing: run `make layer`")
    return tmp_path_factory.mktemp("assets")


def test_every_function_folder_has_a_handler() -> None:
    assert len(function_names()) >= 10


@pytest.mark.parametrize("function", function_names())
def test_handler_imports_from_its_asset_with_only_the_layer(asset_root: Path, function: str) -> None:
    asset = stage_function_asset(function, asset_root)

    probe = import_in_clean_interpreter(asset, function=function)

    assert not FORBIDDEN_EVERYWHERE & set(probe.packages), probe.packages
