"""bench.curve: one volume's summary, the exponents, the child's environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.config import BenchConfig
from bench.curve import child_env, exponents, summarize, volume_entry
from tests.bench.builders import curve, day_report


def test_a_volume_is_the_mean_of_its_measured_days() -> None:
    entry = volume_entry(day_report(1000, 10.0))
    assert entry["seconds"] == {"ingest": 11.0, "refine": 21.0, "reconcile": 41.0, "total": 73.0}
    assert entry["cpu_seconds"]["reconcile"] == 82.0 and entry["cpu_seconds"]["total"] == 146.0
    assert entry["layer_peak_rss_mb"]["reconcile"] == 2000.0 + 100 * 42.0  # the worse day
    assert entry["rows_per_second"] == round(1000 / 73.0, 1)
    assert entry["bronze_rows_per_second"] == round(1800 / 73.0, 1)
    assert entry["spark_tasks"]["refine"]["shuffle_write_bytes"] == 10_000
    assert [s["step"] for s in entry["top_steps"]] == ["merged recon_items", "ingested ledger"]


@pytest.mark.parametrize("k", [1.0, 1.25])
def test_exponents_over_all_volumes_and_the_last_two(k: float) -> None:
    entries = [volume_entry(r) for r in curve([300_000, 1_000_000, 3_000_000], k)]
    out = exponents(entries)
    for layer in ("ingest", "refine", "reconcile", "total"):
        assert out["all"][layer] == pytest.approx(k, abs=5e-3)
        assert out["last_two"][layer] == pytest.approx(k, abs=5e-3)
    assert out["last_two_volumes"] == [1_000_000, 3_000_000]


def test_a_failed_volume_is_kept_out_of_the_fit_and_named(tmp_path: Path) -> None:
    cfg = BenchConfig.from_env({"BENCH_DIR": str(tmp_path), "BENCH_MODE": "curve"})
    entries = [volume_entry(r) for r in curve([300_000, 1_000_000], 1.5)]
    entries.append({"volume": 3_000_000, "error": "killed by signal 9"})
    doc = summarize(cfg, entries, {"source": {"commit": "abc", "dirty": False}})
    assert doc["k"]["reconcile"] == pytest.approx(1.5, abs=1e-3)
    assert doc["k_last_two_volumes"] == [300_000, 1_000_000]
    assert doc["targets"] == {"k_max": 1.05, "k_last_two_within": False}
    assert doc["volumes"][-1]["error"] == "killed by signal 9"


def test_one_volume_gives_no_exponent(tmp_path: Path) -> None:
    cfg = BenchConfig.from_env({"BENCH_DIR": str(tmp_path), "BENCH_MODE": "curve"})
    doc = summarize(cfg, [volume_entry(day_report(1000, 1.0))], {})
    assert doc["k"]["total"] is None and doc["targets"]["k_last_two_within"] is None


def test_each_volume_runs_as_a_day_in_its_own_folder(tmp_path: Path) -> None:
    cfg = BenchConfig.from_env(
        {"BENCH_DIR": str(tmp_path), "BENCH_MODE": "curve", "BENCH_DRIVER_MEMORY": "1500m"}
    )
    env = child_env(cfg, 300_000, {"PATH": "/bin", "BENCH_MODE": "curve"})
    assert env["PATH"] == "/bin" and env["BENCH_MODE"] == "day"
    assert env["BENCH_VOLUME"] == "300000" and env["BENCH_DAYS"] == "2"
    assert env["BENCH_DIR"] == str(tmp_path / "curve-300000")
    assert env["BENCH_BASELINE"] == "0" and env["BENCH_DRIVER_MEMORY"] == "1500m"
    child = BenchConfig.from_env(env)
    assert (child.mode, child.volume, child.out) == ("day", 300_000, tmp_path / "curve-300000.json")


def test_a_volume_that_fails_is_recorded_and_the_larger_ones_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    import bench.curve

    cfg = BenchConfig.from_env(
        {"BENCH_DIR": str(tmp_path), "BENCH_MODE": "curve", "BENCH_VOLUMES": "1000,2000,3000"}
    )

    def child(cfg: BenchConfig, volume: int) -> tuple[int, float]:
        if volume == 2000:
            return -9, 20_000.0  # killed, e.g. by the OOM killer
        folder = tmp_path / f"curve-{volume}"
        (folder / "lakehouse").mkdir(parents=True)
        (folder / "landing").mkdir()
        (tmp_path / f"curve-{volume}.json").write_text(json.dumps(day_report(volume, 1.0)))
        return 0, 3000.0

    written: list[dict[str, object]] = []
    monkeypatch.setattr(bench.curve, "_run_child", child)
    doc = bench.curve.run_curve(cfg, {"source": None}, written.append)
    assert [len(w["volumes"]) for w in written] == [1, 2, 3]  # rewritten after each volume
    assert [e["volume"] for e in doc["volumes"]] == [1000, 2000, 3000]
    assert doc["volumes"][0]["seconds"]["total"] == 7.3  # (7.0 + 7.6) / 2
    assert doc["volumes"][1] == {
        "volume": 2000,
        "error": "killed by signal 9",
        "peak_rss_mb_observed": 20_000.0,
    }
    assert doc["volumes"][2] == {"volume": 3000, "skipped": "a smaller volume failed"}
    assert doc["k"]["total"] is None  # one volume measured: no exponent
    # the lakehouse and feeds of a measured volume are deleted, its report kept
    assert not (tmp_path / "curve-1000" / "lakehouse").exists()
    assert not (tmp_path / "curve-1000" / "landing").exists()
    assert (tmp_path / "curve-1000.json").is_file()
