"""Identity-signal capture for the abuse detectors (docs/abuse.md, "Wiring"), in a nested stack of its own
(the parent stack is near CloudFormation's 500-resource limit):

    auth_api (sign-in, refresh: IP, device) ─┐
    stripe_webhook (card that paid) ─────────┤ keyed hash (the firm's key, this secret)
    payouts_api (payout destination) ────────┼──────────► TRADER#{trader} / SIGNAL#{day}#{kind}#{hash}
    kyc_webhook (document, name + birth) ────┘                 └─ table stream ─► abuse_detect

The key is generated at the first deploy and never leaves Secrets Manager; rotating it starts the graph
afresh (old and new hashes of one value differ), so it is not rotated on a schedule.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import NestedStack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.functions import removal_policy
from infra.nag import acknowledge

SIGNAL_WRITES = ("dynamodb:PutItem",)  # one conditional put per signal (absent: a new value that day)
SIGNAL_PARTITIONS = ("TRADER#*",)


class AbuseSignalsStack(NestedStack):
    def __init__(self, scope: Construct, construct_id: str, config: StageConfig) -> None:
        super().__init__(scope, construct_id, description=f"propdesk {config.stage}: abuse identity signals")
        self.key = secretsmanager.Secret(
            self,
            "SignalKey",
            secret_name=f"propdesk/{config.stage}/abuse-signal-key",
            description="propdesk: the firm's key for identity-signal hashes (JSON: key)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template="{}",  # noqa: S106 (an empty JSON object: the key is generated)
                generate_string_key="key",
                exclude_punctuation=True,
                password_length=64,
            ),
            removal_policy=removal_policy(config),
        )
        acknowledge(
            self.key,
            "SMG4",
            "The key of the identity-signal hashes: a rotation would make every stored hash unmatched (the "
            "shared-identity graph starts afresh), so ops rotate it by hand, deliberately.",
        )

    def let_capture(self, data: Data, functions: Sequence[lambda_.Function]) -> None:
        """Each function reads the key and puts signal items in the traders' partitions."""
        for function in functions:
            self.key.grant_read(function)
            function.add_environment("ABUSE_SIGNAL_KEY_SECRET_ID", self.key.secret_arn)
            data.grant_partition_writes(function, SIGNAL_WRITES, SIGNAL_PARTITIONS)
