"""The ingest step: landing zone -> bronze, exactly once per file content and feed.

For business day D every feed's files that arrived on or before D and whose SHA-256
is not in ``bronze/_manifest`` for that feed are parsed. Accepted files append their
rows to ``bronze/<feed>`` and bad rows to ``bronze/<feed>_quarantine``; rejected files
(a parser's FileRejected, or any parser crash) go to ``bronze/_rejected_files``. Each
append is a Delta transaction keyed by the feed and file hash (``txnAppId``), and the
manifest rows are written last: a crash at any point leaves no half-written file, and
the re-run completes it without duplicates.

Nothing passes in silence: a file skipped (already ingested, or the same bytes as
another file of the feed) is reported with the reason, and the report warns when the
landing zone does not exist or no file arrived on D.
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.pandas.types import to_arrow_schema

from lakehouse.bronze.formats import get_parser
from lakehouse.bronze.formats.base import ParsedFile
from lakehouse.bronze.tables import (
    MANIFEST,
    REJECTED_FILES,
    feed_table,
    quarantine_table,
)
from lakehouse.config import FeedSettings
from lakehouse.errors import FileRejected
from lakehouse.faults import fault_point
from lakehouse.io import RunContext, TableSpec, append, read
from lakehouse.landing import LandedFile, LandingZone

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class FileOutcome:
    feed: str
    path: str
    sha256: str
    status: str  # ingested | rejected | skipped
    rows_bronze: int = 0
    rows_quarantined: int = 0
    detail: str = ""
    manifest: dict[str, object] | None = field(default=None, compare=False, repr=False)


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def rows_bronze(self) -> int:
        return sum(o.rows_bronze for o in self.outcomes)

    @property
    def rows_quarantined(self) -> int:
        return sum(o.rows_quarantined for o in self.outcomes)


def _frame(spark: SparkSession, spec: TableSpec, records: list[dict[str, object]]) -> DataFrame:
    table = pa.Table.from_pylist(records, schema=to_arrow_schema(spec.schema, timezone="UTC"))
    return _arrow_frame(spark, spec, table)


# At most this many rows per written partition: a task converts and writes its
# partition's rows at once, and two tasks of 5M ledger rows overran an 8 GB heap.
ROWS_PER_PARTITION = 1_000_000


def _arrow_frame(spark: SparkSession, spec: TableSpec, table: pa.Table) -> DataFrame:
    # Rows go to the JVM as one Arrow table: no per-value pandas object conversion.
    # Arrow arrives in 10k-row batches, one partition each: coalesce so a 1M-row file
    # is written as a few Parquet files, not a hundred (twice as fast, and refine
    # reads it four times faster).
    parts = write_partitions(table.num_rows, spark.sparkContext.defaultParallelism)
    return spark.createDataFrame(table, spec.schema).coalesce(parts)


def write_partitions(rows: int, parallelism: int) -> int:
    """Partitions to write ``rows`` in: one per core, more when a core would get more
    than ``ROWS_PER_PARTITION`` rows."""
    return max(parallelism, -(-rows // ROWS_PER_PARTITION))


def _lineage(
    feed: FeedSettings, item: LandedFile, sha: str, row_number: int, ctx: RunContext, now: datetime
) -> dict[str, object]:
    return {
        "_source": feed.name,
        "_file_path": item.uri,
        "_file_sha256": sha,
        "_row_number": row_number,
        "_ingested_at": now,
        "_run_id": ctx.run_id,
        "_arrival_date": item.arrival_date,
    }


def _manifest_row(
    feed: FeedSettings,
    item: LandedFile,
    sha: str,
    ctx: RunContext,
    now: datetime,
    parsed: ParsedFile | None,
    reason: str | None,
) -> dict[str, object]:
    return {
        "file_sha256": sha,
        "feed": feed.name,
        "file_path": item.uri,
        "file_name": item.name,
        "size_bytes": item.size,
        "format": parsed.format if parsed else feed.format,
        "status": "rejected" if reason else "ingested",
        "rows_read": parsed.rows_read if parsed else 0,
        "rows_bronze": parsed.row_count if parsed else 0,
        "rows_quarantined": len(parsed.quarantine) if parsed else 0,
        "warnings": list(parsed.warnings) if parsed else [],
        "reason": reason,
        "arrival_date": item.arrival_date,
        "_ingested_at": now,
        "_run_id": ctx.run_id,
    }


def _append_rows(
    spark: SparkSession,
    spec: TableSpec,
    rows: list[dict[str, object]],
    ctx: RunContext,
    txn_app_id: str,
) -> None:
    """One idempotent ingest append of ``rows`` (skipped if ``txn_app_id`` committed)."""
    append(_frame(spark, spec, rows), ctx.settings, spec, ctx, step="ingest", txn_app_id=txn_app_id)


def _bronze_frame(
    spark: SparkSession,
    spec: TableSpec,
    parsed: ParsedFile,
    feed: FeedSettings,
    item: LandedFile,
    sha: str,
    ctx: RunContext,
    now: datetime,
) -> DataFrame:
    """The accepted rows with their lineage, built column-wise (no per-row objects)."""
    rows = parsed.rows_table()
    size = rows.num_rows
    arrow_schema = to_arrow_schema(spec.schema, timezone="UTC")
    constants = _lineage(feed, item, sha, 0, ctx, now)
    columns = [
        rows.column("row_number")
        if name == "_row_number"
        else pa.repeat(pa.scalar(constants[name], arrow_schema.field(name).type), size)
        if name in constants
        else rows.column(name)
        for name in arrow_schema.names
    ]
    return _arrow_frame(spark, spec, pa.Table.from_arrays(columns, schema=arrow_schema))


def _accepted_writer(
    spark: SparkSession,
    feed: FeedSettings,
    item: LandedFile,
    sha: str,
    parsed: ParsedFile,
    ctx: RunContext,
    now: datetime,
) -> Callable[[], None]:
    """The bronze (and quarantine) appends of a parsed file, to run later."""

    def write() -> None:
        if parsed.row_count:
            spec = feed_table(feed)
            frame = _bronze_frame(spark, spec, parsed, feed, item, sha, ctx, now)
            append(frame, ctx.settings, spec, ctx, step="ingest", txn_app_id=f"bronze-{sha}")
        if parsed.quarantine:
            bad = [
                {
                    "raw": q.raw,
                    "reason": q.reason,
                    **_lineage(feed, item, sha, q.row_number, ctx, now),
                }
                for q in parsed.quarantine
            ]
            _append_rows(spark, quarantine_table(feed), bad, ctx, f"quarantine-{sha}")

    return write


def _rejection(
    spark: SparkSession,
    feed: FeedSettings,
    item: LandedFile,
    sha: str,
    ctx: RunContext,
    reason: str,
) -> tuple[FileOutcome, Callable[[], None]]:
    now = datetime.now(UTC).replace(tzinfo=None)
    rejected = {
        "file_sha256": sha,
        "feed": feed.name,
        "file_path": item.uri,
        "format": feed.format,
        "reason": reason,
        "arrival_date": item.arrival_date,
        "_rejected_at": now,
        "_run_id": ctx.run_id,
    }
    log.warning("rejected %s: %s", item.uri, reason)
    outcome = FileOutcome(
        feed.name,
        item.uri,
        sha,
        "rejected",
        detail=reason,
        manifest=_manifest_row(feed, item, sha, ctx, now, None, reason),
    )
    txn_app_id = f"rejected-{feed.name}-{sha}"
    return outcome, lambda: _append_rows(spark, REJECTED_FILES, [rejected], ctx, txn_app_id)


def _one_line(text: str, limit: int = 500) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def prepare_file(
    spark: SparkSession,
    feed: FeedSettings,
    item: LandedFile,
    data: bytes,
    ctx: RunContext,
) -> tuple[FileOutcome, Callable[[], None]]:
    """Parse one landed file's bytes: its outcome, and the bronze write still to run."""
    sha = hashlib.sha256(data).hexdigest()
    try:
        parsed = get_parser(feed.format, ctx.settings.partner_layouts)(data, item.uri)
    except FileRejected as exc:
        return _rejection(spark, feed, item, sha, ctx, exc.reason)
    except Exception as exc:  # a parser bug must not stop the day: the file is kept
        log.exception("parser %s crashed on %s", feed.format, item.uri)
        reason = _one_line(f"parser error: {type(exc).__name__}: {exc}")
        return _rejection(spark, feed, item, sha, ctx, reason)
    now = datetime.now(UTC).replace(tzinfo=None)
    for warning in parsed.warnings:
        log.warning("%s: %s", item.uri, warning)
    outcome = FileOutcome(
        feed.name,
        item.uri,
        sha,
        "ingested",
        parsed.row_count,
        len(parsed.quarantine),
        "; ".join(parsed.warnings),
        _manifest_row(feed, item, sha, ctx, now, parsed, None),
    )
    return outcome, _accepted_writer(spark, feed, item, sha, parsed, ctx, now)


