"""Prefect wiring: retry policy, prefect.yaml, and daily_pipeline through a real server.

The integration test starts a Prefect server on a free loopback port with its own
PREFECT_HOME (scripts/prefect_server.sh), serves the deployments with
``python -m flows.serve``, triggers ``daily_pipeline/daily-pipeline`` through the API
on a tiny synthetic dataset, and checks the run, gold and the summary artifact. Every
process it starts is stopped in a finalizer, also when the test fails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from flows.common import retry_on_write_conflict
from lakehouse.errors import ExpectationFailed, WriteConflict

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "prefect_server.sh"
DAY = date(2026, 11, 2)
GOLD_TABLES = ("recon_matches", "recon_items", "recon_exceptions", "aging", "daily_summary")
RUN_TIMEOUT_S = 1500


# ---- retry policy (fast) ------------------------------------------------------------


class _FakeState:
    def __init__(self, exc: BaseException | None) -> None:
        self.exc = exc

    def result(self) -> Any:
        if self.exc is not None:
            raise self.exc
        return 42


def test_retry_on_write_conflict_with_prefect_states() -> None:
    from prefect.states import Failed

    assert retry_on_write_conflict(None, None, Failed(data=WriteConflict("concurrent append")))
    assert not retry_on_write_conflict(None, None, Failed(data=ExpectationFailed("bad data")))
    assert not retry_on_write_conflict(None, None, Failed(data=ValueError("bug")))


def test_retry_on_write_conflict_with_fake_states() -> None:
    assert retry_on_write_conflict(None, None, _FakeState(WriteConflict("conflict")))
    assert not retry_on_write_conflict(None, None, _FakeState(ExpectationFailed("bad data")))
    assert not retry_on_write_conflict(None, None, _FakeState(None))


def test_writer_tasks_retry_only_on_write_conflict() -> None:
    from flows.ingest import ingest_task
    from flows.maintenance import maintain_table
    from flows.reconcile import reconcile_task
    from flows.refine import refine_task

    for task, tag in (
        (ingest_task, "writer:bronze"),
        (refine_task, "writer:silver"),
        (reconcile_task, "writer:gold"),
    ):
        assert tag in task.tags
        assert task.retries > 0
        assert task.retry_condition_fn is retry_on_write_conflict
    assert maintain_table.retry_condition_fn is retry_on_write_conflict
    tagged = maintain_table.with_options(tags=["writer:gold"])
    assert tagged.tags == {"writer:gold"}
    assert tagged.retry_condition_fn is retry_on_write_conflict


# ---- prefect.yaml (fast) ------------------------------------------------------------


def _prefect_yaml() -> dict[str, Any]:
    doc = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def test_prefect_yaml_declares_the_four_deployments() -> None:
    doc = _prefect_yaml()
    deployments = {d["name"]: d for d in doc["deployments"]}
    assert set(deployments) == {"daily-pipeline", "backfill", "maintenance", "preview"}
    assert deployments["preview"]["entrypoint"] == "flows/preview.py:preview"
    assert not deployments["preview"].get("schedules")
    assert deployments["daily-pipeline"]["entrypoint"] == "flows/daily_pipeline.py:daily_pipeline"
    assert deployments["backfill"]["entrypoint"] == "flows/daily_pipeline.py:backfill"
    assert deployments["maintenance"]["entrypoint"] == "flows/maintenance.py:maintenance"
    for name, dep in deployments.items():
        assert dep["concurrency_limit"] == 1, name
        assert dep["work_pool"]["name"] == "lakehouse-process", name
        for schedule in dep.get("schedules") or []:
            assert schedule["timezone"] == "UTC", name
            assert len(schedule["cron"].split()) == 5, name
    assert deployments["daily-pipeline"]["schedules"][0]["cron"] == "30 6 * * *"
    assert deployments["maintenance"]["schedules"], "maintenance must be scheduled (weekly)"
    assert not deployments["backfill"].get("schedules")


def test_prefect_yaml_entrypoints_exist_and_pull_sets_working_directory() -> None:
    import importlib

    doc = _prefect_yaml()
    for dep in doc["deployments"]:
        path, _, func = dep["entrypoint"].partition(":")
        assert (REPO / path).is_file(), dep["entrypoint"]
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert hasattr(getattr(module, func), "to_deployment"), dep["entrypoint"]
    steps = [next(iter(step)) for step in doc["pull"]]
    assert steps == ["prefect.deployments.steps.set_working_directory"]


def test_serve_matches_prefect_yaml() -> None:
    from flows import serve

    deployments = {d["name"]: d for d in _prefect_yaml()["deployments"]}
    assert deployments["daily-pipeline"]["schedules"][0]["cron"] == serve.DAILY_CRON
    assert deployments["maintenance"]["schedules"][0]["cron"] == serve.MAINTENANCE_CRON
    assert serve.TIMEZONE == "UTC" and serve.CONCURRENCY_LIMIT == 1
    served = {d.name for d in serve.deployments(paused=True)}
    assert served == set(deployments)


# ---- daily_pipeline through a real Prefect server (slow) ---------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc), so none outlives the test."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _stop_process_tree(proc: subprocess.Popen[bytes], grace_s: float = 30) -> None:
    if proc.poll() is not None:
        return
    tree = [proc.pid, *_descendants(proc.pid)]
    for pid in tree:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace_s)
    for pid in tree:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=10)


def _script(args: list[str], env: dict[str, str], timeout: float) -> str:
    result = subprocess.run(
        ["bash", str(SCRIPT), *args],
        env=env,
        cwd=REPO,
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[SimpleNamespace]:
    port = _free_port()
    home = tmp_path / "prefect"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        {
            "PREFECT_PORT": str(port),
            "PREFECT_HOME": str(home),
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
        }
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        _script(["start", str(home)], env, timeout=240)
        env["PREFECT_API_URL"] = url
        _script(["limits"], env, timeout=120)
        yield SimpleNamespace(url=url, env=env, home=home)
    finally:
        subprocess.run(
            ["bash", str(SCRIPT), "stop", str(home)], env=env, cwd=REPO, timeout=60, check=False
        )


@pytest.fixture
def lakehouse_dirs(tmp_path: Path) -> SimpleNamespace:
    from lakehouse.synthetic.generator import generate

    landing, root = tmp_path / "landing", tmp_path / "lake"
    generate(7, DAY, 2, 30, landing, tmp_path / "truth")
    return SimpleNamespace(landing=landing, root=root)


def _wait_for_deployment(client: Any, name: str, serve: subprocess.Popen[bytes], log: Path) -> Any:
    from prefect.exceptions import ObjectNotFound

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert serve.poll() is None, f"flows.serve exited:\n{log.read_text()[-3000:]}"
        try:
            return client.read_deployment_by_name(name)
        except ObjectNotFound:
            time.sleep(2)
    raise AssertionError(f"{name} was not registered in time:\n{log.read_text()[-3000:]}")


@pytest.mark.integration
@pytest.mark.timeout(RUN_TIMEOUT_S + 600)
def test_daily_pipeline_deployment_end_to_end(
    prefect_server: SimpleNamespace, lakehouse_dirs: SimpleNamespace, tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from lakehouse.readers import read_table

    env = {
        **prefect_server.env,
        "LAKEHOUSE_ROOT": str(lakehouse_dirs.root),
        "LAKEHOUSE_LANDING": str(lakehouse_dirs.landing),
        "LAKEHOUSE__SPARK__DRIVER_MEMORY": "1g",
        "PREFECT_RUNNER_POLL_FREQUENCY": "2",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        serve = subprocess.Popen(
            [sys.executable, "-m", "flows.serve", "--paused"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        with (
            temporary_settings(updates={PREFECT_API_URL: prefect_server.url}),
            get_client(sync_client=True) as client,
        ):
            deployment = _wait_for_deployment(client, "daily_pipeline/daily-pipeline", serve, log)
            limit = getattr(deployment, "global_concurrency_limit", None)
            assert getattr(limit, "limit", None) == 1 or deployment.concurrency_limit == 1
            assert [s.schedule.timezone for s in deployment.schedules] == ["UTC"]

            started = time.monotonic()
            flow_run = run_deployment(
                "daily_pipeline/daily-pipeline",
                parameters={"business_date": DAY.isoformat()},
                timeout=RUN_TIMEOUT_S,
                poll_interval=5,
            )
            elapsed = time.monotonic() - started
            state = flow_run.state
            assert state is not None and state.is_final(), (
                f"run not finished after {elapsed:.0f}s: {state}\n{log.read_text()[-5000:]}"
            )
            assert state.is_completed(), f"{state}\n{log.read_text()[-5000:]}"
            print(f"daily_pipeline deployment run completed in {elapsed:.0f}s")

            key = f"recon-summary-{DAY.isoformat()}"
            artifacts = client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
            )
            assert artifacts, f"no artifact {key}"
            assert artifacts[0].type == "table"
            assert artifacts[0].flow_run_id == flow_run.id
            markdown = client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=[f"new-exceptions-{DAY.isoformat()}"])
                )
            )
            assert markdown and markdown[0].type == "markdown"
    finally:
        _stop_process_tree(serve)

    for table in GOLD_TABLES:
        assert (lakehouse_dirs.root / "gold" / table / "_delta_log").is_dir(), table
    summary = read_table("gold.daily_summary", root=str(lakehouse_dirs.root))
    as_of = summary["as_of_date"].map(lambda v: date.fromisoformat(str(v)[:10]))
    today = summary[as_of == DAY]
    assert len(today) > 0, summary
    assert set(today["leg"]) >= {"ledger_partner", "ledger_bank"}
