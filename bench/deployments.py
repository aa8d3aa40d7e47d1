"""``python -m bench.deployments``: the same days on a local root, on S3, and on a cluster.

One run generates the feeds once (seed, start, days, volume) and back-fills them once
per deployment (all three, or those named by ``--only``), each in its own
``lakehouse backfill`` process configured by environment variables only:

* ``local``    local root and landing folder, ``local[2]`` (the default deployment)
* ``s3``       ``s3a://`` root and ``s3://`` landing zone on MinIO, ``local[2]``
* ``cluster``  the same on S3, with ``scripts/spark_cluster.sh``'s standalone master
  and ``SPARK_WORKERS`` workers (default 1) of ``SPARK_WORKER_CORES`` /
  ``SPARK_WORKER_MEMORY`` each (default 2 / 2g); the executors' memory is
  ``LAKEHOUSE__SPARK__EXECUTOR_MEMORY`` (1g)

and prints the seconds each day took ("<day> done in <s>s" of the CLI) as a table,
written as JSON to ``--out`` with each day's CPU-seconds (the machine's busy CPU while
the day ran, less MinIO's: driver, executors and the cluster's daemons) and the
machine's memory in use at its highest during the day, above what was in use before
the backfill. Measure on a quiet machine. It starts MinIO (``scripts/minio.sh``, port
``MINIO_PORT``) and the cluster (ports ``SPARK_MASTER_PORT`` / ``SPARK_MASTER_WEBUI_PORT``)
and stops them afterwards. Needs the S3 jars (``make install``). A measurement, not a
test: small volumes show fixed costs (JVM, S3 round trips, task scheduling), not
throughput. ``python -m bench.tables`` compares a cluster run with the cost model.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import uuid
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.days import machine_facts, source_commit
from bench.procfs import (
    SAMPLE_SECONDS,
    machine_cpu_seconds,
    machine_memory_used_mb,
    named_cpu_seconds,
)
from lakehouse.config import REPO_ROOT

SCRIPTS = REPO_ROOT / "scripts"
DONE = re.compile(r"(\d{4}-\d\d-\d\d) done in ([\d.]+)s")
MINIO_USER, MINIO_PASSWORD = "minioadmin", "minioadmin-secret"
DEPLOYMENTS = ("local", "s3", "cluster")
# what the lakehouse's Spark settings are unless LAKEHOUSE__SPARK__<KEY> says otherwise
SPARK_DEFAULTS = {"driver_memory": "4g", "executor_memory": "1g", "executor_cores": "0"}


def _script(name: str, *args: str, env: dict[str, str]) -> None:
    subprocess.run(["bash", str(SCRIPTS / name), *args], env=env, check=True)


@dataclass
class DayCost:
    """One day of a backfill: its seconds as printed by the CLI, the machine's busy
    CPU-seconds meanwhile less the S3 server's, and the machine's memory in use at its
    highest, less what was in use before the backfill started."""

    day: str
    seconds: float
    cpu_seconds: float
    peak_memory_mb: float


class _Meter:
    """Machine CPU and memory between the "done in" lines of a backfill."""

    def __init__(self) -> None:
        self.baseline = machine_memory_used_mb()
        self.peak = self.baseline
        self._cpu = self._lakehouse_cpu()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="memory", daemon=True)
        self._thread.start()

    @staticmethod
    def _lakehouse_cpu() -> float:
        return machine_cpu_seconds() - named_cpu_seconds("minio")

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.peak = max(self.peak, machine_memory_used_mb())

    def day(self, day: str, seconds: float) -> DayCost:
        cpu = self._lakehouse_cpu()
        peak = max(self.peak, machine_memory_used_mb())
        cost = DayCost(day, seconds, round(cpu - self._cpu, 1), round(peak - self.baseline))
        self._cpu, self.peak = cpu, machine_memory_used_mb()
        return cost

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _backfill(name: str, env: dict[str, str], start: date, end: date, log: Path) -> list[DayCost]:
    args = ["backfill", "--start", start.isoformat(), "--end", end.isoformat()]
    days: list[DayCost] = []
    meter = _Meter()
    try:
        with log.open("w") as handle:
            child = subprocess.Popen(
                [sys.executable, "-m", "lakehouse.cli", *args],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            assert child.stdout is not None
            for line in child.stdout:
                handle.write(line)
                handle.flush()  # the log shows how far a long backfill got
                if found := DONE.search(line):
                    days.append(meter.day(found[1], float(found[2])))
            code = child.wait()
    finally:
        meter.stop()
    if code != 0:
        raise SystemExit(f"{name}: lakehouse backfill failed (exit {code}), see {log}")
    return days


def _upload(folder: Path, bucket: str, endpoint: str) -> None:
    import boto3

    # MinIO's credentials are the ones this run started it with, not the caller's
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=MINIO_USER,
        aws_secret_access_key=MINIO_PASSWORD,
    )
    s3.create_bucket(Bucket=bucket)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        s3.upload_file(str(path), bucket, f"landing/{path.relative_to(folder)}")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(args.dir).resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    port = os.environ.get("MINIO_PORT", "9900")
    endpoint = f"http://127.0.0.1:{port}"
    base = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "MINIO_ROOT_USER": MINIO_USER,
        "MINIO_ROOT_PASSWORD": MINIO_PASSWORD,
        "AWS_ACCESS_KEY_ID": MINIO_USER,
        "AWS_SECRET_ACCESS_KEY": MINIO_PASSWORD,
        "SPARK_CLUSTER_DIR": str(work / "cluster"),
        "SPARK_WORKERS": os.environ.get("SPARK_WORKERS", "1"),
        "SPARK_WORKER_CORES": os.environ.get("SPARK_WORKER_CORES", "2"),
        "SPARK_WORKER_MEMORY": os.environ.get("SPARK_WORKER_MEMORY", "2g"),
    }
    landing = work / "landing"
    generate = ["generate", "--seed", str(args.seed), "--start", args.start.isoformat()]
    generate += ["--days", str(args.days), "--volume", str(args.volume), "--out", str(landing)]
    subprocess.run(
        [sys.executable, "-m", "lakehouse.cli", *generate],
        env=base,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    bucket = f"deploy-{uuid.uuid4().hex[:8]}"
    master_port = os.environ.get("SPARK_MASTER_PORT", "7077")
    configs = {
        "local": {"LAKEHOUSE_ROOT": str(work / "lakehouse"), "LAKEHOUSE_LANDING": str(landing)},
        "s3": {
            "LAKEHOUSE_ROOT": f"s3a://{bucket}/s3",
            "LAKEHOUSE_LANDING": f"s3://{bucket}/landing",
        },
        "cluster": {
            "LAKEHOUSE_ROOT": f"s3a://{bucket}/cluster",
            "LAKEHOUSE_LANDING": f"s3://{bucket}/landing",
            "LAKEHOUSE__SPARK__MASTER": f"spark://127.0.0.1:{master_port}",
        },
    }
    end = args.start + timedelta(days=args.days - 1)
    costs: dict[str, list[DayCost]] = {}
    try:
        _script("minio.sh", "start", str(work / "minio"), env=base)
        _upload(landing, bucket, endpoint)
        if "cluster" in args.only:
            _script("spark_cluster.sh", "start", env=base)
        for name in args.only:
            env = {**base, "LAKEHOUSE__S3__ENDPOINT_URL": endpoint, **configs[name]}
            costs[name] = _backfill(name, env, args.start, end, work / f"{name}.log")
            print(f"{name}: {[c.seconds for c in costs[name]]}", flush=True)
    finally:
        subprocess.run(["bash", str(SCRIPTS / "spark_cluster.sh"), "stop"], env=base, check=False)
        subprocess.run(["bash", str(SCRIPTS / "minio.sh"), "stop"], env=base, check=False)
    return {
        "source": source_commit(),
        "machine": machine_facts(),
        "volume": args.volume,
        "days": [(args.start + timedelta(days=i)).isoformat() for i in range(args.days)],
        "seconds": {name: [c.seconds for c in days] for name, days in costs.items()},
        "cpu_seconds": {name: [c.cpu_seconds for c in days] for name, days in costs.items()},
        "peak_memory_mb": {name: [c.peak_memory_mb for c in days] for name, days in costs.items()},
        "by_day": {name: [asdict(c) for c in days] for name, days in costs.items()},
        "workers": {
            "count": int(base["SPARK_WORKERS"]),
            "cores": int(base["SPARK_WORKER_CORES"]),
            "memory": base["SPARK_WORKER_MEMORY"],
        },
        "spark": {
            key: base.get(f"LAKEHOUSE__SPARK__{key.upper()}", default)
            for key, default in SPARK_DEFAULTS.items()
        },
    }


def _names(raw: str) -> list[str]:
    names = [n.strip() for n in raw.split(",") if n.strip()]
    unknown = sorted(set(names) - set(DEPLOYMENTS)) or ([] if names else [raw])
    if unknown:
        raise argparse.ArgumentTypeError(
            f"--only {raw!r}: {', '.join(unknown)} is not a deployment; "
            f"name some of {','.join(DEPLOYMENTS)}"
        )
    return [n for n in DEPLOYMENTS if n in names]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.deployments", description=__doc__)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--volume", type=int, default=2000, help="ledger events a day")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 11, 2))
    parser.add_argument("--dir", default="data/bench-deployments", help="working folder")
    parser.add_argument("--out", default="bench/results/deployments.json")
    parser.add_argument(
        "--only",
        type=_names,
        default=list(DEPLOYMENTS),
        help="comma-separated deployments to run (default: local,s3,cluster)",
    )
    args = parser.parse_args(argv)
    result = measure(args)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print("| day | " + " | ".join(result["seconds"]) + " |")
    print("|---" * (len(result["seconds"]) + 1) + "|")
    for i, day in enumerate(result["days"]):
        cells = [f"{times[i]:.1f}" for times in result["seconds"].values()]
        print(f"| {day} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
