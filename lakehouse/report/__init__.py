"""``lakehouse report``: one self-contained, offline HTML page over the gold tables.

The page shows, for one as-of date (default: the latest date in ``gold.daily_summary``):

* a title with the as-of date and the generation time (UTC);
* headline numbers per leg: match rate (and its change since the previous as-of
  date), item counts per state and the open break amount per currency;
* **chart-aging**: stacked bars of the open items (PENDING, PARTIAL, EXCEPTION) per
  partner, one stack segment per aging bucket, from ``gold.aging``;
* **chart-match-rate**: one line per leg, the match rate over the as-of dates up to
  the chosen one, from ``gold.daily_summary``;
* **chart-exception-amount**: the open break amount (sum of ``absolute_amount`` of
  EXCEPTION and PARTIAL items) over the as-of dates, one line/area per currency
  (amounts in different currencies are never added up), from ``gold.aging``;
* the top 20 open breaks by absolute amount from ``gold.recon_exceptions``, each with
  its nearest candidate and the test it fails (``lakehouse.explain``).

Everything is in the one file: inline CSS, charts drawn here as inline SVG, and a tiny
inline script that only checks the charts were drawn (it sets ``data-rendered`` on
``<body>`` to ``ok`` or ``error:<message>``; the page is complete without it). There
are no external URLs at all and a Content-Security-Policy forbids any network access,
so the page works offline and can be mailed around. All data text is HTML-escaped.
Money is read as ``Decimal`` and summed as ``Decimal``; floats are used only for the
SVG geometry.

The gold tables are read without a JVM through :mod:`lakehouse.readers`. With a date,
``gold.aging`` and ``gold.recon_exceptions`` are read as the books closed on that date
(Delta time travel on the runs' recorded as-of dates, see :mod:`lakehouse.asof`).

Modules: ``data`` (reading and value coercion), ``fmt`` (text formatting), ``svg``
(chart building blocks), ``charts`` (the three charts), ``page`` (sections, styles and
the written file).
"""

from __future__ import annotations

from lakehouse.report.charts import (
    aging_chart,
    exception_amount_chart,
    exception_amount_series,
    line_chart,
    match_rate_chart,
)
from lakehouse.report.data import ReportData, load_report_data, top_breaks
from lakehouse.report.fmt import esc, fmt_int, fmt_money, fmt_rate
from lakehouse.report.page import page_head, render_report, write_page, write_report

__all__ = [
    "ReportData",
    "aging_chart",
    "esc",
    "exception_amount_chart",
    "exception_amount_series",
    "fmt_int",
    "fmt_money",
    "fmt_rate",
    "line_chart",
    "load_report_data",
    "match_rate_chart",
    "page_head",
    "render_report",
    "top_breaks",
    "write_page",
    "write_report",
]
