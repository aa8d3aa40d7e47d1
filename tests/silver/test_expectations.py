from __future__ import annotations

import pytest

from lakehouse.errors import ExpectationFailed
from lakehouse.silver.expectations import Expectation, apply_expectations


def _frame(spark):
    return spark.createDataFrame([(1, "EUR"), (2, None), (3, "XXX")], "id int, currency string")


def test_drop_quarantines_with_rule_names_and_counts_warns(spark):
    rules = [
        Expectation("currency_present", "currency IS NOT NULL", "drop"),
        Expectation("currency_is_eur", "currency = 'EUR'", "warn"),
    ]
    result = apply_expectations(_frame(spark), "t", rules)
    assert sorted(r.id for r in result.valid.collect()) == [1, 3]
    bad = result.quarantined.collect()
    assert [(r.id, r._failed_rules) for r in bad] == [(2, ["currency_present"])]
    assert result.failed_counts == {"currency_present": 1, "currency_is_eur": 2}
    assert result.total_rows == 3


def test_fail_stops_and_names_rule_and_count(spark):
    rules = [Expectation("no_xxx", "currency <> 'XXX'", "fail")]
    with pytest.raises(ExpectationFailed, match=r"no_xxx.*failed on 2 rows"):
        apply_expectations(_frame(spark), "t", rules)
