"""End-of-day records: the ACH batch credit and its returns, partner payouts, bank fees.

Each closes what a day's events opened and records its ground truth:

* the day's ACH repayments are credited as ONE bank line the next day; some debits
  bounce and come back ``ACH_RETURN_LAG`` days later in a NACHA return file (the batch
  stays matched, the returned entry and its return become RETURNED breaks; the first
  batch that can see its return gets one for sure);
* each partner pays a settlement day's net out in a payout row, which the bank credits
  a day later (the first day's payouts three days later: a planted late bank line);
* the US bank charges a service fee on every day old enough to be an exception.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakehouse.synthetic import text as tx
from lakehouse.synthetic.events import LEDGER_BANK_WINDOW, Counters, DayEvents
from lakehouse.synthetic.records import ADYEN, BANK, STRIPE, Calendar, concat, const
from lakehouse.synthetic.writers import AchReturn

ACH_RETURN_LAG = 3
ACH_RETURN_RATE = 0.01
ODFI_ROUTING = "121000248"
RETURN_REASONS = ("R01", "R01", "R02", "R03", "R08", "R10")
ADYEN_FIRST_BATCH = 1000


def ach_batch(day: date) -> str:
    return f"A{day:%y%m%d}"


def _line(
    counters: Counters,
    booked: date,
    bank: str,
    amount: int,
    code: str,
    customer: str,
    text: str,
    party: str = "",
    account: str = "",
) -> pa.Table:
    refs = counters.bank_refs(pa.array([bank]))
    return pa.table(
        {
            "bank": [bank],
            "booked": [booked],
            "amount": [amount],
            "type_code": [code],
            "bank_reference": refs,
            "customer_reference": [customer],
            "text": [text],
            "counterparty": [party],
            "counterparty_account": [account],
        },
        schema=BANK,
    )


def close_ach(
    cal: Calendar, index: int, events: DayEvents, rng: np.random.Generator, counters: Counters
) -> dict[int, list[AchReturn]]:
    """Book the day's ACH batch credit; plant returns. Returns NACHA returns by day index."""
    ach = events.ach
    if ach is None or ach.num_rows == 0:
        return {}
    day = cal.date(index)
    batch = ach_batch(day)
    total = int(pc.sum(ach.column("amount")).as_py())
    book = cal.clamp(index + 1)
    line = _line(
        counters, cal.date(book), "US", total, "165", batch, f"ACH CREDIT SETTLEMENT {batch}"
    )
    events.book(book, line)
    entry_ids = ach.column("entry_id").combine_chunks()
    events.truth.match(
        "ledger_bank", pa.array([";".join(entry_ids.to_pylist())]), line.column("bank_reference")
    )
    returned_on = index + ACH_RETURN_LAG
    if returned_on > cal.last:
        return {}
    n = ach.num_rows
    returned = rng.random(n) < ACH_RETURN_RATE
    if not counters.return_planted:
        returned[0] = True
        counters.return_planted = True
    rows = np.flatnonzero(returned)
    reasons = rng.integers(0, len(RETURN_REASONS), len(rows))
    original = rng.integers(0, 10**7, len(rows))
    routing = rng.integers(0, 10**8, len(rows))
    account = rng.integers(0, 10**12, len(rows))
    picked = ach.take(pa.array(rows)).to_pylist()
    returns = []
    for i, entry in enumerate(picked):
        counters.return_seq += 1
        returns.append(
            AchReturn(
                individual_id=entry["external_ref"],
                name=f"BORROWER LN-{entry['loan']:07d}",
                amount=Decimal(entry["amount"]).scaleb(-2),
                reason=RETURN_REASONS[reasons[i]],
                original_trace=f"{ODFI_ROUTING[:8]}{original[i]:07d}",
                trace=f"{ODFI_ROUTING[:8]}{counters.return_seq:07d}",
                rdfi_routing=f"{routing[i]:08d}0",
                account=f"{account[i]:012d}",
            )
        )
    traces = pa.array([r.trace for r in returns], pa.string())
    events.truth.exception(
        "ledger_bank", pa.array([e["entry_id"] for e in picked], pa.string()), "RETURNED"
    )
    events.truth.exception("ledger_bank", traces, "RETURNED")
    return {returned_on: returns}


