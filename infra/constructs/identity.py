"""Cognito: traders and staff sign in to one user pool; groups carry their roles."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.functions import removal_policy
from infra.nag import acknowledge

GROUPS = {
    "trader": "Buys challenges and trades the accounts they own",
    "support": "Staff: reads traders' accounts to answer questions",
    "risk": "Staff: reviews breaches and approves overrides",
    "finance": "Staff: approves payouts and refunds",
    "admin": "Staff: manages programs, staff and configuration",
}


class Identity(Construct):
    def __init__(self, scope: Construct, construct_id: str, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=config.resource_name("users"),
            self_sign_up_enabled=True,
            sign_in_aliases=cognito.SignInAliases(email=True),
            # Jane@Example.com and jane@example.com are one trader (the sign-in route lower-cases them too).
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            deletion_protection=config.is_prod,
            removal_policy=removal_policy(config),
        )
        acknowledge(
            self.user_pool,
            "COG2",
            "MFA is optional (TOTP offered) so that traders onboard in one step and seeded test users sign "
            "in with USER_PASSWORD_AUTH; a firm that wants it compulsory sets Mfa.REQUIRED here.",
        )
        for rule in ("COG3", "COG8"):
            acknowledge(
                self.user_pool,
                rule,
                "Threat protection needs the Cognito Plus feature plan (priced per user); a firm enables "
                "it by setting `feature_plan` here.",
            )
        for name, description in GROUPS.items():
            self.user_pool.add_group(f"{name.capitalize()}Group", group_name=name, description=description)

        # The dashboard signs in with SRP; tests and scripts use USER_PASSWORD_AUTH. No client secret: it runs
        # in browsers.
        self.client = self.user_pool.add_client(
            "AppClient",
            user_pool_client_name=config.resource_name("app"),
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),
            generate_secret=False,
            prevent_user_existence_errors=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )
