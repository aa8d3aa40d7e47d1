"""Tiny gold tables written with ``deltalake`` (no Spark): the real schemas, a few rows.

Each write is one Delta version whose commit metadata carries the run's as-of date,
as the pipeline's commits do, so time travel by business date works on them.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
from deltalake import CommitProperties, write_deltalake
from pyspark.sql import types as T

from lakehouse.io import TableSpec


def arrow_type(spark_type: T.DataType) -> pa.DataType:
    if isinstance(spark_type, T.DecimalType):
        return pa.decimal128(spark_type.precision, spark_type.scale)
    if isinstance(spark_type, T.ArrayType):
        return pa.list_(arrow_type(spark_type.elementType))
    simple = {
        T.StringType: pa.string(),
        T.DateType: pa.date32(),
        T.TimestampType: pa.timestamp("us", tz="UTC"),
        T.IntegerType: pa.int32(),
        T.LongType: pa.int64(),
        T.BooleanType: pa.bool_(),
        T.DoubleType: pa.float64(),
    }
    return simple[type(spark_type)]


def arrow_schema(spec: TableSpec) -> pa.Schema:
    return pa.schema([pa.field(f.name, arrow_type(f.dataType)) for f in spec.schema.fields])


def write(
    root: Path, spec: TableSpec, rows: list[dict[str, Any]], as_of: date, mode: str = "overwrite"
) -> None:
    """Write ``rows`` (missing columns null) as one version recording ``as_of``."""
    schema = arrow_schema(spec)
    run = {"_as_of": as_of, "_run_id": f"run-{as_of}", "_updated_at": datetime.now(UTC)}
    full = [{**dict.fromkeys(schema.names), **run, **row} for row in rows]
    table = pa.Table.from_pylist(full, schema=schema)
    meta = json.dumps({"as_of": as_of.isoformat(), "run_id": f"run-{as_of}", "step": "test"})
    write_deltalake(
        str(root / spec.layer / spec.name),
        table,
        mode=mode,  # type: ignore[arg-type]
        partition_by=list(spec.partition_by) or None,
        commit_properties=CommitProperties(custom_metadata={"userMetadata": meta}),
    )


def item(leg: str, item_id: str, side: str, **values: Any) -> dict[str, Any]:
    """A gold.recon_items / recon_exceptions row with defaults."""
    return {
        "leg": leg,
        "item_id": item_id,
        "side": side,
        "source": "ledger" if side == "left" else "bank",
        "partner": "adyen",
        "item_ref": item_id,
        "business_date": date(2026, 11, 2),
        "amount": Decimal("100.00"),
        "currency": "EUR",
        "reference": f"REF-{item_id}",
        "state": "EXCEPTION",
        "reason_code": "MISSING_COUNTERPART",
        "age_days": 2,
        "aging_bucket": "2-7",
        **values,
    }
