"""One day of ledger events, drawn column-wise, and what partners and banks make of them.

Every event of a day is drawn at once with numpy from the day's random stream. An
event is an origination (ledger only), a card event collected through Adyen or Stripe
(repayment, refund, chargeback) or a bank event (a disbursement wired to a merchant, or
an ACH repayment collected in the day's batch). Breaks are planted at low rates, and
the first events of every day plant each reason code for sure, so small volumes see
them all. The ground truth is recorded as the records are made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakehouse.synthetic import text as tx
from lakehouse.synthetic.records import (
    ADYEN,
    BANK,
    LEDGER,
    STRIPE,
    Calendar,
    Truth,
    const,
)

# Settlement windows the default conf/rules.toml expects (days an item may wait).
LEDGER_PARTNER_WINDOW = 1
LEDGER_BANK_WINDOW = 1

ORIGINATION, CARD, BANK_EVENT = 0, 1, 2
REPAYMENT, REFUND, CHARGEBACK = 0, 1, 2
EVENT_TYPES = ("repayment", "refund", "chargeback", "origination", "disbursement")
ADYEN_TYPES = ("Settled", "Refunded", "Chargeback")
STRIPE_CATEGORIES = ("charge", "refund", "dispute")
PAYMENT_METHODS = ("visa", "mc", "ideal")
NO_BREAK, AMOUNT, CURRENCY, FEE = 0, 1, 2, 3
REASONS = ("", "AMOUNT_MISMATCH", "CURRENCY_MISMATCH", "FEE_VARIANCE")
# planted-break draw that forces each reason on the first card events of a day
FORCED = {
    "MISSING_COUNTERPART": 0.0,
    "AMOUNT_MISMATCH": 0.005,
    "CURRENCY_MISMATCH": 0.009,
    "FEE_VARIANCE": 0.012,
    "DUPLICATE": 1.0,
}
DUPLICATE_BASE = 900_000_000  # entry numbers of duplicate ledger postings


@dataclass
class Counters:
    """What runs on across days: bank reference and return trace numbers."""

    bank_seq: int = 0
    return_seq: int = 0
    return_planted: bool = False

    def bank_refs(self, banks: pa.Array) -> pa.Array:
        """The next bank references, one per line: bank code + 10 digits."""
        n = len(banks)
        numbers = np.arange(self.bank_seq + 1, self.bank_seq + n + 1)
        self.bank_seq += n
        return tx.join([banks, tx.zpad(numbers, 10)])


@dataclass
class DayEvents:
    """One day's records by destination; partner rows by settlement day, bank lines by
    booking day (day indexes of the calendar)."""

    ledger: pa.Table = field(default_factory=LEDGER.empty_table)
    adyen: dict[int, pa.Table] = field(default_factory=dict)
    stripe: dict[int, pa.Table] = field(default_factory=dict)
    bank: dict[int, list[pa.Table]] = field(default_factory=dict)
    ach: pa.Table | None = None  # entry_id, amount, external_ref, loan of the ACH repayments
    truth: Truth = field(default_factory=Truth)

    def book(self, day: int, lines: pa.Table) -> None:
        if lines.num_rows:
            self.bank.setdefault(day, []).append(lines)


def _split(table: pa.Table, days: np.ndarray) -> dict[int, pa.Table]:
    return {int(d): table.filter(pa.array(days == d)) for d in np.unique(days)}


@dataclass(frozen=True)
class Slice:
    """A run of consecutive events of one day, drawn together from one random stream."""

    index: int  # day index in the calendar
    first: int  # events of the day before this slice
    count: int
    entries: int  # ledger entries of the day before this slice (duplicates included)
    ach: int  # ACH repayments of the day before this slice


def forced_breaks(cal: Calendar, index: int) -> list[str]:
    """The breaks planted on the first card events of a day, so every day has each."""
    missing = ["MISSING_COUNTERPART"] if cal.old_enough(index, LEDGER_PARTNER_WINDOW) else []
    return [*missing, "DUPLICATE", "FEE_VARIANCE", "CURRENCY_MISMATCH", "AMOUNT_MISMATCH"]


@dataclass
class _Ledger:
    """Per event columns of the ledger entry being built."""

    kind: np.ndarray
    event: np.ndarray
    amount: np.ndarray
    usd: np.ndarray
    channel: np.ndarray


def draw_slice(
    cal: Calendar, part: Slice, rng: np.random.Generator, counters: Counters
) -> DayEvents:
    """All events of one slice of a day: ledger entries, partner rows, bank lines, truth."""
    n = part.count
    forced = forced_breaks(cal, part.index)[: n if part.first == 0 else 0]
    roll = rng.random(n)
    kind = np.where(roll < 0.08, ORIGINATION, np.where(roll < 0.75, CARD, BANK_EVENT))
    kind[: len(forced)] = CARD
    loan = rng.integers(0, 10**7, n)
    merchant = rng.integers(0, 500, n)
    created = 8 * 3600 + rng.integers(0, 12 * 3600, n)
    led = _Ledger(
        kind=kind,
        event=np.full(n, EVENT_TYPES.index("origination")),
        amount=np.zeros(n, dtype=np.int64),
        usd=np.ones(n, dtype=bool),
        channel=np.zeros(n, dtype=np.int8),
    )
    origination = np.flatnonzero(kind == ORIGINATION)
    led.amount[origination] = rng.integers(10000, 300001, len(origination))
    card = np.flatnonzero(kind == CARD)
    c = _card_events(cal, part.index, rng, len(card), forced)
    led.event[card], led.amount[card], led.usd[card] = c.event, c.amount, c.usd
    led.channel[card] = np.where(c.adyen, CHANNELS.index("adyen"), CHANNELS.index("stripe"))
    wire, ach = _bank_events(rng, led)

    day = cal.date(part.index)
    refs = _references(day, part, led, ach)
    duplicate = np.zeros(n, dtype=bool)
    duplicate[card[c.duplicate]] = True
    out = DayEvents()
    entries = _entries(out, day, part, led, duplicate, refs, loan, merchant, created)
    _partner_rows(out, c, entries.take(pa.array(card)))
    _disbursements(out, cal, part.index, rng, counters, entries.take(pa.array(wire)))
    out.ach = entries.take(pa.array(ach)).select(["entry_id", "amount", "external_ref", "loan"])
    return out


def _bank_events(rng: np.random.Generator, led: _Ledger) -> tuple[np.ndarray, np.ndarray]:
    """Half the bank events are disbursements (US wire or SEPA), half ACH repayments."""
    bank = np.flatnonzero(led.kind == BANK_EVENT)
    disbursed = rng.random(len(bank)) < 0.5
    wire, ach = bank[disbursed], bank[~disbursed]
    us_wire = rng.random(len(wire)) < 0.5
    led.event[wire] = EVENT_TYPES.index("disbursement")
    led.amount[wire] = -rng.integers(20000, 900001, len(wire))
    led.usd[wire] = us_wire
    led.channel[wire] = np.where(us_wire, CHANNELS.index("wire"), CHANNELS.index("sepa"))
    led.event[ach] = EVENT_TYPES.index("repayment")
    led.amount[ach] = rng.integers(2000, 35001, len(ach))
    led.channel[ach] = CHANNELS.index("ach")
    return wire, ach


def _references(day: date, part: Slice, led: _Ledger, ach: np.ndarray) -> pa.Array:
    """``XX-YYYYMMDD-<event number>``; ACH: ``A<yymmdd>/<n-th ACH repayment of the day>``."""
    refund = (led.event == EVENT_TYPES.index("refund")) | (
        led.event == EVENT_TYPES.index("chargeback")
    )
    wire = (led.channel == CHANNELS.index("wire")) | (led.channel == CHANNELS.index("sepa"))
    prefix = np.where(wire, 3, np.where(led.kind == CARD, np.where(refund, 2, 1), 0))
    number = np.arange(part.first + 1, part.first + part.count + 1)
    refs = tx.join([tx.pick(REF_PREFIXES, prefix), f"-{day:%Y%m%d}-", tx.zpad(number, 8)])
    if len(ach) == 0:
        return refs
    ach_number = np.arange(part.ach + 1, part.ach + len(ach) + 1)
    ach_refs = tx.join([f"A{day:%y%m%d}/", tx.zpad(ach_number, 7)])
    mask = np.zeros(part.count, dtype=bool)
    mask[ach] = True
    return pc.replace_with_mask(refs, pa.array(mask), ach_refs)


def _entries(
    out: DayEvents,
    day: date,
    part: Slice,
    led: _Ledger,
    duplicate: np.ndarray,
    refs: pa.Array,
    loan: np.ndarray,
    merchant: np.ndarray,
    created: np.ndarray,
) -> pa.Table:
    """The ledger export rows (duplicate postings right after their original) into
    ``out.ledger``; returns one entry per event, in event order."""
    position = part.entries + np.arange(part.count) + np.cumsum(duplicate) - duplicate
    entry_ids = tx.join([f"LE-{day:%Y%m%d}-", tx.zpad(position + 1, 9)])
    dup_ids = tx.join([f"LE-{day:%Y%m%d}-", tx.zpad(DUPLICATE_BASE + position[duplicate] + 2, 9)])
    columns = {
        "entry_id": entry_ids,
        "event_type": tx.pick(EVENT_TYPES, led.event),
        "loan": pa.array(loan),
        "merchant": pa.array(merchant),
        "amount": pa.array(led.amount),
        "currency": tx.pick(("EUR", "USD"), led.usd.astype(np.int8)),
        "created": pa.array(created),
        "external_ref": refs,
        "channel": tx.pick(CHANNELS, led.channel),
    }
    entries = pa.table(columns, schema=LEDGER)
    dups = entries.filter(pa.array(duplicate)).set_column(0, "entry_id", dup_ids)
    order = np.argsort(np.concatenate([position, position[duplicate] + 1]), kind="stable")
    out.ledger = pa.concat_tables([entries, dups]).take(pa.array(order)).combine_chunks()
    out.truth.exception("ledger_partner", dup_ids, "DUPLICATE")
    return entries


CHANNELS = ("internal", "adyen", "stripe", "wire", "sepa", "ach")
REF_PREFIXES = ("OR", "RP", "RF", "DS")


@dataclass
class _Cards:
    """Card events: columns over the day's card events."""

    event: np.ndarray
    amount: np.ndarray  # signed ledger amount, cents
    usd: np.ndarray  # ledger currency
    adyen: np.ndarray
    settle: np.ndarray  # settlement day index
    missing: np.ndarray  # no partner row (an old enough MISSING_COUNTERPART)
    reason: np.ndarray  # NO_BREAK, AMOUNT, CURRENCY or FEE
    gross: np.ndarray
    gross_usd: np.ndarray
    fee: np.ndarray
    duplicate: np.ndarray
    psp: np.ndarray
    method: np.ndarray
    adyen_minute: np.ndarray
    txn: np.ndarray
    stripe_minute: np.ndarray


