"""The one registry of feed formats: format name -> parser, bronze column family.

A feed in ``conf/lakehouse.toml`` names a format. Every format belongs to a family:
its bronze table has the family's columns (``lakehouse.bronze.formats.base``) and
refine types it into the family's silver tables (``SilverTable.family`` in
``lakehouse.silver.refine``). The built-in formats are listed here; every
``[layouts.<name>]`` table of the partner layouts file (``conf/partners.toml``) is a
format of the partner family, parsed by ``lakehouse.bronze.formats.partner_csv``.

This module is layer-neutral (no Spark, no parser imported): configuration validates
feed formats with it, bronze resolves parsers and columns with it, silver picks the
feeds of a table with it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakehouse.errors import ConfigError

__all__ = [
    "BANK",
    "BUILTIN_FORMATS",
    "DECISIONS",
    "DEFAULT_LAYOUTS_PATH",
    "FAMILIES",
    "LEDGER",
    "PARTNER",
    "PARTNER_CSV_MODULE",
    "FeedFormat",
    "LayoutFeed",
    "feed_formats",
    "layout_feeds",
]

DEFAULT_LAYOUTS_PATH = Path(__file__).resolve().parents[1] / "conf" / "partners.toml"

# Bronze column families (see lakehouse.bronze.formats.base for their columns).
BANK = "bank"  # bank statements: booked entries and balances
PARTNER = "partner"  # partner settlement reports
LEDGER = "ledger"  # the internal ledger export
DECISIONS = "manual_decisions"  # operator decisions landed by the CLI
FAMILIES: tuple[str, ...] = (BANK, PARTNER, LEDGER, DECISIONS)

PARTNER_CSV_MODULE = "lakehouse.bronze.formats.partner_csv"
_LAYOUT_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class FeedFormat:
    """One format a feed can name: its family and the module whose parser reads it."""

    name: str
    family: str
    module: str
    layout: bool = False  # a partner CSV layout of the layouts file


BUILTIN_FORMATS: tuple[FeedFormat, ...] = (
    FeedFormat("bai2", BANK, "lakehouse.bronze.formats.bai2"),
    FeedFormat("camt053", BANK, "lakehouse.bronze.formats.camt"),
    FeedFormat("camt054", BANK, "lakehouse.bronze.formats.camt"),
    FeedFormat("mt940", BANK, "lakehouse.bronze.formats.mt940"),
    FeedFormat("nacha", BANK, "lakehouse.bronze.formats.nacha"),
    FeedFormat("ledger", LEDGER, "lakehouse.bronze.formats.ledger"),
    FeedFormat("manual_decisions", DECISIONS, "lakehouse.bronze.formats.manual_decisions"),
)


@dataclass(frozen=True)
class LayoutFeed:
    """What a partner layout says about the feed that lands its reports."""

    name: str
    timezone: str


def _layout_tables(path: Path) -> Mapping[str, Any]:
    """The ``[layouts.<name>]`` tables of ``path`` (full validation is the parser's)."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read partner layouts: {exc.strerror or exc}; "
            "set [partners] layouts in conf/lakehouse.toml (or LAKEHOUSE__PARTNERS__LAYOUTS)"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    tables = document.get("layouts", {})
    if not isinstance(tables, dict):
        raise ConfigError(f"{path}: 'layouts' must be tables [layouts.<name>]")
    builtin = {fmt.name for fmt in BUILTIN_FORMATS}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [layouts] key {name!r}: must be a table")
        if not _LAYOUT_NAME.fullmatch(name):
            raise ConfigError(
                f"{path}: [layouts.{name}]: layout names are lower-case letters, digits and '_'"
            )
        if name in builtin:
            raise ConfigError(
                f"{path}: [layouts.{name}]: {name!r} is a built-in format; rename the layout"
            )
    return tables


def feed_formats(layouts: Path = DEFAULT_LAYOUTS_PATH) -> dict[str, FeedFormat]:
    """Every format by name: the built-in ones, then one per partner layout of ``layouts``."""
    formats = {fmt.name: fmt for fmt in BUILTIN_FORMATS}
    for name in _layout_tables(layouts):
        formats[name] = FeedFormat(name, PARTNER, PARTNER_CSV_MODULE, layout=True)
    return formats


def layout_feeds(layouts: Path = DEFAULT_LAYOUTS_PATH) -> list[LayoutFeed]:
    """The feed each partner layout implies (its name, and the ``timezone`` key, default
    UTC) when no ``[feeds.*]`` table of ``conf/lakehouse.toml`` names the layout."""
    feeds = []
    for name, table in _layout_tables(layouts).items():
        zone = table.get("timezone", "UTC")
        if not isinstance(zone, str):
            raise ConfigError(f"{layouts}: [layouts.{name}] timezone must be a string")
        feeds.append(LayoutFeed(name, zone))
    return feeds
