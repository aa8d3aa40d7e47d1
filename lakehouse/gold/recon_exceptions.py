"""gold.recon_exceptions: the open breaks finance must work, as of the last run.

Grain: one row per (leg, item_id) whose state is EXCEPTION or PARTIAL, with its
reason code, amount and age. Items that stop being breaks are removed.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from lakehouse.constants import BREAK_STATES
from lakehouse.gold import recon_items
from lakehouse.gold.common import STEP, with_run_columns
from lakehouse.io import RunContext, TableSpec, merge

# an open break is its recon_items row without the rule that (never) paired it and
# without the close marker
SCHEMA = StructType(
    [f for f in recon_items.SCHEMA.fields if f.name not in ("rule", "_closed_as_of")]
)

SPEC = TableSpec(
    layer="gold",
    name="recon_exceptions",
    schema=SCHEMA,
    keys=("leg", "item_id"),
    description="One row per open break (EXCEPTION or PARTIAL item) with reason and age.",
)


def transform(recon_items: DataFrame) -> DataFrame:
    return recon_items.where(F.col("state").isin(*BREAK_STATES))


def write(breaks: DataFrame, ctx: RunContext) -> None:
    """The table is the run's answer whole: breaks no longer open are deleted."""
    merge(
        with_run_columns(breaks, ctx), ctx.settings, SPEC, ctx, step=STEP, delete_scope=F.lit(True)
    )
