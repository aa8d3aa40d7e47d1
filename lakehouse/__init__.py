"""Reconciliation lakehouse: ledger, payment partners and banks agree, every day.

Analysts start here: ``lakehouse.read_table("gold.recon_exceptions", as_of=...)``
returns pandas (``read_table_polars`` polars) through ``deltalake``, without a JVM.
"""

from lakehouse.readers import read_table, read_table_polars

__all__ = ["read_table", "read_table_polars"]
