"""``python -m bench.tables [--check]``: the benchmark's results as tables in the docs.

Reads ``bench/results/{curve,month,10m,cluster}.json`` and rewrites, in
``docs/performance.md``, what stands between each pair of markers
``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->`` (NAME: curve, month, 10m, cost,
cluster),
and writes the chart of seconds per layer against volume to
``docs/img/bench_curve.svg``. A result file that is absent gives a section that says
so and names the command that measures it: no figure is written that was not
measured. ``--check`` changes nothing and exits 1 when the docs or the chart differ
from what the results give.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.config import LAYERS, RESULTS, TARGETS
from bench.cost import check_against, cost_model
from bench.svg import chart, volume_label
from lakehouse.config import REPO_ROOT

DOCS = REPO_ROOT / "docs" / "performance.md"
SVG = REPO_ROOT / "docs" / "img" / "bench_curve.svg"
FILES = {"curve": "curve.json", "month": "month.json", "10m": "10m.json", "cluster": "cluster.json"}
TARGETS_OF = {n: f"bench-{n}" for n in FILES}
SECTIONS = ("curve", "month", "10m", "cost", "cluster")
# measured together, from one commit; the cluster check compares with the curve later
TOGETHER = ("curve", "month", "10m")
SERIES = (*LAYERS, "total")
Results = dict[str, dict[str, Any] | None]


class TablesError(ValueError):
    """A result file or the docs page cannot be used; the message says how to fix it."""


def _n(value: Any, digits: int = 1) -> str:
    """A number for a table: thousands separated, ``-`` when absent."""
    if value is None:
        return "-"
    return f"{float(value):,.{digits}f}"


def _yes(value: Any) -> str:
    return {True: "met", False: "not met"}.get(value, "not measured")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def _absent(name: str) -> str:
    return (
        f"Not measured on this commit: `make {TARGETS_OF[name]}` writes "
        f"`bench/results/{FILES[name]}`, then `python -m bench.tables` shows it here."
    )


def _machine(doc: dict[str, Any]) -> str:
    m = doc.get("machine") or {}
    return f"{m.get('cores', '?')} cores, {m.get('memory_gib', '?')} GiB"


def render_curve(curve: dict[str, Any] | None, chart_path: str | None = None) -> list[str]:
    if curve is None:
        return [_absent("curve")]
    lines = [
        f"From `bench/results/curve.json`: {curve['days']} measured days after "
        f"{curve['warmup_days']} warm-up day(s) per volume, each volume in its own process "
        f"and lakehouse, a {curve['driver_memory']} driver heap, {_machine(curve)}. Seconds "
        "and CPU are means of the measured days; events/s counts ledger events.",
        "",
    ]
    rows = []
    for e in curve["volumes"]:
        if "seconds" not in e:
            why = e.get("error") or e.get("skipped") or "not run"
            seen = e.get("peak_rss_mb_observed")
            extra = f" (peak RSS {_n(seen, 0)} MB)" if seen else ""
            rows.append([f"{e['volume']:,}", f"failed: {why}{extra}", *["-"] * 6])
            continue
        s = e["seconds"]
        rows.append(
            [
                f"{e['volume']:,}",
                f"{e['bronze_rows']:,}",
                *(_n(s[k]) for k in SERIES),
                _n(e["peak_rss_mb"], 0),
                _n(e["rows_per_second"], 0),
            ]
        )
    header = ["events/day", "bronze rows", "ingest s", "refine s", "reconcile s"]
    lines += _table([*header, "end to end s", "peak RSS MB", "events/s"], rows)
    pair = " -> ".join(volume_label(v) for v in curve.get("k_last_two_volumes", []))
    k_rows = [
        [
            "end to end" if k == "total" else k,
            _n(curve["k"].get(k), 2),
            _n(curve["k_last_two"].get(k), 2),
            _n(curve.get("k_cpu", {}).get(k), 2),
        ]
        for k in SERIES
    ]
    lines += ["", *_table(["layer", "k, all volumes", f"k, {pair}", "k of CPU-s"], k_rows)]
    within = curve.get("targets", {}).get("k_last_two_within")
    lines += ["", f"Target k <= {TARGETS['k']} for every layer, {pair}: {_yes(within)}."]
    if chart_path:
        lines += ["", f"![Seconds per layer against ledger events a day, log-log]({chart_path})"]
    return lines


def render_month(month: dict[str, Any] | None) -> list[str]:
    if month is None:
        return [_absent("month")]
    lines = [
        f"From `bench/results/month.json`: {month['volume_per_day']:,} ledger events a day, "
        f"{month['days']} measured days after {month['warmup_days']} warm-up day(s) in one "
        f"SparkSession, {_machine(month)}.",
        "",
    ]
    window = month.get("window_days", 3)
    ratio_rows = [
        [label, *(_n(month[key].get(k), 2) for k in SERIES)]
        for label, key in (
            ("last day / first day", "last_over_first"),
            (f"mean of last {window} / first {window}", "last3_over_first3"),
        )
    ]
    lines += _table(["", *LAYERS, "end to end"], ratio_rows)
    within = month.get("targets", {}).get("within")
    lines += [
        "",
        f"Target <= {TARGETS['month_last_over_first']} end to end "
        f"(mean of last {window} / first {window}): "
        f"{_yes(within)}.",
        "",
    ]
    day_rows = []
    for i, d in enumerate(month["per_day"], 1):
        logs = d.get("delta_logs") or {}
        day_rows.append(
            [
                str(i),
                *(_n(d[k]) for k in SERIES),
                _n(logs.get("bytes", 0) / 1e6, 2) if logs else "-",
                f"{logs['files']:,}" if logs else "-",
            ]
        )
    header = ["day", "ingest s", "refine s", "reconcile s", "end to end s"]
    lines += _table([*header, "Delta logs MB", "log files"], day_rows)
    intervals = ", ".join(
        f"{c['interval']} ({c['source']})" for c in month.get("checkpoint_intervals", [])
    )
    lines += ["", f"Delta logs at the end, per table; checkpoint interval: {intervals}.", ""]
    log_rows = [
        [
            f"`{name}`",
            _n(s["bytes"] / 1e3, 0),
            f"{s['files']:,}",
            f"{s['commits']:,}",
            ", ".join(str(v) for v in s["checkpoint_versions"]) or "none",
        ]
        for name, s in sorted(month["delta_logs"].items(), key=lambda kv: -int(kv[1]["bytes"]))
    ]
    return lines + _table(["table", "log KB", "files", "commits", "checkpoints at"], log_rows)


def render_10m(doc: dict[str, Any] | None) -> list[str]:
    if doc is None:
        return [_absent("10m")]
    layers = doc["seconds_per_layer"]
    rss = doc["peak_rss_mb_per_layer"]
    tasks = doc.get("spark_tasks", {}).get(doc["as_of"], {})
    spilled = sum(int(t.get("disk_spilled_bytes", 0)) for t in tasks.values()) if tasks else None
    gen = doc.get("generate_seconds")
    rows = [
        ["end to end", f"{_n(doc['seconds'])} s"],
        *([k, f"{_n(layers[k])} s, peak RSS {_n(rss.get(k), 0)} MB"] for k in LAYERS),
        ["bronze rows", f"{doc['bronze_rows']:,}"],
        ["peak RSS (python + JVM)", f"{_n(doc['peak_rss_mb'], 0)} MB"],
        ["CPU-seconds", _n(doc["cpu_seconds"])],
        ["spilled to disk", "-" if spilled is None else f"{_n(spilled / 1e6, 0)} MB"],
        ["feeds generated (apart)", "reused" if gen is None else f"{_n(gen)} s"],
    ]
    target = doc.get("targets", {})
    lines = [
        f"From `bench/results/10m.json`: one day of {doc['volume_per_day']:,} ledger events "
        f"after {doc['warmup_days']} warm-up day(s), a {doc['spark']['driver_memory']} driver "
        f"heap, {_machine(doc)}.",
        "",
        *_table(["measure", "value"], rows),
        "",
        f"Target: within {_n(TARGETS['ten_million_rss_mb'] / 1024, 0)} GiB of RAM: "
        f"{_yes(target.get('within'))}. Longest steps of the day:",
        "",
    ]
    steps = [[s["layer"], _n(s["seconds"]), s["step"].replace("|", "/")] for s in doc["top_steps"]]
    return lines + _table(["layer", "seconds", "step"], steps)


def render_cost(curve: dict[str, Any] | None) -> list[str]:
    model = cost_model(curve) if curve else None
    if model is None:
        return [_absent("curve")]
    rows = [
        [
            layer,
            _n(c["executor_cpu_fixed"] + c["driver_cpu_fixed"]),
            _n(c["cpu_seconds_per_million"]),
            _n(c["driver_cpu_per_million"]),
            _n(c["growth_exponent"], 2),
            _n(c["memory_mb_fixed"], 0),
            _n(c["memory_mb_per_million"], 0),
            "-"
            if c["shuffle_bytes_per_million"] is None
            else _n(c["shuffle_bytes_per_million"] / 1e6, 1),
        ]
        for layer, c in model["layers"].items()
    ]
    header = ["layer", "fixed CPU-s", "CPU-s / M events", "of it driver", "growth exponent"]
    a = model["assumptions"]
    lines = [
        f"From `bench/results/curve.json`, lines through {model['from_volume']:,} events a day:",
        "",
        *_table([*header, "base MB", "MB / M events", "shuffle MB / M events"], rows),
        "",
        f"Predicted cluster, assuming a day's batch within {a['window_seconds']:.0f} s at "
        f"{a['efficiency']:.0%} efficiency, {a['executor_cores']} cores per executor and "
        f"{a['headroom']}x memory headroom:",
        "",
    ]
    pred = [
        [
            f"{p['volume']:,}",
            f"{p['cpu_seconds_total']:,}",
            f"{p['driver_cpu_seconds']:,}",
            str(p["driver_cores"]),
            str(p["cores"]),
            f"{p['executors']} x {p['executor_cores']}",
            _n(p["executor_memory_gb"], 0),
            _n(p["shuffle_gb"]),
        ]
        for p in model["predictions"]
    ]
    header = ["events/day", "CPU-s a day", "of it driver", "driver cores", "executor cores"]
    return lines + _table([*header, "executors x cores", "GB per executor", "shuffle GB"], pred)


def render_cluster(curve: dict[str, Any] | None, run: dict[str, Any] | None) -> list[str]:
    if run is None:
        return [_absent("cluster")]
    check = check_against(curve, run) if curve else None
    if check is None:
        return [
            "`bench/results/cluster.json` has no cluster run of two days or more, or there "
            "is no curve to compare it with: run `make bench-cluster` and `make bench-curve`."
        ]
    w, p, m, r = (check[k] for k in ("workers", "predicted", "measured", "measured_over_predicted"))
    commit = ((run.get("source") or {}).get("commit") or "?")[:7]
    rows = [
        [label, _n(p[key], digits), _n(m[key], digits), _n(r[key], 2)]
        for label, key, digits in (
            ("CPU-seconds a day", "cpu_seconds", 1),
            ("seconds a day", "seconds", 1),
            ("peak memory MB", "memory_mb", 0),
        )
    ]
    return [
        f"From `bench/results/cluster.json` (at {commit}): {check['volume']:,} events a day on "
        f"a standalone cluster of {w['count']} workers x {w['cores']} "
        f"core{'s' if int(w['cores']) > 1 else ''}, {w['memory']} each, "
        f"S3 on MinIO, all on this machine; the mean of {check['days_measured']} days after "
        f"the first, against the model on {check['cores']} executor cores:",
        "",
        *_table(["", "model", "measured", "measured / model"], rows),
    ]


def load_results(folder: Path) -> Results:
    out: Results = {}
    for name, file in FILES.items():
        path = folder / file
        if not path.is_file():
            out[name] = None
            continue
        try:
            out[name] = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise TablesError(
                f"{path} is not valid JSON ({exc}): rerun `make {TARGETS_OF[name]}` or delete it"
            ) from None
    return out


def curve_svg(curve: dict[str, Any] | None) -> str | None:
    """The chart of seconds per layer vs volume; None when no volume was measured."""
    done = [e for e in (curve or {}).get("volumes", []) if "seconds" in e]
    if not done:
        return None
    series = {k: [e["seconds"][k] for e in done] for k in SERIES}
    return chart([float(e["volume"]) for e in done], series, "Seconds a day per layer")


def sections(results: Results, chart_path: str | None) -> dict[str, str]:
    """The text of each marked section."""
    sources = {
        (d.get("source") or {}).get("commit")
        for name in TOGETHER
        if (d := results[name]) is not None
    }
    curve = render_curve(results["curve"], chart_path)
    if len(sources) > 1:
        curve += [
            "",
            "The curve, month and 10M results come from different commits: measure them "
            "again together.",
        ]
    renderers: dict[str, Callable[[], list[str]]] = {
        "curve": lambda: curve,
        "month": lambda: render_month(results["month"]),
        "10m": lambda: render_10m(results["10m"]),
        "cost": lambda: render_cost(results["curve"]),
        "cluster": lambda: render_cluster(results["curve"], results["cluster"]),
    }
    return {name: "\n".join(renderers[name]()) for name in SECTIONS}


def update_page(text: str, parts: dict[str, str], page: str = "docs/performance.md") -> str:
    """``text`` with every marked section replaced by its part."""
    for name, body in parts.items():
        opening, closing = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
        pattern = re.compile(rf"{re.escape(opening)}.*?{re.escape(closing)}", re.DOTALL)
        if not pattern.search(text):
            raise TablesError(
                f"{page} has no `<!-- bench:{name} -->` ... `<!-- /bench:{name} -->` section: "
                "add the two markers, each on its own line, where the table belongs"
            )
        text = pattern.sub(f"{opening}\n{body}\n{closing}".replace("\\", "\\\\"), text)
    return text


def render(results_dir: Path, docs: Path, svg: Path) -> tuple[str, str | None]:
    """The page's new text and the chart (None: no chart)."""
    results = load_results(results_dir)
    picture = curve_svg(results["curve"])
    chart_path = Path(os.path.relpath(svg, docs.parent)).as_posix() if picture else None
    text = docs.read_text(encoding="utf-8")
    return update_page(text, sections(results, chart_path), docs.name), picture


