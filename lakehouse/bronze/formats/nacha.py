"""NACHA (ACH) file parser.

``parse(data, path)`` is pure (bytes in, :class:`ParsedFile` out) and guarantees:

* It returns a :class:`ParsedFile` or raises :class:`FileRejected`; no other exception
  escapes for any input (checked with random bytes and truncated real files).
* Records are 94 characters: ``1`` file header, ``5`` batch header, ``6`` entry detail,
  ``7`` addenda, ``8`` batch control, ``9`` file control, then ``999...`` padding.
  Right-trimmed lines are padded back to 94; a line holding several unbroken 94-char
  records is split. A missing file header, batch control or file control, a record
  outside its batch, an addenda without an entry, a record after the file control, a
  non-numeric amount/routing/control field or an unknown transaction code rejects the
  file with ``malformed: ...`` and the line.
* Controls (batch ``8`` and file ``9``): entry hash (sum of the 8-digit RDFI routing
  numbers, last 10 digits) and total debit / credit amounts must tie, else
  ``control totals do not tie: ...`` names the mismatches (the first five and a count of
  the rest). Entry/addenda count, batch count and block count (records incl. padding /
  10, rounded up) that do not tie, and a batch control whose service class or batch
  number differs from its header, only add a warning.

Rows (``BANK_COLUMNS``), one ``TXN`` per ``6`` record:

* ``account_id`` is the batch company identification (IAT: originator identification),
  ``counterparty_account`` the DFI account number (IAT: foreign receiver's account),
  ``counterparty_name`` the individual / receiving company name (CTX/TRX: receiving
  company, CIE/MTE: individual name; IAT: addenda ``10``), ``customer_reference`` the
  individual identification number, ``bank_reference`` the trace number.
* ``amount`` is cents / 100 in USD. ``credit_debit`` is the entry direction as the
  transaction code states it: 21-24, 31-34, 41-44, 51-54 CRDT (x1 = return/NOC of a
  credit), 26-29, 36-39, 46-49, 55-56 DBIT (x6 = return/NOC of a debit). It is the
  direction for the *receiver's* account; an originated file's offset to our own account
  has the opposite sign.
* ``return_reason`` is the R-code of an addenda ``99`` (return, dishonored or contested
  return) or the C-code of an addenda ``98`` (notification of change). ``reversal`` is
  ``"true"`` for returns (R-codes) and for entries of a batch whose company entry
  description is ``REVERSAL`` (the NACHA rule for reversing entries).
* ``booking_date`` is the batch effective entry date; when that is not a date (returns
  often carry ``000000``) the file creation date is used and a warning says so.
* ``description`` joins the SEC code, the company entry description and the payment
  related information of addenda ``05`` (IAT: ``17``); ``raw`` is the ``6`` record and
  its addenda lines as written; ``statement_id`` the batch number.
* ``totals``: ``credits`` and ``debits`` (file control totals, equal to the computed
  ones) as decimal strings in dollars, and the file ``entry_hash``.
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
    decode_text,
    problems_reason,
    rejecting,
)

__all__ = ["FORMAT", "parse"]

FORMAT = "nacha"

_RECORD_LENGTH = 94
_BLOCKING_FACTOR = 10
_HASH_MODULUS = 10**10
_RECORD_TYPES = frozenset("156789")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_CURRENCY = "USD"
# DDA (2x), savings (3x), general ledger (4x), loan (5x); x1/x6 are returns/NOCs of x2-x4/x7-x9
_CREDIT_CODES = frozenset(
    {"21", "22", "23", "24", "31", "32", "33", "34"}
    | {"41", "42", "43", "44", "51", "52", "53", "54"}
)
_DEBIT_CODES = frozenset(
    {"26", "27", "28", "29", "36", "37", "38", "39"} | {"46", "47", "48", "49", "55", "56"}
)


@dataclass(frozen=True)
class _Line:
    """One 94-character record (padded), its 1-based position and its text as written."""

    row: int
    text: str
    raw: str

    @property
    def kind(self) -> str:
        return self.text[0]

    @property
    def is_padding(self) -> bool:
        return self.text == "9" * _RECORD_LENGTH

    def field(self, start: int, end: int) -> str:
        """Columns ``start``..``end`` (1-based, inclusive) as in the NACHA layouts."""
        return self.text[start - 1 : end]

    def number(self, start: int, end: int, what: str) -> int:
        value = self.field(start, end).strip()
        if not (value.isascii() and value.isdigit()):
            raise Malformed(f"line {self.row}: {what} {value!r} is not a number")
        return int(value)


# --------------------------------------------------------------------------- lines


def _chunks(line: str, row: int) -> list[str]:
    """Split a line into records: one (maybe right-trimmed) record or several unbroken ones."""
    stripped = line.rstrip()
    if len(stripped) <= _RECORD_LENGTH:
        return [stripped]
    unbroken = len(line) % _RECORD_LENGTH == 0 or len(stripped) % _RECORD_LENGTH == 0
    parts = [stripped[i : i + _RECORD_LENGTH] for i in range(0, len(stripped), _RECORD_LENGTH)]
    if not unbroken or any(part[0] not in _RECORD_TYPES for part in parts):
        raise Malformed(
            f"line {row} is {len(stripped)} characters long; NACHA records are {_RECORD_LENGTH}"
        )
    return parts


def _lines(text: str) -> list[_Line]:
    records: list[_Line] = []
    row = 0
    for line in _LINE_BREAK.split(text):
        if not line.strip():
            row += 1
            continue
        for part in _chunks(line, row + 1):
            row += 1
            records.append(_Line(row, part.ljust(_RECORD_LENGTH), part))
    return records


def _dollars(cents: int) -> Decimal:
    return from_minor_units(cents, 2)


def _direction(line: _Line) -> str:
    code = line.field(2, 3)
    if code in _CREDIT_CODES:
        return "CRDT"
    if code in _DEBIT_CODES:
        return "DBIT"
    raise Malformed(
        f"line {line.row}: transaction code {code!r} is not an ACH entry code "
        "(21-24, 26-29, 31-34, 36-39, 41-44, 46-49, 51-56)"
    )


def _join(*parts: str | None) -> str | None:
    text = " ".join(p.strip() for p in parts if p and p.strip())
    return text or None


# --------------------------------------------------------------------------- model


@dataclass
class _Batch:
    header: _Line
    sec: str
    company_id: str
    description: str
    booking_date: str | None
    number: str
    reversal: bool
    records: int = 0  # entry + addenda records, as the batch control counts them
    entry_hash: int = 0
    debits: int = 0
    credits: int = 0


@dataclass
class _Entry:
    line: _Line
    addenda: list[_Line] = field(default_factory=list)

    def addenda_of(self, *types: str) -> list[_Line]:
        return [a for a in self.addenda if a.field(2, 3) in types]


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, lines: list[_Line]) -> None:
        self._lines = lines
        self._pos = 0
        self.rows: list[ParsedRow] = []
        self.warnings: list[str] = []
        self.errors: list[str] = []
        self.accounts: list[str] = []
        self.entries = 0
        self.batches = 0
        self.creation_date: str | None = None
        self.totals: dict[str, str] = {}

    def _peek(self) -> _Line | None:
        return self._lines[self._pos] if self._pos < len(self._lines) else None

    def run(self) -> None:
        header = self._peek()
        if header is None or header.kind != "1":
            found = (
                "an empty file"
                if header is None
                else (f"a type {header.kind!r} record at line {header.row}")
            )
            raise Malformed(f"no file header (1) record: found {found}")
        self._pos += 1
        self.creation_date = yymmdd_date(header.field(24, 29))
        batches: list[_Batch] = []
        while (nxt := self._peek()) is not None and nxt.kind == "5":
            batches.append(self._batch(len(batches) + 1))
        control = self._file_control()
        self._check_file(control, batches)
        self._check_padding()

    # -- file control

    def _file_control(self) -> _Line:
        line = self._peek()
        if line is None:
            raise Malformed("no file control (9) record (truncated file?)")
        if line.kind != "9" or line.is_padding:
            where = "padding" if line.is_padding else f"a type {line.kind!r} record"
            raise Malformed(
                f"no file control (9) record: found {where} at line {line.row} "
                "where a batch header (5) or the file control was expected"
            )
        self._pos += 1
        return line

    def _check_padding(self) -> None:
        for line in self._lines[self._pos :]:
            if not line.is_padding:
                raise Malformed(
                    f"line {line.row}: a type {line.kind!r} record after the file "
                    "control (9); only 9-filled padding may follow it"
                )

    def _check_file(self, control: _Line, batches: list[_Batch]) -> None:
        entry_hash = sum(b.entry_hash for b in batches) % _HASH_MODULUS
        debits, credits = sum(b.debits for b in batches), sum(b.credits for b in batches)
        blocks = -(-len(self._lines) // _BLOCKING_FACTOR)
        what = "file control (9)"
        self._check_count(f"{what} batch count", control.number(2, 7, "batch count"), len(batches))
        self._check_count(f"{what} block count", control.number(8, 13, "block count"), blocks)
        self._check_count(
            f"{what} entry/addenda count",
            control.number(14, 21, "entry/addenda count"),
            sum(b.records for b in batches),
        )
        self._check_hash(what, control.number(22, 31, "entry hash"), entry_hash)
        self._check_amount(f"{what} total debit", control.number(32, 43, "total debit"), debits)
        self._check_amount(f"{what} total credit", control.number(44, 55, "total credit"), credits)
        self.totals = {
            "credits": str(_dollars(credits)),
            "debits": str(_dollars(debits)),
            "entry_hash": f"{entry_hash:010d}",
        }

    # -- batch

    def _batch(self, index: int) -> _Batch:
        header = self._lines[self._pos]
        self._pos += 1
        self.batches += 1
        batch = self._batch_header(header, index)
        while (nxt := self._peek()) is not None and nxt.kind in "67":
            if nxt.kind == "7":
                raise Malformed(
                    f"line {nxt.row}: addenda (7) record that does not follow an entry detail (6)"
                )
            self._entry(batch)
        control = self._peek()
        if control is None or control.kind != "8":
            found = "the end of the file" if control is None else f"line {control.row}"
            raise Malformed(
                f"batch {batch.number} (line {header.row}) has no batch control "
                f"(8) record: found {found}"
            )
        self._pos += 1
        self._check_batch(batch, control)
        return batch

    def _batch_header(self, header: _Line, index: int) -> _Batch:
        description = header.field(54, 63).strip()
        effective = header.field(70, 75)
        booking_date = yymmdd_date(effective)
        if booking_date is None:
            booking_date = self.creation_date
            fallback = f"the file creation date {booking_date}" if booking_date else "empty"
            self.warnings.append(
                f"batch {index} (line {header.row}): effective entry date "
                f"{effective!r} is not a date; booking_date is {fallback}"
            )
        company_id = header.field(41, 50).strip()
        if company_id and company_id not in self.accounts:
            self.accounts.append(company_id)
        return _Batch(
            header=header,
            sec=header.field(51, 53).strip(),
            company_id=company_id,
            description=description,
            booking_date=booking_date,
            number=header.field(88, 94).strip(),
            reversal=description.upper() == "REVERSAL",
        )

    def _entry(self, batch: _Batch) -> None:
        entry = _Entry(self._lines[self._pos])
        self._pos += 1
        while (nxt := self._peek()) is not None and nxt.kind == "7":
            entry.addenda.append(nxt)
            self._pos += 1
        line = entry.line
        direction = _direction(line)
        amount = line.number(30, 39, "entry amount")
        batch.entry_hash += line.number(4, 11, "RDFI routing number")
        batch.records += 1 + len(entry.addenda)
        if direction == "CRDT":
            batch.credits += amount
        else:
            batch.debits += amount
        self.entries += 1
        self.rows.append(ParsedRow(line.row, self._entry_row(batch, entry, direction, amount)))

    def _entry_row(
        self, batch: _Batch, entry: _Entry, direction: str, amount: int
    ) -> dict[str, str | None]:
        line = entry.line
        name, account, customer_ref = _parties(batch.sec, entry)
        reason = _reason(entry)
        is_return = reason is not None and reason.startswith("R")
        info = [a.field(4, 83) for a in entry.addenda_of("05", "17")]
        return bank_row(
            record_type="TXN",
            statement_id=batch.number,
            account_id=batch.company_id or None,
            currency=_CURRENCY,
            booking_date=batch.booking_date,
            amount=str(_dollars(amount)),
            credit_debit=direction,
            reversal="true" if is_return or batch.reversal else "false",
            type_code=line.field(2, 3),
            bank_reference=line.field(80, 94).strip() or None,
            customer_reference=customer_ref,
            description=_join(batch.sec, batch.description, *info),
            counterparty_name=name,
            counterparty_account=account,
            return_reason=reason,
            raw="\n".join([line.raw, *(a.raw for a in entry.addenda)]),
        )

    def _check_batch(self, batch: _Batch, control: _Line) -> None:
        what = f"batch {batch.number} control (8)"
        self._check_count(
            f"{what} entry/addenda count",
            control.number(5, 10, "entry/addenda count"),
            batch.records,
        )
        self._check_hash(
            what, control.number(11, 20, "entry hash"), batch.entry_hash % _HASH_MODULUS
        )
        self._check_amount(
            f"{what} total debit", control.number(21, 32, "total debit"), batch.debits
        )
        self._check_amount(
            f"{what} total credit", control.number(33, 44, "total credit"), batch.credits
        )
        if control.field(2, 4) != batch.header.field(2, 4):
            self.warnings.append(
                f"{what} service class {control.field(2, 4)!r} != batch "
                f"header {batch.header.field(2, 4)!r}"
            )
        if control.field(88, 94).strip() != batch.number:
            self.warnings.append(
                f"{what} batch number {control.field(88, 94).strip()!r} "
                f"!= batch header {batch.number!r}"
            )

    # -- checks

    def _check_count(self, what: str, written: int, counted: int) -> None:
        if written != counted:
            self.warnings.append(f"{what} {written} != counted {counted}")

    def _check_hash(self, what: str, written: int, computed: int) -> None:
        if written != computed:
            self.errors.append(f"{what} entry hash {written:010d} != computed {computed:010d}")

    def _check_amount(self, what: str, written: int, computed: int) -> None:
        if written != computed:
            self.errors.append(f"{what} {_dollars(written)} != computed {_dollars(computed)}")


def _parties(sec: str, entry: _Entry) -> tuple[str | None, str | None, str | None]:
    """(counterparty name, counterparty account, customer reference) of an entry."""
    line = entry.line
    if sec == "IAT":
        names = [a.field(47, 81) for a in entry.addenda_of("10")]
        return _join(*names[:1]), _join(line.field(40, 74)), None
    account = _join(line.field(13, 29))
    if sec in ("CTX", "TRX"):
        return _join(line.field(59, 74)), account, _join(line.field(40, 54))
    if sec in ("CIE", "MTE"):
        return _join(line.field(40, 54)), account, _join(line.field(55, 76))
    return _join(line.field(55, 76)), account, _join(line.field(40, 54))


def _reason(entry: _Entry) -> str | None:
    """The R-code of a return addenda (99) or the C-code of a NOC addenda (98)."""
    for addenda in entry.addenda_of("99", "98"):
        code = addenda.field(4, 6).strip()
        if code:
            return code
    return None


def parse(data: bytes, path: str) -> ParsedFile:
    """Parse a NACHA file; raises FileRejected when it is malformed or does not tie."""
    with rejecting(path):
        text, decode_warnings = decode_text(data)
        parser = _Parser(_lines(text))
        parser.run()
        if parser.errors:
            reason = problems_reason("control totals do not tie", parser.errors)
            raise FileRejected(reason)
    return ParsedFile(
        format=FORMAT,
        columns=BANK_COLUMNS,
        rows=parser.rows,
        entries=parser.entries,
        accounts=parser.accounts,
        currencies=[_CURRENCY] if parser.batches else [],
        totals=parser.totals,
        warnings=[*decode_warnings, *parser.warnings],
    )
