"""The one exception tree of mesosframe. Third-party errors are translated into it at the boundaries.

    MesosframeError
    ├── ConfigurationError          bad settings, URLs or arguments given by the user
    │   └── MasterURLError          a master URL (host:port, zk://...) that cannot be parsed
    ├── ValidationError             a spec, task or definition that is invalid; `.path` names the field
    ├── ProtocolError               the peer broke the Mesos wire protocol
    │   └── CallRejectedError       the master answered a call with 4xx/5xx; `.status`, `.reason`
    ├── DriverError
    │   └── NotSubscribedError      a driver call while not subscribed: it is raised, never dropped
    ├── StateStoreError
    │   ├── VersionConflictError    compare-and-swap lost: `.key`, `.expected`, `.actual`
    │   ├── KeyNotFoundError
    │   ├── RecordFormatError       a stored record is not valid JSON or has a newer schema version
    │   └── StoreUnavailableError   the backend (ZooKeeper) cannot be reached or the session is suspended
    ├── LeadershipError
    │   └── NotLeaderError          an action that needs leadership, on a standby (`.leader` if known)
    └── ScheduleError               a schedule (ISO 8601 or cron) that cannot be parsed; `.position`
"""
from __future__ import annotations


class MesosframeError(Exception):
    """Base class of every error mesosframe raises on purpose."""


class ConfigurationError(MesosframeError):
    """Bad settings, URLs or command-line arguments."""


class MasterURLError(ConfigurationError):
    """A master URL that cannot be parsed."""


class ValidationError(MesosframeError):
    """Invalid user input; `path` is the dotted or slashed path of the offending field."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.message = message
        self.path = path


class ProtocolError(MesosframeError):
    """The peer broke the Mesos wire protocol."""


class CallRejectedError(ProtocolError):
    """The master refused a call; `status` is the HTTP status and `reason` its text body."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"HTTP {status}: {reason}")
        self.status = status
        self.reason = reason


class DriverError(MesosframeError):
    """A failure in the connection to the Mesos master."""


class NotSubscribedError(DriverError):
    """A driver call was made while not subscribed; the call was not sent."""


class StateStoreError(MesosframeError):
    """A failure of the state store."""


class VersionConflictError(StateStoreError):
    """A compare-and-swap write lost: the record's version is not the expected one."""

    def __init__(self, key: str, expected: int | None, actual: int | None) -> None:
        super().__init__(f"version conflict on {key!r}: expected {expected}, found {actual}")
        self.key = key
        self.expected = expected
        self.actual = actual


class KeyNotFoundError(StateStoreError):
    """The key does not exist."""


class RecordFormatError(StateStoreError):
    """A stored record is not valid JSON, or was written by a newer schema version."""


class StoreUnavailableError(StateStoreError):
    """The backend cannot be reached, or its session is suspended."""


class LeadershipError(MesosframeError):
    """A failure related to leader election."""


class NotLeaderError(LeadershipError):
    """An action that needs leadership was attempted on a standby; `leader` names the leader if known."""

    def __init__(self, message: str = "not the leader", leader: str | None = None) -> None:
        super().__init__(message)
        self.leader = leader


class ScheduleError(MesosframeError):
    """A schedule that cannot be parsed; `position` is the character offset of the problem, if known."""

    def __init__(self, message: str, position: int | None = None, text: str = "") -> None:
        where = f" at position {position}" if position is not None else ""
        super().__init__(f"{message}{where}" + (f" in {text!r}" if text else ""))
        self.message = message
        self.position = position
        self.text = text
