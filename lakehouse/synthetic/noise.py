"""Reference noise: what real partner and bank files do to the ledger's references.

Noise rewrites reference and narrative text of generated records before they are
written, never amounts, dates, ids or the truth: a noisy pair is still the same match.
Kinds, their targets and what each promises are documented in ``docs/synthetic.md``.

Targets:

* ``partner``: the reference of a partner transaction row (Adyen ``Merchant Reference``,
  Stripe ``description``);
* ``bank``: the customer reference of a disbursement bank line;
* ``payout``: the bank line of a partner payout (customer reference and narrative).

Each target record draws one uniform number; the kinds sharing the target split it in
``KINDS`` order, so a record gets at most one kind. Noise draws come from their own
stream keyed by (seed, day, target): the records are the same with noise on or off.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Target = Literal["partner", "bank", "payout"]

# Kind -> the targets it applies to; the order is the order kinds split a record's draw.
KINDS: dict[str, tuple[Target, ...]] = {
    "embed": ("partner",),
    "case": ("partner", "bank"),
    "pad": ("partner", "bank"),
    "truncate": ("partner", "bank"),
    "affix": ("partner", "bank"),
    "typo": ("partner", "bank"),
    "narrative": ("payout",),
}
TARGETS: tuple[Target, ...] = ("partner", "bank", "payout")
_STREAM = 0x4E015E  # keeps noise draws apart from any other use of the seed

EMBED_TEMPLATES = (
    "Payment for {ref} thank you",
    "{ref} LenderCo loan repayment",
    "Order #{ref}",
    "LENDERCO*{ref} INSTALMENT",
)
PAD_WIDTH = 35  # camt Max35Text
TRUNCATE_WIDTH = 16  # SWIFT MT940 reference field (16x)
PREFIXES = ("LC-", "PAY", "LNDR_")
SUFFIXES = ("-1", "-2", "-3", "_R2")
LOOKALIKE = dict(zip("0123456789", "OIZEASGTBQ", strict=True))
ADYEN_NARRATIVES = (
    "Adyen N.V. payout batch {batch} LenderCoEU",
    "/ORDP/ADYEN NV/REMI/BATCH{batch}/LENDERCOEU",
    "ADYEN SETTLEMENT NR {batch:0>10}",
)
STRIPE_NARRATIVES = (
    "STRIPE PAYMENTS {payout_upper}",
    "ORIG CO NAME:STRIPE ORIG ID:{payout} ENTRY DESCR:TRANSFER",
    "STRIPE TRANSFER ST-{hex_upper}",
)
_DIGIT = re.compile(r"[0-9]")


class NoiseSpecError(ValueError):
    """A noise specification that cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class NoiseSpec:
    """Rate per noise kind: the probability that one target record gets that kind."""

    rates: tuple[tuple[str, float], ...] = ()

    @classmethod
    def of(cls, rates: Mapping[str, float]) -> NoiseSpec:
        """Checked spec from ``{kind: rate}``; ``all`` sets every kind."""
        merged: dict[str, float] = {}
        for kind, rate in rates.items():
            if kind != "all" and kind not in KINDS:
                raise NoiseSpecError(
                    f"noise kind {kind!r} is unknown; use one of {', '.join(KINDS)} or all"
                )
            if not 0.0 <= rate <= 1.0:
                raise NoiseSpecError(f"noise rate {kind}={rate} must be between 0 and 1")
            for name in KINDS if kind == "all" else (kind,):
                merged[name] = rate
        spec = cls(tuple((k, merged[k]) for k in KINDS if merged.get(k, 0.0) > 0.0))
        for target in TARGETS:
            total = sum(spec.rate(k) for k in spec.kinds(target))
            if total > 1.0 + 1e-9:
                shared = "+".join(spec.kinds(target))
                raise NoiseSpecError(
                    f"noise rates of the kinds sharing the {target} reference "
                    f"({shared}) sum to {total:g}; a record gets one kind, keep the sum <= 1"
                )
        return spec

    @classmethod
    def parse(cls, text: str) -> NoiseSpec:
        """``KIND=RATE[,KIND=RATE...]`` (later pairs win), e.g. ``all=0.02,narrative=1``."""
        rates: dict[str, float] = {}
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            kind, sep, value = part.partition("=")
            try:
                if not sep:
                    raise ValueError
                rate = float(value)
            except ValueError:
                raise NoiseSpecError(
                    f"noise {part!r} is not KIND=RATE (e.g. typo=0.02, all=0.01)"
                ) from None
            kind = kind.strip()
            if kind == "all":
                rates = {k: rate for k in KINDS}
            else:
                rates[kind] = rate
        return cls.of(rates)

    @property
    def enabled(self) -> bool:
        return bool(self.rates)

    def rate(self, kind: str) -> float:
        return dict(self.rates).get(kind, 0.0)

    def kinds(self, target: Target) -> tuple[str, ...]:
        return tuple(k for k, _ in self.rates if target in KINDS[k])

    def __str__(self) -> str:
        return ",".join(f"{k}={r:g}" for k, r in self.rates) or "none"


