"""The stored record format and key layout shared by every backend (pure functions)."""
from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import time
import uuid
from collections import Counter

import pytest

from mesosframe.errors import RecordFormatError
from urllib.parse import unquote

from mesosframe.state import InvalidKeyError, InvalidValueError, decode_record, encode_record, key_segment
from mesosframe.state.base import bucket_of, bucketed_path, split_key


@dataclasses.dataclass
class _Point:
    x: float
    y: float


class _Colour(enum.Enum):
    RED = 1


class _Level(enum.IntEnum):
    HIGH = 2


class _Mode(str, enum.Enum):
    ON = "on"


def test_the_envelope_is_compact_sorted_json_with_a_schema_version():
    data = encode_record({"b": 1, "a": [True, None]}, schema_version=3)
    assert data == b'{"value":{"a":[true,null],"b":1},"version":3}'
    assert json.loads(data)["version"] == 3


@pytest.mark.parametrize("value", [
    {"b": 1.5, "a": {"z": [1, 2.25, None], "y": "\u00e9t\u00e9"}, "t": (3, 4)},    # orjson writes these
    {"big": 2 ** 70},                                  # beyond 64 bits: the standard library writes it
    {"s": "\ud800"},                                   # a lone surrogate: ASCII escapes
    {"deep": [[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]] * 2},
])
def test_every_value_is_written_as_the_standard_library_reads_it(value):
    data = encode_record(value)
    assert decode_record(data, 1, "k").value == json.loads(json.dumps(value))
    assert data == json.dumps({"version": 1, "value": value}, sort_keys=True, separators=(",", ":"),
                              ensure_ascii=b"\\ud800" in data).encode()


@pytest.mark.parametrize("value", [
    {"x": float("inf")}, {"x": [1.0, float("-inf")]}, {"x": {"y": (float("nan"),)}},   # never null
    {"x": {1, 2}}, {"x": object()}, {"x": b"bytes"},
    {"x": [_Point(1.0, 2.0)]}, {"x": datetime.datetime(2026, 1, 1)}, {"x": uuid.UUID(int=1)},   # orjson writes
    {"x": _Colour.RED},                                                                          # these; not here
])
def test_what_is_not_plain_json_is_refused(value):
    with pytest.raises(InvalidValueError):
        encode_record(value)


@pytest.mark.parametrize("width", [1, 30])
def test_a_value_that_contains_itself_is_refused_not_walked_forever(width):
    value: dict = {"x": []}
    value["x"].extend([value] * width)
    started = time.perf_counter()
    with pytest.raises(InvalidValueError, match="Circular"):
        encode_record(value)
    assert time.perf_counter() - started < 5        # a walk without a bound would not end (nor fit in memory)


def test_enums_of_json_values_are_written_as_their_values_as_before():
    assert json.loads(encode_record({"n": _Level.HIGH, "s": _Mode.ON}))["value"] == {"n": 2, "s": "on"}


@pytest.mark.parametrize("schema, reader, ok", [(1, 1, True), (1, 2, True), (2, 2, True), (3, 2, False)])
def test_readers_accept_their_own_and_older_schemas_only(schema, reader, ok):
    data = encode_record({"x": 1}, schema_version=schema)
    if ok:
        assert decode_record(data, 7, "k", reader).schema_version == schema
    else:
        with pytest.raises(RecordFormatError, match="newer"):
            decode_record(data, 7, "k", reader)


@pytest.mark.parametrize("key, parts", [
    ("a", ["a"]),
    ("tasks/app.web/task-1:2@x+y=z,w", ["tasks", "app.web", "task-1:2@x+y=z,w"]),
    ("jobs/nightly%20backup/a~b", ["jobs", "nightly%20backup", "a~b"]),
])
def test_valid_keys(key, parts):
    assert split_key(key) == parts


@pytest.mark.parametrize("key, path", [
    ("t1", f"{bucket_of('t1', 16)}/t1"),
    ("tasks/app/t1", f"tasks/app/{bucket_of('t1', 16)}/t1"),
])
def test_records_live_in_a_bucket_beside_their_sub_keys(key, path):
    assert bucketed_path(key, 16) == path


def test_buckets_are_stable_and_spread():
    assert bucket_of("task-42", 64) == bucket_of("task-42", 64)
    counts = Counter(bucket_of(f"task-{i}", 16) for i in range(1600))
    assert len(counts) == 16
    assert max(counts.values()) < 2 * 1600 / 16
    assert all(b.startswith("~") and len(b) == 3 for b in counts)


@pytest.mark.parametrize("name, segment", [
    ("web", "web"),
    ("nightly backup", "nightly%20backup"),
    ("a/b", "a%2Fb"),
    ("~tilde", "%7Etilde"),
    ("100%", "100%25"),
    (".", "%2E"),
    ("..", "%2E%2E"),
    ("jöb", "j%C3%B6b"),
])
def test_any_name_becomes_one_valid_segment(name, segment):
    assert key_segment(name) == segment
    assert split_key(f"jobs/{segment}") == ["jobs", segment]
    assert unquote(segment) == name


def test_an_empty_name_is_not_a_segment():
    with pytest.raises(InvalidKeyError):
        key_segment("")
