"""Address encodings: Ethereum's EIP-55 mixed-case checksum (Keccak-256 of the lower-case hex address), and
base58 / base58check with Bitcoin's alphabet (Tron: 0x41 + 20 bytes + the first 4 bytes of a double SHA-256;
Solana: a bare 32-byte public key)."""

from __future__ import annotations

import hashlib

from propdesk.rails.keccak import keccak256

BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX = {char: index for index, char in enumerate(BASE58_ALPHABET)}


def eip55(hex_address: str) -> str:
    """The checksummed form of a 40-hex-digit address (without or with 0x): a letter is upper case when the
    matching nibble of keccak256(lower-case address) is 8 or more."""
    lower = hex_address.lower().removeprefix("0x")
    digest = keccak256(lower.encode("ascii")).hex()
    return "0x" + "".join(
        char.upper() if char.isalpha() and int(digest[i], 16) >= 8 else char for i, char in enumerate(lower)
    )


def base58_decode(text: str) -> bytes:
    """Bytes of a base58 string; ValueError on a character outside the alphabet."""
    number = 0
    for char in text:
        index = _BASE58_INDEX.get(char)
        if index is None:
            raise ValueError(f"{char!r} is not a base58 character")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    leading = len(text) - len(text.lstrip("1"))
    return b"\x00" * leading + body


def base58_encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    chars = []
    while number:
        number, remainder = divmod(number, 58)
        chars.append(BASE58_ALPHABET[remainder])
    leading = len(data) - len(data.lstrip(b"\x00"))
    return "1" * leading + "".join(reversed(chars))


def base58check_payload(text: str) -> bytes:
    """The payload of a base58check string (the 4 checksum bytes verified and removed); ValueError if the
    checksum does not match."""
    raw = base58_decode(text)
    if len(raw) < 5:
        raise ValueError("too short for base58check")
    payload, checksum = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        raise ValueError("the base58check checksum does not match")
    return payload


def base58check_encode(payload: bytes) -> str:
    return base58_encode(payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4])
