"""The StateStore contract, run over every backend (see conftest.py)."""
from __future__ import annotations

import math
import threading

import pytest

from mesosframe.errors import (
    KeyNotFoundError,
    RecordFormatError,
    StateStoreError,
    VersionConflictError,
)
from mesosframe.state import InvalidKeyError, InvalidValueError


def test_missing_key_reads_as_none(store):
    assert store.get("frameworks/id") is None


def test_create_then_read_back(store):
    version = store.put("frameworks/id", {"value": "f-1", "n": [1, 2.5, None, True]}, None)
    record = store.get("frameworks/id")
    assert record.value == {"value": "f-1", "n": [1, 2.5, None, True]}
    assert record.version == version
    assert record.schema_version == 1


def test_create_only_refuses_an_existing_key(store):
    version = store.put("apps/web", {"instances": 1}, None)
    with pytest.raises(VersionConflictError) as info:
        store.put("apps/web", {"instances": 2}, None)
    assert (info.value.key, info.value.expected, info.value.actual) == ("apps/web", None, version)
    assert store.get("apps/web").value == {"instances": 1}


def test_compare_and_swap_advances_the_version(store):
    v0 = store.put("apps/web", {"instances": 1}, None)
    v1 = store.put("apps/web", {"instances": 2}, v0)
    v2 = store.put("apps/web", {"instances": 3}, v1)
    assert len({v0, v1, v2}) == 3
    assert store.get("apps/web").value == {"instances": 3}
    assert store.get("apps/web").version == v2


def test_stale_version_is_a_conflict_and_changes_nothing(store):
    v0 = store.put("apps/web", {"instances": 1}, None)
    v1 = store.put("apps/web", {"instances": 2}, v0)
    with pytest.raises(VersionConflictError) as info:
        store.put("apps/web", {"instances": 99}, v0)
    assert (info.value.expected, info.value.actual) == (v0, v1)
    assert store.get("apps/web").value == {"instances": 2}


def test_replacing_a_missing_key_is_a_conflict(store):
    with pytest.raises(VersionConflictError) as info:
        store.put("apps/ghost", {"x": 1}, 0)
    assert info.value.actual is None
    assert store.get("apps/ghost") is None


@pytest.mark.parametrize("use_version", [False, True])
def test_delete_removes_the_record(store, use_version):
    version = store.put("tasks/t1", {"state": "RUNNING"}, None)
    store.delete("tasks/t1", version if use_version else None)
    assert store.get("tasks/t1") is None
    assert store.list("tasks") == []
    assert store.put("tasks/t1", {"state": "STAGING"}, None) is not None  # can be created again


def test_delete_with_a_stale_version_is_a_conflict(store):
    v0 = store.put("tasks/t1", {"state": "STAGING"}, None)
    store.put("tasks/t1", {"state": "RUNNING"}, v0)
    with pytest.raises(VersionConflictError):
        store.delete("tasks/t1", v0)
    assert store.get("tasks/t1").value == {"state": "RUNNING"}


def test_delete_of_a_missing_key_raises(store):
    with pytest.raises(KeyNotFoundError):
        store.delete("tasks/none")


def test_list_names_the_children_of_a_prefix(store):
    for key in ["apps/web", "apps/db", "apps/web/config", "jobs/nightly", "top"]:
        store.put(key, {"k": key}, None)
    assert store.list("apps") == ["db", "web"]
    assert store.list("apps/web") == ["config"]
    assert store.list("") == ["top"]
    assert store.list("nothing/here") == []
    assert store.get("apps/web/config").value == {"k": "apps/web/config"}


def test_list_hides_buckets_and_sees_every_record(store):
    names = [f"task-{i:03d}" for i in range(120)]
    with store.transaction() as tx:
        for name in names:
            tx.put(f"tasks/app/{name}", {"n": name}, None)
    assert store.list("tasks/app") == names
    assert store.list("tasks") == []
    assert not any(n.startswith("~") for n in store.list("tasks/app"))


def test_a_key_can_be_a_record_and_a_prefix(store):
    v = store.put("apps/web", {"a": 1}, None)
    store.put("apps/web/t1", {"b": 2}, None)
    store.delete("apps/web", v)
    assert store.get("apps/web") is None
    assert store.list("apps/web") == ["t1"]


def test_stored_values_are_copies(store):
    value = {"list": [1]}
    store.put("k", value, None)
    value["list"].append(2)
    read = store.get("k")
    read.value["list"].append(3)
    assert store.get("k").value == {"list": [1]}


