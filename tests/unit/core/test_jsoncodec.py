"""`mesosframe.jsoncodec.encode`: compact JSON as the standard library would read it; what orjson cannot write
falls back to the standard library, and nothing fails."""
from __future__ import annotations

import json
import math

import pytest

from mesosframe.jsoncodec import encode

def _nested(depth: int):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("value, expected", [
    ({"apps": [{"id": "/a", "cpus": 0.1, "instances": 3, "labels": {"é": "ü"}}]},
     {"apps": [{"id": "/a", "cpus": 0.1, "instances": 3, "labels": {"é": "ü"}}]}),
    ({1: "one", "two": [1, 2.5, None, True]}, {"1": "one", "two": [1, 2.5, None, True]}),   # int keys as json does
    ({"big": 2 ** 70}, {"big": 2 ** 70}),                      # beyond 64 bits: the standard library's encoder
    ({"nan": math.nan, "inf": math.inf}, {"nan": None, "inf": None}),   # null, never the invalid `NaN`
    ({"big": -2 ** 70, "nan": [math.nan]}, {"big": -2 ** 70, "nan": [None]}),   # both: still null
    ({"s": "a\ud800b"}, {"s": "a\ud800b"}),                    # a lone surrogate, as a client's JSON may hold
    (_nested(300), _nested(300)),                              # deeper than orjson writes
    ((1, 2), [1, 2]),
    ([], []),
])
def test_values_read_back_as_the_standard_library_would_write_them(value, expected):
    data = encode(value)
    assert isinstance(data, bytes)
    assert json.loads(data) == expected
    assert b" " not in data                                     # compact


def test_an_accept_is_the_same_json_as_the_standard_library_writes():
    body = {"type": "ACCEPT", "framework_id": {"value": "f"}, "accept": {"offer_ids": [{"value": "o"}],
            "operations": [{"type": "LAUNCH", "launch": {"task_infos": [
                {"name": "web", "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}],
                 "command": {"shell": True, "value": "echo é"}}]}}], "filters": {"refuse_seconds": 5.0}}}
    assert encode(body) == json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def test_what_json_cannot_hold_raises_as_json_dumps_does():
    looped: list = []
    looped.append(looped)
    with pytest.raises(ValueError, match="Circular"):
        encode({"big": 2 ** 70, "loop": looped})             # the standard library's path
    with pytest.raises(TypeError):
        encode({"big": 2 ** 70, "set": {1}})
