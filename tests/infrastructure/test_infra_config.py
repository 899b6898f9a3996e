"""Stage and firm settings come from CDK context and are validated before anything is built."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App

from infra.assets import AssetError, layer_asset
from infra.config import PROJECT_ROOT, ConfigError, StageConfig, load_config
from infra.stack import build_app
from tests.infrastructure.conftest import project_context

pytestmark = pytest.mark.infra


def _config(**overrides: Any) -> StageConfig:
    context = {**project_context(), **overrides}
    return load_config(context.get)


def test_cdk_json_describes_a_dev_stage_by_default() -> None:
    config = _config()

    assert config.stage == "dev"
    assert config.stack_name == "Propdesk-dev"
    assert not config.is_prod
    assert config.layer_dir == PROJECT_ROOT / ".build/layer/arm64"


def test_prod_takes_its_own_throttling_and_retention() -> None:
    prod = _config(stage="prod")
    stages = project_context()["stages"]

    assert prod.is_prod
    assert prod.throttle_rate_limit == stages["prod"]["throttle_rate_limit"]
    assert prod.log_retention_days == stages["prod"]["log_retention_days"]
    assert prod.stack_name == "Propdesk-prod"


def test_command_line_values_arrive_as_strings_and_override_cdk_json() -> None:
    config = _config(throttle_rate_limit="75", alarm_email="risk@firm.example", layer_dir="/opt/layer")

    assert config.throttle_rate_limit == 75
    assert config.alarm_email == "risk@firm.example"
    assert config.layer_dir == Path("/opt/layer")


def test_an_unknown_stage_is_refused_with_the_key_to_fix() -> None:
    with pytest.raises(ConfigError, match=r"stages\.qa"):
        _config(stage="qa")


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("log_retention_days", "10", "log_retention_days"),
        ("alarm_email", "not-an-address", "alarm_email"),
        ("throttle_burst_limit", "0", "throttle_burst_limit"),
        ("firm_name", "", "firm_name"),
    ],
)
def test_a_malformed_setting_is_refused_naming_it(key: str, value: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        _config(**{key: value})


def test_resource_names_carry_the_stage() -> None:
    assert _config(stage="prod").resource_name("daily_reset") == "propdesk-prod-daily-reset"


def test_a_missing_layer_tells_you_to_run_make_layer(tmp_path: Path) -> None:
    with pytest.raises(AssetError, match="run `make layer`"):
        layer_asset(tmp_path / "no-layer-here")


def test_the_app_refuses_to_build_without_the_layer(tmp_path: Path) -> None:
    app = App(
        context={**project_context(), "layer_dir": str(tmp_path / "missing"), "asset_dir": str(tmp_path)}
    )

    with pytest.raises(AssetError, match="run `make layer`"):
        build_app(app)


def test_prod_is_not_built_with_example_addresses(tmp_path: Path) -> None:
    app = App(context={**project_context(), "stage": "prod", "layer_dir": str(tmp_path)})

    with pytest.raises(ConfigError) as refused:
        build_app(app)

    assert "alarm_email" in str(refused.value)
    assert "checkout_success_url" in str(refused.value)
    assert "checkout_cancel_url" in str(refused.value)


def test_prod_with_real_addresses_passes_the_check_and_dev_keeps_its_examples() -> None:
    from infra.config import placeholder_addresses, refuse_placeholders_in_prod

    real = {
        "checkout_success_url": "https://desk.firm.io/ok",
        "checkout_cancel_url": "https://desk.firm.io/no",
    }
    refuse_placeholders_in_prod(_config(stage="prod", alarm_email="ops@firm.io"), real)
    refuse_placeholders_in_prod(_config(), {"checkout_success_url": "https://app.example.com/ok"})
    assert placeholder_addresses(
        {"a": "ops@example.com", "b": "https://app.example.org:8443/x", "c": "https://example.com.evil.io/"}
    ) == ["a", "b"]
