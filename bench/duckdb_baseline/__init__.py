"""The reconcile matching of ``lakehouse.gold`` re-implemented in DuckDB, in one process.

This is the single-process baseline of the benchmark. It runs the rules of
``conf/rules.toml`` (loaded with :func:`lakehouse.gold.rules.load_legs`) over the same
silver rows the Spark reconcile step sees for business day D, and its SQL is
generated from the rule objects, step for step as ``lakehouse.gold``:

* window (``lakehouse.gold.inputs``): silver rows that arrived by D with a business
  date in ``[D - window_days, D]``; members of matches made by earlier days' runs
  (``matched_as_of < D``, "frozen") are removed per leg;
* items (``lakehouse.gold.items``): each side's silver rows filtered by the leg's SQL
  and shaped into item columns;
* rules (``lakehouse.gold.matching``), in order, over the still unmatched items:
  comparison amount (``left_amount`` / ``right_amount`` SQL), ``many_to_one`` /
  ``one_to_many`` grouping by ``group_key`` (one currency per group), the equi-join
  on the blocking keys (equality keys, strings compared upper-cased and trimmed; the
  reference a pattern extracts from the right text, ``extract``; each word of the
  right text, ``contains``; amount bands, ``amount_within``), date window, reference
  test (``equals``, ``extract``, ``contains``, ``prefix``, levenshtein
  ``similarity``, ``none``), currency, tolerance (only for MATCHED rules), the score
  (reference score times amount closeness), mutual-best assignment in up to
  ``MATCH_ROUNDS`` rounds with the same ordering (score desc, date distance asc, other
  side's id asc) and the MATCHED/PARTIAL/SUGGESTED status with CURRENCY_MISMATCH,
  AMOUNT_MISMATCH, FEE_VARIANCE (members of a SUGGESTED match are EXCEPTION with its
  reason, or SUGGESTED_MATCH);
* returns (``lakehouse.gold.returns``): right items matching the leg's ``returns``
  filter pair with the left item they name (reference, opposite amount, currency,
  date window), assigned by the same mutual-best rounds, as REVERSED matches whose
  members become EXCEPTION with the configured reason; unpaired returns stay right
  items;
* item states (``lakehouse.gold.leg``): members of matches take the match
  status; unmatched items are DUPLICATE (their reference is already matched on that
  side), PENDING (inside the leg's, or the partner's, settlement window) or
  EXCEPTION with the leg's reason.

Not covered: manual decisions (forced matches, unmatches, write-offs); the benchmark
data has none, and :func:`read_silver` counts the ones it finds so a report can say
so. Known numeric difference: Spark computes the amount penalty and the fee
percentage in DECIMAL and casts to DOUBLE; DuckDB divides in DOUBLE. Both are
monotone in the exact ratio, so orderings and thresholds agree except for ratios
closer together than about 1e-16 (cent amounts below 10^7 never get there).

Filters, amounts and group keys are Spark SQL in ``rules.toml``; the few Spark-only
constructs they use are translated by :func:`spark_sql_to_duckdb`.

Modules: ``dialect`` (Spark SQL -> DuckDB, literals), ``inputs`` (silver and gold read
with deltalake), ``items``, ``matching`` (one rule), ``returns``, ``states``,
``reconciler`` (the run) and ``agreement`` (the comparison with gold).
"""

from __future__ import annotations

from bench.duckdb_baseline.agreement import compare
from bench.duckdb_baseline.dialect import spark_sql_to_duckdb, sql_literal
from bench.duckdb_baseline.inputs import (
    FROZEN_SCHEMA,
    SILVER_TABLES,
    SilverSnapshot,
    read_gold,
    read_silver,
)
from bench.duckdb_baseline.items import ITEM_TYPES, side_items_sql
from bench.duckdb_baseline.matching import (
    MONEY,
    PAIR_COLUMNS,
    candidates_sql,
    match_id_sql,
    mutual_best_sql,
    reason_sql,
    reference_score_sql,
    to_matches_sql,
)
from bench.duckdb_baseline.reconciler import BaselineResult, DuckDBReconciler
from bench.duckdb_baseline.states import ITEM_STATE_COLUMNS

__all__ = [
    "FROZEN_SCHEMA",
    "ITEM_STATE_COLUMNS",
    "ITEM_TYPES",
    "MONEY",
    "PAIR_COLUMNS",
    "SILVER_TABLES",
    "BaselineResult",
    "DuckDBReconciler",
    "SilverSnapshot",
    "candidates_sql",
    "compare",
    "match_id_sql",
    "mutual_best_sql",
    "read_gold",
    "read_silver",
    "reason_sql",
    "reference_score_sql",
    "side_items_sql",
    "spark_sql_to_duckdb",
    "sql_literal",
    "to_matches_sql",
]
