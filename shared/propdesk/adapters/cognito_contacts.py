"""`propdesk.ports.ContactDirectory` on the Cognito user pool: a trader's address and zone by their `sub`.

Why the pool and not a copy in our table: the pool is where the address is verified and where the trader
changes it, so it is always the current one, and no second copy of personal data has to be kept in step (the
profile item holds the address only for traders who set a display name). One call per message:
`AdminGetUser` with the `sub` as the username (Cognito accepts a local user's `sub` there; the local cloud's
emulator does too). The function's role may call only that, on this pool. Only `email` and `zoneinfo` are
read; an address not marked verified is not used. Nothing is logged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from propdesk.ports import Contact, IdentityProviderUnavailableError

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient


class CognitoContactDirectory:
    def __init__(self, user_pool_id: str, client: Callable[[], CognitoIdentityProviderClient]) -> None:
        self._pool = user_pool_id
        self._client_factory = client
        self._client: CognitoIdentityProviderClient | None = None

    def contact(self, trader_id: str) -> Contact | None:
        from botocore.exceptions import BotoCoreError, ClientError

        if self._client is None:
            self._client = self._client_factory()
        try:
            user = self._client.admin_get_user(UserPoolId=self._pool, Username=trader_id)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "UserNotFoundException":
                return None
            raise IdentityProviderUnavailableError(
                f"the user pool did not answer the contact look-up ({code})"
            ) from None
        except BotoCoreError:
            raise IdentityProviderUnavailableError("the user pool cannot be reached; try again") from None
        named = _attributes(user.get("UserAttributes", []))
        email = named.get("email")
        if not email or named.get("email_verified", "true").lower() != "true":
            return None
        return Contact(email=email, zoneinfo=named.get("zoneinfo") or None)


def _attributes(attributes: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    return {
        str(item["Name"]): str(item["Value"]) for item in attributes if "Name" in item and "Value" in item
    }
