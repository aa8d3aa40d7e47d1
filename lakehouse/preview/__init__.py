"""Rule preview: replay a changed rule set over history and diff it against the gold
that ran (:func:`lakehouse.preview.run.run_preview`, ``lakehouse preview``)."""
