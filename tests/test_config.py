from __future__ import annotations

import os

import pytest

from lakehouse.config import load_settings
from lakehouse.errors import ConfigError


def test_defaults_and_env_overrides():
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHOUSE")}
    settings = load_settings(env=env)
    assert settings.storage.root.endswith("data/lakehouse")
    assert settings.storage.landing.endswith("data/landing")
    assert settings.storage.table_path("gold", "aging").endswith("data/lakehouse/gold/aging")
    env.update(
        LAKEHOUSE_ROOT="/tmp/elsewhere",
        LAKEHOUSE__SPARK__SHUFFLE_PARTITIONS="8",
        LAKEHOUSE__SPARK__MASTER="spark://host:7077",
    )
    settings = load_settings(env=env)
    assert settings.storage.root == "/tmp/elsewhere"
    assert settings.spark.shuffle_partitions == 8
    assert settings.spark.master == "spark://host:7077"
    assert [b[0] for b in settings.aging_buckets] == ["0-1", "2-7", "8-30", "31-60", "61-90", "91+"]


def test_bad_value_names_key_and_variable():
    with pytest.raises(
        ConfigError, match=r"shuffle_partitions.*LAKEHOUSE__SPARK__SHUFFLE_PARTITIONS"
    ):
        load_settings(env={"LAKEHOUSE__SPARK__SHUFFLE_PARTITIONS": "many"})


def test_missing_key_says_what_to_set(tmp_path):
    conf = tmp_path / "lakehouse.toml"
    conf.write_text('[storage]\nroot = "x"\n')
    with pytest.raises(
        ConfigError, match=r"missing setting \[storage\] landing.*LAKEHOUSE__STORAGE__LANDING"
    ):
        load_settings(conf, env={})


def test_bad_bucket_and_timezone(tmp_path):
    text = (load_settings.__globals__["DEFAULT_CONF"]).read_text()
    conf = tmp_path / "lakehouse.toml"
    conf.write_text(text.replace('"2-7", "8-30"', '"2-9", "8-30"'))
    with pytest.raises(ConfigError, match="contiguous"):
        load_settings(conf, env={})
    conf.write_text(text.replace('timezone = "UTC"', 'timezone = "Mars/Olympus"', 1))
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        load_settings(conf, env={})


def test_audit_window_from_file_and_env(tmp_path):
    text = (load_settings.__globals__["DEFAULT_CONF"]).read_text()
    assert load_settings(env={}).audit_window_days == 30
    conf = tmp_path / "lakehouse.toml"
    conf.write_text(text.replace("audit_window_days = 30", "audit_window_days = 45"))
    assert load_settings(conf, env={}).audit_window_days == 45
    env = {"LAKEHOUSE__MAINTENANCE__AUDIT_WINDOW_DAYS": "60"}
    assert load_settings(conf, env=env).audit_window_days == 60


@pytest.mark.parametrize("bad", ["0", "-3", "thirty", "1.5"])
def test_audit_window_rejects_bad_values(bad):
    env = {"LAKEHOUSE__MAINTENANCE__AUDIT_WINDOW_DAYS": bad}
    with pytest.raises(ConfigError, match="audit_window_days"):
        load_settings(env=env)


def test_queue_severity_levels_from_conf():
    from decimal import Decimal

    queue = load_settings(env={}).queue
    assert [(lv.name, lv.sla_hours) for lv in queue.levels] == [
        ("critical", 24),
        ("high", 72),
        ("medium", 120),
        ("low", 168),
    ]
    critical = queue.levels[0]
    assert (critical.amount, critical.age_hours) == (Decimal("100000"), 120)
    assert critical.amount_for("JPY") == Decimal("15000000")
    assert critical.amount_for("EUR") == Decimal("100000")
    assert queue.level(Decimal("-100000.00"), "EUR", 0).name == "critical"
    assert queue.level(Decimal("99999.99"), "EUR", 0).name == "high"
    assert queue.level(Decimal("200000"), "JPY", 0).name == "medium"
    assert queue.level(Decimal("5"), "EUR", 71).name == "medium"
    assert queue.level(Decimal("5"), "EUR", 119).name == "high"
    assert queue.level(Decimal("5"), "EUR", 120).name == "critical"
    assert queue.level(Decimal("999.99"), "USD", 23).name == "low"


def test_queue_levels_missing_or_bad_say_what_to_set(tmp_path):
    text = (load_settings.__globals__["DEFAULT_CONF"]).read_text()
    conf = tmp_path / "lakehouse.toml"
    conf.write_text(text.replace("age_hours = 72\n", "", 1))
    with pytest.raises(ConfigError, match=r"missing setting \[queue.high\] age_hours"):
        load_settings(conf, env={})
    conf.write_text(text.replace('amount = "10000"', "amount = 10000.5", 1))
    with pytest.raises(ConfigError, match=r"\[queue.high\] amount must be an amount written as"):
        load_settings(conf, env={})
    conf.write_text(text.replace('levels = ["critical", "high", "medium", "low"]', "levels = []"))
    with pytest.raises(ConfigError, match=r"\[queue\] levels .* must list distinct level names"):
        load_settings(conf, env={})
    conf.write_text(text.replace("[queue.low]\nsla_hours = 168\n", ""))
    with pytest.raises(ConfigError, match=r"missing setting \[queue.low\] sla_hours"):
        load_settings(conf, env={})
