"""gold._open_items: what each reconcile run left unmatched, where the next run starts.

Grain: one row per (as_of, leg, item_id), partitioned by ``as_of``: the items of a
leg that the run for ``as_of`` left without a match (PENDING, EXCEPTION, DUPLICATE,
unpaired returns), in item shape, with ``kind`` saying which side they play (``left``,
``right``, or ``return`` for a right item the leg's returns filter selects). The run
for D + 1 starts from this partition plus the silver rows that arrived since, instead
of re-reading the whole window (``lakehouse.gold.close``). Each run replaces its
own partition in one commit whose metadata records what the run had seen (the close);
private to the reconcile step, not part of the gold contract.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DateType, StringType, StructField, StructType

from lakehouse.faults import fault_point
from lakehouse.gold.common import RUN_FIELDS, with_run_columns
from lakehouse.gold.items import ITEM_COLUMNS
from lakehouse.gold.rules import Leg
from lakehouse.io import RunContext, TableSpec, delete_where, replace_partition
from lakehouse.silver.common import MONEY

KINDS = ("left", "right", "return")
# kept partitions: a re-run of one of the last days still starts from its previous close
KEEP_DAYS = 7
STEP = "reconcile.close"

_ITEM_TYPES = {
    "business_date": DateType(),
    "amount": MONEY,
    "fee": MONEY,
    "net": MONEY,
}

SCHEMA = StructType(
    [
        StructField("as_of", DateType(), False),
        StructField("leg", StringType(), False),
        StructField("kind", StringType(), False),
        *[StructField(c, _ITEM_TYPES.get(c, StringType()), c != "item_id") for c in ITEM_COLUMNS],
        *RUN_FIELDS,
    ]
)

SPEC = TableSpec(
    layer="gold",
    name="_open_items",
    schema=SCHEMA,
    keys=("as_of", "leg", "item_id"),
    partition_by=("as_of",),
    description="Per reconcile close and leg: the items left unmatched (next run's start).",
)


@dataclass(frozen=True)
class Close:
    """What the run that wrote a partition had seen: its day, when it committed, the
    refine watermark of each silver table it read and the fingerprint of its rules."""

    as_of: date
    closed_at: datetime
    watermarks: dict[str, datetime | None]
    fingerprint: str
    # per silver table, the version as of the close's day that the run read (None: not
    # recorded); a restatement after it makes the next run start afresh
    versions: dict[str, int | None] | None = None

    def metadata(self) -> dict[str, str]:
        marks = {k: v.isoformat() if v else None for k, v in sorted(self.watermarks.items())}
        return {"watermarks": json.dumps(marks), "fingerprint": self.fingerprint}

    @classmethod
    def from_commit(
        cls,
        as_of: date,
        closed_at: datetime,
        metadata: dict[str, str],
        versions: dict[str, int | None] | None = None,
    ) -> Close:
        marks = json.loads(metadata["watermarks"])
        return cls(
            as_of,
            closed_at,
            {k: datetime.fromisoformat(v) if v else None for k, v in marks.items()},
            metadata["fingerprint"],
            versions,
        )


def fingerprint(legs: dict[str, Leg], window_days: int) -> str:
    """Changes whenever the rules or the window change: a close made under other rules
    is not a valid start."""
    text = repr((window_days, sorted(legs.items())))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def transform(leg: str, kind: str, items: DataFrame, as_of: date) -> DataFrame:
    """Item-shaped rows -> rows of this table for one leg and kind."""
    return items.select(
        F.lit(as_of).alias("as_of"),
        F.lit(leg).alias("leg"),
        F.lit(kind).alias("kind"),
        *ITEM_COLUMNS,
    )


def write(rows: DataFrame, ctx: RunContext, close: Close) -> None:
    """Replace D's open items in one commit that records the close, then drop the
    partitions past retention."""
    closing = replace(ctx, extra={**ctx.extra, **close.metadata()})
    replace_partition(
        with_run_columns(rows, ctx),
        ctx.settings,
        SPEC,
        closing,
        step=STEP,
        values={"as_of": ctx.as_of},
    )
    fault_point("reconcile.before_retention")
    oldest = ctx.as_of - timedelta(days=KEEP_DAYS)
    delete_where(
        rows.sparkSession,
        ctx.settings,
        SPEC,
        ctx,
        step="reconcile.retention",
        where=F.col("as_of") < F.lit(oldest),
    )
