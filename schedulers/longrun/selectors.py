"""Marathon's label selectors for `GET /v2/apps?label=...` (PURE).

Syntax: terms joined by commas (AND): `k` (exists), `k==v`, `k!=v`, `k in (a, b)`, `k notin (a, b)`.
Backslash escapes a special character inside a key or value.
"""
from __future__ import annotations

import re
from typing import Callable, Mapping

from mesosframe.errors import ValidationError

Selector = Callable[[Mapping[str, str]], bool]
# A backslash always starts an escape (no character class takes one), so every text matches one way only:
# with the backslash in the classes too, a run of them could be split in exponentially many ways.
_TERM = re.compile(r"""^\s*(?P<key>(?:\\.|[^\\\s=!(),])+)\s*
    (?:(?P<op>==|!=)\s*(?P<value>(?:\\.|[^\\,()])*?)
      |\s(?P<setop>in|notin)\s*\((?P<values>(?:\\.|[^\\()])*)\))?\s*$""", re.VERBOSE)


class SelectorError(ValidationError):
    """A label selector that cannot be parsed."""


def parse_selector(text: str) -> Selector:
    """A predicate over an app's labels; raises SelectorError."""
    terms = [_term(t) for t in _split(text, ",")]
    return lambda labels: all(term(labels) for term in terms)


def _split(text: str, separator: str) -> list[str]:
    parts, current, depth, escaped = [], "", 0, False
    for char in text:
        if escaped:
            current, escaped = current + "\\" + char, False
        elif char == "\\":
            escaped = True
        elif char == separator and depth == 0:
            parts.append(current)
            current = ""
        else:
            depth += {"(": 1, ")": -1}.get(char, 0)
            current += char
    if escaped or depth != 0:
        raise SelectorError(f"unbalanced selector {text!r}", path="/label")
    parts.append(current)
    return [p for p in parts if p.strip()] if separator == "," else parts


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text.strip())


def _term(text: str) -> Selector:
    match = _TERM.match(text)
    if match is None:
        raise SelectorError(f"cannot parse label selector term {text.strip()!r}", path="/label")
    key = _unescape(match["key"])
    if match["op"] == "==":
        value = _unescape(match["value"])
        return lambda labels: labels.get(key) == value
    if match["op"] == "!=":
        value = _unescape(match["value"])
        return lambda labels: labels.get(key) != value
    if match["setop"]:
        values = {_unescape(v) for v in _split(match["values"], ",")}
        if match["setop"] == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    return lambda labels: key in labels
