"""Synthetic feeds with planted breaks and a separate ground truth.

For a seed, a start date, D days and V ledger events a day, ``generate`` writes what a
pay-over-time lender really receives into the landing zone: the ledger export, Adyen
settlement detail reports (EUR, with FX rows), Stripe itemized balance reports (USD),
a US bank's BAI2 statement and an EU bank's camt.053 statement each day, and a NACHA
return file on the days ACH debits bounce. It plants
every reason code, settlement lags, fees, refunds, chargebacks, FX, duplicate file
deliveries, a late partner file, a late bank line, bad rows and a missing statement
day. The truth (``matches.csv``, ``exceptions.csv``) goes to a separate folder the
pipeline never reads; ``lakehouse score`` compares gold with it.

Item references in the truth: ledger ``entry_id``; partner ``settlement_id``
(``<partner>:<psp reference or batch-N>:<record type>``); bank ``bank_reference``.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from lakehouse.synthetic import noise as noise_
from lakehouse.synthetic import writers
from lakehouse.synthetic.noise import NoiseSpec
from lakehouse.synthetic.writers import AchReturn, BankLine, Statement

CENT = Decimal("0.01")
US_ACCOUNT = "021000021-4455667788"
EU_ACCOUNT = "NL91ABNA0417164300"
# Settlement windows the default conf/rules.toml expects (days an item may wait).
LEDGER_PARTNER_WINDOW = 1
PARTNER_BANK_WINDOW = 1
LEDGER_BANK_WINDOW = 1
# ACH debits that bounce come back in the bank's NACHA return file this many days later.
ACH_RETURN_LAG = 3
ACH_RETURN_RATE = 0.01
ODFI_ROUTING = "121000248"


def _ach_batch(day: date) -> str:
    return f"A{day:%y%m%d}"


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Truth:
    matches: list[tuple[str, str, str]] = field(default_factory=list)
    exceptions: list[tuple[str, str, str]] = field(default_factory=list)

    def match(self, leg: str, left: list[str], right: list[str]) -> None:
        self.matches.append((leg, ";".join(sorted(left)), ";".join(sorted(right))))

    def exception(self, leg: str, item: str, reason: str) -> None:
        self.exceptions.append((leg, item, reason))

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "matches.csv").open("w", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(["leg", "left_ids", "right_ids"])
            out.writerows(sorted(self.matches))
        with (folder / "exceptions.csv").open("w", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(["leg", "item_id", "reason_code"])
            out.writerows(sorted(set(self.exceptions)))


@dataclass
class Day:
    """Everything generated for one calendar day, by destination."""

    ledger: list[dict[str, str]] = field(default_factory=list)
    adyen: list[dict[str, str]] = field(default_factory=list)
    stripe: list[dict[str, str]] = field(default_factory=list)
    us_lines: list[BankLine] = field(default_factory=list)
    eu_lines: list[BankLine] = field(default_factory=list)
    ach_returns: list[AchReturn] = field(default_factory=list)


@dataclass
class GeneratedFeeds:
    files: list[Path]
    truth: Truth
    days: list[date]
    ledger_events: int


class Generator:
    """Builds the feeds day by day; every random draw comes from one seeded RNG."""

    def __init__(self, seed: int, start: date, days: int, volume: int) -> None:
        if days < 1 or volume < 1:
            raise ValueError("days and volume must be >= 1")
        self.rng = random.Random(seed)
        self.start = start
        self.dates = [start + timedelta(days=i) for i in range(days)]
        self.last = self.dates[-1]
        self.volume = volume
        self.by_day: dict[date, Day] = {d: Day() for d in self.dates}
        self.truth = Truth()
        self.seq = 0
        self.adyen_batches: dict[date, int] = {}
        self.stripe_payouts: dict[date, str] = {}
        self.bank_seq = 0
        self.bad_rows: list[tuple[date, str]] = []

    # ---- ids -------------------------------------------------------------------
    def _entry_id(self, day: date, duplicate: bool = False) -> str:
        self.seq += 1
        base = 900_000_000 if duplicate else 0
        return f"LE-{day:%Y%m%d}-{base + self.seq:09d}"

    def _bank_ref(self, bank: str) -> str:
        self.bank_seq += 1
        return f"{bank}{self.bank_seq:010d}"

    def _clamp(self, day: date) -> date:
        return min(day, self.last)

    def _old_enough(self, day: date, window: int) -> bool:
        """An item of ``day`` without counterpart is an exception by the last day."""
        return (self.last - day).days > window

    # ---- ledger ----------------------------------------------------------------
    def _ledger(
        self,
        day: date,
        event: str,
        amount: Decimal,
        currency: str,
        ref: str,
        channel: str,
        *,
        duplicate: bool = False,
    ) -> dict[str, str]:
        created = datetime.combine(day, time(8, 0), UTC) + timedelta(
            seconds=self.rng.randrange(0, 12 * 3600)
        )
        entry = {
            "entry_id": self._entry_id(day, duplicate),
            "event_type": event,
            "loan_id": f"LN-{self.rng.randrange(10**7):07d}",
            "merchant_id": f"M-{self.rng.randrange(500):04d}",
            "amount": f"{amount:.2f}",
            "currency": currency,
            "effective_date": day.isoformat(),
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "external_ref": ref,
            "channel": channel,
        }
        self.by_day[day].ledger.append(entry)
        return entry

    # ---- partners --------------------------------------------------------------
    def _adyen_row(
        self,
        settle: date,
        kind: str,
        ref: str,
        gross: Decimal,
        gross_ccy: str,
        net_ccy: str,
        rate: Decimal,
        fee: Decimal,
    ) -> str:
        psp = f"{self.rng.randrange(10**15, 10**16)}"
        net_abs = _money(abs(gross) * rate) - fee if gross >= 0 else _money(abs(gross) * rate) + fee
        credit = gross >= 0
        local = datetime.combine(settle, time(9, 0)) + timedelta(minutes=self.rng.randrange(600))
        row = {
            "Company Account": "LenderCo",
            "Merchant Account": "LenderCoEU",
            "Psp Reference": psp,
            "Merchant Reference": ref,
            "Payment Method": self.rng.choice(["visa", "mc", "ideal"]),
            "Creation Date": local.strftime("%Y-%m-%d %H:%M:%S"),
            "TimeZone": "CET",
            "Type": kind,
            "Gross Currency": gross_ccy,
            "Gross Debit (GC)": "" if credit else f"{abs(gross):.2f}",
            "Gross Credit (GC)": f"{gross:.2f}" if credit else "",
            "Exchange Rate": f"{rate}",
            "Net Currency": net_ccy,
            "Net Debit (NC)": "" if credit else f"{net_abs:.2f}",
            "Net Credit (NC)": f"{net_abs:.2f}" if credit else "",
            "Commission (NC)": f"{fee:.2f}" if fee else "",
            "Batch Number": "",  # filled when the batch is closed
        }
        self.by_day[settle].adyen.append(row)
        return f"adyen:{psp}:{kind}"

    def _stripe_row(
        self, settle: date, category: str, ref: str, gross: Decimal, fee: Decimal
    ) -> str:
        txn = f"txn_{self.rng.getrandbits(64):016x}"
        created = datetime.combine(settle, time(7, 0)) + timedelta(minutes=self.rng.randrange(600))
        row = {
            "balance_transaction_id": txn,
            "created": created.strftime("%Y-%m-%d %H:%M:%S"),
            "available_on": settle.isoformat(),
            "currency": "usd",
            "gross": f"{gross:.2f}",
            "fee": f"{fee:.2f}",
            "net": f"{gross - fee:.2f}",
            "reporting_category": category,
            "description": ref,
        }
        self.by_day[settle].stripe.append(row)
        return f"stripe:{txn}:{category}"

    @staticmethod
    def _fee(gross: Decimal, pct: str = "0.015", fixed: str = "0.10") -> Decimal:
        return _money(abs(gross) * Decimal(pct) + Decimal(fixed))

    def _card_event(self, day: date, n: int, forced: str = "") -> None:
        """A consumer repayment/refund/chargeback collected through a partner.

        ``forced`` plants a given break (the schedule guarantees every reason code
        appears even at small volumes); otherwise breaks are drawn at low rates.
        """
        rng = self.rng
        partner = "adyen" if rng.random() < 0.55 else "stripe"
        roll = 1.0 if forced else rng.random()
        event, sign = ("repayment", 1)
        if roll < 0.07:
            event, sign = ("refund", -1)
        elif roll < 0.10:
            event, sign = ("chargeback", -1)
        amount = _money(rng.uniform(15, 480)) * sign
        fx = partner == "adyen" and sign > 0 and rng.random() < 0.1
        currency = "USD" if partner == "stripe" or fx else "EUR"
        ref = f"{'RP' if sign > 0 else 'RF'}-{day:%Y%m%d}-{n:08d}"
        settle = self._clamp(day + timedelta(days=rng.choice([0, 1, 1])))
        leg = "ledger_partner"
        planted = rng.random() if sign > 0 and not fx else 1.0
        if forced:
            fx = False
            currency = "USD" if partner == "stripe" else "EUR"
            planted = {
                "MISSING_COUNTERPART": 0.0,
                "AMOUNT_MISMATCH": 0.005,
                "CURRENCY_MISMATCH": 0.009,
                "FEE_VARIANCE": 0.012,
                "DUPLICATE": 1.0,
            }[forced]
            if forced == "CURRENCY_MISMATCH":
                partner = "adyen"
                currency = "EUR"
        entry = self._ledger(day, event, amount, currency, ref, partner)
        gross, gross_ccy, fee = amount, currency, self._fee(amount) if sign > 0 else Decimal("0")
        reason = ""
        if planted < 0.004 and self._old_enough(day, LEDGER_PARTNER_WINDOW):
            self.truth.exception(leg, entry["entry_id"], "MISSING_COUNTERPART")
            return
        if planted < 0.008:
            gross, reason = amount - Decimal("1.00"), "AMOUNT_MISMATCH"
            fee = self._fee(gross)
        elif planted < 0.011:
            gross_ccy, reason = ("USD" if currency == "EUR" else "EUR"), "CURRENCY_MISMATCH"
        elif planted < 0.014:
            fee, reason = _money(abs(amount) * Decimal("0.09")), "FEE_VARIANCE"
        if partner == "adyen":
            kind = {"repayment": "Settled", "refund": "Refunded", "chargeback": "Chargeback"}[event]
            rate = Decimal("0.9213") if gross_ccy == "USD" else Decimal("1")
            item = self._adyen_row(settle, kind, ref, gross, gross_ccy, "EUR", rate, fee)
        else:
            category = {"repayment": "charge", "refund": "refund", "chargeback": "dispute"}[event]
            if reason == "CURRENCY_MISMATCH":
                reason = "AMOUNT_MISMATCH"  # Stripe reports one currency; plant an amount break
                gross = amount + Decimal("2.50")
                fee = self._fee(gross)
            item = self._stripe_row(settle, category, ref, gross, fee)
        if reason:
            self.truth.exception(leg, entry["entry_id"], reason)
            self.truth.exception(leg, item, reason)
        else:
            self.truth.match(leg, [entry["entry_id"]], [item])
        if sign > 0 and not reason and (forced == "DUPLICATE" or rng.random() < 0.003):
            dup = self._ledger(day, event, amount, currency, ref, partner, duplicate=True)
            self.truth.exception(leg, dup["entry_id"], "DUPLICATE")

    def _bank_event(self, day: date, n: int) -> None:
        """A disbursement to a merchant or an ACH repayment: ledger <-> bank directly."""
        rng = self.rng
        leg = "ledger_bank"
        if rng.random() < 0.5:
            us = rng.random() < 0.5
            currency = "USD" if us else "EUR"
            amount = -_money(rng.uniform(200, 9000))
            ref = f"DS-{day:%Y%m%d}-{n:08d}"
            entry = self._ledger(
                day, "disbursement", amount, currency, ref, "wire" if us else "sepa"
            )
            if rng.random() < 0.01 and self._old_enough(day, LEDGER_BANK_WINDOW):
                self.truth.exception(leg, entry["entry_id"], "MISSING_COUNTERPART")
                return
            book = self._clamp(day + timedelta(days=rng.choice([0, 1])))
            bank_ref = self._bank_ref("US" if us else "EU")
            line = BankLine(
                book,
                amount,
                "495" if us else "ESCT",
                bank_ref,
                ref,
                f"OUTGOING {'WIRE' if us else 'SEPA CT'} {ref} MERCHANT {entry['merchant_id']}",
                f"Merchant {entry['merchant_id']}",
                f"NL{rng.randrange(10**16):016d}",
            )
            day_bucket = self.by_day[book]
            (day_bucket.us_lines if us else day_bucket.eu_lines).append(line)
            self.truth.match(leg, [entry["entry_id"]], [bank_ref])
        else:
            amount = _money(rng.uniform(20, 350))
            # the originator's reference rides in the 15-character NACHA individual id
            ref = f"{_ach_batch(day)}/{n % 10**7:07d}"
            self._ledger(day, "repayment", amount, "USD", ref, "ach")

    def _close_ach_batches(self) -> None:
        """ACH repayments of a day are credited as ONE bank line the next day.

        Some debits bounce: the bank returns them ``ACH_RETURN_LAG`` days after the
        entry in a NACHA return file (R-code, original trace). The batch stays matched
        (the bank did credit its total); the returned entry and its return become
        RETURNED breaks. The first batch that can see its return gets one for sure.
        """
        leg = "ledger_bank"
        planted = False
        for day in self.dates:
            entries = [e for e in self.by_day[day].ledger if e["channel"] == "ach"]
            if not entries:
                continue
            total = sum((Decimal(e["amount"]) for e in entries), Decimal("0"))
            book = self._clamp(day + timedelta(days=1))
            bank_ref = self._bank_ref("US")
            batch = _ach_batch(day)
            self.by_day[book].us_lines.append(
                BankLine(book, total, "165", bank_ref, batch, f"ACH CREDIT SETTLEMENT {batch}")
            )
            self.truth.match(leg, [e["entry_id"] for e in entries], [bank_ref])
            returned_on = day + timedelta(days=ACH_RETURN_LAG)
            if returned_on > self.last:
                continue
            for i, entry in enumerate(entries):
                if (i == 0 and not planted) or self.rng.random() < ACH_RETURN_RATE:
                    planted = True
                    self._ach_return(returned_on, entry)

    def _ach_return(self, day: date, entry: dict[str, str]) -> None:
        self.bank_seq += 1
        trace = f"{ODFI_ROUTING[:8]}{self.bank_seq:07d}"
        routing = f"{self.rng.randrange(10**8):08d}"
        self.by_day[day].ach_returns.append(
            AchReturn(
                individual_id=entry["external_ref"],
                name=f"BORROWER {entry['loan_id']}",
                amount=Decimal(entry["amount"]),
                reason=self.rng.choice(["R01", "R01", "R02", "R03", "R08", "R10"]),
                original_trace=f"{ODFI_ROUTING[:8]}{self.rng.randrange(10**7):07d}",
                trace=trace,
                rdfi_routing=routing + "0",
                account=f"{self.rng.randrange(10**12):012d}",
            )
        )
        self.truth.exception("ledger_bank", entry["entry_id"], "RETURNED")
        self.truth.exception("ledger_bank", trace, "RETURNED")

    def _close_partner_batches(self) -> None:
        """Each partner pays the day's net out; the bank credits it a day later."""
        for i, day in enumerate(self.dates):
            bucket = self.by_day[day]
            late = i == 0 and len(self.dates) >= 4  # planted late bank line
            book = self._clamp(day + timedelta(days=3 if late else 1))
            if bucket.adyen:
                batch = 1000 + i
                for row in bucket.adyen:
                    row["Batch Number"] = str(batch)
                net = sum(
                    (
                        Decimal(r["Net Credit (NC)"] or "0") - Decimal(r["Net Debit (NC)"] or "0")
                        for r in bucket.adyen
                    ),
                    Decimal("0"),
                )
                payout = {
                    "Company Account": "LenderCo",
                    "Merchant Account": "LenderCoEU",
                    "Merchant Reference": "",
                    "Psp Reference": "",
                    "Creation Date": f"{day} 23:00:00",
                    "TimeZone": "CET",
                    "Type": "MerchantPayout",
                    "Modification Reference": f"PAYOUT-{batch}",
                    "Gross Currency": "EUR",
                    "Net Currency": "EUR",
                    "Exchange Rate": "1",
                    "Net Debit (NC)": f"{net:.2f}",
                    "Batch Number": str(batch),
                }
                bucket.adyen.append(payout)
                bank_ref = self._bank_ref("EU")
                self.by_day[book].eu_lines.append(
                    BankLine(
                        book,
                        net,
                        "RCDT",
                        bank_ref,
                        f"ADYEN-BATCH-{batch}",
                        f"ADYEN N.V. SETTLEMENT BATCH {batch} LENDERCOEU",
                        "Adyen N.V.",
                        "NL48ADYB0123456789",
                    )
                )
                self.truth.match(
                    "partner_bank", [f"adyen:batch-{batch}:MerchantPayout"], [bank_ref]
                )
            if bucket.stripe:
                payout_id = f"po_{self.rng.getrandbits(64):016x}"
                for row in bucket.stripe:
                    row["automatic_payout_id"] = payout_id
                    row["automatic_payout_effective_at"] = f"{day + timedelta(days=1)} 00:00:00"
                net = sum((Decimal(r["net"]) for r in bucket.stripe), Decimal("0"))
                txn = f"txn_{self.rng.getrandbits(64):016x}"
                bucket.stripe.append(
                    {
                        "balance_transaction_id": txn,
                        "created": f"{day} 23:30:00",
                        "available_on": day.isoformat(),
                        "currency": "usd",
                        "gross": f"{-net:.2f}",
                        "fee": "0.00",
                        "net": f"{-net:.2f}",
                        "reporting_category": "payout",
                        "description": "STRIPE PAYOUT",
                        "automatic_payout_id": payout_id,
                        "automatic_payout_effective_at": f"{day + timedelta(days=1)} 00:00:00",
                    }
                )
                bank_ref = self._bank_ref("US")
                self.by_day[book].us_lines.append(
                    BankLine(book, net, "195", bank_ref, payout_id, f"STRIPE TRANSFER {payout_id}")
                )
                self.truth.match("partner_bank", [f"stripe:{txn}:payout"], [bank_ref])

    def _bank_fees(self) -> None:
        for day in self.dates:
            if not self._old_enough(day, LEDGER_BANK_WINDOW):
                continue
            bank_ref = self._bank_ref("US")
            self.by_day[day].us_lines.append(
                BankLine(day, Decimal("-35.00"), "699", bank_ref, "", "SERVICE CHARGE ANALYSIS FEE")
            )
            self.truth.exception("ledger_bank", bank_ref, "UNEXPECTED_BANK_ITEM")

    def build(self) -> None:
        n = 0
        schedule = ["AMOUNT_MISMATCH", "CURRENCY_MISMATCH", "FEE_VARIANCE", "DUPLICATE"]
        for day in self.dates:
            planted = schedule + (
                ["MISSING_COUNTERPART"] if self._old_enough(day, LEDGER_PARTNER_WINDOW) else []
            )
            for _ in range(self.volume):
                n += 1
                roll = self.rng.random()
                if planted and roll < 0.75:
                    self._card_event(day, n, planted.pop())
                elif roll < 0.08:
                    self._ledger(
                        day,
                        "origination",
                        _money(self.rng.uniform(100, 3000)),
                        "USD",
                        f"OR-{n:08d}",
                        "internal",
                    )
                elif roll < 0.75:
                    self._card_event(day, n)
                else:
                    self._bank_event(day, n)
        self._close_ach_batches()
        self._close_partner_batches()
        self._bank_fees()


