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
from lakehouse.feed_formats import FeedFormat, feed_formats, layout_feeds

REPO_ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = REPO_ROOT / "conf"
DEFAULT_CONF = CONF_DIR / "lakehouse.toml"
ENV_PREFIX = "LAKEHOUSE__"


@dataclass(frozen=True)
class StorageSettings:
    """Where the lakehouse lives. ``gold_root``, when set, is the root of the gold layer
    alone (a rule preview writes its gold into a scratch root and reads silver from
    ``root``); empty: gold lives under ``root`` like the other layers."""

    root: str
    landing: str
    archive: str
    gold_root: str = ""

    def root_of(self, layer: str) -> str:
        return self.gold_root if layer == "gold" and self.gold_root else self.root

    def table_path(self, layer: str, table: str) -> str:
        """Location of a Delta table: ``<root>/<layer>/<table>`` (see :mod:`lakehouse.storage`)."""
        from lakehouse.storage import table_location

        return table_location(self.root_of(layer), layer, table)

    def locate(self, qualified: str, default_layer: str | None = None) -> str:
        """Location of ``layer.table`` (a bare name takes ``default_layer``)."""
        from lakehouse.storage import locate, parse_table_name

        layer, _ = parse_table_name(qualified, default_layer)
        return locate(self.root_of(layer), qualified, default_layer)


@dataclass(frozen=True)
class SparkSettings:
    master: str
    driver_memory: str
    shuffle_partitions: int
    jars_dir: str
    log_level: str
    executor_memory: str
    executor_cores: int
    executor_python: str
    allow_local_root: bool

    @property
    def is_local(self) -> bool:
        """True when driver and executors are one JVM on this machine (``local[...]``)."""
        return self.master == "local" or self.master.startswith("local[")


@dataclass(frozen=True)
class S3Settings:
    endpoint_url: str
    region: str


@dataclass(frozen=True)
class LeaseSettings:
    """The one-writer lease (:mod:`lakehouse.lease`): how long a second writer waits,
    how often the holder renews, and after how many missed renewals it is stale."""

    wait_seconds: float
    heartbeat_seconds: float
    stale_after_heartbeats: int

    @property
    def stale_seconds(self) -> float:
        return self.heartbeat_seconds * self.stale_after_heartbeats


@dataclass(frozen=True)
class FeedSettings:
    name: str
    format: str
    timezone: str
    partner: str
    family: str  # the format's bronze column family (lakehouse.feed_formats)


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
    lease: LeaseSettings
    refine_lookback_days: int
    reconcile_window_days: int
    reconcile_from_close: bool
    aging_buckets: tuple[tuple[str, int, int | None], ...]
    audit_window_days: int
    feeds: Mapping[str, FeedSettings]
    source: Path
    queue: QueueSettings
    partner_layouts: Path = Path()

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
        self.read: set[str] = set()  # the environment keys that can override a setting

    def _raw(self, section: str, key: str) -> Any:
        self.read.add(_env_key(section, key))
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
            raise ConfigError(
                f"[{section}] {key} must be >= {minimum}, got {number} "
                f"(from {self.source} or {_env_key(section, key)})"
            )
        return number

    def seconds(self, section: str, key: str, *, minimum: float = 0.0) -> float:
        value = self._raw(section, key)
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if not number >= minimum:  # also rejects NaN
            raise ConfigError(
                f"[{section}] {key} must be a number of seconds >= {minimum}, got {value!r} "
                f"(from {self.source} or {_env_key(section, key)})"
            )
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


def _zone(section: str, zone: str) -> str:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"[{section}] timezone {zone!r} is not an IANA zone such as 'Europe/Amsterdam'"
        ) from None
    return zone


def _feeds(doc: Mapping[str, Any], reader: _Reader, layouts: Path) -> dict[str, FeedSettings]:
    """The ``[feeds.*]`` tables in order, then one feed per partner layout no feed names."""
    formats = feed_formats(layouts)
    feeds: dict[str, FeedSettings] = {}
    for name in doc.get("feeds", {}):
        section = f"feeds.{name}"
        fmt = _format(formats, reader.text(section, "format"), section, layouts)
        zone = _zone(section, reader.text(section, "timezone"))
        partner = doc["feeds"][name].get("partner", "")
        feeds[name] = FeedSettings(name, fmt.name, zone, partner, fmt.family)
    named = {feed.format for feed in feeds.values()}
    for implied in layout_feeds(layouts):
        if implied.name in named:
            continue
        if implied.name in feeds:
            raise ConfigError(
                f"partner layout {implied.name!r} of {layouts} has no feed, and feed "
                f"{implied.name!r} in {reader.source} reads another format; add a "
                f'[feeds.<name>] table with format = "{implied.name}"'
            )
        zone = _zone(f"layouts.{implied.name}", implied.timezone)
        fmt = formats[implied.name]
        feeds[implied.name] = FeedSettings(implied.name, fmt.name, zone, fmt.name, fmt.family)
    if not feeds:
        raise ConfigError(f"no [feeds.*] tables in {reader.source}; at least one feed is needed")
    return feeds


def _format(
    formats: Mapping[str, FeedFormat], name: str, section: str, layouts: Path
) -> FeedFormat:
    if name not in formats:
        raise ConfigError(
            f"[{section}] format {name!r} is unknown; use one of {sorted(formats)} "
            f"(partner layouts come from {layouts})"
        )
    return formats[name]


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
    layouts = Path(_resolve_local(reader.text("partners", "layouts")))
    settings = Settings(
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
            executor_memory=reader.text("spark", "executor_memory"),
            executor_cores=reader.integer("spark", "executor_cores", minimum=0),
            executor_python=reader.text("spark", "executor_python"),
            allow_local_root=reader.boolean("spark", "allow_local_root"),
        ),
        s3=S3Settings(
            endpoint_url=reader.text("s3", "endpoint_url"),
            region=reader.text("s3", "region"),
        ),
        lease=LeaseSettings(
            wait_seconds=reader.seconds("lease", "wait_seconds"),
            heartbeat_seconds=reader.seconds("lease", "heartbeat_seconds", minimum=0.05),
            stale_after_heartbeats=reader.integer("lease", "stale_after_heartbeats", minimum=2),
        ),
        refine_lookback_days=reader.integer("refine", "lookback_days", minimum=0),
        reconcile_window_days=reader.integer("reconcile", "window_days", minimum=1),
        reconcile_from_close=reader.boolean("reconcile", "from_close"),
        aging_buckets=_buckets(reader),
        audit_window_days=reader.integer("maintenance", "audit_window_days", minimum=1),
        feeds=_feeds(doc, reader, layouts),
        source=source,
        queue=_queue(doc, reader),
        partner_layouts=layouts,
    )
    _check_overrides(env, reader)
    return settings


def _check_overrides(env: Mapping[str, str], reader: _Reader) -> None:
    """An override that names no setting (a typo) fails instead of being ignored."""
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX) or name in reader.read:
            continue
        section = name.removeprefix(ENV_PREFIX).partition("__")[0].lower()
        same = sorted(k for k in reader.read if k.startswith(f"{ENV_PREFIX}{section.upper()}__"))
        hint = f"settings of [{section}]: {', '.join(same)}" if same else "no such section"
        raise ConfigError(
            f"environment variable {name} names no setting of {reader.source} ({hint}); "
            "fix its name or unset it"
        )