def _card_events(
    cal: Calendar, index: int, rng: np.random.Generator, n: int, forced: list[str]
) -> _Cards:
    adyen = rng.random(n) < 0.55
    roll = rng.random(n)
    event = np.where(roll < 0.07, REFUND, np.where(roll < 0.10, CHARGEBACK, REPAYMENT))
    magnitude = rng.integers(1500, 48001, n)
    fx_roll, lag_roll, planted, dup_roll = (rng.random(n) for _ in range(4))
    psp = rng.integers(10**15, 10**16, n)
    method = rng.integers(0, len(PAYMENT_METHODS), n)
    adyen_minute = rng.integers(0, 600, n)
    txn = rng.integers(0, 2**64, n, dtype=np.uint64)
    stripe_minute = rng.integers(0, 600, n)

    k = len(forced)
    event[:k] = REPAYMENT
    repayment = event == REPAYMENT
    fx = adyen & repayment & (fx_roll < 0.1)
    fx[:k] = False
    p = np.where(repayment & ~fx, planted, 1.0)
    for i, code in enumerate(forced):
        p[i] = FORCED[code]
        if code == "CURRENCY_MISMATCH":
            adyen[i] = True
    usd = ~adyen | fx
    amount = np.where(repayment, magnitude, -magnitude)
    missing = (p < 0.004) & cal.old_enough(index, LEDGER_PARTNER_WINDOW)
    amount_break = ~missing & (p < 0.008)
    currency_break = ~missing & ~amount_break & (p < 0.011)
    fee_break = ~missing & ~amount_break & ~currency_break & (p < 0.014)
    # Stripe reports one currency: a currency break planted there is an amount break
    stripe_amount_break = currency_break & ~adyen
    currency_break &= adyen
    gross = amount.copy()
    gross[amount_break] -= 100
    gross[stripe_amount_break] += 250
    fee = np.where(repayment, (np.abs(gross) * 15 + 500) // 1000 + 10, 0)
    fee[fee_break] = (np.abs(amount[fee_break]) * 9 + 50) // 100
    reason = np.select(
        [amount_break | stripe_amount_break, currency_break, fee_break],
        [AMOUNT, CURRENCY, FEE],
        NO_BREAK,
    )
    forced_dup = np.zeros(n, dtype=bool)
    if "DUPLICATE" in forced:
        forced_dup[forced.index("DUPLICATE")] = True
    duplicate = repayment & ~missing & (reason == NO_BREAK) & (forced_dup | (dup_roll < 0.003))
    settle = np.minimum(index + (lag_roll < 2 / 3), cal.last)
    return _Cards(
        event=event,
        amount=amount,
        usd=usd,
        adyen=adyen,
        settle=settle,
        missing=missing,
        reason=reason,
        gross=gross,
        gross_usd=usd ^ currency_break,
        fee=fee,
        duplicate=duplicate,
        psp=psp,
        method=method,
        adyen_minute=adyen_minute,
        txn=txn,
        stripe_minute=stripe_minute,
    )


def _partner_rows(out: DayEvents, c: _Cards, entries: pa.Table) -> None:
    """Adyen and Stripe rows of the card events, by settlement day, and their truth."""
    entry_ids = entries.column("entry_id").combine_chunks()
    refs = entries.column("external_ref").combine_chunks()
    out.truth.exception(
        "ledger_partner", entry_ids.filter(pa.array(c.missing)), "MISSING_COUNTERPART"
    )
    reasons = tx.pick(REASONS, c.reason)

    a = c.adyen & ~c.missing
    psp = tx.ints(c.psp[a])
    kind = tx.pick(ADYEN_TYPES, c.event[a])
    gross, gross_usd, fee = c.gross[a], c.gross_usd[a], c.fee[a]
    converted = np.where(gross_usd, (np.abs(gross) * 9213 + 5000) // 10000, np.abs(gross))
    net = np.where(gross >= 0, converted - fee, -(converted + fee))
    n = int(a.sum())
    adyen = pa.table(
        {
            "psp": psp,
            "reference": refs.filter(pa.array(a)),
            "method": tx.pick(PAYMENT_METHODS, c.method[a]),
            "minute": pa.array(c.adyen_minute[a]),
            "type": kind,
            "gross_currency": tx.pick(("EUR", "USD"), gross_usd.astype(np.int8)),
            "gross": pa.array(gross),
            "rate": tx.pick(("1", "0.9213"), gross_usd.astype(np.int8)),
            "net": pa.array(net),
            "fee": pa.array(fee),
            "modification": const("", n),
            "batch": const("", n),
        },
        schema=ADYEN,
    )
    out.adyen = _split(adyen, c.settle[a])
    _pair_truth(out.truth, a, c.reason, entry_ids, reasons, tx.join(["adyen:", psp, ":", kind]))

    s = ~c.adyen & ~c.missing
    n = int(s.sum())
    txn = tx.join(["txn_", tx.hex16(c.txn[s])])
    category = tx.pick(STRIPE_CATEGORIES, c.event[s])
    stripe = pa.table(
        {
            "txn": txn,
            "minute": pa.array(c.stripe_minute[s]),
            "gross": pa.array(c.gross[s]),
            "fee": pa.array(c.fee[s]),
            "net": pa.array(c.gross[s] - c.fee[s]),
            "category": category,
            "description": refs.filter(pa.array(s)),
            "payout": const("", n),
        },
        schema=STRIPE,
    )
    out.stripe = _split(stripe, c.settle[s])
    _pair_truth(
        out.truth, s, c.reason, entry_ids, reasons, tx.join(["stripe:", txn, ":", category])
    )


def _pair_truth(
    truth: Truth,
    rows: np.ndarray,
    reason: np.ndarray,
    entry_ids: pa.Array,
    reasons: pa.Array,
    item_ids: pa.Array,
) -> None:
    """Clean pairs match; both sides of a pair with a break are exceptions."""
    clean = rows & (reason == NO_BREAK)
    broken = rows & (reason != NO_BREAK)
    item_clean = pa.array(reason[rows] == NO_BREAK)
    truth.match("ledger_partner", entry_ids.filter(pa.array(clean)), item_ids.filter(item_clean))
    broken_mask = pa.array(broken)
    truth.exception("ledger_partner", entry_ids.filter(broken_mask), reasons.filter(broken_mask))
    item_broken = pc.invert(item_clean)
    truth.exception("ledger_partner", item_ids.filter(item_broken), reasons.filter(broken_mask))


def _disbursements(
    out: DayEvents,
    cal: Calendar,
    index: int,
    rng: np.random.Generator,
    counters: Counters,
    entries: pa.Table,
) -> None:
    """Merchant disbursements: the bank line (same day or next) and its truth."""
    n = entries.num_rows
    missing_roll = rng.random(n)
    lag = rng.integers(0, 2, n)
    account = rng.integers(0, 10**16, n)
    entry_ids = entries.column("entry_id").combine_chunks()
    missing = (missing_roll < 0.01) & cal.old_enough(index, LEDGER_BANK_WINDOW)
    out.truth.exception("ledger_bank", entry_ids.filter(pa.array(missing)), "MISSING_COUNTERPART")
    keep = pa.array(~missing)
    sent = entries.filter(keep)
    us = pc.equal(sent.column("channel"), "wire").combine_chunks()
    us_codes = np.asarray(us.to_numpy(zero_copy_only=False), dtype=np.int8)
    refs = sent.column("external_ref").combine_chunks()
    merchant = tx.join(["M-", tx.zpad(sent.column("merchant").to_numpy(), 4)])
    bank_refs = counters.bank_refs(tx.pick(("EU", "US"), us_codes))
    lines = pa.table(
        {
            "bank": tx.pick(("EU", "US"), us_codes),
            "booked": pa.nulls(len(us_codes), pa.date32()),
            "amount": sent.column("amount").combine_chunks(),
            "type_code": tx.pick(("ESCT", "495"), us_codes),
            "bank_reference": bank_refs,
            "customer_reference": refs,
            "text": tx.join(
                [
                    tx.pick(("OUTGOING SEPA CT ", "OUTGOING WIRE "), us_codes),
                    refs,
                    " MERCHANT ",
                    merchant,
                ]
            ),
            "counterparty": tx.join(["Merchant ", merchant]),
            "counterparty_account": tx.join(["NL", tx.zpad(account[~missing], 16)]),
        },
        schema=BANK,
    )
    book = np.minimum(index + lag[~missing], cal.last)
    for day, table in _split(lines, book).items():
        out.book(
            day, table.set_column(1, "booked", pa.repeat(pa.scalar(cal.date(day)), table.num_rows))
        )
    out.truth.match("ledger_bank", entry_ids.filter(keep), bank_refs)
