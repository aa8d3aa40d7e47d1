"""One rule's SQL (``lakehouse.gold.matching``): prepared sides, grouping, candidate
pairs, the reference test and score, mutual-best choice and the match rows."""

from __future__ import annotations

import re

from bench.duckdb_baseline.dialect import spark_sql_to_duckdb, sql_double, sql_literal
from bench.duckdb_baseline.items import ITEM_TYPES
from lakehouse.constants import FOUND_IN_TEXT, MONEY_SQL
from lakehouse.gold.rules import Leg, Rule

MONEY = MONEY_SQL
PAIR_COLUMNS = (
    "left_id",
    "right_id",
    "left_ids",
    "right_ids",
    "left_amount",
    "right_amount",
    "difference",
    "left_currency",
    "right_currency",
    "right_fee",
    "business_date",
    "date_distance",
    "score",
    "within_tolerance",
)

EMPTY_MATCHES = f"""
    SELECT CAST(NULL AS VARCHAR) AS match_id, CAST(NULL AS VARCHAR) AS leg,
           CAST(NULL AS VARCHAR) AS rule, CAST(NULL AS VARCHAR) AS strategy,
           CAST(NULL AS VARCHAR) AS status, CAST(NULL AS VARCHAR) AS reason_code,
           CAST(NULL AS VARCHAR[]) AS left_ids, CAST(NULL AS VARCHAR[]) AS right_ids,
           CAST(NULL AS {MONEY}) AS left_amount, CAST(NULL AS {MONEY}) AS right_amount,
           CAST(NULL AS {MONEY}) AS difference, CAST(NULL AS VARCHAR) AS currency,
           CAST(NULL AS DOUBLE) AS confidence, CAST(NULL AS DATE) AS business_date
    WHERE FALSE"""


def prepared_sql(source: str, amount_expr: str) -> str:
    """The rows of ``source`` with the rule's comparison amount as ``cmp_amount``."""
    return (
        f"SELECT *, CAST(({spark_sql_to_duckdb(amount_expr)}) AS {MONEY}) AS cmp_amount "
        f"FROM {source}"
    )


def grouped_sql(prepared: str, group_key: str) -> str:
    """One pseudo-item per ``group_key`` with summed amounts, one currency per group."""
    return f"""
        SELECT * EXCLUDE (n_currencies) FROM (
            SELECT 'group:' || group_key AS item_id,
                   list_sort(list(item_id)) AS members,
                   min(business_date) AS business_date,
                   CAST(sum(amount) AS {MONEY}) AS amount,
                   CAST(sum(cmp_amount) AS {MONEY}) AS cmp_amount,
                   min(currency) AS currency,
                   count(DISTINCT currency) AS n_currencies,
                   group_key AS reference,
                   group_key AS text,
                   CAST(sum(fee) AS {MONEY}) AS fee,
                   CAST(sum(net) AS {MONEY}) AS net,
                   group_key
            FROM (
                SELECT *, ({spark_sql_to_duckdb(group_key)}) AS group_key FROM ({prepared})
            )
            WHERE group_key IS NOT NULL AND group_key <> ''
            GROUP BY group_key
        ) WHERE n_currencies = 1"""


def singles_sql(prepared: str) -> str:
    """Each prepared row as an item of its own (one member, no group key)."""
    return f"SELECT *, [item_id] AS members, CAST(NULL AS VARCHAR) AS group_key FROM ({prepared})"


def _tokens(text: str) -> str:
    """The words of a text, upper-cased (``lakehouse.gold.matching.tokens``)."""
    words = f"string_split(upper(regexp_replace({text}, '[^A-Za-z0-9_\\-]+', ' ', 'g')), ' ')"
    return f"list_distinct(list_filter({words}, lambda w: w <> ''))"


def _pattern_group(pattern: str) -> int:
    return 1 if re.compile(pattern).groups else 0


def _norm(value: str) -> str:
    return f"upper(trim({value}))"


