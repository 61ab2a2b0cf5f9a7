"""The backends the StateStore contract runs over; each ZooKeeper test gets its own chroot (`kazoo_client`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest

from mesosframe.state import MemoryStateStore, StateStore, ZooKeeperStateStore


@dataclass
class Backend:
    """`store` is the store under test; `make(schema_version)` gives another store over the same records;
    `write_raw(key, data)` stores bytes at `key` behind the store's back (to test what readers refuse)."""

    name: str
    store: StateStore
    make: Callable[[int], StateStore]
    write_raw: Callable[[str, bytes], None]


def _memory_backend() -> Backend:
    data: dict[str, tuple[bytes, int]] = {}
    store = MemoryStateStore(data=data)

    def write_raw(key: str, raw: bytes) -> None:
        data[key] = (raw, data[key][1] + 1 if key in data else 0)

    return Backend("memory", store, store.with_schema_version, write_raw)


def _zookeeper_backend(client) -> Backend:
    store = ZooKeeperStateStore(client, "/state", buckets=8)

    def write_raw(key: str, raw: bytes) -> None:
        path = store.znode_path(key)
        if client.exists(path):
            client.set(path, raw)
        else:
            client.create(path, raw, makepath=True)

    return Backend("zookeeper", store, store.with_schema_version, write_raw)


@pytest.fixture(params=["memory", pytest.param("zookeeper", marks=pytest.mark.zookeeper)])
def backend(request) -> Backend:
    if request.param == "memory":
        return _memory_backend()
    return _zookeeper_backend(request.getfixturevalue("kazoo_client"))


@pytest.fixture
def store(backend) -> StateStore:
    return backend.store
