"""Reconciliation items: every silver row that takes part in a leg, in one shape.

Grain: one row per (leg, item_id). Columns: ``item_id`` (the silver key),
``item_ref`` (the human/natural reference: entry id, settlement id, bank reference),
``source``, ``partner``, ``business_date``, ``amount`` (signed, + into our
accounts), ``currency``, ``reference`` (what rules compare), ``text`` (free text
for ``contains``), ``fee``, ``net``.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse.gold.rules import Leg
from lakehouse.silver.common import MONEY

ITEM_COLUMNS = (
    "item_id",
    "item_ref",
    "source",
    "partner",
    "business_date",
    "amount",
    "currency",
    "reference",
    "text",
    "fee",
    "net",
)


def _shape(df: DataFrame, **cols: Column) -> DataFrame:
    return df.select(*[cols[c].alias(c) for c in ITEM_COLUMNS])


def ledger_items(ledger: DataFrame) -> DataFrame:
    return _shape(
        ledger,
        item_id=F.col("entry_id"),
        item_ref=F.col("entry_id"),
        source=F.lit("ledger"),
        partner=F.col("channel"),
        business_date=F.col("business_date"),
        amount=F.col("amount"),
        currency=F.col("currency"),
        reference=F.col("external_ref"),
        text=F.coalesce(F.col("external_ref"), F.lit("")),
        fee=F.lit(None).cast(MONEY),
        net=F.col("amount"),
    )


def partner_items(settlements: DataFrame) -> DataFrame:
    """Transaction rows: compared on the gross amount in the gross currency."""
    return _shape(
        settlements,
        item_id=F.col("settlement_id"),
        item_ref=F.col("settlement_id"),
        source=F.col("partner"),
        partner=F.col("partner"),
        business_date=F.col("business_date"),
        amount=F.col("gross_amount"),
        currency=F.col("gross_currency"),
        reference=F.coalesce(F.col("merchant_reference"), F.col("description")),
        text=F.concat_ws(" ", F.col("merchant_reference"), F.col("description")),
        fee=F.col("fee_amount"),
        net=F.col("net_amount"),
    )


def partner_payout_items(settlements: DataFrame) -> DataFrame:
    """Payout rows: the net batch total that should reach the bank."""
    return _shape(
        settlements.where(F.col("record_class") == "payout"),
        item_id=F.col("settlement_id"),
        item_ref=F.col("settlement_id"),
        source=F.col("partner"),
        partner=F.col("partner"),
        business_date=F.col("business_date"),
        amount=F.col("net_amount"),
        currency=F.col("currency"),
        reference=F.col("batch_id"),
        text=F.concat_ws(" ", F.col("batch_id"), F.col("description")),
        fee=F.col("fee_amount"),
        net=F.col("net_amount"),
    )


def bank_items(bank: DataFrame) -> DataFrame:
    return _shape(
        bank,
        item_id=F.col("bank_txn_id"),
        item_ref=F.coalesce(F.col("bank_reference"), F.col("bank_txn_id")),
        source=F.col("source"),
        partner=F.lit(None).cast("string"),
        business_date=F.col("business_date"),
        amount=F.col("amount"),
        currency=F.col("currency"),
        reference=F.col("customer_reference"),
        text=F.concat_ws(
            " ", F.col("customer_reference"), F.col("description"), F.col("bank_reference")
        ),
        fee=F.lit(None).cast(MONEY),
        net=F.col("amount"),
    )


def side_items(side: str, silver: dict[str, DataFrame], where: str) -> DataFrame:
    """Items of one side of a leg from the silver frames, filtered by the leg's SQL."""
    if side == "ledger":
        return ledger_items(silver["ledger_entries"].where(where))
    if side == "partner":
        return partner_items(silver["partner_settlements"].where(where))
    if side == "partner_payout":
        return partner_payout_items(silver["partner_settlements"].where(where))
    return bank_items(silver["bank_transactions"].where(where))


def leg_items(leg: Leg, silver: dict[str, DataFrame]) -> tuple[DataFrame, DataFrame]:
    """(left, right) items of a leg; returns (``leg.returns``) are not on the right."""
    return (
        side_items(leg.left, silver, leg.left_filter),
        side_items(leg.right, silver, leg.right_items_filter),
    )


def leg_return_items(leg: Leg, silver: dict[str, DataFrame]) -> DataFrame | None:
    """Right-side items that reverse a left item (NACHA returns), or None."""
    where = leg.return_items_filter
    return None if where is None else side_items(leg.right, silver, where)
