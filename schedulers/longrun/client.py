"""A small client of the Marathon v2 API, for the `mesosframe apps` commands and tests.

    LongrunClient(url, *, auth=None | (user, password), token=None, timeout=30.0)
        .apps() -> [app]; .app(id) -> app; .deploy(app_json, force=False) -> {"deploymentId", "version"}
        .scale(id, n) / .restart(id) / .rollback(id, version=None) -> {"deploymentId", "version"}
        .deployment(id) -> dict | None; .wait(result, timeout, on_progress=None) -> None
Every failure is a `LongrunClientError` with a one-line message (HTTP status and Marathon's message).
"""
from __future__ import annotations

import time
from typing import Any, Callable

import httpx

from mesosframe.errors import MesosframeError
from schedulers.common.client import ApiClient
from schedulers.longrun.pathid import canonical


class LongrunClientError(MesosframeError):
    """A request failed: connection, HTTP status, or a deployment that did not finish."""


class LongrunClient(ApiClient):
    error = LongrunClientError

    def __init__(self, url: str, *, auth: tuple[str, str] | None = None, token: str | None = None,
                 timeout: float = 30.0) -> None:
        super().__init__(url, auth=auth, token=token, timeout=timeout)

    def failure(self, method: str, path: str, response: httpx.Response) -> LongrunClientError:
        try:
            body = response.json()
            message = body.get("message", "")
            details = "; ".join(f"{d.get('path')}: {', '.join(d.get('errors', []))}"
                                for d in body.get("details", []) if isinstance(d, dict))
        except ValueError:
            message, details = response.text[:200], ""
        return LongrunClientError(f"{method} {path}: HTTP {response.status_code} {message}"
                                  + (f" ({details})" if details else ""))

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        return response.json() if response.content else None

    def apps(self) -> list[dict[str, Any]]:
        return self._call("GET", "/v2/apps")["apps"]

    def app(self, app_id: str) -> dict[str, Any]:
        return self._call("GET", f"/v2/apps{canonical(app_id)}")["app"]

    def deploy(self, app: dict[str, Any], force: bool = False) -> dict[str, Any]:
        """Create the app, or replace its definition if it exists."""
        if not isinstance(app, dict) or not isinstance(app.get("id"), str):
            raise LongrunClientError("an app definition is a JSON object with an \"id\"")
        params = {"force": "true"} if force else {}
        return self._call("PUT", f"/v2/apps{canonical(app['id'])}", json=app,
                          params={**params, "partialUpdate": "false"})

    def scale(self, app_id: str, instances: int, force: bool = False) -> dict[str, Any]:
        """Change the instance count of an existing app (404 if there is none: PUT alone would create one)."""
        self.app(app_id)
        params = {"force": "true"} if force else {}
        return self._call("PUT", f"/v2/apps{canonical(app_id)}", json={"instances": instances}, params=params)

    def restart(self, app_id: str, force: bool = False) -> dict[str, Any]:
        params = {"force": "true"} if force else {}
        return self._call("POST", f"/v2/apps{canonical(app_id)}/restart", params=params)

    def rollback(self, app_id: str, version: str | None = None) -> dict[str, Any]:
        """Back to `version`, or to the version before the current one."""
        path = f"/v2/apps{canonical(app_id)}"
        if version is None:
            versions = self._call("GET", f"{path}/versions")["versions"]
            if len(versions) < 2:
                raise LongrunClientError(f"app {canonical(app_id)} has no earlier version")
            version = versions[1]
        old = self._call("GET", f"{path}/versions/{version}")
        return self._call("PUT", path, json=old, params={"partialUpdate": "false"})

    def deployment(self, deployment_id: str) -> dict[str, Any] | None:
        return next((d for d in self._call("GET", "/v2/deployments") if d.get("id") == deployment_id), None)

    def wait(self, result: dict[str, Any], app_id: str | None, timeout: float = 600.0, poll: float = 0.5,
             on_progress: Callable[[str], None] | None = None) -> None:
        """Block until the deployment is over; LongrunClientError if it timed out or was rolled back."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            found = self.deployment(result["deploymentId"])
            if found is None:
                break
            line = progress_line(found, self.app(app_id) if app_id else None)
            if on_progress is not None and line != last:
                on_progress(line)
            last = line
            time.sleep(poll)
        else:
            raise LongrunClientError(f"deployment {result['deploymentId']} still running after {timeout:.0f}s")
        if app_id is not None:
            current = self.app(app_id).get("version")
            if current is not None and current != result["version"]:
                raise LongrunClientError(f"deployment {result['deploymentId']} did not complete: the app is at "
                                         f"version {current} (rolled back or changed meanwhile)")


def progress_line(deployment: dict[str, Any], app: dict[str, Any] | None) -> str:
    """`step 2/3 RestartApplication /web: 3/4 running, 2 healthy, 1 staged`."""
    actions = ", ".join(f"{a.get('action')} {a.get('app')}" for a in deployment.get("currentActions", []))
    text = f"step {deployment.get('currentStep')}/{deployment.get('totalSteps')} {actions}"
    if app is not None:
        text += (f": {app.get('tasksRunning', 0)}/{app.get('instances', 0)} running, "
                 f"{app.get('tasksHealthy', 0)} healthy, {app.get('tasksStaged', 0)} staged")
    return text
