"""Tests of the NACHA parser: real samples, hand-built files per quirk, properties."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakehouse.bronze.formats.base import BANK_COLUMNS, ParsedFile
from lakehouse.bronze.formats.nacha import parse as parse_unchecked
from lakehouse.errors import FileRejected
from tests.bronze.formats.invariants import assert_invariants, checked

parse = checked(parse_unchecked)

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLES = REPO_ROOT.parent / "shared" / "samples" / "nacha"
needs_samples = pytest.mark.skipif(
    not SAMPLES.is_dir(),
    reason=f"real NACHA samples not found at {SAMPLES} (the shared samples folder is missing)",
)
MALFORMED_SAMPLE = "moov_return-no-batch-controls.ach"


def _rejected(data: bytes) -> str:
    with pytest.raises(FileRejected) as info:
        parse(data, "test.ach")
    assert info.value.path == "test.ach"
    return info.value.reason


# --------------------------------------------------------------------------- a tiny writer


def _fixed(*parts: str) -> str:
    line = "".join(parts)
    assert len(line) == 94, (len(line), line)
    return line


@dataclass
class Entry:
    code: str = "22"
    routing: str = "12104288"
    account: str = "123456789"
    amount: int = 100
    ident: str = "ID-1"
    name: str = "JOHN DOE"
    trace: str = "121042880000001"
    addenda: list[str] = field(default_factory=list)

    def lines(self, sec: str) -> list[str]:
        if sec in ("CTX", "TRX"):
            name = f"{len(self.addenda):04d}" + self.name.ljust(16)[:16] + "  "
        elif sec in ("CIE", "MTE"):
            name = self.ident.ljust(22)
        else:
            name = self.name.ljust(22)
        ident = self.name.ljust(15) if sec in ("CIE", "MTE") else self.ident.ljust(15)
        indicator = "1" if self.addenda else "0"
        entry = _fixed(
            "6", self.code, self.routing, "2", self.account.ljust(17), f"{self.amount:010d}",
            ident, name, "  ", indicator, self.trace,
        )  # fmt: skip
        return [entry, *self.addenda]


@dataclass
class Batch:
    entries: list[Entry]
    sec: str = "PPD"
    company_id: str = "1234567890"
    description: str = "PAYROLL"
    effective: str = "230105"
    number: int = 1
    service_class: str = "200"

    def header(self) -> str:
        return _fixed(
            "5", self.service_class, "ACME CORP".ljust(16), " " * 20, self.company_id.ljust(10),
            self.sec, self.description.ljust(10), " " * 6, self.effective, "   ", "1",
            "12104288", f"{self.number:07d}",
        )  # fmt: skip

    def count(self) -> int:
        return sum(1 + len(e.addenda) for e in self.entries)

    def entry_hash(self) -> int:
        return sum(int(e.routing) for e in self.entries)

    def total(self, debit: bool) -> int:
        return sum(e.amount for e in self.entries if (e.code[1] in "56789") == debit)

    def control(self) -> str:
        return _fixed(
            "8", self.service_class, f"{self.count():06d}", f"{self.entry_hash() % 10**10:010d}",
            f"{self.total(True):012d}", f"{self.total(False):012d}",
            self.company_id.ljust(10), " " * 25, "12104288", f"{self.number:07d}",
        )  # fmt: skip

    def lines(self) -> list[str]:
        body = [line for e in self.entries for line in e.lines(self.sec)]
        return [self.header(), *body, self.control()]


FILE_HEADER = _fixed(
    "101", " 231380104", " 121042882", "230104", "1236", "A", "094", "10", "1",
    "FEDERAL RESERVE BANK".ljust(23), "MY BANK".ljust(23), " " * 8,
)  # fmt: skip


def _file_lines(batches: list[Batch], pad: bool = True) -> list[str]:
    lines = [FILE_HEADER, *(line for b in batches for line in b.lines())]
    count = sum(b.count() for b in batches)
    blocks = -(-(len(lines) + 1) // 10)
    entry_hash = sum(b.entry_hash() for b in batches) % 10**10
    debit, credit = sum(b.total(True) for b in batches), sum(b.total(False) for b in batches)
    control = _fixed(
        "9", f"{len(batches):06d}", f"{blocks:06d}", f"{count:08d}", f"{entry_hash:010d}",
        f"{debit:012d}", f"{credit:012d}", " " * 39,
    )  # fmt: skip
    lines.append(control)
    if pad:
        lines += ["9" * 94] * (blocks * 10 - len(lines))
    return lines


def _ach(batches: list[Batch], sep: str = "\n", pad: bool = True) -> bytes:
    return (sep.join(_file_lines(batches, pad)) + sep).encode()


def _addenda_05(info: str, seq: int = 1) -> str:
    return _fixed("705", info.ljust(80), f"{seq:04d}", "0000001")


def _addenda_99(reason: str) -> str:
    return _fixed("799", reason, "091400600000001", " " * 6, "09100001", " " * 44, "0" * 15)


def _addenda_98(code: str, corrected: str) -> str:
    return _fixed(
        "798", code, "121042880000001", " " * 6, "12104288", corrected.ljust(29), " " * 15,
        "091012980000088",
    )  # fmt: skip


# --------------------------------------------------------------------------- real samples

# name -> (6 records, accounts, credits, debits)
EXPECTED = {
    "moov_20180713-IAT.ach": (2, ["231380104"], "1000.00", "20.00"),
    "moov_NACHA_SAMPLE_TEL_REVERSAL.ach": (2, ["881234567"], "6851.00", "6851.00"),
    "moov_ccd-debit.ach": (2, ["031300012"], "0.00", "5001.25"),
    "moov_cor-example.ach": (1, ["121042882"], "0.00", "0.00"),
    "moov_ctx-debit.ach": (1, ["121042882"], "0.00", "1000000.00"),
    "moov_dishonored-return.ach": (2, ["231380104"], "0.00", "480.00"),
    "moov_issue1620_return.ach": (1, ["9999999999"], "0.01", "0.00"),
    "moov_ppd-debit.ach": (1, ["121042882"], "0.00", "1000000.00"),
    "moov_ppd-mixedDebitCredit.ach": (3, ["121042882"], "2000000.00", "2000000.00"),
    "moov_return-WEB.ach": (2, ["123456789"], "45.65", "123.54"),
    "moov_two-micro-deposits.ach": (6, ["001"], "1.20", "1.20"),
}

# name -> return_reason per entry, reversal per entry
REASONS = {
    "moov_cor-example.ach": (["C01"], ["false"]),
    "moov_dishonored-return.ach": (["R68", "R68"], ["true", "true"]),
    "moov_issue1620_return.ach": (["R03"], ["true"]),
    "moov_return-WEB.ach": (["R01", "R03"], ["true", "true"]),
    "moov_NACHA_SAMPLE_TEL_REVERSAL.ach": ([None, None], ["true", "true"]),
    "moov_ppd-mixedDebitCredit.ach": ([None, None, None], ["false", "false", "false"]),
}


def _sample(name: str) -> ParsedFile:
    return parse((SAMPLES / name).read_bytes(), name)


@needs_samples
def test_every_sample_is_covered() -> None:
    assert sorted(p.name for p in SAMPLES.iterdir()) == sorted([*EXPECTED, MALFORMED_SAMPLE])


@needs_samples
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_sample_is_accepted(name: str) -> None:
    entries, accounts, credits, debits = EXPECTED[name]
    parsed = _sample(name)
    assert parsed.format == "nacha"
    assert parsed.columns == BANK_COLUMNS
    assert parsed.entries == entries
    assert len(parsed.rows) == entries
    assert parsed.quarantine == []
    assert parsed.accounts == accounts
    assert parsed.currencies == ["USD"]
    assert (parsed.totals["credits"], parsed.totals["debits"]) == (credits, debits)
    assert all(r.values["record_type"] == "TXN" for r in parsed.rows)
    assert all(set(r.values) == set(BANK_COLUMNS) for r in parsed.rows)
    assert not any("!=" in w for w in parsed.warnings)


@needs_samples
@pytest.mark.parametrize("name", sorted(REASONS))
def test_real_sample_return_reasons(name: str) -> None:
    reasons, reversals = REASONS[name]
    rows = [r.values for r in _sample(name).rows]
    assert [r["return_reason"] for r in rows] == reasons
    assert [r["reversal"] for r in rows] == reversals


@needs_samples
def test_malformed_sample_is_rejected() -> None:
    reason = _rejected((SAMPLES / MALFORMED_SAMPLE).read_bytes())
    assert reason == "malformed: no file header (1) record: found a type '5' record at line 1"


@needs_samples
def test_return_web_sample_rows() -> None:
    first, second = (r.values for r in _sample("moov_return-WEB.ach").rows)
    assert first == {
        **dict.fromkeys(BANK_COLUMNS),
        "record_type": "TXN",
        "statement_id": "0000001",
        "account_id": "123456789",
        "currency": "USD",
        "booking_date": "2000-01-01",
        "amount": "123.54",
        "credit_debit": "DBIT",
        "reversal": "true",
        "type_code": "26",
        "bank_reference": "091000017611242",
        "customer_reference": "MjMxNDAwMjAtOGQ",
        "description": "WEB TRANSFER",
        "counterparty_name": "Paul Jones",
        "counterparty_account": "123456789",
        "return_reason": "R01",
        "raw": (SAMPLES / "moov_return-WEB.ach").read_text().splitlines()[2]
        + "\n"
        + (SAMPLES / "moov_return-WEB.ach").read_text().splitlines()[3],
    }
    assert (second["type_code"], second["credit_debit"], second["amount"]) == (
        "21",
        "CRDT",
        "45.65",
    )


@needs_samples
def test_iat_sample_uses_iat_layout() -> None:
    parsed = _sample("moov_20180713-IAT.ach")
    rows = [r.values for r in parsed.rows]
    assert [r["counterparty_name"] for r in rows] == ["BEK Enterprises", "BEK Enterprises"]
    assert [r["counterparty_account"] for r in rows] == ["231380104", "231380104"]
    assert [r["customer_reference"] for r in rows] == [None, None]
    assert [r["credit_debit"] for r in rows] == ["CRDT", "DBIT"]
    assert rows[0]["description"] == "IAT TRADEPAYMT"
    assert rows[0]["raw"] is not None and rows[0]["raw"].count("\n") == 7
    assert parsed.warnings == []


@needs_samples
def test_ctx_sample_description_carries_addenda_info() -> None:
    (row,) = _sample("moov_ctx-debit.ach").rows
    assert row.values["description"] == "CTX ACH CTX Debit First Account Debit Second Account"
    assert row.values["counterparty_name"] == "Receiver Company"


@needs_samples
def test_trimmed_sample_lines_are_padded() -> None:
    parsed = _sample("moov_ppd-debit.ach")
    assert parsed.warnings == []
    assert parsed.totals["entry_hash"] == "0023138010"


@needs_samples
def test_returns_without_effective_date_use_the_creation_date() -> None:
    parsed = _sample("moov_dishonored-return.ach")
    assert [r.values["booking_date"] for r in parsed.rows] == ["2023-04-21", "2023-04-21"]
    assert parsed.warnings == [
        "batch 1 (line 2): effective entry date '000000' is not a date; "
        "booking_date is the file creation date 2023-04-21"
    ]


# --------------------------------------------------------------------------- quirks


def test_minimal_file_row() -> None:
    parsed = parse(_ach([Batch([Entry()])]), "x")
    assert parsed.warnings == []
    assert parsed.entries == 1
    assert parsed.totals == {"credits": "1.00", "debits": "0.00", "entry_hash": "0012104288"}
    (row,) = parsed.rows
    assert row.row_number == 3
    assert row.values == {
        **dict.fromkeys(BANK_COLUMNS),
        "record_type": "TXN",
        "statement_id": "0000001",
        "account_id": "1234567890",
        "currency": "USD",
        "booking_date": "2023-01-05",
        "amount": "1.00",
        "credit_debit": "CRDT",
        "reversal": "false",
        "type_code": "22",
        "bank_reference": "121042880000001",
        "customer_reference": "ID-1",
        "description": "PPD PAYROLL",
        "counterparty_name": "JOHN DOE",
        "counterparty_account": "123456789",
        "raw": Entry().lines("PPD")[0],
    }


@pytest.mark.parametrize("sep", ["\n", "\r\n", "\r"])
def test_line_endings_and_right_trimmed_lines(sep: str) -> None:
    lines = [line.rstrip() for line in _file_lines([Batch([Entry(), Entry(code="27")])])]
    parsed = parse(sep.join(lines).encode(), "x")
    assert parsed.warnings == []
    assert [r.values["credit_debit"] for r in parsed.rows] == ["CRDT", "DBIT"]


def test_unbroken_file_without_line_breaks() -> None:
    data = "".join(_file_lines([Batch([Entry(), Entry(code="27", amount=5)])])).encode()
    parsed = parse(data, "x")
    assert parsed.warnings == []
    assert [r.row_number for r in parsed.rows] == [3, 4]


def test_blank_lines_and_missing_padding() -> None:
    lines = _file_lines([Batch([Entry()])], pad=False)
    parsed = parse(("\n\n".join(lines)).encode(), "x")
    assert parsed.warnings == []
    assert parsed.rows[0].row_number == 5


@pytest.mark.parametrize(
    ("code", "direction"),
    [("21", "CRDT"), ("22", "CRDT"), ("23", "CRDT"), ("24", "CRDT"),
     ("26", "DBIT"), ("27", "DBIT"), ("28", "DBIT"), ("29", "DBIT"),
     ("31", "CRDT"), ("32", "CRDT"), ("36", "DBIT"), ("37", "DBIT"),
     ("42", "CRDT"), ("47", "DBIT"), ("52", "CRDT"), ("55", "DBIT"), ("56", "DBIT")],
)  # fmt: skip
def test_transaction_code_direction(code: str, direction: str) -> None:
    (row,) = parse(_ach([Batch([Entry(code=code)])]), "x").rows
    assert (row.values["type_code"], row.values["credit_debit"]) == (code, direction)


@pytest.mark.parametrize("code", ["20", "25", "30", "45", "57", "99", "81", "2A", "  "])
def test_unknown_transaction_code_rejects(code: str) -> None:
    lines = _file_lines([Batch([Entry()])])
    lines[2] = lines[2][:1] + code + lines[2][3:]
    assert f"transaction code {code!r} is not an ACH entry code" in _rejected(
        "\n".join(lines).encode()
    )


def test_addenda_05_payment_info_in_description() -> None:
    entry = Entry(addenda=[_addenda_05("INVOICE 1"), _addenda_05("INVOICE 2", 2)])
    parsed = parse(_ach([Batch([entry], sec="CCD", description="VENDOR PAY")]), "x")
    (row,) = parsed.rows
    assert row.values["description"] == "CCD VENDOR PAY INVOICE 1 INVOICE 2"
    assert row.values["raw"] == "\n".join(entry.lines("CCD"))
    assert parsed.warnings == []


def test_return_and_noc_addenda() -> None:
    returned = Entry(code="26", addenda=[_addenda_99("R01")])
    changed = Entry(code="21", amount=0, addenda=[_addenda_98("C01", "1918171614")])
    parsed = parse(_ach([Batch([returned, changed], sec="WEB")]), "x")
    rows = [r.values for r in parsed.rows]
    assert [r["return_reason"] for r in rows] == ["R01", "C01"]
    assert [r["reversal"] for r in rows] == ["true", "false"]
    assert [r["credit_debit"] for r in rows] == ["DBIT", "CRDT"]


def test_reversal_batch() -> None:
    parsed = parse(_ach([Batch([Entry()], description="REVERSAL")]), "x")
    assert parsed.rows[0].values["reversal"] == "true"


@pytest.mark.parametrize(
    ("sec", "name", "ident"),
    [("PPD", "JOHN DOE", "ID-1"), ("CTX", "RECEIVER CO", "ID-1"), ("CIE", "JOHN DOE", "ID-1")],
)
def test_counterparty_name_per_sec_code(sec: str, name: str, ident: str) -> None:
    entry = Entry(name=name, ident=ident)
    (row,) = parse(_ach([Batch([entry], sec=sec)]), "x").rows
    assert (row.values["counterparty_name"], row.values["customer_reference"]) == (name, ident)


def test_effective_date_fallback_when_creation_date_is_bad_too() -> None:
    lines = _file_lines([Batch([Entry()], effective="      ")])
    lines[0] = lines[0][:23] + "999999" + lines[0][29:]
    parsed = parse("\n".join(lines).encode(), "x")
    assert parsed.rows[0].values["booking_date"] is None
    assert "booking_date is empty" in parsed.warnings[0]


def test_several_batches_and_accounts() -> None:
    batches = [
        Batch([Entry(), Entry(code="27", amount=250, routing="02100002")], number=1),
        Batch([Entry(amount=7)], company_id="999", number=2),
    ]
    parsed = parse(_ach(batches), "x")
    assert parsed.accounts == ["1234567890", "999"]
    assert [r.values["statement_id"] for r in parsed.rows] == ["0000001", "0000001", "0000002"]
    assert parsed.totals == {"credits": "1.07", "debits": "2.50", "entry_hash": "0026308578"}
    assert parsed.warnings == []


# --------------------------------------------------------------------------- controls


def _replace(line: str, start: int, value: str) -> str:
    """Overwrite 1-based column ``start`` onward with ``value``."""
    return line[: start - 1] + value + line[start - 1 + len(value) :]


def _two_entry_file() -> list[str]:
    return _file_lines([Batch([Entry(amount=100), Entry(code="27", amount=40)])])


def test_batch_entry_hash_off_rejects() -> None:
    lines = _two_entry_file()
    lines[4] = _replace(lines[4], 11, "0024208577")
    assert _rejected("\n".join(lines).encode()) == (
        "control totals do not tie: batch 0000001 control (8) entry hash 0024208577 "
        "!= computed 0024208576"
    )


def test_batch_and_file_amounts_off_reject() -> None:
    lines = _two_entry_file()
    lines[4] = _replace(lines[4], 21, "000000000041")
    lines[5] = _replace(lines[5], 44, "000000000101")
    assert _rejected("\n".join(lines).encode()) == (
        "control totals do not tie: batch 0000001 control (8) total debit 0.41 != computed 0.40; "
        "file control (9) total credit 1.01 != computed 1.00"
    )


def test_file_entry_hash_off_rejects() -> None:
    lines = _two_entry_file()
    lines[5] = _replace(lines[5], 22, "0000000001")
    assert "file control (9) entry hash 0000000001 != computed 0024208576" in _rejected(
        "\n".join(lines).encode()
    )


def test_counts_off_only_warn() -> None:
    lines = _two_entry_file()
    lines[4] = _replace(lines[4], 5, "000009")
    lines[5] = _replace(lines[5], 2, "000003000007" + "00000099")
    parsed = parse("\n".join(lines).encode(), "x")
    assert parsed.entries == 2
    assert parsed.warnings == [
        "batch 0000001 control (8) entry/addenda count 9 != counted 2",
        "file control (9) batch count 3 != counted 1",
        "file control (9) block count 7 != counted 1",
        "file control (9) entry/addenda count 99 != counted 2",
    ]


def test_batch_control_identity_mismatch_warns() -> None:
    lines = _two_entry_file()
    lines[4] = _replace(lines[4], 2, "225")
    lines[4] = _replace(lines[4], 88, "0000002")
    parsed = parse("\n".join(lines).encode(), "x")
    assert parsed.warnings == [
        "batch 0000001 control (8) service class '225' != batch header '200'",
        "batch 0000001 control (8) batch number '0000002' != batch header '0000001'",
    ]


# --------------------------------------------------------------------------- malformed


def _without(index: int) -> bytes:
    lines = _two_entry_file()
    del lines[index]
    return "\n".join(lines).encode()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "malformed: no file header (1) record: found an empty file"),
        (b"\n \n", "malformed: no file header (1) record: found an empty file"),
        (_without(0), "no file header (1) record: found a type '5' record at line 1"),
        (_without(1), "no file control (9) record: found a type '6' record at line 2"),
        (_without(4), "batch 0000001 (line 2) has no batch control (8) record: found line 5"),
        (_without(5), "no file control (9) record: found padding at line 6"),
        (b"\n".join(_ach([Batch([Entry()])]).splitlines()[:3]),
         "batch 0000001 (line 2) has no batch control (8) record: found the end of the file"),
        (b"\n".join(_ach([Batch([Entry()])]).splitlines()[:4]),
         "malformed: no file control (9) record (truncated file?)"),
        (_ach([Batch([Entry()])]) + FILE_HEADER.encode(),
         "line 11: a type '1' record after the file control (9)"),
        (b"hello", "no file header (1) record: found a type 'h' record at line 1"),
        (FILE_HEADER.encode() + b"\n" + b"5" * 100, "line 2 is 100 characters long"),
    ],
)  # fmt: skip
def test_malformed_files_are_rejected(data: bytes, expected: str) -> None:
    reason = _rejected(data)
    assert reason.startswith("malformed: ")
    assert expected in reason


def test_addenda_without_entry_rejects() -> None:
    lines = _file_lines([Batch([Entry()])])
    lines.insert(2, _addenda_05("ORPHAN"))
    assert "line 3: addenda (7) record that does not follow an entry detail (6)" in _rejected(
        "\n".join(lines).encode()
    )


@pytest.mark.parametrize(("column", "what"), [(30, "entry amount"), (4, "RDFI routing number")])
def test_non_numeric_entry_fields_reject(column: int, what: str) -> None:
    lines = _two_entry_file()
    lines[2] = _replace(lines[2], column, "12X4")
    assert f"line 3: {what} " in _rejected("\n".join(lines).encode())


def test_non_numeric_control_field_rejects() -> None:
    lines = _two_entry_file()
    lines[5] = _replace(lines[5], 32, "ABC")
    assert "line 6: total debit 'ABC000000040' is not a number" in _rejected(
        "\n".join(lines).encode()
    )


# --------------------------------------------------------------------------- properties


def _sample_bytes() -> list[bytes]:
    if not SAMPLES.is_dir():
        return []
    return [p.read_bytes() for p in sorted(SAMPLES.iterdir())]


SAMPLE_BYTES = _sample_bytes()
ACH_ALPHABET = "0123456789 156789\nRC"


@given(st.binary(max_size=3000))
@settings(max_examples=300, deadline=None)
def test_random_bytes_parse_or_reject(data: bytes) -> None:
    assert_invariants(parse, data)


@given(st.lists(st.text(alphabet=ACH_ALPHABET, max_size=120), max_size=12))
@settings(max_examples=300, deadline=None)
def test_random_record_like_lines_parse_or_reject(lines: list[str]) -> None:
    data = "\n".join([FILE_HEADER, *lines]).encode()
    assert_invariants(parse, data)


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
        sample[pos] = ord(data.draw(st.sampled_from(ACH_ALPHABET + "X\x00")))
    assert_invariants(parse, bytes(sample))


CODES = ["21", "22", "23", "24", "26", "27", "28", "29", "32", "37", "42", "47", "52", "55"]
entries_st = st.builds(
    Entry,
    code=st.sampled_from(CODES),
    routing=st.from_regex(r"[0-9]{8}", fullmatch=True),
    amount=st.integers(min_value=0, max_value=9_999_999_999),
    addenda=st.lists(st.just(_addenda_05("INFO")), max_size=2),
)
batches_st = st.lists(
    st.builds(Batch, entries=st.lists(entries_st, min_size=1, max_size=6)), min_size=1, max_size=4
)


@given(batches=batches_st, sep=st.sampled_from(["\n", "\r\n"]), pad=st.booleans())
@settings(max_examples=150, deadline=None)
def test_generated_files_are_accepted(batches: list[Batch], sep: str, pad: bool) -> None:
    for number, batch in enumerate(batches, start=1):
        batch.number = number
    data = _ach(batches, sep=sep, pad=pad)
    parsed = parse(data, "generated")
    assert parsed.warnings == []
    entries = [e for b in batches for e in b.entries]
    assert parsed.entries == len(entries)
    assert [Decimal(r.values["amount"] or "") for r in parsed.rows] == [
        Decimal(e.amount) / 100 for e in entries
    ]
    debits = sum(b.total(True) for b in batches)
    assert Decimal(parsed.totals["debits"]) == Decimal(debits) / 100

    # One cent more on the first entry must reject the file (batch and file totals).
    lines = data.decode().split(sep)
    entry = lines[2]
    lines[2] = entry[:29] + f"{int(entry[29:39]) + 1:010d}" + entry[39:]
    if int(entry[29:39]) < 9_999_999_999:
        assert "control totals do not tie: " in _rejected(sep.join(lines).encode())
