"""`LeaderElection`: leader election among framework instances, as a kazoo-style recipe.

Each contender holds an EPHEMERAL|SEQUENCE znode `<path>/<uuid>_contender_<10-digit seq>` whose data is its
identity (e.g. the host:port of its REST API). The smallest sequence leads, as in Mesos's own group recipe.
The recipe never acts for the caller; it only delivers `LeadershipEvent`s to `on_event`, in order, one at a
time (from kazoo's or the recipe's thread: `on_event` must be quick, e.g. put the event on an inbox).

What the connection states mean here:
- SUSPENDED (connection dropped, session maybe alive): leadership may be stale. A leader gets a SUSPENDED event
  at once, from the kazoo listener, before anything else is delivered, and must pause all effects.
- CONNECTED again with the same session: the recipe checks that its znode still leads and delivers RESUMED;
  otherwise LOST.
- LOST (session expired, or the client was stopped): the ephemeral znode is gone. A leader gets LOST and must
  stop acting. The recipe then contends again with a new znode (unless `rejoin=False`, when a leader that lost
  its session leaves the election) and may later deliver ELECTED with a higher `term`.
Leadership is never reported while the connection is not CONNECTED.
"""
from __future__ import annotations

import enum
import logging
import re
import threading
import uuid
from dataclasses import dataclass
from typing import Callable

from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError, NoNodeError
from kazoo.protocol.states import KazooState

from mesosframe.errors import LeadershipError
from mesosframe.ha.client import UNAVAILABLE_ERRORS, ZooKeeperUnavailableError
from mesosframe.ha.reconciler import Reconciler

log = logging.getLogger("mesosframe.ha.election")

_CONTENDER = re.compile(r"^(?P<owner>[0-9a-f]{32})_contender_(?P<seq>\d{10})$")


class LeadershipEventKind(enum.Enum):
    ELECTED = "elected"      # this instance leads now (`term` counts elections)
    SUSPENDED = "suspended"  # connection lost: pause effects, leadership may be stale
    RESUMED = "resumed"      # reconnected in the same session and still leading
    LOST = "lost"            # no longer leader (`reason`: session_lost, deposed, abdicated, stopped)


@dataclass(frozen=True)
class LeadershipEvent:
    kind: LeadershipEventKind
    identity: str
    term: int
    reason: str = ""


class _Phase(enum.Enum):
    IDLE = "idle"
    CONTENDING = "contending"
    LEADER = "leader"
    SUSPENDED_LEADER = "suspended_leader"
    STOPPED = "stopped"


def leading_contender(children: list[str]) -> str | None:
    """The child with the smallest sequence among the contender znodes (others, e.g. `log_replicas`, skipped)."""
    contenders = [c for c in children if _CONTENDER.match(c)]
    return min(contenders, key=lambda c: int(c[-10:]), default=None)


