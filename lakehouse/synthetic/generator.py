"""Synthetic feeds with planted breaks and a separate ground truth.

For a seed, a start date, D days and V ledger events a day, ``generate`` writes what a
pay-over-time lender really receives into the landing zone: the ledger export, Adyen
settlement detail reports (EUR, with FX rows), Stripe itemized balance reports (USD),
a US bank's BAI2 statement and an EU bank's camt.053 statement each day, and a NACHA
return file on the days ACH debits bounce. It plants every reason code, settlement
lags, fees, refunds, chargebacks, FX, duplicate file deliveries, a late partner file,
a late bank line, bad rows and a missing statement day. The truth (``matches.csv``,
``exceptions.csv``) goes to a separate folder the pipeline never reads; ``lakehouse
score`` compares gold with it. Optional reference noise (:mod:`.noise`) mangles the
partner and bank references before writing; the truth stays the same.

Days are generated in order, each from its own random stream, column-wise
(:mod:`.events`, :mod:`.closing`); what a day leaves for later days (next-day
settlements and bookings, returns) waits in memory until its day is written, so
memory holds about one day. Same arguments, same bytes.

Item references in the truth: ledger ``entry_id``; partner ``settlement_id``
(``<partner>:<psp reference or batch-N>:<record type>``); bank ``bank_reference``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakehouse.landing import LandingZone
from lakehouse.synthetic import closing, events, statements, writers
from lakehouse.synthetic import noise as noise_
from lakehouse.synthetic.noise import NoiseSpec
from lakehouse.synthetic.output import LocalSink, Sink, TruthFiles, ZoneSink
from lakehouse.synthetic.records import BANK, Calendar, concat
from lakehouse.synthetic.writers import AchReturn

US_ACCOUNT = "021000021-4455667788"
EU_ACCOUNT = "NL91ABNA0417164300"
OPENING = {"US": 250_000_000, "EU": 180_000_000}  # cents


@dataclass
class GeneratedFeeds:
    files: list[Path]  # local files (empty when written to a landing zone)
    uris: list[str]  # every file written: local paths or s3:// URIs
    days: list[date]
    ledger_events: int
    truth_matches: int = 0
    truth_exceptions: int = 0


@dataclass
class _Pending:
    """What earlier days left for a later day (by day index)."""

    adyen: dict[int, list[pa.Table]] = field(default_factory=dict)
    stripe: dict[int, list[pa.Table]] = field(default_factory=dict)
    bank: dict[int, list[pa.Table]] = field(default_factory=dict)
    returns: dict[int, list[AchReturn]] = field(default_factory=dict)

    def take_partner_rows(self, day: events.DayEvents) -> None:
        for mine, theirs in ((self.adyen, day.adyen), (self.stripe, day.stripe)):
            for index, table in theirs.items():
                mine.setdefault(index, []).append(table)

    def take_bank_lines(self, day: events.DayEvents) -> None:
        for index, tables in day.bank.items():
            self.bank.setdefault(index, []).extend(tables)


SLICE = 1_000_000  # events drawn at once: bounds memory at any volume
CLOSE_STREAM = 2**32  # the random stream of a day's closing (slices use 0, 1, ...)


def generate(
    seed: int,
    start: date,
    days: int,
    volume: int,
    landing: Path | LandingZone,
    truth_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    noise: NoiseSpec | Mapping[str, float] | str | None = None,
) -> GeneratedFeeds:
    """Write the landing files for ``days`` days from ``start``; see the module docstring.

    ``landing`` is a folder, or a landing zone (e.g. S3) that each file is put into.

    ``noise`` (a :class:`NoiseSpec`, ``{kind: rate}`` or ``"kind=rate,..."``; see
    :mod:`lakehouse.synthetic.noise`) mangles partner and bank references before they
    are written; the truth stays the same.
    """
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    if volume < 1:
        raise ValueError(f"volume must be >= 1 ledger event a day, got {volume}")
    spec = noise_.spec_of(noise)
    cal = Calendar(start, days)
    sink = LocalSink(landing) if isinstance(landing, Path) else ZoneSink(landing)
    truth = TruthFiles(truth_dir)
    writer = _DayWriter(cal, sink, seed, spec)
    counters = events.Counters()
    pending = _Pending()
    n_events = 0
    for index in range(days):
        day = cal.date(index)
        with sink.open("ledger", f"ledger_{_stamp(day)}.csv") as ledger:
            done, entries = _draw_day(
                cal, index, volume, seed, counters, pending, truth, writer, ledger, progress
            )
        n_events += entries
        rng = np.random.default_rng([seed, index, CLOSE_STREAM])
        for when, returns in closing.close_ach(cal, index, done, rng, counters).items():
            pending.returns.setdefault(when, []).extend(returns)
        adyen = closing.close_adyen(cal, index, pending.adyen.pop(index, []), done, counters)
        stripe = closing.close_stripe(
            cal, index, pending.stripe.pop(index, []), done, rng, counters
        )
        closing.bank_fee(cal, index, done, counters)
        pending.take_bank_lines(done)
        truth.add(done.truth)
        writer.write(index, adyen, stripe, pending, pending.returns.pop(index, []))
        if progress:
            progress(f"{day}: {entries:,} ledger entries")
    if progress:
        progress(f"generated {len(sink.uris)} files, {n_events:,} ledger entries over {days} days")
    dates = [cal.date(i) for i in range(days)]
    return GeneratedFeeds(sink.files, sink.uris, dates, n_events, truth.matches, truth.exceptions)


def _draw_day(
    cal: Calendar,
    index: int,
    volume: int,
    seed: int,
    counters: events.Counters,
    pending: _Pending,
    truth: TruthFiles,
    writer: _DayWriter,
    ledger: BinaryIO,
    progress: Callable[[str], None] | None,
) -> tuple[events.DayEvents, int]:
    """Draw a day slice by slice, writing its ledger export as it goes.

    Returns the records the day's closing starts from (the day's ACH repayments) and
    the number of ledger entries written.
    """
    entries = ach = 0
    ach_parts: list[pa.Table] = []
    for number, first in enumerate(range(0, volume, SLICE)):
        part = events.Slice(index, first, min(SLICE, volume - first), entries, ach)
        drawn = events.draw_slice(cal, part, np.random.default_rng([seed, index, number]), counters)
        writer.ledger(ledger, index, drawn.ledger, header=number == 0)
        pending.take_partner_rows(drawn)
        pending.take_bank_lines(drawn)
        truth.add(drawn.truth)
        if drawn.ach is not None:
            ach_parts.append(drawn.ach)
            ach += drawn.ach.num_rows
        entries += drawn.ledger.num_rows
        if progress and volume > SLICE:
            progress(f"{cal.date(index)}: {first + part.count:,} of {volume:,} events drawn")
    writer.ledger_end(ledger, index)
    return events.DayEvents(ach=pa.concat_tables(ach_parts) if ach_parts else None), entries


def _stamp(day: date) -> str:
    return f"{day:%Y-%m-%d}"


class _DayWriter:
    """Writes one day's files: planted file-level breaks and running bank balances."""

    def __init__(self, cal: Calendar, sink: Sink, seed: int, spec: NoiseSpec) -> None:
        self.cal, self.sink, self.seed, self.spec = cal, sink, seed, spec
        self.balances = dict(OPENING)
        self.missing_eu = 1 if cal.days >= 3 else None  # the EU bank skips this statement
        self.carried_eu: list[pa.Table] = []
        self.first_rows = b""  # the ledger re-sends the first day's first rows

    def write(
        self,
        index: int,
        adyen: pa.Table | None,
        stripe: pa.Table | None,
        pending: _Pending,
        returns: list[AchReturn],
    ) -> None:
        """The day's partner reports, NACHA returns and bank statements."""
        day = self.cal.date(index)
        bank = concat(pending.bank.pop(index, []), BANK)
        adyen, stripe, bank = noise_.apply(self.seed, day, self.spec, adyen, stripe, bank)
        if adyen is not None:
            batch = closing.ADYEN_FIRST_BATCH + index
            name = f"settlement_detail_report_batch_{batch}_{_stamp(day)}.csv"
            self.sink.put("adyen", name, writers.adyen_rows(adyen, day))
        if stripe is not None:
            # the Stripe report of the first day is delivered late, with the next day's files
            delivered = self.cal.date(self.cal.clamp(index + 1)) if index == 0 else day
            name = f"balance_change_{_stamp(delivered)}_for_{day:%Y%m%d}.csv"
            self.sink.put("stripe", name, writers.stripe_rows(stripe, day))
        created = datetime.combine(day + timedelta(days=1), time(6, 0))
        if returns:
            data = writers.nacha_returns(
                returns, created, day, closing.ODFI_ROUTING, "1234567890", "LENDERCO"
            )
            self.sink.put("nacha", f"ach_returns_{_stamp(day)}.ach", [data])
        self._statements(index, day, created, bank)

    def _statements(self, index: int, day: date, created: datetime, bank: pa.Table) -> None:
        us = bank.filter(pc.equal(bank.column("bank"), "US"))
        st = statements.Statement(US_ACCOUNT, "USD", day, self.balances["US"], us)
        self.balances["US"] = st.closing
        pieces = statements.bai2(st, created, "121000248", "LENDERCO")
        self.sink.put("bai2", f"bai2_{_stamp(day)}.bai", pieces)
        eu = bank.filter(pc.equal(bank.column("bank"), "EU"))
        if index == self.missing_eu:
            self.carried_eu.append(eu)
            return
        lines = concat([*self.carried_eu, eu], BANK)
        self.carried_eu = []
        st = statements.Statement(EU_ACCOUNT, "EUR", day, self.balances["EU"], lines)
        self.balances["EU"] = st.closing
        data = list(statements.camt053(st, created, f"CAMT{day:%Y%m%d}"))
        self.sink.put("camt053", f"camt053_{_stamp(day)}.xml", data)
        if index == 0:
            self.sink.put("camt053", f"camt053_{_stamp(day)}_copy.xml", data)  # sent twice

    def ledger(self, out: BinaryIO, index: int, entries: pa.Table, *, header: bool) -> None:
        """One slice of a day's ledger export."""
        day = self.cal.date(index)
        pieces = list(writers.ledger_rows(entries, day))
        if index == 0 and header:
            self.first_rows = b"".join(
                bytes(p) for p in writers.ledger_rows(entries.slice(0, 5), day)
            )
        out.writelines(pieces if header else pieces[1:])

    def ledger_end(self, out: BinaryIO, index: int) -> None:
        """Planted ledger breaks: bad rows in the first export, a re-send in the second."""
        day = self.cal.date(index)
        if index == 0:
            first = next(csv.DictReader(io.StringIO(self.first_rows.decode())))
            # an unparseable amount (bronze quarantine) and an invalid currency (silver
            # expectation -> silver quarantine)
            bad = writers.ledger_csv(
                [
                    {**first, "entry_id": f"LE-{day:%Y%m%d}-BAD000001", "amount": "12,3x"},
                    {**first, "entry_id": f"LE-{day:%Y%m%d}-BAD000002", "currency": "EURO"},
                ]
            ).split(b"\r\n", 1)[1]
            out.write(bad)
        if index == 1:
            # the ledger re-sends yesterday's first rows beside today's export
            self.sink.put("ledger", f"ledger_{_stamp(day)}_resend.csv", [self.first_rows])
