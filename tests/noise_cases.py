"""Reference noise, one case per kind (docs/synthetic.md): silver rows and what the
default rules of conf/rules.toml must make of them.

Each case is a pair that must survive its kind of noise, and most come with a
near-miss: a counterpart-looking row of a different item that must not match. The
cases share one set of silver tables; their amounts lie far apart (more than any
band of the rules) and their references differ, so they cannot interfere. The Spark
matcher (tests/gold/test_matching_noise.py) and the DuckDB baseline
(tests/bench/test_duckdb_baseline.py) are held to the same expectations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

D = date(2026, 11, 2)
NEXT = date(2026, 11, 3)

# (leg, rule, left ids, right ids, status, reason code)
Expected = tuple[str, str, tuple[str, ...], tuple[str, ...], str, str | None]

LEDGER_COLUMNS = {
    "entry_id": "string",
    "event_type": "string",
    "channel": "string",
    "amount": "money",
    "currency": "string",
    "external_ref": "string",
    "business_date": "date",
    "_arrival_date": "date",
}
PARTNER_COLUMNS = {
    "partner": "string",
    "settlement_id": "string",
    "batch_id": "string",
    "merchant_reference": "string",
    "record_class": "string",
    "gross_amount": "money",
    "gross_currency": "string",
    "fee_amount": "money",
    "net_amount": "money",
    "currency": "string",
    "business_date": "date",
    "description": "string",
    "_arrival_date": "date",
}
BANK_COLUMNS = {
    "bank_txn_id": "string",
    "source": "string",
    "amount": "money",
    "currency": "string",
    "customer_reference": "string",
    "description": "string",
    "bank_reference": "string",
    "return_reason": "string",
    "reversal": "bool",
    "business_date": "date",
    "_arrival_date": "date",
}
TABLE_COLUMNS = {
    "ledger_entries": LEDGER_COLUMNS,
    "partner_settlements": PARTNER_COLUMNS,
    "bank_transactions": BANK_COLUMNS,
}


@dataclass
class Case:
    name: str
    kind: str  # the noise kind (docs/synthetic.md)
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    matches: set[Expected] = field(default_factory=set)
    unmatched: set[tuple[str, str]] = field(default_factory=set)  # (leg, item id)


def _ledger(entry: str, ref: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {
        "entry_id": entry,
        "event_type": "repayment",
        "channel": "adyen",
        "amount": amount,
        "currency": "EUR",
        "external_ref": ref,
        "business_date": D,
        "_arrival_date": D,
        **extra,
    }


def _card(sid: str, reference: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {
        "partner": "adyen",
        "settlement_id": sid,
        "merchant_reference": reference,
        "record_class": "payment",
        "gross_amount": amount,
        "gross_currency": "EUR",
        "fee_amount": "0.50",
        "net_amount": amount,
        "currency": "EUR",
        "business_date": NEXT,
        "_arrival_date": NEXT,
        **extra,
    }


def _wire(entry: str, ref: str, amount: str) -> dict[str, Any]:
    return _ledger(entry, ref, amount, event_type="disbursement", channel="wire", currency="USD")


def _bank(
    txn: str, customer_ref: str | None, text: str, amount: str, **extra: Any
) -> dict[str, Any]:
    return {
        "bank_txn_id": txn,
        "source": "bai2",
        "amount": amount,
        "currency": "USD",
        "customer_reference": customer_ref,
        "description": text,
        "bank_reference": f"US{txn}",
        "reversal": False,
        "business_date": NEXT,
        "_arrival_date": NEXT,
        **extra,
    }


def _payout(sid: str, batch: str, amount: str, partner: str = "adyen") -> dict[str, Any]:
    currency = "EUR" if partner == "adyen" else "USD"
    return {
        "partner": partner,
        "settlement_id": sid,
        "batch_id": batch,
        "record_class": "payout",
        "gross_amount": None,
        "gross_currency": currency,
        "fee_amount": "0.00",
        "net_amount": amount,
        "currency": currency,
        "business_date": D,
        "_arrival_date": D,
        "description": f"{partner.upper()} PAYOUT",
    }


def _card_case(
    name: str,
    kind: str,
    ref: str,
    amount: str,
    noisy: str,
    rule: str,
    near: str | None = None,
    outcome: tuple[str, str | None] = ("MATCHED", None),
    **right: Any,
) -> Case:
    """A ledger entry and its partner row whose reference is ``noisy``; ``near`` is a
    row of another item (same amount) that must stay unmatched."""
    left, right_id = f"L-{name}", f"P-{name}"
    rows = [_card(right_id, noisy, right.pop("gross_amount", amount), **right)]
    unmatched = set()
    if near is not None:
        rows.append(_card(f"N-{name}", near, amount))
        unmatched.add(("ledger_partner", f"N-{name}"))
    return Case(
        name,
        kind,
        {"ledger_entries": [_ledger(left, ref, amount)], "partner_settlements": rows},
        {("ledger_partner", rule, (left,), (right_id,), *outcome)},
        unmatched,
    )


def _ref(n: int) -> str:
    return f"RP-20261102-{n:08d}"


def ledger_partner_cases() -> list[Case]:
    cases = [
        _card_case(
            "embed",
            "embed",
            _ref(101),
            "110.00",
            f"Payment for {_ref(101)} thank you",
            "reference_in_text",
            near=f"Order #{_ref(199)}",
        ),
        _card_case(
            "embed_star",
            "embed",
            _ref(102),
            "120.00",
            f"LENDERCO*{_ref(102)} INSTALMENT",
            "reference_in_text",
        ),
        _card_case(
            "case",
            "case",
            _ref(201),
            "130.00",
            _ref(201).lower(),
            "reference_and_amount",
            near=_ref(299).lower(),
        ),
        # the parsers trim fields; padding that reached silver still matches exactly
        _card_case("pad", "pad", _ref(301), "300.00", f"{_ref(301):>35}", "reference_and_amount"),
        _card_case(
            "truncate",
            "truncate",
            _ref(401),
            "140.00",
            _ref(401)[:16],
            "truncated_reference",
            # the truncated reference of another day's item
            near="RP-20261101-0000",
        ),
        _card_case(
            "affix",
            "affix",
            _ref(501),
            "150.00",
            f"PAY{_ref(501)}-2",
            "reference_in_text",
            near=f"LNDR_{_ref(599)}",
        ),
        _card_case(
            "affix_suffix", "affix", _ref(502), "160.00", f"{_ref(502)}_R2", "reference_in_text"
        ),
        _card_case(
            "typo_letter",
            "typo",
            _ref(601),
            "170.00",
            "RP-20261102-000006O1",
            "similar_reference",
            # two edits away: a different item's reference with a typo
            near="RP-20261102-000006Q9",
        ),
        _card_case(
            "typo_delete", "typo", _ref(602), "180.00", "RP-20261102-0000602", "similar_reference"
        ),
        _card_case(
            "typo_duplicate",
            "typo",
            _ref(603),
            "190.00",
            "RP-20261102-000006603",
            "similar_reference",
        ),
    ]
    # noise on a pair with a break: suggested with the break, never booked
    broken = [
        _card_case(
            "embed_amount",
            "embed",
            _ref(701),
            "210.00",
            f"{_ref(701)} LenderCo loan repayment",
            "reference_in_text_with_break",
            outcome=("SUGGESTED", "AMOUNT_MISMATCH"),
            gross_amount="209.00",
        ),
        _card_case(
            "typo_amount",
            "typo",
            _ref(801),
            "220.00",
            "RP-20261102-000008O1",
            "similar_reference_with_break",
            outcome=("SUGGESTED", "AMOUNT_MISMATCH"),
            gross_amount="219.00",
        ),
        _card_case(
            "truncate_currency",
            "truncate",
            _ref(901),
            "230.00",
            _ref(901)[:16],
            "truncated_reference_with_break",
            outcome=("SUGGESTED", "CURRENCY_MISMATCH"),
            gross_currency="USD",
        ),
        # exact amount and date: booked, and the fee makes it a break
        _card_case(
            "typo_fee",
            "typo",
            _ref(1001),
            "240.00",
            "RP-20261102-0000100I",
            "similar_reference",
            outcome=("PARTIAL", "FEE_VARIANCE"),
            fee_amount="21.60",
        ),
    ]
    # truncated, but the amount is too far for a suggestion: stays unmatched
    far = Case(
        "truncate_far",
        "truncate",
        {
            "ledger_entries": [_ledger("L-truncate_far", _ref(1101), "250.00")],
            "partner_settlements": [_card("P-truncate_far", _ref(1101)[:16], "256.00")],
        },
        set(),
        {("ledger_partner", "L-truncate_far"), ("ledger_partner", "P-truncate_far")},
    )
    return [*cases, *broken, far]


def _ds(n: int) -> str:
    return f"DS-20261102-{n:08d}"


def _wire_case(name: str, kind: str, n: int, amount: str, customer_ref: str, rule: str) -> Case:
    left, right = f"L-{name}", f"B-{name}"
    text = f"OUTGOING WIRE {_ds(n)} MERCHANT M-0042"
    return Case(
        name,
        kind,
        {
            "ledger_entries": [_wire(left, _ds(n), amount)],
            "bank_transactions": [_bank(right, customer_ref, text, amount)],
        },
        {("ledger_bank", rule, (left,), (right,), "MATCHED", None)},
    )


def ledger_bank_cases() -> list[Case]:
    cases = [
        _wire_case("b_case", "case", 2001, "-510.00", _ds(2001).lower(), "end_to_end_reference"),
        _wire_case("b_pad", "pad", 2006, "-560.00", f"{_ds(2006):<35}", "end_to_end_reference"),
        _wire_case(
            "b_truncate", "truncate", 2002, "-520.00", _ds(2002)[:16], "reference_in_narrative"
        ),
        _wire_case(
            "b_affix", "affix", 2003, "-530.00", f"LNDR_{_ds(2003)}", "reference_in_narrative"
        ),
        _wire_case(
            "b_typo", "typo", 2004, "-540.00", "DS-20261102-0000200A", "reference_in_narrative"
        ),
    ]
    # a bank line whose mangled reference looks like one entry but whose narrative
    # names another: the narrative decides, and names no entry we have
    cases[2].rows["bank_transactions"].append(
        _bank(
            "N-b_affix",
            f"LNDR_{_ds(2003)}",
            f"OUTGOING WIRE {_ds(2099)} MERCHANT M-0001",
            "-530.00",
        )
    )
    cases[2].unmatched.add(("ledger_bank", "N-b_affix"))
    broken = _wire_case("b_amount", "typo", 2005, "-550.00", "DS-20261102-0000200S", "x")
    broken.rows["bank_transactions"][0]["amount"] = "-549.00"
    broken.matches = {
        (
            "ledger_bank",
            "reference_in_narrative_with_break",
            ("L-b_amount",),
            ("B-b_amount",),
            "SUGGESTED",
            "AMOUNT_MISMATCH",
        )
    }
    return [*cases, broken]


PAYOUT_NARRATIVES = {
    # (partner, batch or payout id, amount, narrative, rule)
    "n_adyen_words": (
        "adyen",
        "1001",
        "610.00",
        "Adyen N.V. payout batch 1001 LenderCoEU",
        "batch_reference_and_net",
    ),
    "n_adyen_ordp": (
        "adyen",
        "1002",
        "620.00",
        "/ORDP/ADYEN NV/REMI/BATCH1002/LENDERCOEU",
        "adyen_batch_in_narrative",
    ),
    "n_adyen_nr": (
        "adyen",
        "1003",
        "630.00",
        "ADYEN SETTLEMENT NR 0000001003",
        "adyen_batch_in_narrative",
    ),
    "n_stripe_upper": (
        "stripe",
        "po_00112233445566aa",
        "640.00",
        "STRIPE PAYMENTS PO_00112233445566AA",
        "batch_reference_and_net",
    ),
    "n_stripe_orig": (
        "stripe",
        "po_00112233445566bb",
        "650.00",
        "ORIG CO NAME:STRIPE ORIG ID:po_00112233445566bb ENTRY DESCR:TRANSFER",
        "batch_reference_and_net",
    ),
    "n_stripe_st": (
        "stripe",
        "po_00112233445566cc",
        "660.00",
        "STRIPE TRANSFER ST-00112233445566CC",
        "stripe_payout_in_narrative",
    ),
}


def partner_bank_cases() -> list[Case]:
    cases = []
    for name, (partner, batch, amount, text, rule) in PAYOUT_NARRATIVES.items():
        currency = "EUR" if partner == "adyen" else "USD"
        left, right = f"PO-{name}", f"B-{name}"
        cases.append(
            Case(
                name,
                "narrative",
                {
                    "partner_settlements": [_payout(left, batch, amount, partner)],
                    "bank_transactions": [_bank(right, None, text, amount, currency=currency)],
                },
                {("partner_bank", rule, (left,), (right,), "MATCHED", None)},
            )
        )
    # the batch number of no payout we have, with an amount one of them has
    near = _bank("N-adyen", None, "ADYEN SETTLEMENT NR 0000001009", "620.00", currency="EUR")
    cases[1].rows["bank_transactions"].append(near)
    cases[1].unmatched.add(("partner_bank", "N-adyen"))
    return cases


CASES = [*ledger_partner_cases(), *ledger_bank_cases(), *partner_bank_cases()]


def tables() -> dict[str, list[dict[str, Any]]]:
    """Every case's rows, by silver table."""
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLE_COLUMNS}
    for case in CASES:
        for table, rows in case.rows.items():
            out[table].extend(rows)
    return out


def _value(kind: str, value: Any) -> Any:
    from decimal import Decimal

    return Decimal(value) if kind == "money" and value is not None else value


def records(table: str) -> list[dict[str, Any]]:
    """The rows of one silver table, every column present, money as Decimal."""
    columns = TABLE_COLUMNS[table]
    return [
        {name: _value(kind, row.get(name)) for name, kind in columns.items()}
        for row in tables()[table]
    ]


def item_ids(case: Case) -> set[tuple[str, str]]:
    """(leg, item id) of every row of a case, for the legs its expectations name."""
    keys = {"ledger_entries": "entry_id", "partner_settlements": "settlement_id"}
    keys["bank_transactions"] = "bank_txn_id"
    legs = {m[0] for m in case.matches} | {leg for leg, _ in case.unmatched}
    return {(leg, row[keys[t]]) for t, rows in case.rows.items() for row in rows for leg in legs}


def made_for(case: Case, made: set[Expected]) -> set[Expected]:
    """The matches in ``made`` that touch an item of the case."""
    ids = {item for _, item in item_ids(case)}
    return {m for m in made if ids & {*m[2], *m[3]}}
