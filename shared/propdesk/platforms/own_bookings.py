"""Balance operations propdesk books itself, recognisable when the platform's history is read back.

Payouts (a withdrawal, a compensating deposit) and scaling top-ups book a balance operation through
`TradingPlatform.adjust_balance` *and* record the matching engine event themselves. The platform's history
reports the same operation again as a balance deal; were it to become a `deposit`/`withdrawal` event too, the
money would count twice. So every adapter marks the operations it books (the tag `[propdesk:<reference>]` in
the comment the platform keeps, or the field the platform keeps our reference in) and reports the reference on
the `Deal` (`our_reference`); normalization turns such a deal into no event. A broker's own deposit or
withdrawal carries no tag and still becomes an event.
"""

from __future__ import annotations

import re

_TAG = re.compile(r"\[propdesk:([^\]]+)\]")


def tag(reference: str) -> str:
    return f"[propdesk:{reference}]"


def tagged(comment: str, reference: str) -> str:
    """The comment with our tag at its end (the platform keeps it with the operation)."""
    return f"{comment} {tag(reference)}".strip()


def reference_in(text: object) -> str:
    """Our reference from a tagged comment; "" for a comment we did not write."""
    found = _TAG.search(str(text or ""))
    return found.group(1) if found else ""
