"""Cross-account hedging: opposite exposure on one instrument at the same time in accounts of one person (one
trader, or traders sharing strong identity signals); one account failing while the other profits is the
tell-tale."""

from __future__ import annotations

import json
from decimal import Decimal

from propdesk.abuse.hedging import HedgingDetector
from propdesk.abuse.state import MemoryState

from tests.unit.abuse.desk import DAY, Desk

HOUR = 3600.0


def hedging() -> HedgingDetector:
    return HedgingDetector(MemoryState(copy_values=True))


def hedge(
    desk: Desk, first: tuple[str, str], second: tuple[str, str], moment: float, gap: float = 30
) -> None:
    desk.open(*first, moment, side="buy", volume="3")
    desk.open(*second, moment + gap, side="sell", volume="3")


def test_one_traders_two_accounts_buying_and_selling_eurusd_together_twice_are_hedging() -> None:
    desk = Desk(hedging())
    hedge(desk, ("a1", "t1"), ("a2", "t1"), 0)
    assert desk.flags == []

    hedge(desk, ("a1", "t1"), ("a2", "t1"), DAY)

    flag = desk.last("hedging")
    assert flag.flag_id == "hedging:a1+a2"
    assert flag.accounts == ("a1", "a2")
    assert flag.evidence.figure("hedges") == "2"
    assert flag.evidence.figure("link") == "same trader"
    assert [(leg.account_id, leg.side) for leg in flag.evidence.trades[0]] == [("a1", "buy"), ("a2", "sell")]
    json.dumps(flag.to_dict())


def test_strangers_on_opposite_sides_at_the_same_time_are_not_hedging() -> None:
    desk = Desk(hedging())
    for day in range(5):
        hedge(desk, ("a1", "t1"), ("a2", "t2"), day * DAY)

    assert desk.flags == []


def test_a_household_ip_alone_does_not_link_but_a_shared_card_does() -> None:
    desk = Desk(hedging())
    desk.signal("t1", -100, "ip", "ip-home", "residential")
    desk.signal("t2", -90, "ip", "ip-home", "residential")
    for day in range(3):
        hedge(desk, ("a1", "t1"), ("a2", "t2"), day * DAY)
    assert desk.flags == []

    desk.signal("t1", 3 * DAY, "card", "card-9", account="a1")
    desk.signal("t2", 3 * DAY + 10, "card", "card-9", account="a2")
    for day in range(4, 6):
        hedge(desk, ("a1", "t1"), ("a2", "t2"), day * DAY)

    flag = desk.last("hedging")
    assert flag.traders == ("t1", "t2")
    assert {(signal.kind, signal.value) for signal in flag.evidence.signals} == {
        ("card", "card-9"),
        ("ip", "ip-home"),
    }
    assert flag.evidence.figure("link") == "strength 1.3"


def test_one_account_failing_while_the_other_profits_is_the_tell_tale() -> None:
    desk = Desk(hedging())
    for day in range(2):
        hedge(desk, ("a1", "t1"), ("a2", "t1"), day * DAY)
        desk.close("a1", "t1", f"a1-p{2 * day + 1}", day * DAY + HOUR, profit="-900")
        desk.close("a2", "t1", f"a2-p{2 * day + 2}", day * DAY + HOUR + 5, profit="880")
    before = desk.last("hedging")
    assert before.severity == "medium"

    (flag,) = desk.fail("a1", "t1", 2 * DAY)

    assert flag.severity == "high"
    assert flag.evidence.figure("tell_tale") == "a1 failed while a2 made 1760 on the hedges"
    assert flag.evidence.figure("mirrored") == "2"
    assert flag.score == Decimal("6.00")  # 2 hedges + 0.5 x 2 mirrored + 3 x tell-tale
    assert [leg.profit for leg in flag.evidence.trades[0]] == [-900, 880]


def test_a_trader_who_flips_in_each_account_is_not_hedged_across_them() -> None:
    desk = Desk(hedging())
    for day in range(3):
        desk.open("a1", "t1", day * DAY, side="sell")
        desk.open("a2", "t1", day * DAY + 2, side="sell")
        desk.open("a1", "t1", day * DAY + 70, side="buy")
        desk.open("a2", "t1", day * DAY + 72, side="buy")

    assert desk.flags == []


def test_legs_far_apart_or_of_different_sizes_are_no_hedge() -> None:
    desk = Desk(hedging())
    for day in range(3):
        desk.open("a1", "t1", day * DAY, side="buy", volume="3")
        desk.open("a2", "t1", day * DAY + 600, side="sell", volume="3")
        desk.open("a3", "t1", day * DAY + 2 * HOUR, side="buy", volume="1")
        desk.open("a4", "t1", day * DAY + 2 * HOUR + 5, side="sell", volume="3")

    assert desk.flags == []


def test_a_link_learned_after_the_hedges_catches_them_in_the_deep_pass() -> None:
    desk = Desk(hedging())
    for day in range(2):
        hedge(desk, ("a1", "t1"), ("a2", "t2"), day * DAY)
    desk.signal("t1", 2 * DAY, "payout_destination", "wallet-1", account="a1")
    desk.signal("t2", 2 * DAY + 60, "payout_destination", "wallet-1", account="a2")
    assert desk.flags == []

    (flag,) = desk.deep()

    assert flag.found_by == "deep"
    assert flag.flag_id == "hedging:a1+a2"
    assert flag.evidence.figure("hedges") == "2"
