"""The tests of a rule, one result per test, as recorded next to every decision.

A pair frame (the columns of :data:`PAIR_FIELDS`) evaluated under a rule gives an
``array<struct<name, passed, left, right, limit>>``: one entry per test the rule makes,
named ``keys``, ``date``, ``amount``, ``reference``, ``currency`` and ``fee``. Values are
strings: money as exact decimal strings, dates ISO, references verbatim. ``passed``
says whether the test a clean match needs holds, so a MATCHED pair passes every test
and a break fails the one its reason code names.

Confidence (``score``) is the reference score times the amount closeness, both in
[0, 1]: the reference score is 1 for equal references, 0.99 for a reference found in
the text (``contains``, ``extract``), the shared share of the longer reference for a
prefix, and the similarity itself for ``similarity``; the amount closeness is
``1 - |difference| / |left amount|`` (0 when they differ by the whole amount). Date,
currency and fee are gates: they decide whether and how a pair matches, not how sure.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, BooleanType, StringType, StructField, StructType

from lakehouse.constants import FOUND_IN_TEXT as FOUND_IN_TEXT
from lakehouse.gold.rules import Rule

NAMES = ("keys", "date", "amount", "reference", "currency", "fee")
# every field nullable: Delta does not support NOT NULL inside arrays
CRITERION = StructType(
    [
        StructField("name", StringType(), True),
        StructField("passed", BooleanType(), True),
        StructField("left", StringType(), True),
        StructField("right", StringType(), True),
        StructField("limit", StringType(), True),
    ]
)
CRITERIA = ArrayType(CRITERION)


def criteria_sql_type() -> str:
    """The SQL type of a criteria column, field names quoted (``left``, ``right`` and
    ``limit`` are SQL keywords)."""
    fields = ", ".join(f"`{f.name}`: {f.dataType.simpleString()}" for f in CRITERION.fields)
    return f"ARRAY<STRUCT<{fields}>>"


# Columns a pair frame has for the criteria to be evaluated.
PAIR_FIELDS = (
    "left_keys",
    "right_keys",
    "left_date",
    "right_date",
    "left_amount",
    "right_amount",
    "left_currency",
    "right_currency",
    "left_reference",
    "right_reference",
    "right_text",
    "right_fee",
    "ref_score",
)


def money(value: Column) -> Column:
    """An exact decimal string (``-12.30``), never a float."""
    return value.cast("decimal(20,2)").cast("string")


def tolerance_text(rule: Rule) -> str:
    text = f"{rule.tolerance_abs:.2f}"
    return f"{text} or {rule.tolerance_pct:g}%" if rule.tolerance_pct else text


def tolerance(rule: Rule, left_amount: Column) -> Column:
    """The largest allowed |right - left| for a clean match (absolute or percent)."""
    pct = F.abs(left_amount) * F.lit(rule.tolerance_pct / 100.0)
    return F.greatest(F.lit(rule.tolerance_abs), pct)


def within_tolerance(rule: Rule, left_amount: Column, right_amount: Column) -> Column:
    diff = (right_amount - left_amount).cast("decimal(20,2)")
    return F.abs(diff) <= tolerance(rule, left_amount)


def fee_pct(fee: Column, amount: Column) -> Column:
    """The fee as a percentage of the amount (DECIMAL)."""
    return F.abs(fee) * 100 / F.greatest(F.abs(amount), F.lit(1))


def _reference_limit(rule: Rule) -> str:
    if rule.reference == "equals":
        return "equals"
    if rule.reference == "contains":
        return "a word of the text"
    if rule.reference == "extract":
        return f"found in the text by {rule.pattern}"
    if rule.reference == "prefix":
        return f"one a prefix of the other, >= {rule.min_prefix} characters"
    return f"similarity >= {rule.similarity:.2f}"


def _one(name: str, passed: Column, left: Column, right: Column, limit: Column | str) -> Column:
    limit_col = F.lit(limit) if isinstance(limit, str) else limit
    return F.struct(
        F.lit(name).alias("name"),
        F.coalesce(passed, F.lit(False)).alias("passed"),
        left.cast("string").alias("left"),
        right.cast("string").alias("right"),
        limit_col.cast("string").alias("limit"),
    )


def criteria(rule: Rule, pair: dict[str, Column] | None = None) -> Column:
    """The rule's tests over a pair frame (columns :data:`PAIR_FIELDS`, or ``pair``)."""
    c = {name: F.col(name) for name in PAIR_FIELDS}
    c.update(pair or {})
    days = F.datediff(c["right_date"], c["left_date"])
    tests: list[Column] = []
    if rule.equal:
        keys = " AND ".join(f"{left} = {right}" for left, right in rule.equal)
        left_keys = F.coalesce(c["left_keys"], c["left_reference"])
        right_keys = F.coalesce(c["right_keys"], c["right_reference"])
        # a rule's own pairs met on their keys; a candidate pair is tested here
        passed = c.get("keys_passed", F.lit(True))
        tests.append(_one("keys", passed, left_keys, right_keys, keys))
    tests.append(
        _one(
            "date",
            days.between(rule.date_min, rule.date_max),
            c["left_date"],
            c["right_date"],
            f"{rule.date_min}..{rule.date_max} days",
        )
    )
    tests.append(
        _one(
            "amount",
            within_tolerance(rule, c["left_amount"], c["right_amount"]),
            money(c["left_amount"]),
            money(c["right_amount"]),
            tolerance_text(rule),
        )
    )
    if rule.reference != "none":
        right_ref = c["right_text"] if rule.reference in ("contains", "extract") else None
        limit: Column | str = _reference_limit(rule)
        if rule.reference == "similarity":
            lref, rref = F.upper(F.trim(c["left_reference"])), F.upper(F.trim(c["right_reference"]))
            longest = F.greatest(F.length(lref), F.length(rref), F.lit(1))
            sim = F.lit(1.0) - F.levenshtein(lref, rref) / longest
            limit = F.concat(F.lit(f"{limit}, was "), F.format_string("%.2f", sim))
        elif rule.reference == "prefix":
            share = F.when(
                c["ref_score"].isNotNull(), F.format_string("%.2f", c["ref_score"])
            ).otherwise(F.lit("none"))
            limit = F.concat(F.lit(f"{limit}, shared "), share)
        tests.append(
            _one(
                "reference",
                c["ref_score"].isNotNull(),
                c["left_reference"],
                right_ref if right_ref is not None else c["right_reference"],
                limit,
            )
        )
    tests.append(
        _one(
            "currency",
            c["left_currency"] == c["right_currency"],
            c["left_currency"],
            c["right_currency"],
            "equal",
        )
    )
    if rule.max_fee_pct is not None:
        pct = fee_pct(c["right_fee"], c["right_amount"])
        tests.append(
            _one(
                "fee",
                c["right_fee"].isNull() | (pct <= F.lit(rule.max_fee_pct)),
                money(c["right_fee"]),
                F.concat(money(F.round(pct, 2)), F.lit("%")),
                f"<= {rule.max_fee_pct:g}%",
            )
        )
    return F.array(*tests)


def failed(criteria_col: Column) -> Column:
    """How many tests of a criteria array failed."""
    return F.size(F.filter(criteria_col, lambda c: ~c["passed"]))
