from __future__ import annotations

from decimal import Decimal

from lakehouse.silver import bank_transactions
from lakehouse.silver.common import HASH_HEX
from tests.builders import bronze_bank

KEY = "k"


def test_sign_from_credit_debit_and_masking(spark):
    bronze = bronze_bank(
        spark,
        {"bank_reference": "B1", "credit_debit": "CRDT", "amount": "10.00"},
        {"bank_reference": "B2", "credit_debit": "DBIT", "amount": "4.50"},
    )
    rows = {r.bank_reference: r for r in bank_transactions.transform(bronze, KEY).collect()}
    assert rows["B1"].amount == Decimal("10.00")
    assert rows["B2"].amount == Decimal("-4.50")
    for row in rows.values():
        assert row.account_id.startswith("****4300#")
        assert row.statement_id != "S1"  # BAI2 statement ids embed the account number
        assert "NL91ABNA0417164300" not in str(row.asDict().values())
        assert row.counterparty != "Jane Doe" and len(row.counterparty) == HASH_HEX
        assert row.counterparty_account.startswith("****3000#")


def test_identical_entries_stay_two_and_redelivery_gets_same_ids(spark):
    twin = {"bank_reference": None, "customer_reference": None, "description": "CARD FEE"}
    first = bronze_bank(spark, {**twin, "_row_number": 1}, {**twin, "_row_number": 2})
    again = bronze_bank(
        spark,
        {**twin, "_row_number": 1, "_file_sha256": "e" * 64},
        {**twin, "_row_number": 2, "_file_sha256": "e" * 64},
    )
    ids_first = sorted(r.bank_txn_id for r in bank_transactions.transform(first, KEY).collect())
    ids_again = sorted(r.bank_txn_id for r in bank_transactions.transform(again, KEY).collect())
    assert len(set(ids_first)) == 2
    assert ids_first == ids_again


def test_masking_key_changes_the_hash(spark):
    bronze = bronze_bank(spark, {})
    one = bank_transactions.transform(bronze, "key-one").collect()[0]
    two = bank_transactions.transform(bronze, "key-two").collect()[0]
    assert one.account_key != two.account_key