class LeaderElection:
    """Contend for leadership under the znode `path` on a started `client` (owned by the caller)."""

    def __init__(self, client: KazooClient, path: str, identity: str,
                 on_event: Callable[[LeadershipEvent], None], *, rejoin: bool = True) -> None:
        if not path.startswith("/") or path.endswith("/"):
            raise LeadershipError(f"election path {path!r} must be absolute, without a trailing '/'")
        self._client = client
        self._path = path
        self.identity = identity
        self._on_event = on_event
        self._rejoin = rejoin
        self._owner = uuid.uuid4().hex
        self._lock = threading.RLock()
        self._phase = _Phase.IDLE
        self._node: str | None = None  # our znode's name (not path), when we believe we have one
        self._term = 0
        self._reconciler = Reconciler(f"election-{identity}", self._reconcile)

    @property
    def is_leader(self) -> bool:
        """True only while leading with a CONNECTED session (False while SUSPENDED)."""
        with self._lock:
            return self._phase is _Phase.LEADER

    @property
    def term(self) -> int:
        """How many times this instance has been elected."""
        return self._term

    def start(self) -> None:
        """Join the election; events follow on `on_event`.

        When the client is connected, the contender znode exists when this returns (so contenders started one
        after the other queue up in that order); otherwise it is created once the client connects.
        """
        with self._lock:
            if self._phase is not _Phase.IDLE:
                raise LeadershipError("an election can be started only once")
            self._phase = _Phase.CONTENDING
        self._client.add_listener(self._on_state)
        if self._client.state == KazooState.CONNECTED:
            try:
                node = self._create_node()
                with self._lock:
                    self._node = node
            except UNAVAILABLE_ERRORS as exc:
                log.info("contend_later identity=%s error=%s", self.identity, type(exc).__name__)
            except NoAuthError as exc:
                self._client.remove_listener(self._on_state)
                with self._lock:
                    self._phase = _Phase.STOPPED
                raise LeadershipError(f"these credentials may not contend under {self._path}") from exc
        self._reconciler.start()

    def abdicate(self, rejoin: bool = True) -> None:
        """Give up leadership (LOST with reason "abdicated" if leading) and contend again unless `rejoin=False`."""
        self._leave("abdicated", _Phase.CONTENDING if rejoin else _Phase.STOPPED)
        if rejoin:
            self._reconciler.poke()

    def stop(self) -> None:
        """Leave the election for good: LOST("stopped") if leading, then the znode is deleted."""
        self._leave("stopped", _Phase.STOPPED)
        self._client.remove_listener(self._on_state)
        self._reconciler.stop()

    def leader_identity(self) -> str | None:
        """The identity of the current leader, read from ZooKeeper now; None if nobody contends.

        Raises ZooKeeperUnavailableError when ZooKeeper cannot be asked.
        """
        try:
            for _ in range(5):
                leader = leading_contender(self._children())
                if leader is None:
                    return None
                try:
                    return self._client.get(f"{self._path}/{leader}")[0].decode()
                except NoNodeError:
                    continue  # the leader left between the two reads: look again
        except UNAVAILABLE_ERRORS as exc:
            raise ZooKeeperUnavailableError(f"cannot read the election at {self._path}: {exc!r}") from exc
        except NoAuthError as exc:
            raise LeadershipError(f"these credentials may not read the election at {self._path}") from exc
        raise ZooKeeperUnavailableError(f"the leadership of {self._path} keeps changing")

    # -- kazoo's threads: only bookkeeping, delivery and pokes -----------------------------------------------

    def _on_state(self, state: str) -> None:
        with self._lock:
            if state == KazooState.SUSPENDED and self._phase is _Phase.LEADER:
                self._phase = _Phase.SUSPENDED_LEADER
                self._deliver(LeadershipEventKind.SUSPENDED)
            elif state == KazooState.LOST:
                self._node = None
                if self._phase in (_Phase.LEADER, _Phase.SUSPENDED_LEADER):
                    self._deliver(LeadershipEventKind.LOST, "session_lost")
                    self._phase = _Phase.CONTENDING if self._rejoin else _Phase.STOPPED
        if state == KazooState.CONNECTED:
            self._reconciler.poke()

    def _deliver(self, kind: LeadershipEventKind, reason: str = "") -> None:
        event = LeadershipEvent(kind, self.identity, self._term, reason)
        log.info("leadership_event kind=%s identity=%s term=%d reason=%s", kind.value, self.identity,
                 self._term, reason)
        try:
            self._on_event(event)
        except Exception:
            log.exception("on_event_failed kind=%s", kind.value)

    # -- the reconciler's thread ---------------------------------------------------------------------------

    def _reconcile(self) -> None:
        with self._lock:
            if self._phase in (_Phase.IDLE, _Phase.STOPPED):
                return
            node = self._node
        if self._client.state != KazooState.CONNECTED:
            return  # the CONNECTED listener pokes again
        if node is None:
            node = self._find_own_node() or self._create_node()
            with self._lock:
                if self._phase is _Phase.STOPPED or self._node is not None:
                    self._delete(node)
                    return
                self._node = node
        children = self._children(watch=self._reconciler.poke)
        leader = leading_contender(children)
        with self._lock:
            if self._node != node or self._phase in (_Phase.IDLE, _Phase.STOPPED):
                self._reconciler.poke()  # changed meanwhile: look again
                return
            if self._client.state != KazooState.CONNECTED:
                return  # SUSPENDED arrived meanwhile; its listener has run or is waiting for the lock
            leading = self._phase in (_Phase.LEADER, _Phase.SUSPENDED_LEADER)
            if node not in children or leader != node:
                if node not in children:
                    self._node = None  # removed by someone else: contend again with a new znode
                    self._reconciler.poke()
                if leading:
                    self._deliver(LeadershipEventKind.LOST, "deposed")
                    self._phase = _Phase.CONTENDING if self._rejoin else _Phase.STOPPED
            elif self._phase is _Phase.CONTENDING:
                self._term += 1
                self._phase = _Phase.LEADER
                self._deliver(LeadershipEventKind.ELECTED)
            elif self._phase is _Phase.SUSPENDED_LEADER:
                self._phase = _Phase.LEADER
                self._deliver(LeadershipEventKind.RESUMED)
            stopped = self._phase is _Phase.STOPPED
        if stopped:
            self._delete(node)

    def _leave(self, reason: str, phase: _Phase) -> None:
        with self._lock:
            if self._phase in (_Phase.LEADER, _Phase.SUSPENDED_LEADER):
                self._deliver(LeadershipEventKind.LOST, reason)
            if self._phase is not _Phase.IDLE:
                self._phase = phase
            node, self._node = self._node, None
        if node is not None:
            self._delete(node)

    def _children(self, watch: Callable | None = None) -> list[str]:
        try:
            return self._client.get_children(self._path, watch=watch)
        except NoNodeError:
            self._client.ensure_path(self._path)
            return self._client.get_children(self._path, watch=watch)

    def _find_own_node(self) -> str | None:
        """Our znode from an earlier create whose reply was lost, if it belongs to this session."""
        session = self._client.client_id[0] if self._client.client_id else None
        for child in self._children():
            if child.startswith(self._owner):
                stat = self._client.exists(f"{self._path}/{child}")
                if stat is not None and stat.ephemeralOwner == session:
                    return child
        return None

    def _create_node(self) -> str:
        path = self._client.create(f"{self._path}/{self._owner}_contender_", self.identity.encode(),
                                   ephemeral=True, sequence=True, makepath=True)
        log.info("contending path=%s identity=%s", path, self.identity)
        return path.rsplit("/", 1)[1]

    def _delete(self, node: str) -> None:
        """Delete our znode without blocking (safe on any thread, even inside `on_event`).

        Requests on one session are ordered, so a contender znode created afterwards is created after this
        delete. If the delete fails, the ephemeral znode dies with the session anyway.
        """
        if self._client.state != KazooState.CONNECTED:
            return

        def done(result) -> None:
            try:
                result.get()
            except NoNodeError:
                pass
            except Exception as exc:
                log.warning("contender_delete_failed node=%s error=%s", node, type(exc).__name__)

        self._client.delete_async(f"{self._path}/{node}").rawlink(done)
