"""The DuckDB baseline of the benchmark is itself tested: exact matches on tiny silver
tables built in memory (Arrow), with the rules of conf/rules.toml. No Spark."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest

from bench.duckdb_baseline import (
    FROZEN_SCHEMA,
    BaselineResult,
    DuckDBReconciler,
    compare,
    spark_sql_to_duckdb,
)
from lakehouse.gold.rules import Leg, Rule, load_legs

D = date(2026, 11, 4)
D2, D3 = D - timedelta(days=2), D - timedelta(days=1)
MONEY = pa.decimal128(18, 2)

LEDGER = pa.schema(
    [
        ("entry_id", pa.string()),
        ("event_type", pa.string()),
        ("channel", pa.string()),
        ("amount", MONEY),
        ("currency", pa.string()),
        ("external_ref", pa.string()),
        ("business_date", pa.date32()),
        ("_arrival_date", pa.date32()),
    ]
)
PARTNER = pa.schema(
    [
        ("partner", pa.string()),
        ("settlement_id", pa.string()),
        ("batch_id", pa.string()),
        ("merchant_reference", pa.string()),
        ("record_class", pa.string()),
        ("gross_amount", MONEY),
        ("gross_currency", pa.string()),
        ("fee_amount", MONEY),
        ("net_amount", MONEY),
        ("currency", pa.string()),
        ("business_date", pa.date32()),
        ("description", pa.string()),
        ("_arrival_date", pa.date32()),
    ]
)
BANK = pa.schema(
    [
        ("bank_txn_id", pa.string()),
        ("source", pa.string()),
        ("amount", MONEY),
        ("currency", pa.string()),
        ("customer_reference", pa.string()),
        ("description", pa.string()),
        ("bank_reference", pa.string()),
        ("return_reason", pa.string()),
        ("reversal", pa.bool_()),
        ("business_date", pa.date32()),
        ("_arrival_date", pa.date32()),
    ]
)


def _table(schema: pa.Schema, defaults: dict[str, Any], rows: list[dict[str, Any]]) -> pa.Table:
    records = [{**{n: None for n in schema.names}, **defaults, **row} for row in rows]
    for record in records:
        for name in schema.names:
            if schema.field(name).type == MONEY and record[name] is not None:
                record[name] = Decimal(record[name])
    return pa.Table.from_pylist(records, schema=schema)


def ledger(*rows: dict[str, Any]) -> pa.Table:
    defaults = {
        "event_type": "repayment",
        "channel": "adyen",
        "currency": "EUR",
        "business_date": D2,
        "_arrival_date": D2,
    }
    return _table(LEDGER, defaults, list(rows))


def partner(*rows: dict[str, Any]) -> pa.Table:
    defaults = {
        "partner": "adyen",
        "record_class": "payment",
        "gross_currency": "EUR",
        "currency": "EUR",
        "fee_amount": "0.00",
        "business_date": D2,
        "_arrival_date": D2,
    }
    return _table(PARTNER, defaults, list(rows))


def bank(*rows: dict[str, Any]) -> pa.Table:
    defaults = {"source": "bai2", "currency": "USD", "business_date": D3, "_arrival_date": D}
    return _table(BANK, defaults, list(rows))


def card(ref: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {"merchant_reference": ref, "gross_amount": amount, "net_amount": amount, **extra}


@pytest.fixture(scope="module")
def result() -> BaselineResult:
    tables = {
        "ledger_entries": ledger(
            {"entry_id": "L1", "amount": "100.00", "external_ref": "RP-1"},
            {
                "entry_id": "L2",
                "amount": "100.00",
                "external_ref": "RP-2",
                "channel": "stripe",
                "currency": "USD",
            },
            {"entry_id": "L3", "amount": "50.00", "external_ref": "RP-3"},
            {"entry_id": "L4", "amount": "200.00", "external_ref": "RP-4"},
            {"entry_id": "L5", "amount": "80.00", "external_ref": "RP-5"},
            {
                "entry_id": "L6",
                "amount": "30.00",
                "external_ref": "RP-6",
                "business_date": D - timedelta(days=3),
            },
            {"entry_id": "L7", "amount": "30.00", "external_ref": "RP-7", "business_date": D},
            {"entry_id": "L8", "amount": "10.00", "external_ref": "RP-9", "business_date": D3},
            {"entry_id": "L9", "amount": "10.00", "external_ref": "RP-9"},
            # not known by D / outside the 21-day window: never items
            {
                "entry_id": "L10",
                "amount": "10.00",
                "external_ref": "RP-10",
                "_arrival_date": D + timedelta(days=1),
            },
            {
                "entry_id": "L11",
                "amount": "10.00",
                "external_ref": "RP-11",
                "business_date": D - timedelta(days=22),
            },
            # an ACH batch of three repayments, credited as one bank line
            {
                "entry_id": "A1",
                "channel": "ach",
                "currency": "USD",
                "amount": "10.00",
                "external_ref": "A261102/0000001",
            },
            {
                "entry_id": "A2",
                "channel": "ach",
                "currency": "USD",
                "amount": "20.00",
                "external_ref": "A261102/0000002",
            },
            {
                "entry_id": "A3",
                "channel": "ach",
                "currency": "USD",
                "amount": "30.50",
                "external_ref": "A261102/0000003",
            },
            {
                "entry_id": "D1",
                "channel": "wire",
                "event_type": "disbursement",
                "currency": "USD",
                "amount": "-500.00",
                "external_ref": "DS-1",
            },
        ),
        "partner_settlements": partner(
            {"settlement_id": "P1", **card("rp-1", "100.00", fee_amount="1.60")},
            {
                "settlement_id": "P2",
                "partner": "stripe",
                "gross_currency": "USD",
                "currency": "USD",
                "business_date": D3,
                **card("RP-2", "99.00"),
            },
            {"settlement_id": "P3", "gross_currency": "USD", **card("RP-3", "50.00")},
            {"settlement_id": "P4", **card("RP-4", "200.00", fee_amount="18.00")},
            {"settlement_id": "P5a", "business_date": D, **card("RP-5", "80.00")},
            {"settlement_id": "P5b", **card("RP-5", "80.00")},
            {"settlement_id": "P9", **card("RP-9", "10.00")},
            {
                "settlement_id": "PO1",
                "record_class": "payout",
                "batch_id": "1000",
                "net_amount": "98.40",
            },
        ),
        "bank_transactions": bank(
            {
                "bank_txn_id": "B1",
                "amount": "60.50",
                "customer_reference": "A261102",
                "description": "ACH CREDIT SETTLEMENT A261102",
            },
            {
                "bank_txn_id": "B2",
                "amount": "-500.00",
                "customer_reference": "DS-1",
                "description": "OUTGOING WIRE DS-1",
                "business_date": D2,
            },
            {
                "bank_txn_id": "B3",
                "amount": "98.40",
                "currency": "EUR",
                "customer_reference": "ADYEN-BATCH-1000",
                "description": "ADYEN N.V. SETTLEMENT BATCH 1000 LENDERCOEU",
            },
            {
                "bank_txn_id": "B4",
                "amount": "-35.00",
                "business_date": D2,
                "description": "SERVICE CHARGE ANALYSIS FEE",
            },
            # a NACHA return of A2's debit: it reverses A2, the batch stays matched
            {
                "bank_txn_id": "B5",
                "amount": "-20.00",
                "customer_reference": "A261102/0000002",
                "description": "PPD LOAN PMT",
                "return_reason": "R01",
                "reversal": True,
            },
            # a return naming no entry we know is an ordinary unexpected bank item
            {
                "bank_txn_id": "B6",
                "amount": "-7.00",
                "business_date": D2,
                "customer_reference": "A261102/0000099",
                "description": "PPD LOAN PMT",
                "return_reason": "R03",
                "reversal": True,
            },
        ),
    }
    frozen = pa.Table.from_pylist(
        [
            {"leg": "ledger_partner", "left_ids": ["L9"], "right_ids": ["P9"], "matched_as_of": D3},
            # made by the day being run: not frozen
            {"leg": "ledger_partner", "left_ids": ["L1"], "right_ids": ["P1"], "matched_as_of": D},
        ],
        schema=FROZEN_SCHEMA,
    )
    return DuckDBReconciler(load_legs(), D, 21).run(tables, frozen)


def _matches(result: BaselineResult) -> set[tuple[Any, ...]]:
    return {
        (
            m["leg"],
            m["rule"],
            tuple(m["left_ids"]),
            tuple(m["right_ids"]),
            m["status"],
            m["reason_code"],
        )
        for m in result.matches.to_pylist()
    }


def _states(result: BaselineResult) -> dict[tuple[str, str], tuple[str, str | None]]:
    return {
        (i["leg"], i["item_id"]): (i["state"], i["reason_code"]) for i in result.items.to_pylist()
    }


def test_exact_reference_and_breaks(result: BaselineResult) -> None:
    lp = {m for m in _matches(result) if m[0] == "ledger_partner"}
    assert lp == {
        ("ledger_partner", "reference_and_amount", ("L1",), ("P1",), "MATCHED", None),
        ("ledger_partner", "reference_with_break", ("L2",), ("P2",), "PARTIAL", "AMOUNT_MISMATCH"),
        (
            "ledger_partner",
            "reference_with_break",
            ("L3",),
            ("P3",),
            "PARTIAL",
            "CURRENCY_MISMATCH",
        ),
        ("ledger_partner", "reference_and_amount", ("L4",), ("P4",), "PARTIAL", "FEE_VARIANCE"),
        # two candidates, same score: the nearer business date wins
        ("ledger_partner", "reference_and_amount", ("L5",), ("P5b",), "MATCHED", None),
    }


def test_partial_amount_mismatch_amounts_and_confidence(result: BaselineResult) -> None:
    row = next(m for m in result.matches.to_pylist() if m["left_ids"] == ["L2"])
    assert (row["left_amount"], row["right_amount"], row["difference"]) == (
        Decimal("100.00"),
        Decimal("99.00"),
        Decimal("-1.00"),
    )
    assert row["confidence"] == pytest.approx(0.99)
    assert row["currency"] == "USD"
    assert row["business_date"] == D2


def test_many_to_one_batch_and_contains(result: BaselineResult) -> None:
    others = {m for m in _matches(result) if m[0] != "ledger_partner"}
    assert others == {
        ("ledger_bank", "end_to_end_reference", ("D1",), ("B2",), "MATCHED", None),
        ("ledger_bank", "ach_batch_total", ("A1", "A2", "A3"), ("B1",), "MATCHED", None),
        ("ledger_bank", "nacha_return", ("A2",), ("B5",), "REVERSED", "RETURNED"),
        ("partner_bank", "batch_reference_and_net", ("PO1",), ("B3",), "MATCHED", None),
    }


def test_match_id_is_the_hash_of_leg_and_sorted_members(result: BaselineResult) -> None:
    row = next(m for m in result.matches.to_pylist() if m["rule"] == "ach_batch_total")
    expected = hashlib.sha256(b"ledger_bank|A1,A2,A3|B1").hexdigest()[:24]
    assert row["match_id"] == expected


def test_item_states(result: BaselineResult) -> None:
    states = _states(result)
    assert states == {
        ("ledger_partner", "L1"): ("MATCHED", None),
        ("ledger_partner", "L2"): ("PARTIAL", "AMOUNT_MISMATCH"),
        ("ledger_partner", "L3"): ("PARTIAL", "CURRENCY_MISMATCH"),
        ("ledger_partner", "L4"): ("PARTIAL", "FEE_VARIANCE"),
        ("ledger_partner", "L5"): ("MATCHED", None),
        ("ledger_partner", "L6"): ("EXCEPTION", "MISSING_COUNTERPART"),
        ("ledger_partner", "L7"): ("PENDING", None),
        # its reference belongs to L9, matched (and frozen) by an earlier day
        ("ledger_partner", "L8"): ("EXCEPTION", "DUPLICATE"),
        ("ledger_partner", "P1"): ("MATCHED", None),
        ("ledger_partner", "P2"): ("PARTIAL", "AMOUNT_MISMATCH"),
        ("ledger_partner", "P3"): ("PARTIAL", "CURRENCY_MISMATCH"),
        ("ledger_partner", "P4"): ("PARTIAL", "FEE_VARIANCE"),
        ("ledger_partner", "P5a"): ("EXCEPTION", "DUPLICATE"),
        ("ledger_partner", "P5b"): ("MATCHED", None),
        ("ledger_bank", "A1"): ("MATCHED", None),
        ("ledger_bank", "A2"): ("EXCEPTION", "RETURNED"),
        ("ledger_bank", "A3"): ("MATCHED", None),
        ("ledger_bank", "D1"): ("MATCHED", None),
        ("ledger_bank", "B1"): ("MATCHED", None),
        ("ledger_bank", "B2"): ("MATCHED", None),
        ("ledger_bank", "B4"): ("EXCEPTION", "UNEXPECTED_BANK_ITEM"),
        ("ledger_bank", "B5"): ("EXCEPTION", "RETURNED"),
        ("ledger_bank", "B6"): ("EXCEPTION", "UNEXPECTED_BANK_ITEM"),
        ("partner_bank", "PO1"): ("MATCHED", None),
        ("partner_bank", "B3"): ("MATCHED", None),
    }


def test_compare_with_identical_gold(result: BaselineResult) -> None:
    gold_matches = result.matches.append_column(
        "matched_as_of", pa.array([D] * result.matches.num_rows, pa.date32())
    )
    gold_items = result.items.select(["leg", "item_id", "state", "reason_code", "match_id"])
    agreement = compare(result, gold_matches, gold_items, D)
    assert agreement["identical_member_sets"] == agreement["matches_gold"] == 9
    assert agreement["identical_with_status_and_reason"] == 9
    assert agreement["matched_count_equal_per_leg"] is True
    assert agreement["items_identical_state"] == agreement["items_duckdb"] == 25


def test_similarity_rule_levenshtein() -> None:
    rule = Rule(
        name="fuzzy",
        strategy="one_to_one",
        equal=(),
        reference="similarity",
        similarity=0.8,
        date_min=0,
        date_max=5,
        currency=True,
        outcome="MATCHED",
    )
    leg = Leg("ledger_partner", "", "ledger", "partner", "true", "true", 1, rules=(rule,))
    tables = {
        "ledger_entries": ledger(
            {"entry_id": "L1", "amount": "10.00", "external_ref": "INV-12345"}
        ),
        "partner_settlements": partner(
            {"settlement_id": "P1", **card("inv-12346", "10.00")},
            {"settlement_id": "P2", **card("INV-99999", "10.00")},
        ),
        "bank_transactions": bank(),
    }
    result = DuckDBReconciler({"ledger_partner": leg}, D, 21).run(
        tables, FROZEN_SCHEMA.empty_table()
    )
    [match] = result.matches.to_pylist()
    assert (match["left_ids"], match["right_ids"], match["status"]) == (["L1"], ["P1"], "MATCHED")
    assert match["confidence"] == pytest.approx(0.8889)


@pytest.mark.parametrize(
    ("spark_sql", "duckdb_sql"),
    [
        (
            "upper(description) RLIKE 'ADYEN|STRIPE'",
            "regexp_matches(upper(description), 'ADYEN|STRIPE')",
        ),
        (
            "NOT (upper(description) RLIKE 'ADYEN|STRIPE')",
            "NOT (regexp_matches(upper(description), 'ADYEN|STRIPE'))",
        ),
        ("text NOT RLIKE '\\\\d+'", "(NOT regexp_matches(text, '\\d+'))"),
        (
            "regexp_extract(reference, '^(A[0-9]{6})/', 1)",
            "regexp_extract(reference, '^(A[0-9]{6})/', 1)",
        ),
        (
            "channel IN ('adyen', 'it\\'s') AND `amount` == 1",
            "channel IN ('adyen', 'it''s') AND \"amount\" = 1",
        ),
    ],
)
def test_spark_sql_to_duckdb(spark_sql: str, duckdb_sql: str) -> None:
    assert spark_sql_to_duckdb(spark_sql) == duckdb_sql


ARROW_TYPES = {"string": pa.string(), "money": MONEY, "date": pa.date32(), "bool": pa.bool_()}


@pytest.fixture(scope="module")
def noisy() -> BaselineResult:
    from tests.noise_cases import TABLE_COLUMNS, records

    tables = {
        table: pa.Table.from_pylist(
            records(table),
            schema=pa.schema([(n, ARROW_TYPES[k]) for n, k in columns.items()]),
        )
        for table, columns in TABLE_COLUMNS.items()
    }
    as_of = date(2026, 11, 3)
    return DuckDBReconciler(load_legs(), as_of, 21).run(tables, FROZEN_SCHEMA.empty_table())


def test_noise_cases_as_the_spark_matcher(noisy: BaselineResult) -> None:
    """The same expectations as tests/gold/test_matching_noise.py, case by case."""
    from tests.noise_cases import CASES, made_for

    made = _matches(noisy)
    for case in CASES:
        assert made_for(case, made) == case.matches, case.name
        for _, item in case.unmatched:
            assert not [m for m in made if item in (*m[2], *m[3])], f"{item} must stay unmatched"


def test_members_of_a_suggestion_are_open_breaks(noisy: BaselineResult) -> None:
    states = _states(noisy)
    assert states[("ledger_partner", "L-embed_amount")] == ("EXCEPTION", "AMOUNT_MISMATCH")
    assert states[("ledger_partner", "P-truncate_currency")] == ("EXCEPTION", "CURRENCY_MISMATCH")
    assert states[("ledger_bank", "B-b_amount")] == ("EXCEPTION", "AMOUNT_MISMATCH")
