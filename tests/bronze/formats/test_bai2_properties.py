"""BAI2 parser properties: random, truncated and mutated input parses or is rejected
with the invariants kept; generated well-formed files are accepted as written."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bronze.formats.bai2_builders import (
    SAMPLES,
    bai2_bytes,
    needs_samples,
    parse,
    rejected,
    txn_values,
)
from tests.bronze.formats.invariants import assert_invariants


def _sample_bytes() -> list[bytes]:
    if not SAMPLES.is_dir():
        return []
    return [p.read_bytes() for p in sorted(SAMPLES.iterdir())]


SAMPLE_BYTES = _sample_bytes()


@given(st.binary(max_size=2000))
@settings(max_examples=300, deadline=None)
def test_random_bytes_parse_or_reject(data: bytes) -> None:
    assert_invariants(parse, data)


BAI2_ALPHABET = "0123456789,/+-\n\r 01SVDZ"


@given(st.text(alphabet=BAI2_ALPHABET, max_size=400))
@settings(max_examples=300, deadline=None)
def test_random_bai2_like_text_parse_or_reject(text: str) -> None:
    for prefix in ("", "01,S,R,230101,1200,1,80,1,2/\n02,R,S,1,230102,,,2/\n03,1,"):
        assert_invariants(parse, (prefix + text).encode())


@needs_samples
@given(st.data())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_truncated_samples_parse_or_reject(data: st.DataObject) -> None:
    sample = data.draw(st.sampled_from(SAMPLE_BYTES))
    cut = data.draw(st.integers(min_value=0, max_value=len(sample)))
    assert_invariants(parse, sample[:cut])


@needs_samples
@given(st.data())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_samples_parse_or_reject(data: st.DataObject) -> None:
    sample = bytearray(data.draw(st.sampled_from(SAMPLE_BYTES)))
    for _ in range(data.draw(st.integers(min_value=1, max_value=5))):
        pos = data.draw(st.integers(min_value=0, max_value=len(sample) - 1))
        sample[pos] = ord(data.draw(st.sampled_from(BAI2_ALPHABET + "X\x00")))
    assert_invariants(parse, bytes(sample))


# Generated well-formed files: the parser must accept them and report what was written.


@dataclass(frozen=True)
class _Detail:
    type_code: int
    amount: int
    funds: str
    text: str
    continuation: str


@dataclass(frozen=True)
class _GenAccount:
    number: str
    currency: str
    summaries: tuple[tuple[str, int, str], ...]
    details: tuple[_Detail, ...]
    splits: tuple[int, ...]


FUNDS = st.sampled_from(["", "0", "1", "2", "Z", "S,1,2,3", "S,,,", "V,230105,", "D,1,0,5"])
TEXT = st.text(alphabet="ABCxyz ,.:-/;'\"", max_size=30)

details_st = st.builds(
    _Detail,
    type_code=st.integers(min_value=100, max_value=699),
    amount=st.integers(min_value=0, max_value=10**12),
    funds=FUNDS,
    text=TEXT,
    continuation=TEXT,
)
accounts_st = st.builds(
    _GenAccount,
    number=st.from_regex(r"[0-9]{1,12}", fullmatch=True),
    currency=st.sampled_from(["", "USD", "EUR", "CAD"]),
    summaries=st.lists(
        st.tuples(
            st.sampled_from(["010", "015", "040", "045", "072", "100", "400", "190"]),
            st.integers(min_value=-(10**12), max_value=10**12),
            FUNDS,
        ),
        max_size=5,
    ).map(tuple),
    details=st.lists(details_st, max_size=5).map(tuple),
    splits=st.lists(st.integers(min_value=1, max_value=40), max_size=3).map(tuple),
)


def _amount_text(amount: int, padded: bool) -> str:
    sign = "+" if amount >= 0 and padded else ""
    return f"{sign}{amount:015d}" if padded else str(amount)


def _account_records(account: _GenAccount, padded: bool) -> tuple[list[str], int]:
    fields = [account.number, account.currency]
    for code, amount, funds in account.summaries:
        fields += [code, _amount_text(amount, padded), "", funds]
    fields = ",".join(fields).split(",")
    cuts = sorted({c for c in account.splits if c < len(fields)})
    pieces = [fields[a:b] for a, b in zip([0, *cuts], [*cuts, len(fields)], strict=True)]
    records = ["03," + ",".join(pieces[0]) + "/", *("88," + ",".join(p) + "/" for p in pieces[1:])]
    total = sum(amount for _, amount, _ in account.summaries)
    for d in account.details:
        records.append(f"16,{d.type_code},{_amount_text(d.amount, padded)},{d.funds},R,C,{d.text}")
        if d.continuation.strip():
            records.append(f"88,{d.continuation}")
        total += d.amount
    records.append(f"49,{total},{len(records) + 1}/")
    return records, total


@given(
    groups=st.lists(st.lists(accounts_st, min_size=1, max_size=3), min_size=1, max_size=3),
    padded=st.booleans(),
    crlf=st.booleans(),
)
@settings(max_examples=150, deadline=None)
def test_generated_files_are_accepted(
    groups: list[list[_GenAccount]], padded: bool, crlf: bool
) -> None:
    records = ["01,S,R,230101,1200,1,80,1,2/"]
    file_total = 0
    for index, accounts in enumerate(groups):
        group_records = [f"02,R,S,1,2301{index + 1:02d},,,2/"]
        group_total = 0
        for account in accounts:
            account_records, total = _account_records(account, padded)
            group_records += account_records
            group_total += total
        group_records.append(f"98,{group_total},{len(accounts)},{len(group_records) + 1}/")
        records += group_records
        file_total += group_total
    records.append(f"99,{file_total},{len(groups)},{len(records) + 1}/")
    data = bai2_bytes(*records, sep="\r\n" if crlf else "\n")
    parsed = parse(data, "generated")
    assert parsed.warnings == []
    details = [d for accounts in groups for a in accounts for d in a.details]
    assert parsed.entries == len(details)
    txns = txn_values(parsed)
    assert [t["type_code"] for t in txns] == [str(d.type_code) for d in details]
    assert [Decimal(t["amount"] or "") for t in txns] == [Decimal(d.amount) / 100 for d in details]
    assert [t["credit_debit"] for t in txns] == [
        "CRDT" if d.type_code < 400 else "DBIT" for d in details
    ]
    assert Decimal(parsed.totals["file_control_total"]) == Decimal(file_total) / 100
    summaries = [s for accounts in groups for a in accounts for s in a.summaries]
    assert len(parsed.rows) == len(details) + len(summaries)

    # Any change to one account total must reject the file.
    broken = re.sub(rb"\n49,(-?\d+),", lambda m: b"\n49,%d," % (int(m[1]) + 1), data, count=1)
    assert "trailer 49 total" in rejected(broken)
