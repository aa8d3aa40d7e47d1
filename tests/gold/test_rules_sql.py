"""The rules file's SQL and column names are checked when it is loaded (no JVM)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.config import CONF_DIR
from lakehouse.errors import ConfigError
from lakehouse.gold.rules import load_legs

RULES = (CONF_DIR / "rules.toml").read_text()


def _rules(tmp_path: Path, old: str, new: str) -> Path:
    assert old in RULES, old
    path = tmp_path / "rules.toml"
    path.write_text(RULES.replace(old, new, 1))
    return path


def test_the_shipped_rules_pass() -> None:
    assert set(load_legs()) == {"ledger_partner", "partner_bank", "ledger_bank"}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "left_filter = \"channel IN ('adyen', 'stripe') AND",
            "left_filter = \"channel IN ('adyen', 'stripe' AND",
            "[legs.ledger_partner] left_filter = ",
        ),
        (
            'right_filter = "record_class IN',
            'right_filter = "record_klass IN',
            "names record_klass, not a column of silver.partner_settlements",
        ),
        (
            "filter = \"reversal AND return_reason LIKE 'R%'\"",
            "filter = \"reversal AND return_reason LIKE 'R%'; DROP TABLE x\"",
            "[legs.ledger_bank.returns] filter = ",
        ),
        (
            'left_amount = "amount"\nright_amount = "amount"\nmax_fee_pct',
            'left_amount = "amount +"\nright_amount = "amount"\nmax_fee_pct',
            "#1 (reference_and_amount) left_amount = 'amount +' is not valid Spark SQL",
        ),
        (
            'group_key = "regexp_extract(reference,',
            'group_key = "regexp_extract(referenze,',
            "names referenze, not a column of the item columns",
        ),
        (
            'equal = [["reference", "reference"]]',
            'equal = [["reference", "ref"]]',
            "equal names 'ref', not an item column",
        ),
    ],
)
def test_bad_sql_fails_naming_the_file_and_the_key(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = _rules(tmp_path, old, new)
    with pytest.raises(ConfigError) as caught:
        load_legs(path)
    text = str(caught.value)
    assert message in text
    assert str(path) in text
    assert "\n" not in text


def test_a_query_is_not_an_expression(tmp_path: Path) -> None:
    path = _rules(
        tmp_path,
        "right_filter = \"upper(description) RLIKE 'ADYEN|STRIPE'\"",
        'right_filter = "(SELECT 1)"',
    )
    with pytest.raises(ConfigError, match="must be one SQL expression"):
        load_legs(path)