def ingest_file(
    spark: SparkSession,
    feed: FeedSettings,
    item: LandedFile,
    data: bytes,
    ctx: RunContext,
) -> FileOutcome:
    """Parse one landed file's bytes and write them to bronze (not checking the manifest)."""
    outcome, write = prepare_file(spark, feed, item, data, ctx)
    write()
    return outcome


FileKey = tuple[str, str]  # (feed, file sha256): a file is ingested once per feed


def known_files(spark: SparkSession, ctx: RunContext) -> dict[FileKey, str]:
    """(feed, sha256) -> path of every file content already in the manifest."""
    rows = read(spark, ctx.settings, MANIFEST).select("feed", "file_sha256", "file_path")
    return {(r.feed, r.file_sha256): r.file_path for r in rows.collect()}


def _say(report: IngestReport, progress: Progress | None, warning: str) -> None:
    log.warning("%s", warning)
    report.warnings.append(warning)
    if progress:
        progress(f"warning: {warning}")


def _describe(outcome: FileOutcome) -> str:
    return (
        f"{outcome.status:9} {outcome.feed:16} {outcome.path.rsplit('/', 1)[-1]} "
        f"({outcome.rows_bronze} rows, {outcome.rows_quarantined} quarantined)"
        + (f" {outcome.detail}" if outcome.detail else "")
    )


