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
written as JSON to ``--out`` with each day's CPU-seconds (the whole machine's busy CPU
while the day ran, less MinIO's: measure on a quiet machine) and the peak resident
memory of the lakehouse's processes (the backfill's tree; on the cluster also the
master, the workers and their executors). It starts MinIO (``scripts/minio.sh``, port
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.days import machine_facts, source_commit
from bench.procfs import (
    MIB,
    SAMPLE_SECONDS,
    machine_cpu_seconds,
    named_cpu_seconds,
    process_tree_rss,
)
from lakehouse.config import REPO_ROOT, load_settings

SCRIPTS = REPO_ROOT / "scripts"
DONE = re.compile(r"(\d{4}-\d\d-\d\d) done in ([\d.]+)s")
MINIO_USER, MINIO_PASSWORD = "minioadmin", "minioadmin-secret"
DEPLOYMENTS = ("local", "s3", "cluster")
CLI = (sys.executable, "-m", "lakehouse.cli")


def _script(name: str, *args: str, env: dict[str, str]) -> None:
    subprocess.run(["bash", str(SCRIPTS / name), *args], env=env, check=True)


@dataclass
class DayCost:
    """One day of a backfill: its seconds as printed by the CLI, the machine's busy
    CPU-seconds meanwhile less MinIO's, and the peak resident memory of the
    lakehouse's processes (the backfill, and on a cluster its daemons and executors)."""

    day: str
    seconds: float
    cpu_seconds: float
    peak_memory_mb: float


def _lakehouse_cpu() -> float:
    # machine-wide: the executors are not the backfill's children; MinIO is S3's cost
    return machine_cpu_seconds() - named_cpu_seconds("minio")


class _Meter:
    """CPU and peak memory between the "done in" lines of a backfill; ``roots`` gives
    the processes whose trees hold its memory."""

    def __init__(self, roots: Callable[[], list[int]], interval: float = SAMPLE_SECONDS) -> None:
        self._roots = roots
        self._interval = interval
        self._lock = threading.Lock()
        self._peak = 0.0
        self._cpu = _lakehouse_cpu()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="meter", daemon=True)
        self._thread.start()

    def sample(self) -> None:
        rss = sum(process_tree_rss(pid) for pid in self._roots()) / MIB
        with self._lock:
            self._peak = max(self._peak, rss)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()

    def day(self, day: str, seconds: float) -> DayCost:
        self.sample()
        cpu = _lakehouse_cpu()
        with self._lock:
            peak, self._peak = self._peak, 0.0
        cost = DayCost(day, seconds, round(cpu - self._cpu, 1), round(peak))
        self._cpu = cpu
        return cost

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _cluster_pids(folder: Path) -> list[int]:
    """The master's and the workers' pids (the executors are the workers' children)."""
    pids = []
    for file in folder.glob("*.pid"):
        try:
            pids.append(int(file.read_text().strip()))
        except (OSError, ValueError):
            continue  # stopped meanwhile
    return pids


