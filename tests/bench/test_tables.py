"""bench.tables, bench.svg and bench.cost: results rendered into the docs, from small
result documents; absent results are said to be absent, never invented."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from bench.config import BenchConfig
from bench.cost import Assumptions, Line, check_against, cost_model, cpu_line, memory_line
from bench.curve import summarize, volume_entry
from bench.month import month_summary
from bench.svg import chart, volume_label
from bench.tables import (
    SECTIONS,
    main,
    render_10m,
    render_cluster,
    render_cost,
    render_curve,
    render_month,
)
from tests.bench.builders import curve, day

PAGE = "# Performance\n\nIntro.\n\n" + "\n\n".join(
    f"## {name}\n\n<!-- bench:{name} -->\nold text\n<!-- /bench:{name} -->" for name in SECTIONS
)
MACHINE = {"cores": 2, "memory_gib": 23.5}
SOURCE = {"commit": "0" * 40, "dirty": False}


def _curve_doc(tmp_path: Path, exponent: float = 1.0) -> dict[str, Any]:
    cfg = BenchConfig.from_env({"BENCH_DIR": str(tmp_path), "BENCH_MODE": "curve"})
    entries = [volume_entry(r) for r in curve([300_000, 1_000_000, 3_000_000], exponent)]
    return summarize(cfg, entries, {"source": SOURCE, "machine": MACHINE})


def _month_doc() -> dict[str, Any]:
    days = [day(f"2026-11-{i:02d}", 1.0, 2.0, 3.0 + i / 10) for i in range(1, 7)]
    for i, d in enumerate(days):
        d["delta_logs"] = {"bytes": 1_000_000 * (i + 1), "files": 100 + i, "checkpoints": 0}
    logs = {
        "gold.recon_items": {
            "bytes": 52_000,
            "files": 30,
            "commits": 12,
            "checkpoint_versions": [10],
        },
        "silver.ledger_entries": {
            "bytes": 9_000,
            "files": 14,
            "commits": 7,
            "checkpoint_versions": [],
        },
    }
    return {
        "mode": "month",
        "volume_per_day": 100_000,
        "days": 6,
        "warmup_days": 1,
        "machine": MACHINE,
        "source": SOURCE,
        "per_day": days,
        **month_summary(days),
        "delta_logs": logs,
        "checkpoint_intervals": [{"interval": 10, "source": "Delta default"}],
    }


def _ten_doc() -> dict[str, Any]:
    return {
        "mode": "10m",
        "volume_per_day": 10_000_000,
        "warmup_days": 0,
        "as_of": "2026-11-02",
        "machine": MACHINE,
        "source": SOURCE,
        "spark": {"driver_memory": "12g"},
        "seconds": 1234.5,
        "seconds_per_layer": {"ingest": 300.0, "refine": 400.0, "reconcile": 534.5},
        "peak_rss_mb_per_layer": {"ingest": 9000.0, "refine": 15000.0, "reconcile": 20000.0},
        "peak_rss_mb": 20000.0,
        "cpu_seconds": 2000.0,
        "bronze_rows": 18_000_000,
        "generate_seconds": 60.0,
        "spark_tasks": {
            "2026-11-02": {
                "refine": {"disk_spilled_bytes": 2_000_000_000},
                "reconcile": {"disk_spilled_bytes": 1_000_000_000},
            }
        },
        "top_steps": [{"layer": "reconcile", "seconds": 200.0, "step": "merged a | b"}],
        "targets": {"within": True},
    }


def test_the_curve_table_and_exponents(tmp_path: Path) -> None:
    text = "\n".join(render_curve(_curve_doc(tmp_path, 1.1), "img/c.svg"))
    assert "| 3,000,000 | 1,800 | " in text
    assert "| layer | k, all volumes | k, 1M -> 3M | k of CPU-s |" in text
    assert "| reconcile | 1.10 | 1.10 | 1.10 |" in text
    assert "Target k <= 1.05 for every layer, 1M -> 3M: not met." in text
    assert "![Seconds per layer against ledger events a day, log-log](img/c.svg)" in text


def test_a_failed_volume_shows_how_it_failed(tmp_path: Path) -> None:
    doc = _curve_doc(tmp_path)
    doc["volumes"][-1] = {
        "volume": 3_000_000,
        "error": "killed by signal 9",
        "peak_rss_mb_observed": 23000.0,
    }
    text = "\n".join(render_curve(doc))
    assert "| 3,000,000 | failed: killed by signal 9 (peak RSS 23,000 MB) |" in text


def test_the_month_tables() -> None:
    text = "\n".join(render_month(_month_doc()))
    assert "| last day / first day | 1.00 | 1.00 | 1.16 | 1.08 |" in text
    assert "Target <= 1.2 end to end (mean of last 3 / first 3): met." in text
    assert "| 6 | 1.0 | 2.0 | 3.6 | 6.6 | 6.00 | 105 |" in text
    assert "| `gold.recon_items` | 52 | 30 | 12 | 10 |" in text
    assert "| `silver.ledger_entries` | 9 | 14 | 7 | none |" in text
    assert "checkpoint interval: 10 (Delta default)" in text


def test_the_10m_table() -> None:
    text = "\n".join(render_10m(_ten_doc()))
    assert "| end to end | 1,234.5 s |" in text
    assert "| reconcile | 534.5 s, peak RSS 20,000 MB |" in text
    assert "| spilled to disk | 3,000 MB |" in text
    assert "within 24 GiB of RAM: met" in text
    assert "| reconcile | 200.0 | merged a / b |" in text  # a pipe cannot break the table


def test_cost_lines_pass_through_the_largest_volume() -> None:
    assert cpu_line([1.0, 3.0], [110.0, 130.0]) == Line(100.0, 10.0)  # fixed + marginal
    assert cpu_line([1.0, 3.0], [130.0, 110.0]) == Line(0.0, 110.0 / 3)  # never free
    assert cpu_line([3.0], [60.0]) == Line(0.0, 20.0)
    assert memory_line([0.3, 1.0, 3.0], [2420.0, 3400.0, 6200.0]) == Line(
        pytest.approx(2000.0), pytest.approx(1400.0)
    )
    assert memory_line([1.0, 3.0], [4000.0, 3900.0]) == Line(3900.0, 0.0)  # did not grow
    line = Line(100.0, 10.0)
    assert line.at(30.0) == 400.0
    assert line.at(30.0, 3.0, 1.5) == pytest.approx(100.0 + 30.0 * 10**1.5)
    assert line.at(2.0, 3.0, 1.5) == 120.0  # below the largest volume: the line


def test_the_cost_model_from_the_curve(tmp_path: Path) -> None:
    doc = _curve_doc(tmp_path, 1.0)
    model = cost_model(doc, assume=Assumptions(window_seconds=100, efficiency=0.5))
    assert model is not None and model["from_volume"] == 3_000_000
    reconcile = model["layers"]["reconcile"]
    # reconcile: 8.2 CPU-s per 300k events, a quarter of it in Spark's tasks
    assert reconcile["cpu_seconds_per_million"] == pytest.approx(82.0 / 3, abs=0.01)
    assert reconcile["driver_cpu_per_million"] == pytest.approx(61.5 / 3, abs=0.01)
    assert reconcile["executor_cpu_fixed"] == 0.0 and reconcile["driver_share_at_v0"] == 0.75
    assert reconcile["growth_exponent"] == 1.0
    assert reconcile["shuffle_bytes_per_million"] == 10_000_000
    # its peak RSS is 2000 MB + 1400 MB per million events in the builder
    assert (reconcile["memory_mb_fixed"], reconcile["memory_mb_per_million"]) == (2000.0, 1400.0)
    ten, hundred = model["predictions"]
    # CPU at 3M: 22 + 42 + 82 = 146 s, linear to 10M: 486.7 s, 121.7 s of it in
    # tasks; 50 useful seconds per core in the window
    assert ten["volume"] == 10_000_000 and ten["cpu_seconds_total"] == 487
    assert (ten["driver_cpu_seconds"], ten["driver_cores"]) == (365, 8)
    assert (ten["cores"], ten["executors"]) == (3, 1)
    # 1.5 x (2000 + 1400 x 10 / 1 executor) MB = 24,000 MB -> 24 GB
    assert ten["executor_memory_gb"] == 24
    assert ten["shuffle_gb"] == round(3 * 10_000_000 * 10 / 1024**3, 1)  # 3 layers x 10 MB/M
    # 100M: 1216.7 task seconds -> 25 cores, 7 executors of 1.5 x (2000 + 140000 / 7) MB
    assert (hundred["cores"], hundred["executors"], hundred["driver_cores"]) == (25, 7, 73)
    assert hundred["executor_memory_gb"] == 33
    text = "\n".join(render_cost(doc))
    assert "| layer | fixed CPU-s | CPU-s / M events | of it driver | growth exponent |" in text
    assert "| reconcile | 0.0 | 27.3 | 20.5 | 1.00 | 2,000 | 1,400 | 10.0 |" in text
    assert "| 100,000,000 |" in text


def test_a_layer_growing_faster_than_its_volume_keeps_its_exponent(tmp_path: Path) -> None:
    model = cost_model(_curve_doc(tmp_path, 1.2))
    assert model is not None
    reconcile = model["layers"]["reconcile"]
    assert reconcile["growth_exponent"] == pytest.approx(1.2, abs=5e-3)
    shallow = cost_model(_curve_doc(tmp_path, 0.6))
    assert shallow is not None
    assert all(c["growth_exponent"] == 1.0 for c in shallow["layers"].values())


def _cluster_doc(seconds: list[float], cpu: list[float]) -> dict[str, Any]:
    # the first day's peak is the largest: it is left out with the rest of that day
    memory = [9000.0, 7000.0, 6500.0][: len(seconds)]
    return {
        "peak_memory_mb": {"cluster": memory},
        "source": {"commit": "2" * 40, "dirty": False},
        "volume": 300_000,
        "seconds": {"cluster": seconds},
        "cpu_seconds": {"cluster": cpu},
        "workers": {"count": 2, "cores": 1, "memory": "4g"},
    }


def test_the_model_against_a_cluster_run(tmp_path: Path) -> None:
    doc = _curve_doc(tmp_path, 1.0)
    # the builder's curve: 146 CPU-s at 3M, all proportional, 75 % of it the driver's;
    # at 300k 14.6 CPU-s, 10.95 driver, 3.65 in tasks on 2 cores at 70 %: 13.6 s
    check = check_against(doc, _cluster_doc([30.0, 27.0, 27.4], [40.0, 29.0, 29.4]))
    assert check is not None
    assert (check["cores"], check["days_measured"]) == (2, 2)
    # memory: the largest layer's line at 300k, reconcile's 2000 + 1400 x 0.3 MB
    assert check["predicted"] == {"cpu_seconds": 14.6, "seconds": 13.6, "memory_mb": 2420}
    # the first day left out; memory the highest of the others
    assert check["measured"] == {"seconds": 27.2, "cpu_seconds": 29.2, "memory_mb": 7000}
    assert check["measured_over_predicted"] == {
        "seconds": 2.0,
        "cpu_seconds": 2.0,
        "memory_mb": 2.89,
    }
    text = "\n".join(render_cluster(doc, _cluster_doc([30.0, 27.0, 27.4], [40.0, 29.0, 29.4])))
    assert "(at 2222222): 300,000 events a day" in text and "2 workers x 1 core, 4g" in text
    assert "| CPU-seconds a day | 14.6 | 29.2 | 2.00 |" in text
    assert "| seconds a day | 13.6 | 27.2 | 2.00 |" in text
    assert "| peak memory MB | 2,420 | 7,000 | 2.89 |" in text
    # one day is all start-up: nothing to compare
    assert check_against(doc, _cluster_doc([30.0], [40.0])) is None
    assert "run `make bench-cluster`" in render_cluster(doc, _cluster_doc([30.0], [40.0]))[0]
    assert "make bench-cluster" in render_cluster(doc, None)[0]


def test_the_chart_is_deterministic_svg() -> None:
    svg = chart([3e5, 1e6, 3e6], {"ingest": [1.0, 3.0, 9.0], "total": [5.0, None, 40.0]}, "t")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}polyline")) == 2 and len(root.findall(f"{ns}circle")) == 5
    labels = [t.text for t in root.findall(f"{ns}text")]
    assert {"300k", "1M", "3M", "ingest", "end to end"} <= set(labels)
    assert svg == chart(
        [3e5, 1e6, 3e6], {"ingest": [1.0, 3.0, 9.0], "total": [5.0, None, 40.0]}, "t"
    )
    assert volume_label(2_500_000) == "2.5M" and volume_label(100_000_000) == "100M"
    with pytest.raises(ValueError, match="positive value"):
        chart([1e6], {"ingest": [None]}, "t")


def _files(tmp_path: Path) -> tuple[Path, Path, Path, list[str]]:
    results, docs = tmp_path / "results", tmp_path / "docs" / "performance.md"
    results.mkdir()
    docs.parent.mkdir()
    docs.write_text(PAGE)
    svg = docs.parent / "img" / "bench_curve.svg"
    return results, docs, svg, ["--results", str(results), "--docs", str(docs), "--svg", str(svg)]


def test_absent_results_are_said_to_be_unmeasured(tmp_path: Path) -> None:
    _, docs, svg, args = _files(tmp_path)
    assert main([*args, "--check"]) == 1
    assert main(args) == 0
    text = docs.read_text()
    assert "old text" not in text and text.count("Not measured on this commit") == 5
    assert "`make bench-month` writes `bench/results/month.json`" in text
    assert not svg.exists() and main([*args, "--check"]) == 0


def test_results_go_into_the_page_and_the_chart_and_check_follows(tmp_path: Path) -> None:
    results, docs, svg, args = _files(tmp_path)
    (results / "curve.json").write_text(json.dumps(_curve_doc(tmp_path)))
    (results / "month.json").write_text(json.dumps(_month_doc()))
    assert main(args) == 0 and main([*args, "--check"]) == 0
    text = docs.read_text()
    assert "![Seconds per layer against ledger events a day, log-log](img/bench_curve.svg)" in text
    assert text.count("Not measured on this commit") == 2  # 10m and cluster
    assert text.startswith("# Performance\n\nIntro.\n\n## curve\n\n<!-- bench:curve -->\n")
    assert "different commits" not in text
    assert ET.fromstring(svg.read_text()).tag.endswith("svg")
    (results / "curve.json").unlink()  # the chart of a result that is gone goes too
    assert main([*args, "--check"]) == 1 and main(args) == 0 and not svg.exists()


def test_results_of_different_commits_are_flagged(tmp_path: Path) -> None:
    results, docs, _, args = _files(tmp_path)
    month = _month_doc()
    month["source"] = {"commit": "1" * 40, "dirty": False}
    (results / "curve.json").write_text(json.dumps(_curve_doc(tmp_path)))
    (results / "month.json").write_text(json.dumps(month))
    assert main(args) == 0
    assert "come from different commits" in docs.read_text()
    assert "1" * 40 not in docs.read_text()
    # the cluster check is measured apart, later: it does not count
    (results / "month.json").unlink()
    (results / "cluster.json").write_text(json.dumps(_cluster_doc([3.0, 2.0], [4.0, 3.0])))
    assert main(args) == 0
    assert "different commits" not in docs.read_text()


def test_errors_are_one_line_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results, docs, _, args = _files(tmp_path)
    (results / "month.json").write_text("{")
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "month.json is not valid JSON" in err
    assert "rerun `make bench-month`" in err
    (results / "month.json").unlink()
    docs.write_text("# Performance\n")
    assert main(args) == 2
    assert "has no `<!-- bench:curve -->`" in capsys.readouterr().err


def test_the_repository_docs_are_current_with_its_results() -> None:
    assert main(["--check"]) == 0
