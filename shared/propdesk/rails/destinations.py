"""Where a payout may be sent: a stablecoin wallet or a bank account, validated before it is stored, stored
once per trader, verified before money goes to it, and shown masked everywhere (`repr` included, so a log
line or an error message never carries it in clear).

Stablecoin wallets: USDC or USDT on a named network.
- Ethereum (ERC-20), Polygon, Arbitrum: EVM addresses, `0x` + 40 hex digits. A mixed-case address must match
  its EIP-55 checksum (Keccak-256, `propdesk.rails.keccak`); an all-lower or all-upper one carries no
  checksum and is accepted and stored checksummed. The zero address is refused (it burns funds).
- Tron (TRC-20): base58check of 0x41 + 20 bytes (34 characters starting with `T`).
- Solana (SPL): a base58 32-byte public key (the curve is not checked).
- USDC is not offered on Tron (Circle stopped minting it there); USDT is offered on all five.

Bank accounts: an IBAN (mod-97 and the country's length) with an optional BIC, a US account (ABA routing
number with its checksum + account number + checking/savings) or a UK account (sort code + 8-digit account
number).

Every refusal is a `DestinationError` naming the field.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar, Literal, get_args

from propdesk.errors import InvalidInputError
from propdesk.rails import banking
from propdesk.rails.encodings import base58_decode, base58check_payload, eip55

Token = Literal["USDC", "USDT"]
Network = Literal["ethereum", "polygon", "arbitrum", "tron", "solana"]
AccountType = Literal["checking", "savings"]
TOKENS: tuple[Token, ...] = get_args(Token)
NETWORKS: tuple[Network, ...] = get_args(Network)
EVM_NETWORKS: frozenset[Network] = frozenset({"ethereum", "polygon", "arbitrum"})
NETWORKS_OF: dict[Token, frozenset[Network]] = {
    "USDC": frozenset({"ethereum", "polygon", "arbitrum", "solana"}),
    "USDT": frozenset(NETWORKS),
}
_EVM_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_ZERO_ADDRESS = "0x" + "0" * 40
_MAX_NAME = 140


class DestinationError(InvalidInputError):
    """A payout destination that is not valid; `field` names what to fix."""

    code = "invalid_destination"


# ---- stablecoin wallets


@dataclass(frozen=True, slots=True, repr=False)
class StablecoinWallet:
    kind: ClassVar[str] = "stablecoin_wallet"
    token: Token
    network: Network
    address: str  # canonical: EIP-55 checksummed on EVM networks, base58 as given elsewhere

    def __post_init__(self) -> None:
        if self.token not in TOKENS:
            raise DestinationError(f"the token is one of {', '.join(TOKENS)}", "token")
        if self.network not in NETWORKS:
            raise DestinationError(f"the network is one of {', '.join(NETWORKS)}", "network")
        if self.network not in NETWORKS_OF[self.token]:
            offered = ", ".join(sorted(NETWORKS_OF[self.token]))
            raise DestinationError(f"{self.token} is paid on {offered}, not {self.network}", "network")
        if canonical_address(self.network, self.address) != self.address:
            raise DestinationError("the address is not in its canonical form", "address")

    @property
    def currency(self) -> str:
        return self.token

    @property
    def masked(self) -> str:
        head = 10 if self.network in EVM_NETWORKS else 8
        return f"{self.address[:head]}…{self.address[-4:]}"

    @property
    def canonical(self) -> str:
        return f"wallet|{self.token}|{self.network}|{self.address}"

    def __repr__(self) -> str:
        return f"StablecoinWallet({self.token} on {self.network}, {self.masked})"

    __str__ = __repr__


def stablecoin_wallet(token: str, network: str, address: str) -> StablecoinWallet:
    """A wallet from what a trader typed (any case for the token and network, spaces trimmed)."""
    token_ = token.strip().upper()
    network_ = network.strip().lower()
    if token_ not in TOKENS:
        raise DestinationError(f"the token is one of {', '.join(TOKENS)}", "token")
    if network_ not in NETWORKS:
        raise DestinationError(f"the network is one of {', '.join(NETWORKS)}", "network")
    canonical = canonical_address(network_, address.strip())
    return StablecoinWallet(token_, network_, canonical)


def canonical_address(network: Network, address: str) -> str:
    """The address as stored, or `DestinationError` (field `address`) saying what is wrong with it."""
    if network in EVM_NETWORKS:
        return _evm_address(address)
    if network == "tron":
        return _tron_address(address)
    return _solana_address(address)


def _evm_address(address: str) -> str:
    if not _EVM_ADDRESS.match(address):
        raise DestinationError("an EVM address is 0x followed by 40 hexadecimal digits", "address")
    checksummed = eip55(address)
    digits = address[2:]
    if digits != digits.lower() and digits != digits.upper() and address != checksummed:
        raise DestinationError(
            "the address's EIP-55 checksum (its mixed case) does not match: a typo?", "address"
        )
    if checksummed.lower() == _ZERO_ADDRESS:
        raise DestinationError("the zero address burns what is sent to it", "address")
    return checksummed


def _tron_address(address: str) -> str:
    if len(address) != 34 or not address.startswith("T"):
        raise DestinationError("a Tron address is 34 characters starting with T", "address")
    try:
        payload = base58check_payload(address)
    except ValueError as error:
        raise DestinationError(f"not a Tron address: {error}", "address") from None
    if len(payload) != 21 or payload[0] != 0x41:
        raise DestinationError("a Tron address encodes 0x41 and 20 bytes", "address")
    return address


def _solana_address(address: str) -> str:
    if not 32 <= len(address) <= 44:
        raise DestinationError("a Solana address is 32 to 44 base58 characters", "address")
    try:
        key = base58_decode(address)
    except ValueError as error:
        raise DestinationError(f"not a Solana address: {error}", "address") from None
    if len(key) != 32:
        raise DestinationError("a Solana address is a 32-byte public key", "address")
    return address


# ---- bank accounts


@dataclass(frozen=True, slots=True, repr=False)
class IbanAccount:
    kind: ClassVar[str] = "iban"
    holder_name: str
    iban: str  # compact, upper case
    currency: str
    bic: str | None = None

    def __post_init__(self) -> None:
        _check_name(self.holder_name)
        _check(banking.iban_problem(self.iban), "iban")
        if self.bic is not None:
            _check(banking.bic_problem(self.bic), "bic")
        _check_currency(self.currency)

    @property
    def country(self) -> str:
        return self.iban[:2]

    @property
    def masked(self) -> str:
        return f"{self.iban[:4]} **** **** **** {self.iban[-4:]}"

    @property
    def canonical(self) -> str:
        return f"iban|{self.iban}|{self.currency}"

    def __repr__(self) -> str:
        return f"IbanAccount({self.masked}, {self.currency})"

    __str__ = __repr__


@dataclass(frozen=True, slots=True, repr=False)
class UsBankAccount:
    kind: ClassVar[str] = "us_bank_account"
    holder_name: str
    routing_number: str
    account_number: str
    account_type: AccountType = "checking"
    currency: ClassVar[str] = "USD"

    def __post_init__(self) -> None:
        _check_name(self.holder_name)
        _check(banking.aba_problem(self.routing_number), "routing_number")
        _check(banking.us_account_problem(self.account_number), "account_number")
        if self.account_type not in get_args(AccountType):
            raise DestinationError("the account type is checking or savings", "account_type")

    @property
    def masked(self) -> str:
        return f"US routing {self.routing_number}, account ****{self.account_number[-4:]}"

    @property
    def canonical(self) -> str:
        return f"us|{self.routing_number}|{self.account_number}"

    def __repr__(self) -> str:
        return f"UsBankAccount({self.masked})"

    __str__ = __repr__


@dataclass(frozen=True, slots=True, repr=False)
class UkBankAccount:
    kind: ClassVar[str] = "uk_bank_account"
    holder_name: str
    sort_code: str  # 6 digits
    account_number: str  # 8 digits
    currency: ClassVar[str] = "GBP"

    def __post_init__(self) -> None:
        _check_name(self.holder_name)
        _check(banking.sort_code_problem(self.sort_code), "sort_code")
        _check(banking.uk_account_problem(self.account_number), "account_number")

    @property
    def masked(self) -> str:
        code = self.sort_code
        return f"UK {code[:2]}-{code[2:4]}-{code[4:]}, account ****{self.account_number[-4:]}"

    @property
    def canonical(self) -> str:
        return f"uk|{self.sort_code}|{self.account_number}"

    def __repr__(self) -> str:
        return f"UkBankAccount({self.masked})"

    __str__ = __repr__


BankAccount = IbanAccount | UsBankAccount | UkBankAccount
Destination = StablecoinWallet | BankAccount


def iban_account(holder_name: str, iban: str, currency: str, bic: str | None = None) -> IbanAccount:
    return IbanAccount(
        holder_name.strip(),
        banking.compact(iban),
        currency.strip().upper(),
        banking.compact(bic) if bic else None,
    )


def us_bank_account(
    holder_name: str, routing_number: str, account_number: str, account_type: str = "checking"
) -> UsBankAccount:
    kind = account_type.strip().lower()
    return UsBankAccount(
        holder_name.strip(),
        banking.compact(routing_number),
        banking.compact(account_number),
        kind,  # type: ignore[arg-type]
    )


def uk_bank_account(holder_name: str, sort_code: str, account_number: str) -> UkBankAccount:
    return UkBankAccount(holder_name.strip(), banking.compact(sort_code), banking.compact(account_number))


def parse_destination(raw: Mapping[str, Any]) -> Destination:
    """A destination from its JSON form: `{"type": "stablecoin_wallet", "token", "network", "address"}`,
    `{"type": "iban", "holder_name", "iban", "currency", "bic"?}`, `{"type": "us_bank_account", "holder_name",
    "routing_number", "account_number", "account_type"?}` or `{"type": "uk_bank_account", "holder_name",
    "sort_code", "account_number"}`."""
    kind = _text(raw, "type")
    if kind == StablecoinWallet.kind:
        return stablecoin_wallet(_text(raw, "token"), _text(raw, "network"), _text(raw, "address"))
    if kind == IbanAccount.kind:
        bic = _text(raw, "bic") if raw.get("bic") is not None else None
        return iban_account(_text(raw, "holder_name"), _text(raw, "iban"), _text(raw, "currency"), bic)
    if kind == UsBankAccount.kind:
        account_type = _text(raw, "account_type") if raw.get("account_type") is not None else "checking"
        return us_bank_account(
            _text(raw, "holder_name"),
            _text(raw, "routing_number"),
            _text(raw, "account_number"),
            account_type,
        )
    if kind == UkBankAccount.kind:
        return uk_bank_account(
            _text(raw, "holder_name"), _text(raw, "sort_code"), _text(raw, "account_number")
        )
    kinds = ", ".join(k.kind for k in (StablecoinWallet, IbanAccount, UsBankAccount, UkBankAccount))
    raise DestinationError(f"the type is one of {kinds}", "type")


def _text(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip():
        raise DestinationError(f"{name} is required (a string)", name)
    return value


def _check(problem: str | None, field: str) -> None:
    if problem is not None:
        raise DestinationError(problem, field)


def _check_name(name: str) -> None:
    if not name or name != name.strip() or len(name) > _MAX_NAME:
        raise DestinationError(f"the account holder's name is 1 to {_MAX_NAME} characters", "holder_name")
    if any(unicodedata.category(char).startswith("C") for char in name):
        raise DestinationError("the account holder's name has control characters", "holder_name")


def _check_currency(currency: str) -> None:
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise DestinationError("the currency is a 3-letter ISO code", "currency")


# ---- the stored record


@dataclass(frozen=True, slots=True, repr=False)
class PayoutDestination:
    """A trader's destination as stored: one record per trader and destination (`destination_id` is derived
    from both), unverified until the trader confirms it (a payout is sent only to a verified one)."""

    destination_id: str
    trader_id: str
    details: Destination
    added_at: datetime
    verified_at: datetime | None = None

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @property
    def masked(self) -> str:
        return self.details.masked

    def verify(self, at: datetime) -> PayoutDestination:
        """Verified from `at` (verifying again keeps the first instant)."""
        return self if self.verified_at is not None else replace(self, verified_at=at)

    def __repr__(self) -> str:
        state = "verified" if self.verified else "unverified"
        return f"PayoutDestination({self.destination_id}, {self.details!r}, {state})"

    __str__ = __repr__


def destination_id(trader_id: str, details: Destination) -> str:
    """Stable per trader and destination, revealing neither."""
    digest = hashlib.sha256(f"{trader_id}\x00{details.canonical}".encode()).hexdigest()
    return f"dst_{digest[:32]}"


def add_destination(
    trader_id: str, details: Destination, stored: Sequence[PayoutDestination], at: datetime
) -> PayoutDestination:
    """The record to keep: the stored one when the trader added the same destination before (stored once,
    keeping its verification), else a new unverified one."""
    wanted = destination_id(trader_id, details)
    for record in stored:
        if record.destination_id == wanted:
            return record
    return PayoutDestination(wanted, trader_id, details, at)