def _backfill(
    name: str, env: dict[str, str], start: date, end: date, log: Path, cli: Sequence[str] = CLI
) -> list[DayCost]:
    args = ["backfill", "--start", start.isoformat(), "--end", end.isoformat()]
    cluster = Path(env["SPARK_CLUSTER_DIR"]) if name == "cluster" else None
    days: list[DayCost] = []
    with (
        log.open("w") as handle,
        subprocess.Popen(
            [*cli, *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        ) as child,
    ):
        meter = _Meter(lambda: [child.pid, *(_cluster_pids(cluster) if cluster else [])])
        try:
            for line in child.stdout or ():
                handle.write(line)
                handle.flush()  # the log shows how far a long backfill got
                if found := DONE.search(line):
                    days.append(meter.day(found[1], float(found[2])))
        except BaseException:
            child.kill()  # not left running with its JVM after an interrupt
            raise
        finally:
            meter.stop()
    if child.returncode != 0:
        raise SystemExit(f"{name}: lakehouse backfill failed (exit {child.returncode}), see {log}")
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


def _environment(work: Path) -> dict[str, str]:
    return {
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


def _deployments(work: Path, endpoint: str, bucket: str) -> dict[str, dict[str, str]]:
    """Each deployment's environment on top of the run's."""
    master_port = os.environ.get("SPARK_MASTER_PORT", "7077")
    s3 = {"LAKEHOUSE__S3__ENDPOINT_URL": endpoint, "LAKEHOUSE_LANDING": f"s3://{bucket}/landing"}
    return {
        "local": {
            "LAKEHOUSE_ROOT": str(work / "lakehouse"),
            "LAKEHOUSE_LANDING": str(work / "landing"),
        },
        "s3": {**s3, "LAKEHOUSE_ROOT": f"s3a://{bucket}/s3"},
        "cluster": {
            **s3,
            "LAKEHOUSE_ROOT": f"s3a://{bucket}/cluster",
            "LAKEHOUSE__SPARK__MASTER": f"spark://127.0.0.1:{master_port}",
        },
    }


def _generate(args: argparse.Namespace, landing: Path, env: dict[str, str]) -> None:
    generate = ["generate", "--seed", str(args.seed), "--start", args.start.isoformat()]
    generate += ["--days", str(args.days), "--volume", str(args.volume), "--out", str(landing)]
    subprocess.run(
        [*CLI, *generate],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _spark(env: dict[str, str]) -> dict[str, Any]:
    spark = load_settings(env=env).spark
    keys = ("master", "driver_memory", "executor_memory", "executor_cores")
    return {key: getattr(spark, key) for key in keys}


def measure(args: argparse.Namespace) -> dict[str, Any]:
    # the commit and the machine as they are before the run loads it
    facts = {"source": source_commit(), "machine": machine_facts()}
    work = Path(args.dir).resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    endpoint = f"http://127.0.0.1:{os.environ.get('MINIO_PORT', '9900')}"
    base = _environment(work)
    _generate(args, work / "landing", base)
    bucket = f"deploy-{uuid.uuid4().hex[:8]}"
    envs = {name: {**base, **extra} for name, extra in _deployments(work, endpoint, bucket).items()}
    end = args.start + timedelta(days=args.days - 1)
    costs: dict[str, list[DayCost]] = {}
    try:
        _script("minio.sh", "start", str(work / "minio"), env=base)
        _upload(work / "landing", bucket, endpoint)
        if "cluster" in args.only:
            _script("spark_cluster.sh", "start", env=base)
        for name in args.only:
            costs[name] = _backfill(name, envs[name], args.start, end, work / f"{name}.log")
            print(f"{name}: {[c.seconds for c in costs[name]]}", flush=True)
    finally:
        subprocess.run(["bash", str(SCRIPTS / "spark_cluster.sh"), "stop"], env=base, check=False)
        subprocess.run(["bash", str(SCRIPTS / "minio.sh"), "stop"], env=base, check=False)
    return {
        **facts,
        "volume": args.volume,
        "days": [(args.start + timedelta(days=i)).isoformat() for i in range(args.days)],
        **{
            field: {name: [getattr(c, field) for c in days] for name, days in costs.items()}
            for field in ("seconds", "cpu_seconds", "peak_memory_mb")
        },
        "workers": {
            "count": int(base["SPARK_WORKERS"]),
            "cores": int(base["SPARK_WORKER_CORES"]),
            "memory": base["SPARK_WORKER_MEMORY"],
        },
        "spark": {name: _spark(envs[name]) for name in costs},
    }


def _names(raw: str) -> list[str]:
    names = [n.strip() for n in raw.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"{raw!r} names no deployment; use e.g. cluster")
    unknown = [n for n in names if n not in DEPLOYMENTS]
    if unknown:
        what = "is not a deployment" if len(unknown) == 1 else "are not deployments"
        raise argparse.ArgumentTypeError(
            f"{', '.join(unknown)} {what}; name some of {','.join(DEPLOYMENTS)}"
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
