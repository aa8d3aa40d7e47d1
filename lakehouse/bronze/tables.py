"""Bronze table specs: one Delta table per feed plus quarantine, manifest, rejections.

Grain of ``bronze/<feed>``: one row per parsed record of a landed file, source-native
string columns plus lineage; append-only, partitioned by ``_arrival_date``. Exactly
once per file content: appends are keyed by the file's SHA-256 (Delta ``txnAppId``).
"""

from __future__ import annotations

from pyspark.sql.types import (
    ArrayType,
    DateType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from lakehouse.bronze.formats.base import FAMILY_COLUMNS
from lakehouse.config import FeedSettings
from lakehouse.io import TableSpec

LINEAGE_FIELDS = [
    StructField("_source", StringType(), False),
    StructField("_file_path", StringType(), False),
    StructField("_file_sha256", StringType(), False),
    StructField("_row_number", IntegerType(), False),
    StructField("_ingested_at", TimestampType(), False),
    StructField("_run_id", StringType(), False),
    StructField("_arrival_date", DateType(), False),
]


def feed_table(feed: FeedSettings) -> TableSpec:
    columns = FAMILY_COLUMNS[feed.family]
    schema = StructType([StructField(c, StringType(), True) for c in columns] + LINEAGE_FIELDS)
    return TableSpec(
        layer="bronze",
        name=feed.name,
        schema=schema,
        keys=("_file_sha256", "_row_number"),
        partition_by=("_arrival_date",),
        description=f"Raw {feed.format} records of feed {feed.name}: one row per record.",
        # a column a format gained later reads as null in the rows written before it
        backfill=tuple((c, "CAST(NULL AS STRING)") for c in columns),
    )


def quarantine_table(feed: FeedSettings) -> TableSpec:
    schema = StructType(
        [
            StructField("raw", StringType(), True),
            StructField("reason", StringType(), False),
            *LINEAGE_FIELDS,
        ]
    )
    return TableSpec(
        layer="bronze",
        name=f"{feed.name}_quarantine",
        schema=schema,
        keys=("_file_sha256", "_row_number"),
        partition_by=("_arrival_date",),
        description=f"Records of feed {feed.name} that could not be parsed, with the reason.",
    )


MANIFEST = TableSpec(
    layer="bronze",
    name="_manifest",
    schema=StructType(
        [
            StructField("file_sha256", StringType(), False),
            StructField("feed", StringType(), False),
            StructField("file_path", StringType(), False),
            StructField("file_name", StringType(), False),
            StructField("size_bytes", LongType(), False),
            StructField("format", StringType(), True),
            StructField("status", StringType(), False),
            StructField("rows_read", LongType(), False),
            StructField("rows_bronze", LongType(), False),
            StructField("rows_quarantined", LongType(), False),
            StructField("warnings", ArrayType(StringType()), True),
            StructField("reason", StringType(), True),
            StructField("arrival_date", DateType(), False),
            StructField("_ingested_at", TimestampType(), False),
            StructField("_run_id", StringType(), False),
        ]
    ),
    keys=("feed", "file_sha256"),
    description="One row per distinct file content ever landed in a feed: outcome, row counts.",
)

REJECTED_FILES = TableSpec(
    layer="bronze",
    name="_rejected_files",
    schema=StructType(
        [
            StructField("file_sha256", StringType(), False),
            StructField("feed", StringType(), False),
            StructField("file_path", StringType(), False),
            StructField("format", StringType(), True),
            StructField("reason", StringType(), False),
            StructField("arrival_date", DateType(), False),
            StructField("_rejected_at", TimestampType(), False),
            StructField("_run_id", StringType(), False),
        ]
    ),
    keys=("feed", "file_sha256"),
    description="Files rejected whole (unparseable or control totals off), with the reason.",
)
