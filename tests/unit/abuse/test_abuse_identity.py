"""Shared identities: traders linked by the signals they share, weighed by what each says; clusters as
connected components."""

from __future__ import annotations

from decimal import Decimal

from propdesk.abuse.identity import SharedIdentityDetector
from propdesk.abuse.links import SignalWeights
from propdesk.abuse.state import MemoryState

from tests.unit.abuse.desk import DAY, Desk


def identity() -> SharedIdentityDetector:
    return SharedIdentityDetector(MemoryState(copy_values=True))


def test_a_family_on_one_home_ip_with_their_own_devices_and_cards_is_not_a_cluster() -> None:
    desk = Desk(identity())
    for number, trader in enumerate(("mum", "dad", "son")):
        desk.signal(trader, number, "card", f"card-{trader}", account=f"{trader}-1")
        for day in range(10):
            desk.signal(trader, day * DAY + number, "ip", "ip-home", "residential")
            desk.signal(trader, day * DAY + number + 1, "device", f"laptop-{trader}")

    assert desk.flags == []


def test_a_shared_card_links_two_traders_at_once_and_names_their_accounts() -> None:
    desk = Desk(identity())
    desk.signal("t1", 0, "card", "card-7", account="a1")
    (flag,) = desk.signal("t2", 60, "card", "card-7", account="a2")

    assert flag.flag_id == "shared_identity:t1+t2"
    assert flag.traders == ("t1", "t2")
    assert flag.accounts == ("a1", "a2")
    assert flag.severity == "high"
    assert [(signal.kind, signal.value, signal.weight) for signal in flag.evidence.signals] == [
        ("card", "card-7", Decimal(1))
    ]
    assert flag.evidence.figure("t1+t2") == "strength 1: card 1"


def test_a_device_alone_does_not_link_a_device_and_a_home_ip_together_do() -> None:
    desk = Desk(identity())
    desk.signal("t1", 0, "device", "dev-1")
    desk.signal("t2", 10, "device", "dev-1")
    assert desk.flags == []

    desk.signal("t1", 20, "ip", "ip-home", "residential")
    (flag,) = desk.signal("t2", 30, "ip", "ip-home", "residential")

    assert flag.severity == "medium"
    assert flag.score == Decimal("1.00")


def test_a_mobile_carriers_address_links_no_one_however_many_share_it() -> None:
    desk = Desk(identity())
    for number in range(40):
        desk.signal(f"t{number}", number, "ip", "ip-cgnat", "mobile")
        desk.signal(f"t{number}", number, "device", "dev-iphone-15")  # a fingerprint every such phone has

    assert desk.flags == []


def test_a_value_shared_by_more_than_max_fanout_traders_is_common_and_stops_costing_writes() -> None:
    state = MemoryState()
    detector = SharedIdentityDetector(state)
    desk = Desk(detector)
    for number in range(30):
        desk.signal(f"t{number}", number, "ip", "ip-office")
    writes = state.writes

    desk.signal("t99", 100, "ip", "ip-office")

    assert state.writes == writes
    assert state.get("link#sig#ip#ip-office", desk.window[-1].event.time) == {
        "common": True,
        "net": "unknown",
        "n": 26,
    }


def test_weights_fall_with_fanout_beyond_a_household() -> None:
    weights = SignalWeights()

    assert weights.weight("card", "unknown", 2) == Decimal(1)
    assert weights.weight("card", "unknown", 8) == Decimal("0.500")
    assert weights.weight("card", "unknown", 26) == 0
    assert weights.weight("ip", "mobile", 2) == Decimal("0.05")


def test_traders_linked_in_a_chain_are_one_cluster_and_the_absorbed_clusters_are_named() -> None:
    desk = Desk(identity())
    desk.signal("t1", 0, "kyc_identity", "kyc-1", account="a1")
    desk.signal("t2", 1, "kyc_identity", "kyc-1", account="a2")
    desk.signal("t3", 2, "payout_destination", "iban-3", account="a3")
    desk.signal("t4", 3, "payout_destination", "iban-3", account="a4")
    desk.signal("t5", 4, "card", "card-5", account="a5")
    desk.signal("t1", 5, "card", "card-5", account="a1")

    (flag,) = desk.signal("t2", 6, "payout_destination", "iban-3", account="a2")

    assert flag.flag_id == "shared_identity:t1+t2"
    assert flag.traders == ("t1", "t2", "t3", "t4", "t5")
    assert flag.accounts == ("a1", "a2", "a3", "a4", "a5")
    assert flag.supersedes == ("t3+t4",)


def test_a_repeated_sign_in_costs_one_read_and_raises_nothing() -> None:
    state = MemoryState()
    desk = Desk(SharedIdentityDetector(state))
    desk.signal("t1", 0, "ip", "ip-1", "residential")
    reads, writes = state.reads, state.writes

    desk.signal("t1", 3600, "ip", "ip-1", "residential")

    assert (state.reads - reads, state.writes - writes) == (1, 0)


def test_a_card_later_seen_with_eight_traders_links_none_of_them_in_the_deep_pass() -> None:
    desk = Desk(identity())
    desk.signal("t1", 0, "card", "card-x", account="a1")
    desk.signal("t2", 1, "card", "card-x", account="a2")
    for number in range(3, 9):  # the card turns out to be shared by eight traders: each link weighs 0.5
        desk.signal(f"t{number}", number, "card", "card-x", account=f"a{number}")

    flags = desk.deep()

    assert flags == []


def test_traders_linked_by_signals_that_name_no_account_are_flagged_with_the_accounts_they_trade() -> None:
    desk = Desk(identity())
    desk.open("a1", "t1", 0)
    desk.open("a2", "t1", 5)
    desk.open("b1", "t2", 10)
    desk.signal("t1", 100, "kyc_identity", "kyc-hash-1")

    (flag,) = desk.signal("t2", 200, "kyc_identity", "kyc-hash-1")

    assert flag.accounts == ("a1", "a2", "b1"), "the accounts of both traders: their payouts are held"
    assert [(s.kind, s.value) for s in flag.evidence.signals] == [("kyc_identity", "kyc-hash-1")]


def test_an_account_a_clustered_trader_opens_later_refreshes_the_flag_to_name_it_once() -> None:
    desk = Desk(identity())
    desk.signal("t1", 0, "card", "card-7")
    desk.signal("t2", 60, "card", "card-7")

    desk.open("c1", "t2", 120)
    desk.open("c1", "t2", 180)  # known now: no refresh

    refreshed = desk.last("shared_identity")
    assert refreshed.accounts == ("c1",) and len(desk.flags) == 2


def test_the_deep_pass_names_the_accounts_the_clustered_traders_opened_positions_on() -> None:
    desk = Desk(SharedIdentityDetector(MemoryState(copy_values=True)))
    desk.open("a1", "t1", 0)
    desk.open("b1", "t2", 10)
    desk.signal("t1", 100, "device", "dev-1")
    desk.signal("t1", 110, "ip", "ip-home", "residential")
    desk.signal("t2", 120, "device", "dev-1")
    desk.signal("t2", 130, "ip", "ip-home", "residential")

    (flag,) = desk.deep()

    assert flag.accounts == ("a1", "b1")
