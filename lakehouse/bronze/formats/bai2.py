"""BAI2 (Cash Management Balance Reporting Specification, version 2) parser.

``parse(data, path)`` is pure (bytes in, :class:`ParsedFile` out) and guarantees:

* It returns a :class:`ParsedFile` or raises :class:`FileRejected`; no other exception
  escapes for any input (checked with random bytes and truncated real files).
* Structure: ``01`` file header, then ``02`` groups, each with ``03`` accounts made of
  ``16`` details and a ``49`` trailer, each group closed by ``98`` and the file by
  ``99``. Anything else (no ``01``, no ``99``, a missing ``49``/``98``, an unknown
  record code, a record after the ``99``, a non-numeric amount, count or date in a
  structural field, an unknown funds type) rejects the file with the line number.
* Control totals: each ``49`` total must equal the sum of all amounts *as written*
  (signed) in the account's ``03`` summaries and ``16`` details; each ``98`` total the
  sum of its accounts; the ``99`` total the sum of its groups. The mismatches are named
  in the rejection reason (``control totals do not tie: account 12345 trailer 49 total
  100.00 != computed 90.00; ...``, the first five and a count of the rest). Structural
  rejections start with ``malformed:`` and name the line.
  Amounts of the funds-type breakdowns (``S``/``D``) are availability splits of an amount
  already counted and are not added. A blank control-total field is a warning, not a
  rejection. Record counts (``49``/``98``/``99``) and account/group counts that do not
  tie only add a warning: the money is all there.
* Opening + credits - debits = closing is **not** checked. The BAI2 spec does not
  require it, the ``100``/``400`` summaries often cover items the file does not detail
  (intraday, float, corrections) and many real files (group status 3 corrections, files
  without 010/015) do not satisfy it. Balance continuity is a silver/gold rule.

Rows (``BANK_COLUMNS``):

* ``BALANCE`` rows: one per ``03`` summary with an amount. ``010``/``015``/``040``/``045``
  map to ``OPBD``/``CLBD``/``OPAV``/``CLAV``; every other summary code is kept as
  ``balance_type = "BAI:<code>"`` (e.g. ``BAI:100`` total credits, ``BAI:072``).
  ``credit_debit`` is the sign for status codes (< 100) and codes >= 700, CRDT for
  100-399 and DBIT for 400-699; ``amount`` is unsigned.
* ``TXN`` rows: one per ``16`` record. Type codes 100-399 are CRDT, 400-699 DBIT.
  A ``16`` that cannot be booked (type code outside 100-699, blank or negative amount)
  goes to ``quarantine`` with the reason; its amount still counts in the control totals.
  ``reversal`` is ``"true"`` when the text carries an ACH return reason
  (``Reason: "R02"``), which is then ``return_reason``.
* ``description`` joins the ``16`` text and its ``88`` continuations with a space; a
  trailing ``/`` terminator (and a ``,`` just before it) is dropped, so text that really
  ends in ``/`` loses it. ``raw`` keeps every physical record verbatim.
* Currency: account currency, else group currency, else USD; amounts have the
  currency's implied decimals (2; 0 for JPY, KRW, ...; 3 for BHD, KWD, ...).
* ``statement_id`` is ``<group index>:<account>:<as-of date>``; ``row_number`` numbers the
  rows (summaries, then details, in file order; quarantined details included) from 1, so
  it is unique in the file even when one line holds several records or summaries. A
  quarantine reason names the physical line. Dates: YYMMDD with the ``%y`` pivot
  (69-99 -> 19xx).
* ``totals``: ``file_control_total`` (the ``99`` total, or the computed one if blank),
  ``credits`` and ``debits`` (sums of the TXN rows), as decimal strings in major units.
  When the file mixes currencies with different decimals, ``file_control_total`` is
  shown with 2 and a warning says so.

Layout quirks handled: several records on one physical line (split where ``/`` is
followed by a record code and a comma), CRLF/LF/CR, missing ``/`` terminators, ``16``
text containing commas and ``/`` (the text is everything after the fixed fields),
``88`` lines starting with ``/``, a ``16``/``88`` text without ``/`` wrapped onto the
next line without an ``88`` (the line carries on the text; it is not counted as a
record), ``88`` continuing an ``03`` in the middle of a
type/amount group, trailing commas, ``+`` signs, zero padding, funds types
``0``/``1``/``2``/``S``/``V``/``D``/``Z``. Known limit: inside ``16``/``88`` text, a ``/``
directly followed by a record code and a comma (``/16,``) is read as a record boundary.
Undecodable UTF-8 is read as Latin-1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from lakehouse.bronze.formats.bank import bank_row, from_minor_units, yymmdd_date
from lakehouse.bronze.formats.base import (
    BANK_COLUMNS,
    FileRejected,
    Malformed,
    ParsedFile,
    ParsedRow,
    QuarantinedRow,
    decode_text,
    problems_reason,
    rejecting,
)
from lakehouse.iso4217 import minor_units

__all__ = ["FORMAT", "parse"]

FORMAT = "bai2"

_RECORD_CODES = ("01", "02", "03", "16", "49", "88", "98", "99")
_RECORD_START = re.compile(r"[ \t]*(\d\d),")
_NEXT_RECORD = re.compile(r"/(?=[ \t]*(?:01|02|03|16|49|88|98|99),)")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_NON_BLANK = re.compile(r"\S")
_AMOUNT = re.compile(r"[+-]?[0-9]+")
_RETURN_REASON = re.compile(r'Reason:\s*"?\s*(R\d\d)\b')
_MAX_AMOUNT_DIGITS = 18

_BALANCE_TYPES = {"010": "OPBD", "015": "CLBD", "040": "OPAV", "045": "CLAV"}
_DEFAULT_CURRENCY = "USD"
_WRAPPED = ""  # code of a physical line that carries on the text of an unterminated 16/88


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class _Physical:
    """One physical record: its code, the text after ``NN,``, its line and raw text."""

    code: str
    body: str
    line: int
    raw: str


@dataclass
class _Record:
    """A logical record: a physical record plus its ``88`` continuations."""

    code: str
    line: int
    bodies: list[str] = field(default_factory=list)
    raws: list[str] = field(default_factory=list)
    wrapped: int = 0  # text lines without a record code: not records, so not counted

    @property
    def physical_count(self) -> int:
        return len(self.bodies) - self.wrapped

    @property
    def raw(self) -> str:
        return "\n".join(self.raws)


def _record_end(line: str, start: int, text_mode: bool) -> int:
    """Index just past the record that starts at ``start`` on ``line``."""
    if text_mode:
        nxt = _NEXT_RECORD.search(line, start)
        return nxt.start() + 1 if nxt else len(line)
    slash = line.find("/", start)
    return slash + 1 if slash >= 0 else len(line)


def _split_records(text: str) -> list[_Physical]:
    """Cut the text into physical records (several may share one line).

    A line without a record code right after a ``16`` or ``88`` whose text has no ``/``
    terminator carries on that text (some banks wrap long texts without an ``88``).
    """
    records: list[_Physical] = []
    text_mode = False  # inside a 16 and its 88s: '/' may be part of the text
    for line_no, line in enumerate(_LINE_BREAK.split(text), start=1):
        pos = 0
        while _NON_BLANK.search(line, pos):
            match = _RECORD_START.match(line, pos)
            if match is None or match.group(1) not in _RECORD_CODES:
                if pos == 0 and text_mode and not records[-1].raw.endswith("/"):
                    pos = _record_end(line, 0, text_mode)
                    records.append(_Physical(_WRAPPED, line[:pos], line_no, line[:pos].strip()))
                    continue
                found = line[pos:].strip()[:20]
                raise Malformed(f"line {line_no}: expected a BAI2 record code, found {found!r}")
            code = match.group(1)
            if code != "88":
                text_mode = code == "16"
            end = _record_end(line, match.end(), text_mode)
            records.append(_Physical(code, line[match.end() : end], line_no, line[pos:end].strip()))
            pos = end
    return records


def _logical_records(physical: list[_Physical]) -> list[_Record]:
    """Attach every ``88`` to the record it continues."""
    records: list[_Record] = []
    for rec in physical:
        if rec.code in ("88", _WRAPPED):
            if not records:
                raise Malformed(f"line {rec.line}: 88 continuation without a record before it")
            records[-1].bodies.append(rec.body)
            records[-1].raws.append(rec.raw)
            records[-1].wrapped += rec.code == _WRAPPED
        else:
            records.append(_Record(rec.code, rec.line, [rec.body], [rec.raw]))
    return records


class _Fields:
    """Reads the comma-separated fields of a record across its ``88`` continuations.

    A ``/`` ends the current physical record; the next field then comes from the next
    continuation. Missing fields read as ``""``.
    """

    def __init__(self, record: _Record) -> None:
        self._bodies = record.bodies
        self._index = 0
        self._pos = 0
        self._done = False  # the current body has no more fields
        self._slash = self._bodies[0].find("/") if self._bodies else -1
        self.line = record.line

    def _skip_finished(self) -> None:
        while self._index < len(self._bodies) and self._done:
            self._index += 1
            self._pos = 0
            self._done = False
            if self._index < len(self._bodies):
                self._slash = self._bodies[self._index].find("/")

    def has_more(self) -> bool:
        self._skip_finished()
        return self._index < len(self._bodies)

    def next(self) -> str:
        if not self.has_more():
            return ""
        body = self._bodies[self._index]
        slash = self._slash  # the body ends at its first '/': fields never pass it
        comma = body.find(",", self._pos, slash if slash >= 0 else len(body))
        if comma >= 0:
            value, self._pos = body[self._pos : comma], comma + 1
        else:
            end = slash if slash >= 0 else len(body)
            value, self._done = body[self._pos : end], True
        return value.strip()

    def rest_text(self) -> list[str]:
        """The free text: the rest of the current body plus every later continuation."""
        self._skip_finished()
        if self._index >= len(self._bodies):
            return []
        parts = [self._bodies[self._index][self._pos :], *self._bodies[self._index + 1 :]]
        self._index, self._done = len(self._bodies), True
        return [text for text in (_clean_text(p) for p in parts) if text]


def _clean_text(part: str) -> str:
    text = part.strip()
    if text.endswith("/"):
        text = text[:-1].rstrip().rstrip(",")
    return text.strip()


# --------------------------------------------------------------------------- values


def _amount(value: str, what: str, line: int) -> int | None:
    """A BAI2 amount in minor units as written (sign kept); ``None`` when blank."""
    if value == "":
        return None
    if not _AMOUNT.fullmatch(value):
        raise Malformed(f"line {line}: {what} {value[:30]!r} is not a number")
    if len(value.lstrip("+-").lstrip("0")) > _MAX_AMOUNT_DIGITS:
        raise Malformed(f"line {line}: {what} {value[:30]!r} has more than 18 digits")
    return int(value)


def _count(value: str, what: str, line: int) -> int | None:
    number = _amount(value, what, line)
    if number is not None and number < 0:
        raise Malformed(f"line {line}: {what} {value!r} is negative")
    return number


def _date(value: str, what: str, line: int) -> str:
    iso = yymmdd_date(value)
    if iso is None:
        raise Malformed(f"line {line}: {what} {value[:30]!r} is not a YYMMDD date")
    return iso


def _currency(value: str, line: int) -> str | None:
    code = value.strip().upper()
    if code == "":
        return None
    if not (len(code) == 3 and code.isascii() and code.isalpha()):
        raise Malformed(f"line {line}: currency {value[:30]!r} is not an ISO 4217 code")
    return code


def _type_code(value: str, what: str, line: int) -> str:
    if not (len(value) == 3 and value.isascii() and value.isdigit()):
        raise Malformed(f"line {line}: {what} {value[:30]!r} is not a 3-digit type code")
    return value


@dataclass(frozen=True)
class _Funds:
    """The funds-type part of a type/amount group; only the value date is reported."""

    value_date: str | None = None


def _read_funds(fields: _Fields) -> _Funds:
    """Consume the funds type and its extra fields (S: 3 amounts, V: date+time, D: n pairs)."""
    funds_type = fields.next().upper()
    line = fields.line
    if funds_type in ("", "0", "1", "2", "Z"):
        return _Funds()
    if funds_type == "S":
        for label in ("immediate", "one-day", "two-or-more-day"):
            _amount(fields.next(), f"funds type S {label} amount", line)
        return _Funds()
    if funds_type == "V":
        value_date = _date(fields.next(), "funds type V value date", line)
        fields.next()  # value time (HHMM, optional)
        return _Funds(value_date)
    if funds_type == "D":
        _read_distributions(fields)
        return _Funds()
    raise Malformed(f"line {line}: unknown funds type {funds_type[:10]!r}")


def _read_distributions(fields: _Fields) -> None:
    line = fields.line
    count = _count(fields.next(), "funds type D distribution count", line) or 0
    for number in range(1, count + 1):
        if not fields.has_more():
            raise Malformed(
                f"line {line}: funds type D declares {count} distributions, "
                f"the record ends after {number - 1}"
            )
        _count(fields.next(), "funds type D availability days", line)
        _amount(fields.next(), "funds type D amount", line)


# --------------------------------------------------------------------------- parser


@dataclass
class _Group:
    index: int
    as_of: str
    currency: str | None
    line: int
    computed: int = 0
    accounts: int = 0
    records: int = 0


@dataclass
class _Account:
    number: str
    currency: str
    statement_id: str
    line: int
    computed: int = 0
    records: int = 0


class _Parser:
    """Walks the logical records once, building rows and checking the controls."""

    def __init__(self, records: list[_Record]) -> None:
        self._records = records
        self._pos = 0
        self.rows: list[ParsedRow] = []
        self.quarantine: list[QuarantinedRow] = []
        self.warnings: list[str] = []
        self.errors: list[str] = []
        self.accounts: list[str] = []
        self.currencies: list[str] = []
        self.entries = 0
        self.credits: dict[int, int] = {}  # exponent -> minor units
        self.debits: dict[int, int] = {}
        self.file_total = 0
        self.exponent = 2  # decimals used for file-level totals
        self._row_count = 0

    def _next_row(self) -> int:
        self._row_count += 1
        return self._row_count

    # -- navigation

    def _peek(self) -> _Record | None:
        return self._records[self._pos] if self._pos < len(self._records) else None

    def _take(self, code: str, owner: str, what: str) -> _Record:
        """The next record, which must be a ``code`` record: ``owner`` has no ``what`` else."""
        record = self._peek()
        if record is None:
            raise Malformed(f"{owner} has no {what} (truncated file?)")
        if record.code != code:
            raise Malformed(f"line {record.line}: {owner} has no {what}: found {record.code}")
        self._pos += 1
        return record

    # -- file

    def run(self) -> None:
        header = self._peek()
        if header is None or header.code != "01":
            found = "an empty file" if header is None else f"{header.code} at line {header.line}"
            raise Malformed(f"no 01 file header: found {found}")
        self._pos += 1
        self._check_version(header)
        records, groups, computed = header.physical_count, 0, 0
        while (nxt := self._peek()) is not None and nxt.code == "02":
            group = self._group(groups + 1)
            groups += 1
            records += group.records
            computed += group.computed
        trailer = self._take("99", "the file", "99 file trailer")
        records += trailer.physical_count
        if (extra := self._peek()) is not None:
            raise Malformed(f"line {extra.line}: {extra.code} record after the 99 file trailer")
        self.exponent = self._common_exponent()
        self._check_file_trailer(trailer, computed, groups, records)

    def _check_version(self, header: _Record) -> None:
        fields = _Fields(header)
        values = [fields.next() for _ in range(8)]
        if values[7] not in ("2", "02"):
            self.warnings.append(f"01 file header version {values[7]!r} is not 2 (BAI2)")

    def _check_file_trailer(self, trailer: _Record, computed: int, groups: int, n: int) -> None:
        fields = _Fields(trailer)
        total = _amount(fields.next(), "99 file control total", trailer.line)
        self._check_total("file trailer 99", total, computed, self.exponent)
        self._check_count("file trailer 99 number of groups", fields.next(), groups, trailer.line)
        self._check_count("file trailer 99 number of records", fields.next(), n, trailer.line)
        self.file_total = computed if total is None else total

    # -- group

    def _group(self, index: int) -> _Group:
        header = self._take("02", "the file", "02 group header")
        fields = _Fields(header)
        values = [fields.next() for _ in range(7)]
        as_of = _date(values[3], "02 group as-of date", header.line)
        group = _Group(index, as_of, _currency(values[5], header.line), header.line)
        group.records = header.physical_count
        if values[2] not in ("1", ""):
            self.warnings.append(
                f"group {index} (line {header.line}) has group status "
                f"{values[2]!r} (1 = update, 2 = deletion, 3 = correction, "
                "4 = test only)"
            )
        while (nxt := self._peek()) is not None and nxt.code == "03":
            account = self._account(group)
            group.accounts += 1
            group.records += account.records
            group.computed += account.computed
        trailer = self._take("98", f"group {index} (line {header.line})", "98 group trailer")
        group.records += trailer.physical_count
        self._check_group_trailer(group, trailer)
        return group

    def _check_group_trailer(self, group: _Group, trailer: _Record) -> None:
        fields = _Fields(trailer)
        what = f"group {group.index} trailer 98"
        total = _amount(fields.next(), f"{what} control total", trailer.line)
        exponent = minor_units(group.currency or _DEFAULT_CURRENCY)
        self._check_total(what, total, group.computed, exponent)
        line = trailer.line
        self._check_count(f"{what} number of accounts", fields.next(), group.accounts, line)
        self._check_count(f"{what} number of records", fields.next(), group.records, line)

    # -- account

    def _account(self, group: _Group) -> _Account:
        header = self._take("03", f"group {group.index}", "03 account identifier")
        fields = _Fields(header)
        number = fields.next()
        if number == "":
            raise Malformed(f"line {header.line}: 03 account identifier has no account number")
        currency = _currency(fields.next(), header.line) or group.currency or _DEFAULT_CURRENCY
        statement_id = f"{group.index}:{number}:{group.as_of}"
        account = _Account(number, currency, statement_id, header.line)
        account.records = header.physical_count
        self._note_account(account)
        self._summaries(fields, header, account, group)
        while (nxt := self._peek()) is not None and nxt.code == "16":
            self._pos += 1
            account.records += nxt.physical_count
            self._detail(nxt, account, group)
        trailer = self._take("49", f"account {number} (line {header.line})", "49 account trailer")
        account.records += trailer.physical_count
        self._check_account_trailer(account, trailer)
        return account

    def _note_account(self, account: _Account) -> None:
        if account.number not in self.accounts:
            self.accounts.append(account.number)
        if account.currency not in self.currencies:
            self.currencies.append(account.currency)

    def _summaries(self, fields: _Fields, rec: _Record, account: _Account, group: _Group) -> None:
        while fields.has_more():
            code = fields.next()
            if code == "":  # empty group or trailing comma
                continue
            code = _type_code(code, "03 summary type code", rec.line)
            amount = _amount(fields.next(), f"03 summary {code} amount", rec.line)
            _count(fields.next(), f"03 summary {code} item count", rec.line)
            funds = _read_funds(fields)
            if amount is None:
                continue
            account.computed += amount
            self.rows.append(
                ParsedRow(
                    self._next_row(), self._balance_row(code, amount, funds, rec, account, group)
                )
            )

    def _balance_row(
        self, code: str, amount: int, funds: _Funds, rec: _Record, account: _Account, group: _Group
    ) -> dict[str, str | None]:
        direction = "DBIT" if amount < 0 else "CRDT"
        if 100 <= int(code) < 400:
            direction = "CRDT"
        elif 400 <= int(code) < 700:
            direction = "DBIT"
        return bank_row(
            record_type="BALANCE",
            statement_id=account.statement_id,
            account_id=account.number,
            currency=account.currency,
            booking_date=group.as_of,
            value_date=funds.value_date,
            amount=str(from_minor_units(abs(amount), minor_units(account.currency))),
            credit_debit=direction,
            reversal="false",
            balance_type=_BALANCE_TYPES.get(code, f"BAI:{code}"),
            type_code=code,
            raw=rec.raw,
        )

    def _detail(self, rec: _Record, account: _Account, group: _Group) -> None:
        self.entries += 1
        fields = _Fields(rec)
        code = _type_code(fields.next(), "16 type code", rec.line)
        amount = _amount(fields.next(), f"16 type {code} amount", rec.line)
        funds = _read_funds(fields)
        bank_ref, customer_ref = fields.next(), fields.next()
        text = " ".join(fields.rest_text())
        account.computed += amount or 0
        problem = _unbookable(code, amount)
        if problem is not None or amount is None:
            why = f"line {rec.line}: {problem or 'no amount'}"
            self.quarantine.append(QuarantinedRow(self._next_row(), rec.raw, why))
            return
        direction = "CRDT" if int(code) < 400 else "DBIT"
        totals = self.credits if direction == "CRDT" else self.debits
        exponent = minor_units(account.currency)
        totals[exponent] = totals.get(exponent, 0) + amount
        reason = _RETURN_REASON.search(text)
        self.rows.append(
            ParsedRow(
                self._next_row(),
                bank_row(
                    record_type="TXN",
                    statement_id=account.statement_id,
                    account_id=account.number,
                    currency=account.currency,
                    booking_date=group.as_of,
                    value_date=funds.value_date,
                    amount=str(from_minor_units(amount, exponent)),
                    credit_debit=direction,
                    reversal="true" if reason else "false",
                    type_code=code,
                    bank_reference=bank_ref or None,
                    customer_reference=customer_ref or None,
                    description=text or None,
                    return_reason=reason.group(1) if reason else None,
                    raw=rec.raw,
                ),
            )
        )

    def _check_account_trailer(self, account: _Account, trailer: _Record) -> None:
        fields = _Fields(trailer)
        what = f"account {account.number} trailer 49"
        total = _amount(fields.next(), f"{what} control total", trailer.line)
        self._check_total(what, total, account.computed, minor_units(account.currency))
        line = trailer.line
        self._check_count(f"{what} number of records", fields.next(), account.records, line)

    # -- controls

    def _check_total(self, what: str, written: int | None, computed: int, exponent: int) -> None:
        if written is None:
            self.warnings.append(f"{what} control total is blank; not checked")
        elif written != computed:
            stated = from_minor_units(written, exponent)
            counted = from_minor_units(computed, exponent)
            self.errors.append(f"{what} total {stated} != computed {counted}")

    def _check_count(self, what: str, value: str, computed: int, line: int) -> None:
        written = _count(value, what, line)
        if written is None:
            self.warnings.append(f"{what} is blank; not checked")
        elif written != computed:
            self.warnings.append(f"{what} {written} != counted {computed}")

    def _common_exponent(self) -> int:
        exponents = {minor_units(c) for c in self.currencies}
        if len(exponents) > 1:
            self.warnings.append(
                "the file mixes currencies with different decimal places; "
                "file totals are shown with 2 decimals"
            )
        return exponents.pop() if len(exponents) == 1 else 2

    def totals(self) -> dict[str, str]:
        return {
            "file_control_total": str(from_minor_units(self.file_total, self.exponent)),
            "credits": str(_sum_major(self.credits, self.exponent)),
            "debits": str(_sum_major(self.debits, self.exponent)),
        }


def _unbookable(code: str, amount: int | None) -> str | None:
    """Why a 16 record cannot become a TXN row, or None when it can."""
    if not 100 <= int(code) < 700:
        return f"type code {code} is not a credit (100-399) or debit (400-699) detail code"
    if amount is None:
        return f"16 type {code} has no amount"
    if amount < 0:
        return f"16 type {code} amount {amount} is negative (BAI2 detail amounts are unsigned)"
    return None


def _sum_major(by_exponent: dict[int, int], exponent: int) -> Decimal:
    total = from_minor_units(0, exponent)
    for exp, minor in sorted(by_exponent.items()):
        total += from_minor_units(minor, exp)
    return total


def parse(data: bytes, path: str) -> ParsedFile:
    """Parse a BAI2 file; raises FileRejected when it is not BAI2 or does not tie."""
    with rejecting(path):
        text, decode_warnings = decode_text(data)
        parser = _Parser(_logical_records(_split_records(text)))
        parser.run()
        if parser.errors:
            reason = problems_reason("control totals do not tie", parser.errors)
            raise FileRejected(reason)
    return ParsedFile(
        format=FORMAT,
        columns=BANK_COLUMNS,
        rows=parser.rows,
        quarantine=parser.quarantine,
        entries=parser.entries,
        accounts=parser.accounts,
        currencies=parser.currencies,
        totals=parser.totals(),
        warnings=[*decode_warnings, *parser.warnings],
    )