def _stamp(day: date) -> str:
    return f"{day:%Y-%m-%d}"


def generate(
    seed: int,
    start: date,
    days: int,
    volume: int,
    landing: Path,
    truth_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    noise: NoiseSpec | Mapping[str, float] | str | None = None,
) -> GeneratedFeeds:
    """Write the landing files for ``days`` days from ``start``; see the module docstring.

    ``noise`` (a :class:`NoiseSpec`, ``{kind: rate}`` or ``"kind=rate,..."``; see
    :mod:`lakehouse.synthetic.noise`) mangles partner and bank references before they
    are written; the truth stays the same.
    """
    spec = noise_.spec_of(noise)
    gen = Generator(seed, start, days, volume)
    gen.build()
    for day in gen.dates:
        bucket = gen.by_day[day]
        noise_.apply_to_day(
            seed, day, spec, bucket.adyen, bucket.stripe, [bucket.us_lines, bucket.eu_lines]
        )
    files: list[Path] = []

    def put(feed: str, name: str, data: bytes) -> None:
        path = landing / feed / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        files.append(path)

    balances = {"us": Decimal("2500000.00"), "eu": Decimal("1800000.00")}
    missing_eu_day = gen.dates[1] if len(gen.dates) >= 3 else None
    carried_eu: list[BankLine] = []
    for i, day in enumerate(gen.dates):
        bucket = gen.by_day[day]
        ledger_rows = bucket.ledger
        ledger_bytes = writers.ledger_csv(ledger_rows)
        if i == 0:
            # planted bad rows: an unparseable amount (bronze quarantine) and an
            # invalid currency (silver expectation -> silver quarantine)
            bad = writers.ledger_csv(
                [
                    {**ledger_rows[0], "entry_id": f"LE-{day:%Y%m%d}-BAD000001", "amount": "12,3x"},
                    {
                        **ledger_rows[0],
                        "entry_id": f"LE-{day:%Y%m%d}-BAD000002",
                        "currency": "EURO",
                    },
                ]
            ).split(b"\r\n", 1)[1]
            ledger_bytes += bad
        put("ledger", f"ledger_{_stamp(day)}.csv", ledger_bytes)
        if i == 1:
            # the ledger re-sends yesterday's export inside today's: duplicate rows
            prev = gen.by_day[gen.dates[0]].ledger[:5]
            put("ledger", f"ledger_{_stamp(day)}_resend.csv", writers.ledger_csv(prev))
        if bucket.adyen:
            put(
                "adyen",
                f"settlement_detail_report_batch_{1000 + i}_{_stamp(day)}.csv",
                writers.adyen_csv(bucket.adyen),
            )
        if bucket.stripe:
            # Stripe's report for day 0 is delivered late, with the next day's files.
            delivered = gen.dates[min(i + 1, len(gen.dates) - 1)] if i == 0 else day
            put(
                "stripe",
                f"balance_change_{_stamp(delivered)}_for_{day:%Y%m%d}.csv",
                writers.stripe_csv(bucket.stripe),
            )
        created = datetime.combine(day + timedelta(days=1), time(6, 0))
        if bucket.ach_returns:
            returns = writers.nacha_returns(
                bucket.ach_returns, created, day, ODFI_ROUTING, "1234567890", "LENDERCO"
            )
            put("nacha", f"ach_returns_{_stamp(day)}.ach", returns)
        us = Statement(US_ACCOUNT, "USD", day, balances["us"], bucket.us_lines)
        balances["us"] = us.closing
        put("bai2", f"bai2_{_stamp(day)}.bai", writers.bai2([us], created, "121000248", "LENDERCO"))
        if day == missing_eu_day:
            carried_eu = list(bucket.eu_lines)  # the bank skipped this day's statement
            continue
        eu = Statement(EU_ACCOUNT, "EUR", day, balances["eu"], carried_eu + bucket.eu_lines)
        carried_eu = []
        balances["eu"] = eu.closing
        eu_bytes = writers.camt053(eu, created, f"CAMT{day:%Y%m%d}")
        put("camt053", f"camt053_{_stamp(day)}.xml", eu_bytes)
        if i == 0:
            put("camt053", f"camt053_{_stamp(day)}_copy.xml", eu_bytes)  # duplicate delivery
    if truth_dir is not None:
        gen.truth.write(truth_dir)
    n_events = sum(len(gen.by_day[d].ledger) for d in gen.dates)
    if progress:
        progress(f"generated {len(files)} files, {n_events} ledger events over {days} days")
    return GeneratedFeeds(files, gen.truth, gen.dates, n_events)
