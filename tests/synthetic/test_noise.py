"""Reference noise: each kind lands at its rate and keeps the promise it documents."""

from __future__ import annotations

import re
from datetime import date, timedelta

import numpy as np
import pytest

from lakehouse.synthetic import noise
from lakehouse.synthetic.noise import NoiseSpec, NoiseSpecError
from tests.synthetic.promises import PROMISES, REF, levenshtein


def _refs(n: int) -> list[str]:
    kinds = ("RP", "RF", "DS")
    return [f"{kinds[i % 3]}-2026110{i % 7 + 1}-{i * 7919 % 10**8:08d}" for i in range(n)]


@pytest.mark.parametrize(("kind", "target"), [(k, t) for k in PROMISES for t in noise.KINDS[k]])
def test_each_kind_lands_at_its_rate_and_keeps_its_promise(kind: str, target: str) -> None:
    refs = _refs(6000)
    spec = NoiseSpec.of({kind: 0.1})
    out = noise.references(refs, target, spec, np.random.default_rng(11)).to_pylist()  # type: ignore[arg-type]
    changed = [(v, r) for v, r in zip(out, refs, strict=True) if v != r]
    assert abs(len(changed) - 600) < 5 * (6000 * 0.1 * 0.9) ** 0.5
    broken = [(v, r) for v, r in changed if not PROMISES[kind](v, r)]
    assert broken == []
    assert all(v == r for v, r in zip(out, refs, strict=True) if v == r)


def test_kinds_sharing_a_target_split_one_draw_so_a_record_gets_at_most_one() -> None:
    refs = _refs(8000)
    rates = {k: 0.15 for k in PROMISES}
    out = noise.references(
        refs, "partner", NoiseSpec.of(rates), np.random.default_rng(5)
    ).to_pylist()
    counts = dict.fromkeys(PROMISES, 0)
    for value, ref in zip(out, refs, strict=True):
        if value == ref:
            continue
        kept = next((k for k, keeps in PROMISES.items() if keeps(value, ref)), None)
        assert kept, (value, ref)
        counts[kept] += 1
    # each kind near 15 % of 8000 = 1200 (sd 32)
    assert all(abs(n - 1200) < 160 for n in counts.values()), counts


def test_typo_covers_every_edit_and_never_forms_another_reference() -> None:
    ref = "RP-20261102-00012345"
    out = {noise.typo(ref, where, edit) for where in np.linspace(0, 0.999, 40) for edit in range(3)}
    assert {len(v) for v in out} == {19, 20, 21}
    assert all(REF.fullmatch(v) is None and levenshtein(v, ref) == 1 for v in out)


def test_affix_forms() -> None:
    ref = "DS-20261102-00000042"
    assert noise.affix(ref, 0, 1, 0) == "PAYDS-20261102-00000042"
    assert noise.affix(ref, 1, 0, 1) == "DS-20261102-00000042-2"
    assert noise.affix(ref, 2, 2, 3) == "LNDR_DS-20261102-00000042_R2"


@pytest.mark.parametrize("style", range(3))
def test_adyen_payout_narrative_keeps_the_partner_and_the_batch_number(style: int) -> None:
    text = noise.payout_narrative("adyen", "1042", style)
    assert "ADYEN" in text.upper()
    assert [int(run) for run in re.findall(r"[0-9]+", text)] == [1042]


@pytest.mark.parametrize("style", range(3))
def test_stripe_payout_narrative_keeps_the_partner_and_the_payout_hex(style: int) -> None:
    payout = "po_2b665cd7662d214d"
    text = noise.payout_narrative("stripe", payout, style)
    assert "STRIPE" in text.upper()
    assert re.findall(r"(?i)[0-9a-f]{16}", text)[0].lower() == "2b665cd7662d214d"
    assert text != f"STRIPE TRANSFER {payout}"


def test_payouts_noise_at_rate_one_rewrites_every_line() -> None:
    spec = NoiseSpec.of({"narrative": 1.0})
    rng = noise.rng_for(1, _day(), "payout")
    out = noise.payouts(["adyen", "stripe"], ["1000", "po_0123456789abcdef"], spec, rng)
    assert all(text is not None for text in out)
    assert noise.payouts(["adyen"], ["1000"], NoiseSpec(), np.random.default_rng(0)) == [None]


def test_same_seed_same_noise_and_streams_are_per_target_and_day() -> None:
    refs = _refs(500)
    spec = NoiseSpec.of({"all": 0.1})
    once = noise.references(refs, "partner", spec, noise.rng_for(3, _day(), "partner")).to_pylist()
    again = noise.references(refs, "partner", spec, noise.rng_for(3, _day(), "partner")).to_pylist()
    other = noise.references(
        refs, "partner", spec, noise.rng_for(3, _day(1), "partner")
    ).to_pylist()
    assert once == again
    assert once != other


# ---- the specification -----------------------------------------------------------


def test_parse_reads_kinds_and_rates_and_all() -> None:
    spec = NoiseSpec.parse("typo=0.02, embed=0.01")
    assert spec.rates == (("embed", 0.01), ("typo", 0.02))
    everything = NoiseSpec.parse("all=0.02,narrative=1")
    assert dict(everything.rates) == {**dict.fromkeys(noise.KINDS, 0.02), "narrative": 1.0}
    assert not NoiseSpec.parse("").enabled
    assert not NoiseSpec.parse("typo=0").enabled
    assert str(spec) == "embed=0.01,typo=0.02"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("typos=0.1", "noise kind 'typos' is unknown; use one of embed, case"),
        ("typo", "noise 'typo' is not KIND=RATE"),
        ("typo=often", "noise 'typo=often' is not KIND=RATE"),
        ("typo=1.5", "noise rate typo=1.5 must be between 0 and 1"),
        ("typo=-0.1", "must be between 0 and 1"),
        ("typo=nan", "must be between 0 and 1"),
        ("all=0.2", "sum to 1.2; a record gets one kind, keep the sum <= 1"),
    ],
)
def test_parse_refuses_what_it_cannot_use_with_the_fix(text: str, message: str) -> None:
    with pytest.raises(NoiseSpecError, match=re.escape(message)):
        NoiseSpec.parse(text)


def _day(offset: int = 0) -> date:
    return date(2026, 11, 2) + timedelta(days=offset)
