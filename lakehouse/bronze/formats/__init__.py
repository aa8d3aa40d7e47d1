"""Feed parsers: one module per file format, all pure ``bytes -> ParsedFile``.

``get_parser(name)`` returns the ``parse`` function of a format by its name as used
in ``conf/lakehouse.toml`` feeds and by ``lakehouse inspect``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from lakehouse.bronze.formats.base import ParsedFile
from lakehouse.errors import ConfigError

Parser = Callable[[bytes, str], ParsedFile]

# format name -> module that defines ``parse(data, path)``
PARSER_MODULES: dict[str, str] = {
    "bai2": "lakehouse.bronze.formats.bai2",
    "camt053": "lakehouse.bronze.formats.camt",
    "camt054": "lakehouse.bronze.formats.camt",
    "mt940": "lakehouse.bronze.formats.mt940",
    "nacha": "lakehouse.bronze.formats.nacha",
    "adyen": "lakehouse.bronze.formats.partner_csv",
    "stripe": "lakehouse.bronze.formats.partner_csv",
    "ledger": "lakehouse.bronze.formats.ledger",
    "manual_decisions": "lakehouse.bronze.formats.manual_decisions",
}


def get_parser(name: str) -> Parser:
    """The parse function for format ``name``; ConfigError names the known formats."""
    module_name = PARSER_MODULES.get(name)
    if module_name is None:
        known = ", ".join(sorted(PARSER_MODULES))
        raise ConfigError(f"unknown feed format {name!r}; use one of: {known}")
    module = importlib.import_module(module_name)
    if name in ("adyen", "stripe"):
        return module.parser_for(name)  # type: ignore[no-any-return]
    return module.parse  # type: ignore[no-any-return]
