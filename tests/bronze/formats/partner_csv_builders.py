"""Builders shared by the partner CSV tests: hand-written Adyen settlement batches (no
real sample exists), the real Stripe samples in ../shared/samples, and parse helpers."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import strategies as st

from lakehouse.bronze.formats.base import FileRejected, ParsedFile
from lakehouse.bronze.formats.partner_csv import parser_for
from tests.bronze.formats.invariants import checked

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLES = REPO_ROOT.parent / "shared" / "samples"
STRIPE_ITEMIZED = SAMPLES / "stripe" / "banana_balance_summary_format1_20231010.csv"
STRIPE_LEGACY = SAMPLES / "stripe" / "banana_transactions_all_format1_20231004.csv"

# Settlement batch 112: header as in most real files (Booking Date present,
# Modification Merchant Reference before the Reserved columns). Split fees on the
# first row, commission only on the second, a refund, a chargeback, its fee and the
# payout that nets the batch to zero: 31.15 + 98.80 - 20.10 - 50.00 - 7.50 - 52.35 = 0.
ADYEN_BATCH_112 = """\
Company Account,Merchant Account,Psp Reference,Merchant Reference,Payment Method,\
Creation Date,TimeZone,Type,Modification Reference,Gross Currency,Gross Debit (GC),\
Gross Credit (GC),Exchange Rate,Net Currency,Net Debit (NC),Net Credit (NC),Commission (NC),\
Markup (NC),Scheme Fees (NC),Interchange (NC),Payment Method Variant,\
Modification Merchant Reference,Batch Number,Reserved4,Reserved5,Reserved6,Reserved7,\
Reserved8,Reserved9,Reserved10,Booking Date,Booking Date TimeZone
LendCo,LendCoEU,8515131751004933,LN-1001-R3,visa,2024-03-04 10:12:01,CET,Settled,\
8515131751004933,EUR,,31.45,1,EUR,,31.15,,0.16,0.05,0.09,visacredit,,112,,,,,,,,\
2024-03-05 06:00:00,CET
LendCo,LendCoEU,8515131751004941,LN-1002-R1,mc,2024-03-04 11:40:17,CET,Settled,\
8515131751004941,EUR,,100.00,1,EUR,,98.80,1.20,,,,mcdebit,,112,,,,,,,,2024-03-05 06:00:00,CET
LendCo,LendCoEU,8815131751005012,LN-0990-R7,visa,2024-03-04 12:02:55,CET,Refunded,\
8815131751005020,EUR,20.00,,1,EUR,20.10,,0.10,,,,visacredit,REF-0990,112,,,,,,,,\
2024-03-05 06:00:00,CET
LendCo,LendCoEU,8815131751005103,"LN-0950-R2, retry",mc,2024-03-04 15:30:00,CET,Chargeback,\
8815131751005111,EUR,50.00,,1,EUR,50.00,,,,,,mccredit,,112,,,,,,,,2024-03-05 06:00:00,CET
LendCo,LendCoEU,,,,2024-03-04 15:30:00,CET,Fee,,,,,,EUR,7.50,,,,,,,Chargeback fee,112,,,,,,,,\
2024-03-05 06:00:00,CET
LendCo,LendCoEU,,,,2024-03-05 06:00:00,CET,MerchantPayout,,,,,,EUR,52.35,,,,,,,,112,,,,,,,,\
2024-03-05 06:00:00,CET
"""

# Settlement batch 113: another column order (Batch Number and the net columns moved,
# Modification Merchant Reference after the Reserved columns), no Booking Date, a
# trailing empty header and trailing empty fields, and FX: gross in USD, net in EUR.
# 100.00 x 0.9215 - 1.10 = 91.05 exactly; 33.33 x 0.9215 - 0.40 = 30.313595 ~ 30.31.
ADYEN_BATCH_113_FX = """\
Batch Number,Type,Company Account,Merchant Account,Psp Reference,Merchant Reference,\
Payment Method,Creation Date,TimeZone,Modification Reference,Net Currency,Net Debit (NC),\
Net Credit (NC),Gross Currency,Gross Debit (GC),Gross Credit (GC),Exchange Rate,\
Commission (NC),Markup (NC),Scheme Fees (NC),Interchange (NC),Payment Method Variant,\
Reserved4,Reserved5,Reserved6,Reserved7,Reserved8,Reserved9,Reserved10,\
Modification Merchant Reference,
113,Settled,LendCo,LendCoUS,8515131751009001,LN-2001-R1,amex,2024-03-06 09:00:00,PST,\
8515131751009001,EUR,,91.05,USD,,100.00,0.9215,1.10,,,,amex,,,,,,,,,
113,Settled,LendCo,LendCoUS,8515131751009019,LN-2002-R1,visa,2024-03-06 09:05:00,PST,\
8515131751009019,EUR,,30.31,USD,,33.33,0.9215,,0.10,0.12,0.18,visa,,,,,,,,,
113,MerchantPayout,LendCo,LendCoUS,,,,2024-03-07 06:00:00,PST,,EUR,121.36,,,,,,,,,,,,,,,,,,,
"""

ADYEN_LAYOUT_COLUMNS = [
    "Company Account",
    "Merchant Account",
    "Psp Reference",
    "Merchant Reference",
    "Payment Method",
    "Creation Date",
    "TimeZone",
    "Type",
    "Modification Reference",
    "Gross Currency",
    "Gross Debit (GC)",
    "Gross Credit (GC)",
    "Exchange Rate",
    "Net Currency",
    "Net Debit (NC)",
    "Net Credit (NC)",
    "Commission (NC)",
    "Markup (NC)",
    "Scheme Fees (NC)",
    "Interchange (NC)",
    "Payment Method Variant",
    "Modification Merchant Reference",
    "Batch Number",
    "Reserved4",
    "Reserved5",
    "Reserved6",
    "Reserved7",
    "Reserved8",
    "Reserved9",
    "Reserved10",
    "Booking Date",
    "Booking Date TimeZone",
]


def adyen(text: str) -> ParsedFile:
    parse = checked(parser_for("adyen"))
    return parse(text.encode("utf-8"), "adyen/settlement_detail_report.csv")


def stripe(data: bytes) -> ParsedFile:
    return checked(parser_for("stripe"))(data, "stripe/report.csv")


def rejected(text: str) -> str:
    with pytest.raises(FileRejected) as info:
        adyen(text)
    return info.value.reason


def replace_line(text: str, index: int, old: str, new: str) -> str:
    """``text`` with ``old`` replaced by ``new`` in physical line ``index`` only."""
    lines = text.splitlines(keepends=True)
    assert old in lines[index], (old, lines[index])
    lines[index] = lines[index].replace(old, new, 1)
    return "".join(lines)


BATCH_112 = ADYEN_BATCH_112
BATCH_113 = ADYEN_BATCH_113_FX


def amounts(parsed: ParsedFile, field: str) -> list[str | None]:
    return [row.values[field] for row in parsed.records()]


def sample(path: Path) -> bytes:
    if not path.exists():
        pytest.skip(f"real samples not found at {SAMPLES} (../shared/samples)")
    return path.read_bytes()


MONEY = st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2)
