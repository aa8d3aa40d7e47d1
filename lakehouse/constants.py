"""Names and numbers shared by every layer, the JVM-free readers and the bench.

This module imports nothing: the report, the scorer and the DuckDB baseline read
gold through ``deltalake`` and must not import pyspark to learn what a state is.
Spark code imports the same names from here.
"""

from __future__ import annotations

LAYERS = ("bronze", "silver", "gold")

# Reconciliation legs, in the order conf/rules.toml lists them.
LEGS = ("ledger_partner", "partner_bank", "ledger_bank")

# Item states of gold.recon_items. Open items are re-aged every run and listed by
# gold.aging; breaks (open items that need a person) are gold.recon_exceptions.
STATES = ("MATCHED", "PARTIAL", "PENDING", "EXCEPTION", "WRITTEN_OFF")
OPEN_STATES = ("PARTIAL", "PENDING", "EXCEPTION")
BREAK_STATES = ("PARTIAL", "EXCEPTION")

REASON_CODES = (
    "MISSING_COUNTERPART",
    "AMOUNT_MISMATCH",
    "CURRENCY_MISMATCH",
    "DUPLICATE",
    "FEE_VARIANCE",
    "UNEXPECTED_BANK_ITEM",
    "RETURNED",
)

# Rounds of mutual-best assignment per rule (lakehouse.gold.matching and the DuckDB
# baseline run the same number, so both find the same second-best pairs).
MATCH_ROUNDS = 4

# Money is DECIMAL(18,2) everywhere: Spark, Arrow, DuckDB and JSON (as exact strings).
MONEY_PRECISION = 18
MONEY_SCALE = 2
MONEY_SQL = f"DECIMAL({MONEY_PRECISION},{MONEY_SCALE})"
