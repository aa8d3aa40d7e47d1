"""Typed configuration, loaded once from ``conf/`` with environment overrides.

``load_settings()`` reads ``conf/lakehouse.toml`` (or the file named by
``LAKEHOUSE_CONF``), applies ``LAKEHOUSE_ROOT`` / ``LAKEHOUSE_LANDING`` and any
``LAKEHOUSE__<SECTION>__<KEY>`` variable, validates every value and returns frozen
dataclasses. A missing or bad value raises :class:`ConfigError` naming the key, the
file and the environment variable that sets it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lakehouse.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = REPO_ROOT / "conf"
DEFAULT_CONF = CONF_DIR / "lakehouse.toml"
ENV_PREFIX = "LAKEHOUSE__"


@dataclass(frozen=True)
class StorageSettings:
    root: str
    landing: str
    archive: str

    def table_path(self, layer: str, table: str) -> str:
        """Location of a Delta table: ``<root>/<layer>/<table>``."""
        return f"{self.root.rstrip('/')}/{layer}/{table}"


@dataclass(frozen=True)
class SparkSettings:
    master: str
    driver_memory: str
    shuffle_partitions: int
    jars_dir: str
    log_level: str


@dataclass(frozen=True)
class S3Settings:
    endpoint_url: str
    region: str


@dataclass(frozen=True)
class FeedSettings:
    name: str
    format: str
    timezone: str
    partner: str


@dataclass(frozen=True)
class SeverityLevel:
    """One severity of the exception queue: reached by an absolute amount (in the item's
    currency: ``amounts`` per currency, else ``amount``) or an age in hours; the last
    level has neither and takes every other break."""

    name: str
    sla_hours: int
    amount: Decimal | None = None
    amounts: Mapping[str, Decimal] | None = None
    age_hours: int | None = None

    def amount_for(self, currency: str) -> Decimal | None:
        return (self.amounts or {}).get(currency, self.amount)


@dataclass(frozen=True)
class QueueSettings:
    """``[queue]``: severity levels, most severe first."""

    levels: tuple[SeverityLevel, ...]

    def level(self, amount: Decimal, currency: str, age_hours: int) -> SeverityLevel:
        """The first level the break reaches (Python twin of the queue's Spark rule)."""
        for level in self.levels[:-1]:
            threshold = level.amount_for(currency)
            if (threshold is not None and abs(amount) >= threshold) or (
                level.age_hours is not None and age_hours >= level.age_hours
            ):
                return level
        return self.levels[-1]


@dataclass(frozen=True)
class Settings:
    storage: StorageSettings
    spark: SparkSettings
    s3: S3Settings
    refine_lookback_days: int
    reconcile_window_days: int
    reconcile_from_close: bool
    aging_buckets: tuple[tuple[str, int, int | None], ...]
    audit_window_days: int
    feeds: Mapping[str, FeedSettings]
    source: Path
    queue: QueueSettings

    def feed(self, name: str) -> FeedSettings:
        try:
            return self.feeds[name]
        except KeyError:
            known = ", ".join(sorted(self.feeds))
            raise ConfigError(
                f"feed {name!r} is not configured in {self.source}; known feeds: {known}"
            ) from None


def _env_key(section: str, key: str) -> str:
    return f"{ENV_PREFIX}{section.upper()}__{key.upper()}"


class _Reader:
    """Reads typed values from the TOML document, letting the environment win."""

    def __init__(self, doc: Mapping[str, Any], source: Path, env: Mapping[str, str]) -> None:
        self.doc = doc
        self.source = source
        self.env = env

    def _raw(self, section: str, key: str) -> Any:
        env_value = self.env.get(_env_key(section, key))
        if env_value is not None:
            return env_value
        node: Any = self.doc
        for part in section.split("."):
            node = node.get(part, {}) if isinstance(node, Mapping) else {}
        if not isinstance(node, Mapping) or key not in node:
            raise ConfigError(
                f"missing setting [{section}] {key} in {self.source}; "
                f"add it there or set {_env_key(section, key)}"
            )
        return node[key]

    def text(self, section: str, key: str) -> str:
        value = self._raw(section, key)
        if not isinstance(value, str):
            raise ConfigError(f"[{section}] {key} in {self.source} must be a string, got {value!r}")
        return value

    def boolean(self, section: str, key: str) -> bool:
        value = self._raw(section, key)
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
        raise ConfigError(
            f"[{section}] {key} must be true or false, got {value!r} "
            f"(from {self.source} or {_env_key(section, key)})"
        )

    def integer(self, section: str, key: str, *, minimum: int = 0) -> int:
        value = self._raw(section, key)
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ConfigError(
                f"[{section}] {key} must be an integer, got {value!r} "
                f"(from {self.source} or {_env_key(section, key)})"
            ) from None
        if number < minimum:
            raise ConfigError(f"[{section}] {key} must be >= {minimum}, got {number}")
        return number


def _resolve_local(path: str) -> str:
    """Relative local paths are anchored at the repository root; URIs pass through."""
    if "://" in path or not path:
        return path
    candidate = Path(path)
    return str(candidate if candidate.is_absolute() else (REPO_ROOT / candidate).resolve())


def parse_bucket(spec: str) -> tuple[str, int, int | None]:
    """``"2-7"`` -> ("2-7", 2, 7); ``"91+"`` -> ("91+", 91, None)."""
    try:
        if spec.endswith("+"):
            return spec, int(spec[:-1]), None
        low, high = spec.split("-")
        if int(low) > int(high):
            raise ValueError
        return spec, int(low), int(high)
    except ValueError:
        raise ConfigError(
            f"aging bucket {spec!r} is not 'LOW-HIGH' or 'LOW+' "
            "([reconcile] aging_buckets in conf/lakehouse.toml)"
        ) from None


def _buckets(reader: _Reader) -> tuple[tuple[str, int, int | None], ...]:
    raw = reader._raw("reconcile", "aging_buckets")
    specs = raw.split(",") if isinstance(raw, str) else list(raw)
    buckets = tuple(parse_bucket(str(s).strip()) for s in specs)
    expected_low = 0
    for label, low, high in buckets:
        if low != expected_low:
            raise ConfigError(
                f"aging buckets must be contiguous from 0; bucket {label!r} starts at {low}, "
                f"expected {expected_low}"
            )
        expected_low = (high + 1) if high is not None else -1
    if buckets[-1][2] is not None:
        raise ConfigError("the last aging bucket must be open-ended, e.g. '91+'")
    return buckets


def _money_setting(section: str, key: str, value: Any) -> Decimal:
    # money is never a float, not even in configuration
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConfigError(
            f"[{section}] {key} must be an amount written as a string or integer, "
            f'e.g. "100000", got {value!r}'
        )
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
        raise ConfigError(f"[{section}] {key} must be a non-negative amount, got {value!r}")
    return amount


def _severity_level(
    doc: Mapping[str, Any], reader: _Reader, name: str, last: bool
) -> SeverityLevel:
    section = f"queue.{name}"
    sla = reader.integer(section, "sla_hours", minimum=1)
    if last:
        return SeverityLevel(name, sla)
    amounts = doc.get("queue", {}).get(name, {}).get("amounts", {})
    if not isinstance(amounts, Mapping):
        raise ConfigError(f'[{section}] amounts must be a table such as {{ JPY = "15000000" }}')
    return SeverityLevel(
        name,
        sla,
        amount=_money_setting(section, "amount", reader._raw(section, "amount")),
        amounts={
            str(ccy).upper(): _money_setting(section, f"amounts.{ccy}", v)
            for ccy, v in amounts.items()
        },
        age_hours=reader.integer(section, "age_hours", minimum=0),
    )


def _queue(doc: Mapping[str, Any], reader: _Reader) -> QueueSettings:
    raw = reader._raw("queue", "levels")
    names = [n.strip() for n in raw.split(",")] if isinstance(raw, str) else list(raw)
    if not names or len(set(names)) != len(names) or not all(isinstance(n, str) for n in names):
        raise ConfigError(
            f"[queue] levels in {reader.source} must list distinct level names, most severe "
            f'first, e.g. ["critical", "high", "medium", "low"]; got {raw!r}'
        )
    levels = tuple(
        _severity_level(doc, reader, name, i == len(names) - 1) for i, name in enumerate(names)
    )
    return QueueSettings(levels)


def _feeds(doc: Mapping[str, Any], reader: _Reader) -> dict[str, FeedSettings]:
    from lakehouse.bronze.formats import PARSER_MODULES

    feeds: dict[str, FeedSettings] = {}
    for name in doc.get("feeds", {}):
        section = f"feeds.{name}"
        fmt = reader.text(section, "format")
        if fmt not in PARSER_MODULES:
            raise ConfigError(
                f"[{section}] format {fmt!r} is unknown; use one of {sorted(PARSER_MODULES)}"
            )
        zone = reader.text(section, "timezone")
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"[{section}] timezone {zone!r} is not an IANA zone such as 'Europe/Amsterdam'"
            ) from None
        partner = doc["feeds"][name].get("partner", "")
        feeds[name] = FeedSettings(name=name, format=fmt, timezone=zone, partner=partner)
    if not feeds:
        raise ConfigError(f"no [feeds.*] tables in {reader.source}; at least one feed is needed")
    return feeds


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Load and validate the configuration; see the module docstring."""
    env = os.environ if env is None else env
    source = Path(path or env.get("LAKEHOUSE_CONF") or DEFAULT_CONF)
    try:
        doc = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"configuration file {source} not found; set LAKEHOUSE_CONF to its path"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}") from None
    reader = _Reader(doc, source, env)
    root = env.get("LAKEHOUSE_ROOT") or reader.text("storage", "root")
    landing = env.get("LAKEHOUSE_LANDING") or reader.text("storage", "landing")
    return Settings(
        storage=StorageSettings(
            root=_resolve_local(root),
            landing=_resolve_local(landing),
            archive=_resolve_local(reader.text("storage", "archive")),
        ),
        spark=SparkSettings(
            master=reader.text("spark", "master"),
            driver_memory=reader.text("spark", "driver_memory"),
            shuffle_partitions=reader.integer("spark", "shuffle_partitions", minimum=1),
            jars_dir=_resolve_local(reader.text("spark", "jars_dir")),
            log_level=reader.text("spark", "log_level"),
        ),
        s3=S3Settings(
            endpoint_url=reader.text("s3", "endpoint_url"),
            region=reader.text("s3", "region"),
        ),
        refine_lookback_days=reader.integer("refine", "lookback_days", minimum=0),
        reconcile_window_days=reader.integer("reconcile", "window_days", minimum=1),
        reconcile_from_close=reader.boolean("reconcile", "from_close"),
        aging_buckets=_buckets(reader),
        audit_window_days=reader.integer("maintenance", "audit_window_days", minimum=1),
        feeds=_feeds(doc, reader),
        source=source,
        queue=_queue(doc, reader),
    )
