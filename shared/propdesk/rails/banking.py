"""Bank identifiers' own checks: IBAN (ISO 13616: per-country length, mod-97 check digits), BIC (ISO 9362
format), US ABA routing numbers (the 3-7-1 weighted checksum) and UK sort codes and account numbers."""

from __future__ import annotations

import re

# IBAN lengths per country (SWIFT's IBAN registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
    "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
    "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip
_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
_IBAN_CHARS = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]+$")


def compact(value: str) -> str:
    """Upper case without spaces or dashes, as IBANs, BICs and sort codes are compared."""
    return re.sub(r"[\s-]", "", value).upper()


def iban_problem(iban: str) -> str | None:
    """Why a compact IBAN is invalid, or None."""
    if not _IBAN_CHARS.match(iban):
        return "an IBAN is a country code, two check digits and letters or digits"
    country = iban[:2]
    expected = IBAN_LENGTHS.get(country)
    if expected is None:
        return f"{country} does not use IBANs"
    if len(iban) != expected:
        return f"a {country} IBAN has {expected} characters, this one {len(iban)}"
    rearranged = iban[4:] + iban[:4]
    if int("".join(str(int(char, 36)) for char in rearranged)) % 97 != 1:
        return "the IBAN's check digits do not match (a typo?)"
    return None


def bic_problem(bic: str) -> str | None:
    if not _BIC.match(bic):
        return "a BIC is 8 or 11 characters: bank (4 letters), country (2 letters), location (2), branch (3)"
    return None


def aba_problem(routing: str) -> str | None:
    """Why a US ABA routing number is invalid: 9 digits with 3*(d1+d4+d7) + 7*(d2+d5+d8) + (d3+d6+d9) ≡ 0
    (mod 10)."""
    if not re.fullmatch(r"[0-9]{9}", routing):
        return "an ABA routing number is 9 digits"
    d = [int(char) for char in routing]
    total = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])
    if total % 10:
        return "the routing number's check digit does not match (a typo?)"
    return None


def us_account_problem(number: str) -> str | None:
    if not re.fullmatch(r"[0-9]{4,17}", number):
        return "a US account number is 4 to 17 digits"
    return None


def sort_code_problem(sort_code: str) -> str | None:
    if not re.fullmatch(r"[0-9]{6}", sort_code):
        return "a sort code is 6 digits (12-34-56)"
    return None


def uk_account_problem(number: str) -> str | None:
    if not re.fullmatch(r"[0-9]{8}", number):
        return "a UK account number is 8 digits"
    return None
