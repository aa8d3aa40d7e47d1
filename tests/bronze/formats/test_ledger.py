"""Internal ledger export parser."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lakehouse.bronze.formats import get_parser
from lakehouse.bronze.formats.base import LEDGER_COLUMNS, FileRejected, ParsedFile
from lakehouse.bronze.formats.ledger import parse as parse_unchecked
from lakehouse.bronze.formats.ledger import parse_columnar, parse_row_by_row
from tests.bronze.formats.invariants import assert_invariants, checked

parse = checked(parse_unchecked)

HEADER = ",".join(LEDGER_COLUMNS)
LEDGER = f"""\
{HEADER}
le_0001,disbursement,LN-1001,M-17,-500.00,EUR,2024-03-01,2024-03-01T09:15:00Z,LN-1001-R3,sepa
le_0002,repayment,LN-1001,M-17,31.45,EUR,2024-03-04,2024-03-04T10:12:01+01:00,LN-1001-R3,adyen
le_0003,fee,LN-1002,M-18,1.20,USD,2024-03-04,2024-03-04 11:40:17,"LN-1002, fee",stripe
"""


def test_ledger_rows_keep_values() -> None:
    parsed = parse(LEDGER.encode(), "ledger/export.csv")
    assert parsed.format == "ledger"
    assert parsed.columns == LEDGER_COLUMNS
    assert [row.row_number for row in parsed.records()] == [1, 2, 3]
    assert parsed.records()[0].values == {
        "entry_id": "le_0001",
        "event_type": "disbursement",
        "loan_id": "LN-1001",
        "merchant_id": "M-17",
        "amount": "-500.00",
        "currency": "EUR",
        "effective_date": "2024-03-01",
        "created_at": "2024-03-01T09:15:00Z",
        "external_ref": "LN-1001-R3",
        "channel": "sepa",
    }
    assert parsed.records()[2].values["external_ref"] == "LN-1002, fee"
    assert parsed.entries == 3
    assert parsed.currencies == ["EUR", "USD"]
    assert parsed.totals == {"amount:EUR": "-468.55", "amount:USD": "1.20"}
    assert parsed.warnings == []


def test_columns_in_any_order_and_optional_blanks() -> None:
    columns = list(reversed(LEDGER_COLUMNS))
    values = dict(zip(LEDGER_COLUMNS, LEDGER.splitlines()[1].split(","), strict=True))
    values.update(loan_id="", channel=" ")
    text = ",".join(columns) + "\n" + ",".join(values[c] for c in columns) + "\n"
    row = parse(text.encode(), "x.csv").records()[0].values
    assert row["entry_id"] == "le_0001"
    assert row["amount"] == "-500.00"
    assert row["loan_id"] is None and row["channel"] is None


def test_missing_column_rejects_naming_it() -> None:
    text = LEDGER.replace("external_ref,", "", 1)
    with pytest.raises(FileRejected) as info:
        parse(text.encode(), "ledger/export.csv")
    assert "lacks column(s) external_ref" in info.value.reason
    assert info.value.path == "ledger/export.csv"


def test_repeated_column_rejects() -> None:
    lines = LEDGER.splitlines()
    text = "\n".join([lines[0] + ",Amount"] + [line + ",1" for line in lines[1:]])
    with pytest.raises(FileRejected, match="amount appears more than once"):
        parse(text.encode(), "x.csv")


def test_extra_column_is_a_warning() -> None:
    lines = LEDGER.splitlines()
    text = "\n".join([lines[0] + ",exported_by"] + [line + ",etl" for line in lines[1:]])
    parsed = parse(text.encode(), "x.csv")
    assert len(parsed.records()) == 3
    assert parsed.warnings == ["extra columns ignored: exported_by"]
    assert "exported_by" not in parsed.records()[0].values


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("-500.00", '"-500,00"', "amount '-500,00' is not a decimal"),
        ("-500.00", '"1,500.00"', "amount '1,500.00' is not a decimal"),
        ("-500.00", "ten", "amount 'ten' is not a decimal"),
        ("-500.00", "", "amount is blank"),
        ("2024-03-01,", "01/03/2024,", "effective_date '01/03/2024' is not an ISO date"),
        ("2024-03-01,", "2024-02-30,", "effective_date '2024-02-30' is not an ISO date"),
        ("2024-03-01,", "20240301,", "effective_date '20240301' is not an ISO date"),
        ("2024-03-01T09:15:00Z", "2024-03-01", "created_at '2024-03-01' is not an ISO-8601"),
        ("2024-03-01T09:15:00Z", "yesterday", "created_at 'yesterday' is not an ISO-8601"),
        ("2024-03-01T09:15:00Z", "2024-03-01T25:00:00", "created_at '2024-03-01T25:00:00'"),
        ("le_0001", " ", "entry_id is blank"),
        (",EUR,", ",,", "currency is blank"),
    ],
)
def test_bad_row_is_quarantined_with_reason(old: str, new: str, reason: str) -> None:
    lines = LEDGER.splitlines()
    lines[1] = lines[1].replace(old, new, 1)
    parsed = parse("\n".join(lines).encode(), "x.csv")
    assert [row.row_number for row in parsed.records()] == [2, 3]
    [quarantined] = parsed.quarantine
    assert quarantined.row_number == 1
    assert reason in quarantined.reason
    assert quarantined.raw == lines[1]


def test_short_row_is_quarantined() -> None:
    text = LEDGER + "le_0004,fee\n"
    parsed = parse(text.encode(), "x.csv")
    assert [(q.row_number, q.reason) for q in parsed.quarantine] == [
        (4, "short row: 2 fields, the header has 10")
    ]
    assert parsed.rows_read == parsed.entries == 4


def test_amount_is_normalised() -> None:
    text = LEDGER.replace("-500.00", "+500", 1).replace("31.45", "-0.00", 1)
    parsed = parse(text.encode(), "x.csv")
    assert [row.values["amount"] for row in parsed.records()] == ["500", "0.00", "1.20"]


def test_bom_crlf_empty_lines_and_trailing_empty_fields() -> None:
    lines = LEDGER.splitlines()
    text = "\r\n".join([lines[0] + ",", "", lines[1] + ",", "", lines[2], lines[3]]) + "\r\n"
    parsed = parse(b"\xef\xbb\xbf" + text.encode(), "x.csv")
    assert [row.row_number for row in parsed.records()] == [1, 2, 3]
    assert parsed.quarantine == []
    assert parsed.records()[0].values["entry_id"] == "le_0001"
    assert parsed.warnings == ["2 empty lines skipped"]


def test_duplicate_entry_ids_warn() -> None:
    parsed = parse((LEDGER + LEDGER.splitlines()[1] + "\n").encode(), "x.csv")
    assert len(parsed.records()) == 4
    assert parsed.warnings == ["1 entry_id values appear more than once: le_0001"]


# a cell longer than pyarrow's read block makes the whole file take the row parser
@pytest.mark.parametrize(("size", "column_wise"), [(200 * 1024, True), (2 * 1024 * 1024, False)])
def test_oversized_cell_quarantines_its_row_on_both_paths(size: int, column_wise: bool) -> None:
    huge = "R" * size
    lines = LEDGER.splitlines()
    lines[2] = lines[2].replace("LN-1001-R3,adyen", f"{huge},adyen")
    data = ("\n".join(lines) + "\n").encode()
    fast = parse_columnar(data)  # the column path leaves that row to the row parser
    assert (fast is not None) == column_wise
    if fast is not None:
        _same_outcome(fast, parse_row_by_row(data))
    for parsed in (parse(data, "x.csv"), parse_row_by_row(data)):
        assert [row.row_number for row in parsed.records()] == [1, 3]
        (bad,) = parsed.quarantine
        assert bad.row_number == 2
        assert bad.reason == (
            f"column 9 holds {size} characters, more than the 131072 a field may have"
        )
        assert huge in bad.raw  # kept whole


def test_long_cell_within_the_limit_is_accepted_alike() -> None:
    long = "R" * 100_000
    data = LEDGER.replace("LN-1001-R3,adyen", f"{long},adyen").encode()
    fast = parse_columnar(data)
    assert fast is not None
    assert fast.records() == parse_row_by_row(data).records()
    assert fast.records()[1].values["external_ref"] == long


def test_file_ending_inside_quotes_is_rejected_as_truncated() -> None:
    data = (LEDGER + 'le_0004,fee,LN-1,M-1,1.00,EUR,2024-03-04,2024-03-04T09:00:00Z,"LN-1').encode()
    with pytest.raises(FileRejected, match=r"^x.csv: truncated: the file ends inside a quoted"):
        parse(data, "x.csv")
    assert parse_columnar(data) is None


def test_empty_file_is_rejected() -> None:
    with pytest.raises(FileRejected, match="no CSV header"):
        parse(b"", "x.csv")


def test_registry_returns_this_parser() -> None:
    assert get_parser("ledger") is parse_unchecked


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=2000))
@example(data=b"\r\x00")  # a carriage return not before a newline broke the header check
def test_random_bytes_parse_or_reject(data: bytes) -> None:
    assert_invariants(parse, data)


@settings(max_examples=200, deadline=None)
@given(body=st.text(alphabet=st.sampled_from(list('0123456789.,-:TZ"ab \n')), max_size=400))
def test_noise_after_the_header_keeps_row_accounting(body: str) -> None:
    parsed = assert_invariants(parse, (HEADER + "\n" + body).encode())
    if isinstance(parsed, FileRejected):  # only a quote left open at the end rejects
        assert parsed.reason.startswith("truncated: the file ends inside a quoted field")


def _same_outcome(fast: ParsedFile, reference: ParsedFile) -> None:
    assert fast.table is not None and reference.table is None
    assert fast.records() == reference.records()
    assert fast.quarantine == reference.quarantine
    assert (fast.entries, fast.totals) == (reference.entries, reference.totals)
    assert (fast.currencies, fast.warnings) == (reference.currencies, reference.warnings)
    assert fast.rows_table().equals(reference.rows_table())


def test_a_well_formed_export_is_parsed_column_wise_with_the_same_outcome() -> None:
    data = (LEDGER + LEDGER.split("\n", 1)[1].replace("le_0003", "le_0004")).encode()
    fast = parse_columnar(data)
    assert fast is not None
    _same_outcome(fast, parse_row_by_row(data))
    assert fast.warnings == ["2 entry_id values appear more than once: le_0001, le_0002"]
    assert parse(data, "x.csv").table is not None


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda t: t.replace(",sepa", ",sepa,extra"), "ragged row"),
        (lambda t: t.replace("\nle_0002", "\n\nle_0002"), "blank line"),
        (lambda t: t.replace("LN-1002, fee", "LN-1002,\nfee"), "value across lines"),
        (lambda t: "\ufeff" + t, "byte order mark"),
        (lambda t: t.replace("channel", "channel,note"), "extra column"),
    ],
)
def test_an_unusual_file_takes_the_row_parser_whole(change: object, why: str) -> None:
    data = change(LEDGER).encode()  # type: ignore[operator]
    assert parse_columnar(data) is None, why


@pytest.mark.parametrize(
    ("change", "why", "quarantined"),
    [
        (lambda t: t.replace("31.45", " 31.45"), "padded cell", 0),
        (lambda t: t.replace("31.45", "+31.45"), "amount not in bronze form", 0),
        (lambda t: t.replace("1.20,", "-0.00,"), "negative zero", 0),
        (lambda t: t.replace("-500.00", "1" * 25), "too many digits", 1),
        (lambda t: t.replace("2024-03-01,", "2024-02-30,"), "not a calendar day", 1),
        (lambda t: t.replace("T09:15:00Z", "T24:15:00Z"), "not a real instant", 1),
        (lambda t: t.replace(",M-17,-500", ",,-500"), "optional blank", 0),
        (lambda t: t.replace(",disbursement,", ",,"), "required value blank", 1),
        (lambda t: t.replace("31.45", '"12,3x"'), "not a decimal", 1),
    ],
)
def test_an_unusual_row_alone_takes_the_row_parser(
    change: object, why: str, quarantined: int
) -> None:
    data = change(LEDGER).encode()  # type: ignore[operator]
    fast = parse_columnar(data)
    assert fast is not None, why
    _same_outcome(fast, parse_row_by_row(data))
    assert len(fast.quarantine) == quarantined, why


# mostly well-formed values, so that many examples take the column-wise path
_AMOUNT = st.sampled_from(["0", "1.5", "10.00", "-3.25", "12", "-0.00", "+2", "007", " 3", ""])


@settings(max_examples=150, deadline=None)
@given(
    cells=st.lists(
        st.tuples(
            st.sampled_from(["le_1", "le_2", "le_3", "", " le_4"]),
            _AMOUNT,
            st.sampled_from(["EUR", "USD", "JPY", ""]),
            st.sampled_from(["2024-03-01", "2024-03-02", "2024-02-30", "2024-3-1"]),
            st.sampled_from(["2024-03-01T09:15:00Z", "2024-03-01 25:00", "2024-03-01T09:15"]),
            st.sampled_from(["", "a", '"b,c"']),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_column_wise_parse_agrees_with_the_row_parser(
    cells: list[tuple[str, str, str, str, str, str]],
) -> None:
    lines = [HEADER] + [
        f"{entry},repayment,LN-1,M-1,{amount},{currency},{day},{created},{ref},adyen"
        for entry, amount, currency, day, created, ref in cells
    ]
    data = ("\n".join(lines) + "\n").encode()
    fast = parse_columnar(data)
    if fast is not None:
        _same_outcome(fast, parse_row_by_row(data))
