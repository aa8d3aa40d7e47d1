"""All Delta I/O in one place: read, append, MERGE, commit metadata, retries.

Tables declare their write semantics with a :class:`TableSpec` next to their schema;
steps call :func:`append` or :func:`merge` with that spec and a :class:`RunContext`,
never ``DataFrame.write`` directly. Every commit carries ``{"run_id", "as_of",
"step"}`` as Delta ``userMetadata`` so ``DESCRIBE HISTORY`` tells which run and which
business day wrote each version.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import reduce
from typing import TypeVar

from delta.tables import DeltaTable
from pyspark.errors import AnalysisException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from lakehouse.config import Settings
from lakehouse.errors import StorageError, WriteConflict
from lakehouse.faults import fault_during_write
from lakehouse.lease import fence
from lakehouse.storage import explain_delta_error, is_s3

log = logging.getLogger(__name__)

T = TypeVar("T")

# Table properties every table gets: gold must stay readable by `deltalake`
# (no deletion vectors, no column mapping); appendOnly is not set so MERGE works.
TABLE_PROPERTIES = {
    "delta.enableDeletionVectors": "false",
    "delta.columnMapping.mode": "none",
    "delta.minReaderVersion": "1",
    "delta.minWriterVersion": "4",
}

CONFLICT_EXCEPTIONS = (
    "ConcurrentAppendException",
    "ConcurrentDeleteReadException",
    "ConcurrentDeleteDeleteException",
    "ConcurrentTransactionException",
    "MetadataChangedException",
    "ProtocolChangedException",
    "ConcurrentWriteException",
    "DELTA_CONCURRENT",
)


@dataclass(frozen=True)
class TableSpec:
    """What a table is and how it is written.

    ``keys`` is the natural/merge key; ``partition_by`` the physical partitioning;
    ``sequence_by`` orders duplicates of a key (latest wins); ``business_columns``
    are the columns whose change counts as a change (run bookkeeping columns start
    with ``_`` and are excluded). ``backfill`` gives, for columns added after tables
    were first written, the SQL expression that computes them from the older columns:
    ``ensure_table`` upgrades such a table once (see ``upgrade_layout``).
    """

    layer: str
    name: str
    schema: StructType
    keys: tuple[str, ...] = ()
    partition_by: tuple[str, ...] = ()
    sequence_by: tuple[str, ...] = ()
    description: str = ""
    backfill: tuple[tuple[str, str], ...] = ()

    @property
    def qualified_name(self) -> str:
        return f"{self.layer}.{self.name}"

    @property
    def business_columns(self) -> tuple[str, ...]:
        return tuple(
            f.name
            for f in self.schema.fields
            if not f.name.startswith("_") and f.name not in self.keys
        )


@dataclass(frozen=True)
class RunContext:
    """Who is writing: the run id and the business day it runs for."""

    run_id: str
    as_of: date
    settings: Settings
    extra: dict[str, str] = field(default_factory=dict)

    def commit_metadata(self, step: str) -> str:
        return commit_info(self.run_id, step, self.as_of, **self.extra)


def commit_info(run_id: str, step: str, as_of: date | None = None, **extra: str) -> str:
    """The ``userMetadata`` JSON of a commit: ``{"run_id", "as_of", "step"}`` plus ``extra``.

    Commits that change no business data (table maintenance) have no ``as_of``, so
    "as of business day D" time travel (:mod:`lakehouse.asof`) skips them.
    """
    info: dict[str, str] = {"run_id": run_id, "step": step}
    if as_of is not None:
        info["as_of"] = as_of.isoformat()
    return json.dumps({**info, **extra}, sort_keys=True)


def table_path(settings: Settings, spec: TableSpec) -> str:
    """Where the table of ``spec`` lives (the one locator: :mod:`lakehouse.storage`)."""
    return settings.storage.table_path(spec.layer, spec.name)


def is_delta_table(spark: SparkSession, path: str) -> bool:
    """Whether ``path`` holds a Delta table; a store that cannot be reached raises a
    one-line StorageError instead of answering "no"."""
    try:
        return bool(DeltaTable.isDeltaTable(spark, path))
    except Exception as exc:
        failure = storage_failure(exc, path)
        if failure is not None:
            raise failure from None
        return False


def storage_failure(exc: BaseException, path: str) -> StorageError | None:
    """A one-line StorageError when Spark failed to reach the S3 store behind ``path``
    (endpoint, credentials, bucket), else None."""
    if not is_s3(path):
        return None
    active = SparkSession.getActiveSession()
    endpoint = active.conf.get("spark.hadoop.fs.s3a.endpoint", "") if active else ""
    return explain_delta_error(exc, path, endpoint or "")


_KNOWN_TABLES: set[str] = set()


def ensure_table(spark: SparkSession, settings: Settings, spec: TableSpec) -> str:
    """Create the table empty with its schema, partitioning and properties if missing;
    upgrade an existing one written before ``spec.backfill`` or ``spec.partition_by``
    (``upgrade_layout``)."""
    path = table_path(settings, spec)
    if path in _KNOWN_TABLES:
        return path
    if is_delta_table(spark, path):
        if spec.backfill or spec.partition_by:
            upgrade_layout(spark, path, spec)
        _KNOWN_TABLES.add(path)
        return path
    builder = DeltaTable.createIfNotExists(spark).location(path).addColumns(spec.schema)
    if spec.partition_by:
        builder = builder.partitionedBy(*spec.partition_by)
    if spec.description:
        builder = builder.comment(spec.description)
    for key, value in TABLE_PROPERTIES.items():
        builder = builder.property(key, value)
    _with_retries(builder.execute, path)
    _KNOWN_TABLES.add(path)
    return path


def upgrade_layout(spark: SparkSession, path: str, spec: TableSpec) -> bool:
    """Rewrite a table written before ``spec.backfill`` columns or ``spec.partition_by``
    existed, in one overwrite commit (earlier versions stay readable by time travel);
    False when it already has them."""
    table = DeltaTable.forPath(spark, path)
    detail = table.detail().select("partitionColumns").first()
    partitioned = list(detail[0]) if detail is not None else []
    current = table.toDF()
    missing = [(name, sql) for name, sql in spec.backfill if name not in current.columns]
    if not missing and partitioned == list(spec.partition_by):
        return False
    log.warning(
        "%s: upgrading the table layout once (adding %s, partitioned by %s)",
        spec.qualified_name,
        ", ".join(name for name, _ in missing) or "no column",
        ", ".join(spec.partition_by) or "nothing",
    )
    upgraded = conform(current.withColumns({n: F.expr(sql) for n, sql in missing}), spec.schema)
    writer = (
        upgraded.write.format("delta")
        .mode("overwrite")
        .option("overwriteSchema", "true")
        .option("userMetadata", json.dumps({"step": "upgrade_layout"}))
        .partitionBy(*spec.partition_by)
    )
    _with_retries(lambda: writer.save(path), path)
    return True


def read(spark: SparkSession, settings: Settings, spec: TableSpec) -> DataFrame:
    """The table's current version (an empty frame with the schema when it does not exist)."""
    path = table_path(settings, spec)
    if not is_delta_table(spark, path):
        return spark.createDataFrame([], spec.schema)
    return spark.read.format("delta").load(path)


