"""``docs/tables.md``, generated from the tables' own :class:`TableSpec`.

Every module of ``lakehouse.bronze``, ``lakehouse.silver`` and ``lakehouse.gold`` that
holds a ``TableSpec`` is a table of the reference; the tables made per feed (bronze)
or per silver table (quarantines) are shown once, with ``<feed>`` / ``<table>`` in
their name. A table module's docstring describes it; silver tables also list their
expectations. ``lakehouse docs tables`` (or ``python -m lakehouse.table_docs``) writes
the file and ``--check`` fails when it is not current (a fast-lane test runs the same
comparison).

No Spark session is started: only the schemas are read.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from lakehouse.config import REPO_ROOT, FeedSettings
from lakehouse.constants import LAYERS
from lakehouse.io import TableSpec

DEFAULT_OUT = REPO_ROOT / "docs" / "tables.md"
COMMAND = "lakehouse docs tables"
FEED = "<feed>"
TABLE = "<table>"
EXPECTATIONS_LEGEND = (
    "Expectations, checked on every refined row (`drop`: the row goes to the quarantine; "
    "`warn`: counted in `silver._quality_metrics`; `fail`: the step stops before writing):"
)


@dataclass(frozen=True)
class TableDoc:
    spec: TableSpec
    about: str  # markdown paragraphs
    expectations: tuple[tuple[str, str, str], ...] = ()  # (name, SQL, action)
    written: str = ""  # the docstring of the module's write policy, ``write()``
    templated: bool = False  # one table per feed / per silver table

    @property
    def order(self) -> tuple[int, int, str]:
        """Layer, then its named tables, then the per-feed / per-table ones in the
        order they were made, then the bookkeeping (``_``) tables."""
        kind = 2 if self.spec.name.startswith("_") else int(self.templated)
        return (LAYERS.index(self.spec.layer), kind, "" if self.templated else self.spec.name)


def _modules(layer: str) -> list[ModuleType]:
    package = importlib.import_module(f"lakehouse.{layer}")
    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.ispkg)
    return [importlib.import_module(f"lakehouse.{layer}.{name}") for name in names]


_ROLE = re.compile(r":(?:class|func|mod|data|meth|attr):`~?([^`]+)`")
_LONG_IN_LIST = re.compile(r"IN \(('[^']*'(?:, '[^']*'){2})(?:, '[^']*'){6,}\)")


def _markdown(text: str) -> str:
    """reST inline markup of a docstring as markdown."""
    return _ROLE.sub(r"`\1`", text).replace("``", "`")


def _docstring(module: ModuleType) -> str:
    text = inspect.getdoc(module) or ""
    first, _, rest = text.partition("\n\n")
    # a table module's first line repeats its name ("silver.x: what it is")
    _, colon, summary = first.partition(": ")
    summary = summary if colon else first
    summary = summary[:1].upper() + summary[1:]
    return _markdown("\n\n".join(p for p in (summary, rest) if p).strip())


def _sql(condition: str) -> str:
    """An expectation's SQL for a table cell: long IN lists shortened, pipes escaped."""
    short = _LONG_IN_LIST.sub(r"IN (\1, ...)", condition)
    return short.replace("|", "\\|")


def _expectations(module: ModuleType) -> tuple[tuple[str, str, str], ...]:
    found = getattr(module, "EXPECTATIONS", ())
    return tuple((e.name, e.condition, e.action) for e in found)


def _write_policy(module: ModuleType) -> str:
    write = getattr(module, "write", None)
    return _markdown(" ".join((inspect.getdoc(write) or "").split())) if callable(write) else ""


def _specs_of(module: ModuleType) -> list[TableSpec]:
    return [value for value in vars(module).values() if isinstance(value, TableSpec)]


FAMILY_ABOUT = {
    "bank": "bank statements",
    "partner": "partner settlement reports",
    "ledger": "the ledger export",
    "manual_decisions": "operator decisions",
}


