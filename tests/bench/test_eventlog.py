"""bench.eventlog: Spark task metrics summed per day and layer, by task finish time."""

from __future__ import annotations

import json
from pathlib import Path

from bench.eventlog import Interval, find_log, layer_metrics, read_layer_metrics, submit_args


def _task(finish_ms: int, shuffle: int, cpu_ns: int, spilled: int = 0) -> str:
    return json.dumps(
        {
            "Event": "SparkListenerTaskEnd",
            "Task Info": {"Launch Time": finish_ms - 10, "Finish Time": finish_ms},
            "Task Metrics": {
                "Executor CPU Time": cpu_ns,
                "Executor Run Time": 1500,
                "Disk Bytes Spilled": spilled,
                "Shuffle Write Metrics": {"Shuffle Bytes Written": shuffle},
                "Shuffle Read Metrics": {"Remote Bytes Read": 0, "Local Bytes Read": 7},
            },
        }
    )


INTERVALS = [
    Interval("d1", "ingest", 1000, 2000),
    Interval("d1", "refine", 2000, 3000),
    Interval("d1", "reconcile", 3000, 5000),
]


def test_tasks_are_summed_into_the_layer_they_ended_in() -> None:
    lines = [
        json.dumps({"Event": "SparkListenerJobStart"}),
        _task(1500, 100, 2_000_000_000),
        _task(2500, 50, 500_000_000),
        _task(2600, 25, 500_000_000, spilled=4096),
        _task(9000, 999, 1),  # after the day: not counted
    ]
    out = layer_metrics(lines, INTERVALS)
    assert out["d1"]["ingest"]["tasks"] == 1
    assert out["d1"]["ingest"]["shuffle_write_bytes"] == 100
    assert out["d1"]["ingest"]["executor_cpu_seconds"] == 2.0
    assert out["d1"]["refine"]["tasks"] == 2 and out["d1"]["refine"]["shuffle_write_bytes"] == 75
    assert out["d1"]["refine"]["disk_spilled_bytes"] == 4096
    assert out["d1"]["refine"]["executor_run_seconds"] == 3.0
    assert out["d1"]["refine"]["shuffle_local_read_bytes"] == 14
    assert out["d1"]["reconcile"]["tasks"] == 0


def test_the_log_file_of_the_application_is_found_and_read(tmp_path: Path) -> None:
    (tmp_path / "local-1234.inprogress").write_text(_task(1500, 8, 0) + "\n")
    (tmp_path / "local-9999").write_text("")
    path = find_log(tmp_path, "local-1234")
    assert path == tmp_path / "local-1234.inprogress"
    assert read_layer_metrics(path, INTERVALS)["d1"]["ingest"]["shuffle_write_bytes"] == 8
    assert read_layer_metrics(None, INTERVALS) == {}
    assert find_log(tmp_path, "local-5") is None


def test_submit_args_keep_what_was_there_and_end_with_the_shell(tmp_path: Path) -> None:
    args = submit_args(tmp_path, "--driver-java-options -Dx=1 pyspark-shell")
    assert args.startswith("--conf spark.eventLog.enabled=true ")
    assert f"spark.eventLog.dir={tmp_path.as_uri()}" in args
    assert "spark.eventLog.compress=false" in args and "rolling.enabled=false" in args
    excluded = args.split("spark.eventLog.excludedPatterns=")[1].split(" ")[0].split(",")
    assert "SparkListenerTaskEnd" not in excluded and "SparkListenerJobStart" in excluded
    assert args.endswith("--driver-java-options -Dx=1 pyspark-shell")
    assert submit_args(tmp_path).endswith(" pyspark-shell")
    assert submit_args(tmp_path, "--verbose").endswith("--verbose pyspark-shell")
