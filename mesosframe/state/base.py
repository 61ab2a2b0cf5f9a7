"""The `StateStore` contract, records and their JSON envelope, keys and transactions.

Every backend subclasses `StateStore`; the docstrings here are the contract, and `tests/contract/` checks every
backend against it. Encoding, key checking and bucketing are pure functions so that backends share them.
"""
from __future__ import annotations

import json
import math
import re
import zlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import orjson

from mesosframe.errors import RecordFormatError, StateStoreError

#: The schema version stamped on records by default.
DEFAULT_SCHEMA_VERSION = 1

_SEGMENT = re.compile(r"[A-Za-z0-9._:@+=,%~-]+")
_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@+=,-")


class InvalidKeyError(StateStoreError, ValueError):
    """A key that is empty or has a segment that is empty, '.', '..', starts with '~' or has other characters."""


class InvalidValueError(StateStoreError, TypeError):
    """A value that is not a dict of plain JSON (no NaN, no sets, no objects)."""


@dataclass(frozen=True)
class Record:
    """A stored value with its version (opaque, compare for equality) and the schema version it was written with."""

    value: dict
    version: int
    schema_version: int = DEFAULT_SCHEMA_VERSION


@dataclass(frozen=True)
class Operation:
    """One step of a transaction: `kind` is "put" or "delete"; `value` is None for deletes."""

    kind: str
    key: str
    expected_version: int | None
    value: dict | None = None


def split_key(key: str) -> list[str]:
    """The segments of a valid key; raises InvalidKeyError."""
    if not isinstance(key, str) or not key:
        raise InvalidKeyError(f"invalid key {key!r}: keys are non-empty strings")
    parts = key.split("/")
    for part in parts:
        if not _SEGMENT.fullmatch(part) or part in (".", "..") or part.startswith("~"):
            raise InvalidKeyError(f"invalid key {key!r}: bad segment {part!r}")
    return parts


def key_segment(text: str) -> str:
    """`text` as one valid key segment, reversibly (urllib.parse.unquote gives it back): characters outside
    the safe set, and '%' and '~', are percent-encoded as UTF-8, and '.' / '..' become '%2E' / '%2E%2E'.
    Use it for names that come from users (job names, app ids). Raises InvalidKeyError for ""."""
    if not text:
        raise InvalidKeyError("an empty name cannot be a key segment")
    if text in (".", ".."):
        return "%2E" * len(text)
    return "".join(c if c in _SAFE else "".join(f"%{b:02X}" for b in c.encode()) for c in text)


def split_prefix(prefix: str) -> list[str]:
    """The segments of a `list()` prefix; "" (the top level) gives []."""
    return [] if prefix == "" else split_key(prefix)


def bucket_of(name: str, buckets: int) -> str:
    """The bucket a record named `name` lives in, among `buckets` (a stable hash, e.g. '~07')."""
    return f"~{zlib.crc32(name.encode()) % buckets:02x}"


def bucketed_path(key: str, buckets: int) -> str:
    """The relative storage path of `key`: its parent segments, a bucket, then its name.

    'tasks/app/t1' -> 'tasks/app/~3c/t1'. A record's sub-keys live under a sibling path without a bucket,
    so a key can be both a record and a prefix.
    """
    parts = split_key(key)
    return "/".join([*parts[:-1], bucket_of(parts[-1], buckets), parts[-1]])


