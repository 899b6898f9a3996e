"""Provider credentials in Secrets Manager. The stack creates each secret with a generated placeholder;
ops put the provider's real values in after the first deploy (`aws secretsmanager put-secret-value`), and
later deploys leave them alone.
"""

from __future__ import annotations

import json

from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.functions import removal_policy
from infra.nag import acknowledge

# provider -> (fields ops fill in, field generated so that signed webhooks work before ops set the real one)
PROVIDER_SECRETS: dict[str, tuple[tuple[str, ...], str]] = {
    "stripe": (("api_key",), "webhook_secret"),
    "veriff": (("api_key",), "shared_secret"),
    "sumsub": (("app_token", "secret_key"), "webhook_secret"),
    "match-trader": (("base_url",), "api_token"),
    "coinbase-commerce": (("api_key",), "webhook_secret"),
    # payout rails: webhooks are RSA-signed, so ops put the rail's public key in with the API key
    "bridge": (("webhook_public_key",), "api_key"),
    "wise": (("webhook_public_key",), "api_token"),
}

PLACEHOLDER = "set-me"


class ProviderSecrets(Construct):
    def __init__(self, scope: Construct, construct_id: str, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.secrets: dict[str, secretsmanager.Secret] = {}
        for provider, (fields, generated) in PROVIDER_SECRETS.items():
            secret = secretsmanager.Secret(
                self,
                "".join(part.capitalize() for part in provider.split("-")),
                secret_name=f"propdesk/{config.stage}/{provider}",
                description=f"propdesk: {provider} credentials (JSON: {', '.join((*fields, generated))})",
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    secret_string_template=json.dumps(dict.fromkeys(fields, PLACEHOLDER)),
                    generate_string_key=generated,
                    exclude_punctuation=True,
                    password_length=40,
                ),
                removal_policy=removal_policy(config),
            )
            acknowledge(
                secret,
                "SMG4",
                f"{provider} issues these credentials; they are rotated in the provider's console and then "
                "written here by ops, so there is no rotation Lambda to run.",
            )
            self.secrets[provider] = secret

    @property
    def veriff(self) -> secretsmanager.Secret:
        return self.secrets["veriff"]
