"""Agreement of the DuckDB baseline with gold for one business day."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from bench.duckdb_baseline.dialect import sql_date
from bench.duckdb_baseline.reconciler import BaselineResult


def compare(
    result: BaselineResult, gold_matches: pa.Table, gold_items: pa.Table, as_of: date
) -> dict[str, Any]:
    """Agreement of the baseline with gold for ``as_of``.

    Matches: gold's rule-made matches of that day (``matched_as_of = as_of``) against
    the baseline's, by identical member sets (leg, left ids, right ids), and whether
    status and reason agree too; MATCHED/PARTIAL counts per leg. Items: the baseline's
    candidate items joined to ``gold.recon_items`` on (leg, item_id), identical when
    state, reason and match id agree.
    """
    con = duckdb.connect()
    con.register("d_matches", result.matches)
    con.register("d_items", result.items)
    con.register("g_all", gold_matches)
    con.register("g_items", gold_items)
    con.execute(
        "CREATE TEMP TABLE g_matches AS SELECT * FROM g_all "
        f"WHERE matched_as_of = {sql_date(as_of)} AND rule NOT LIKE 'manual:%'"
    )

    def one(query: str) -> int:
        row = con.execute(query).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    same_members = """
        FROM d_matches d JOIN g_matches g
          ON d.leg = g.leg AND list_sort(d.left_ids) = list_sort(g.left_ids)
         AND list_sort(d.right_ids) = list_sort(g.right_ids)"""
    per_leg: dict[str, dict[str, int | bool]] = {}
    rows = con.execute(
        """
        SELECT leg, status, sum(CASE WHEN src = 'd' THEN 1 ELSE 0 END),
               sum(CASE WHEN src = 'g' THEN 1 ELSE 0 END)
        FROM (SELECT leg, status, 'd' AS src FROM d_matches
              UNION ALL SELECT leg, status, 'g' FROM g_matches)
        GROUP BY leg, status ORDER BY leg, status"""
    ).fetchall()
    for leg, status, in_duck, in_gold in rows:
        entry = per_leg.setdefault(str(leg), {})
        entry[f"{str(status).lower()}_duckdb"] = int(in_duck)
        entry[f"{str(status).lower()}_gold"] = int(in_gold)
    for entry in per_leg.values():
        entry["matched_equal"] = entry.get("matched_duckdb", 0) == entry.get("matched_gold", 0)
    compared_items = """
        FROM d_items d JOIN g_items g ON d.leg = g.leg AND d.item_id = g.item_id"""
    return {
        "matches_duckdb": one("SELECT count(*) FROM d_matches"),
        "matches_gold": one("SELECT count(*) FROM g_matches"),
        "identical_member_sets": one(f"SELECT count(*) {same_members}"),
        "identical_with_status_and_reason": one(
            f"SELECT count(*) {same_members} AND d.status = g.status "
            "AND d.reason_code IS NOT DISTINCT FROM g.reason_code"
        ),
        "identical_match_ids": one(
            "SELECT count(*) FROM d_matches d JOIN g_matches g USING (match_id)"
        ),
        "matched_count_equal_per_leg": all(bool(e["matched_equal"]) for e in per_leg.values()),
        "per_leg": per_leg,
        "items_duckdb": one("SELECT count(*) FROM d_items"),
        "items_found_in_gold": one(f"SELECT count(*) {compared_items}"),
        "items_identical_state": one(
            f"SELECT count(*) {compared_items} AND d.state = g.state "
            "AND d.reason_code IS NOT DISTINCT FROM g.reason_code "
            "AND d.match_id IS NOT DISTINCT FROM g.match_id"
        ),
    }