def _skip(
    report: IngestReport, progress: Progress | None, item: LandedFile, sha: str, first: str
) -> None:
    """Record a file whose content this feed has ingested already, and say why."""
    if first == item.uri:  # the same file, seen by an earlier run: counted, not listed
        report.outcomes.append(FileOutcome(item.feed, item.uri, sha, "skipped", detail=""))
        return
    outcome = FileOutcome(item.feed, item.uri, sha, "skipped", detail=f"same bytes as {first}")
    report.outcomes.append(outcome)
    log.warning("skipped %s: the same bytes as %s", item.uri, first)
    if progress:
        progress(_describe(outcome))


def _no_arrivals(zone: LandingZone, ctx: RunContext, feeds: list[str], earlier: int) -> str:
    return (
        f"no file of feeds {', '.join(feeds)} in landing zone {zone.location} arrived on "
        f"{ctx.as_of.isoformat()} ({earlier} files arrived before); check that the feeds "
        "delivered and that the business date is right"
    )


def ingest(
    spark: SparkSession,
    zone: LandingZone,
    ctx: RunContext,
    feeds: list[str] | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest every new file of ``feeds`` (default: all) that arrived by ``ctx.as_of``."""
    report = IngestReport()
    if not zone.exists():
        _say(
            report,
            progress,
            f"landing zone {zone.location} does not exist: nothing to ingest; set "
            "LAKEHOUSE_LANDING or [storage] landing to the folder the feeds deliver to",
        )
        return report
    names = feeds or list(ctx.settings.feeds)
    seen = known_files(spark, ctx)
    arrived_today = _ingest_files(spark, zone, ctx, names, progress, report, seen)
    already = sum(1 for o in report.outcomes if o.status == "skipped" and not o.detail)
    if already and progress:
        progress(f"{already} files ingested by earlier runs skipped")
    if not arrived_today:
        _say(report, progress, _no_arrivals(zone, ctx, names, len(report.outcomes)))
    # The manifest is written last, in one commit: a crash before it only means the
    # next run re-parses those files, and their bronze appends are skipped by txnAppId.
    fault_point("ingest.before_manifest")
    manifest_rows = [o.manifest for o in report.outcomes if o.manifest is not None]
    if manifest_rows:
        frame = _frame(spark, MANIFEST, manifest_rows)
        append(frame, ctx.settings, MANIFEST, ctx, step="ingest")
    return report


def _ingest_files(
    spark: SparkSession,
    zone: LandingZone,
    ctx: RunContext,
    feeds: list[str],
    progress: Progress | None,
    report: IngestReport,
    seen: dict[FileKey, str],
) -> int:
    """Parse and write every new file; the number of files dated ``ctx.as_of``."""
    # Parsing is Python, writing is the JVM: parse the next file while the previous
    # one is written (so a feed that parses fast and writes much, the ledger, goes
    # before those whose parse is slow). One write in flight keeps at most two parsed
    # files in memory, and a single writer keeps the appends in file order.
    in_flight: deque[tuple[FileOutcome, Future[None]]] = deque()
    arrived_today = 0

    def finish_oldest() -> None:
        outcome, written = in_flight.popleft()
        written.result()
        fault_point("ingest.between_files")
        if progress:
            progress(_describe(outcome))

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bronze-writer") as writer:
        try:
            # in the configured order: see conf/lakehouse.toml [feeds.*]
            for name in feeds:
                feed = ctx.settings.feed(name)
                for item in zone.list(name):
                    if item.arrival_date > ctx.as_of:
                        continue
                    arrived_today += item.arrival_date == ctx.as_of
                    data = zone.read(item)
                    sha = hashlib.sha256(data).hexdigest()
                    if (name, sha) in seen:
                        _skip(report, progress, item, sha, seen[(name, sha)])
                        continue
                    outcome, write = prepare_file(spark, feed, item, data, ctx)
                    del data
                    seen[(name, sha)] = item.uri
                    report.outcomes.append(outcome)
                    while in_flight:
                        finish_oldest()
                    in_flight.append((outcome, writer.submit(write)))
            while in_flight:
                finish_oldest()
        finally:
            for _, written in in_flight:
                written.cancel()
    return arrived_today
