"""Our tag on the balance operations propdesk books, and reading it back."""

from __future__ import annotations

import pytest
from propdesk.platforms import own_bookings


def test_a_tagged_comment_names_our_reference() -> None:
    comment = own_bookings.tagged("payout po_1", "payout:po_1:withdrawal")
    assert comment == "payout po_1 [propdesk:payout:po_1:withdrawal]"
    assert own_bookings.reference_in(comment) == "payout:po_1:withdrawal"
    assert own_bookings.tagged("", "dec_1:scaling") == "[propdesk:dec_1:scaling]"


@pytest.mark.parametrize(
    "comment", [None, "", "broker bonus", "[payout:po_1]", "propdesk:payout:po_1", "[propdesk:]"]
)
def test_a_comment_without_our_tag_is_not_ours(comment: str | None) -> None:
    assert own_bookings.reference_in(comment) == ""
