"""`propdesk.ports.StaffDirectory` on the Cognito user pool: staff roles are the pool's groups.

Calls (signed; the function's role allows exactly these on this pool): ListUsersInGroup, ListUsers (to find a
user by `sub`), AdminListGroupsForUser, AdminAddUserToGroup, AdminRemoveUserFromGroup, AdminGetUser (whether
the user signs in with MFA: `propdesk.ports.StaffMfa`, `CognitoStaffMfa`). Users are named by
their `sub` everywhere in propdesk; the admin calls need the pool's username, looked up once per user.
boto3 is imported on first use, not at cold start.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from propdesk.ports import IdentityProviderUnavailableError, StaffUser

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

T = TypeVar("T")
TOTP = "SOFTWARE_TOKEN_MFA"
PAGE_SIZE = 60  # Cognito's maximum for ListUsersInGroup and ListUsers
OUTAGE = frozenset(
    {
        "InternalErrorException",
        "ServiceUnavailableException",
        "TooManyRequestsException",
        "LimitExceededException",
    }
)


def default_client(region: str, endpoint_url: str | None) -> CognitoIdentityProviderClient:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 3, "mode": "standard"})
    client: CognitoIdentityProviderClient = boto3.session.Session().client(
        "cognito-idp", region_name=region, endpoint_url=endpoint_url, config=config
    )
    return client


class CognitoStaffDirectory:
    def __init__(
        self,
        user_pool_id: str,
        client: Callable[[], CognitoIdentityProviderClient],
        staff_roles: Iterable[str],
    ) -> None:
        self._pool = user_pool_id
        self._client_factory = client
        self._client: CognitoIdentityProviderClient | None = None
        self._staff_roles = frozenset(staff_roles)
        self._usernames: dict[str, str] = {}

    def members(self, role: str) -> list[StaffUser]:
        users: list[StaffUser] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"UserPoolId": self._pool, "GroupName": role, "Limit": PAGE_SIZE}
            if token:
                params["NextToken"] = token
            page = self._page("list_users_in_group", params)
            for user in page.get("Users", []):
                users.append(self._user(user, user.get("Attributes", []), frozenset({role})))
            token = page.get("NextToken")
            if not token:
                return users

    def find(self, user_id: str) -> StaffUser | None:
        found = self._call(
            lambda client: client.list_users(UserPoolId=self._pool, Filter=f'sub = "{user_id}"', Limit=1)
        )
        matching = [
            user
            for user in found.get("Users", [])
            if _attributes(user.get("Attributes", [])).get("sub") == user_id
        ]
        if not matching:
            return None
        return self._user(
            matching[0], matching[0].get("Attributes", []), self._roles(matching[0]["Username"])
        )

    def add_role(self, user_id: str, role: str) -> None:
        username = self._username(user_id)
        self._call(
            lambda client: client.admin_add_user_to_group(
                UserPoolId=self._pool, Username=username, GroupName=role
            )
        )

    def remove_role(self, user_id: str, role: str) -> None:
        username = self._username(user_id)
        self._call(
            lambda client: client.admin_remove_user_from_group(
                UserPoolId=self._pool, Username=username, GroupName=role
            )
        )

    def mfa_enabled(self, user_id: str) -> bool:
        """Whether the user (enabled) has TOTP among their MFA methods; False for a user the pool lacks."""
        found = self._call(
            lambda client: client.list_users(UserPoolId=self._pool, Filter=f'sub = "{user_id}"', Limit=1)
        )
        names = [
            str(user["Username"])
            for user in found.get("Users", [])
            if _attributes(user.get("Attributes", [])).get("sub") == user_id
        ]
        if not names:
            return False
        try:
            got = self._call(lambda client: client.admin_get_user(UserPoolId=self._pool, Username=names[0]))
        except LookupError:
            return False
        return TOTP in (got.get("UserMFASettingList") or ()) and bool(got.get("Enabled", True))

    def _roles(self, username: str) -> frozenset[str]:
        groups: set[str] = set()
        token: str | None = None
        while True:
            params: dict[str, Any] = {"UserPoolId": self._pool, "Username": username, "Limit": PAGE_SIZE}
            if token:
                params["NextToken"] = token
            page = self._page("admin_list_groups_for_user", params)
            groups.update(str(group["GroupName"]) for group in page.get("Groups", []))
            token = page.get("NextToken")
            if not token:
                return frozenset(groups) & self._staff_roles

    def _username(self, user_id: str) -> str:
        if user_id not in self._usernames and self.find(user_id) is None:
            raise LookupError(f"the user pool has no user {user_id!r}")
        return self._usernames[user_id]

    def _user(
        self, user: Mapping[str, Any], attributes: Iterable[Mapping[str, Any]], roles: frozenset[str]
    ) -> StaffUser:
        named = _attributes(attributes)
        user_id = named.get("sub") or str(user["Username"])
        self._usernames[user_id] = str(user["Username"])
        return StaffUser(
            user_id=user_id,
            email=named.get("email"),
            roles=roles,
            enabled=bool(user.get("Enabled", True)),
            status=str(user.get("UserStatus", "UNKNOWN")),
        )

    def _page(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        page: dict[str, Any] = self._call(lambda client: getattr(client, operation)(**params))
        return page

    def _call(self, operation: Callable[[CognitoIdentityProviderClient], T]) -> T:
        from botocore.exceptions import BotoCoreError, ClientError

        if self._client is None:
            self._client = self._client_factory()
        try:
            return operation(self._client)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "UserNotFoundException":
                raise LookupError("the user pool has no such user") from error
            if code in OUTAGE:
                raise IdentityProviderUnavailableError(
                    "the user pool is busy or unavailable; try again"
                ) from error
            raise
        except BotoCoreError as error:  # no answer at all: connection refused, timeouts
            raise IdentityProviderUnavailableError("the user pool cannot be reached; try again") from error


class CognitoStaffMfa:
    """`propdesk.ports.StaffMfa` on the pool: a user signs in with MFA when TOTP is among their enabled MFA
    methods (AdminGetUser's `UserMFASettingList`; the pool challenges every sign-in of such a user). A "yes"
    is remembered for `ttl` seconds per container (a staff member acts several times in a row); a "no" is
    asked again every time, so a member who just set MFA up is not kept waiting."""

    def __init__(
        self,
        user_pool_id: str,
        client: Callable[[], CognitoIdentityProviderClient],
        ttl: float = 300.0,  # float ok: s, never money
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._directory = CognitoStaffDirectory(user_pool_id, client, ())
        self._ttl = ttl
        self._clock = clock
        self._confirmed: dict[str, float] = {}

    def mfa_enabled(self, user_id: str) -> bool:
        now = self._clock()
        confirmed = self._confirmed.get(user_id)
        if confirmed is not None and now - confirmed < self._ttl:
            return True
        enabled = self._directory.mfa_enabled(user_id)
        if enabled:
            self._confirmed[user_id] = now
        return enabled


def _attributes(attributes: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    return {
        str(item["Name"]): str(item["Value"]) for item in attributes if "Name" in item and "Value" in item
    }
