"""Spark SQL -> DuckDB SQL: the rule expressions of ``conf/rules.toml`` and literals."""

from __future__ import annotations

import re
from datetime import date

_STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", re.DOTALL)
_PLACEHOLDER = re.compile(r"__lit(\d+)__")
_RLIKE = re.compile(r"\s+(NOT\s+)?(RLIKE|REGEXP)\s+", re.IGNORECASE)
_SPARK_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a"}


def _unescape_spark(body: str) -> str:
    """The value of a Spark SQL string literal's body (backslash escapes resolved)."""
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\" or i + 1 == len(body):
            out.append(char)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2 : i + 6]):
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
            continue
        if nxt in "%_":  # Spark keeps these escaped (LIKE patterns)
            out.append("\\" + nxt)
        else:
            out.append(_SPARK_ESCAPES.get(nxt, nxt))
        i += 2
    return "".join(out)


def sql_literal(value: str) -> str:
    """A DuckDB string literal holding ``value``."""
    return "'" + value.replace("'", "''") + "'"


def _operand_start(text: str, end: int) -> int:
    """Start of the operand ending at ``end``: a name, or a call / parenthesis."""
    i = end
    while i > 0 and text[i - 1].isspace():
        i -= 1
    if i > 0 and text[i - 1] == ")":
        depth = 0
        while i > 0:
            i -= 1
            if text[i] == ")":
                depth += 1
            elif text[i] == "(":
                depth -= 1
                if depth == 0:
                    break
        if depth != 0:
            raise ValueError(f"unbalanced parentheses in {text!r}")
    while i > 0 and (text[i - 1].isalnum() or text[i - 1] in '_."`'):
        i -= 1
    return i


def _operand_end(text: str, start: int) -> int:
    match = re.match(r"__lit\d+__|[\w.\"`]+(\([^()]*\))?", text[start:])
    if not match:
        raise ValueError(f"cannot read the pattern of RLIKE in {text!r}")
    return start + match.end()


def spark_sql_to_duckdb(expr: str) -> str:
    """Translate a rule SQL expression from Spark's dialect to DuckDB's.

    Handles what differs for the expressions rules use: string literals (Spark
    resolves backslash escapes, DuckDB does not), ``a [NOT] RLIKE|REGEXP p`` ->
    ``[NOT] regexp_matches(a, p)`` (both search, Java regex vs RE2), backquoted
    identifiers and ``==``. ``regexp_extract``, ``upper``, ``coalesce``, ``IN``,
    arithmetic and comparisons are the same in both and pass through.
    """
    literals: list[str] = []

    def stash(match: re.Match[str]) -> str:
        literals.append(_unescape_spark(match.group(0)[1:-1]))
        return f"__lit{len(literals) - 1}__"

    text = _STRING_LITERAL.sub(stash, expr)
    text = re.sub(r"`([^`]*)`", r'"\1"', text).replace("==", "=")
    while match := _RLIKE.search(text):
        left_start = _operand_start(text, match.start())
        right_end = _operand_end(text, match.end())
        left = text[left_start : match.start()].strip()
        pattern = text[match.end() : right_end]
        call = f"regexp_matches({left}, {pattern})"
        if match.group(1):
            call = f"(NOT {call})"
        text = text[:left_start] + call + text[right_end:]
    return _PLACEHOLDER.sub(lambda m: sql_literal(literals[int(m.group(1))]), text)


def sql_double(value: float) -> str:
    """A DuckDB DOUBLE literal holding ``value`` exactly as Python prints it."""
    return f"CAST('{value!r}' AS DOUBLE)"


def sql_date(value: date) -> str:
    """A DuckDB DATE literal."""
    return f"DATE '{value.isoformat()}'"