def print_summary(report: dict[str, Any]) -> None:
    """A mode's report on the console, as the docs show it."""
    render_mode: dict[str, Callable[[dict[str, Any]], list[str]]] = {
        "curve": render_curve,
        "month": render_month,
        "10m": render_10m,
    }
    print("\n".join(render_mode[report["mode"]](report)), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tables", description=__doc__)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of the JSON")
    parser.add_argument("--docs", type=Path, default=DOCS, help="the page with the markers")
    parser.add_argument("--svg", type=Path, default=SVG, help="the chart written")
    args = parser.parse_args(argv)
    try:
        text, picture = render(args.results, args.docs, args.svg)
    except (TablesError, OSError) as exc:
        print(f"bench.tables: error: {exc}", file=sys.stderr)
        return 2
    current_svg = args.svg.read_text(encoding="utf-8") if args.svg.is_file() else None
    stale = [
        str(p)
        for p, now, want in (
            (args.docs, args.docs.read_text(encoding="utf-8"), text),
            (args.svg, current_svg, picture),
        )
        if now != want
    ]
    if args.check:
        if stale:
            print(
                f"{', '.join(stale)} not current with {args.results}: run `python -m bench.tables`",
                file=sys.stderr,
            )
            return 1
        print("docs current with the benchmark results")
        return 0
    args.docs.write_text(text, encoding="utf-8")
    if picture is None:
        args.svg.unlink(missing_ok=True)
    else:
        args.svg.parent.mkdir(parents=True, exist_ok=True)
        args.svg.write_text(picture, encoding="utf-8")
    print(f"updated {', '.join(stale) or 'nothing (already current)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
