"""Benchmark of the daily pipeline: ``python -m bench.run`` (modes ``day``, ``curve``,
``month``, ``10m``), its DuckDB baseline, and ``python -m bench.tables`` (the results
in ``docs/performance.md``)."""
