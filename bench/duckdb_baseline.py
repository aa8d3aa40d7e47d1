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
constructs they use are translated by :func:`bench.duckdb_sql.spark_sql_to_duckdb`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from bench.duckdb_sql import (
    MONEY,
    SILVER_TABLES,
    candidates_sql,
    date_literal,
    grouped_sql,
    match_id_sql,
    mutual_best_sql,
    prepared_sql,
    side_items_sql,
    singles_sql,
    sql_literal,
    to_matches_sql,
)
from lakehouse.constants import MATCH_ROUNDS
from lakehouse.gold.rules import Leg, Rule

# ---- the run ------------------------------------------------------------------------


@dataclass
class BaselineResult:
    """What the DuckDB reconcile produced, and how long each part took."""

    matches: pa.Table  # MATCH_COLUMNS
    items: pa.Table  # ITEM_STATE_COLUMNS
    seconds: dict[str, float] = field(default_factory=dict)
    pairs: dict[str, int] = field(default_factory=dict)  # candidate pairs per leg.rule


class DuckDBReconciler:
    """Runs every leg's rules for one business day in a DuckDB connection.

    ``tables`` are the silver tables (arrow, any superset of the window) and
    ``frozen`` the existing ``gold.recon_matches`` rows (at least ``leg``,
    ``left_ids``, ``right_ids``, ``matched_as_of``): the members of those matched
    before ``as_of`` are frozen, as in the Spark reconcile.
    """

    def __init__(
        self,
        legs: Mapping[str, Leg],
        as_of: date,
        window_days: int,
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        self.legs = legs
        self.as_of = as_of
        self.low = as_of - timedelta(days=window_days)
        self.con = con or duckdb.connect()
        self.seconds: dict[str, float] = {}
        self.pairs: dict[str, int] = {}

    def _sql(self, query: str) -> None:
        self.con.execute(query)

    def _table(self, name: str, query: str) -> None:
        self._sql(f"CREATE OR REPLACE TEMP TABLE {name} AS {query}")

    def _count(self, query: str) -> int:
        row = self.con.execute(f"SELECT count(*) FROM ({query})").fetchone()
        return int(row[0]) if row else 0

    @contextmanager
    def _timed(self, part: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[part] = self.seconds.get(part, 0.0) + time.perf_counter() - start

    def _window(self, tables: Mapping[str, pa.Table], frozen: pa.Table) -> None:
        for name in SILVER_TABLES:
            self.con.register(f"src_{name}", tables[name])
            self._table(
                f"w_{name}",
                f"SELECT * FROM src_{name} WHERE _arrival_date <= {date_literal(self.as_of)} "
                f"AND business_date BETWEEN {date_literal(self.low)} "
                f"AND {date_literal(self.as_of)}",
            )
        self.con.register("src_frozen", frozen)
        self._table(
            "frozen",
            "SELECT DISTINCT leg, unnest(list_concat(left_ids, right_ids)) AS item_id "
            f"FROM src_frozen WHERE matched_as_of < {date_literal(self.as_of)}",
        )

    def _assign(self, prefix: str, pairs: str) -> str:
        """Greedy mutual-best rounds over ``pairs``; returns the table of chosen pairs."""
        taken, remaining, best = f"{prefix}_taken", f"{prefix}_remaining", f"{prefix}_best"
        self._table(remaining, f"SELECT * FROM {pairs}")
        self._table(taken, f"SELECT * FROM {pairs} WHERE FALSE")
        for _ in range(MATCH_ROUNDS):
            self._table(best, mutual_best_sql(remaining))
            self._sql(f"INSERT INTO {taken} SELECT * FROM {best}")
            self._table(
                remaining,
                f"SELECT * FROM {remaining} ANTI JOIN (SELECT left_id FROM {best}) USING (left_id)"
                f" ANTI JOIN (SELECT right_id FROM {best}) USING (right_id)",
            )
            if self._count(f"SELECT 1 FROM {remaining} LIMIT 1") == 0:
                break
        return taken

    def _apply_rule(self, leg: Leg, index: int, rule: Rule, left: str, right: str) -> str:
        prefix = f"{leg.name}_r{index}"
        lp, rp = prepared_sql(left, rule.left_amount), prepared_sql(right, rule.right_amount)
        lside = grouped_sql(lp, rule.group_key) if rule.strategy == "many_to_one" else None
        rside = grouped_sql(rp, rule.group_key) if rule.strategy == "one_to_many" else None
        self._table(
            f"{prefix}_pairs",
            candidates_sql(rule, lside or singles_sql(lp), rside or singles_sql(rp)),
        )
        self.pairs[f"{leg.name}.{rule.name}"] = self._count(f"SELECT * FROM {prefix}_pairs")
        chosen = self._assign(prefix, f"{prefix}_pairs")
        self._table(f"{prefix}_made", to_matches_sql(leg, rule, chosen))
        return f"{prefix}_made"

    def _match_leg(self, leg: Leg) -> None:
        """Rules in order; the items a rule takes are removed before the next one."""
        name = leg.name
        self._table(f"{name}_left_open", f"SELECT * FROM {name}_left")
        self._table(f"{name}_right_open", f"SELECT * FROM {name}_right")
        self._table(f"{name}_matches", _EMPTY_MATCHES)
        for index, rule in enumerate(leg.rules):
            made = self._apply_rule(leg, index, rule, f"{name}_left_open", f"{name}_right_open")
            self._sql(f"INSERT INTO {name}_matches SELECT * FROM {made}")
            for side in ("left", "right"):
                self._table(
                    f"{name}_{side}_open",
                    f"SELECT * FROM {name}_{side}_open ANTI JOIN "
                    f"(SELECT DISTINCT unnest({side}_ids) AS item_id FROM {made}) USING (item_id)",
                )

    def _pending_days_sql(self, leg: Leg) -> str:
        days = str(leg.pending_days)
        for partner, window in leg.pending_days_by_partner.items():
            days = f"CASE WHEN partner = {sql_literal(partner)} THEN {int(window)} ELSE {days} END"
        return days

    def _unmatched_sql(self, leg: Leg, side: str) -> str:
        """DUPLICATE when the reference is already matched on that side, else PENDING or
        EXCEPTION (``lakehouse.gold.leg._unmatched_states``)."""
        name = leg.name
        open_items = f"{name}_{side}_open"
        missing = leg.right_unmatched_reason if side == "right" else "MISSING_COUNTERPART"
        age = f"datediff('day', business_date, {date_literal(self.as_of)})"
        pending = f"{age} <= {self._pending_days_sql(leg)}"
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

    def _states_sql(self, leg: Leg) -> str:
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
            [matched, self._unmatched_sql(leg, "left"), self._unmatched_sql(leg, "right")]
        )
        if leg.returns is None:
            return others
        return (
            f"SELECT * FROM ({others}) ANTI JOIN (SELECT item_id FROM ({reversed_items})) "
            f"USING (item_id) UNION ALL {reversed_items}"
        )

    def _items(self, leg: Leg) -> None:
        """The leg's items of both sides, minus the members of frozen matches; returns
        (``leg.returns``) apart, as ``{leg}_returns``."""
        name = leg.name
        frozen = f"(SELECT item_id FROM frozen WHERE leg = {sql_literal(name)})"
        returns_where = leg.return_items_filter
        if returns_where is not None:
            self._table(f"{name}_returns_all", side_items_sql(leg.right, returns_where))
            self._table(
                f"{name}_returns",
                f"SELECT * FROM {name}_returns_all ANTI JOIN {frozen} USING (item_id)",
            )
        for side, where in (("left", leg.left_filter), ("right", leg.right_items_filter)):
            source = leg.left if side == "left" else leg.right
            self._table(f"{name}_{side}_all", side_items_sql(source, where))
            self._table(
                f"{name}_{side}",
                f"SELECT * FROM {name}_{side}_all ANTI JOIN {frozen} USING (item_id)",
            )

    def _reverse(self, leg: Leg) -> None:
        """``lakehouse.gold.returns.reversal_matches``; unpaired returns join the right."""
        name = leg.name
        self._table(f"{name}_reversals", _EMPTY_MATCHES)
        if leg.returns is None:
            return
        days = "datediff('day', l.business_date, r.business_date)"
        self._table(
            f"{name}_rev_pairs",
            f"""SELECT l.item_id AS left_id, r.item_id AS right_id,
                       l.amount AS left_amount, r.amount AS right_amount, l.currency,
                       r.business_date, {days} AS date_distance, 1.0 AS score
                FROM {name}_left_all l JOIN {name}_returns r
                  ON upper(trim(l.reference)) = upper(trim(r.reference))
                 AND l.currency = r.currency AND l.amount = -r.amount
                WHERE {days} BETWEEN {int(leg.returns.date_min)} AND {int(leg.returns.date_max)}""",
        )
        chosen = self._assign(f"{name}_rev", f"{name}_rev_pairs")
        self._table(
            f"{name}_reversals",
            f"""SELECT {match_id_sql(name, "[left_id]", "[right_id]")} AS match_id,
                       {sql_literal(name)} AS leg, {sql_literal(leg.returns.name)} AS rule,
                       'reversal' AS strategy, 'REVERSED' AS status,
                       {sql_literal(leg.returns.reason_code)} AS reason_code,
                       [left_id] AS left_ids, [right_id] AS right_ids,
                       CAST(left_amount AS {MONEY}) AS left_amount,
                       CAST(right_amount AS {MONEY}) AS right_amount,
                       CAST(right_amount + left_amount AS {MONEY}) AS difference,
                       currency, 1.0::DOUBLE AS confidence, business_date
                FROM {chosen}""",
        )
        orphans = (
            f"SELECT * FROM {name}_returns ANTI JOIN "
            f"(SELECT unnest(right_ids) AS item_id FROM {name}_reversals) USING (item_id)"
        )
        self._sql(f"INSERT INTO {name}_right BY NAME {orphans}")
        self._sql(f"INSERT INTO {name}_right_all BY NAME {orphans}")

    def run(self, tables: Mapping[str, pa.Table], frozen: pa.Table) -> BaselineResult:
        """Reconcile every leg; ``seconds`` splits window, matching and item states."""
        with self._timed("window"):
            self._window(tables, frozen)
        for leg in self.legs.values():
            with self._timed("matching"):
                self._items(leg)
                self._reverse(leg)
                self._match_leg(leg)
            with self._timed("states"):
                self._table(f"{leg.name}_states", self._states_sql(leg))
        self.seconds["total"] = sum(self.seconds.values())
        names = list(self.legs)
        matches = self.con.sql(
            " UNION ALL ".join(
                f"SELECT * FROM {n}_matches UNION ALL SELECT * FROM {n}_reversals" for n in names
            )
            + " ORDER BY leg, match_id"
        ).to_arrow_table()
        items = self.con.sql(
            " UNION ALL ".join(f"SELECT * FROM {n}_states" for n in names)
            + " ORDER BY leg, item_id"
        ).to_arrow_table()
        return BaselineResult(matches, items, dict(self.seconds), dict(self.pairs))


_EMPTY_MATCHES = f"""
    SELECT CAST(NULL AS VARCHAR) AS match_id, CAST(NULL AS VARCHAR) AS leg,
           CAST(NULL AS VARCHAR) AS rule, CAST(NULL AS VARCHAR) AS strategy,
           CAST(NULL AS VARCHAR) AS status, CAST(NULL AS VARCHAR) AS reason_code,
           CAST(NULL AS VARCHAR[]) AS left_ids, CAST(NULL AS VARCHAR[]) AS right_ids,
           CAST(NULL AS {MONEY}) AS left_amount, CAST(NULL AS {MONEY}) AS right_amount,
           CAST(NULL AS {MONEY}) AS difference, CAST(NULL AS VARCHAR) AS currency,
           CAST(NULL AS DOUBLE) AS confidence, CAST(NULL AS DATE) AS business_date
    WHERE FALSE"""


# ---- input and comparison -----------------------------------------------------------

FROZEN_SCHEMA = pa.schema(
    [
        ("leg", pa.string()),
        ("left_ids", pa.list_(pa.string())),
        ("right_ids", pa.list_(pa.string())),
        ("matched_as_of", pa.date32()),
    ]
)


@dataclass
class SilverSnapshot:
    """The baseline's input, read from Delta without a JVM."""

    tables: dict[str, pa.Table]
    frozen: pa.Table
    manual_decisions: int
    seconds: float


def _delta(root: str, layer: str, name: str) -> Any:
    from lakehouse.readers import open_delta, resolve_root
    from lakehouse.storage import table_location

    base, s3 = resolve_root(root)
    return open_delta(table_location(base, layer, name), s3)


def read_silver(root: str, as_of: date, window_days: int) -> SilverSnapshot:
    """Silver rows of the window (partitions pruned by business date), existing matches
    and the number of manual decisions known by ``as_of`` (which the baseline ignores)."""
    import pyarrow.dataset as ds

    start = time.perf_counter()
    low = as_of - timedelta(days=window_days)
    in_window = (ds.field("business_date") >= low) & (ds.field("business_date") <= as_of)
    tables: dict[str, pa.Table] = {}
    for name in SILVER_TABLES:
        table = _delta(root, "silver", name)
        if table is None:
            raise FileNotFoundError(f"silver.{name} not found under {root}")
        tables[name] = table.to_pyarrow_dataset().to_table(filter=in_window)
    matches = _delta(root, "gold", "recon_matches")
    frozen = (
        matches.to_pyarrow_dataset().to_table(columns=FROZEN_SCHEMA.names)
        if matches is not None
        else FROZEN_SCHEMA.empty_table()
    )
    decisions = _delta(root, "silver", "manual_decisions")
    known = 0
    if decisions is not None:
        known = decisions.to_pyarrow_dataset().count_rows(filter=ds.field("_arrival_date") <= as_of)
    return SilverSnapshot(tables, frozen, known, time.perf_counter() - start)


def read_gold(root: str) -> tuple[pa.Table, pa.Table]:
    """``gold.recon_matches`` and ``gold.recon_items`` (the columns compared)."""
    matches = _delta(root, "gold", "recon_matches")
    items = _delta(root, "gold", "recon_items")
    if matches is None or items is None:
        raise FileNotFoundError(f"gold.recon_matches / gold.recon_items not found under {root}")
    match_cols = ["match_id", "leg", "rule", "status", "reason_code", "left_ids", "right_ids"]
    return (
        matches.to_pyarrow_dataset().to_table(columns=[*match_cols, "matched_as_of"]),
        _gold_item_columns(items),
    )


def _gold_item_columns(items: Any) -> pa.Table:
    cols = ["leg", "item_id", "state", "reason_code", "match_id"]
    table: pa.Table = items.to_pyarrow_dataset().to_table(columns=cols)
    return table


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
        f"WHERE matched_as_of = {date_literal(as_of)} AND rule NOT LIKE 'manual:%'"
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
