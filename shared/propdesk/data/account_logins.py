"""An account's platform login (server and login, no password): `ACCOUNT#{account_id}` / `LOGIN`, written by
provisioning once the platform account exists, read by `GET /v1/accounts/{id}/credentials`."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from propdesk.data import keys
from propdesk.data.models import MainTableModel
from propdesk.records import AccountLogin

LOGIN_SK = "LOGIN"


class AccountLoginItem(MainTableModel):
    account_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    server = UnicodeAttribute()
    login = UnicodeAttribute()


class AccountLoginRepository:
    def put(self, login: AccountLogin) -> None:
        """Idempotent: the same login written again changes nothing."""
        AccountLoginItem(
            keys.account_pk(login.account_id),
            LOGIN_SK,
            entity="account_login",
            account_id=login.account_id,
            platform=login.platform,
            server=login.server,
            login=login.login,
        ).save()

    def get(self, account_id: str) -> AccountLogin | None:
        try:
            item = AccountLoginItem.get(keys.account_pk(account_id), LOGIN_SK)
        except AccountLoginItem.DoesNotExist:
            return None
        return AccountLogin(item.account_id, item.platform, item.server, item.login)
