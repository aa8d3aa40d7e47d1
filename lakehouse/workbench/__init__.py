"""The operator workbench: the exception queue and its breaks in the browser.

Server-rendered HTML (Starlette + Jinja2, no script in the pages) over gold read
through ``deltalake``; forms record decisions exactly as the CLI does
(:func:`lakehouse.decisions.record_decisions`). ``lakehouse workbench`` serves it.
"""
