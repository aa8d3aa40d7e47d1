"""Secrets come from the environment (or a file outside the repository), never from conf/."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from lakehouse.config import REPO_ROOT

log = logging.getLogger(__name__)
DEFAULT_KEY_FILE = REPO_ROOT / "data" / "secrets" / "masking_key"


def masking_key() -> str:
    """The key of the keyed hashes that mask account numbers and names in silver.

    ``LAKEHOUSE_MASKING_KEY`` wins; else the file named by ``LAKEHOUSE_MASKING_KEY_FILE``
    (default ``data/secrets/masking_key``, git-ignored), created with a random key on
    first use so a fresh demo works. Production sets the variable from its secret store.
    """
    value = os.environ.get("LAKEHOUSE_MASKING_KEY")
    if value:
        return value
    path = Path(os.environ.get("LAKEHOUSE_MASKING_KEY_FILE") or DEFAULT_KEY_FILE)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
        log.warning(
            "created a new masking key in %s (set LAKEHOUSE_MASKING_KEY in production)", path
        )
    return path.read_text(encoding="utf-8").strip()
