"""Returns (``lakehouse.gold.returns``) as DuckDB SQL: right items matching the leg's
``returns`` filter pair with the left item they name and become REVERSED matches."""

from __future__ import annotations

from bench.duckdb_baseline.dialect import sql_literal
from bench.duckdb_baseline.matching import MONEY, match_id_sql
from lakehouse.gold.rules import Leg, Returns


def return_pairs_sql(name: str, returns: Returns) -> str:
    """Candidate (left item, return) pairs: same reference and currency, opposite
    amount, inside the return's date window."""
    days = "datediff('day', l.business_date, r.business_date)"
    return f"""SELECT l.item_id AS left_id, r.item_id AS right_id,
                       l.amount AS left_amount, r.amount AS right_amount, l.currency,
                       r.business_date, {days} AS date_distance, 1.0 AS score
                FROM {name}_left_all l JOIN {name}_returns r
                  ON upper(trim(l.reference)) = upper(trim(r.reference))
                 AND l.currency = r.currency AND l.amount = -r.amount
                WHERE {days} BETWEEN {int(returns.date_min)} AND {int(returns.date_max)}"""


def reversals_sql(leg: Leg, returns: Returns, chosen: str) -> str:
    """The chosen pairs of ``chosen`` as REVERSED match rows (MATCH_COLUMNS)."""
    name = leg.name
    return f"""SELECT {match_id_sql(name, "[left_id]", "[right_id]")} AS match_id,
                       {sql_literal(name)} AS leg, {sql_literal(returns.name)} AS rule,
                       'reversal' AS strategy, 'REVERSED' AS status,
                       {sql_literal(returns.reason_code)} AS reason_code,
                       [left_id] AS left_ids, [right_id] AS right_ids,
                       CAST(left_amount AS {MONEY}) AS left_amount,
                       CAST(right_amount AS {MONEY}) AS right_amount,
                       CAST(right_amount + left_amount AS {MONEY}) AS difference,
                       currency, 1.0::DOUBLE AS confidence, business_date
                FROM {chosen}"""


def unpaired_returns_sql(name: str) -> str:
    """Returns that name no left item: they stay right items."""
    return (
        f"SELECT * FROM {name}_returns ANTI JOIN "
        f"(SELECT unnest(right_ids) AS item_id FROM {name}_reversals) USING (item_id)"
    )
