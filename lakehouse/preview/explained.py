"""Each example of a preview's diff with its explanation, before and after.

The explanation is the one ``lakehouse explain`` gives (:mod:`lakehouse.explain`:
which rule matched and every criterion's values, or the nearest candidates of a
break), asked of the real books and of the scratch books as of the preview's last
day. Where the explain API cannot answer (an older checkout, books without the
tables it reads), a short explanation is made from the gold rows the diff read.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from lakehouse.errors import LakehouseError
from lakehouse.gold.rules import load_legs

log = logging.getLogger(__name__)


def _from_gold(example: dict[str, Any], side: str) -> dict[str, Any]:
    """A short explanation from the item's state and the match holding it."""
    leg, item = example["leg"], example["item_id"]
    bare, _, reason = str(example[f"state_{side}"]).partition("/")
    match = example[f"match_{side}"]
    answer: dict[str, Any] = {
        "leg": leg,
        "item_id": item,
        "state": bare,
        "reason_code": reason or None,
    }
    if match is None:
        answer["summary"] = (
            "Not in these books."
            if bare == "ABSENT"
            else f"{bare}{f' ({reason})' if reason else ''}: in no match."
        )
        return answer
    others = match["right_ids"] if item in match["left_ids"] else match["left_ids"]
    why = f" ({match['reason_code']})" if match.get("reason_code") else ""
    answer |= {
        "match_id": match["match_id"],
        "rule": match["rule"],
        "summary": (
            f"{match['status']}{why} by rule {match['rule']} with {', '.join(others) or '-'}."
        ),
    }
    return answer


def _explain_api(
    root: str, as_of: date, keys: Sequence[tuple[str, str]], rules: Path | None
) -> list[dict[str, Any] | None]:
    """The explain API's answers for ``keys`` (None where it has none) under ``root``,
    citing the rules of ``rules`` (default: ``conf/rules.toml``)."""
    try:
        module = importlib.import_module("lakehouse.explain")
    except ImportError:
        return [None] * len(keys)
    try:
        explainer = module.Explainer(as_of=as_of, root=root)
        if rules is not None:
            explainer.legs = load_legs(rules)  # the preview's legs, not conf/rules.toml's
        return list(explainer.explain_many(keys, strict=False))
    except LakehouseError as exc:
        log.warning("explain under %s as of %s: %s; explaining from gold rows", root, as_of, exc)
        return [None] * len(keys)


def explain_examples(
    examples: list[dict[str, Any]], before_root: str, after_root: str, as_of: date, rules: Path
) -> None:
    """Add ``explanation: {"before", "after"}`` to every example (in place): the books
    before under ``before_root`` (the rules that ran), after under ``after_root``
    (``rules``)."""
    keys = [(e["leg"], e["item_id"]) for e in examples]
    if not keys:
        return
    answers = {
        "before": _explain_api(before_root, as_of, keys, None),
        "after": _explain_api(after_root, as_of, keys, rules),
    }
    for i, example in enumerate(examples):
        example["explanation"] = {
            side: answers[side][i] or _from_gold(example, side) for side in ("before", "after")
        }
