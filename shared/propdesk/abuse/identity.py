"""Shared identities: traders who are, by the signals they share, probably one person (or one team) behind
several identities. Traders are linked when the strength of what they share reaches `min_link` (see
`propdesk.abuse.links` for the weights); a cluster is a connected component of links, and every link in it
is evidence. A family on one home IP with their own devices and cards stays below the bar; a shared card,
payout destination or KYC identity is enough on its own, a device and a home IP together too.

The flag names the traders and their accounts: those the signals told of (cards and payout destinations
come with an account) and those the traders opened positions on (a sign-in IP, a device or a KYC identity
names no account), so that the open flag holds the payouts of every account of a named trader that trades.
A cluster member's account first seen after the flag refreshes it (the account is named, and held).

Items: the link index's, plus `ident#of#{trader}` (the trader's cluster), `ident#cluster#{id}` (its traders
and links) and `ident#accts#{trader}` (the accounts seen with the trader's signals).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from propdesk.abuse.decisions import Enforcement
from propdesk.abuse.flags import (
    DetectorName,
    Evidence,
    Flag,
    Pass,
    SharedSignal,
    flag_id,
    pair_subject,
    score_of,
)
from propdesk.abuse.graph import components
from propdesk.abuse.inputs import AbuseEvent, Context, IdentitySignal, Observed
from propdesk.abuse.links import Link, LinkIndex, SignalWeights, links_in_window
from propdesk.abuse.state import Item, KeyedState, expiry
from propdesk.engine.events import PositionOpened

FORMULA = (
    "link strength = sum over the signal kinds two traders share of the weight of the strongest shared "
    "value of that kind; weight = kind weight x 1 up to private_fanout sharers, x private_fanout / sharers "
    "beyond, 0 beyond max_fanout; traders are linked at strength >= min_link; a cluster is a connected "
    "component of links, scored by its strongest link"
)


@dataclass(frozen=True, slots=True)
class SharedIdentitySettings:
    min_link: Decimal = Decimal(1)
    max_cluster: int = 50
    weights: SignalWeights = field(default_factory=SignalWeights)
    enforcement: Enforcement = field(default_factory=Enforcement)

    def thresholds(self) -> tuple[tuple[str, str], ...]:
        weights = self.weights
        return (
            ("min_link", str(self.min_link)),
            ("weight.kyc_identity", str(weights.kyc_identity)),
            ("weight.card", str(weights.card)),
            ("weight.payout_destination", str(weights.payout_destination)),
            ("weight.device", str(weights.device)),
            ("weight.ip_residential", str(weights.ip_residential)),
            ("weight.ip_unknown", str(weights.ip_unknown)),
            ("weight.ip_hosting", str(weights.ip_hosting)),
            ("weight.ip_mobile", str(weights.ip_mobile)),
            ("private_fanout", str(weights.private_fanout)),
            ("max_fanout", str(weights.max_fanout)),
        )


class SharedIdentityDetector:
    name: DetectorName = "shared_identity"

    def __init__(self, state: KeyedState, settings: SharedIdentitySettings | None = None) -> None:
        self._state = state
        self.settings = settings or SharedIdentitySettings()
        self.index = LinkIndex(state, self.settings.weights)

    @property
    def enforcement(self) -> Enforcement:
        return self.settings.enforcement

    def first_reads(self, event: AbuseEvent, account_id: str, trader_id: str) -> list[str]:
        """A signal's sharers and the trader's links (and known accounts, when it came with an account); an
        opening's trader's known accounts and cluster (in the event's batch: no request of their own)."""
        if isinstance(event, PositionOpened):
            return [f"ident#accts#{trader_id}", f"ident#of#{trader_id}"] if account_id else []
        if not isinstance(event, IdentitySignal):
            return []
        keys = [f"link#sig#{event.kind}#{event.value}", f"link#trader#{trader_id}"]
        return [*keys, f"ident#accts#{trader_id}"] if account_id else keys

    def observe(self, event: AbuseEvent, context: Context) -> list[Flag]:
        if isinstance(event, PositionOpened):
            # most signals (sign-in IP, device, KYC identity) name no account: the trader's accounts are
            # learnt from their openings, so that a cluster's flag names (and holds) the accounts that trade
            if self._remember_account(context, event.time):
                return self._refreshed(context.trader_id, event.time)
            return []
        if not isinstance(event, IdentitySignal):
            return []
        now = event.time
        new_account = self._remember_account(context, now)
        changed: list[tuple[str, Link]] = []
        for change in self.index.record(event, context):
            if change.other == context.trader_id:
                continue
            if change.after.strength >= self.settings.min_link and change.after.strength > change.before:
                changed.append((change.other, change.after))
        if changed:
            return [self._join(context.trader_id, changed, now, "stream")]
        if new_account:
            return self._refreshed(context.trader_id, now)
        return []

    def _refreshed(self, trader: str, now: datetime) -> list[Flag]:
        """The trader's cluster flagged again (a new account of theirs is known: it is named, and held)."""
        found = self._state.get(f"ident#of#{trader}", now)
        if found is None:
            return []
        cluster = self._state.get(f"ident#cluster#{found['c']}", now)
        return [] if cluster is None else [self._flag(found["c"], cluster, now, "stream")]

    def deep_pass(self, window: Sequence[Observed]) -> list[Flag]:
        """Rebuild the links of the window's signals with their final fan-outs (order no longer matters)."""
        end = next((o.event.time for o in reversed(window) if isinstance(o.event, IdentitySignal)), None)
        if end is None:
            return []
        found = links_in_window(window, self.settings.weights, self.settings.min_link)
        traded: dict[str, set[str]] = {}
        for observed in window:
            if isinstance(observed.event, PositionOpened) and observed.context.account_id:
                traded.setdefault(observed.context.trader_id, set()).add(observed.context.account_id)
        edges = [(subject.split("+", 1)[0], link.trader) for subject, link in found.links.items()]
        flags = []
        for group in components(edges):
            cluster_id, cluster, absorbed = self._cluster_of(sorted(group), end)
            for subject, link in found.links.items():
                first = subject.split("+", 1)[0]
                if first in group:
                    self._add_link(cluster, first, link)
            for trader in group:
                known = self._state.get(f"ident#accts#{trader}", end) or {"a": []}
                seen = found.accounts.get(trader, set()) | traded.get(trader, set())
                merged = sorted(set(known["a"]) | seen)
                merged = merged[: self.settings.weights.max_accounts]
                if merged != known["a"]:
                    self._state.put(f"ident#accts#{trader}", {"a": merged}, self._until(end))
            self._save(cluster_id, cluster, absorbed, end)
            flags.append(self._flag(cluster_id, cluster, end, "deep"))
        return flags

    def _remember_account(self, context: Context, now: datetime) -> bool:
        if not context.account_id:
            return False
        key = f"ident#accts#{context.trader_id}"
        item = self._state.get(key, now) or {"a": []}
        if context.account_id in item["a"] or len(item["a"]) >= self.settings.weights.max_accounts:
            return False
        item["a"].append(context.account_id)
        self._state.put(key, item, self._until(now))
        return True

    def _join(self, trader: str, links: list[tuple[str, Link]], now: datetime, found_by: Pass) -> Flag:
        cluster_id, cluster, absorbed = self._cluster_of([trader] + [other for other, _ in links], now)
        for _, link in links:
            self._add_link(cluster, trader, link)
        self._save(cluster_id, cluster, absorbed, now)
        return self._flag(cluster_id, cluster, now, found_by)

    def _cluster_of(self, traders: list[str], now: datetime) -> tuple[str, Item, list[str]]:
        ids: list[str] = []
        for trader in traders:
            found = self._state.get(f"ident#of#{trader}", now)
            if found is not None and found["c"] not in ids:
                ids.append(found["c"])
        clusters = {cluster_id: self._state.get(f"ident#cluster#{cluster_id}", now) for cluster_id in ids}
        live = {cluster_id: cluster for cluster_id, cluster in clusters.items() if cluster is not None}
        if not live:
            return pair_subject(*sorted(traders)[:2]), {"t": [], "e": {}, "sup": []}, []
        survivor = min(live, key=lambda cluster_id: (-len(live[cluster_id]["t"]), cluster_id))
        cluster = live[survivor]
        absorbed = [cluster_id for cluster_id in live if cluster_id != survivor]
        for cluster_id in absorbed:
            other = live[cluster_id]
            cluster["t"] = sorted(set(cluster["t"]) | set(other["t"]))[: self.settings.max_cluster]
            cluster["e"].update(other["e"])
            cluster["sup"] = sorted({*cluster["sup"], cluster_id, *other["sup"]})
        return survivor, cluster, absorbed

    def _add_link(self, cluster: Item, trader: str, link: Link) -> None:
        for member in (trader, link.trader):
            if member not in cluster["t"] and len(cluster["t"]) < self.settings.max_cluster:
                cluster["t"] = sorted([*cluster["t"], member])
        cluster["e"][pair_subject(trader, link.trader)] = [
            str(link.strength),
            [[s.kind, s.value, str(s.weight), s.network] for s in link.signals],
        ]

    def _save(self, cluster_id: str, cluster: Item, absorbed: list[str], now: datetime) -> None:
        until = self._until(now)
        for old in absorbed:
            self._state.delete(f"ident#cluster#{old}")
        self._state.put(f"ident#cluster#{cluster_id}", cluster, until)
        for trader in cluster["t"]:
            self._state.put(f"ident#of#{trader}", {"c": cluster_id}, until)

    def _until(self, now: datetime) -> datetime:
        return expiry(now.timestamp(), self.settings.weights.memory.total_seconds())

    def _flag(self, cluster_id: str, cluster: Item, now: datetime, found_by: Pass) -> Flag:
        weights = self.settings.weights
        traders = tuple(cluster["t"])
        accounts: set[str] = set()
        for trader in traders:
            known = self._state.get(f"ident#accts#{trader}", now)
            accounts.update(known["a"] if known else ())
        signals: list[SharedSignal] = []
        inputs = []
        strongest = Decimal(0)
        strong = False
        for subject, (strength, shared) in sorted(cluster["e"].items()):
            strongest = max(strongest, Decimal(strength))
            pair = tuple(subject.split("+", 1))
            described = ", ".join(f"{kind} {weight}" for kind, _, weight, _ in shared)
            inputs.append((subject, f"strength {strength}: {described}"))
            for kind, value, weight, network in shared:
                strong = strong or weights.strong(kind)
                signals.append(SharedSignal(kind, value, pair, Decimal(weight), network))
        summary = f"{len(traders)} traders share identity signals ({len(cluster['e'])} links)"
        evidence = Evidence(
            summary,
            score_of(strongest),
            FORMULA,
            tuple(inputs),
            self.settings.thresholds(),
            (),
            tuple(signals),
        )
        return Flag(
            flag_id=flag_id(self.name, cluster_id),
            detector=self.name,
            severity="high" if strong else "medium",
            accounts=tuple(sorted(accounts)),
            traders=traders,
            evidence=evidence,
            detected_at=now,
            found_by=found_by,
            supersedes=tuple(cluster["sup"]),
        )
