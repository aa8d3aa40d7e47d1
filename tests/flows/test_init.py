"""flows/__init__: importing any flow switches Prefect telemetry off first."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _telemetry_env_after(code: str, **extra: str) -> list[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PREFECT_SERVER_ANALYTICS_ENABLED", "DO_NOT_TRACK")
    }
    env.update(extra)
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


PRINT = (
    "import os; "
    "print(os.environ.get('PREFECT_SERVER_ANALYTICS_ENABLED'), os.environ.get('DO_NOT_TRACK'))"
)


def test_importing_a_flow_turns_telemetry_off() -> None:
    assert _telemetry_env_after(f"import flows.common; {PRINT}") == ["false", "1"]


def test_an_explicit_choice_in_the_environment_wins() -> None:
    env = {"PREFECT_SERVER_ANALYTICS_ENABLED": "true", "DO_NOT_TRACK": "0"}
    assert _telemetry_env_after(f"import flows; {PRINT}", **env) == ["true", "0"]
