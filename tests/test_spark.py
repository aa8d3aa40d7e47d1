"""What the session gets for a cluster and an S3 root (no JVM: the settings only)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lakehouse.config import load_settings
from lakehouse.errors import ConfigError, EnvironmentSetupError
from lakehouse.spark import check_cluster_store, delta_jars, s3_jars, session_conf


def _jars(folder: Path, names: list[str], manifest: list[str] | None = None) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"")
    if manifest is not None:
        (folder / "s3-jars.txt").write_text("\n".join(manifest) + "\n")
    return str(folder)


DELTA = ["delta-spark_4.2_2.13-4.4.0.jar", "delta-storage-4.4.0.jar"]
S3 = ["hadoop-aws-3.5.0.jar", "s3-2.35.4.jar"]


def test_local_root_loads_delta_jars_only(tmp_path: Path) -> None:
    jars = _jars(tmp_path / "jars", DELTA + S3, manifest=S3)
    settings = load_settings(env={"LAKEHOUSE__SPARK__JARS_DIR": jars, "LAKEHOUSE_ROOT": "/x"})
    loaded = session_conf(settings)["spark.jars"].split(",")
    assert [Path(j).name for j in loaded] == sorted(DELTA)


def test_s3_root_gets_s3_jars_endpoint_and_cluster_settings(tmp_path: Path) -> None:
    jars = _jars(tmp_path / "jars", DELTA + S3, manifest=S3)
    env = {
        "LAKEHOUSE__SPARK__JARS_DIR": jars,
        "LAKEHOUSE_ROOT": "s3a://lake/lh",
        "LAKEHOUSE__S3__ENDPOINT_URL": "http://127.0.0.1:9000",
        "LAKEHOUSE__SPARK__MASTER": "spark://127.0.0.1:7077",
        "LAKEHOUSE__SPARK__EXECUTOR_CORES": "2",
    }
    conf = session_conf(load_settings(env=env), env={})
    assert {Path(j).name for j in conf["spark.jars"].split(",")} == set(DELTA + S3)
    assert conf["spark.hadoop.fs.s3a.endpoint"] == "http://127.0.0.1:9000"
    assert conf["spark.hadoop.fs.s3a.path.style.access"] == "true"
    assert conf["spark.executor.extraJavaOptions"] == "-Duser.timezone=UTC"
    assert conf["spark.executorEnv.TZ"] == "UTC"
    assert conf["spark.executor.cores"] == "2"
    assert conf["spark.pyspark.driver.python"] == sys.executable
    assert conf["spark.driver.host"] == "127.0.0.1"  # a loopback master: executors are here


def test_executor_python_setting_wins() -> None:
    env = {"LAKEHOUSE__SPARK__EXECUTOR_PYTHON": "/opt/venv/bin/python"}
    assert session_conf(load_settings(env=env))["spark.pyspark.python"] == "/opt/venv/bin/python"


def test_missing_jars_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(EnvironmentSetupError, match=r"Delta Lake jars missing.*make install"):
        delta_jars(str(tmp_path))
    with pytest.raises(EnvironmentSetupError, match=r"S3 connector jars.*not fetched.*make inst"):
        s3_jars(_jars(tmp_path / "delta-only", DELTA))
    partial = _jars(tmp_path / "partial", DELTA + S3[:1], manifest=S3)
    with pytest.raises(EnvironmentSetupError, match=r"1 of 2 missing.*fetch_jars\.sh"):
        s3_jars(partial)


def test_a_cluster_refuses_a_local_root_unless_allowed() -> None:
    cluster = {"LAKEHOUSE__SPARK__MASTER": "spark://10.0.0.5:7077", "LAKEHOUSE_ROOT": "/data/lh"}
    with pytest.raises(ConfigError, match=r"cluster needs a shared store.*s3a://"):
        check_cluster_store(load_settings(env=cluster))
    check_cluster_store(load_settings(env={**cluster, "LAKEHOUSE__SPARK__ALLOW_LOCAL_ROOT": "1"}))
    check_cluster_store(load_settings(env={**cluster, "LAKEHOUSE_ROOT": "s3a://lake/lh"}))
    check_cluster_store(load_settings(env={"LAKEHOUSE_ROOT": "/data/lh"}))  # local[2]