def _templated() -> list[TableDoc]:
    """The tables made per feed and per silver table, with placeholder names."""
    from lakehouse.bronze.tables import feed_table, quarantine_table
    from lakehouse.feed_formats import DEFAULT_LAYOUTS_PATH, FAMILIES, feed_formats
    from lakehouse.silver.refine import quarantine_spec

    formats = feed_formats(DEFAULT_LAYOUTS_PATH).values()
    docs: list[TableDoc] = []
    for family in FAMILIES:
        names = [f"`{fmt.name}`" for fmt in formats if fmt.family == family]
        feed = FeedSettings(f"<{family} feed>", family, "UTC", "", family)
        about = (
            f"One table per feed of {FAMILY_ABOUT.get(family, family)} (formats "
            f"{', '.join(names)}): one row per record of a landed file, as the file wrote "
            "it (strings), plus lineage. Append-only, exactly once per file content."
        )
        docs.append(TableDoc(feed_table(feed), about, templated=True))
    any_feed = FeedSettings(FEED, "ledger", "UTC", "", "ledger")
    docs.append(
        TableDoc(
            quarantine_table(any_feed),
            "Per feed: the records that could not be parsed, with the reason; "
            "rows read = rows in `bronze.<feed>` + rows here, for every file.",
            templated=True,
        )
    )
    placeholder = TableSpec(layer="silver", name=TABLE, schema=quarantine_table(any_feed).schema)
    docs.append(
        TableDoc(
            quarantine_spec(placeholder),
            "Per silver table: the rows an expectation with action `drop` removed, "
            "with the names of the rules they failed.",
            templated=True,
        )
    )
    return docs


def collect() -> list[TableDoc]:
    """Every table of the lakehouse, by layer, then name."""
    docs: list[TableDoc] = _templated()
    seen = {doc.spec.qualified_name for doc in docs}
    for layer in LAYERS:
        for module in _modules(layer):
            for spec in _specs_of(module):
                if spec.qualified_name in seen:
                    continue  # imported from another module
                seen.add(spec.qualified_name)
                own = module.__name__.rsplit(".", 1)[-1] == spec.name.lstrip("_")
                about = _docstring(module) if own else spec.description
                if own:
                    docs.append(TableDoc(spec, about, _expectations(module), _write_policy(module)))
                else:
                    docs.append(TableDoc(spec, about))
    return sorted(docs, key=lambda d: d.order)


def _type(data_type: object) -> str:
    simple = getattr(data_type, "simpleString", None)
    return str(simple() if callable(simple) else data_type)


def _names(columns: Iterable[str]) -> str:
    return ", ".join(f"`{c}`" for c in columns) or "none"


def render_table(doc: TableDoc) -> list[str]:
    spec = doc.spec
    lines = [f"### `{spec.qualified_name}`", ""]
    if doc.about:
        lines += [doc.about, ""]
    if doc.written:
        lines += [f"Write policy: {doc.written}", ""]
    lines += [
        f"Key: {_names(spec.keys)}. Partitioned by: {_names(spec.partition_by)}."
        + (f" Latest wins by: {_names(spec.sequence_by)}." if spec.sequence_by else ""),
        "",
        "| column | type | nullable |",
        "|---|---|---|",
    ]
    for f in spec.schema.fields:
        lines.append(f"| `{f.name}` | {_type(f.dataType)} | {'yes' if f.nullable else 'no'} |")
    if doc.expectations:
        lines += ["", EXPECTATIONS_LEGEND, ""]
        lines += ["| name | action | every good row satisfies |", "|---|---|---|"]
        for name, condition, action in doc.expectations:
            lines.append(f"| `{name}` | {action} | `{_sql(condition)}` |")
    return [*lines, ""]


def render(docs: Sequence[TableDoc]) -> str:
    lines = [
        "# Tables",
        "",
        f"<!-- Generated by `{COMMAND}` from the TableSpecs; do not edit by hand. -->",
        "",
        "Every table is a Delta table at `<root>/<layer>/<name>`. Columns starting with",
        "`_` record lineage and runs. Money is `decimal(18,2)`, positive = cash into our",
        "account; timestamps are UTC. See [architecture.md](architecture.md) for what each",
        "layer guarantees and [rules.md](rules.md) for states and reason codes.",
        "",
    ]
    for layer in LAYERS:
        in_layer = [d for d in docs if d.spec.layer == layer]
        lines += [f"## {layer.capitalize()}", ""]
        lines += [f"- [`{d.spec.qualified_name}`](#{_anchor(d.spec)})" for d in in_layer]
        lines.append("")
        for doc in in_layer:
            lines += render_table(doc)
    return "\n".join(lines).rstrip() + "\n"


def _anchor(spec: TableSpec) -> str:
    # GitHub's heading anchors: lower case, spaces as -, other punctuation but _ dropped
    name = spec.qualified_name.lower().replace(" ", "-")
    return "".join(c for c in name if c.isalnum() or c in "-_")


def update(out: Path = DEFAULT_OUT, *, check: bool = False) -> tuple[bool, str]:
    """Write ``out`` (or, with ``check``, compare it); (current, a one-line message)."""
    text = render(collect())
    if check:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            return False, f"{out} is not current; run `{COMMAND}`"
        return True, f"{out} is current"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return True, f"wrote {out}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="fail if the file is not current")
    args = parser.parse_args(argv)
    ok, message = update(args.out, check=args.check)
    print(message, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
