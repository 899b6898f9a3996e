"""Keccak-256 in pure Python, as Ethereum uses it (EIP-55 checksums, addresses).

Not `hashlib.sha3_256`: FIPS 202 SHA-3 pads the message with the domain bits 0x06, the original Keccak that
Ethereum adopted pads with 0x01; the permutation (Keccak-f[1600]) and the rate (1088 bits) are the same, so
the two digests differ for every input. Speed is irrelevant here (addresses are 20 bytes).
"""

from __future__ import annotations

_MASK = (1 << 64) - 1
_RATE = 136  # bytes: 1600 - 2 x 256 bits of capacity
_ROUND_CONSTANTS = (
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
)  # fmt: skip
# Rotation offsets r[x][y] of the rho step.
_ROTATIONS = (
    (0, 36, 3, 41, 18),
    (1, 44, 10, 45, 2),
    (62, 6, 43, 15, 61),
    (28, 55, 25, 21, 56),
    (27, 20, 39, 8, 14),
)
KECCAK_PADDING = 0x01
SHA3_PADDING = 0x06  # FIPS 202 (only to test the permutation against hashlib.sha3_256)


def keccak256(data: bytes) -> bytes:
    """The 32-byte Keccak-256 digest of `data`."""
    return sponge256(data, KECCAK_PADDING)


def sponge256(data: bytes, padding: int) -> bytes:
    """The Keccak[c=512] sponge with 256 bits out; `padding` is the first pad byte (domain bits + 1)."""
    padded = bytearray(data)
    padded.append(padding)
    padded.extend(b"\x00" * (-len(padded) % _RATE))
    padded[-1] |= 0x80
    state = [0] * 25
    for offset in range(0, len(padded), _RATE):
        block = padded[offset : offset + _RATE]
        for lane in range(_RATE // 8):
            state[lane] ^= int.from_bytes(block[8 * lane : 8 * lane + 8], "little")
        state = _permute(state)
    return b"".join(state[lane].to_bytes(8, "little") for lane in range(4))


def _rotate(value: int, shift: int) -> int:
    shift %= 64
    return ((value << shift) | (value >> (64 - shift))) & _MASK if shift else value


def _permute(a: list[int]) -> list[int]:
    """Keccak-f[1600]; lane (x, y) is a[x + 5 * y]."""
    for constant in _ROUND_CONSTANTS:
        c = [a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rotate(c[(x + 1) % 5], 1) for x in range(5)]
        a = [a[i] ^ d[i % 5] for i in range(25)]
        b = [0] * 25
        for x in range(5):
            for y in range(5):
                b[y + 5 * ((2 * x + 3 * y) % 5)] = _rotate(a[x + 5 * y], _ROTATIONS[x][y])
        a = [
            b[i] ^ (~b[(i + 1) % 5 + 5 * (i // 5)] & _MASK & b[(i + 2) % 5 + 5 * (i // 5)]) for i in range(25)
        ]
        a[0] ^= constant
    return a
