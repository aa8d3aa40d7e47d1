"""Writers of the real file formats the generator emits (pure: data in, bytes out).

Each writer produces what a bank or partner really sends: BAI2 with correct account,
group and file control totals; camt.053.001.08 with balances and ``TxsSummry``;
Adyen Settlement Details CSV; Stripe itemized balance-change CSV; the ledger export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from lakehouse.bronze.formats.base import LEDGER_COLUMNS


@dataclass(frozen=True)
class BankLine:
    """One booked bank entry; ``amount`` signed: + credit to our account."""

    booking_date: date
    amount: Decimal
    type_code: str
    bank_reference: str
    customer_reference: str
    text: str
    counterparty: str = ""
    counterparty_account: str = ""


@dataclass(frozen=True)
class Statement:
    account_id: str
    currency: str
    statement_date: date
    opening: Decimal
    lines: Sequence[BankLine]

    @property
    def closing(self) -> Decimal:
        return self.opening + sum((line.amount for line in self.lines), Decimal("0"))


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def ledger_csv(entries: Sequence[dict[str, str]]) -> bytes:
    return _csv(LEDGER_COLUMNS, [[e.get(c, "") for c in LEDGER_COLUMNS] for e in entries])


ADYEN_HEADER = [
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


def adyen_csv(rows: Sequence[dict[str, str]]) -> bytes:
    return _csv(ADYEN_HEADER, [[r.get(c, "") for c in ADYEN_HEADER] for r in rows])


STRIPE_HEADER = (
    "balance_transaction_id",
    "created",
    "available_on",
    "currency",
    "gross",
    "fee",
    "net",
    "reporting_category",
    "description",
    "automatic_payout_id",
    "automatic_payout_effective_at",
)


def stripe_csv(rows: Sequence[dict[str, str]]) -> bytes:
    return _csv(STRIPE_HEADER, [[r.get(c, "") for c in STRIPE_HEADER] for r in rows])


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def bai2(statements: Sequence[Statement], created: datetime, sender: str, receiver: str) -> bytes:
    """A BAI2 file: one group per statement date, one account section per statement."""
    records: list[str] = [
        f"01,{sender},{receiver},{created:%y%m%d},{created:%H%M},1,80,1,2/",
    ]
    by_date: dict[date, list[Statement]] = {}
    for st in statements:
        by_date.setdefault(st.statement_date, []).append(st)
    file_total = 0
    file_records = 1
    for as_of, group in sorted(by_date.items()):
        group_records = [f"02,{receiver},{sender},1,{as_of:%y%m%d},2359,{group[0].currency},2/"]
        group_total = 0
        for st in group:
            opening, closing = _cents(st.opening), _cents(st.closing)
            account = [f"03,{st.account_id},{st.currency},010,{opening},,,015,{closing},,/"]
            total = opening + closing
            for line in st.lines:
                amount = abs(_cents(line.amount))
                text = line.text.replace("/", " ")
                account.append(
                    f"16,{line.type_code},{amount},Z,{line.bank_reference},"
                    f"{line.customer_reference},{text}/"
                )
                total += amount
            account.append(f"49,{total},{len(account) + 1}/")
            group_records.extend(account)
            group_total += total
        group_records.append(f"98,{group_total},{len(group)},{len(group_records) + 1}/")
        records.extend(group_records)
        file_total += group_total
        file_records += len(group_records)
    records.append(f"99,{file_total},{len(by_date)},{file_records + 1}/")
    return ("\n".join(records) + "\n").encode("ascii")


def _amt(value: Decimal, currency: str) -> str:
    return f'<Amt Ccy="{currency}">{abs(value):.2f}</Amt>'


def _cd(value: Decimal) -> str:
    return "CRDT" if value >= 0 else "DBIT"


def _count_sum(tag: str, amounts: list[Decimal]) -> str:
    total = sum(amounts, Decimal("0"))
    return f"<{tag}><NbOfNtries>{len(amounts)}</NbOfNtries><Sum>{total:.2f}</Sum></{tag}>"


def _camt_entry(line: BankLine, ccy: str) -> str:
    credit = line.amount >= 0
    party, account = ("Dbtr", "DbtrAcct") if credit else ("Cdtr", "CdtrAcct")
    family = "RCDT" if credit else "ICDT"
    reference = escape(line.customer_reference or "NOTPROVIDED")
    return f"""      <Ntry>
        <NtryRef>{escape(line.bank_reference)}</NtryRef>
        {_amt(line.amount, ccy)}
        <CdtDbtInd>{_cd(line.amount)}</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>{line.booking_date.isoformat()}</Dt></BookgDt>
        <ValDt><Dt>{line.booking_date.isoformat()}</Dt></ValDt>
        <AcctSvcrRef>{escape(line.bank_reference)}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{family}</Cd>
          <SubFmlyCd>{line.type_code}</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>{reference}</EndToEndId></Refs>
          {_amt(line.amount, ccy)}
          <CdtDbtInd>{_cd(line.amount)}</CdtDbtInd>
          <RltdPties>
            <{party}><Pty><Nm>{escape(line.counterparty)}</Nm></Pty></{party}>
            <{account}><Id><IBAN>{escape(line.counterparty_account)}</IBAN></Id></{account}>
          </RltdPties>
          <RmtInf><Ustrd>{escape(line.text)}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>"""


def camt053(statement: Statement, created: datetime, message_id: str) -> bytes:
    """A camt.053.001.08 statement with OPBD/CLBD balances and TxsSummry."""
    st = statement
    ccy = st.currency
    entries = [_camt_entry(line, ccy) for line in st.lines]
    credits = [ln.amount for ln in st.lines if ln.amount >= 0]
    debits = [-ln.amount for ln in st.lines if ln.amount < 0]
    total = sum(credits, Decimal("0")) + sum(debits, Decimal("0"))
    net = sum(credits, Decimal("0")) - sum(debits, Decimal("0"))

    def bal(code: str, value: Decimal) -> str:
        return f"""      <Bal>
        <Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>
        {_amt(value, ccy)}
        <CdtDbtInd>{_cd(value)}</CdtDbtInd>
        <Dt><Dt>{st.statement_date.isoformat()}</Dt></Dt>
      </Bal>"""

    body = "\n".join(entries)
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>{created:%Y-%m-%dT%H:%M:%S}</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{message_id}-1</Id>
      <CreDtTm>{created:%Y-%m-%dT%H:%M:%S}</CreDtTm>
      <Acct><Id><IBAN>{st.account_id}</IBAN></Id><Ccy>{ccy}</Ccy></Acct>
{bal("OPBD", st.opening)}
{bal("CLBD", st.closing)}
      <TxsSummry>
        <TtlNtries><NbOfNtries>{len(st.lines)}</NbOfNtries><Sum>{total:.2f}</Sum>
          <TtlNetNtry><Amt>{abs(net):.2f}</Amt><CdtDbtInd>{_cd(net)}</CdtDbtInd></TtlNetNtry>
        </TtlNtries>
        {_count_sum("TtlCdtNtries", credits)}
        {_count_sum("TtlDbtNtries", debits)}
      </TxsSummry>
{body}
    </Stmt>
  </BkToCstmrStmt>
</Document>
"""
    return xml.encode("utf-8")