def encode_record(value: dict, schema_version: int = DEFAULT_SCHEMA_VERSION) -> bytes:
    """The JSON envelope of `value` as UTF-8 bytes; raises InvalidValueError for non-dict or non-JSON values."""
    if not isinstance(value, dict):
        raise InvalidValueError(f"a record value is a dict, not {type(value).__name__}")
    envelope = {"version": schema_version, "value": value}
    if _all_finite(value):          # orjson would write NaN as null; the standard library refuses it below
        try:                        # with the walk, a quarter of json.dumps's time
            return orjson.dumps(envelope, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass                    # an integer beyond 64 bits, a key that is no string, an odd type: see below
    try:
        text = json.dumps(envelope, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"a record value must be plain JSON: {exc}") from exc
    return text.encode()


_PLAIN = frozenset((str, int, bool, type(None)))
_CONTAINERS = frozenset((dict, list, tuple))


def _all_finite(value: dict) -> bool:
    """Only plain JSON values in `value`, and no NaN or infinity (a walk without recursion: about a microsecond
    for a task). False leaves the decision to the standard library: for a non-finite float, for a type orjson
    would write but JSON records must not hold (dataclasses, enums of other values, datetimes, UUIDs), and after
    a million containers, which a value that contains itself reaches at once."""
    stack: list = [value]
    budget = 1_000_000
    while stack:
        node = stack.pop()
        for item in (node.values() if isinstance(node, dict) else node):
            kind = type(item)
            if kind in _PLAIN:
                continue
            if kind is float:
                if item - item:         # NaN for NaN and the infinities (true); 0.0 for every finite float
                    return False
            elif kind in _CONTAINERS or isinstance(item, (dict, list, tuple)):
                budget -= 1
                if not budget:
                    return False
                stack.append(item)
            elif isinstance(item, float):
                if not math.isfinite(item):
                    return False
            elif not isinstance(item, (str, int)):      # (bool is an int; IntEnum and str enums read as JSON)
                return False
    return True


def decode_record(data: bytes, version: int, key: str = "",
                  max_schema_version: int = DEFAULT_SCHEMA_VERSION) -> Record:
    """Parse an envelope; raises RecordFormatError for bad JSON, a bad envelope or a newer schema version."""
    try:
        envelope = json.loads(data.decode())
    except (UnicodeDecodeError, ValueError) as exc:
        raise RecordFormatError(f"record {key!r} is not valid JSON: {exc}") from exc
    if not isinstance(envelope, dict) or not isinstance(envelope.get("value"), dict):
        raise RecordFormatError(f"record {key!r} is not a {{'version', 'value'}} envelope")
    schema = envelope.get("version")
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        raise RecordFormatError(f"record {key!r} has no valid schema version: {schema!r}")
    if schema > max_schema_version:
        raise RecordFormatError(f"record {key!r} has schema version {schema}, newer than "
                                f"{max_schema_version} which this reader understands")
    return Record(value=envelope["value"], version=version, schema_version=schema)


class Transaction:
    """Puts and deletes applied all-or-nothing by `commit()` (or on a clean exit from a `with` block).

    On a version conflict nothing is applied and VersionConflictError names the first conflicting key.
    After a successful commit `versions` holds each operation's new version (None for deletes).
    """

    def __init__(self, store: StateStore) -> None:
        self._store = store
        self.operations: list[Operation] = []
        self.versions: list[int | None] | None = None

    def put(self, key: str, value: dict, expected_version: int | None) -> Transaction:
        """Add a put with the same meaning as `StateStore.put`."""
        self._check_open()
        split_key(key)
        self._store.encode(value)
        self.operations.append(Operation("put", key, expected_version, value))
        return self

    def delete(self, key: str, expected_version: int | None = None) -> Transaction:
        """Add a delete with the same meaning as `StateStore.delete`."""
        self._check_open()
        split_key(key)
        self.operations.append(Operation("delete", key, expected_version))
        return self

    def commit(self) -> list[int | None]:
        """Apply every operation or none; returns the new versions. A transaction commits once."""
        self._check_open()
        keys = [op.key for op in self.operations]
        if len(set(keys)) != len(keys):
            raise StateStoreError("a transaction touches each key at most once")
        self.versions = self._store._commit(list(self.operations)) if self.operations else []
        return self.versions

    def _check_open(self) -> None:
        if self.versions is not None:
            raise StateStoreError("this transaction has already been committed")

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()


class StateStore(ABC):
    """A map from keys to versioned JSON records, with compare-and-swap writes.

    `schema_version` is stamped on every record written; records with a newer one are refused on reading.
    Implementations are thread-safe. All errors are `StateStoreError`s.
    """

    def __init__(self, *, schema_version: int = DEFAULT_SCHEMA_VERSION) -> None:
        if schema_version < 1:
            raise ValueError("schema versions start at 1")
        self.schema_version = schema_version

    @abstractmethod
    def get(self, key: str) -> Record | None:
        """The record at `key`, or None if there is none. Raises RecordFormatError for unreadable records."""

    @abstractmethod
    def put(self, key: str, value: dict, expected_version: int | None) -> int:
        """Write `value` at `key` and return the new version.

        `expected_version=None` creates: the key must not exist. An int replaces: the current version must be
        exactly that. Otherwise raises VersionConflictError (with the actual version, None if absent).
        """

    @abstractmethod
    def delete(self, key: str, expected_version: int | None = None) -> None:
        """Remove `key` (any version if `expected_version` is None). Raises KeyNotFoundError or
        VersionConflictError. Sub-keys (`key/...`) are not affected."""

    @abstractmethod
    def list(self, prefix: str = "") -> list[str]:
        """Sorted names `n` for which `f"{prefix}/{n}"` (or `n` at the top level, prefix "") is a record."""

    @abstractmethod
    def with_schema_version(self, schema_version: int) -> StateStore:
        """A store over the same records that writes `schema_version` and reads up to it (e.g. after an upgrade)."""

    def transaction(self) -> Transaction:
        """A new, empty transaction on this store."""
        return Transaction(self)

    @abstractmethod
    def _commit(self, operations: list[Operation]) -> list[int | None]:
        """Apply `operations` atomically (see Transaction.commit)."""

    def close(self) -> None:
        """Release the backend's resources (a store given a client leaves it open)."""

    def encode(self, value: dict) -> bytes:
        """The bytes stored for `value` under this store's schema version."""
        return encode_record(value, self.schema_version)

    def decode(self, data: bytes, version: int, key: str) -> Record:
        """Parse stored bytes, refusing schema versions newer than this store's."""
        return decode_record(data, version, key, self.schema_version)

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
