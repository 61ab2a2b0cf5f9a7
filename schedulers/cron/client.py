"""`CronClient`: a small synchronous client of the Chronos-compatible REST API (used by `mesosframe jobs`).

    CronClient(url, *, basic=None, token=None, timeout=10.0)
        .add(job: dict) -> None             POST iso8601 (scheduled) or dependency (has parents)
        .jobs() -> list[dict]; .summary() -> list[dict]; .job(name) -> dict
        .run(name, arguments=()) -> None; .delete(name) -> None
        .history(name) -> list[dict]        the job's finished runs (`job/stat`), oldest first
        .graph_csv() -> str; .graph_dot() -> str; .leader() -> str

Errors: `CronClientError` (a MesosframeError) with the server's message, or saying the server is unreachable.
"""
from __future__ import annotations

from typing import Sequence

import httpx

from mesosframe.errors import MesosframeError
from schedulers.common.client import ApiClient

from .api import PREFIX

__all__ = ["CronClient", "CronClientError"]


class CronClientError(MesosframeError):
    """A request failed: `status` is the HTTP status (0 if the server could not be reached)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class CronClient(ApiClient):
    error = CronClientError

    def __init__(self, url: str, *, basic: tuple[str, str] | None = None, token: str | None = None,
                 timeout: float = 10.0) -> None:
        super().__init__(url, auth=basic, token=token, timeout=timeout)

    def failure(self, method: str, path: str, response: httpx.Response) -> CronClientError:
        try:
            message = response.json().get("message", response.text)
        except ValueError:
            message = response.text
        return CronClientError(f"{response.status_code}: {message}", response.status_code)

    def _call(self, method: str, path: str, **kwargs) -> httpx.Response:
        return self.request(method, path, **kwargs)

    def add(self, job: dict) -> None:
        route = "dependency" if job.get("parents") else "iso8601"
        self._call("POST", f"{PREFIX}/{route}", json=job)

    def jobs(self) -> list[dict]:
        return self._call("GET", f"{PREFIX}/jobs").json()

    def summary(self) -> list[dict]:
        return self._call("GET", f"{PREFIX}/jobs/summary").json()["jobs"]

    def job(self, name: str) -> dict:
        return self._call("GET", f"{PREFIX}/job/{name}").json()

    def run(self, name: str, arguments: Sequence[str] = ()) -> None:
        params = {"arguments": " ".join(arguments)} if arguments else None
        self._call("PUT", f"{PREFIX}/job/{name}", params=params)

    def delete(self, name: str) -> None:
        self._call("DELETE", f"{PREFIX}/job/{name}")

    def history(self, name: str) -> list[dict]:
        return self._call("GET", f"{PREFIX}/job/stat/{name}").json()["taskStatHistory"]

    def graph_csv(self) -> str:
        return self._call("GET", f"{PREFIX}/graph/csv").text

    def graph_dot(self) -> str:
        return self._call("GET", f"{PREFIX}/graph/dot").text

    def leader(self) -> str:
        return self._call("GET", f"{PREFIX}/leader").json().get("leader", "")
