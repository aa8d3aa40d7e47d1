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