def test_transaction_applies_all_operations(store):
    va = store.put("a", {"n": 1}, None)
    vb = store.put("b", {"n": 1}, None)
    tx = store.transaction().put("a", {"n": 2}, va).delete("b", vb).put("c", {"n": 3}, None)
    versions = tx.commit()
    assert versions[1] is None
    assert store.get("a").value == {"n": 2} and store.get("a").version == versions[0]
    assert store.get("b") is None
    assert store.get("c").version == versions[2]


@pytest.mark.parametrize("bad_op", ["stale_put", "create_existing", "delete_missing", "stale_delete"])
def test_transaction_is_all_or_nothing(store, bad_op):
    va = store.put("a", {"n": 1}, None)
    store.put("a", {"n": 2}, va)
    store.put("b", {"n": 1}, None)
    tx = store.transaction().put("new", {"n": 1}, None).delete("b")
    expected = {"stale_put": (VersionConflictError, lambda: tx.put("a", {"n": 3}, va)),
                "create_existing": (VersionConflictError, lambda: tx.put("a", {"n": 3}, None)),
                "delete_missing": (KeyNotFoundError, lambda: tx.delete("ghost")),
                "stale_delete": (VersionConflictError, lambda: tx.delete("a", va))}[bad_op]
    expected[1]()
    with pytest.raises(expected[0]):
        tx.commit()
    assert store.get("new") is None
    assert store.get("b").value == {"n": 1}
    assert store.get("a").value == {"n": 2}


def test_transaction_block_commits_only_on_success(store):
    with pytest.raises(RuntimeError):
        with store.transaction() as tx:
            tx.put("x", {"n": 1}, None)
            raise RuntimeError("abandon")
    assert store.get("x") is None
    with store.transaction() as tx:
        tx.put("x", {"n": 1}, None)
    assert tx.versions == [store.get("x").version]


def test_transaction_rules(store):
    tx = store.transaction().put("x", {"n": 1}, None).put("x", {"n": 2}, None)
    with pytest.raises(StateStoreError, match="at most once"):
        tx.commit()
    done = store.transaction().put("y", {"n": 1}, None)
    done.commit()
    with pytest.raises(StateStoreError, match="already"):
        done.commit()
    assert store.transaction().commit() == []


def test_newer_schema_versions_are_refused(backend):
    newer = backend.make(2)
    newer.put("fw", {"id": "f-1"}, None)
    with pytest.raises(RecordFormatError, match="schema version 2"):
        backend.store.get("fw")
    assert newer.get("fw").schema_version == 2


def test_older_schema_versions_are_read(backend):
    backend.store.put("fw", {"id": "f-1"}, None)
    record = backend.make(3).get("fw")
    assert (record.value, record.schema_version) == ({"id": "f-1"}, 1)


@pytest.mark.parametrize("raw", [
    b"not json",
    b"\xff\xfe",
    b'["a", "list"]',
    b'{"value": {"a": 1}}',
    b'{"version": "1", "value": {}}',
    b'{"version": 0, "value": {}}',
    b'{"version": 1, "value": [1]}',
    b"",
])
def test_unreadable_records_are_refused(backend, raw):
    backend.write_raw("bad", raw)
    with pytest.raises(RecordFormatError):
        backend.store.get("bad")


@pytest.mark.parametrize("key", ["", "/a", "a/", "a//b", "a/./b", "..", "~bucket", "a/~b", "sp ace", "ünï", "a/b c",
                                 None])
def test_invalid_keys_are_refused(store, key):
    with pytest.raises(InvalidKeyError):
        store.put(key, {}, None)
    with pytest.raises(InvalidKeyError):
        store.get(key)


@pytest.mark.parametrize("value", [[1], "text", {"x": math.nan}, {"x": {1, 2}}, {"x": object()}])
def test_invalid_values_are_refused(store, value):
    with pytest.raises(InvalidValueError):
        store.put("k", value, None)
    with pytest.raises(InvalidValueError):
        store.transaction().put("k", value, None)
    assert store.get("k") is None


def test_concurrent_compare_and_swap_loses_no_update(store):
    store.put("counter", {"n": 0}, None)

    def increment(times: int) -> None:
        for _ in range(times):
            while True:
                record = store.get("counter")
                try:
                    store.put("counter", {"n": record.value["n"] + 1}, record.version)
                    break
                except VersionConflictError:
                    continue

    threads = [threading.Thread(target=increment, args=(15,)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert store.get("counter").value == {"n": 45}
