"""ISO 4217 currency codes and their minor units: the one table every layer uses.

The parsers read implied decimals from it (BAI2 amounts in minor units, camt and
MT940 amounts padded to the currency's decimals); silver accepts exactly these codes.
Codes whose minor unit ISO gives as "N.A." (gold, SDR, test codes) are not money
accounts and are left out; codes still seen during a changeover (ANG, ZWL, SLL) are in.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["DEFAULT_MINOR_UNITS", "MINOR_UNITS", "minor_units"]

DEFAULT_MINOR_UNITS = 2

_BY_UNITS: dict[int, str] = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    2: (
        "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD "
        "BTN BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP "
        "ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR "
        "JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU "
        "MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR "
        "RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB "
        "TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW "
        "ZWG ZWL"
    ),
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
}

# code -> digits after the decimal point
MINOR_UNITS: Mapping[str, int] = MappingProxyType(
    {code: units for units, codes in _BY_UNITS.items() for code in codes.split()}
)


def minor_units(code: str | None) -> int:
    """Decimals of ``code``'s amounts; 2 for a code not in the table (or none)."""
    return MINOR_UNITS.get((code or "").upper(), DEFAULT_MINOR_UNITS)
