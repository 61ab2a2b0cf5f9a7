"""Versions of apps as the service stores them: ISO timestamps, versionInfo, and service ports.

`AppVersioner.stamp(target, current, now, restart)` gives changed apps the new version: a config change (or
a restart) moves `lastConfigChangeAt`, a scale-only change only `lastScalingAt`. An app that carries a
versionInfo (a stored version being rolled back to) keeps its `lastConfigChangeAt`, so tasks still running
that config are not replaced. Port definitions with port 0 get a service port from 10000-19999 (kept across
updates that leave them at 0), never one of the app's other ports.
"""
from __future__ import annotations

import itertools
from typing import Mapping

from schedulers.longrun.service import iso
from schedulers.longrun.simstate import config_version
from schedulers.longrun.spec import AppDefinition, VersionInfo

SERVICE_PORTS = (10000, 20000)


class AppVersioner:
    """Hands out strictly increasing versions and service ports."""

    def __init__(self) -> None:
        self.last_version = ""
        self._ports = itertools.count()

    def next_version(self, now: float) -> str:
        """An ISO version string, strictly increasing even when the clock stands still."""
        stamp, bump = iso(now), 0.0
        while stamp <= self.last_version:
            bump += 0.001
            stamp = iso(now + bump)
        self.last_version = stamp
        return stamp

    def stamp(self, target: Mapping[str, AppDefinition], current: Mapping[str, AppDefinition], version: str,
              restart: frozenset[str] | set[str] = frozenset()) -> dict[str, AppDefinition]:
        """`target` with every changed app stamped with `version`; unchanged apps are the current objects."""
        out = {}
        for app_id, app in target.items():
            before = current.get(app_id)
            if before is app and app_id not in restart:
                out[app_id] = app
                continue
            app = self._with_service_ports(app, before)
            wanted = app.versionInfo.lastConfigChangeAt if app.versionInfo else None
            same_config = before is not None and before.config_key() == app.config_key() \
                and wanted in (None, config_version(before))
            if same_config and app_id not in restart and before.instances == app.instances:
                out[app_id] = before
                continue
            if wanted is not None and app_id not in restart:
                info = VersionInfo(lastScalingAt=version, lastConfigChangeAt=wanted)
            elif same_config and app_id not in restart:
                info = VersionInfo(lastScalingAt=version, lastConfigChangeAt=config_version(before))
            else:
                info = VersionInfo(lastScalingAt=version, lastConfigChangeAt=version)
            out[app_id] = app.model_copy(update={"version": version, "versionInfo": info})
        return out

    def _with_service_ports(self, app: AppDefinition, before: AppDefinition | None) -> AppDefinition:
        if all(p.port for p in app.portDefinitions):
            return app
        kept = before.portDefinitions if before is not None else []
        used = {p.port for p in app.portDefinitions if p.port}
        ports = []
        for i, port in enumerate(app.portDefinitions):
            if port.port == 0:
                old = kept[i].port if i < len(kept) else 0
                number = old if old and old not in used else self._service_port(used)
                used.add(number)
                port = port.model_copy(update={"port": number})
            ports.append(port)
        return app.model_copy(update={"portDefinitions": ports})

    def _service_port(self, used: set[int]) -> int:
        """The next service port not in `used` (the app's other ports: they must stay unique), unless `used`
        may fill the whole range (thousands of ports: then not searched)."""
        low, high = SERVICE_PORTS
        number = low + next(self._ports) % (high - low)
        while number in used and len(used) < high - low:
            number = low + next(self._ports) % (high - low)
        return number
