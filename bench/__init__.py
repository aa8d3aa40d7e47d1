"""Benchmark of the daily pipeline (``python -m bench.run``) and its DuckDB baseline."""