def spec_of(noise: NoiseSpec | Mapping[str, float] | str | None) -> NoiseSpec:
    """A checked spec from any of the forms ``generate`` accepts (None: no noise)."""
    if isinstance(noise, NoiseSpec):
        return noise
    if isinstance(noise, str):
        return NoiseSpec.parse(noise)
    return NoiseSpec.of(noise or {})


def rng_for(seed: int, day: date, target: Target) -> np.random.Generator:
    """The noise stream of one target on one day (independent of the records' stream)."""
    return np.random.default_rng([seed, _STREAM, day.toordinal(), TARGETS.index(target)])


def choose(spec: NoiseSpec, target: Target, n: int, rng: np.random.Generator) -> np.ndarray:
    """Per target record, the index of its kind in ``spec.kinds(target)`` (-1: untouched)."""
    kinds = spec.kinds(target)
    if not kinds or n == 0:
        return np.full(n, -1)
    bounds = np.cumsum([spec.rate(k) for k in kinds])
    picks = np.searchsorted(bounds, rng.random(n), side="right")
    return np.where(picks < len(kinds), picks, -1)


# ---- one value ------------------------------------------------------------------


def embed(ref: str, template: int) -> str:
    return EMBED_TEMPLATES[template].format(ref=ref)


def case(ref: str) -> str:
    return ref.lower()


def pad(ref: str, left: bool) -> str:
    return ref.rjust(PAD_WIDTH) if left else ref.ljust(PAD_WIDTH)


def truncate(ref: str) -> str:
    return ref[:TRUNCATE_WIDTH]


def affix(ref: str, form: int, prefix: int, suffix: int) -> str:
    """``form`` 0: prefix only, 1: suffix only, 2: both."""
    head = PREFIXES[prefix] if form != 1 else ""
    tail = SUFFIXES[suffix] if form != 0 else ""
    return f"{head}{ref}{tail}"


def typo(ref: str, where: float, edit: int) -> str:
    """One edit at the digit at fraction ``where`` of the digits: 0 look-alike letter,
    1 deleted, 2 doubled. The result is never a well-formed reference."""
    digits = [m.start() for m in _DIGIT.finditer(ref)]
    if not digits:
        return ref
    at = digits[min(int(where * len(digits)), len(digits) - 1)]
    char = ref[at]
    middle = (LOOKALIKE[char], "", char + char)[edit]
    return ref[:at] + middle + ref[at + 1 :]


def payout_narrative(partner: str, reference: str, style: int) -> str:
    """A payout's bank narrative in one of the partner's formats (see the module doc)."""
    if partner == "adyen":
        return ADYEN_NARRATIVES[style].format(batch=reference)
    hex16 = reference.removeprefix("po_")
    return STRIPE_NARRATIVES[style].format(
        payout=reference, payout_upper=reference.upper(), hex_upper=hex16.upper()
    )


# ---- columns --------------------------------------------------------------------


def references(
    refs: pa.Array | Sequence[str], target: Target, spec: NoiseSpec, rng: np.random.Generator
) -> pa.Array:
    """``refs`` with the target's noise kinds applied (same length, same order)."""
    values = refs if isinstance(refs, pa.Array) else pa.array(list(refs), pa.string())
    picked = choose(spec, target, len(values), rng)
    chosen = np.flatnonzero(picked >= 0)
    if len(chosen) == 0:
        return values
    originals: list[str] = values.take(pa.array(chosen)).to_pylist()
    noisy = list(originals)
    for k, kind in enumerate(spec.kinds(target)):
        rows = np.flatnonzero(picked[chosen] == k).tolist()
        if rows:
            for row, value in zip(
                rows, _apply(kind, [originals[i] for i in rows], rng), strict=True
            ):
                noisy[row] = value
    mask = np.zeros(len(values), dtype=bool)
    mask[chosen] = True
    return pc.replace_with_mask(values, pa.array(mask), pa.array(noisy, pa.string()))


