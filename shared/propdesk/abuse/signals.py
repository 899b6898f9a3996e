"""Identity signals captured where the system meets the trader, for the shared-identity graph.

    capture = SignalCapture(SignalHasher(key), store)
    capture.capture("trader-1", "ip", "203.0.113.7", now)            # sign-in, token refresh
    capture.capture("trader-1", "device", header_value, now)         # the dashboard's fingerprint header
    capture.capture("trader-1", "card", stripe_fingerprint, now)     # a paid purchase
    capture.capture("trader-1", "payout_destination", canonical, now)
    capture.capture("trader-1", "kyc_identity", material, now)       # the provider's decision

Guarantees:
- *No personal data is kept*: the raw value is normalized, then replaced by a keyed hash (HMAC-SHA256 with the
  firm's secret key, kind included, 128 bits in hex) before it reaches the store; equal values of one kind
  give equal hashes, and without the key nobody can test a guessed IP or document number against them. The
  raw value is never logged.
- *One signal per trader, kind, value and UTC day*: the store keeps the first and refuses repeats (a trader
  signing in ten times a day from one address is one signal), so the detectors see each fact once a day.
- *Capture never breaks the caller*: sign-in, a payment webhook, a payout destination or a KYC decision goes
  on when the store fails (`capture` answers False, counted in a metric); the shared-identity graph misses
  that one signal, nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from propdesk.abuse.inputs import SIGNAL_KINDS, IdentitySignal, Network, SignalKind
from propdesk.observability import logger, metrics

if TYPE_CHECKING:
    from propdesk.abuse.ip_intelligence import IpIntelligence

HASH_HEX_CHARS = 32  # 128 bits: collisions among a firm's values are out of reach
MAX_RAW_CHARS = 512  # a device header longer than this is not a fingerprint the dashboard sent


@dataclass(frozen=True, slots=True)
class CapturedSignal:
    """One identity fact, its value already hashed. `account_id` is empty for a trader-level signal."""

    trader_id: str
    kind: SignalKind
    value: str
    at: datetime
    account_id: str = ""
    network: Network = "unknown"

    @property
    def event_id(self) -> str:
        """The detectors' once-mark for the signal: one per trader, kind, value and UTC day (its key)."""
        return f"signal:{self.trader_id}:{self.at.astimezone(UTC):%Y-%m-%d}:{self.kind}:{self.value}"

    def as_input(self) -> IdentitySignal:
        return IdentitySignal(self.at, self.kind, self.value, self.network, self.event_id)


class SignalStore(Protocol):
    def add(self, signal: CapturedSignal) -> bool:
        """Keep the signal unless the trader sent this kind and value already on its UTC day (False)."""
        ...


class SignalSink(Protocol):
    """What capture points call (auth, payments, payouts, KYC); `SignalCapture` in production."""

    def capture(
        self,
        trader_id: str,
        kind: SignalKind,
        raw: str,
        at: datetime,
        account_id: str = "",
        network: Network = "unknown",
    ) -> bool: ...


class SignalHasher:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the signal key must hold at least 16 bytes")
        self._key = key

    def digest(self, kind: SignalKind, raw: str) -> str:
        message = f"{kind}\x00{normalized(kind, raw)}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:HASH_HEX_CHARS]


def normalized(kind: SignalKind, raw: str) -> str:
    """The form two sightings of one value share: IPs and device ids are case-blind; a card fingerprint,
    a payout destination's canonical form and KYC material are taken as given (already canonical)."""
    value = raw.strip()
    return value.lower() if kind in ("ip", "device") else value


class SignalCapture:
    """`ips`: the IP-intelligence lookup that says what network a sign-in address is on (residential,
    mobile, hosting), for an `ip` signal whose caller did not say; without it, addresses stay `unknown`."""

    def __init__(self, hasher: SignalHasher, store: SignalStore, ips: IpIntelligence | None = None) -> None:
        self._hasher = hasher
        self._store = store
        self._ips = ips

    def capture(
        self,
        trader_id: str,
        kind: SignalKind,
        raw: str,
        at: datetime,
        account_id: str = "",
        network: Network = "unknown",
    ) -> bool:
        """Hash and keep one signal; False when there was nothing to keep, it was a repeat, or the store
        failed (never raises)."""
        value = raw.strip() if isinstance(raw, str) else ""
        if not trader_id or kind not in SIGNAL_KINDS or not value or len(value) > MAX_RAW_CHARS:
            return False
        if kind == "ip" and network == "unknown" and self._ips is not None:
            network = self._ips.lookup(value).network  # before hashing: the address itself is never kept
        signal = CapturedSignal(trader_id, kind, self._hasher.digest(kind, value), at, account_id, network)
        try:
            kept = self._store.add(signal)
        except Exception as error:  # the caller's own work must go on
            logger.warning(
                "identity signal not recorded", extra={"kind": kind, "error": type(error).__name__}
            )
            metrics.add_metric(name="AbuseSignalsLost", unit="Count", value=1)
            return False
        if kept:
            metrics.add_metric(name="AbuseSignalsCaptured", unit="Count", value=1)
        return kept


class NoSignals:
    """A `SignalSink` for a deployment without a signal key: nothing is captured."""

    def capture(
        self,
        trader_id: str,
        kind: SignalKind,
        raw: str,
        at: datetime,
        account_id: str = "",
        network: Network = "unknown",
    ) -> bool:
        return False
