"""``python -m bench.deployments``: the same days on a local root, on S3, and on a cluster.

One run generates the feeds once (seed, start, days, volume) and back-fills them three
times, each in its own ``lakehouse backfill`` process configured by environment
variables only:

* ``local``    local root and landing folder, ``local[2]`` (the default deployment)
* ``s3``       ``s3a://`` root and ``s3://`` landing zone on MinIO, ``local[2]``
* ``cluster``  the same on S3, with ``scripts/spark_cluster.sh``'s standalone master
  and one worker (``SPARK_WORKER_CORES`` / ``SPARK_WORKER_MEMORY``, default 2 / 2g)

and prints the seconds each day took ("<day> done in <s>s" of the CLI) as a table,
written as JSON to ``--out``. It starts MinIO (``scripts/minio.sh``, port
``MINIO_PORT``) and the cluster (ports ``SPARK_MASTER_PORT`` / ``SPARK_MASTER_WEBUI_PORT``)
and stops them afterwards. Needs the S3 jars (``make install``). A measurement, not a
test: small volumes show fixed costs (JVM, S3 round trips, task scheduling), not
throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from lakehouse.config import REPO_ROOT

SCRIPTS = REPO_ROOT / "scripts"
DONE = re.compile(r"(\d{4}-\d\d-\d\d) done in ([\d.]+)s")
MINIO_USER, MINIO_PASSWORD = "minioadmin", "minioadmin-secret"


def _script(name: str, *args: str, env: dict[str, str]) -> None:
    subprocess.run(["bash", str(SCRIPTS / name), *args], env=env, check=True)


def _backfill(name: str, env: dict[str, str], start: date, end: date, log: Path) -> list[float]:
    args = ["backfill", "--start", start.isoformat(), "--end", end.isoformat()]
    with log.open("w") as handle:
        code = subprocess.run(
            [sys.executable, "-m", "lakehouse.cli", *args],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
        ).returncode
    text = log.read_text()
    if code != 0:
        raise SystemExit(f"{name}: lakehouse backfill failed (exit {code}), see {log}")
    return [float(seconds) for _, seconds in DONE.findall(text)]


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
    results: dict[str, list[float]] = {}
    try:
        _script("minio.sh", "start", str(work / "minio"), env=base)
        _upload(landing, bucket, endpoint)
        _script("spark_cluster.sh", "start", env=base)
        for name, extra in configs.items():
            env = {**base, "LAKEHOUSE__S3__ENDPOINT_URL": endpoint, **extra}
            results[name] = _backfill(name, env, args.start, end, work / f"{name}.log")
            print(f"{name}: {results[name]}", flush=True)
    finally:
        subprocess.run(["bash", str(SCRIPTS / "spark_cluster.sh"), "stop"], env=base, check=False)
        subprocess.run(["bash", str(SCRIPTS / "minio.sh"), "stop"], env=base, check=False)
    return {
        "volume": args.volume,
        "days": [(args.start + timedelta(days=i)).isoformat() for i in range(args.days)],
        "seconds": results,
        "worker": {"cores": base["SPARK_WORKER_CORES"], "memory": base["SPARK_WORKER_MEMORY"]},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.deployments", description=__doc__)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--volume", type=int, default=2000, help="ledger events a day")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 11, 2))
    parser.add_argument("--dir", default="data/bench-deployments", help="working folder")
    parser.add_argument("--out", default="bench/results/deployments.json")
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
