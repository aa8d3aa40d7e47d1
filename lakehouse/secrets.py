"""Secrets come from the environment or a file outside the checkout, never from conf/.

The masking key keys the hashes that replace account numbers and counterparty names
in silver (docs/security.md has the threat model). ``LAKEHOUSE_MASKING_KEY`` wins;
else the file ``LAKEHOUSE_MASKING_KEY_FILE`` names, by default
``$XDG_CONFIG_HOME/lakehouse/masking.key`` (``~/.config/lakehouse/masking.key``): outside
the repository and the lakehouse, so neither a commit nor a copy of the tables carries
it. A key file inside the repository is refused.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path

from lakehouse.config import REPO_ROOT
from lakehouse.errors import ConfigError

log = logging.getLogger(__name__)

# where the key file used to be created: moved out on first use, so masked values stay
LEGACY_KEY_FILE = REPO_ROOT / "data" / "secrets" / "masking_key"


def default_key_file(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    config = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "lakehouse" / "masking.key"


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def key_file(env: Mapping[str, str] | None = None) -> Path:
    """The masking key's file (whether it exists or not)."""
    env = os.environ if env is None else env
    named = env.get("LAKEHOUSE_MASKING_KEY_FILE")
    path = Path(named).expanduser() if named else default_key_file(env)
    if _inside(path, REPO_ROOT):
        raise ConfigError(
            f"LAKEHOUSE_MASKING_KEY_FILE {path} is inside the repository {REPO_ROOT}: a key "
            f"there ends up in copies and commits; move it outside, e.g. to {default_key_file(env)}"
        )
    root = env.get("LAKEHOUSE_ROOT")
    if root and "://" not in root and _inside(path, Path(root)):
        raise ConfigError(
            f"LAKEHOUSE_MASKING_KEY_FILE {path} is inside the lakehouse {root}: whoever reads "
            "the tables would hold the key; move it outside"
        )
    return path


def masking_key() -> str:
    """The key of the keyed hashes that mask account numbers and names in silver.

    Created with a random key on first use so a fresh demo works (an older checkout's
    key under ``data/secrets/`` is moved out instead: the same key keeps the same
    masked values). Production sets ``LAKEHOUSE_MASKING_KEY`` from its secret store.
    """
    value = os.environ.get("LAKEHOUSE_MASKING_KEY")
    if value:
        return value
    path = key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        if LEGACY_KEY_FILE.exists() and not os.environ.get("LAKEHOUSE_MASKING_KEY_FILE"):
            shutil.move(str(LEGACY_KEY_FILE), path)
            log.warning("moved the masking key out of the repository to %s", path)
        else:
            path.write_text(secrets.token_hex(32), encoding="utf-8")
            log.warning(
                "created a new masking key in %s (set LAKEHOUSE_MASKING_KEY in production)", path
            )
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()
