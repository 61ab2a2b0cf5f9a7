"""`SchedulerServer.warm_up`: one GET of each warm path to the server itself, with the API's credentials and
marked as proxied once (so a standby answers it itself); a failing path does not stop the rest."""
from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from schedulers.common.server import SchedulerServer, api_authorization


class TinyServer(SchedulerServer):
    kind = "tiny"
    log = logging.getLogger("tests.tiny")
    graceful_shutdown = None
    warm_paths = ("/ping", "/boom", "/v2/apps")

    def __init__(self, auth: str | None) -> None:
        super().__init__("127.0.0.1:5050", zk=None, http_port=0, hostname="127.0.0.1", name="tiny",
                         zk_session_timeout=10.0)
        self.seen: list[tuple[str, str | None, str | None]] = []
        api = FastAPI()

        @api.middleware("http")
        async def record(request: Request, call_next):
            self.seen.append((request.url.path, request.headers.get("authorization"),
                              request.headers.get("x-mesosframe-proxied")))
            if request.url.path == "/boom":
                return JSONResponse({"message": "boom"}, status_code=500)
            return await call_next(request)

        @api.get("/ping")
        def ping() -> str:
            return "pong"

        @api.get("/v2/apps")
        def apps() -> dict:
            return {"apps": []}

        self.serve_api(api, auth)


@pytest.mark.parametrize("basic,bearer,header", [
    (None, None, None),
    (("marathon", "s3cret"), None, "Basic bWFyYXRob246czNjcmV0"),
    (None, "t0ken", "Bearer t0ken"),
])
def test_warm_up_gets_each_path_with_the_apis_credentials(basic, bearer, header):
    assert api_authorization(basic, bearer) == header
    server = TinyServer(api_authorization(basic, bearer))
    server._http_thread.start()
    try:
        server.warm_up()
        assert server.seen == [(path, header, "1") for path in TinyServer.warm_paths]
    finally:
        server._uvicorn.should_exit = True
        server._http_thread.join(5)
        server._socket.close()


def test_warm_up_of_a_server_that_does_not_answer_gives_up_quietly():
    server = TinyServer(None)          # never started: connections wait in the listen queue
    try:
        server.warm_up(timeout=0.2)
        assert server.seen == []
    finally:
        server._socket.close()
