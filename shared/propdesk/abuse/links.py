"""Identity links between traders: who shares an IP, a device, a card, a payout destination or a KYC
identity with whom, and how much that says.

A shared value's weight is its kind's weight (a card or payout destination is strong, a mobile carrier's IP
next to nothing: thousands of strangers share it behind carrier-grade NAT), discounted when many traders
share it: full weight up to `private_fanout` traders (a household), `private_fanout / n` beyond, and none
beyond `max_fanout` (an office, a VPN exit, a fingerprint every phone of a model has). The strength of a
link is the sum over the kinds two traders share of the strongest shared value of that kind.

Signals are trader-level (a sign-in belongs to the trader's session); one that arrives with an account (a
card at purchase, a payout destination) also tells which accounts the trader has.

Items: `link#sig#{kind}#{value}` (the traders seen with the value, with when and on which accounts) and
`link#trader#{trader}` (the trader's links: per linked trader, the strongest shared value of each kind).
A repeated signal within `refresh` costs one read and no write.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from propdesk.abuse.flags import SharedSignal, pair_subject
from propdesk.abuse.inputs import Context, IdentitySignal, Observed
from propdesk.abuse.state import Item, KeyedState, expiry

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class SignalWeights:
    kyc_identity: Decimal = Decimal(2)
    card: Decimal = Decimal(1)
    payout_destination: Decimal = Decimal(1)
    device: Decimal = Decimal("0.7")
    ip_residential: Decimal = Decimal("0.3")
    ip_unknown: Decimal = Decimal("0.2")
    ip_hosting: Decimal = Decimal("0.1")
    ip_mobile: Decimal = Decimal("0.05")
    private_fanout: int = 4
    max_fanout: int = 25
    memory: timedelta = timedelta(days=180)
    refresh: timedelta = timedelta(days=1)
    max_links: int = 50
    max_accounts: int = 20

    def base(self, kind: str, network: str) -> Decimal:
        if kind == "ip":
            return {
                "residential": self.ip_residential,
                "mobile": self.ip_mobile,
                "hosting": self.ip_hosting,
            }.get(network, self.ip_unknown)
        weight: Decimal = getattr(self, kind)
        return weight

    def weight(self, kind: str, network: str, sharers: int) -> Decimal:
        if sharers > self.max_fanout:
            return ZERO
        base = self.base(kind, network)
        if sharers <= self.private_fanout:
            return base
        return (base * self.private_fanout / sharers).quantize(Decimal("0.001"))

    def strong(self, kind: str) -> bool:
        """Kinds that identify a person or their money on their own."""
        return kind in ("kyc_identity", "card", "payout_destination")


@dataclass(frozen=True, slots=True)
class Link:
    trader: str
    strength: Decimal
    signals: tuple[SharedSignal, ...]


@dataclass(frozen=True, slots=True)
class LinkChange:
    """The link between the signal's trader and `other` after a signal, and its strength before."""

    other: str
    before: Decimal
    after: Link
    accounts: Mapping[str, tuple[str, ...]]


