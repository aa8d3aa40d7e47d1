"""gold.exception_queue: the breaks finance works, with severity, SLA, owner and status.

Grain: one row per (leg, item_id) that is an open break as of the run (an item of
``gold.recon_exceptions``), plus the breaks of the previous day's queue this run
closed (``status = RESOLVED``, ``resolved_as_of`` = the run's day; gone the next day).

* ``severity`` / ``sla_hours``: the first ``[queue]`` level (``conf/lakehouse.toml``)
  whose amount (absolute, in the item's currency) or age (``age_days`` x 24 hours)
  the break reaches.
* ``opened_as_of``: the first run that put the break in the queue (carried from the
  previous day's close); the SLA clock starts at the end of that day (UTC):
  ``due_at`` = that + ``sla_hours``; ``breached``: ``due_at`` is at or before the
  end of the run's day.
* ``owner`` / ``status`` / ``last_note*``: folded from the operators' assign, status
  and comment decisions known by the run (``lakehouse.gold.decisions``): ``OPEN`` ->
  ``ASSIGNED`` (an owner) -> ``PENDING_RESOLUTION`` (set by hand) -> ``RESOLVED``
  (a match, write-off or adjustment applied, or a rule matched the item).
* ``resolution``: ``match`` (manual), ``write_off``, ``adjust`` (with
  ``resolution_amount``), ``auto_match`` (a rule) or ``cleared`` (no longer a break
  otherwise).

Every column is a function of the inputs and the run's day: a re-run changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    DateType,
    IntegerType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from lakehouse.config import QueueSettings
from lakehouse.gold.common import RUN_FIELDS, STEP, with_run_columns
from lakehouse.gold.recon_exceptions import SCHEMA as BREAK_SCHEMA
from lakehouse.io import RunContext, TableSpec, merge
from lakehouse.silver.common import MONEY

STATUSES = ("OPEN", "ASSIGNED", "PENDING_RESOLUTION", "RESOLVED")
RESOLUTIONS = ("match", "write_off", "adjust", "auto_match", "cleared")
KEYS = ["leg", "item_id"]
ITEM_FIELDS = [f for f in BREAK_SCHEMA.fields if not f.name.startswith("_")]

WORKFLOW_SCHEMA = StructType(
    [
        StructField("leg", StringType(), False),
        StructField("item_id", StringType(), False),
        StructField("owner", StringType(), True),
        StructField("status", StringType(), True),
        StructField("last_note", StringType(), True),
        StructField("last_note_by", StringType(), True),
        StructField("last_note_at", TimestampType(), True),
        StructField("notes", IntegerType(), True),
    ]
)
# the items of the previous queue this run closed: their state now and what closed them
CLOSED_SCHEMA = StructType(
    [
        StructField("leg", StringType(), False),
        StructField("item_id", StringType(), False),
        StructField("state", StringType(), True),
        StructField("rule", StringType(), True),
        StructField("decision_action", StringType(), True),
        StructField("decided_by", StringType(), True),
        StructField("decision_amount", MONEY, True),
    ]
)
QUEUE_FIELDS = [
    StructField("severity", StringType(), True),
    StructField("sla_hours", IntegerType(), True),
    StructField("opened_as_of", DateType(), True),
    StructField("due_at", TimestampType(), True),
    StructField("breached", BooleanType(), True),
    StructField("status", StringType(), True),
    StructField("owner", StringType(), True),
    StructField("last_note", StringType(), True),
    StructField("last_note_by", StringType(), True),
    StructField("last_note_at", TimestampType(), True),
    StructField("notes", IntegerType(), True),
    StructField("resolved_as_of", DateType(), True),
    StructField("resolution", StringType(), True),
    StructField("resolved_by", StringType(), True),
    StructField("resolution_amount", MONEY, True),
]
SCHEMA = StructType([*ITEM_FIELDS, *QUEUE_FIELDS, *RUN_FIELDS])

SPEC = TableSpec(
    layer="gold",
    name="exception_queue",
    schema=SCHEMA,
    keys=("leg", "item_id"),
    description="One row per open break: severity, SLA due time, owner, status, last note; "
    "breaks closed by the run stay one day as RESOLVED.",
)


def severity(queue: QueueSettings) -> tuple[Column, Column]:
    """(severity, sla_hours) of a break from ``amount``, ``currency`` and ``age_days``."""
    amount, age_hours = F.abs(F.col("amount")), F.col("age_days") * 24
    name: Column = F.lit(queue.levels[-1].name)
    sla: Column = F.lit(queue.levels[-1].sla_hours)
    for level in reversed(queue.levels[:-1]):
        threshold: Column = F.lit(level.amount).cast(MONEY)
        for currency, value in sorted((level.amounts or {}).items()):
            threshold = F.when(F.col("currency") == currency, F.lit(value).cast(MONEY)).otherwise(
                threshold
            )
        reached = (amount >= threshold) | (age_hours >= F.lit(level.age_hours))
        name = F.when(reached, F.lit(level.name)).otherwise(name)
        sla = F.when(reached, F.lit(level.sla_hours)).otherwise(sla)
    return name, sla


def _end_of(day: Column) -> Column:
    """The end of a business day (the next midnight, UTC) as a timestamp."""
    return F.to_timestamp(F.date_add(day, 1))


def _open_rows(
    breaks: DataFrame, carried: DataFrame, workflow: DataFrame, as_of: date, queue: QueueSettings
) -> DataFrame:
    level, sla = severity(queue)
    opened = F.coalesce(F.col("__opened"), F.lit(as_of))
    due = F.timestamp_add("HOUR", F.col("sla_hours"), _end_of(F.col("opened_as_of")))
    rows = (
        breaks.select(*[f.name for f in ITEM_FIELDS])
        .join(carried, KEYS, "left")
        .join(workflow, KEYS, "left")
        .withColumns({"severity": level, "sla_hours": sla, "opened_as_of": opened})
        .withColumn("due_at", due)
    )
    return rows.withColumns(
        {
            "breached": F.col("due_at") <= F.lit(as_of + timedelta(days=1)).cast("timestamp"),
            "status": F.coalesce(F.col("status"), F.lit("OPEN")),
            "notes": F.coalesce(F.col("notes"), F.lit(0)),
            "resolved_as_of": F.lit(None).cast(DateType()),
            "resolution": F.lit(None).cast(StringType()),
            "resolved_by": F.lit(None).cast(StringType()),
            "resolution_amount": F.lit(None).cast(MONEY),
        }
    )


def _resolution() -> tuple[Column, Column]:
    by_hand = F.col("decision_action").isNotNull()
    manual_match = (F.col("state") == "MATCHED") & F.col("rule").startswith("manual:")
    resolution = (
        F.when(manual_match, F.lit("match"))
        .when((F.col("state") == "WRITTEN_OFF") & by_hand, F.col("decision_action"))
        .when(F.col("state") == "WRITTEN_OFF", F.lit("write_off"))
        .when(F.col("state") == "MATCHED", F.lit("auto_match"))
        .otherwise(F.lit("cleared"))
    )
    resolved_by = F.when(by_hand, F.col("decided_by")).when(
        F.col("state") == "MATCHED", F.concat(F.lit("rule "), F.col("rule"))
    )
    return resolution, resolved_by


def _resolved_rows(
    previous: DataFrame, closed: DataFrame, workflow: DataFrame, as_of: date
) -> DataFrame:
    resolution, resolved_by = _resolution()
    kept = [f.name for f in ITEM_FIELDS if f.name != "state"]
    carried = ["severity", "sla_hours", "opened_as_of", "due_at"]
    notes = [f.name for f in WORKFLOW_SCHEMA.fields if f.name not in (*KEYS, "status")]
    prior = previous.select(*kept, *carried, *[F.col(c).alias(f"__prev_{c}") for c in notes])
    rows = prior.join(closed, KEYS).join(
        workflow.drop("status"), KEYS, "left"
    )  # the latest notes, else the last the queue showed
    return rows.select(
        *kept,
        "state",
        *carried,
        (F.col("due_at") <= F.lit(as_of + timedelta(days=1)).cast("timestamp")).alias("breached"),
        F.lit("RESOLVED").alias("status"),
        *[F.coalesce(F.col(c), F.col(f"__prev_{c}")).alias(c) for c in notes],
        F.lit(as_of).alias("resolved_as_of"),
        resolution.alias("resolution"),
        resolved_by.alias("resolved_by"),
        F.when(F.col("decision_action") == "adjust", F.col("decision_amount"))
        .cast(MONEY)
        .alias("resolution_amount"),
    )


def transform(
    breaks: DataFrame,
    previous: DataFrame,
    workflow: DataFrame,
    closed: DataFrame,
    as_of: date,
    queue: QueueSettings,
) -> DataFrame:
    """The queue as of ``as_of`` (pure).

    ``breaks``: the open breaks (recon_exceptions rows); ``previous``: the queue as the
    previous day closed it; ``workflow``: WORKFLOW_SCHEMA per item; ``closed``:
    CLOSED_SCHEMA for the previous queue's items no longer breaks.
    """
    was_open = previous.where(F.col("status") != "RESOLVED")
    carried = was_open.select(*KEYS, F.col("opened_as_of").alias("__opened"))
    still = _open_rows(breaks, carried, workflow, as_of, queue)
    gone = was_open.join(breaks.select(*KEYS), KEYS, "left_anti")
    resolved = _resolved_rows(gone, closed, workflow, as_of)
    fields = [f.name for f in (*ITEM_FIELDS, *QUEUE_FIELDS)]
    return still.select(*fields).unionByName(resolved.select(*fields))


def write(queue: DataFrame, ctx: RunContext) -> None:
    """The table is the run's answer whole: rows not in it are deleted."""
    merge(
        with_run_columns(queue, ctx), ctx.settings, SPEC, ctx, step=STEP, delete_scope=F.lit(True)
    )
