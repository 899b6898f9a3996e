"""Keccak-256 as Ethereum uses it: the published digests, and the permutation checked against hashlib's SHA-3
(the same sponge with another padding byte) on messages of every block count."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st
from propdesk.rails.keccak import SHA3_PADDING, keccak256, sponge256


def test_the_digest_of_the_empty_string_is_ethereums_well_known_one() -> None:
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


def test_the_digest_of_abc() -> None:
    assert keccak256(b"abc").hex() == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"


def test_keccak_256_is_not_sha3_256() -> None:
    assert keccak256(b"") != hashlib.sha3_256(b"").digest()


@given(st.binary(max_size=600))
def test_with_sha3_padding_the_sponge_is_hashlibs_sha3_256(message: bytes) -> None:
    assert sponge256(message, SHA3_PADDING) == hashlib.sha3_256(message).digest()


def test_messages_at_the_block_boundaries_hash_like_sha3() -> None:
    for size in (135, 136, 137, 271, 272, 273):
        message = bytes(range(256)) * 2
        assert sponge256(message[:size], SHA3_PADDING) == hashlib.sha3_256(message[:size]).digest()