class LinkIndex:
    def __init__(self, state: KeyedState, weights: SignalWeights | None = None) -> None:
        self._state = state
        self.weights = weights or SignalWeights()

    def record(self, signal: IdentitySignal, context: Context) -> list[LinkChange]:
        """Remember the signal; the links it created or strengthened."""
        weights, state, now = self.weights, self._state, signal.time
        moment = now.timestamp()
        trader, account = context.trader_id, context.account_id
        key = f"link#sig#{signal.kind}#{signal.value}"
        item = state.get(key, now) or {"t": {}, "net": signal.network}
        if item.get("common"):
            return []
        entry = item["t"].get(trader)
        new_trader = entry is None
        recent = entry is not None and moment - entry[1] < weights.refresh.total_seconds()
        if recent and entry is not None and (not account or account in entry[2]):
            return []
        if entry is None:
            entry = item["t"][trader] = [moment, moment, []]
        entry[1] = moment
        new_account = bool(account) and account not in entry[2]
        if new_account and len(entry[2]) < weights.max_accounts:
            entry[2].append(account)
        sharers = len(item["t"])
        if sharers > weights.max_fanout:
            item = {"common": True, "net": item["net"], "n": sharers}
        until = expiry(moment, weights.memory.total_seconds())
        state.put(key, item, until)
        if item.get("common") or sharers < 2 or not (new_trader or new_account):
            return []
        weight = weights.weight(signal.kind, item["net"], sharers)
        mine = state.get(f"link#trader#{trader}", now) or {"l": {}}
        changes = []
        for other, other_entry in item["t"].items():
            if other == trader:
                continue
            before = _strength(mine["l"].get(other))
            theirs = state.get(f"link#trader#{other}", now) or {"l": {}}
            for holder, linked in ((mine, other), (theirs, trader)):
                kinds = holder["l"].setdefault(linked, {})
                kept = kinds.get(signal.kind)
                if kept is None or Decimal(kept[1]) <= weight:
                    kinds[signal.kind] = [signal.value, str(weight), item["net"], sorted((trader, other))]
                _cap(holder, weights.max_links)
            state.put(f"link#trader#{other}", theirs, until)
            after = _link(other, mine["l"].get(other, {}))
            accounts = {trader: tuple(entry[2]), other: tuple(other_entry[2])}
            changes.append(LinkChange(other, before, after, accounts))
        state.put(f"link#trader#{trader}", mine, until)
        return changes

    def links(self, trader: str, now: datetime, min_strength: Decimal = ZERO) -> dict[str, Link]:
        """The trader's links of at least `min_strength`, strongest first."""
        item = self._state.get(f"link#trader#{trader}", now)
        if item is None:
            return {}
        floor = float(min_strength)  # float ok: a link's strength (a weight of evidence), never money
        found = [
            _link(other, kinds)
            for other, kinds in item["l"].items()
            if sum(float(kept[1]) for kept in kinds.values()) >= floor - 1e-9  # float ok: strengths
        ]
        strong = [link for link in found if link.strength >= min_strength]
        return {link.trader: link for link in sorted(strong, key=lambda link: -link.strength)}


def link_strength(shared: Mapping[str, Decimal]) -> Decimal:
    """The strength of a link from the weight of the strongest shared value of each kind."""
    return sum(shared.values(), ZERO)


def _strength(kinds: Item | None) -> Decimal:
    if not kinds:
        return ZERO
    return link_strength({kind: Decimal(kept[1]) for kind, kept in kinds.items()})


def _link(other: str, kinds: Item) -> Link:
    signals = tuple(
        SharedSignal(kind, kept[0], tuple(kept[3]), Decimal(kept[1]), kept[2])
        for kind, kept in sorted(kinds.items())
    )
    return Link(other, _strength(kinds), signals)


def _cap(holder: Item, limit: int) -> None:
    if len(holder["l"]) <= limit:
        return
    ranked = sorted(holder["l"], key=lambda other: _strength(holder["l"][other]))
    for other in ranked[: len(holder["l"]) - limit]:
        del holder["l"][other]


@dataclass(frozen=True, slots=True)
class WindowLinks:
    """The links among the traders of a window's signals, recomputed with the window's final fan-outs."""

    links: dict[str, Link]  # by pair subject "a+b" (traders in order)
    accounts: dict[str, set[str]]  # the accounts each trader's signals came with


def links_in_window(window: Sequence[Observed], weights: SignalWeights, min_link: Decimal) -> WindowLinks:
    sharers: dict[tuple[str, str], set[str]] = defaultdict(set)
    networks: dict[tuple[str, str], str] = {}
    accounts: dict[str, set[str]] = defaultdict(set)
    for observed in window:
        event, context = observed.event, observed.context
        if not isinstance(event, IdentitySignal):
            continue
        sharers[(event.kind, event.value)].add(context.trader_id)
        networks[(event.kind, event.value)] = event.network
        if context.account_id:
            accounts[context.trader_id].add(context.account_id)
    shared: dict[str, dict[str, SharedSignal]] = defaultdict(dict)
    for (kind, value), traders in sharers.items():
        weight = weights.weight(kind, networks[(kind, value)], len(traders))
        if len(traders) < 2 or weight == 0:
            continue
        ordered = sorted(traders)
        for index, first in enumerate(ordered):
            for second in ordered[index + 1 :]:
                kinds = shared[pair_subject(first, second)]
                kept = kinds.get(kind)
                if kept is None or kept.weight < weight:
                    kinds[kind] = SharedSignal(kind, value, (first, second), weight, networks[(kind, value)])
    links = {}
    for subject, kinds in shared.items():
        strength = link_strength({kind: signal.weight for kind, signal in kinds.items()})
        if strength >= min_link:
            links[subject] = Link(subject.split("+", 1)[1], strength, tuple(kinds[k] for k in sorted(kinds)))
    return WindowLinks(links, dict(accounts))
