"""Host ports and agent attributes of launched tasks, read from the master's state (`GET /master/state`).

The core's task records carry the ports placement chose and the agent's attributes, so a task launched or
recovered from such a record is placed at once. Records written before the core kept them carry neither;
for those tasks only, the plugin learns them as any Mesos tool does: from the master's view
(`frameworks[].tasks[].resources.ports`, "[31000-31001, 31007-31007]", and `slaves[].attributes`). Ports feed
the API and scheduler-side HTTP/TCP checks; attributes feed GROUP_BY balancing when scaling down. A zk://
master is found with `MasterDetector`.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import httpx

log = logging.getLogger("mesosframe.longrun.ports")
_RANGE = re.compile(r"(\d+)-(\d+)")


@dataclass(frozen=True)
class TaskPlacement:
    ports: list[int]
    attributes: dict[str, str] = field(default_factory=dict)


def parse_ranges(text: str) -> list[int]:
    """`"[31000-31001, 31005-31005]"` -> [31000, 31001, 31005]."""
    out: list[int] = []
    for begin, end in _RANGE.findall(text or ""):
        out.extend(range(int(begin), int(end) + 1))
    return out


def state_url(master: str) -> str | None:
    """The master's state URL for `host:port`, `master@host:port` or `http(s)://host:port`; None for zk://."""
    if master.startswith(("zk://", "zoo://")):
        return None
    base = master if master.startswith(("http://", "https://")) else f"http://{master.split('@')[-1]}"
    return base.rstrip("/") + "/master/state"


def task_placements(state: dict, framework_id: str) -> dict[str, TaskPlacement]:
    """task id -> ports and agent attributes (with `hostname`), for the framework's tasks in a state document."""
    agents = {a.get("id"): {"hostname": str(a.get("hostname", "")),
                            **{k: str(v) for k, v in (a.get("attributes") or {}).items()}}
              for a in state.get("slaves", [])}
    out: dict[str, TaskPlacement] = {}
    for fw in state.get("frameworks", []):
        if fw.get("id") != framework_id:
            continue
        for task in fw.get("tasks", []):
            ports = parse_ranges(str(task.get("resources", {}).get("ports", "")))
            out[task["id"]] = TaskPlacement(ports, agents.get(task.get("slave_id"), {}))
    return out


class MasterState:
    """Fetches the leading master's state; `close()` stops the ZooKeeper detector of a zk:// master."""

    def __init__(self, master: str, timeout: float = 5.0) -> None:
        self.master, self.timeout = master, timeout
        self._detector = None
        if state_url(master) is None:
            from mesosframe.ha import MasterDetector
            self._detector = MasterDetector(master)
            self._detector.start()

    def url(self) -> str | None:
        if self._detector is None:
            return state_url(self.master)
        leader = self._detector.leader
        return state_url(leader) if leader else None

    def placements(self, framework_id: str) -> dict[str, TaskPlacement]:
        """{} when the master cannot be asked (logged)."""
        url = self.url()
        if url is None or not framework_id:
            return {}
        try:
            response = httpx.get(url, timeout=self.timeout)
            response.raise_for_status()
            return task_placements(response.json(), framework_id)
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("master_state_failed url=%s error=%s", url, exc)
            return {}

    def close(self) -> None:
        if self._detector is not None:
            self._detector.stop()
