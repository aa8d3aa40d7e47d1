"""Silver as known by business day D: what the reconcile run for D reads.

Silver keeps only the latest version of each row: a corrected file delivered on D + 1
replaces the row D saw. Reconciling D again later (a reprocessing, a rule preview)
must not see the correction, so each silver table is read at the version the refine
of D left (Delta time travel; :func:`lakehouse.asof.close_version` over the table's
history). Rows dated D or earlier that were ingested after that version (a file
delivered late under its own date) are added from the current version, replacing
the rows of the same key.

Every reconcile commit records the snapshot it read (:meth:`SilverSnapshot.metadata`),
so the books as of D say exactly which silver versions made them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakehouse.asof import close_version
from lakehouse.config import Settings
from lakehouse.gold.inputs import SILVER_KEYS
from lakehouse.io import TableSpec, history, is_delta_table, table_path
from lakehouse.silver import manual_decisions
from lakehouse.silver.refine import REFINE_STATE

METADATA_KEY = "silver"  # the commit metadata key holding the snapshot a run read

# the silver tables the reconcile step reads, with their key
TABLES: dict[str, tuple[TableSpec, str]] = {
    **SILVER_KEYS,
    "manual_decisions": (manual_decisions.SPEC, "decision_id"),
}


@dataclass(frozen=True)
class TableAsOf:
    """One silver table as known by D.

    ``version`` is the version the refine of D left (None: the table had none yet) and
    ``through`` the refine watermark at that version. When later versions exist,
    ``late_version`` is the one read for rows dated by D but ingested after
    ``through``, and ``late_through`` its watermark.
    """

    version: int | None
    through: datetime | None
    late_version: int | None = None
    late_through: datetime | None = None

    @property
    def watermark(self) -> datetime | None:
        """The bronze ``_ingested_at`` every row read was ingested at or before."""
        return self.late_through if self.late_version is not None else self.through

    @property
    def newest(self) -> int | None:
        """The newest version any row was read from."""
        return self.late_version if self.late_version is not None else self.version


@dataclass(frozen=True)
class SilverSnapshot:
    as_of: date
    tables: dict[str, TableAsOf]

    def watermarks(self) -> dict[str, datetime | None]:
        """Per silver table the close records: what the run had seen."""
        return {name: self.tables[name].watermark for name in SILVER_KEYS if name in self.tables}

    def metadata(self) -> str:
        def encode(value: object) -> object:
            return value.isoformat() if isinstance(value, datetime) else value

        tables = {
            name: {k: encode(v) for k, v in asdict(t).items()}
            for name, t in sorted(self.tables.items())
        }
        return json.dumps({"as_of": self.as_of.isoformat(), "tables": tables}, sort_keys=True)

    @classmethod
    def from_metadata(cls, text: str) -> SilverSnapshot:
        raw = json.loads(text)

        def moment(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(
            date.fromisoformat(raw["as_of"]),
            {
                name: TableAsOf(
                    t["version"], moment(t["through"]), t["late_version"], moment(t["late_through"])
                )
                for name, t in raw["tables"].items()
            },
        )

    def read(self, spark: SparkSession, settings: Settings) -> dict[str, DataFrame]:
        """Each table's rows as known by the day (dated by it, at the recorded versions)."""
        frames = {}
        dated = F.col("_arrival_date") <= F.lit(self.as_of)
        for name, (spec, key) in TABLES.items():
            known = self.tables.get(name, TableAsOf(None, None))
            path = table_path(settings, spec)
            base = _at(spark, path, spec, known.version).where(dated)
            if known.late_version is not None:
                late = _at(spark, path, spec, known.late_version).where(dated)
                if known.version is None:
                    base = late
                else:
                    if known.through is not None:
                        late = late.where(F.col("_ingested_at") > F.lit(known.through))
                    columns = base.columns  # a join on the key would move it first
                    base = (
                        base.join(late.select(key), key, "left_anti")
                        .unionByName(late)
                        .select(*columns)
                    )
            frames[name] = base

        return frames


def _at(spark: SparkSession, path: str, spec: TableSpec, version: int | None) -> DataFrame:
    if version is None:
        return spark.createDataFrame([], spec.schema)
    return spark.read.format("delta").option("versionAsOf", version).load(path)


def _commits(spark: SparkSession, path: str) -> list[tuple[int, str | None]]:
    return [(int(r.version), r.as_of) for r in history(spark, path).collect()]


def _marks(spark: SparkSession, settings: Settings, version: int | None) -> dict[str, datetime]:
    if version is None:
        return {}
    rows = _at(spark, table_path(settings, REFINE_STATE), REFINE_STATE, version).collect()
    return {r.table: r.ingested_through for r in rows}


def _known_version(commits: list[tuple[int, str | None]], as_of: date) -> tuple[int | None, bool]:
    """The version as of ``as_of`` and whether a later day's commit followed it."""
    if not commits:
        return None, False
    latest = max(v for v, _ in commits)
    version = close_version(commits, as_of)
    later = [v for v, recorded in commits if recorded is not None and v > (version or -1)]
    if not later:
        return latest, False  # nothing dated after it: the latest (maintenance changes no row)
    if version is None:
        # before any dated commit: the table as created (or nothing)
        undated = [v for v, recorded in commits if recorded is None and v < min(later)]
        version = max(undated) if undated else None
    return version, True


def silver_as_known_by(spark: SparkSession, settings: Settings, as_of: date) -> SilverSnapshot:
    """The silver tables the reconcile step reads, as known by ``as_of`` (see the module)."""
    state_path = table_path(settings, REFINE_STATE)
    state = _commits(spark, state_path) if is_delta_table(spark, state_path) else []
    state_then, _ = _known_version(state, as_of)
    marks_then = _marks(spark, settings, state_then)
    marks_now: dict[str, datetime] | None = None
    tables = {}
    for name, (spec, _) in TABLES.items():
        path = table_path(settings, spec)
        if not is_delta_table(spark, path):
            tables[name] = TableAsOf(None, None)
            continue
        commits = _commits(spark, path)
        version, superseded = _known_version(commits, as_of)
        if not superseded:
            tables[name] = TableAsOf(version, marks_then.get(name))
            continue
        if marks_now is None:
            marks_now = _marks(spark, settings, max((v for v, _ in state), default=None))
        tables[name] = TableAsOf(
            version,
            marks_then.get(name),
            max(v for v, _ in commits),
            marks_now.get(name),
        )
    return SilverSnapshot(as_of, tables)
