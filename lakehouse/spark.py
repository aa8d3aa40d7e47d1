"""The one place that builds the SparkSession with Delta Lake.

Delta's JVM jars are not in the ``delta-spark`` wheel. ``scripts/fetch_jars.sh``
resolves them from Maven Central into ``[spark] jars_dir`` once; the session loads
them with ``spark.jars`` so that no resolver runs at session start.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from pyspark.sql import SparkSession

from lakehouse.config import REPO_ROOT, Settings
from lakehouse.errors import EnvironmentSetupError

FETCH_SCRIPT = REPO_ROOT / "scripts" / "fetch_jars.sh"
LOG4J_CONF = REPO_ROOT / "conf" / "log4j2.properties"


def _require_java() -> None:
    if os.environ.get("JAVA_HOME") or shutil.which("java"):
        return
    raise EnvironmentSetupError(
        "Java 17+ is needed by Spark but `java` is not on PATH. Install it, e.g. "
        "`apt-get install openjdk-17-jdk-headless`, or set JAVA_HOME."
    )


def delta_jars(jars_dir: str) -> list[str]:
    """The Delta jars in ``jars_dir``, fetching them with Maven when absent."""
    folder = Path(jars_dir)
    jars = sorted(str(p) for p in folder.glob("*.jar")) if folder.is_dir() else []
    if not jars:
        result = subprocess.run(
            ["bash", str(FETCH_SCRIPT), str(folder)], capture_output=True, text=True, check=False
        )
        jars = sorted(str(p) for p in folder.glob("*.jar")) if folder.is_dir() else []
        if result.returncode != 0 or not jars:
            raise EnvironmentSetupError(
                f"Delta jars missing in {folder} and `bash {FETCH_SCRIPT} {folder}` failed "
                f"(exit {result.returncode}): {result.stderr.strip()[-500:]}. "
                "Check that Maven (`mvn`) is installed and Maven Central is reachable."
            )
    return jars


def get_spark(settings: Settings, app_name: str = "lakehouse") -> SparkSession:
    """Return the active session or build one from ``settings.spark``."""
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    _require_java()
    # Python workers must be this interpreter (the venv), not whatever python3 is on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    conf = settings.spark
    builder = (
        SparkSession.builder.master(conf.master)
        .appName(app_name)
        .config("spark.jars", ",".join(delta_jars(conf.jars_dir)))
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config(
            "spark.sql.catalog.spark_catalog",
            "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        )
        .config("spark.driver.memory", conf.driver_memory)
        .config("spark.sql.shuffle.partitions", str(conf.shuffle_partitions))
        .config("spark.default.parallelism", str(conf.shuffle_partitions))
        # Delta rebuilds table state with 50 partitions by default: far too many for a
        # daily-batch lakehouse whose logs are small; size it like the shuffles.
        .config("spark.databricks.delta.snapshotPartitions", str(conf.shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.ansi.enabled", "true")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # Gold must stay readable by the `deltalake` package: no deletion vectors.
        .config("spark.databricks.delta.properties.defaults.enableDeletionVectors", "false")
        .config("spark.databricks.delta.schema.autoMerge.enabled", "false")
        .config(
            "spark.driver.extraJavaOptions",
            f"-Duser.timezone=UTC -Dlog4j2.configurationFile={LOG4J_CONF.as_uri()}",
        )
    )
    if settings.s3.endpoint_url:
        builder = builder.config("spark.hadoop.fs.s3a.endpoint", settings.s3.endpoint_url).config(
            "spark.hadoop.fs.s3a.path.style.access", "true"
        )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(conf.log_level)
    return spark
