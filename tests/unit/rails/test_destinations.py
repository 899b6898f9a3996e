"""Payout destinations: stablecoin wallets and bank accounts are validated (each refusal names the field),
stored once per trader, verified, and never shown in clear (masked everywhere, `repr` included)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from propdesk.rails.destinations import (
    DestinationError,
    IbanAccount,
    StablecoinWallet,
    add_destination,
    iban_account,
    parse_destination,
    stablecoin_wallet,
    uk_bank_account,
    us_bank_account,
)
from propdesk.rails.encodings import base58_encode, base58check_encode, eip55

NOW = datetime(2026, 6, 1, tzinfo=UTC)
EIP55_VECTORS = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]
TRON = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
SOLANA = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"


def refused_field(make: Any, *args: Any) -> str | None:
    with pytest.raises(DestinationError) as refused:
        make(*args)
    return refused.value.field


@pytest.mark.parametrize("address", EIP55_VECTORS)
def test_eip55_checksummed_addresses_are_accepted_on_every_evm_network(address: str) -> None:
    for network in ("ethereum", "polygon", "arbitrum"):
        assert stablecoin_wallet("usdc", network, address).address == address


def test_a_single_case_evm_address_carries_no_checksum_and_is_stored_checksummed() -> None:
    address = EIP55_VECTORS[0]

    assert stablecoin_wallet("USDT", "ethereum", address.lower()).address == address
    assert stablecoin_wallet("USDT", "ethereum", "0x" + address[2:].upper()).address == address


def test_a_mixed_case_typo_fails_the_eip55_checksum() -> None:
    typo = EIP55_VECTORS[0].replace("aA", "Aa", 1)

    assert refused_field(stablecoin_wallet, "USDC", "ethereum", typo) == "address"


@pytest.mark.parametrize(
    "address",
    [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe",
        "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed00",
        "0x" + "0" * 40,
    ],
)
def test_malformed_evm_addresses_and_the_zero_address_are_refused(address: str) -> None:
    assert refused_field(stablecoin_wallet, "USDC", "polygon", address) == "address"


def test_a_tron_address_is_base58check_of_0x41_and_20_bytes() -> None:
    assert stablecoin_wallet("USDT", "tron", TRON).address == TRON
    other_prefix = base58check_encode(b"\x42" + bytes(20))
    broken = TRON[:-1] + ("u" if TRON[-1] != "u" else "v")

    assert refused_field(stablecoin_wallet, "USDT", "tron", broken) == "address"
    assert refused_field(stablecoin_wallet, "USDT", "tron", other_prefix) == "address"
    assert refused_field(stablecoin_wallet, "USDT", "tron", EIP55_VECTORS[0]) == "address"


def test_a_solana_address_is_a_base58_32_byte_key() -> None:
    assert stablecoin_wallet("USDC", "solana", SOLANA).address == SOLANA

    assert refused_field(stablecoin_wallet, "USDC", "solana", base58_encode(b"\x01" * 31)) == "address"
    assert (
        refused_field(stablecoin_wallet, "USDC", "solana", SOLANA[:-1] + "0") == "address"
    )  # 0 is not base58


def test_usdc_is_not_paid_on_tron_and_unknown_tokens_or_networks_are_named() -> None:
    assert refused_field(stablecoin_wallet, "USDC", "tron", TRON) == "network"
    assert refused_field(stablecoin_wallet, "DAI", "ethereum", EIP55_VECTORS[0]) == "token"
    assert refused_field(stablecoin_wallet, "USDT", "bitcoin", EIP55_VECTORS[0]) == "network"


def test_a_wallet_is_shown_masked_even_by_repr() -> None:
    wallet = stablecoin_wallet("USDC", "ethereum", "0x52908400098527886E0F7030069857D2E4169EE7")

    assert wallet.masked == "0x52908400…9EE7"
    assert wallet.address not in repr(wallet) and wallet.address not in str(wallet)
    assert wallet.address not in repr([wallet])


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013000",
        "GB29 NWBK 6016 1331 9268 19",
        "fr1420041010050500013m02606",
        "NO9386011117947",
    ],
)
def test_valid_ibans_are_accepted_in_any_spacing_and_case(iban: str) -> None:
    account = iban_account("Jane Trader", iban, "eur")

    assert " " not in account.iban and account.iban == account.iban.upper()


@pytest.mark.parametrize(
    ("iban", "reason"),
    [
        ("DE89370400440532013001", "check digits"),
        ("DE8937040044053201300", "22 characters"),
        ("US12345678901234567890", "does not use IBANs"),
        ("DE8937040044053201300!", "country code"),
    ],
)
def test_an_invalid_iban_is_refused_with_the_reason(iban: str, reason: str) -> None:
    with pytest.raises(DestinationError) as refused:
        iban_account("Jane Trader", iban, "EUR")

    assert refused.value.field == "iban" and reason in refused.value.message


def test_a_bic_must_have_the_iso_9362_shape() -> None:
    assert iban_account("Jane", "DE89370400440532013000", "EUR", "deutdeff500").bic == "DEUTDEFF500"
    assert iban_account("Jane", "DE89370400440532013000", "EUR", "DEUTDEFF").bic == "DEUTDEFF"
    for bad in ("DEUTDEF", "DEUTDEFF50", "1EUTDEFF", "DEUT1EFF"):
        assert refused_field(iban_account, "Jane", "DE89370400440532013000", "EUR", bad) == "bic"


def test_an_iban_is_masked_as_its_country_check_digits_and_last_four() -> None:
    account = iban_account("Jane Trader", "DE89 3704 0044 0532 0130 00", "EUR")

    assert account.masked == "DE89 **** **** **** 3000"
    assert "0532" not in repr(account) and "Jane" not in repr(account)


def test_a_us_account_needs_a_routing_number_with_a_valid_aba_checksum() -> None:
    account = us_bank_account("Jane Trader", "026009593", "123456789", "Savings")

    assert account.masked == "US routing 026009593, account ****6789"
    assert refused_field(us_bank_account, "Jane", "026009594", "123456789") == "routing_number"
    assert refused_field(us_bank_account, "Jane", "02600959", "123456789") == "routing_number"
    assert refused_field(us_bank_account, "Jane", "011000015", "123") == "account_number"
    assert refused_field(us_bank_account, "Jane", "011000015", "1234", "brokerage") == "account_type"


def test_a_uk_account_is_a_sort_code_and_an_8_digit_number() -> None:
    account = uk_bank_account("Jane Trader", "20-00-00", "55779911")

    assert account.masked == "UK 20-00-00, account ****9911"
    assert refused_field(uk_bank_account, "Jane", "20-00-0", "55779911") == "sort_code"
    assert refused_field(uk_bank_account, "Jane", "200000", "5577991") == "account_number"


def test_a_holder_name_is_required_without_control_characters() -> None:
    assert refused_field(uk_bank_account, "  ", "200000", "55779911") == "holder_name"
    assert refused_field(uk_bank_account, "Jane\x00", "200000", "55779911") == "holder_name"


def test_the_json_form_names_the_missing_or_unknown_field() -> None:
    wallet = parse_destination(
        {"type": "stablecoin_wallet", "token": "usdt", "network": "Tron", "address": TRON}
    )

    assert isinstance(wallet, StablecoinWallet) and wallet.network == "tron"
    assert isinstance(
        parse_destination(
            {"type": "iban", "holder_name": "Jane", "iban": "NL91ABNA0417164300", "currency": "EUR"}
        ),
        IbanAccount,
    )
    assert (
        refused_field(parse_destination, {"type": "iban", "holder_name": "Jane", "currency": "EUR"}) == "iban"
    )
    assert refused_field(parse_destination, {"type": "paypal"}) == "type"
    assert refused_field(parse_destination, {"type": "stablecoin_wallet", "token": 5}) == "token"


def test_a_destination_is_stored_once_per_trader_and_keeps_its_verification() -> None:
    wallet = stablecoin_wallet("USDC", "ethereum", EIP55_VECTORS[1])
    first = add_destination("trader-1", wallet, [], NOW).verify(NOW + timedelta(minutes=5))

    again = add_destination(
        "trader-1", stablecoin_wallet("usdc", "ETHEREUM", EIP55_VECTORS[1].lower()), [first], NOW
    )
    other_trader = add_destination("trader-2", wallet, [first], NOW)

    assert again is first and again.verified
    assert other_trader.destination_id != first.destination_id and not other_trader.verified
    assert first.verify(NOW + timedelta(days=1)).verified_at == NOW + timedelta(minutes=5)
    assert wallet.address not in repr(first) and wallet.address not in first.destination_id


def test_the_checksum_helper_matches_the_eip55_vectors() -> None:
    assert [eip55(a.lower()) for a in EIP55_VECTORS] == EIP55_VECTORS
