"""The ISO 4217 codes silver accepts: those of :mod:`lakehouse.iso4217`."""

from __future__ import annotations

from lakehouse.iso4217 import MINOR_UNITS

# code -> exponent (digits after the decimal point)
ISO_4217 = MINOR_UNITS


def iso_codes_sql() -> str:
    """The codes as a SQL literal list for ``IN (...)`` expectations."""
    return ", ".join(f"'{c}'" for c in sorted(ISO_4217))