def _keyed_sides_sql(rule: Rule, lside: str, rside: str) -> tuple[str, str]:
    """``lakehouse.gold.matching._reference_keys`` and ``_bands``: the join key of the
    reference test (extracted reference / each word of the right text) and amount bands."""
    if rule.reference == "extract":
        lkey = _norm("reference")
        if rule.left_pattern:
            lkey = (
                f"regexp_extract(upper(reference), {sql_literal(rule.left_pattern)}, "
                f"{_pattern_group(rule.left_pattern)})"
            )
        rkey = (
            f"regexp_extract(upper(text), {sql_literal(rule.pattern)}, "
            f"{_pattern_group(rule.pattern)})"
        )
        usable = "WHERE __ref_key IS NOT NULL AND __ref_key <> ''"
        lside = f"SELECT * FROM (SELECT *, {lkey} AS __ref_key FROM ({lside})) {usable}"
        rside = f"SELECT * FROM (SELECT *, {rkey} AS __ref_key FROM ({rside})) {usable}"
    elif rule.reference == "contains":
        usable = "WHERE __ref_key IS NOT NULL AND __ref_key <> ''"
        lkey = _norm("reference")
        lside = f"SELECT * FROM (SELECT *, {lkey} AS __ref_key FROM ({lside})) {usable}"
        rside = (
            f"SELECT * FROM (SELECT *, unnest({_tokens('text')}) AS __ref_key FROM ({rside})) "
            f"{usable}"
        )
    if rule.amount_within:
        width = round(rule.amount_within * 100)
        cents = "CAST(cmp_amount * 100 AS BIGINT)"
        band = f"(({cents} - ((({cents}) % {width}) + {width}) % {width}) // {width})"
        lside = f"SELECT *, unnest([{band} - 1, {band}, {band} + 1]) AS __band FROM ({lside})"
        rside = f"SELECT *, {band} AS __band FROM ({rside})"
    return lside, rside


def reference_score_sql(rule: Rule, left: str, right: str) -> str:
    """The reference test of a joined pair: its score, NULL when the test fails."""
    if rule.reference == "equals":
        return f"CASE WHEN {_norm(left)} = {_norm(right)} THEN 1.0::DOUBLE END"
    if rule.reference in ("contains", "extract"):
        return sql_double(FOUND_IN_TEXT)  # the join on __ref_key is the test
    if rule.reference == "prefix":
        lref, rref = _norm(left), _norm(right)
        short = f"(CASE WHEN length({lref}) <= length({rref}) THEN {lref} ELSE {rref} END)"
        long = f"(CASE WHEN length({lref}) <= length({rref}) THEN {rref} ELSE {lref} END)"
        return (
            f"CASE WHEN length({short}) >= {int(rule.min_prefix)} "
            f"AND starts_with({long}, {short}) "
            f"THEN length({short})::DOUBLE / length({long})::DOUBLE END"
        )
    if rule.reference == "similarity":
        lref, rref = _norm(left), _norm(right)
        longest = f"greatest(length({lref}), length({rref}), 1)"
        sim = f"(1.0::DOUBLE - levenshtein({lref}, {rref})::DOUBLE / {longest})"
        return f"CASE WHEN {sim} >= {sql_double(rule.similarity)} THEN {sim} END"
    return "1.0::DOUBLE"


def candidates_sql(rule: Rule, lside: str, rside: str) -> str:
    """Accepted candidate pairs of ``rule`` between two prepared sides (PAIR_COLUMNS)."""
    lside, rside = _keyed_sides_sql(rule, lside, rside)
    condition = ["TRUE"]
    for left_col, right_col in rule.equal:
        lcol, rcol = f'l."{left_col}"', f'r."{right_col}"'
        if ITEM_TYPES.get(left_col) == ITEM_TYPES.get(right_col) == "string":
            lcol, rcol = f"upper(trim({lcol}))", f"upper(trim({rcol}))"
        condition.append(f"{lcol} = {rcol}")
    if rule.reference in ("extract", "contains"):
        condition.append("l.__ref_key = r.__ref_key")
    if rule.amount_within:
        condition.append("l.__band = r.__band")
    score = reference_score_sql(rule, "l.reference", "r.reference")
    tolerance = (
        f"greatest({sql_double(rule.tolerance_abs)}, "
        f"abs(left_amount)::DOUBLE * {sql_double(rule.tolerance_pct / 100.0)})"
    )
    accepted = [f"days BETWEEN {rule.date_min} AND {rule.date_max}"]
    accepted.append("ref_score IS NOT NULL")
    if rule.currency:
        accepted.append("left_currency = right_currency")
    if rule.outcome == "MATCHED":
        accepted.append("within_tolerance")
    if rule.amount_within:
        within = sql_literal(repr(rule.amount_within))
        accepted.append(f"abs(difference) <= CAST({within} AS {MONEY})")
    penalty = "least(abs(difference)::DOUBLE / greatest(abs(left_amount)::DOUBLE, 1.0), 1.0)"
    return f"""
        SELECT left_id, right_id, left_ids, right_ids, left_amount, right_amount, difference,
               left_currency, right_currency, right_fee, business_date,
               abs(days) AS date_distance,
               ref_score * (1.0 - {penalty}) AS score,
               within_tolerance
        FROM (
            SELECT *, abs(difference)::DOUBLE <= {tolerance} AS within_tolerance
            FROM (
                SELECT l.item_id AS left_id, r.item_id AS right_id,
                       l.members AS left_ids, r.members AS right_ids,
                       l.cmp_amount AS left_amount, r.cmp_amount AS right_amount,
                       CAST(r.cmp_amount - l.cmp_amount AS DECIMAL(20,2)) AS difference,
                       l.currency AS left_currency, r.currency AS right_currency,
                       r.fee AS right_fee,
                       least(l.business_date, r.business_date) AS business_date,
                       datediff('day', l.business_date, r.business_date) AS days,
                       {score} AS ref_score
                FROM ({lside}) l JOIN ({rside}) r ON {" AND ".join(condition)}
            )
        )
        WHERE {" AND ".join(accepted)}"""


