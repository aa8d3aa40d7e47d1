"""ISO 20022 camt.053 (statement) and camt.054 (debit/credit notification) parser.

``parse(data, path)`` turns one camt document into bronze rows with the
:data:`~lakehouse.bronze.formats.base.BANK_COLUMNS`. ``ParsedFile.format`` is ``"camt053"``
or ``"camt054"`` according to the message inside the document, whatever the file is called.

Guarantees:

* Pure and safe: no file or network I/O; the XML parser neither resolves entities nor
  touches the network, and a document with a DOCTYPE is refused outright.
* Namespace-agnostic: elements are matched on their local name, so camt.053/054 versions
  .001.02 to .001.08 and national namespaces (or no namespace) all parse the same way.
* One BALANCE row per ``Bal`` and one TXN row per ``Ntry``. A batch entry with several
  ``TxDtls`` stays one row carrying the entry amount; the details' references, texts,
  counterparties and return reasons are joined into that row and ``raw`` keeps the whole
  ``Ntry`` XML. ``row_number`` is the 1-based position of the ``Bal``/``Ntry`` element in
  document order (balances and entries share one sequence); ``entries`` counts ``Ntry``.
* Field choices: ``customer_reference`` is the first of EndToEndId, InstrId, MsgId,
  PmtInfId, UETR that is not ``NOTPROVIDED`` (per TxDtls, then the batch's); the
  counterparty is the debtor of a credit and the creditor of a debit (the other side when
  that one is our own account), its name falling back to the first ``AdrLine``.
* An entry or balance without a usable ``Amt``/``CdtDbtInd`` is quarantined, never dropped.
* Money is :class:`~decimal.Decimal`, never float. Amounts are written unsigned, padded to
  the currency exponent and never rounded (``80`` CHF -> ``80.00``; ``18.150`` EUR stays
  ``18.150`` with a warning).
* :class:`FileRejected` when the bytes are not XML, are truncated, are not a camt.053/054,
  or when an amount control does not tie: ``TxsSummry`` sums and net amount against the
  entries present, opening (``OPBD``, else ``PRCD``) + booked credits - debits against
  ``CLBD`` (entries in another currency count with their account-currency counter-value
  when the entry gives one), and a batch's ``TtlAmt`` against its ``TxDtls``. The reason
  names the statement and both numbers. Count-only differences (``NbOfNtries``,
  ``NbOfTxs``) are warnings.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from lakehouse.bronze.formats.bank import BankRows
from lakehouse.bronze.formats.base import (
    BANK_COLUMNS,
    FileRejected,
    ParsedFile,
    ParsedRow,
    QuarantinedRow,
    money_text,
    problems_reason,
)
from lakehouse.iso4217 import minor_units

__all__ = ["parse"]

# lxml ships no type information; elements are handled through this alias.
Element = Any

_MESSAGES: dict[str, tuple[str, str]] = {
    "BkToCstmrStmt": ("camt053", "Stmt"),
    "BkToCstmrDbtCdtNtfctn": ("camt054", "Ntfctn"),
}
_OTHER_MESSAGES: dict[str, str] = {
    "BkToCstmrAcctRpt": "camt.052 account report",
    "CstmrCdtTrfInitn": "pain.001 credit transfer initiation",
    "CstmrDrctDbtInitn": "pain.008 direct debit initiation",
    "CstmrPmtStsRpt": "pain.002 payment status report",
}
_DIRECTIONS = frozenset({"CRDT", "DBIT"})
_NOT_BOOKED = frozenset({"PDNG", "INFO", "FUTR"})
_NOT_PROVIDED = frozenset({"NOTPROVIDED", "NONREF", "NOT PROVIDED"})
_REFERENCE_TAGS = ("EndToEndId", "InstrId", "MsgId", "PmtInfId", "UETR")
_AMOUNT_RE = re.compile(r"[0-9]{1,18}(?:\.[0-9]{1,17})?")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SPACES_RE = re.compile(r"\s+")
_DOCTYPE_RE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_DOCTYPE_REFUSED = "XML with a DOCTYPE is refused (camt never declares one; entities stay off)"


def parse(data: bytes, path: str) -> ParsedFile:
    """Parse one camt.053 or camt.054 document; see the module docstring for the contract."""
    root = _load_xml(data, path)
    fmt, statements = _find_statements(root, path)
    ctx = _Context(fmt=fmt, path=path)
    for statement in statements:
        _parse_statement(statement, ctx)
    return ctx.result()


# --------------------------------------------------------------------------- XML access


def _load_xml(data: bytes, path: str) -> Element:
    if not data.strip():
        raise FileRejected("empty file: expected a camt.053/054 XML document", path=path)
    if _DOCTYPE_RE.search(data):
        raise FileRejected(_DOCTYPE_REFUSED, path=path)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root: Element = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise FileRejected(
            f"not well-formed XML (truncated or not camt): {exc}", path=path
        ) from None
    except ValueError as exc:  # e.g. an unknown encoding declaration
        raise FileRejected(f"not readable as XML: {exc}", path=path) from None
    if root is None:
        raise FileRejected("not an XML document", path=path)
    if root.getroottree().docinfo.doctype:  # a DOCTYPE in an encoding the scan cannot see
        raise FileRejected(_DOCTYPE_REFUSED, path=path)
    return root


def _local(element: Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


@functools.cache  # a handful of paths, looked up millions of times
def _xpath(names: str) -> str:
    """``"Acct/Id/IBAN"`` -> ``"{*}Acct/{*}Id/{*}IBAN"`` (any or no namespace)."""
    return "/".join("{*}" + name for name in names.split("/"))


def _find(element: Element, names: str) -> Element | None:
    found: Element | None = element.find(_xpath(names))
    return found


def _findall(element: Element, names: str) -> list[Element]:
    return list(element.iterfind(_xpath(names)))


def _text(element: Element | None, names: str | None = None) -> str | None:
    """Stripped text of ``element`` (or of its first ``names`` descendant), None if empty."""
    target = element if names is None or element is None else _find(element, names)
    if target is None or not isinstance(target.text, str):
        return None
    value = _SPACES_RE.sub(" ", target.text).strip()
    return value or None


def _first_text(element: Element, *paths: str) -> str | None:
    for candidate in paths:
        value = _text(element, candidate)
        if value is not None:
            return value
    return None


def _raw(element: Element) -> str:
    raw: str = etree.tostring(element, encoding="unicode", with_tail=False)
    return raw


def _find_statements(root: Element, path: str) -> tuple[str, list[Element]]:
    kinds: set[str] = set()
    statements: list[Element] = []
    for element in root.iter():
        name = _local(element)
        if name in _MESSAGES:
            fmt, child = _MESSAGES[name]
            kinds.add(fmt)
            statements.extend(_findall(element, child))
    if not kinds:
        raise FileRejected(_not_camt_reason(root), path=path)
    if len(kinds) > 1:
        raise FileRejected("document mixes camt.053 and camt.054 messages", path=path)
    fmt = kinds.pop()
    if not statements:
        part = "Stmt" if fmt == "camt053" else "Ntfctn"
        raise FileRejected(f"{fmt} document without any {part} element", path=path)
    return fmt, statements


def _not_camt_reason(root: Element) -> str:
    for element in root.iter():
        other = _OTHER_MESSAGES.get(_local(element))
        if other:
            return f"not a camt.053/054 document: it is a {other}"
    namespace = etree.QName(root).namespace if isinstance(root.tag, str) else None
    return (
        f"not a camt.053/054 document: root element {_local(root)!r}"
        f" (namespace {namespace!r}) has no BkToCstmrStmt or BkToCstmrDbtCdtNtfctn"
    )


# ------------------------------------------------------------------------------- values


def _decimal(text: str | None) -> Decimal | None:
    if text is None or not _AMOUNT_RE.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid literals
        return None


def _decimals(text: str) -> int:
    return len(text.partition(".")[2])


def _signed(amount: Decimal, direction: str | None) -> Decimal:
    return -amount if direction == "DBIT" else amount


def _date(element: Element | None) -> tuple[str | None, str | None]:
    """ISO date of a ``Dt``/``DtTm`` choice and, when unusable, the offending text."""
    text = _first_text(element, "Dt", "DtTm") if element is not None else None
    if text is None:
        return None, None
    match = _DATE_RE.match(text)
    if match:
        try:
            return date.fromisoformat(match.group()).isoformat(), None
        except ValueError:
            pass
    return None, text


def _distinct(values: Iterable[str | None]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value:
            seen.setdefault(value, None)
    return list(seen)


def _joined(values: Iterable[str | None], separator: str = "; ") -> str | None:
    return separator.join(_distinct(values)) or None


# ------------------------------------------------------------------------------ context


@dataclass
class _Amount:
    """An ``Amt`` element read as decimal plus the currency it is given in."""

    text: str
    value: Decimal
    currency: str | None


@dataclass
class _Entry:
    row_number: int
    amount: Decimal
    control_amount: Decimal
    direction: str
    booked: bool


@dataclass
class _Balance:
    code: str | None
    amount: Decimal
    direction: str
    currency: str | None


@dataclass
class _Statement:
    element: Element
    statement_id: str
    account_id: str | None
    currency: str | None
    entries: list[_Entry] = field(default_factory=list)
    balances: list[_Balance] = field(default_factory=list)


@dataclass(kw_only=True)
class _Context(BankRows):
    fmt: str
    path: str
    excess_decimals: list[str] = field(default_factory=list)
    position: int = 0
    entries: int = 0
    statements: list[_Statement] = field(default_factory=list)

    def next_row(self) -> int:
        self.position += 1
        return self.position

    def check_precision(self, amount: _Amount, row_number: int) -> None:
        if _decimals(amount.text) > minor_units(amount.currency):
            self.excess_decimals.append(
                f"{amount.text} {amount.currency or '?'} (row {row_number})"
            )

    def result(self) -> ParsedFile:
        if self.failures:
            raise FileRejected(
                problems_reason(f"{self.fmt} control totals do not tie", self.failures, limit=10),
                path=self.path,
            )
        if self.excess_decimals:
            shown = ", ".join(self.excess_decimals[:5])
            more = len(self.excess_decimals) - 5
            self.warnings.append(
                f"{len(self.excess_decimals)} amount(s) carry more decimals than their currency"
                f" allows: {shown}" + (f" and {more} more" if more > 0 else "")
            )
        return ParsedFile(
            format=self.fmt,
            columns=BANK_COLUMNS,
            rows=self.rows,
            quarantine=self.quarantine,
            entries=self.entries,
            accounts=self.accounts,
            currencies=self.currencies,
            totals=self.totals(),
            warnings=self.warnings,
        )

    def totals(self) -> dict[str, str]:
        ccy = self.currencies[0] if len(self.currencies) == 1 else None
        totals = {
            "statements": str(len(self.statements)),
            "credits": money_text(self.credits, ccy),
            "debits": money_text(self.debits, ccy),
        }
        if len(self.statements) == 1:
            opening, closing = _opening_closing(self.statements[0])
            if opening is not None:
                totals["opening"] = money_text(_signed(opening.amount, opening.direction), ccy)
            if closing is not None:
                totals["closing"] = money_text(_signed(closing.amount, closing.direction), ccy)
        return totals


# --------------------------------------------------------------------------- statements


def _parse_statement(element: Element, ctx: _Context) -> None:
    statement = _Statement(
        element=element,
        statement_id=_text(element, "Id") or f"#{len(ctx.statements) + 1}",
        account_id=_first_text(element, "Acct/Id/IBAN", "Acct/Id/Othr/Id"),
        currency=_first_text(element, "Acct/Ccy") or _first_balance_currency(element),
    )
    ctx.statements.append(statement)
    ctx.note(account=statement.account_id, currency=statement.currency)
    if statement.account_id is None:
        ctx.warnings.append(f"statement {statement.statement_id} names no account (Acct/Id)")
    for child in element:
        name = _local(child)
        if name == "Bal":
            _read_balance(child, statement, ctx)
        elif name == "Ntry":
            _read_entry(child, statement, ctx)
    _check_summary(statement, ctx)
    _check_balances(statement, ctx)


def _first_balance_currency(element: Element) -> str | None:
    amount = _find(element, "Bal/Amt")
    return None if amount is None else (amount.get("Ccy") or None)


def _read_amount(element: Element, names: str = "Amt") -> _Amount | None:
    amount_element = _find(element, names)
    if amount_element is None:
        return None
    text = _text(amount_element)
    value = _decimal(text)
    if text is None or value is None:
        return None
    return _Amount(text=text, value=value, currency=amount_element.get("Ccy") or None)


def _amount_problem(element: Element, amount: _Amount | None, direction: str | None) -> str:
    if amount is None:
        found = _text(element, "Amt")
        return f"no valid Amt (found {found!r})"
    return f"CdtDbtInd must be CRDT or DBIT (found {direction!r})"


def _base_values(statement: _Statement, record_type: str) -> dict[str, str | None]:
    values: dict[str, str | None] = dict.fromkeys(BANK_COLUMNS)
    values["record_type"] = record_type
    values["statement_id"] = statement.statement_id
    values["account_id"] = statement.account_id
    values["reversal"] = "false"
    return values


def _read_balance(element: Element, statement: _Statement, ctx: _Context) -> None:
    row_number = ctx.next_row()
    amount = _read_amount(element)
    direction = _text(element, "CdtDbtInd")
    if amount is None or direction not in _DIRECTIONS:
        reason = f"Bal: {_amount_problem(element, amount, direction)}"
        ctx.quarantine.append(QuarantinedRow(row_number, _raw(element), reason))
        return
    assert direction is not None
    code = _first_text(element, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry")
    currency = amount.currency or statement.currency
    ctx.check_precision(amount, row_number)
    ctx.note(currency=currency)
    booking_date, bad_date = _date(_find(element, "Dt"))
    if bad_date:
        ctx.warnings.append(f"row {row_number}: balance date {bad_date!r} is not an ISO date")
    values = _base_values(statement, "BALANCE")
    values.update(
        currency=currency,
        booking_date=booking_date,
        amount=money_text(amount.value, currency),
        credit_debit=direction,
        balance_type=code,
        raw=_raw(element),
    )
    ctx.rows.append(ParsedRow(row_number, values))
    statement.balances.append(_Balance(code, amount.value, direction, currency))


# ------------------------------------------------------------------------------ entries


def _read_entry(element: Element, statement: _Statement, ctx: _Context) -> None:
    row_number = ctx.next_row()
    ctx.entries += 1
    amount = _read_amount(element)
    direction = _text(element, "CdtDbtInd")
    if amount is None or direction not in _DIRECTIONS:
        reason = f"Ntry: {_amount_problem(element, amount, direction)}"
        ctx.quarantine.append(QuarantinedRow(row_number, _raw(element), reason))
        return
    assert direction is not None
    currency = amount.currency or statement.currency
    ctx.check_precision(amount, row_number)
    ctx.note(currency=currency)
    details = _findall(element, "NtryDtls/TxDtls")
    values = _base_values(statement, "TXN")
    values.update(_entry_values(element, details, ctx, row_number))
    values.update(_detail_values(element, details, direction, statement.account_id))
    values.update(
        currency=currency,
        amount=money_text(amount.value, currency),
        credit_debit=direction,
        raw=_raw(element),
    )
    ctx.rows.append(ParsedRow(row_number, values))
    if direction == "CRDT":
        ctx.credits += amount.value
    else:
        ctx.debits += amount.value
    control = _control_amount(element, amount, statement, ctx, row_number)
    status = _first_text(element, "Sts/Cd", "Sts")
    statement.entries.append(
        _Entry(row_number, amount.value, control, direction, status not in _NOT_BOOKED)
    )
    _check_batches(element, statement, ctx, row_number)


def _entry_values(
    element: Element, details: list[Element], ctx: _Context, row_number: int
) -> dict[str, str | None]:
    booking_date, bad_booking = _date(_find(element, "BookgDt"))
    value_date, bad_value = _date(_find(element, "ValDt"))
    for label, bad in (("BookgDt", bad_booking), ("ValDt", bad_value)):
        if bad:
            ctx.warnings.append(f"row {row_number}: {label} {bad!r} is not an ISO date")
    reversal = (_text(element, "RvslInd") or "").lower() in ("true", "1")
    return {
        "booking_date": booking_date,
        "value_date": value_date,
        "reversal": "true" if reversal else "false",
        "type_code": _type_code(element, details),
        "bank_reference": _text(element, "AcctSvcrRef")
        or _joined(_text(detail, "Refs/AcctSvcrRef") for detail in details),
    }


def _type_code(element: Element, details: list[Element]) -> str | None:
    for candidate in [element, *details]:
        code = _bank_transaction_code(_find(candidate, "BkTxCd"))
        if code:
            return code
    return None


def _bank_transaction_code(element: Element | None) -> str | None:
    """``Domn/Cd`` + ``Fmly/Cd`` + ``SubFmlyCd`` joined by ``/``, else ``Prtry/Cd``."""
    if element is None:
        return None
    domain = _text(element, "Domn/Cd")
    if domain:
        parts = [domain, _text(element, "Domn/Fmly/Cd"), _text(element, "Domn/Fmly/SubFmlyCd")]
        return "/".join(part for part in parts if part)
    return _text(element, "Prtry/Cd")


def _detail_values(
    element: Element, details: list[Element], direction: str, our_account: str | None
) -> dict[str, str | None]:
    reversal = (_text(element, "RvslInd") or "").lower() in ("true", "1")
    # A reversal books the opposite way round: the counterparty stays the original one.
    money_in = (direction == "CRDT") != reversal
    parties = [_counterparty(detail, money_in, our_account) for detail in details]
    return {
        "customer_reference": _customer_reference(element, details),
        "description": _joined(_texts(element, details), " "),
        "counterparty_name": _joined(name for name, _ in parties),
        "counterparty_account": _joined(account for _, account in parties),
        "return_reason": _joined(
            _first_text(detail, "RtrInf/Rsn/Cd", "RtrInf/Rsn/Prtry") for detail in details
        ),
    }


def _reference(element: Element, tags: Iterable[str]) -> str | None:
    for tag in tags:
        value = _text(element, tag)
        if value and value.upper() not in _NOT_PROVIDED:
            return value
    return None


def _customer_reference(element: Element, details: list[Element]) -> str | None:
    from_details = _joined(_reference(detail, _refs(_REFERENCE_TAGS)) for detail in details)
    if from_details:
        return from_details
    return _joined(
        _reference(batch, ("MsgId", "PmtInfId")) for batch in _findall(element, "NtryDtls/Btch")
    )


def _refs(tags: Iterable[str]) -> list[str]:
    return [f"Refs/{tag}" for tag in tags]


def _texts(element: Element, details: list[Element]) -> Iterator[str | None]:
    """Remittance information and additional texts, details first, entry text last."""
    for detail in details:
        for remittance in _findall(detail, "RmtInf"):
            yield from (_text(item) for item in _findall(remittance, "Ustrd"))
            for structured in _findall(remittance, "Strd"):
                yield _text(structured, "CdtrRefInf/Ref")
                yield from (_text(item) for item in _findall(structured, "RfrdDocInf/Nb"))
                yield from (_text(item) for item in _findall(structured, "AddtlRmtInf"))
        yield _text(detail, "AddtlTxInf")
    yield _text(element, "AddtlNtryInf")


def _party_name(parties: Element, role: str) -> str | None:
    return _first_text(
        parties,
        f"{role}/Nm",
        f"{role}/Pty/Nm",
        f"{role}/PstlAdr/AdrLine",
        f"{role}/Pty/PstlAdr/AdrLine",
    )


def _party_account(parties: Element, role: str) -> str | None:
    return _first_text(parties, f"{role}Acct/Id/IBAN", f"{role}Acct/Id/Othr/Id")


def _counterparty(
    detail: Element, money_in: bool, our_account: str | None
) -> tuple[str | None, str | None]:
    """Name and account of the party that is not us: the debtor when money comes in."""
    parties = _find(detail, "RltdPties")
    if parties is None:
        return None, None
    role, other = ("Dbtr", "Cdtr") if money_in else ("Cdtr", "Dbtr")
    account = _party_account(parties, role)
    if our_account and account == our_account:
        other_account = _party_account(parties, other)
        if other_account and other_account != our_account:
            role, account = other, other_account
    return _party_name(parties, role), account


# ----------------------------------------------------------------------------- controls


def _control_amount(
    element: Element, amount: _Amount, statement: _Statement, ctx: _Context, row_number: int
) -> Decimal:
    """The entry amount in the account currency (a counter-value when booked in another)."""
    if not statement.currency or amount.currency in (None, statement.currency):
        return amount.value
    for candidate in _findall(element, "AmtDtls/*/Amt"):
        if candidate.get("Ccy") == statement.currency:
            value = _decimal(_text(candidate))
            if value is not None:
                return value
    ctx.warnings.append(
        f"row {row_number}: entry booked in {amount.currency} on a {statement.currency}"
        f" account without a {statement.currency} counter-value; controls use"
        f" {amount.text} as is"
    )
    return amount.value


def _opening_closing(statement: _Statement) -> tuple[_Balance | None, _Balance | None]:
    by_code: dict[str, _Balance] = {}
    for balance in statement.balances:
        if balance.code:
            by_code.setdefault(balance.code, balance)
    opening = by_code.get("OPBD") or by_code.get("PRCD")
    return opening, by_code.get("CLBD")


def _check_balances(statement: _Statement, ctx: _Context) -> None:
    opening, closing = _opening_closing(statement)
    if opening is None or closing is None:
        return
    booked = [entry for entry in statement.entries if entry.booked]
    credits = sum((e.control_amount for e in booked if e.direction == "CRDT"), Decimal(0))
    debits = sum((e.control_amount for e in booked if e.direction == "DBIT"), Decimal(0))
    start = _signed(opening.amount, opening.direction)
    expected = start + credits - debits
    stated = _signed(closing.amount, closing.direction)
    if expected == stated:
        return
    ccy = statement.currency
    mixed = (
        f" (opening in {opening.currency}, closing in {closing.currency})"
        if opening.currency != closing.currency
        else ""
    )
    ctx.failures.append(
        f"statement {statement.statement_id}: opening {opening.code} {money_text(start, ccy)}"
        f" + credits {money_text(credits, ccy)} - debits {money_text(debits, ccy)}"
        f" = {money_text(expected, ccy)} but closing CLBD is {money_text(stated, ccy)}"
        f" (difference {money_text(stated - expected, ccy)}){mixed}"
    )


def _check_summary(statement: _Statement, ctx: _Context) -> None:
    summary = _find(statement.element, "TxsSummry")
    if summary is None:
        return
    entries = statement.entries
    credits = [e.control_amount for e in entries if e.direction == "CRDT"]
    debits = [e.control_amount for e in entries if e.direction == "DBIT"]
    groups = (
        ("TtlNtries", [e.control_amount for e in entries]),
        ("TtlCdtNtries", credits),
        ("TtlDbtNtries", debits),
    )
    for name, amounts in groups:
        group = _find(summary, name)
        if group is not None:
            _check_group(statement, ctx, name, group, amounts)
    _check_net(statement, ctx, summary, sum(credits, Decimal(0)) - sum(debits, Decimal(0)))


def _check_group(
    statement: _Statement, ctx: _Context, name: str, group: Element, amounts: list[Decimal]
) -> None:
    where = f"statement {statement.statement_id}: TxsSummry/{name}"
    count_text = _text(group, "NbOfNtries")
    if count_text is not None and count_text != str(len(amounts)):
        ctx.warnings.append(
            f"{where}/NbOfNtries is {count_text} but {len(amounts)} entries are present"
        )
    stated = _decimal(_text(group, "Sum"))
    actual = sum(amounts, Decimal(0))
    ccy = statement.currency
    if stated is not None and stated != actual:
        ctx.failures.append(
            f"{where}/Sum is {money_text(stated, ccy)} but the {len(amounts)} entries present"
            f" sum to {money_text(actual, ccy)}"
        )


def _check_net(statement: _Statement, ctx: _Context, summary: Element, net: Decimal) -> None:
    total = _find(summary, "TtlNtries")
    if total is None:
        return
    amount = _decimal(_first_text(total, "TtlNetNtry/Amt", "TtlNetNtryAmt"))
    if amount is None:
        return
    direction = _first_text(total, "TtlNetNtry/CdtDbtInd", "CdtDbtInd")
    stated = _signed(amount, direction)
    if stated != net:
        ctx.failures.append(
            f"statement {statement.statement_id}: TxsSummry/TtlNtries net amount is"
            f" {money_text(stated, statement.currency)} but the entries present net to"
            f" {money_text(net, statement.currency)}"
        )


def _check_batches(element: Element, statement: _Statement, ctx: _Context, row: int) -> None:
    for details_group in _findall(element, "NtryDtls"):
        batch = _find(details_group, "Btch")
        details = _findall(details_group, "TxDtls")
        if batch is None or not details:
            continue
        where = f"statement {statement.statement_id}, entry at row {row}: batch"
        count_text = _text(batch, "NbOfTxs")
        if count_text is not None and count_text != str(len(details)):
            ctx.warnings.append(
                f"{where} NbOfTxs is {count_text} but {len(details)} TxDtls are present"
            )
        total = _read_amount(batch, "TtlAmt")
        if total is not None:
            _check_batch_total(ctx, where, total.value, details)


def _detail_amount(detail: Element) -> Decimal | None:
    amount = _read_amount(detail) or _read_amount(detail, "AmtDtls/TxAmt/Amt")
    return None if amount is None else amount.value


def _check_batch_total(ctx: _Context, where: str, total: Decimal, details: list[Element]) -> None:
    amounts = [_detail_amount(detail) for detail in details]
    if any(amount is None for amount in amounts):
        ctx.warnings.append(f"{where} TtlAmt not verified: a TxDtls has no amount")
        return
    directions = {_text(detail, "CdtDbtInd") for detail in details} - {None}
    if len(directions) > 1:
        signed = (
            _signed(amount, _text(detail, "CdtDbtInd"))
            for amount, detail in zip(amounts, details, strict=True)
            if amount is not None
        )
        actual = abs(sum(signed, Decimal(0)))
    else:
        actual = sum((amount for amount in amounts if amount is not None), Decimal(0))
    if actual != total:
        ctx.failures.append(
            f"{where} TtlAmt is {money_text(total, None)} but its {len(details)} TxDtls sum to"
            f" {money_text(actual, None)}"
        )
