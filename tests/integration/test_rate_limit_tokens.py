"""The rate windows in DynamoDB Local count an `Idempotency-Key` once: a retry of a request that failed on
our side passes without being charged again, a new key is counted, and a used-up window refuses new keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from propdesk.data import keys
from propdesk.data.models import RateWindowItem
from propdesk.data.rate_limits import DynamoWindowCounter

from tests.integration.dynamodb_local import TableNames

pytestmark = pytest.mark.integration

WINDOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
EXPIRES = WINDOW + timedelta(hours=2)


def test_a_key_counts_once_and_a_used_up_window_refuses_only_new_keys(
    tables: TableNames, unique_id: str
) -> None:
    counter = DynamoWindowCounter()
    key = f"requestPayout#trader-{unique_id}"

    assert counter.increment(key, WINDOW, 2, EXPIRES, token="a")
    assert counter.increment(key, WINDOW, 2, EXPIRES, token="a")  # the retry: admitted, not counted
    assert counter.increment(key, WINDOW, 2, EXPIRES, token="b")
    assert not counter.increment(key, WINDOW, 2, EXPIRES, token="c")  # the window is used up
    assert counter.increment(key, WINDOW, 2, EXPIRES, token="b")
    assert not counter.increment(key, WINDOW, 2, EXPIRES)  # a hit without a key is counted as before

    [stored] = list(RateWindowItem.query(keys.rate_pk("requestPayout", f"trader-{unique_id}")))
    assert stored.hits == 2 and stored.tokens == {"a", "b"}


def test_hits_without_a_key_count_every_time(tables: TableNames, unique_id: str) -> None:
    counter = DynamoWindowCounter()
    key = f"signIn#ip-{unique_id}"

    assert counter.increment(key, WINDOW, 2, EXPIRES)
    assert counter.increment(key, WINDOW, 2, EXPIRES)
    assert not counter.increment(key, WINDOW, 2, EXPIRES)