def _payout_book(cal: Calendar, index: int) -> int:
    late = index == 0 and cal.days >= 4  # planted late bank line
    return cal.clamp(index + (3 if late else 1))


def close_adyen(
    cal: Calendar, index: int, rows: list[pa.Table], events: DayEvents, counters: Counters
) -> pa.Table | None:
    """The settlement day's Adyen report: its rows in batch ``1000 + index`` and the payout."""
    table = concat(rows, ADYEN)
    if table.num_rows == 0:
        return None
    batch = str(ADYEN_FIRST_BATCH + index)
    table = table.set_column(
        table.schema.get_field_index("batch"), "batch", const(batch, table.num_rows)
    )
    net = int(pc.sum(table.column("net")).as_py())
    payout = pa.table(
        {
            "psp": [""],
            "reference": [""],
            "method": [""],
            "minute": [14 * 60],  # 23:00
            "type": ["MerchantPayout"],
            "gross_currency": ["EUR"],
            "gross": pa.nulls(1, pa.int64()),
            "rate": ["1"],
            "net": [-net],
            "fee": [0],
            "modification": [f"PAYOUT-{batch}"],
            "batch": [batch],
        },
        schema=ADYEN,
    )
    book = _payout_book(cal, index)
    line = _line(
        counters,
        cal.date(book),
        "EU",
        net,
        "RCDT",
        f"ADYEN-BATCH-{batch}",
        f"ADYEN N.V. SETTLEMENT BATCH {batch} LENDERCOEU",
        "Adyen N.V.",
        "NL48ADYB0123456789",
    )
    events.book(book, line)
    events.truth.match(
        "partner_bank",
        pa.array([f"adyen:batch-{batch}:MerchantPayout"]),
        line.column("bank_reference"),
    )
    return pa.concat_tables([table, payout]).combine_chunks()


def close_stripe(
    cal: Calendar,
    index: int,
    rows: list[pa.Table],
    events: DayEvents,
    rng: np.random.Generator,
    counters: Counters,
) -> pa.Table | None:
    """The settlement day's Stripe rows, all paid out in one payout, and the payout row."""
    table = concat(rows, STRIPE)
    if table.num_rows == 0:
        return None
    ids = tx.hex16(rng.integers(0, 2**64, 2, dtype=np.uint64)).to_pylist()
    payout_id, txn = f"po_{ids[0]}", f"txn_{ids[1]}"
    table = table.set_column(
        table.schema.get_field_index("payout"), "payout", const(payout_id, table.num_rows)
    )
    net = int(pc.sum(table.column("net")).as_py())
    payout = pa.table(
        {
            "txn": [txn],
            "minute": [990],  # 23:30
            "gross": [-net],
            "fee": [0],
            "net": [-net],
            "category": ["payout"],
            "description": ["STRIPE PAYOUT"],
            "payout": [payout_id],
        },
        schema=STRIPE,
    )
    book = _payout_book(cal, index)
    line = _line(
        counters, cal.date(book), "US", net, "195", payout_id, f"STRIPE TRANSFER {payout_id}"
    )
    events.book(book, line)
    events.truth.match(
        "partner_bank", pa.array([f"stripe:{txn}:payout"]), line.column("bank_reference")
    )
    return pa.concat_tables([table, payout]).combine_chunks()


def bank_fee(cal: Calendar, index: int, events: DayEvents, counters: Counters) -> None:
    """A service charge nobody booked: an UNEXPECTED_BANK_ITEM once old enough."""
    if not cal.old_enough(index, LEDGER_BANK_WINDOW):
        return
    line = _line(counters, cal.date(index), "US", -3500, "699", "", "SERVICE CHARGE ANALYSIS FEE")
    events.book(index, line)
    events.truth.exception("ledger_bank", line.column("bank_reference"), "UNEXPECTED_BANK_ITEM")
