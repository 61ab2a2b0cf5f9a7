"""schedulers.common.client.ApiClient: auth headers, unreachable servers and failure hooks."""
import httpx
import pytest

from mesosframe.errors import MesosframeError
from schedulers.common.client import ApiClient


class DemoError(MesosframeError):
    pass


class DemoClient(ApiClient):
    error = DemoError


def _client(handler, **kwargs) -> DemoClient:
    client = DemoClient("http://api.test/", timeout=1.0, **kwargs)
    client.http = httpx.Client(base_url=client.url, transport=httpx.MockTransport(handler),
                               headers=client.http.headers, auth=client.http.auth)
    return client


@pytest.mark.parametrize("kwargs, header", [
    ({}, None),
    ({"token": "tok"}, "Bearer tok"),
    ({"auth": ("u", "p")}, "Basic dTpw"),
])
def test_credentials_are_sent(kwargs, header):
    seen = []
    client = _client(lambda request: seen.append(request) or httpx.Response(200, text="ok"), **kwargs)
    assert client.request("GET", "/x").text == "ok"
    assert seen[0].headers.get("authorization") == header
    assert client.url == "http://api.test"


def test_failure_status_uses_the_hook_and_unreachable_is_the_error_class():
    client = _client(lambda request: httpx.Response(409, text="busy"))
    with pytest.raises(DemoError, match="POST /x: HTTP 409 busy"):
        client.request("POST", "/x")

    def refuse(request):
        raise httpx.ConnectError("refused")
    with pytest.raises(DemoError, match="cannot reach http://api.test: refused"):
        _client(refuse).request("GET", "/x")
