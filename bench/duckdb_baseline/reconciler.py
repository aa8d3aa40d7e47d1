"""The DuckDB reconcile of one business day: window, items, rules, returns, states."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
import pyarrow as pa

from bench.duckdb_baseline.dialect import sql_date, sql_literal
from bench.duckdb_baseline.inputs import SILVER_TABLES
from bench.duckdb_baseline.items import side_items_sql
from bench.duckdb_baseline.matching import (
    EMPTY_MATCHES,
    candidates_sql,
    grouped_sql,
    mutual_best_sql,
    prepared_sql,
    singles_sql,
    to_matches_sql,
)
from bench.duckdb_baseline.returns import return_pairs_sql, reversals_sql, unpaired_returns_sql
from bench.duckdb_baseline.states import states_sql
from lakehouse.constants import MATCH_ROUNDS
from lakehouse.gold.rules import Leg, Rule


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
                f"SELECT * FROM src_{name} WHERE _arrival_date <= {sql_date(self.as_of)} "
                f"AND business_date BETWEEN {sql_date(self.low)} AND {sql_date(self.as_of)}",
            )
        self.con.register("src_frozen", frozen)
        self._table(
            "frozen",
            "SELECT DISTINCT leg, unnest(list_concat(left_ids, right_ids)) AS item_id "
            f"FROM src_frozen WHERE matched_as_of < {sql_date(self.as_of)}",
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
        self._table(f"{name}_matches", EMPTY_MATCHES)
        for index, rule in enumerate(leg.rules):
            made = self._apply_rule(leg, index, rule, f"{name}_left_open", f"{name}_right_open")
            self._sql(f"INSERT INTO {name}_matches SELECT * FROM {made}")
            for side in ("left", "right"):
                self._table(
                    f"{name}_{side}_open",
                    f"SELECT * FROM {name}_{side}_open ANTI JOIN "
                    f"(SELECT DISTINCT unnest({side}_ids) AS item_id FROM {made}) USING (item_id)",
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
        self._table(f"{name}_reversals", EMPTY_MATCHES)
        if leg.returns is None:
            return
        self._table(f"{name}_rev_pairs", return_pairs_sql(name, leg.returns))
        chosen = self._assign(f"{name}_rev", f"{name}_rev_pairs")
        self._table(f"{name}_reversals", reversals_sql(leg, leg.returns, chosen))
        orphans = unpaired_returns_sql(name)
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
                self._table(f"{leg.name}_states", states_sql(leg, self.as_of))
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
