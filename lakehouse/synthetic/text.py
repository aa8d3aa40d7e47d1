"""Vectorised text for the synthetic feeds: numbers and ids to Arrow strings, rows to bytes.

Every function takes whole columns (numpy or Arrow) and returns an Arrow string array,
so a day of ten million events is formatted without a Python loop per row.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Piece: TypeAlias = pa.Array | pa.ChunkedArray | str
_HEX = np.frombuffer(b"".join(b"%02x" % i for i in range(256)), dtype=np.uint8).reshape(256, 2)


def ints(values: np.ndarray) -> pa.Array:
    """Decimal text of integers."""
    return pc.cast(pa.array(values), pa.string())


def zpad(values: np.ndarray, width: int) -> pa.Array:
    """Non-negative integers zero-padded to ``width`` digits (wider values stay whole)."""
    return pc.ascii_lpad(ints(values), width, "0")


def money(cents: np.ndarray) -> pa.Array:
    """Signed cents as a decimal string with two places: -1234 -> ``-12.34``."""
    magnitude = np.abs(cents)
    sign = pc.if_else(pa.array(cents < 0), "-", "")
    return join([sign, ints(magnitude // 100), ".", zpad(magnitude % 100, 2)])


def hex16(values: np.ndarray) -> pa.Array:
    """64-bit unsigned integers as 16 lowercase hex digits."""
    digits = _HEX[values.astype(">u8").view(np.uint8).reshape(-1, 8)].reshape(-1, 16)
    return _fixed(digits)


def _fixed(matrix: np.ndarray) -> pa.Array:
    """Rows of a (n, width) uint8 matrix as strings."""
    n, width = matrix.shape
    data = pa.py_buffer(np.ascontiguousarray(matrix).tobytes())
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), n, [None, data])
    return fixed.cast(pa.binary()).cast(pa.string())


def pick(choices: Sequence[str], codes: np.ndarray) -> pa.Array:
    """``choices[code]`` for every code."""
    return pc.take(pa.array(list(choices), pa.string()), pa.array(codes.astype(np.int32)))


def join(pieces: Sequence[Piece], sep: str = "") -> pa.Array:
    """Row-wise concatenation of columns and literals."""
    result = pc.binary_join_element_wise(*pieces, sep)
    if isinstance(result, pa.ChunkedArray):
        return result.combine_chunks()
    return result


def fill(template: str, **values: Piece) -> pa.Array:
    """``template`` (``str.format`` fields, no format specs) filled row by row."""
    pieces: list[Piece] = []
    for literal, name, _, _ in string.Formatter().parse(template):
        if literal:
            pieces.append(literal)
        if name is not None:
            pieces.append(values[name])
    return join(pieces)


def clock(seconds: np.ndarray, sep: str = ":") -> pa.Array:
    """Seconds since midnight (< 24 h) as ``HH:MM:SS``."""
    return join([zpad(seconds // 3600, 2), zpad(seconds // 60 % 60, 2), zpad(seconds % 60, 2)], sep)


def payload(lines: pa.Array) -> memoryview:
    """The bytes of every value of a string array, back to back (no copy)."""
    if lines.null_count:
        raise ValueError("a generated line is null")
    if isinstance(lines, pa.LargeStringArray):
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)
    else:
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    start, end = int(offsets[lines.offset]), int(offsets[lines.offset + len(lines)])
    data = lines.buffers()[2]
    return memoryview(data)[start:end] if data is not None else memoryview(b"")
