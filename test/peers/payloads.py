"""Deterministic interop payloads; the same bytes as test/helpers/payloads.ts."""

MIB = 1024 * 1024
INTEROP_SIZES = [0, 125, 126, 65535, 65536, 16 * MIB]

_TEXT_BLOCK = "a\u00e9\u20ac\U0001F600"  # 1 + 2 + 3 + 4 UTF-8 bytes
_TEXT_BLOCK_BYTES = 10
_BINARY_PERIOD = bytes((i * 31 + 7) & 0xFF for i in range(256))


def text_payload(size: int) -> str:
    return _TEXT_BLOCK * (size // _TEXT_BLOCK_BYTES) + "x" * (size % _TEXT_BLOCK_BYTES)


def binary_payload(size: int) -> bytes:
    return (_BINARY_PERIOD * (size // 256 + 1))[:size]
