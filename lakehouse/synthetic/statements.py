"""Bank statements from the generator's bank lines (:data:`records.BANK`), column-wise.

BAI2 with correct account, group and file control totals; camt.053.001.08 with
OPBD/CLBD balances and ``TxsSummry``. One statement per file, entries in line order;
each writer yields the file in pieces (header, chunks of entries, trailer).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakehouse.synthetic import text as tx

CHUNK = 200_000


@dataclass(frozen=True)
class Statement:
    account_id: str
    currency: str
    statement_date: date
    opening: int  # cents
    lines: pa.Table  # records.BANK rows booked on statement_date

    @property
    def amounts(self) -> np.ndarray:
        return np.asarray(self.lines.column("amount").to_numpy())

    @property
    def closing(self) -> int:
        return self.opening + int(self.amounts.sum())


def _col(table: pa.Table, name: str) -> pa.Array:
    return table.column(name).combine_chunks()


def _chunks(table: pa.Table) -> Iterator[pa.Table]:
    for offset in range(0, table.num_rows, CHUNK):
        yield table.slice(offset, CHUNK)


def bai2(
    st: Statement, created: datetime, sender: str, receiver: str
) -> Iterator[bytes | memoryview]:
    """A BAI2 file with one group and one account section."""
    amounts = st.amounts
    n = len(amounts)
    total = st.opening + st.closing + int(np.abs(amounts).sum())
    yield (
        f"01,{sender},{receiver},{created:%y%m%d},{created:%H%M},1,80,1,2/\n"
        f"02,{receiver},{sender},1,{st.statement_date:%y%m%d},2359,{st.currency},2/\n"
        f"03,{st.account_id},{st.currency},010,{st.opening},,,015,{st.closing},,/\n"
    ).encode("ascii")
    for part in _chunks(st.lines):
        yield tx.payload(
            tx.join(
                [
                    "16",
                    _col(part, "type_code"),
                    tx.ints(np.abs(np.asarray(part.column("amount").to_numpy()))),
                    "Z",
                    _col(part, "bank_reference"),
                    _col(part, "customer_reference"),
                    tx.join([pc.replace_substring(_col(part, "text"), "/", " "), "/\n"]),
                ],
                ",",
            )
        )
    yield (f"49,{total},{n + 2}/\n98,{total},1,{n + 4}/\n99,{total},1,{n + 6}/\n").encode("ascii")


def _escape(values: pa.Array) -> pa.Array:
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        values = pc.replace_substring(values, char, entity)
    return values


def _amount(value: int, currency: str) -> str:
    return f'<Amt Ccy="{currency}">{abs(value) // 100}.{abs(value) % 100:02d}</Amt>'


def _cd(value: int) -> str:
    return "CRDT" if value >= 0 else "DBIT"


def _count_sum(tag: str, amounts: np.ndarray) -> str:
    total = int(np.abs(amounts).sum())
    return (
        f"<{tag}><NbOfNtries>{len(amounts)}</NbOfNtries>"
        f"<Sum>{total // 100}.{total % 100:02d}</Sum></{tag}>"
    )


ENTRY = """\
      <Ntry>
        <NtryRef>{bank_ref}</NtryRef>
        <Amt Ccy="{currency}">{amount}</Amt>
        <CdtDbtInd>{cd}</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>{booked}</Dt></BookgDt>
        <ValDt><Dt>{booked}</Dt></ValDt>
        <AcctSvcrRef>{bank_ref}</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>{family}</Cd>
          <SubFmlyCd>{type_code}</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>{reference}</EndToEndId></Refs>
          <Amt Ccy="{currency}">{amount}</Amt>
          <CdtDbtInd>{cd}</CdtDbtInd>
          <RltdPties>
            <{party}><Pty><Nm>{counterparty}</Nm></Pty></{party}>
            <{party}Acct><Id><IBAN>{account}</IBAN></Id></{party}Acct>
          </RltdPties>
          <RmtInf><Ustrd>{text}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
"""


def _entries(part: pa.Table, currency: str) -> pa.Array:
    """One ``Ntry`` per line: the counterparty is the debtor of a credit, else the creditor."""
    amounts = np.asarray(part.column("amount").to_numpy())
    credit = (amounts >= 0).astype(np.int8)
    customer = _col(part, "customer_reference")
    return tx.fill(
        ENTRY,
        bank_ref=_escape(_col(part, "bank_reference")),
        currency=currency,
        amount=tx.money(np.abs(amounts)),
        cd=tx.pick(("DBIT", "CRDT"), credit),
        booked=pc.cast(_col(part, "booked"), pa.string()),
        family=tx.pick(("ICDT", "RCDT"), credit),
        type_code=_col(part, "type_code"),
        reference=_escape(pc.if_else(pc.equal(customer, ""), "NOTPROVIDED", customer)),
        party=tx.pick(("Cdtr", "Dbtr"), credit),
        counterparty=_escape(_col(part, "counterparty")),
        account=_escape(_col(part, "counterparty_account")),
        text=_escape(_col(part, "text")),
    )


def camt053(st: Statement, created: datetime, message_id: str) -> Iterator[bytes | memoryview]:
    """A camt.053.001.08 statement."""
    ccy, amounts = st.currency, st.amounts
    credits, debits = amounts[amounts >= 0], amounts[amounts < 0]
    total = int(np.abs(amounts).sum())
    net = int(amounts.sum())
    stamp = f"{created:%Y-%m-%dT%H:%M:%S}"

    def bal(code: str, value: int) -> str:
        return (
            f"      <Bal>\n        <Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>\n"
            f"        {_amount(value, ccy)}\n        <CdtDbtInd>{_cd(value)}</CdtDbtInd>\n"
            f"        <Dt><Dt>{st.statement_date.isoformat()}</Dt></Dt>\n      </Bal>\n"
        )

    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">\n'
        "  <BkToCstmrStmt>\n"
        f"    <GrpHdr><MsgId>{message_id}</MsgId><CreDtTm>{stamp}</CreDtTm></GrpHdr>\n"
        f"    <Stmt>\n      <Id>{message_id}-1</Id>\n      <CreDtTm>{stamp}</CreDtTm>\n"
        f"      <Acct><Id><IBAN>{st.account_id}</IBAN></Id><Ccy>{ccy}</Ccy></Acct>\n"
        + bal("OPBD", st.opening)
        + bal("CLBD", st.closing)
        + "      <TxsSummry>\n"
        f"        <TtlNtries><NbOfNtries>{len(amounts)}</NbOfNtries>"
        f"<Sum>{total // 100}.{total % 100:02d}</Sum>\n"
        f"          <TtlNetNtry><Amt>{abs(net) // 100}.{abs(net) % 100:02d}</Amt>"
        f"<CdtDbtInd>{_cd(net)}</CdtDbtInd></TtlNetNtry>\n        </TtlNtries>\n"
        f"        {_count_sum('TtlCdtNtries', credits)}\n"
        f"        {_count_sum('TtlDbtNtries', debits)}\n      </TxsSummry>\n"
    ).encode("utf-8")
    for part in _chunks(st.lines):
        yield tx.payload(_entries(part, ccy))
    yield b"    </Stmt>\n  </BkToCstmrStmt>\n</Document>\n"
