"""Payouts, pure: how much of a funded account's profit may be withdrawn, the trader's share of it, whether a
request is allowed now (one verdict per payout rule, with its figures; every refusal with a reason code) and
how a request is decided.

No AWS, no clock reads: the caller passes `now`, the account's figures, its payout history and its closed
trades since the last withdrawn payout (the consistency rule). The use cases (preview, request, history,
queue, decision) are `propdesk.payouts.requests`, over the store protocols of `propdesk.payouts.store`
(implemented in `propdesk.data`); the HTTP routes are `functions/payouts_api`. Moving the money
(eligibility re-check, KYC gate, fraud screen, approval callback, payment) is the payout workflow's job,
started by `payout.approved`.
"""

from propdesk.engine.days import TradingDay
from propdesk.payouts.consistency import ClosedTrade, ConsistencyCheck
from propdesk.payouts.eligibility import Assessment, PayoutSituation, Quote, Refusal, RuleCheck, assess
from propdesk.payouts.model import OPEN_STATUSES, Decision, Payout, PayoutStatus, decide
from propdesk.payouts.policy import PayoutPolicy, PayoutPolicyError, SplitTier, is_funded, policy_for
from propdesk.payouts.split import trader_share

__all__ = [
    "OPEN_STATUSES",
    "Assessment",
    "ClosedTrade",
    "ConsistencyCheck",
    "Decision",
    "Payout",
    "PayoutPolicy",
    "PayoutPolicyError",
    "PayoutSituation",
    "PayoutStatus",
    "Quote",
    "Refusal",
    "RuleCheck",
    "SplitTier",
    "TradingDay",
    "assess",
    "decide",
    "is_funded",
    "policy_for",
    "trader_share",
]