def conform(df: DataFrame, schema: StructType) -> DataFrame:
    """Select and cast ``df`` to exactly ``schema`` (column order and types)."""
    return df.select(*[F.col(f.name).cast(f.dataType).alias(f.name) for f in schema.fields])


def _conflict(exc: Exception) -> str | None:
    """The kind of Delta concurrent-write conflict ``exc`` is, or None."""
    text = f"{type(exc).__name__} {exc}"
    return next((marker for marker in CONFLICT_EXCEPTIONS if marker in text), None)


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0][:300] if lines else type(exc).__name__


def _with_retries(action: Callable[[], T], path: str = "", attempts: int = 4) -> T:
    """Run ``action`` on the table at ``path``, retrying only Delta concurrent-write
    conflicts with backoff; a store that cannot be reached is one StorageError."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except Exception as exc:
            kind = _conflict(exc)
            if kind is None:
                failure = storage_failure(exc, path)
                if failure is not None:
                    raise failure from None
                raise
            where = path or "a Delta table"
            if attempt == attempts:
                raise WriteConflict(
                    f"{where}: another writer committed to the table while this step wrote "
                    f"({kind}), {attempts} times in a row; make sure nothing else writes the "
                    "lakehouse (every writer takes the writer lease) and run the day again"
                ) from exc
            wait = 0.5 * 2**attempt
            log.warning(
                "%s: concurrent commit (%s: %s); retrying in %.1fs (attempt %d of %d)",
                where,
                kind,
                _first_line(exc),
                wait,
                attempt + 1,
                attempts,
            )
            time.sleep(wait)
    raise AssertionError("unreachable")


_METADATA_KEY = "spark.databricks.delta.commitInfo.userMetadata"
_metadata_lock = threading.Lock()
_metadata_users: dict[str, int] = {}


@contextmanager
def _commit_metadata(spark: SparkSession, metadata: str) -> Iterator[None]:
    """Session-wide commit metadata for MERGE (the writer option does not reach it).

    Steps run their tables' MERGEs in parallel threads with the same metadata; the
    setting is removed when the last of them is done.
    """
    with _metadata_lock:
        others = {m for m, n in _metadata_users.items() if n > 0 and m != metadata}
        if others:
            raise RuntimeError("concurrent MERGEs with different commit metadata")
        spark.conf.set(_METADATA_KEY, metadata)
        _metadata_users[metadata] = _metadata_users.get(metadata, 0) + 1
    try:
        yield
    finally:
        with _metadata_lock:
            _metadata_users[metadata] -= 1
            if _metadata_users[metadata] == 0:
                del _metadata_users[metadata]
                spark.conf.unset(_METADATA_KEY)


def append(
    df: DataFrame,
    settings: Settings,
    spec: TableSpec,
    ctx: RunContext,
    *,
    step: str,
    txn_app_id: str | None = None,
    txn_version: int = 0,
) -> None:
    """Append ``df`` (conformed to the spec). With ``txn_app_id`` the append is
    idempotent: Delta skips it when that (app id, version) was already committed."""
    spark = df.sparkSession
    path = ensure_table(spark, settings, spec)
    writer = conform(df, spec.schema).write.format("delta").mode("append")
    writer = writer.option("userMetadata", ctx.commit_metadata(step))
    if txn_app_id is not None:
        writer = writer.option("txnAppId", txn_app_id).option("txnVersion", txn_version)
    fence(settings)
    fault_during_write(spec.qualified_name, path)
    _with_retries(lambda: writer.save(path), path)


DELETE_FLAG = "__delete"


def merge(
    df: DataFrame,
    settings: Settings,
    spec: TableSpec,
    ctx: RunContext,
    *,
    step: str,
    update_when: str | None = None,
    delete_scope: Column | None = None,
    target_filter: Column | None = None,
    key_bounds: tuple[object, object] | None = None,
) -> None:
    """Upsert ``df`` into the table on ``spec.keys``.

    A matched row is updated only when a business column differs (or when
    ``update_when`` holds), so re-running a day changes no row (Delta still rewrites
    the files that hold matched rows). ``delete_scope``
    deletes target rows inside that condition (a Column over the target, alias ``t``)
    that the source no longer has: the step owns that slice of the table; the table's
    module declares it. ``target_filter`` (also over ``t``) is added
    to the join condition to let Delta skip files and partitions; it must hold for
    every target row the source can match. ``key_bounds`` (the least and greatest
    value of the first key column in ``df``) is always safe to give: no target row
    outside them can match. Delta then skips the files whose key statistics lie
    outside, all of history when keys grow with time (ledger entry ids carry their
    date). When no target row satisfies ``target_filter`` (and so the delete scope),
    the rows are appended: a MERGE would insert them all.

    The deletes ride in the source as key-only rows flagged ``__delete`` rather than
    as a WHEN NOT MATCHED BY SOURCE clause: with such a clause Delta neither skips
    files nor leaves any untouched, so every MERGE rewrote the whole table.
    """
    if key_bounds is not None and delete_scope is not None:
        # the rows to delete are the target's keys the source lacks: outside its bounds
        raise ValueError(
            f"merge into {spec.qualified_name}: key_bounds cannot be combined with "
            "delete_scope (the rows to delete lie outside the source's keys); drop one"
        )
    spark = df.sparkSession
    path = ensure_table(spark, settings, spec)
    if target_filter is not None and _holds_none(
        read(spark, settings, spec),
        target_filter if delete_scope is None else target_filter | delete_scope,
    ):
        # nothing the source could match or delete (a day's first run into its own
        # partition): the MERGE would insert every row, an append does the same
        # without joining the source to the target
        append(df, settings, spec, ctx, step=step)
        return
    columns = [f.name for f in spec.schema.fields]
    source = conform(df, spec.schema).withColumn(DELETE_FLAG, F.lit(False))
    condition = reduce(
        Column.__and__, [F.col(f"t.`{k}`").eqNullSafe(F.col(f"s.`{k}`")) for k in spec.keys]
    )
    if delete_scope is not None:
        source = source.unionByName(_stale_rows(settings, spec, source, delete_scope))
        if target_filter is not None:
            # the stale rows are found by the scope, so the scope is part of what matches
            target_filter = target_filter | delete_scope
    if target_filter is not None:
        condition = condition & target_filter
    if key_bounds is not None:
        first = F.col(f"t.`{spec.keys[0]}`")
        low, high = key_bounds
        # literals as Columns: key values never pass through SQL text (no quoting)
        condition = condition & (first >= F.lit(low)) & (first <= F.lit(high))
    changed = update_when or changed_condition(spec)
    values: dict[str, str | Column] = {f"`{c}`": f"s.`{c}`" for c in columns}
    keep = f"NOT s.`{DELETE_FLAG}`"
    target = DeltaTable.forPath(spark, path)
    builder = target.alias("t").merge(source.alias("s"), condition)
    if delete_scope is not None:
        builder = builder.whenMatchedDelete(condition=f"s.`{DELETE_FLAG}`")
    builder = builder.whenMatchedUpdate(
        condition=f"{keep} AND ({changed or 'false'})", set=values
    ).whenNotMatchedInsert(condition=keep, values=values)
    fence(settings)
    fault_during_write(spec.qualified_name, path)
    with _commit_metadata(spark, ctx.commit_metadata(step)):
        _with_retries(builder.execute, path)


def _holds_none(table: DataFrame, target_filter: Column) -> bool:
    """Whether no row of ``table`` satisfies ``target_filter`` (over alias ``t``); a
    filter on partition columns answers from the log without reading data."""
    return table.alias("t").where(target_filter).limit(1).count() == 0


def changed_condition(spec: TableSpec) -> str:
    """SQL (aliases ``t`` target, ``s`` source): some business column differs."""
    return " OR ".join(f"NOT (t.`{c}` <=> s.`{c}`)" for c in spec.business_columns)


def _stale_rows(
    settings: Settings, spec: TableSpec, source: DataFrame, delete_scope: Column
) -> DataFrame:
    """The keys of target rows inside ``delete_scope`` that ``source`` does not have,
    as source rows flagged for deletion (every other column null)."""
    keys = list(spec.keys)
    in_scope = read(source.sparkSession, settings, spec).alias("t").where(delete_scope)
    stale = in_scope.select(*keys).join(source.select(*keys), keys, "left_anti")
    return stale.select(
        *[
            F.col(f.name) if f.name in keys else F.lit(None).cast(f.dataType).alias(f.name)
            for f in spec.schema.fields
        ],
        F.lit(True).alias(DELETE_FLAG),
    )


def _sql_literal(value: date | str | int) -> str:
    if isinstance(value, date):
        return f"DATE'{value.isoformat()}'"
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def replace_partition(
    df: DataFrame,
    settings: Settings,
    spec: TableSpec,
    ctx: RunContext,
    *,
    step: str,
    values: Mapping[str, date | str | int],
) -> None:
    """Replace the rows whose columns equal ``values`` (a partition a step owns whole,
    such as a day of per-run state) with ``df`` in one commit; re-running it leaves the
    same rows. Where a MERGE would only add work."""
    if not values:
        raise ValueError(f"replace_partition of {spec.qualified_name}: values is empty")
    where = " AND ".join(f"`{column}` = {_sql_literal(v)}" for column, v in values.items())
    spark = df.sparkSession
    path = ensure_table(spark, settings, spec)
    writer = (
        conform(df, spec.schema)
        .write.format("delta")
        .mode("overwrite")
        .option("replaceWhere", where)
        .option("userMetadata", ctx.commit_metadata(step))
    )
    fence(settings)
    fault_during_write(spec.qualified_name, path)
    _with_retries(lambda: writer.save(path), path)


def restore(spark: SparkSession, path: str, version: int, ctx: RunContext, *, step: str) -> None:
    """RESTORE the table at ``path`` to ``version`` in one new commit (the versions after
    it stay readable by time travel)."""
    target = DeltaTable.forPath(spark, path)
    with _commit_metadata(spark, ctx.commit_metadata(step)):
        _with_retries(lambda: target.restoreToVersion(version), path)


def delete_where(
    spark: SparkSession,
    settings: Settings,
    spec: TableSpec,
    ctx: RunContext,
    *,
    step: str,
    where: Column,
) -> None:
    """Delete the rows inside ``where`` (a no-op commit when there are none)."""
    path = ensure_table(spark, settings, spec)
    target = DeltaTable.forPath(spark, path)
    fence(settings)
    with _commit_metadata(spark, ctx.commit_metadata(step)):
        _with_retries(lambda: target.delete(where), path)


def run_command(spark: SparkSession, action: Callable[[], T], *, what: str, metadata: str) -> T:
    """Run a Delta command (OPTIMIZE, VACUUM, ALTER TABLE ...) whose commits carry
    ``metadata`` (see :func:`commit_info`), retrying only concurrent-write conflicts;
    one that persists raises :class:`WriteConflict` naming ``what`` was run."""
    with _commit_metadata(spark, metadata):
        try:
            return _with_retries(action)
        except WriteConflict as exc:
            raise WriteConflict(f"{what}: {exc}") from exc


def history(spark: SparkSession, path: str, limit: int | None = None) -> DataFrame:
    """``DESCRIBE HISTORY`` of a table (the last ``limit`` commits) with the run id and
    as-of date unpacked."""
    try:
        table = DeltaTable.forPath(spark, path)
        hist = table.history(limit) if limit else table.history()
    except AnalysisException:
        return spark.createDataFrame([], "version long")
    meta = F.from_json("userMetadata", "run_id string, as_of string, step string")
    return hist.select(
        "version",
        "timestamp",
        "operation",
        meta.getField("run_id").alias("run_id"),
        meta.getField("as_of").alias("as_of"),
        meta.getField("step").alias("step"),
        "userMetadata",
        "operationParameters",
        "operationMetrics",
    )
