"""Cognito: traders and staff sign in to one user pool; groups carry their roles.

Two app clients:
- `AppClient`, public (the dashboard, in browsers; no secret): SRP sign-in and refresh only, no password
  flow, so nobody can guess passwords against it around our limits; it may write `email`, `name` and
  `zoneinfo` and nothing else;
- `ServerClient`, with a secret, for `auth_api` only: `ADMIN_USER_PASSWORD_AUTH` (AdminInitiateAuth needs
  IAM permission on the pool, which only auth_api's role has) and refresh; it passes the caller's context on
  to threat protection.

The pool itself: threat protection enforced (feature plan Plus: compromised credentials and adaptive
authentication score every sign-in), a pre-sign-up trigger (`functions/pre_sign_up`) refusing what our
sign-up route refuses, e-mail changes that keep the original address until the new one is verified, and a
web ACL limiting each source IP's calls to the public client.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.functions import FunctionFactory, FunctionSpec, removal_policy
from infra.constructs.waf import WebAcl, all_of, header_equals, json_field_equals, rate_per_ip
from infra.nag import acknowledge

GROUPS = {
    "trader": "Buys challenges and trades the accounts they own",
    "support": "Staff: reads traders' accounts to answer questions",
    "risk": "Staff: reviews breaches and approves overrides",
    "finance": "Staff: approves payouts and refunds",
    "admin": "Staff: manages programs, staff and configuration",
}
# What a client may write about a user: the address (changes wait for verification), the display name and
# the zone. Never `email_verified`, groups, or anything else.
WRITABLE = cognito.ClientAttributes().with_standard_attributes(email=True, fullname=True, timezone=True)
# Calls to the public client per source IP over five minutes: an SRP sign-in is two calls, a refresh one; a
# busy office or carrier NAT stays well under it, a password sprayer does not.
PUBLIC_CLIENT_CALLS_PER_IP = 300
# Sign-ups send e-mail: 20 per source IP per five minutes straight to Cognito (our API allows 10 an hour).
PUBLIC_SIGN_UPS_PER_IP = 20
SIGN_UP_TARGET = "AWSCognitoIdentityProviderService.SignUp"
# Whether a staff member signs in with MFA: their `sub` → username (ListUsers), then their MFA settings.
STAFF_MFA_ACTIONS = ("cognito-idp:ListUsers", "cognito-idp:AdminGetUser")


class Identity(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, config: StageConfig, functions: FunctionFactory
    ) -> None:
        super().__init__(scope, construct_id)
        extra_domains = str(self.node.try_get_context("extra_disposable_domains") or "")
        self.pre_sign_up = functions.create(
            self,
            FunctionSpec(
                "pre_sign_up",
                "Cognito PreSignUp: refuses sign-ups our sign-up route would refuse (disposable e-mail...)",
                5,  # Cognito waits 5 s for a trigger
                256,
                {"EXTRA_DISPOSABLE_DOMAINS": extra_domains} if extra_domains else {},
            ),
        )
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=config.resource_name("users"),
            self_sign_up_enabled=True,
            sign_in_aliases=cognito.SignInAliases(email=True),
            # Jane@Example.com and jane@example.com are one trader (the sign-in route lower-cases them too).
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            # A changed address is only used once its code is confirmed; until then the old one stays.
            keep_original=cognito.KeepOriginalAttrs(email=True),
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
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            lambda_triggers=cognito.UserPoolTriggers(pre_sign_up=self.pre_sign_up),
            deletion_protection=config.is_prod,
            removal_policy=removal_policy(config),
        )
        acknowledge(
            self.user_pool,
            "COG2",
            "MFA is optional (TOTP offered) so that traders onboard in one step; threat protection asks for "
            "more on risky sign-ins. A firm that wants MFA compulsory sets Mfa.REQUIRED here.",
        )
        for name, description in GROUPS.items():
            self.user_pool.add_group(f"{name.capitalize()}Group", group_name=name, description=description)

        # The dashboard signs in with SRP (no password on the wire, nothing to spray). No client secret: it
        # runs in browsers.
        self.client = self.user_pool.add_client(
            "AppClient",
            user_pool_client_name=config.resource_name("app"),
            auth_flows=cognito.AuthFlow(user_srp=True),
            generate_secret=False,
            prevent_user_existence_errors=True,
            write_attributes=WRITABLE,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )
        # auth_api's own client: password sign-in only through AdminInitiateAuth (IAM), with the secret hash.
        self.server_client = self.user_pool.add_client(
            "ServerClient",
            user_pool_client_name=config.resource_name("auth-api"),
            auth_flows=cognito.AuthFlow(admin_user_password=True),
            generate_secret=True,
            enable_propagate_additional_user_context_data=True,
            prevent_user_existence_errors=True,
            write_attributes=WRITABLE,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )
        self.web_acl = self._web_acl(config)

    def require_staff_mfa(self, config: StageConfig, functions: list[lambda_.Function]) -> None:
        """The functions serving finance's and admin's actions ask the pool whether the caller signs in with
        MFA (`propdesk.http.routing.require_mfa`). The local cloud's demo staff cannot set an authenticator
        up, so there (only) the check is off."""
        for function in functions:
            function.add_environment("USER_POOL_ID", self.user_pool.user_pool_id)
            function.add_environment("STAFF_MFA_REQUIRED", "false" if config.local else "true")
            self.user_pool.grant(function, *STAFF_MFA_ACTIONS)

    @property
    def client_ids(self) -> list[str]:
        """Every app client whose tokens the APIs accept."""
        return [self.client.user_pool_client_id, self.server_client.user_pool_client_id]

    def _web_acl(self, config: StageConfig) -> WebAcl:
        """Rate limits per source IP on calls that name the public client (the server client's calls come
        from our functions' addresses and need its secret, so they are left to auth_api's own limits)."""
        public = json_field_equals("/ClientId", self.client.user_pool_client_id)
        acl = WebAcl(
            self,
            "Waf",
            config,
            "user-pool",
            [
                rate_per_ip("PublicClientCallsPerIp", 0, PUBLIC_CLIENT_CALLS_PER_IP, public),
                rate_per_ip(
                    "PublicSignUpsPerIp",
                    1,
                    PUBLIC_SIGN_UPS_PER_IP,
                    all_of(public, header_equals("x-amz-target", SIGN_UP_TARGET)),
                ),
            ],
        )
        acl.associate("UserPoolAssociation", self.user_pool.user_pool_arn)
        return acl
