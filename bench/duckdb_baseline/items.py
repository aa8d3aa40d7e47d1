"""Items of one side of a leg (``lakehouse.gold.items``) as DuckDB SQL."""

from __future__ import annotations

from bench.duckdb_baseline.dialect import spark_sql_to_duckdb

# Type of every item column (lakehouse.gold.items plus what matching adds): string
# equality keys are compared upper-cased and trimmed, as in Spark.
ITEM_TYPES = {
    "item_id": "string",
    "item_ref": "string",
    "source": "string",
    "partner": "string",
    "business_date": "date",
    "amount": "decimal",
    "currency": "string",
    "reference": "string",
    "text": "string",
    "fee": "decimal",
    "net": "decimal",
    "cmp_amount": "decimal",
    "group_key": "string",
}

_SHAPES = {
    "ledger": (
        "ledger_entries",
        """entry_id AS item_id, entry_id AS item_ref, 'ledger' AS source,
           channel AS partner, business_date, amount, currency,
           external_ref AS reference, coalesce(external_ref, '') AS text,
           CAST(NULL AS DECIMAL(18,2)) AS fee, amount AS net""",
    ),
    "partner": (
        "partner_settlements",
        """settlement_id AS item_id, settlement_id AS item_ref, partner AS source,
           partner, business_date, gross_amount AS amount, gross_currency AS currency,
           coalesce(merchant_reference, description) AS reference,
           concat_ws(' ', merchant_reference, description) AS text,
           fee_amount AS fee, net_amount AS net""",
    ),
    "partner_payout": (
        "partner_settlements",
        """settlement_id AS item_id, settlement_id AS item_ref, partner AS source,
           partner, business_date, net_amount AS amount, currency,
           batch_id AS reference, concat_ws(' ', batch_id, description) AS text,
           fee_amount AS fee, net_amount AS net""",
    ),
    "bank": (
        "bank_transactions",
        """bank_txn_id AS item_id, coalesce(bank_reference, bank_txn_id) AS item_ref,
           source, CAST(NULL AS VARCHAR) AS partner, business_date, amount, currency,
           customer_reference AS reference,
           concat_ws(' ', customer_reference, description, bank_reference) AS text,
           CAST(NULL AS DECIMAL(18,2)) AS fee, amount AS net""",
    ),
}


def side_items_sql(side: str, where: str) -> str:
    """Items of one side of a leg (``lakehouse.gold.items.side_items``)."""
    table, columns = _SHAPES[side]
    condition = f"({spark_sql_to_duckdb(where)})"
    if side == "partner_payout":
        condition += " AND record_class = 'payout'"
    return f"SELECT {columns} FROM w_{table} WHERE {condition}"
