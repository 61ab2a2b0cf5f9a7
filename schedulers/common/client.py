"""`ApiClient`: the synchronous HTTP plumbing of the schedulers' REST clients (`CronClient`, `LongrunClient`).

    ApiClient(url, *, auth=None | (user, password), token=None, timeout)
        .request(method, path, **httpx_kwargs) -> httpx.Response   (status < 400)
        .close()

A subclass sets `error` (its MesosframeError subclass, raised with "cannot reach URL: ..." when the server
cannot be reached) and `failure(method, path, response)` (the error for a 4xx/5xx answer).
"""
from __future__ import annotations

from typing import Any

import httpx

from mesosframe.errors import MesosframeError

__all__ = ["ApiClient"]


class ApiClient:
    """See the module docstring."""

    error: type[MesosframeError] = MesosframeError

    def __init__(self, url: str, *, auth: tuple[str, str] | None = None, token: str | None = None,
                 timeout: float) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, auth=auth, headers=headers, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The answer to one request; `error` if unreachable, `failure(...)` if the status is >= 400."""
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise self.error(f"cannot reach {self.url}: {exc}") from exc
        if response.status_code >= 400:
            raise self.failure(method, path, response)
        return response

    def failure(self, method: str, path: str, response: httpx.Response) -> MesosframeError:
        """The error to raise for a 4xx/5xx `response` (default: status and body text)."""
        return self.error(f"{method} {path}: HTTP {response.status_code} {response.text[:200]}")