def mutual_best_sql(remaining: str) -> str:
    """Pairs that are the best for both their sides (ordering of Spark's windows)."""
    return f"""
        SELECT * EXCLUDE (__l, __r) FROM (
            SELECT *,
                row_number() OVER (PARTITION BY left_id ORDER BY score DESC NULLS LAST,
                    date_distance ASC NULLS FIRST, right_id ASC NULLS FIRST) AS __l,
                row_number() OVER (PARTITION BY right_id ORDER BY score DESC NULLS LAST,
                    date_distance ASC NULLS FIRST, left_id ASC NULLS FIRST) AS __r
            FROM {remaining}
        ) WHERE __l = 1 AND __r = 1"""


def reason_sql(rule: Rule) -> str:
    """The break of a chosen pair (NULL: none): currency, then amount, then fee."""
    whens = [
        "WHEN left_currency <> right_currency THEN 'CURRENCY_MISMATCH'",
        "WHEN NOT within_tolerance THEN 'AMOUNT_MISMATCH'",
    ]
    if rule.max_fee_pct is not None:
        fee_pct = "abs(right_fee)::DOUBLE * 100 / greatest(abs(right_amount)::DOUBLE, 1.0)"
        whens.append(f"WHEN {fee_pct} > {sql_double(rule.max_fee_pct)} THEN 'FEE_VARIANCE'")
    return f"CASE {' '.join(whens)} END"


def match_id_sql(leg: str, left_ids: str, right_ids: str) -> str:
    """``lakehouse.gold.matching.match_id``: sha256 of leg|sorted left|sorted right."""
    key = (
        f"concat_ws('|', {sql_literal(leg)}, array_to_string(list_sort({left_ids}), ','), "
        f"array_to_string(list_sort({right_ids}), ','))"
    )
    return f"substr(sha256({key}), 1, 24)"


def _status_sql(rule: Rule) -> str:
    if rule.outcome == "SUGGESTED":
        return "'SUGGESTED'"
    return "CASE WHEN reason IS NULL THEN 'MATCHED' ELSE 'PARTIAL' END"


def to_matches_sql(leg: Leg, rule: Rule, chosen: str) -> str:
    """Chosen pairs as match rows (MATCH_COLUMNS)."""
    return f"""
        SELECT {match_id_sql(leg.name, "left_ids", "right_ids")} AS match_id,
               {sql_literal(leg.name)} AS leg,
               {sql_literal(rule.name)} AS rule,
               {sql_literal(rule.strategy)} AS strategy,
               {_status_sql(rule)} AS status,
               reason AS reason_code,
               list_sort(left_ids) AS left_ids,
               list_sort(right_ids) AS right_ids,
               CAST(left_amount AS {MONEY}) AS left_amount,
               CAST(right_amount AS {MONEY}) AS right_amount,
               CAST(difference AS {MONEY}) AS difference,
               left_currency AS currency,
               round(greatest(score, 0.0), 4) AS confidence,
               business_date
        FROM (SELECT *, {reason_sql(rule)} AS reason FROM {chosen})"""
