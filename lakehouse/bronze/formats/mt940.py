"""SWIFT MT940 customer statement parser (format name ``"mt940"``).

``parse(data, path)`` turns one MT940 file (one or many statements) into bronze rows with
the :data:`~lakehouse.bronze.formats.base.BANK_COLUMNS`.

Guarantees:

* Pure: no I/O. Bytes are decoded as UTF-8, else cp1252, else latin-1 (never fails; a
  warning says which fallback was used); replacement characters already in the text are
  kept. CRLF/CR/LF, a BOM, TAB characters (read as spaces), trailing spaces and blank lines
  are tolerated, as are SWIFT block wrappers (``{1:..}{2:..}{4:`` ... ``-}``) and bank
  header lines before a statement (``ABNANL2A``, ``940``, ``:940:``, ``-XXX``, ...).
  U+00AD soft hyphens are dropped from coded fields and read as ``-`` in free text.
* Statements start at ``:20:``; ``statement_id`` is ``:20:`` + ``/`` + ``:28C:`` (or
  ``:28:``), ``account_id`` is ``:25:`` verbatim and ``currency`` comes from the opening
  balance. ``row_number`` is the 1-based physical line where a row's tag starts.
* BALANCE rows: ``:60F:`` OPBD, ``:60M:`` OPBD_INTERMEDIATE, ``:62F:`` CLBD, ``:62M:``
  CLBD_INTERMEDIATE, ``:64:`` CLAV, ``:65:`` FWAV; the D/C mark gives ``credit_debit``.
* One TXN row per ``:61:`` (``entries`` counts them): value date, entry date with year
  rollover, mark C/D/RC/RD (RC is a reversed credit, i.e. a debit; RD a credit), optional
  funds code, amount with or without a decimal comma, transaction type -> ``type_code``,
  customer reference (before ``//``) and bank reference (after it); ``NONREF`` is read as
  no reference. The following ``:86:`` is read as free text, German ``?xx``/``>xx``
  sub-fields or Dutch ``/CODE/`` fields; structured fields give the counterparty (never our
  own account; else an IBAN in the ``:61:`` supplementary details) and the customer
  reference (EREF, else KREF, else the ``:61:`` reference). ``:NS:`` after a ``:61:`` is
  kept in its description, elsewhere ignored, like a statement-level ``:86:``; a ``:61:``
  that cannot be read is quarantined, never dropped.
* Money is :class:`~decimal.Decimal`, never float; amounts are written unsigned with ``.``
  and padded to the currency exponent (``9,`` EUR -> ``9.00``), never rounded.
* :class:`FileRejected` when no statement is found, a statement lacks a readable opening
  or closing balance (e.g. truncated), or opening + entries != closing for any statement;
  the reason names the statement and both numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lakehouse.bronze.formats.bank import BankRows
from lakehouse.bronze.formats.base import (
    BANK_COLUMNS,
    FileRejected,
    ParsedFile,
    ParsedRow,
    QuarantinedRow,
    decode_text,
    money_text,
    problems_reason,
)

__all__ = ["parse"]

FORMAT = "mt940"

_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
_TAG_RE = re.compile(r":(?P<tag>[0-9]{2}[A-Z]?|[A-Z]{2}):(?P<rest>.*)", re.DOTALL)
_BLOCK_START_RE = re.compile(r"\{[1-5]:")
_BLOCK_PREFIX_RE = re.compile(r"(?:\{[1-3]:(?:\{[^{}]*\}|[^{}])*\})*\{4:")
_HEADER_TAG_RE = re.compile(r":[0-9]{3}:")
_TERMINATOR_RE = re.compile(r"-(?:\}.*|XXX)?")
_BALANCE_RE = re.compile(
    r"(?P<mark>[CD])(?P<date>[0-9]{6})(?P<ccy>[A-Z]{3})(?P<amount>[0-9]+(?:,[0-9]*)?)"
)
_STATEMENT_LINE_RE = re.compile(
    r"(?P<value>[0-9]{6})(?P<entry>[0-9]{4})?(?P<mark>RC|RD|C|D)(?P<funds>[A-Z])?"
    r"(?P<amount>[0-9]+(?:,[0-9]*)?)(?P<type>[NFS][A-Z0-9 ]{3})(?P<refs>.*)",
    re.DOTALL,
)
_SUBFIELD_START_RE = re.compile(r"\s*(?P<gvc>[0-9]{3})?(?P<sep>[?>])[0-9]{2}")
_SEPA_KEYWORD_RE = re.compile(r"[A-Z]{4}[+:]")
_SLASH_RE = re.compile(
    r"/(EREF|KREF|MREF|CREF|PREF|MARF|CSID|BENM|ORDP|NAME|ADDR|IBAN|BIC|REMI|ISDT|RTRN|TRTP"
    r"|ACCW|SVCL|RTYP|ULTC|ULTD|ULTB|PURP|CNTP|CDTRREFTP|CDTRREF|ISSR|BUSP|SVBN|CHGS|EXCH|ORIG)/"
)
_IBAN_RE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}")
_REK_NAAM_RE = re.compile(r"REK:\s*(?P<account>[A-Z0-9.]+)\s*/\s*NAAM:\s*(?P<name>.+?)\s*$")
_SPACES_RE = re.compile(r"\s+")
_NO_REFERENCE = frozenset({"", "NONREF", "NOTPROVIDED"})
_SOFT_HYPHEN = "\u00ad"

_BALANCE_TYPES: dict[str, str] = {
    "60F": "OPBD",
    "60M": "OPBD_INTERMEDIATE",
    "62F": "CLBD",
    "62M": "CLBD_INTERMEDIATE",
    "64": "CLAV",
    "65": "FWAV",
}
_STATEMENT_TAGS = frozenset({"21", "25", "28", "28C", "61", "86", *_BALANCE_TYPES})


def parse(data: bytes, path: str) -> ParsedFile:
    """Parse one MT940 file; see the module docstring for the contract."""
    text, decode_warnings = decode_text(data)
    statements = _assemble(_tokenize(text), path)
    result = _Result(warnings=decode_warnings)
    result.warnings.extend(_duplicate_ids(statements))
    for statement in statements:
        _emit_statement(statement, result)
    if result.failures:
        reason = problems_reason("mt940 statements do not tie", result.failures, limit=10)
        raise FileRejected(reason, path=path)
    result.rows.sort(key=lambda row: row.row_number)
    return result.parsed_file(statements)


# ------------------------------------------------------------------------ text and lines


def _coded(text: str) -> str:
    """A coded field (dates, amounts, references): soft hyphens dropped, TABs as spaces."""
    return text.replace(_SOFT_HYPHEN, "").replace("\t", " ").strip()


def _prose(text: str) -> str:
    """Free text: soft hyphens read as hyphens, TABs as spaces; spacing kept."""
    return text.replace(_SOFT_HYPHEN, "-").replace("\t", " ")


def _squash(text: str | None) -> str | None:
    if text is None:
        return None
    return _SPACES_RE.sub(" ", text).strip() or None


@dataclass
class _Field:
    """One tag with its content lines (the first follows the tag) and source lines."""

    tag: str
    line: int
    lines: list[str]
    raw: list[str]

    @property
    def first(self) -> str:
        return _coded(self.lines[0])

    @property
    def continuation(self) -> list[str]:
        return self.lines[1:]


def _strip_blocks(line: str) -> str | None:
    """Content of a line after SWIFT block headers; None when the line is only wrapping."""
    if not _BLOCK_START_RE.match(line):
        return line
    prefix = _BLOCK_PREFIX_RE.match(line)
    return None if prefix is None else line[prefix.end() :]


def _tokenize(text: str) -> list[_Field]:
    fields: list[_Field] = []
    current: _Field | None = None
    for number, line in enumerate(_LINE_BREAK_RE.split(text), start=1):
        content = _strip_blocks(line)
        probe = "" if content is None else content.strip()
        if content is None or _TERMINATOR_RE.fullmatch(probe) or _HEADER_TAG_RE.fullmatch(probe):
            current = None
            continue
        match = _TAG_RE.match(content)
        if match:
            current = _Field(match["tag"], number, [match["rest"]], [line])
            fields.append(current)
        elif current is not None and probe.replace(_SOFT_HYPHEN, ""):
            current.lines.append(content)
            current.raw.append(line)
    return fields


# ----------------------------------------------------------------------------- structure


@dataclass
class _Balance:
    source: _Field
    direction: str
    booking_date: str
    currency: str
    amount: Decimal
    amount_text: str

    @property
    def signed(self) -> Decimal:
        return -self.amount if self.direction == "DBIT" else self.amount


@dataclass
class _Txn:
    source: _Field
    value_date: str
    booking_date: str
    direction: str
    reversal: bool
    amount: Decimal
    type_code: str
    customer_reference: str | None
    bank_reference: str | None
    supplementary: str | None
    info: list[_Field] = field(default_factory=list)
    extra: list[_Field] = field(default_factory=list)

    @property
    def signed(self) -> Decimal:
        return -self.amount if self.direction == "DBIT" else self.amount


@dataclass
class _Statement:
    reference: str
    line: int
    account: str | None = None
    number: str | None = None
    balances: list[_Balance] = field(default_factory=list)
    txns: list[_Txn] = field(default_factory=list)
    quarantine: list[QuarantinedRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    entries: int = 0

    @property
    def statement_id(self) -> str:
        return f"{self.reference}/{self.number}" if self.number else self.reference

    def balance(self, *tags: str) -> _Balance | None:
        return next((b for b in self.balances if b.source.tag in tags), None)

    @property
    def currency(self) -> str | None:
        opening = self.balance("60F", "60M") or self.balance("62F", "62M")
        return None if opening is None else opening.currency


def _assemble(fields: list[_Field], path: str) -> list[_Statement]:
    statements: list[_Statement] = []
    current: _Statement | None = None
    last_txn: _Txn | None = None
    for item in fields:
        if item.tag == "20":
            current = _Statement(reference=item.first, line=item.line)
            statements.append(current)
            last_txn = None
        elif current is None:
            if item.tag in _STATEMENT_TAGS:
                raise FileRejected(
                    f"not a valid MT940 file: tag :{item.tag}: at line {item.line} comes"
                    " before any :20: statement reference",
                    path=path,
                )
        else:
            last_txn = _apply(current, item, last_txn)
    if not statements:
        raise FileRejected("not an MT940 file: no :20: statement reference found", path=path)
    return statements


def _apply(statement: _Statement, item: _Field, last_txn: _Txn | None) -> _Txn | None:
    """Apply one field to the open statement; returns the :61: that a :86: may follow."""
    tag = item.tag
    if tag == "25":
        statement.account = item.first or None
    elif tag in ("28C", "28"):
        statement.number = item.first or None
    elif tag in _BALANCE_TYPES:
        _add_balance(statement, item)
    elif tag == "61":
        statement.entries += 1
        return _add_txn(statement, item)
    elif tag == "86" and last_txn is not None:
        last_txn.info.append(item)
        return last_txn
    elif tag == "NS" and last_txn is not None:
        last_txn.extra.append(item)
        return last_txn
    # anything else (:21:, :13D:, a statement-level :86: or :NS:, ...) is not a row
    return None


def _duplicate_ids(statements: list[_Statement]) -> list[str]:
    lines: dict[str, list[str]] = {}
    for statement in statements:
        lines.setdefault(statement.statement_id, []).append(str(statement.line))
    return [
        f"statement id {statement_id} is used by several statements (lines {', '.join(at)})"
        for statement_id, at in lines.items()
        if len(at) > 1
    ]


def _add_balance(statement: _Statement, item: _Field) -> None:
    balance = _read_balance(item)
    if balance is None:
        statement.problems.append(
            f":{item.tag}: at line {item.line} is not a balance ({item.first!r})"
        )
        return
    statement.balances.append(balance)
    if "," not in balance.amount_text:
        statement.warnings.append(
            f"line {item.line}: balance amount {balance.amount_text!r} has no decimal comma"
        )


def _read_balance(item: _Field) -> _Balance | None:
    match = _BALANCE_RE.fullmatch(item.first.replace(" ", ""))
    if match is None:
        return None
    booked = _yymmdd(match["date"])
    if booked is None:
        return None
    return _Balance(
        source=item,
        direction="CRDT" if match["mark"] == "C" else "DBIT",
        booking_date=booked.isoformat(),
        currency=match["ccy"],
        amount=_amount(match["amount"]),
        amount_text=match["amount"],
    )


def _add_txn(statement: _Statement, item: _Field) -> _Txn | None:
    txn, problem = _read_txn(item)
    if txn is None:
        reason = f":61: statement line cannot be read: {problem}"
        statement.quarantine.append(QuarantinedRow(item.line, "\n".join(item.raw), reason))
        return None
    if problem:
        statement.warnings.append(f"line {item.line}: {problem}")
    statement.txns.append(txn)
    return txn


# ---------------------------------------------------------------------------------- :61:


def _yymmdd(text: str) -> date | None:
    year, month, day = int(text[:2]), int(text[2:4]), int(text[4:6])
    try:
        return date(2000 + year if year < 80 else 1900 + year, month, day)
    except ValueError:
        return None


def _entry_date(value: date, mmdd: str) -> date | None:
    """The entry date nearest to the value date (handles the December/January rollover)."""
    candidates: list[date] = []
    for year in (value.year - 1, value.year, value.year + 1):
        try:
            candidates.append(date(year, int(mmdd[:2]), int(mmdd[2:])))
        except ValueError:
            continue
    return min(candidates, key=lambda day: abs(day - value)) if candidates else None


def _amount(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def _reference(text: str | None) -> str | None:
    value = _squash(text)
    return None if value is None or value.upper() in _NO_REFERENCE else value


def _read_txn(item: _Field) -> tuple[_Txn | None, str]:
    match = _STATEMENT_LINE_RE.fullmatch(item.first)
    if match is None:
        return None, f"unexpected layout {item.first!r}"
    value = _yymmdd(match["value"])
    if value is None:
        return None, f"invalid value date {match['value']!r}"
    booked = value if match["entry"] is None else _entry_date(value, match["entry"])
    if booked is None:
        return None, f"invalid entry date {match['entry']!r}"
    mark = match["mark"]
    customer, _, bank = match["refs"].partition("//")
    supplementary = _squash(" ".join(_prose(line) for line in item.continuation))
    txn = _Txn(
        source=item,
        value_date=value.isoformat(),
        booking_date=booked.isoformat(),
        direction="CRDT" if mark in ("C", "RD") else "DBIT",
        reversal=mark in ("RC", "RD"),
        amount=_amount(match["amount"]),
        type_code=match["type"].strip(),
        customer_reference=_reference(customer),
        bank_reference=_reference(bank),
        supplementary=supplementary,
    )
    if "," not in match["amount"]:
        return txn, "amount without decimal comma"
    return txn, ""


# ---------------------------------------------------------------------------------- :86:


@dataclass
class _Details:
    description: str | None = None
    name: str | None = None
    account: str | None = None
    reference: str | None = None
    return_reason: str | None = None


def _read_info(lines: list[str]) -> _Details:
    prose = [_prose(line) for line in lines]
    joined = "".join(prose)  # structured :86: is wrapped at a fixed width: no separator
    if _SUBFIELD_START_RE.match(joined):
        return _read_subfields(joined)
    if _SLASH_RE.match(joined.lstrip()):
        return _read_slash_codes(joined.strip())
    return _read_free_text(prose)


def _subfields(text: str) -> list[tuple[str, str]]:
    """``(code, value)`` pairs after the optional 3-digit business code (GVC)."""
    start = _SUBFIELD_START_RE.match(text)
    assert start is not None
    body = text[start.end("gvc") :] if start["gvc"] else text
    parts = re.split(re.escape(start["sep"]) + r"([0-9]{2})", body)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def _keyword_segments(purpose: list[str]) -> Iterator[tuple[str, str]]:
    """SEPA purpose sub-fields grouped by keyword (``EREF+``, ``SVWZ+``, ``MTLG:``, ...)."""
    keyword, text = "", ""
    for value in purpose:
        if _SEPA_KEYWORD_RE.match(value):
            if keyword or text:
                yield keyword, text
            keyword, text = value[:5], value[5:]
        else:
            text += value
    if keyword or text:
        yield keyword, text


def _read_subfields(text: str) -> _Details:
    """German ``?xx`` (or Triodos ``>xx``) sub-fields: ?00 text, ?2x/?6x purpose, ?3x party."""
    pairs = _subfields(text)
    values: dict[str, str] = {}
    for code, value in pairs:
        values[code] = values.get(code, "") + value
    purpose = [value for code, value in pairs if code[0] == "2" or code in ("60", "61", "62", "63")]
    segments = list(_keyword_segments(purpose))
    keywords = {keyword: _squash(value) for keyword, value in segments if keyword}
    readable = " ".join(keyword + value for keyword, value in segments)
    return _Details(
        description=_squash(" ".join([values.get("00", ""), readable])),
        name=_squash(values.get("32", "") + values.get("33", "")),
        account=_squash(values.get("31")),
        reference=_reference(keywords.get("EREF+")) or _reference(keywords.get("KREF+")),
    )


def _read_slash_codes(text: str) -> _Details:
    """Dutch ``/CODE/value`` fields (Rabobank, ABN AMRO, ING SEPA layouts)."""
    matches = list(_SLASH_RE.finditer(text))
    values: dict[str, str] = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else len(text)
        values.setdefault(match[1], text[match.end() : end].strip("/"))
    counterparty = values.get("CNTP", "").split("/")
    remittance = re.sub(r"^(?:USTD|STRD)/+", "", values.get("REMI", ""))
    return _Details(
        description=_squash(remittance) or _squash(text),
        name=_squash(values.get("NAME")) or _squash(_item(counterparty, 2)),
        account=_squash(values.get("IBAN") or values.get("ACCW") or _item(counterparty, 0)),
        reference=_reference(values.get("EREF")),
        return_reason=_squash(values.get("RTRN")),
    )


def _item(values: list[str], index: int) -> str | None:
    return values[index] if len(values) > index else None


def _read_free_text(prose: list[str]) -> _Details:
    stripped = [line.strip() for line in prose if line.strip()]
    details = _Details(description=_squash(" ".join(stripped)))
    for line in stripped:
        match = _REK_NAAM_RE.search(line)
        if match:
            details.account, details.name = match["account"], match["name"]
    return details


# ---------------------------------------------------------------------------------- rows


class _Result(BankRows):
    def parsed_file(self, statements: list[_Statement]) -> ParsedFile:
        ccy = self.currencies[0] if len(self.currencies) == 1 else None
        totals = {
            "statements": str(len(statements)),
            "credits": money_text(self.credits, ccy),
            "debits": money_text(self.debits, ccy),
        }
        if len(statements) == 1:
            opening, closing = _opening(statements[0]), _closing(statements[0])
            if opening and closing:
                totals["opening"] = money_text(opening.signed, ccy)
                totals["closing"] = money_text(closing.signed, ccy)
        return ParsedFile(
            format=FORMAT,
            columns=BANK_COLUMNS,
            rows=self.rows,
            quarantine=self.quarantine,
            entries=sum(statement.entries for statement in statements),
            accounts=self.accounts,
            currencies=self.currencies,
            totals=totals,
            warnings=self.warnings,
        )


def _opening(statement: _Statement) -> _Balance | None:
    return statement.balance("60F", "60M")


def _closing(statement: _Statement) -> _Balance | None:
    return statement.balance("62F", "62M")


def _emit_statement(statement: _Statement, result: _Result) -> None:
    currency = statement.currency
    result.note(account=statement.account, currency=currency)
    result.warnings.extend(f"statement {statement.statement_id}: {w}" for w in statement.warnings)
    for balance in statement.balances:
        result.rows.append(_balance_row(statement, balance))
    for txn in statement.txns:
        result.rows.append(_txn_row(statement, txn, currency))
        if txn.direction == "CRDT":
            result.credits += txn.amount
        else:
            result.debits += txn.amount
    result.quarantine.extend(statement.quarantine)
    _check_statement(statement, result)


def _base_values(statement: _Statement, record_type: str) -> dict[str, str | None]:
    values: dict[str, str | None] = dict.fromkeys(BANK_COLUMNS)
    values.update(
        record_type=record_type,
        statement_id=statement.statement_id,
        account_id=statement.account,
        reversal="false",
    )
    return values


def _balance_row(statement: _Statement, balance: _Balance) -> ParsedRow:
    values = _base_values(statement, "BALANCE")
    values.update(
        currency=balance.currency,
        booking_date=balance.booking_date,
        amount=money_text(balance.amount, balance.currency),
        credit_debit=balance.direction,
        balance_type=_BALANCE_TYPES[balance.source.tag],
        raw="\n".join(balance.source.raw),
    )
    return ParsedRow(balance.source.line, values)


def _txn_row(statement: _Statement, txn: _Txn, currency: str | None) -> ParsedRow:
    details = _read_info([line for item in txn.info for line in item.lines])
    extra = _squash(" ".join(_prose(line) for item in txn.extra for line in item.lines))
    description = " ".join(part for part in (details.description, extra) if part)
    if txn.supplementary and txn.supplementary not in description:
        description = f"{description} {txn.supplementary}".strip()
    values = _base_values(statement, "TXN")
    values.update(
        currency=currency,
        booking_date=txn.booking_date,
        value_date=txn.value_date,
        amount=money_text(txn.amount, currency),
        credit_debit=txn.direction,
        reversal="true" if txn.reversal else "false",
        type_code=txn.type_code or None,
        bank_reference=txn.bank_reference,
        customer_reference=details.reference or txn.customer_reference,
        description=description or None,
        counterparty_name=details.name,
        counterparty_account=_counterparty_account(statement, txn, details),
        return_reason=details.return_reason,
        raw="\n".join(line for item in [txn.source, *txn.info, *txn.extra] for line in item.raw),
    )
    return ParsedRow(txn.source.line, values)


def _counterparty_account(statement: _Statement, txn: _Txn, details: _Details) -> str | None:
    """The structured account unless it is our own; else an IBAN in the supplementary details."""
    account = details.account
    ours = (statement.account or "").replace(" ", "")
    theirs = (account or "").replace(" ", "")
    if theirs and ours and (theirs == ours or (len(theirs) >= 6 and ours.endswith(theirs))):
        account = None
    if account is None and txn.supplementary and _IBAN_RE.fullmatch(txn.supplementary):
        account = txn.supplementary
    return account


# ------------------------------------------------------------------------------ controls


def _check_statement(statement: _Statement, result: _Result) -> None:
    where = f"statement {statement.statement_id} (line {statement.line})"
    failures = [f"{where}: {problem}" for problem in statement.problems]
    opening, closing = _opening(statement), _closing(statement)
    if opening is None:
        failures.append(f"{where}: no opening balance :60F:/:60M: (truncated?)")
    if closing is None:
        failures.append(f"{where}: no closing balance :62F:/:62M: (truncated?)")
    if opening and closing:
        failures.extend(_tie(statement, where, opening, closing))
    result.failures.extend(failures)


def _tie(statement: _Statement, where: str, opening: _Balance, closing: _Balance) -> list[str]:
    if opening.currency != closing.currency:
        return [
            f"{where}: opening balance is in {opening.currency} but closing in {closing.currency}"
        ]
    ccy = opening.currency
    net = sum((txn.signed for txn in statement.txns), Decimal(0))
    expected = opening.signed + net
    if expected == closing.signed:
        return []
    unread = (
        f"; {len(statement.quarantine)} :61: line(s) could not be read"
        if statement.quarantine
        else ""
    )
    return [
        f"{where}: opening :{opening.source.tag}: {money_text(opening.signed, ccy)}"
        f" + entries {money_text(net, ccy)} = {money_text(expected, ccy)}"
        f" but closing :{closing.source.tag}: is {money_text(closing.signed, ccy)}"
        f" (difference {money_text(closing.signed - expected, ccy)}){unread}"
    ]
