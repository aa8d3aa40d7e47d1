"""The one place that builds the SparkSession: Delta Lake, S3 and everything a cluster needs.

Delta's JVM jars are not in the ``delta-spark`` wheel and Spark ships no S3 connector:
``scripts/fetch_jars.sh`` (run by ``make install``) resolves both from Maven Central into
``[spark] jars_dir``; the session loads them with ``spark.jars``, which also serves them
to the executors of a cluster, so no resolver runs at session start. The S3 set
(``hadoop-aws`` and the AWS SDK modules it needs) is loaded only for an ``s3a://`` root.

On a cluster (``[spark] master`` not ``local[...]``) the executors get the same time zone
(UTC), Python, S3 endpoint and credentials as the driver (:func:`session_conf`), and a
local root is refused unless ``[spark] allow_local_root`` says every worker mounts it.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlparse

from pyspark.sql import SparkSession

from lakehouse.config import REPO_ROOT, Settings
from lakehouse.errors import ConfigError, EnvironmentSetupError, StorageError
from lakehouse.storage import explain_s3_error, is_local, is_s3, s3_client, spark_s3_conf, split_s3

FETCH_SCRIPT = REPO_ROOT / "scripts" / "fetch_jars.sh"
LOG4J_CONF = REPO_ROOT / "conf" / "log4j2.properties"
DELTA_JAR_PATTERNS = ("delta-spark_*.jar", "delta-storage-*.jar")
S3_MANIFEST = "s3-jars.txt"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _require_java() -> None:
    if os.environ.get("JAVA_HOME") or shutil.which("java"):
        return
    raise EnvironmentSetupError(
        "Java 17+ is needed by Spark but `java` is not on PATH. Install it, e.g. "
        "`apt-get install openjdk-17-jdk-headless`, or set JAVA_HOME."
    )


def _install_hint(folder: Path) -> str:
    return f"run `make install` (or `bash {FETCH_SCRIPT.relative_to(REPO_ROOT)} {folder}`)"


def delta_jars(jars_dir: str) -> list[str]:
    """Delta's jars in ``jars_dir`` (delta-spark and delta-storage)."""
    folder = Path(jars_dir)
    jars = sorted(str(p) for pattern in DELTA_JAR_PATTERNS for p in folder.glob(pattern))
    if len(jars) < len(DELTA_JAR_PATTERNS):
        raise EnvironmentSetupError(
            f"Delta Lake jars missing in {folder} ([spark] jars_dir): {_install_hint(folder)}"
        )
    return jars


def s3_jars(jars_dir: str) -> list[str]:
    """The S3 connector's jars listed by ``<jars_dir>/s3-jars.txt``, all present."""
    folder = Path(jars_dir)
    manifest = folder / S3_MANIFEST
    names = manifest.read_text().split() if manifest.is_file() else []
    missing = [n for n in names if not (folder / n).is_file()]
    if not names or missing:
        what = f"{len(missing)} of {len(names)} missing" if names else "not fetched"
        raise EnvironmentSetupError(
            f"the S3 connector jars (hadoop-aws + AWS SDK) for an s3a:// root are {what} in "
            f"{folder} ([spark] jars_dir): {_install_hint(folder)}"
        )
    return [str(folder / n) for n in names]


def session_jars(settings: Settings) -> list[str]:
    jars = delta_jars(settings.spark.jars_dir)
    if is_s3(settings.storage.root):
        jars += s3_jars(settings.spark.jars_dir)
    return jars


def check_cluster_store(settings: Settings) -> None:
    """A cluster's executors must all reach the root: a local one needs an explicit yes."""
    conf = settings.spark
    if conf.is_local or conf.allow_local_root or not is_local(settings.storage.root):
        return
    raise ConfigError(
        f"[storage] root {settings.storage.root} is a local path but [spark] master "
        f"{conf.master} is a cluster, whose executors on other machines cannot see it: a "
        "cluster needs a shared store, e.g. LAKEHOUSE_ROOT=s3a://bucket/lakehouse; set "
        "[spark] allow_local_root = true (LAKEHOUSE__SPARK__ALLOW_LOCAL_ROOT=true) only "
        "when every worker mounts that path"
    )


