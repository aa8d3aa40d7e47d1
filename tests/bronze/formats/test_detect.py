"""Format sniffing from content, on small hand-written files and on every real sample."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lakehouse.bronze.formats.base import LEDGER_COLUMNS, FileRejected
from lakehouse.bronze.formats.detect import detect_format
from lakehouse.feed_formats import feed_formats

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLES = REPO_ROOT.parent / "shared" / "samples"

# folder -> format the content must be detected as
FOLDER_FORMATS = {
    "bai2": "bai2",
    "camt053": "camt053",
    "camt054": "camt054",
    "mt940": "mt940",
    "nacha": "nacha",
    "stripe": "stripe",
}
# named like a camt.054 but really a camt.053.001.04 (see INDEX.md)
CONTENT_OVER_NAME = {"banana_camt054_v04_adrline_ubs.xml": "camt053"}
NOT_IN_REGISTRY = ("paypal", "sumup")

NACHA_HEADER = "101 031300012 2313801041807130000A094101Federal Reserve Bank   My Bank Name"
NACHA_BATCH = (
    "5220Your Company, in                    121042882 CORVendor Pay      000000   1121042880000001"
)
NACHA_ENTRY = (
    "621231380104744-5678-99      0000000000location #23   Best Co. #23          S 1121042880000001"
)


def camt(namespace: str, root: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{namespace}">\n'
        f"  <{root}><GrpHdr><MsgId>1</MsgId></GrpHdr></{root}>\n</Document>\n"
    ).encode()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"01,121140399,9999999999,050608,1015,1,80,1,2/\n02,9999/\n", "bai2"),
        (b"\xef\xbb\xbf01,1,2,3/\r\n", "bai2"),
        (camt("camt.053.001.08", "BkToCstmrStmt"), "camt053"),
        (camt("camt.054.001.04", "BkToCstmrDbtCdtNtfctn"), "camt054"),
        (b"<Document><BkToCstmrStmt/></Document>", "camt053"),
        (b"<ns:Document><ns:BkToCstmrDbtCdtNtfctn>", "camt054"),
        (b":20:STARTUMS\r\n:25:1966315302010001\r\n:28:00046\r\n", "mt940"),
        (b"{1:F01ABNANL2AXXX0000000000}{2:I940}{4:\n:20:X\n-}", "mt940"),
        (b":940:\n:20:940S130101\n:25:NL71RABO0123456789\n", "mt940"),
        (b"ABNANL2A\n940\nABNANL2A\n:20:ABN AMRO BANK NV\n:25:517852257\n", "mt940"),
        (f"{NACHA_HEADER}\n{NACHA_BATCH}\n{NACHA_ENTRY}\n".encode(), "nacha"),
        (f"{NACHA_BATCH}\n{NACHA_ENTRY}\n".encode(), "nacha"),  # no file header
        ((NACHA_HEADER.ljust(94) + NACHA_BATCH + NACHA_ENTRY).encode(), "nacha"),  # no breaks
        (b"Company Account,Merchant Account,Psp Reference,Type,Batch Number\n", "adyen"),
        (b'"PSP REFERENCE","batch number"\n', "adyen"),
        (b'"balance_transaction_id","created","gross"\n', "stripe"),
        (b"automatic_payout_id,net\n", "stripe"),
        (b"id,Type,Source,Amount,Fee,Net,Currency\n", "stripe"),
        ((",".join(LEDGER_COLUMNS) + "\n").encode(), "ledger"),
        ((",".join(reversed(LEDGER_COLUMNS[:-1])) + "\n").encode(), "ledger"),  # parser names it
        (b'\n{"decision_id": "d-1", "action": "match"}\n', "manual_decisions"),
    ],
)
def test_detects_from_content(data: bytes, expected: str) -> None:
    assert detect_format(data, "misleading-name.txt") == expected


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n\n  \n",
        b"hello world\n",
        b"Date,Description,Amount\n2024-01-01,x,1\n",
        b"<html><body>not camt</body></html>",
        b"[1, 2, 3]\n",
        b"\x00\x01\x02\xff\xfe",
        b"entry_id,amount\n",  # too few ledger columns to be the ledger
        b"Psp Reference;Batch Number\n",  # the Adyen layout is comma separated
    ],
)
def test_unrecognised_content_is_rejected_with_the_known_formats(data: bytes) -> None:
    with pytest.raises(FileRejected) as info:
        detect_format(data, "landing/x.bin")
    reason = info.value.reason
    assert reason.startswith("unrecognised format: ")
    assert f"expected one of: {', '.join(sorted(feed_formats()))}" in reason
    assert info.value.path == "landing/x.bin"


def test_xml_reason_says_it_is_not_camt() -> None:
    with pytest.raises(FileRejected, match=r"XML without a camt\.053 / camt\.054 Document"):
        detect_format(b"<?xml version='1.0'?><pain.001/>", "x.xml")


def sample_files() -> list[Path]:
    if not SAMPLES.is_dir():
        return []
    return sorted(p for p in SAMPLES.rglob("*") if p.is_file() and p.suffix != ".md")


def expected_format(path: Path) -> str | None:
    return CONTENT_OVER_NAME.get(path.name, FOLDER_FORMATS.get(path.parent.name))


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"real samples not found at {SAMPLES}")
@pytest.mark.parametrize("path", sample_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_real_sample_is_detected_by_its_content(path: Path) -> None:
    expected = expected_format(path)
    if path.parent.name in NOT_IN_REGISTRY:
        # PayPal and SumUp exports have no layout in the registry: unrecognised is right.
        with pytest.raises(FileRejected, match="unrecognised format"):
            detect_format(path.read_bytes(), str(path))
        return
    assert expected is not None, f"no expectation for sample folder {path.parent.name}"
    assert detect_format(path.read_bytes(), str(path)) == expected


@settings(max_examples=500, deadline=None)
@given(data=st.binary(max_size=1000))
def test_random_bytes_give_a_known_format_or_rejection(data: bytes) -> None:
    try:
        assert detect_format(data, "random") in feed_formats()
    except FileRejected as exc:
        assert exc.reason.startswith("unrecognised format: ")


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list('0156:{}<>,;"\n 9ABC')), max_size=500))
def test_format_like_text_gives_a_known_format_or_rejection(text: str) -> None:
    try:
        assert detect_format(text.encode(), "random") in feed_formats()
    except FileRejected as exc:
        assert exc.reason.startswith("unrecognised format: ")
