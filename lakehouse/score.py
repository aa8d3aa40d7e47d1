"""Matching quality: precision and recall of gold against the generator's truth.

A predicted fact is a MATCHED match ``(leg, left refs, right refs)`` or a break
``(leg, item ref, reason code)``; the truth lists the same facts. Item references
are the natural ones (ledger entry id, partner settlement id, bank reference), so
the score reads ``gold.recon_items`` for id -> reference. No JVM is needed.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

from lakehouse.constants import BREAK_STATES
from lakehouse.readers import read_table

Fact = tuple[str, ...]


def _ratio(hits: int, total: int) -> float:
    return round(hits / total, 6) if total else 1.0


def _pr(predicted: set[Fact], truth: set[Fact]) -> dict[str, Any]:
    hits = len(predicted & truth)
    return {
        "precision": _ratio(hits, len(predicted)),
        "recall": _ratio(hits, len(truth)),
        "predicted": len(predicted),
        "truth": len(truth),
        "correct": hits,
    }


def load_truth(folder: Path) -> tuple[set[Fact], set[Fact]]:
    with (folder / "matches.csv").open(newline="") as fh:
        matches: set[Fact] = {
            ("match", r["leg"], r["left_ids"], r["right_ids"]) for r in csv.DictReader(fh)
        }
    with (folder / "exceptions.csv").open(newline="") as fh:
        breaks: set[Fact] = {
            ("break", r["leg"], r["item_id"], r["reason_code"]) for r in csv.DictReader(fh)
        }
    return matches, breaks


def predicted_facts(root: str | None = None) -> tuple[set[Fact], set[Fact]]:
    items = read_table(
        "gold.recon_items",
        root=root,
        columns=["leg", "item_id", "item_ref", "state", "reason_code"],
    )
    ref = {(r.leg, r.item_id): r.item_ref for r in items.itertuples()}
    matches_df = read_table("gold.recon_matches", root=root)
    matches: set[Fact] = set()
    for m in matches_df.itertuples():
        if m.status != "MATCHED":
            continue
        left = ";".join(sorted(ref.get((m.leg, i), i) for i in m.left_ids))
        right = ";".join(sorted(ref.get((m.leg, i), i) for i in m.right_ids))
        matches.add(("match", m.leg, left, right))
    open_breaks = items[items.state.isin(BREAK_STATES)]
    breaks: set[Fact] = {
        ("break", str(r.leg), str(r.item_ref), str(r.reason_code)) for r in open_breaks.itertuples()
    }
    return matches, breaks


def score(truth_dir: Path, root: str | None = None) -> dict[str, Any]:
    truth_matches, truth_breaks = load_truth(truth_dir)
    pred_matches, pred_breaks = predicted_facts(root)
    truth_all, pred_all = truth_matches | truth_breaks, pred_matches | pred_breaks
    legs: dict[str, Any] = {}
    for leg in sorted({f[1] for f in truth_all | pred_all}):
        legs[leg] = _pr({f for f in pred_all if f[1] == leg}, {f for f in truth_all if f[1] == leg})
    by_reason: dict[str, Any] = {}
    reasons = defaultdict(set)
    for f in truth_breaks | pred_breaks:
        reasons[f[3]].add(f)
    for reason in sorted(reasons):
        by_reason[reason] = _pr(
            {f for f in pred_breaks if f[3] == reason}, {f for f in truth_breaks if f[3] == reason}
        )
    return {
        "overall": _pr(pred_all, truth_all),
        "matches": _pr(pred_matches, truth_matches),
        "exceptions": _pr(pred_breaks, truth_breaks),
        "legs": legs,
        "reason_codes": by_reason,
        "misses": sorted(truth_all - pred_all)[:20],
        "false_positives": sorted(pred_all - truth_all)[:20],
    }