def _apply(kind: str, refs: list[str], rng: np.random.Generator) -> Iterable[str]:
    n = len(refs)
    if kind == "embed":
        return map(embed, refs, rng.integers(0, len(EMBED_TEMPLATES), n).tolist())
    if kind == "case":
        return map(case, refs)
    if kind == "pad":
        return map(pad, refs, (rng.random(n) < 0.5).tolist())
    if kind == "truncate":
        return map(truncate, refs)
    if kind == "affix":
        forms = rng.integers(0, 3, n).tolist()
        prefixes = rng.integers(0, len(PREFIXES), n).tolist()
        suffixes = rng.integers(0, len(SUFFIXES), n).tolist()
        return map(affix, refs, forms, prefixes, suffixes)
    if kind == "typo":
        return map(typo, refs, rng.random(n).tolist(), rng.integers(0, 3, n).tolist())
    raise AssertionError(kind)


def payouts(
    partners: Sequence[str], refs: Sequence[str], spec: NoiseSpec, rng: np.random.Generator
) -> list[str | None]:
    """Per payout bank line: the reformatted narrative, or None when left clean."""
    picked = choose(spec, "payout", len(refs), rng)
    styles = rng.integers(0, 3, len(refs)).tolist() if refs else []
    return [
        payout_narrative(partner, ref, style) if kind >= 0 else None
        for partner, ref, style, kind in zip(partners, refs, styles, picked.tolist(), strict=True)
    ]


# ---- records ----------------------------------------------------------------------

PARTNER_TYPES = ("Settled", "Refunded", "Chargeback")  # Adyen transaction rows
STRIPE_CATEGORIES = ("charge", "refund", "dispute")  # Stripe transaction rows
DISBURSEMENT_CODES = ("495", "ESCT")  # BAI2 outgoing wire, camt SEPA credit transfer
PAYOUT_CODES = {"RCDT": "adyen", "195": "stripe"}  # bank credits of partner payouts
ADYEN_BATCH_PREFIX = "ADYEN-BATCH-"


def _noise_column(
    table: pa.Table,
    column: str,
    rows: pa.Array,
    target: Target,
    spec: NoiseSpec,
    rng: np.random.Generator,
) -> pa.Table:
    """``table`` with ``column`` noised on the rows where ``rows`` is true."""
    where = np.flatnonzero(np.asarray(rows.to_numpy(zero_copy_only=False)))
    values = table.column(column).combine_chunks()
    noisy = references(values.take(pa.array(where)), target, spec, rng)
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[where] = True
    merged = pc.replace_with_mask(values, pa.array(mask), noisy)
    return table.set_column(table.schema.get_field_index(column), column, merged)


def apply(
    seed: int,
    day: date,
    spec: NoiseSpec,
    adyen: pa.Table | None,
    stripe: pa.Table | None,
    bank: pa.Table,
) -> tuple[pa.Table | None, pa.Table | None, pa.Table]:
    """Noise one day's records (records.ADYEN, STRIPE and BANK tables) before writing."""
    if not spec.enabled:
        return adyen, stripe, bank
    partner = rng_for(seed, day, "partner")
    if adyen is not None:
        rows = pc.is_in(adyen.column("type"), pa.array(PARTNER_TYPES))
        adyen = _noise_column(adyen, "reference", rows, "partner", spec, partner)
    if stripe is not None:
        rows = pc.is_in(stripe.column("category"), pa.array(STRIPE_CATEGORIES))
        stripe = _noise_column(stripe, "description", rows, "partner", spec, partner)
    rows = pc.is_in(bank.column("type_code"), pa.array(DISBURSEMENT_CODES))
    bank = _noise_column(bank, "customer_reference", rows, "bank", spec, rng_for(seed, day, "bank"))
    return adyen, stripe, _payout_narratives(seed, day, spec, bank)


def _payout_narratives(seed: int, day: date, spec: NoiseSpec, bank: pa.Table) -> pa.Table:
    if "narrative" not in dict(spec.rates):
        return bank
    codes = bank.column("type_code").to_pylist()
    where = [i for i, code in enumerate(codes) if code in PAYOUT_CODES]
    if not where:
        return bank
    refs = bank.column("customer_reference").to_pylist()
    texts = payouts(
        [PAYOUT_CODES[codes[i]] for i in where],
        [refs[i].removeprefix(ADYEN_BATCH_PREFIX) for i in where],
        spec,
        rng_for(seed, day, "payout"),
    )
    text = bank.column("text").to_pylist()
    for i, narrative in zip(where, texts, strict=True):
        if narrative is not None:
            refs[i], text[i] = "", narrative
    bank = bank.set_column(
        bank.schema.get_field_index("customer_reference"),
        "customer_reference",
        pa.array(refs, pa.string()),
    )
    return bank.set_column(bank.schema.get_field_index("text"), "text", pa.array(text, pa.string()))