@dataclass(frozen=True)
class AchReturn:
    """One returned ACH debit: the original entry as the RDFI sends it back."""

    individual_id: str  # the originator's reference (15 characters at most)
    name: str
    amount: Decimal  # positive: the amount of the original debit
    reason: str  # R-code, e.g. R01
    original_trace: str
    trace: str
    rdfi_routing: str  # 9 digits
    account: str


def _field(value: str | int, width: int, *, numeric: bool = False) -> str:
    text = str(value)
    if len(text) > width:
        raise ValueError(f"NACHA field {text!r} is longer than {width} characters")
    return text.rjust(width, "0") if numeric else text.ljust(width)


def nacha_returns(
    returns: Sequence[AchReturn],
    created: datetime,
    effective: date,
    odfi_routing: str,
    company_id: str,
    company_name: str,
) -> bytes:
    """A NACHA return file from our ODFI: one PPD batch of returned debits (code 26).

    Each entry carries an addenda 99 with the R-code and the original trace number;
    batch and file controls (counts, entry hash, debit and credit totals, block
    count) tie, and the file is padded to a multiple of ten records with ``9``s.
    """
    odfi8 = odfi_routing[:8]
    records = [
        "101"
        + _field(f" {odfi_routing}", 10)
        + _field(f" {odfi_routing}", 10)
        + f"{created:%y%m%d%H%M}A094101"
        + _field("LENDERCO ODFI", 23)
        + _field("LENDERCO", 23)
        + _field("", 8)
    ]
    records.append(
        "5200"
        + _field(company_name, 16)
        + _field("", 20)
        + _field(company_id, 10)
        + "PPD"
        + _field("LOAN PMT", 10)
        + _field("", 6)
        + f"{effective:%y%m%d}"
        + "   1"
        + odfi8
        + _field(1, 7, numeric=True)
    )
    entry_hash = 0
    debits = 0
    for item in returns:
        cents = _cents(item.amount)
        entry_hash += int(item.rdfi_routing[:8])
        debits += cents
        records.append(
            "626"
            + item.rdfi_routing[:9]
            + _field(item.account, 17)
            + _field(cents, 10, numeric=True)
            + _field(item.individual_id, 15)
            + _field(item.name, 22)
            + "  1"
            + _field(item.trace, 15, numeric=True)
        )
        records.append(
            "799"
            + _field(item.reason, 3)
            + _field(item.original_trace, 15, numeric=True)
            + _field("", 6)
            + item.rdfi_routing[:8]
            + _field("", 44)
            + _field(item.trace, 15, numeric=True)
        )
    hash10 = entry_hash % 10**10
    count = 2 * len(returns)
    records.append(
        "8200"
        + _field(count, 6, numeric=True)
        + _field(hash10, 10, numeric=True)
        + _field(debits, 12, numeric=True)
        + _field(0, 12, numeric=True)
        + _field(company_id, 10)
        + _field("", 25)
        + odfi8
        + _field(1, 7, numeric=True)
    )
    blocks = -(-(len(records) + 1) // 10)
    records.append(
        "9"
        + _field(1, 6, numeric=True)
        + _field(blocks, 6, numeric=True)
        + _field(count, 8, numeric=True)
        + _field(hash10, 10, numeric=True)
        + _field(debits, 12, numeric=True)
        + _field(0, 12, numeric=True)
        + _field("", 39)
    )
    records.extend(["9" * 94] * (blocks * 10 - len(records)))
    assert all(len(r) == 94 for r in records), [len(r) for r in records]
    return ("\n".join(records) + "\n").encode("ascii")
