"""``lakehouse preview``: what a rules file would have changed over days D1..D2.

check the request (rules file, days, truth folder: before any Spark work) -> replay the
reconcile step into a scratch gold (:mod:`lakehouse.preview.replay`) -> diff the
scratch books against the real books as of D2 (:mod:`lakehouse.preview.diff`), score
both against the truth when given, explain the examples -> record the result in the
scratch's ``preview.json`` (:mod:`lakehouse.preview.scratch`).

The CLI (:mod:`lakehouse.cli.preview`) and the Prefect flow ``preview`` call
:func:`run_preview`; it returns the JSON document both print.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession

from lakehouse.config import Settings, load_settings
from lakehouse.errors import LakehouseError
from lakehouse.gold.rules import load_legs
from lakehouse.preview.diff import diff, load_books
from lakehouse.preview.explained import explain_examples
from lakehouse.preview.replay import DayRun, replay
from lakehouse.preview.scratch import Scratch, location, new_id, started
from lakehouse.reprocess import days_between
from lakehouse.score import score

Progress = Callable[[str], None]
TRUTH_FILES = ("matches.csv", "exceptions.csv")


@dataclass(frozen=True)
class Request:
    """What to preview: ``rules`` over ``start`` .. ``end``; ``truth`` a generator truth
    folder to score against; ``scratch`` where to write (default
    ``<root>/_preview/<id>``); ``cleanup`` removes the scratch at the end."""

    rules: Path
    start: date
    end: date
    truth: Path | None = None
    scratch: str | None = None
    cleanup: bool = False


def check(request: Request) -> list[date]:
    """Everything that can be wrong with the request, before any Spark work: the rules
    file exactly as ``conf/rules.toml`` is checked, the days, the truth folder."""
    days = days_between(request.start, request.end)
    load_legs(request.rules)
    if request.truth is not None:
        missing = [name for name in TRUTH_FILES if not (request.truth / name).is_file()]
        if missing:
            raise LakehouseError(
                f"--truth {request.truth}: no {' or '.join(missing)} there; give the folder "
                "`lakehouse generate --truth DIR` wrote (matches.csv and exceptions.csv)"
            )
    return days


def _quality(result: dict[str, Any]) -> dict[str, Any]:
    return {
        **result["overall"],
        "matches": result["matches"],
        "exceptions": result["exceptions"],
        "legs": result["legs"],
    }


def _document(
    request: Request, real_root: str, scratch_root: str, runs: list[DayRun]
) -> dict[str, Any]:
    """The preview's JSON document (see docs/preview.md)."""
    before, after = load_books(real_root, request.end), load_books(scratch_root, request.end)
    found = diff(before, after, load_legs(request.rules))
    explain_examples(found.examples, real_root, scratch_root, request.end, request.rules)
    truth = None
    if request.truth is not None:
        truth = {
            "before": _quality(score(request.truth, real_root, request.end)),
            "after": _quality(score(request.truth, scratch_root, request.end)),
        }
    return {
        "rules": str(request.rules),
        "start": request.start.isoformat(),
        "end": request.end.isoformat(),
        "unchanged": found.empty,
        "legs": found.legs,
        "total": found.total,
        "truth": truth,
        "examples": found.examples,
        "days": [
            {
                "as_of": run.as_of.isoformat(),
                "seconds": round(run.seconds, 1),
                "silver": "recorded" if run.recorded else "history",
            }
            for run in runs
        ],
    }


def run_preview(
    request: Request,
    settings: Settings | None = None,
    spark: SparkSession | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Preview ``request``; returns the JSON document (with ``preview``: id, scratch,
    whether it was kept, seconds)."""
    say: Progress = progress or (lambda _: None)
    settings = settings or load_settings()
    days = check(request)
    preview_id = new_id(request.start, request.end)
    scratch = Scratch(settings, request.scratch or location(settings, preview_id))
    if scratch.exists():
        raise LakehouseError(
            f"--scratch {scratch.root} is not empty; give a new folder (a preview never "
            "writes over anything)"
        )
    manifest = started(preview_id, request.rules, request.start, request.end)
    scratch.write_manifest(manifest)
    say(f"preview {preview_id}: scratch gold under {scratch.root}")
    begin = time.perf_counter()
    try:
        if spark is None:
            from lakehouse.spark import get_spark

            spark = get_spark(settings)
        runs = replay(spark, settings, scratch.root, request.rules, days, preview_id, say)
        say("diffing the scratch books against gold as of " + request.end.isoformat())
        document = _document(request, settings.storage.root, scratch.root, runs)
    except BaseException:
        if request.cleanup:
            scratch.remove()
        else:
            scratch.write_manifest(replace(manifest, status="failed"))
        raise
    document["preview"] = {
        "id": preview_id,
        "scratch": scratch.root,
        "kept": not request.cleanup,
        "seconds": round(time.perf_counter() - begin, 1),
    }
    if request.cleanup:
        scratch.remove()
    else:
        scratch.write_manifest(replace(manifest, status="done", diff=document))
    return document
