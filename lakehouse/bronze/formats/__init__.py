"""Feed parsers: one module per file format, all pure ``bytes -> ParsedFile``.

``get_parser(name)`` returns the ``parse`` function of a format by its name as used
in ``conf/lakehouse.toml`` feeds and by ``lakehouse inspect``; which formats exist is
:mod:`lakehouse.feed_formats`' (built-in formats plus one per partner layout).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from lakehouse.bronze.formats.base import ParsedFile
from lakehouse.errors import ConfigError
from lakehouse.feed_formats import DEFAULT_LAYOUTS_PATH, feed_formats

__all__ = ["Parser", "get_parser"]

Parser = Callable[[bytes, str], ParsedFile]


def get_parser(name: str, layouts: Path = DEFAULT_LAYOUTS_PATH) -> Parser:
    """The parse function for format ``name``; ConfigError names the known formats.

    ``layouts`` is the partner layouts file (``Settings.partner_layouts``).
    """
    formats = feed_formats(layouts)
    fmt = formats.get(name)
    if fmt is None:
        known = ", ".join(sorted(formats))
        raise ConfigError(f"unknown feed format {name!r}; use one of: {known}")
    module = importlib.import_module(fmt.module)
    if fmt.layout:
        return module.parser_for(name, layouts)  # type: ignore[no-any-return]
    return module.parse  # type: ignore[no-any-return]