def check_s3_root(settings: Settings) -> None:
    """Fail fast, in one line, when an ``s3a://`` root's endpoint, credentials or bucket
    are wrong (Spark would report it minutes later as a Java stack trace)."""
    root = settings.storage.root
    if not is_s3(root):
        return
    bucket, _ = split_s3(root)
    client = s3_client(settings.s3, f"lakehouse root {root}")
    try:
        client.head_bucket(Bucket=bucket)
    except Exception as exc:
        found = explain_s3_error(
            exc,
            action="reach the lakehouse root",
            target=root,
            endpoint_url=settings.s3.endpoint_url,
            bucket=bucket,
            where="LAKEHOUSE_ROOT / [storage] root",
        )
        if found is None:
            raise StorageError(f"cannot reach the lakehouse root {root}: {exc}") from exc
        raise found from None


def _executor_python(settings: Settings) -> str:
    return settings.spark.executor_python or os.environ.get("PYSPARK_PYTHON") or sys.executable


def session_conf(settings: Settings, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every Spark setting of the session except master and app name."""
    conf = settings.spark
    utc_java = "-Duser.timezone=UTC"
    values = {
        "spark.jars": ",".join(session_jars(settings)),
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.driver.memory": conf.driver_memory,
        "spark.executor.memory": conf.executor_memory,
        "spark.sql.shuffle.partitions": str(conf.shuffle_partitions),
        "spark.default.parallelism": str(conf.shuffle_partitions),
        # Delta rebuilds table state with 50 partitions by default: far too many for a
        # daily-batch lakehouse whose logs are small; size it like the shuffles.
        "spark.databricks.delta.snapshotPartitions": str(conf.shuffle_partitions),
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        # Spark renders the whole plan as a string on every adaptive re-plan, for the
        # UI's listeners; the reconcile plans are large and the text is never read
        "spark.sql.maxPlanStringLength": "1000000",
        "spark.sql.ansi.enabled": "true",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # Gold must stay readable by the `deltalake` package: no deletion vectors.
        "spark.databricks.delta.properties.defaults.enableDeletionVectors": "false",
        "spark.databricks.delta.schema.autoMerge.enabled": "false",
        "spark.driver.extraJavaOptions": (
            f"{utc_java} -Dlog4j2.configurationFile={LOG4J_CONF.as_uri()}"
        ),
        # Executors on other machines: same clock zone and Python as the driver.
        "spark.executor.extraJavaOptions": utc_java,
        "spark.executorEnv.TZ": "UTC",
        "spark.pyspark.python": _executor_python(settings),
        "spark.pyspark.driver.python": sys.executable,
    }
    if conf.executor_cores:
        values["spark.executor.cores"] = str(conf.executor_cores)
    master_host = urlparse(conf.master).hostname if conf.master.startswith("spark://") else None
    if master_host in LOOPBACK:
        # a master on loopback means executors on this machine: reach the driver there too
        values["spark.driver.host"] = "127.0.0.1"
        values["spark.driver.bindAddress"] = "127.0.0.1"
    if is_s3(settings.storage.root):
        values.update(spark_s3_conf(settings.s3, env))
    return values


def get_spark(settings: Settings, app_name: str = "lakehouse") -> SparkSession:
    """Return the active session or build one from ``settings``."""
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    _require_java()
    check_cluster_store(settings)
    check_s3_root(settings)
    values = session_conf(settings)
    # Python workers must be this interpreter (the venv), not whatever python3 is on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", values["spark.pyspark.python"])
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.master(settings.spark.master).appName(app_name)
    for key, value in values.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(settings.spark.log_level)
    return spark
