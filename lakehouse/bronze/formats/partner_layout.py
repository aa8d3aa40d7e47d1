"""Partner report layouts: the ``[layouts.<name>]`` tables of ``conf/partners.toml``.

:func:`load_layouts` reads and validates every layout of a file into a
:class:`CsvLayout` (a bad key raises ConfigError naming the file, the table and the
key); :func:`layouts_at` caches them per file for the process.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any

from lakehouse.bronze.formats.base import PARTNER_COLUMNS
from lakehouse.bronze.formats.csv_text import normalise_header
from lakehouse.errors import ConfigError
from lakehouse.feed_formats import DEFAULT_LAYOUTS_PATH

__all__ = [
    "CONTROL_GROSS_MINUS_FEES",
    "CONTROL_NONE",
    "FIELDS",
    "AmountRule",
    "CsvLayout",
    "ImpliedValue",
    "default_layouts",
    "layouts_at",
    "load_layouts",
]

CONTROL_GROSS_MINUS_FEES = "gross_minus_fees_equals_net"
CONTROL_NONE = "none"
_CONTROLS = (CONTROL_GROSS_MINUS_FEES, CONTROL_NONE)
_DECIMAL_SEPARATORS = (".", ",", "auto")
FIELDS = tuple(column for column in PARTNER_COLUMNS if column != "raw")


@dataclass(frozen=True)
class AmountRule:
    """How one amount field is computed: one column, credit - debit, or a sum of fields."""

    column: tuple[str, ...] = ()
    credit: tuple[str, ...] = ()
    debit: tuple[str, ...] = ()
    sum_of: tuple[str, ...] = ()

    @property
    def headers(self) -> tuple[str, ...]:
        return self.column + self.credit + self.debit


@dataclass(frozen=True)
class ImpliedValue:
    """A constant ``value`` for ``field`` when one of ``when_headers`` is present."""

    field: str
    value: str
    when_headers: tuple[str, ...]


@dataclass(frozen=True)
class CsvLayout:
    """Configuration of one partner report (see ``conf/partners.toml`` for the keys)."""

    name: str
    headers: tuple[tuple[str, tuple[str, ...]], ...]
    amounts: tuple[tuple[str, AmountRule], ...]
    title: str = ""
    delimiter: str = ","
    decimal_separator: str = "auto"
    control: str = CONTROL_GROSS_MINUS_FEES
    row_tolerance: Decimal = Decimal(0)
    fx_tolerance: Decimal = Decimal("0.01")
    payout_types: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    required_values: tuple[str, ...] = ()
    account_headers: tuple[str, ...] = ()
    known_headers: tuple[str, ...] = ()
    detect: tuple[tuple[str, ...], ...] = ()
    implied: tuple[ImpliedValue, ...] = ()

    def header_aliases(self) -> dict[str, tuple[str, ...]]:
        return dict(self.headers)

    def amount_rules(self) -> dict[str, AmountRule]:
        return dict(self.amounts)

    def mapped_fields(self) -> set[str]:
        return {name for name, _ in self.headers} | {name for name, _ in self.amounts}

    def matches_header(self, header: Iterable[str]) -> bool:
        """True when ``header`` contains every name of one of the ``detect`` sets."""
        present = {normalise_header(name) for name in header}
        return any(
            all(normalise_header(name) in present for name in names) for names in self.detect
        )


_LAYOUT_KEYS = frozenset(
    {
        "title",
        "delimiter",
        "decimal_separator",
        "control",
        "row_tolerance",
        "fx_tolerance",
        "payout_types",
        "required",
        "required_values",
        "account_headers",
        "known_headers",
        "detect",
        "headers",
        "amounts",
        "implied",
        "timezone",
    }
)
_NAME = re.compile(r"[a-z][a-z0-9_]*")


class _Config:
    """Reads typed values out of one TOML table, raising ConfigError naming file and key."""

    def __init__(self, source: Path, prefix: str, table: Mapping[str, Any]) -> None:
        self.source = source
        self.prefix = prefix
        self.table = table

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.source}: [{self.prefix}] key {key!r}: {problem}")

    def child(self, key: str) -> _Config:
        value = self.table.get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, "must be a table")
        return _Config(self.source, f"{self.prefix}.{key}", value)

    def text(self, key: str, default: str, choices: Sequence[str] = ()) -> str:
        value = self.table.get(key, default)
        if not isinstance(value, str):
            raise self.error(key, f"must be a string, got {value!r}")
        if choices and value not in choices:
            raise self.error(key, f"must be one of {', '.join(map(repr, choices))}")
        return value

    def names(self, key: str, default: Sequence[str] = ()) -> tuple[str, ...]:
        value = self.table.get(key, list(default))
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(key, f"must be a list of non-empty strings, got {value!r}")
        return tuple(value)

    def decimal(self, key: str, default: str) -> Decimal:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.error(key, f'write it as a decimal string such as "0.01", got {value!r}')
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise self.error(key, f"{value!r} is not a decimal") from None
        if not number.is_finite() or number < 0:
            raise self.error(key, f"must be a decimal >= 0, got {value!r}")
        return number

    def fields(self, key: str, allowed: Iterable[str]) -> tuple[str, ...]:
        names = self.names(key)
        allowed_set = set(allowed)
        for name in names:
            if name not in allowed_set:
                raise self.error(key, f"unknown field {name!r}; use one of {sorted(allowed_set)}")
        return names


def load_layouts(path: Path) -> dict[str, CsvLayout]:
    """All ``[layouts.<name>]`` tables of the TOML file ``path``; ConfigError if one is bad."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read partner layouts: {exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    unknown = sorted(set(document) - {"layouts"})
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key {unknown[0]!r}; only [layouts.<name>]")
    tables = document.get("layouts")
    if not isinstance(tables, dict) or not tables:
        raise ConfigError(f"{path}: no [layouts.<name>] table; add one per partner report")
    return {
        name: _layout(_Config(path, f"layouts.{name}", table), name)
        for name, table in tables.items()
    }


