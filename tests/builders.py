"""Small builders of bronze/silver rows for tests: defaults plus what the test cares about."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from lakehouse.bronze.formats.base import BANK_COLUMNS, LEDGER_COLUMNS, PARTNER_COLUMNS
from lakehouse.bronze.tables import LINEAGE_FIELDS
from lakehouse.gold.items import ITEM_COLUMNS
from lakehouse.silver import ledger_entries

LINEAGE_DEFAULTS: dict[str, Any] = {
    "_source": "test",
    "_file_path": "/landing/test/file",
    "_file_sha256": "f" * 64,
    "_row_number": 1,
    "_ingested_at": datetime(2026, 11, 2, 6, 0),
    "_run_id": "test-run",
    "_arrival_date": date(2026, 11, 2),
}


def _bronze(
    spark: SparkSession,
    columns: tuple[str, ...],
    defaults: dict[str, Any],
    rows: list[dict[str, Any]],
) -> DataFrame:
    from pyspark.sql.types import StringType, StructField, StructType

    schema = StructType([StructField(c, StringType(), True) for c in columns] + LINEAGE_FIELDS)
    records = []
    for i, row in enumerate(rows, 1):
        merged = {
            **{c: None for c in columns},
            **defaults,
            **LINEAGE_DEFAULTS,
            "_row_number": i,
            **row,
        }
        records.append(tuple(merged[f.name] for f in schema.fields))
    return spark.createDataFrame(records, schema)


def bronze_ledger(spark: SparkSession, *rows: dict[str, Any]) -> DataFrame:
    defaults = {
        "entry_id": "LE-1",
        "event_type": "repayment",
        "loan_id": "LN-1",
        "merchant_id": "M-1",
        "amount": "100.00",
        "currency": "EUR",
        "effective_date": "2026-11-02",
        "created_at": "2026-11-02T10:00:00Z",
        "external_ref": "RP-1",
        "channel": "adyen",
        "_source": "ledger",
    }
    return _bronze(spark, LEDGER_COLUMNS, defaults, list(rows))


def bronze_partner(spark: SparkSession, *rows: dict[str, Any]) -> DataFrame:
    defaults = {
        "record_type": "Settled",
        "batch_id": "1000",
        "psp_reference": "PSP1",
        "merchant_reference": "RP-1",
        "booked_at": "2026-11-02 10:00:00",
        "timezone": "CET",
        "gross_currency": "EUR",
        "gross_amount": "100.00",
        "exchange_rate": "1",
        "net_currency": "EUR",
        "net_amount": "98.40",
        "fee_amount": "1.60",
        "_source": "adyen",
    }
    return _bronze(spark, PARTNER_COLUMNS, defaults, list(rows))


def bronze_bank(spark: SparkSession, *rows: dict[str, Any]) -> DataFrame:
    defaults = {
        "record_type": "TXN",
        "statement_id": "S1",
        "account_id": "NL91ABNA0417164300",
        "currency": "EUR",
        "booking_date": "2026-11-02",
        "value_date": "2026-11-02",
        "amount": "100.00",
        "credit_debit": "CRDT",
        "reversal": "false",
        "type_code": "RCDT",
        "bank_reference": "B1",
        "customer_reference": "RP-1",
        "description": "payment",
        "counterparty_name": "Jane Doe",
        "counterparty_account": "DE89370400440532013000",
        "_source": "camt053",
    }
    return _bronze(spark, BANK_COLUMNS, defaults, list(rows))


ITEM_DATE = date(2026, 11, 2)


def leg_items(spark: SparkSession, *rows: dict[str, Any]) -> DataFrame:
    """Reconciliation items (``lakehouse.gold.items`` shape) from partial rows."""
    defaults: dict[str, Any] = {
        "item_ref": None,
        "source": "t",
        "partner": "p",
        "business_date": ITEM_DATE,
        "amount": Decimal("10.00"),
        "currency": "EUR",
        "reference": None,
        "text": "",
        "fee": None,
        "net": None,
    }
    data = [tuple({**defaults, **r}.get(c) for c in ITEM_COLUMNS) for r in rows]
    schema = (
        "item_id string, item_ref string, source string, partner string, "
        "business_date date, amount decimal(18,2), currency string, reference string, "
        "text string, fee decimal(18,2), net decimal(18,2)"
    )
    return spark.createDataFrame(data, schema)


def silver_ledger_entries(spark: SparkSession, *rows: dict[str, Any]) -> DataFrame:
    """``silver.ledger_entries`` rows from partial rows (an EUR 10.00 repayment by default;
    ``_arrival_date`` follows ``business_date`` unless given)."""
    defaults: dict[str, Any] = {
        **LINEAGE_DEFAULTS,
        "event_type": "repayment",
        "amount": Decimal("10.00"),
        "currency": "EUR",
        "business_date": ITEM_DATE,
    }
    schema = ledger_entries.SCHEMA
    data = []
    for row in rows:
        values = {**defaults, "_arrival_date": row.get("business_date", ITEM_DATE), **row}
        data.append(tuple(values.get(f.name) for f in schema.fields))
    return spark.createDataFrame(data, schema)
