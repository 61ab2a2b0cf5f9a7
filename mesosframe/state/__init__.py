"""Versioned JSON record stores: the framework's durable state.

    store.get(key) -> Record | None                     Record(value: dict, version: int, schema_version: int)
    store.put(key, value: dict, expected_version: int | None) -> int
        None = the key must not exist (create-only); an int = compare-and-swap on that version.
        Returns the new version. Raises VersionConflictError(.key, .expected, .actual).
    store.delete(key, expected_version: int | None = None) -> None
        None = any version. Raises KeyNotFoundError if absent, VersionConflictError on a version mismatch.
    store.list(prefix) -> list[str]
        Sorted names `n` such that `f"{prefix}/{n}"` is a record ("" = top level). Buckets are hidden.
    with store.transaction() as tx:                     all-or-nothing; commits when the block exits cleanly
        tx.put(key, value, expected_version); tx.delete(key, expected_version=None)
    tx.versions -> list[int | None]                     after commit: new version per op (None for deletes)
    store.with_schema_version(n) -> StateStore          same records, writes schema n, reads up to n
    store.close()                                       (stores are also context managers)

Backends:
    MemoryStateStore(*, schema_version=1, data=None)    thread-safe, in process; `data` = backing dict
    ZooKeeperStateStore(client, root="/mesosframe/state", *, acl=None, buckets=64, retry=None, schema_version=1)
        on a started kazoo client owned by the caller; `acl` defaults to ha.private_acl(client's digest creds);
        `buckets` must never change for a root; `retry` bounds the wait for a suspended connection (~3 s).
    ZooKeeperStateStore.from_url("zk://user:pass@h1:2181/path", *, timeout=10.0, **options)
        rooted at the URL's path, on its own client (stopped by close()).
    .znode_path(key) -> str                             where a key lives (inspection, repair)

Keys are '/'-separated segments of `[A-Za-z0-9._:@+=,%~-]`, not '.', '..' or starting with '~' (InvalidKeyError);
`key_segment(name)` percent-encodes any name into one valid segment.
Versions are opaque integers: compare them for equality only. Values are JSON objects; they are stored in an
envelope `{"version": <schema version>, "value": {...}}`; a reader refuses records whose schema version is newer
than its own (`RecordFormatError`), as it does invalid JSON. Nothing is ever pickled.

Errors: everything raised is a `mesosframe.errors.StateStoreError`; `StoreUnavailableError` means ZooKeeper is
unreachable or the session is suspended: the operation may or may not have happened, so read before retrying.
`StorePermissionError` means the znodes' ACL refuses this client's credentials.
"""
from __future__ import annotations

from mesosframe.state.base import (
    InvalidKeyError,
    InvalidValueError,
    Operation,
    Record,
    StateStore,
    Transaction,
    decode_record,
    encode_record,
    key_segment,
)
from mesosframe.state.memory import MemoryStateStore
from mesosframe.state.zookeeper import StorePermissionError, ZooKeeperStateStore

__all__ = [
    "InvalidKeyError",
    "InvalidValueError",
    "MemoryStateStore",
    "Operation",
    "Record",
    "StateStore",
    "StorePermissionError",
    "Transaction",
    "ZooKeeperStateStore",
    "decode_record",
    "encode_record",
    "key_segment",
]