def _layout(config: _Config, name: str) -> CsvLayout:
    if not isinstance(config.table, dict):
        raise ConfigError(f"{config.source}: [layouts] key {name!r}: must be a table")
    if not _NAME.fullmatch(name):
        raise config.error(name, "layout names are lower-case letters, digits and '_'")
    unknown = sorted(set(config.table) - _LAYOUT_KEYS)
    if unknown:
        raise config.error(
            unknown[0], f"unknown key; known keys: {', '.join(sorted(_LAYOUT_KEYS))}"
        )
    layout = CsvLayout(
        name=name,
        headers=_header_aliases(config.child("headers")),
        amounts=_amount_rules(config.child("amounts")),
        title=config.text("title", ""),
        delimiter=_delimiter(config),
        decimal_separator=config.text("decimal_separator", "auto", _DECIMAL_SEPARATORS),
        control=config.text("control", CONTROL_GROSS_MINUS_FEES, _CONTROLS),
        row_tolerance=config.decimal("row_tolerance", "0"),
        fx_tolerance=config.decimal("fx_tolerance", "0.01"),
        payout_types=config.names("payout_types"),
        required=config.fields("required", FIELDS),
        required_values=config.fields("required_values", FIELDS),
        account_headers=config.names("account_headers"),
        known_headers=config.names("known_headers"),
        detect=_detect_sets(config),
        implied=_implied(config),
    )
    _check_consistency(config, layout)
    return layout


def _delimiter(config: _Config) -> str:
    delimiter = config.text("delimiter", ",")
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise config.error("delimiter", f"must be one character (not a quote), got {delimiter!r}")
    return delimiter


def _header_aliases(config: _Config) -> tuple[tuple[str, tuple[str, ...]], ...]:
    aliases = []
    for field in config.table:
        if field not in FIELDS:
            raise config.error(field, f"not a partner column; use one of {list(FIELDS)}")
        aliases.append((field, config.names(field)))
    return tuple(aliases)


def _amount_rules(config: _Config) -> tuple[tuple[str, AmountRule], ...]:
    rules = []
    for field in config.table:
        if field not in FIELDS:
            raise config.error(field, f"not a partner column; use one of {list(FIELDS)}")
        rules.append((field, _amount_rule(config.child(field))))
    return tuple(rules)


def _amount_rule(config: _Config) -> AmountRule:
    keys = frozenset(config.table)
    shapes = {frozenset({"column"}), frozenset({"credit", "debit"}), frozenset({"sum"})}
    if keys not in shapes:
        raise ConfigError(
            f"{config.source}: [{config.prefix}]: write exactly one of "
            "{ column = [...] }, { credit = [...], debit = [...] }, { sum = [...] }"
        )
    return AmountRule(
        column=config.names("column"),
        credit=config.names("credit"),
        debit=config.names("debit"),
        sum_of=config.names("sum"),
    )


def _detect_sets(config: _Config) -> tuple[tuple[str, ...], ...]:
    value = config.table.get("detect", [])
    if not isinstance(value, list):
        raise config.error("detect", "must be a list of header-name lists")
    sets = []
    for position, names in enumerate(value):
        if not isinstance(names, list) or not names:
            raise config.error("detect", f"entry {position} must be a non-empty list of names")
        sets.append(_Config(config.source, config.prefix, {"detect": names}).names("detect"))
    return tuple(sets)


def _implied(config: _Config) -> tuple[ImpliedValue, ...]:
    value = config.table.get("implied", [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise config.error("implied", "must be an array of tables [[layouts.<name>.implied]]")
    implied = []
    for position, item in enumerate(value):
        entry = _Config(config.source, f"{config.prefix}.implied[{position}]", item)
        unknown = sorted(set(item) - {"field", "value", "when_headers"})
        if unknown:
            raise entry.error(unknown[0], "unknown key; use field, value, when_headers")
        field = entry.fields("field", FIELDS)
        if len(field) != 1:
            raise entry.error("field", "must name exactly one partner column")
        implied.append(ImpliedValue(field[0], entry.text("value", ""), entry.names("when_headers")))
    return tuple(implied)


def _check_consistency(config: _Config, layout: CsvLayout) -> None:
    headers, rules = layout.header_aliases(), layout.amount_rules()
    both = sorted(set(headers) & set(rules))
    if both:
        raise config.error(both[0], "is mapped under both [headers] and [amounts]; keep one")
    for field, rule in rules.items():
        for part in rule.sum_of:
            if part not in rules or rules[part].sum_of:
                raise config.error(
                    f"amounts.{field}", f"sums {part!r}, which needs its own column rule"
                )
    for key in ("required", "required_values"):
        for field in getattr(layout, key):
            if field not in layout.mapped_fields():
                raise config.error(key, f"{field!r} has no [headers] or [amounts] mapping")
    if layout.control == CONTROL_GROSS_MINUS_FEES:
        for field in ("gross_amount", "net_amount", "fee_amount"):
            if field not in rules:
                raise config.error("control", f"needs an [amounts] rule for {field!r}")


@functools.cache
def layouts_at(path: Path) -> Mapping[str, CsvLayout]:
    """The layouts of the file ``path`` (read once per process and path, read-only)."""
    return MappingProxyType(load_layouts(path))


def default_layouts() -> Mapping[str, CsvLayout]:
    """The layouts of ``conf/partners.toml``."""
    return layouts_at(DEFAULT_LAYOUTS_PATH)
