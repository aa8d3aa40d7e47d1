"""Item states of a leg (``lakehouse.gold.leg``) as DuckDB SQL over the reconciler's
per-leg tables: members of matches take the match status; unmatched items are
DUPLICATE, PENDING or EXCEPTION."""

from __future__ import annotations

from datetime import date

from bench.duckdb_baseline.dialect import sql_date, sql_literal
from lakehouse.gold.rules import Leg

ITEM_STATE_COLUMNS = (
    "leg",
    "item_id",
    "side",
    "business_date",
    "reference",
    "state",
    "reason_code",
    "match_id",
    "rule",
)


def pending_days_sql(leg: Leg) -> str:
    """The settlement window in days of an item: the partner's own, else the leg's."""
    days = str(leg.pending_days)
    for partner, window in leg.pending_days_by_partner.items():
        days = f"CASE WHEN partner = {sql_literal(partner)} THEN {int(window)} ELSE {days} END"
    return days


def unmatched_sql(leg: Leg, side: str, as_of: date) -> str:
    """DUPLICATE when the reference is already matched on that side, else PENDING or
    EXCEPTION (``lakehouse.gold.leg._unmatched_states``)."""
    name = leg.name
    open_items = f"{name}_{side}_open"
    missing = leg.right_unmatched_reason if side == "right" else "MISSING_COUNTERPART"
    age = f"datediff('day', business_date, {sql_date(as_of)})"
    pending = f"{age} <= {pending_days_sql(leg)}"
    return f"""
        SELECT {sql_literal(name)} AS leg, u.item_id, {sql_literal(side)} AS side,
               u.business_date, u.reference,
               CASE WHEN d.__dup THEN 'EXCEPTION' WHEN {pending} THEN 'PENDING'
                    ELSE 'EXCEPTION' END AS state,
               CASE WHEN d.__dup THEN 'DUPLICATE' WHEN {pending} THEN NULL
                    ELSE {sql_literal(missing)} END AS reason_code,
               CAST(NULL AS VARCHAR) AS match_id, CAST(NULL AS VARCHAR) AS rule
        FROM {open_items} u
        LEFT JOIN (
            SELECT DISTINCT upper(reference) AS __ref, TRUE AS __dup
            FROM (SELECT * FROM {name}_{side}_all ANTI JOIN {open_items} USING (item_id))
            WHERE reference IS NOT NULL
        ) d ON upper(u.reference) = d.__ref"""


def states_sql(leg: Leg, as_of: date) -> str:
    """Every candidate item of the leg with its state (ITEM_STATE_COLUMNS); the
    members of a REVERSED match take its reason, whatever else they matched."""
    name = leg.name
    matched = f"""
        SELECT {sql_literal(name)} AS leg, c.item_id, c.side, c.business_date, c.reference,
               CASE WHEN m.status = 'SUGGESTED' THEN 'EXCEPTION' ELSE m.status END AS state,
               CASE WHEN m.status = 'SUGGESTED' THEN coalesce(m.reason_code, 'SUGGESTED_MATCH')
                    ELSE m.reason_code END AS reason_code,
               m.match_id, m.rule
        FROM (SELECT *, 'left' AS side FROM {name}_left
              UNION ALL BY NAME SELECT *, 'right' AS side FROM {name}_right) c
        JOIN (SELECT unnest(list_concat(left_ids, right_ids)) AS item_id, match_id, status,
                     reason_code, rule FROM {name}_matches) m USING (item_id)"""
    reversed_items = f"""
        SELECT {sql_literal(name)} AS leg, c.item_id, c.side, c.business_date, c.reference,
               'EXCEPTION' AS state, m.reason_code, m.match_id, m.rule
        FROM (SELECT *, 'left' AS side FROM {name}_left_all
              UNION ALL BY NAME SELECT *, 'right' AS side FROM {name}_returns) c
        JOIN (SELECT unnest(list_concat(left_ids, right_ids)) AS item_id, match_id,
                     reason_code, rule FROM {name}_reversals) m USING (item_id)"""
    others = " UNION ALL ".join(
        [matched, unmatched_sql(leg, "left", as_of), unmatched_sql(leg, "right", as_of)]
    )
    if leg.returns is None:
        return others
    return (
        f"SELECT * FROM ({others}) ANTI JOIN (SELECT item_id FROM ({reversed_items})) "
        f"USING (item_id) UNION ALL {reversed_items}"
    )
