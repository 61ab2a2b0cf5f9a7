"""`MemoryStateStore`: the in-process backend, for tests and single-instance runs without ZooKeeper.

It keeps the encoded bytes, not the dicts, so that callers cannot change stored records by mutating what they
passed or got, and so that it refuses exactly what the ZooKeeper backend refuses. Versions start at 0 and grow
by one per write, like ZooKeeper's.
"""
from __future__ import annotations

import threading
from typing import MutableMapping

from mesosframe.errors import KeyNotFoundError, VersionConflictError
from mesosframe.state.base import (
    DEFAULT_SCHEMA_VERSION,
    Operation,
    Record,
    StateStore,
    split_key,
    split_prefix,
)


class MemoryStateStore(StateStore):
    """A thread-safe StateStore held in a dict.

    `data` is the backing mapping, key -> (encoded record bytes, version); pass one to start from a snapshot.
    Stores made by `with_schema_version` share it (and its lock), like several instances over one backend.
    """

    def __init__(self, *, schema_version: int = DEFAULT_SCHEMA_VERSION,
                 data: MutableMapping[str, tuple[bytes, int]] | None = None) -> None:
        super().__init__(schema_version=schema_version)
        self._lock = threading.Lock()
        self._records: MutableMapping[str, tuple[bytes, int]] = {} if data is None else data

    def with_schema_version(self, schema_version: int) -> MemoryStateStore:
        other = MemoryStateStore(schema_version=schema_version, data=self._records)
        other._lock = self._lock
        return other

    def get(self, key: str) -> Record | None:
        split_key(key)
        with self._lock:
            stored = self._records.get(key)
        return None if stored is None else self.decode(stored[0], stored[1], key)

    def put(self, key: str, value: dict, expected_version: int | None) -> int:
        split_key(key)
        data = self.encode(value)
        with self._lock:
            return self._apply_put(key, data, expected_version)

    def delete(self, key: str, expected_version: int | None = None) -> None:
        split_key(key)
        with self._lock:
            self._check_delete(key, expected_version)
            del self._records[key]

    def list(self, prefix: str = "") -> list[str]:
        depth = len(split_prefix(prefix))
        start = f"{prefix}/" if prefix else ""
        with self._lock:
            keys = list(self._records)
        return sorted(k[len(start):] for k in keys
                      if k.startswith(start) and len(k.split("/")) == depth + 1)

    def _commit(self, operations: list[Operation]) -> list[int | None]:
        encoded = [self.encode(op.value) if op.kind == "put" else b"" for op in operations]
        with self._lock:
            for op in operations:
                if op.kind == "put":
                    self._check_put(op.key, op.expected_version)
                else:
                    self._check_delete(op.key, op.expected_version)
            versions: list[int | None] = []
            for op, data in zip(operations, encoded):
                if op.kind == "put":
                    versions.append(self._apply_put(op.key, data, op.expected_version))
                else:
                    del self._records[op.key]
                    versions.append(None)
            return versions

    def _current(self, key: str) -> int | None:
        stored = self._records.get(key)
        return None if stored is None else stored[1]

    def _check_put(self, key: str, expected: int | None) -> None:
        actual = self._current(key)
        if actual != expected:
            raise VersionConflictError(key, expected, actual)

    def _check_delete(self, key: str, expected: int | None) -> None:
        actual = self._current(key)
        if actual is None:
            raise KeyNotFoundError(f"no record at {key!r}")
        if expected is not None and actual != expected:
            raise VersionConflictError(key, expected, actual)

    def _apply_put(self, key: str, data: bytes, expected: int | None) -> int:
        self._check_put(key, expected)
        version = 0 if expected is None else expected + 1
        self._records[key] = (data, version)
        return version
