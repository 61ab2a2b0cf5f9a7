"""schedulers.common.proxy.LeaderProxy: who answers, what is forwarded, and an unreachable leader."""
import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from schedulers.common.proxy import LeaderProxy


class Chunks(httpx.AsyncByteStream):
    """A response body that arrives in pieces, as from a real leader (MockTransport's bodies are pre-read)."""

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks

    async def __aiter__(self):
        for chunk in self.chunks:
            yield chunk


class FakeService:
    def __init__(self, leading: bool, leader: str | None) -> None:
        self.leading, self._leader, self.address = leading, leader, "self:1"

    def leader(self) -> str | None:
        return self._leader


async def local(request):
    return JSONResponse({"answered_by": "local"}, status_code=503)


APP = Starlette(routes=[Route("/{path:path}", local, methods=["GET", "POST"])])


def _client(service: FakeService, seen: list, error: Exception | None = None, **kwargs) -> TestClient:
    def leader(request: httpx.Request) -> httpx.Response:
        if error is not None:
            raise error
        seen.append(request)
        return httpx.Response(201, headers={"x-extra": "1", "content-type": "application/json"},
                              stream=Chunks(b'{"answered_by": ', b'"leader"}'))

    proxy = LeaderProxy(APP, service, "/leader", **kwargs)
    proxy.client = httpx.AsyncClient(transport=httpx.MockTransport(leader))
    return TestClient(proxy)


@pytest.mark.parametrize("leading, leader, method, path, headers, by", [
    (True, "other:2", "POST", "/jobs", {}, "local"),                         # the leader answers itself
    (False, "other:2", "GET", "/ping", {}, "local"),                         # exempt paths
    (False, "other:2", "GET", "/metrics", {}, "local"),
    (False, "other:2", "GET", "/leader", {}, "local"),
    (False, "other:2", "POST", "/leader", {}, "leader"),                     # only GET of the leader path
    (False, None, "POST", "/jobs", {}, "local"),                             # no leader known: 503 here
    (False, "self:1", "POST", "/jobs", {}, "local"),                         # it names us
    (False, "other:2", "POST", "/jobs", {"x-mesosframe-proxied": "1"}, "local"),   # proxied once already
    (False, "other:2", "POST", "/jobs", {}, "leader"),
])
def test_who_answers(leading, leader, method, path, headers, by):
    seen: list = []
    response = _client(FakeService(leading, leader), seen).request(method, path, headers=headers)
    assert response.json() == {"answered_by": by}
    assert len(seen) == (by == "leader")


def test_forwards_method_path_query_body_and_marks_the_request():
    seen: list = []
    response = _client(FakeService(False, "other:2"), seen).post("/jobs?a=1&b=2", content=b"payload",
                                                                 headers={"X-Custom": "v"})
    (request,) = seen
    assert (request.method, str(request.url)) == ("POST", "http://other:2/jobs?a=1&b=2")
    assert request.content == b"payload"
    assert request.headers["x-mesosframe-proxied"] == "1" and request.headers["x-custom"] == "v"
    assert response.status_code == 201 and response.headers["x-extra"] == "1"


@pytest.mark.parametrize("error_body, expected", [
    (None, {"message": "leader other:2 unreachable: ConnectError"}),
    (lambda m: {"status": "503 Service Unavailable", "message": m},
     {"status": "503 Service Unavailable", "message": "leader other:2 unreachable: ConnectError"}),
])
def test_unreachable_leader_is_503_with_the_error_body(error_body, expected):
    client = _client(FakeService(False, "other:2"), [], error=httpx.ConnectError("refused"), error_body=error_body)
    response = client.get("/jobs")
    assert response.status_code == 503 and response.json() == expected
