"""`ZooKeeperStateStore`: records as znodes, versions as znode versions, transactions as ZooKeeper multi-ops.

Layout under `root`: the record `tasks/app/t1` is the znode `<root>/tasks/app/~<bucket>/t1`, where the bucket
is a stable hash of the name, so that no znode gets a huge number of children; `list` reads every bucket.

Each operation runs as `retry(step)`, where `retry` is a bounded KazooRetry and each step is idempotent: when a
write's reply was lost and the retried write conflicts, the step checks whether the znode already holds exactly
what it wrote, and if so reports success. While the connection is SUSPENDED no call is sent (each step raises
ConnectionLoss, so the retry waits); when the retries run out the operation raises StoreUnavailableError.
After StoreUnavailableError the write may or may not have happened: read before retrying.

With credentials, znodes are created with `private_acl` (only that digest identity can read or write).
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Sequence, TypeVar

from kazoo.client import KazooClient
from kazoo.exceptions import (
    BadVersionError,
    ConnectionLoss,
    KazooException,
    NoAuthError,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    OperationTimeoutError,
    RolledBackError,
)
from kazoo.protocol.states import KazooState
from kazoo.retry import KazooRetry
from kazoo.security import ACL

from mesosframe.errors import (
    KeyNotFoundError,
    StateStoreError,
    StoreUnavailableError,
    VersionConflictError,
)
from mesosframe.ha.client import (
    UNAVAILABLE_ERRORS,
    ZooKeeperUnavailableError,
    make_kazoo_client,
    private_acl,
    start_client,
)
from mesosframe.ha.url import ZooKeeperURL
from mesosframe.state.base import (
    DEFAULT_SCHEMA_VERSION,
    Operation,
    Record,
    StateStore,
    bucketed_path,
    split_key,
    split_prefix,
)

log = logging.getLogger("mesosframe.state.zookeeper")

T = TypeVar("T")
DEFAULT_BUCKETS = 64


class StorePermissionError(StateStoreError, PermissionError):
    """ZooKeeper refused access to a znode (its ACL does not grant this client's credentials)."""


class _Attempts:
    """Tracks whether an earlier try of a write may have been applied (its reply was lost)."""

    def __init__(self) -> None:
        self.maybe_applied = False

    def send(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return call(*args, **kwargs)
        except (ConnectionLoss, OperationTimeoutError):
            self.maybe_applied = True
            raise


class ZooKeeperStateStore(StateStore):
    """A StateStore in ZooKeeper under the znode `root`, using a started `client` that the caller owns.

    `buckets` must never change for a given root (records would be looked for in the wrong bucket).
    `acl` is used for every znode the store creates; by default `private_acl` of the client's digest credentials.
    `retry` bounds how long an operation waits for a suspended connection (default: about 3 seconds).
    """

    def __init__(self, client: KazooClient, root: str = "/mesosframe/state", *,
                 acl: Sequence[ACL] | None = None, buckets: int = DEFAULT_BUCKETS,
                 retry: KazooRetry | None = None, schema_version: int = DEFAULT_SCHEMA_VERSION) -> None:
        super().__init__(schema_version=schema_version)
        if not root.startswith("/") or root.endswith("/") or root == "/":
            raise StateStoreError(f"store root {root!r} must be an absolute znode path other than '/'")
        if not 1 <= buckets <= 256:
            raise StateStoreError("buckets must be between 1 and 256")
        self._client = client
        self._root = root
        self._buckets = buckets
        self._acl = list(acl) if acl is not None else private_acl(_digest_credentials(client))
        self._retry = retry or KazooRetry(max_tries=8, delay=0.05, backoff=2, max_delay=1.0, deadline=3.0)
        self._owns_client = False

    @classmethod
    def from_url(cls, url: ZooKeeperURL | str, *, timeout: float = 10.0, **options: Any) -> ZooKeeperStateStore:
        """A store rooted at the URL's path, on its own started client (closed by `close()`)."""
        if isinstance(url, str):
            url = ZooKeeperURL.parse(url)
        client = make_kazoo_client(url, timeout=timeout, acl=private_acl(url.credentials))
        try:
            start_client(client, timeout)
        except ZooKeeperUnavailableError as exc:
            raise StoreUnavailableError(str(exc)) from exc
        try:
            store = cls(client, url.path, **options)
        except BaseException:
            client.stop()
            client.close()
            raise
        store._owns_client = True
        return store

    @property
    def root(self) -> str:
        return self._root

    def with_schema_version(self, schema_version: int) -> ZooKeeperStateStore:
        return ZooKeeperStateStore(self._client, self._root, acl=self._acl, buckets=self._buckets,
                                   retry=self._retry, schema_version=schema_version)

    def znode_path(self, key: str) -> str:
        """The absolute znode path that holds `key` (for inspection and repair tools)."""
        return self._path(key)

    def close(self) -> None:
        if self._owns_client:
            self._owns_client = False
            self._client.stop()
            self._client.close()

    # -- the contract -------------------------------------------------------------------------------------

    def get(self, key: str) -> Record | None:
        path = self._path(key)

        def step() -> tuple[bytes, int] | None:
            self._require_connected()
            try:
                data, stat = self._client.get(path)
            except NoNodeError:
                return None
            return data, stat.version

        found = self._run(step, key)
        return None if found is None else self.decode(found[0], found[1], key)

    def put(self, key: str, value: dict, expected_version: int | None) -> int:
        path, data, attempts = self._path(key), self.encode(value), _Attempts()

        def step() -> int:
            self._require_connected()
            if expected_version is None:
                return self._create(path, data, key, attempts)
            try:
                return attempts.send(self._client.set, path, data, version=expected_version).version
            except BadVersionError:
                if attempts.maybe_applied and self._holds(path, data, expected_version + 1):
                    return expected_version + 1
                raise VersionConflictError(key, expected_version, self._version(path)) from None
            except NoNodeError:
                raise VersionConflictError(key, expected_version, None) from None

        return self._run(step, key)

    def delete(self, key: str, expected_version: int | None = None) -> None:
        path, attempts = self._path(key), _Attempts()

        def step() -> None:
            self._require_connected()
            try:
                attempts.send(self._client.delete, path, version=-1 if expected_version is None
                              else expected_version)
            except NoNodeError:
                if not attempts.maybe_applied:
                    raise KeyNotFoundError(f"no record at {key!r}") from None
            except BadVersionError:
                raise VersionConflictError(key, expected_version, self._version(path)) from None

        self._run(step, key)

    def list(self, prefix: str = "") -> list[str]:
        directory = "/".join([self._root, *split_prefix(prefix)])

        def step() -> list[str]:
            self._require_connected()
            names: list[str] = []
            for bucket in self._children(directory):
                if bucket.startswith("~"):
                    names.extend(self._children(f"{directory}/{bucket}"))
            return sorted(names)

        return self._run(step, prefix)

    def _commit(self, operations: list[Operation]) -> list[int | None]:
        paths = [self._path(op.key) for op in operations]
        datas = [self.encode(op.value) if op.kind == "put" else b"" for op in operations]
        attempts = _Attempts()

        def step() -> list[int | None]:
            self._require_connected()
            for parent in sorted({path.rsplit("/", 1)[0] for op, path in zip(operations, paths)
                                  if op.kind == "put" and op.expected_version is None}):
                self._client.ensure_path(parent, acl=self._acl)
            tx = self._client.transaction()
            for op, path, data in zip(operations, paths, datas):
                if op.kind == "delete":
                    tx.delete(path, version=-1 if op.expected_version is None else op.expected_version)
                elif op.expected_version is None:
                    tx.create(path, data, acl=self._acl)
                else:
                    tx.set_data(path, data, version=op.expected_version)
            results = attempts.send(tx.commit)
            failure = next(((op, path, r) for op, path, r in zip(operations, paths, results)
                            if isinstance(r, Exception) and not isinstance(r, RolledBackError)), None)
            if failure is None:
                return [None if op.kind == "delete" else (0 if op.expected_version is None else r.version)
                        for op, r in zip(operations, results)]
            if attempts.maybe_applied and self._all_applied(operations, paths, datas):
                return [None if op.kind == "delete" else self._version(path) for op, path in zip(operations, paths)]
            raise self._conflict(*failure)

        return self._run(step, operations[0].key)

    # -- steps ----------------------------------------------------------------------------------------------

    def _create(self, path: str, data: bytes, key: str, attempts: _Attempts) -> int:
        try:
            try:
                attempts.send(self._client.create, path, data, acl=self._acl)
            except NoNodeError:
                self._ensure_parent(path)
                attempts.send(self._client.create, path, data, acl=self._acl)
        except NodeExistsError:
            if attempts.maybe_applied and self._holds(path, data, 0):
                return 0
            raise VersionConflictError(key, None, self._version(path)) from None
        return 0

    def _ensure_parent(self, path: str) -> None:
        self._client.ensure_path(path.rsplit("/", 1)[0], acl=self._acl)

    def _children(self, path: str) -> list[str]:
        try:
            return self._client.get_children(path)
        except NoNodeError:
            return []

    def _version(self, path: str) -> int | None:
        stat = self._client.exists(path)
        return None if stat is None else stat.version

    def _holds(self, path: str, data: bytes, version: int) -> bool:
        try:
            current, stat = self._client.get(path)
        except NoNodeError:
            return False
        return current == data and stat.version == version

    def _all_applied(self, operations: list[Operation], paths: list[str], datas: list[bytes]) -> bool:
        for op, path, data in zip(operations, paths, datas):
            if op.kind == "delete" and self._client.exists(path) is not None:
                return False
            if op.kind == "put":
                expected = 0 if op.expected_version is None else op.expected_version + 1
                if not self._holds(path, data, expected):
                    return False
        return True

    def _conflict(self, op: Operation, path: str, error: Exception) -> StateStoreError:
        if op.kind == "delete" and isinstance(error, NoNodeError):
            return KeyNotFoundError(f"no record at {op.key!r}")
        if isinstance(error, (BadVersionError, NoNodeError, NodeExistsError)):
            return VersionConflictError(op.key, op.expected_version, self._version(path))
        if isinstance(error, NoAuthError):
            return StorePermissionError(f"ZooKeeper denied access to {op.key!r}")
        return StateStoreError(f"transaction failed on {op.key!r}: {type(error).__name__}")

    # -- plumbing -------------------------------------------------------------------------------------------

    def _path(self, key: str) -> str:
        split_key(key)
        return f"{self._root}/{bucketed_path(key, self._buckets)}"

    def _require_connected(self) -> None:
        if self._client.state != KazooState.CONNECTED:
            raise ConnectionLoss("the ZooKeeper session is not connected")

    def _run(self, step: Callable[[], T], key: str) -> T:
        try:
            return self._retry.copy()(step)
        except StateStoreError:
            raise
        except UNAVAILABLE_ERRORS as exc:
            raise StoreUnavailableError(f"ZooKeeper unavailable for {key!r}: {type(exc).__name__}") from exc
        except NoAuthError as exc:
            raise StorePermissionError(f"ZooKeeper denied access to {key!r}") from exc
        except NotEmptyError as exc:
            raise StateStoreError(f"unexpected children under the record {key!r}") from exc
        except KazooException as exc:
            raise StateStoreError(f"ZooKeeper error on {key!r}: {type(exc).__name__}: {exc}") from exc


def _digest_credentials(client: KazooClient) -> tuple[str, str] | None:
    """The (user, password) of the client's digest auth, if it has one."""
    for scheme, credential in getattr(client, "auth_data", ()) or ():
        if scheme == "digest" and ":" in credential:
            user, _, password = credential.partition(":")
            return user, password
    return None
