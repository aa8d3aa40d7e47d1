"""The masking key lives outside the checkout and the lakehouse."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse import secrets
from lakehouse.config import REPO_ROOT
from lakehouse.errors import ConfigError


@pytest.fixture
def no_key(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("LAKEHOUSE_MASKING_KEY", raising=False)
    monkeypatch.delenv("LAKEHOUSE_MASKING_KEY_FILE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr(secrets, "LEGACY_KEY_FILE", tmp_path / "repo" / "data" / "masking_key")
    return tmp_path


def test_the_default_key_file_is_in_the_users_config_folder(no_key):
    assert secrets.key_file() == no_key / "config" / "lakehouse" / "masking.key"
    key = secrets.masking_key()
    stored = no_key / "config" / "lakehouse" / "masking.key"
    assert len(key) == 64 and stored.read_text() == key
    assert stored.stat().st_mode & 0o777 == 0o600
    assert secrets.masking_key() == key  # the same key every time
    assert not secrets._inside(stored, REPO_ROOT)


def test_without_xdg_the_key_is_under_home_config(monkeypatch):
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    assert secrets.default_key_file() == Path.home() / ".config" / "lakehouse" / "masking.key"


def test_a_key_left_in_the_checkout_is_moved_out_not_replaced(no_key):
    legacy = secrets.LEGACY_KEY_FILE
    legacy.parent.mkdir(parents=True)
    legacy.write_text("the-old-key")
    assert secrets.masking_key() == "the-old-key"
    assert not legacy.exists()


@pytest.mark.parametrize("inside", ["repo", "lakehouse"])
def test_a_key_file_inside_the_repository_or_the_lakehouse_is_refused(no_key, monkeypatch, inside):
    root = no_key / "lake"
    monkeypatch.setenv("LAKEHOUSE_ROOT", str(root))
    folder = REPO_ROOT / "data" if inside == "repo" else root / "secrets"
    monkeypatch.setenv("LAKEHOUSE_MASKING_KEY_FILE", str(folder / "masking.key"))
    with pytest.raises(
        ConfigError, match=f"is inside the {'repository' if inside == 'repo' else 'lakehouse'}"
    ):
        secrets.masking_key()


def test_the_environment_wins(no_key, monkeypatch):
    monkeypatch.setenv("LAKEHOUSE_MASKING_KEY", "from-the-vault")
    assert secrets.masking_key() == "from-the-vault"
    assert not (no_key / "config").exists()
