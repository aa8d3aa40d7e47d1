"""conf/rules.toml is validated at start: the fallback rules' keys, blocking and outcomes."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.errors import ConfigError
from lakehouse.gold.rules import load_legs

LEG = '[legs.ledger_partner]\nleft = "ledger"\nright = "partner"\n'
RULE = (
    '[[legs.ledger_partner.rules]]\nname = "fuzzy"\nstrategy = "one_to_one"\n'
    "date_min = -1\ndate_max = 5\n"
)


def _load(tmp_path: Path, body: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(LEG + RULE + body)
    load_legs(path)


def test_the_default_rules_load_with_their_fallbacks() -> None:
    legs = load_legs()
    rules = {r.name: r for r in legs["ledger_partner"].rules}
    assert rules["reference_in_text"].reference == "extract"
    assert rules["similar_reference"].similarity == 0.92
    assert rules["truncated_reference_with_break"].outcome == "SUGGESTED"
    assert all(r.outcome != "PARTIAL" for r in rules.values() if r.fuzzy)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('equal = []\nreference = "extract"\n', "needs pattern"),
        ('equal = []\nreference = "extract"\npattern = "(RP"\n', "not a regular expression"),
        (
            'equal = []\nreference = "equals"\npattern = "RP"\n',
            "only used by reference = 'extract'",
        ),
        ('equal = []\nreference = "similarity"\n', "would compare every pair"),
        ('equal = []\nreference = "prefix"\n', "would compare every pair"),
        (
            'equal = [["amount", "amount"]]\nreference = "similarity"\noutcome = "PARTIAL"\n',
            "cannot book a break: use outcome = 'SUGGESTED'",
        ),
        (
            'equal = [["amount", "amount"]]\nreference = "prefix"\ntolerance_abs = 1.0\n',
            "needs the amount exact",
        ),
        ('equal = []\nreference = "similarity"\namount_within = 5\nsimilarity = 1.5\n', "(0, 1]"),
        ('equal = []\nreference = "prefix"\namount_within = -1\n', "must be >= 0"),
        ('equal = []\nreference = "equals"\noutcome = "MAYBE"\n', "MATCHED, PARTIAL or SUGGESTED"),
        ('equal = []\nreference = "fuzzy"\n', "is not one of equals, extract, contains"),
    ],
)
def test_a_bad_fallback_rule_fails_at_start_naming_the_fix(
    tmp_path: Path, body: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        _load(tmp_path, body)
    assert "#1" in str(err.value)


def test_a_blocked_fuzzy_rule_is_accepted(tmp_path: Path) -> None:
    _load(
        tmp_path,
        'equal = []\nreference = "similarity"\namount_within = 5.0\noutcome = "SUGGESTED"\n',
    )
