"""JSONBody: the standard library's JSON, faster; what orjson cannot encode falls back, nothing fails."""
from __future__ import annotations

import json
import math

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from schedulers.common.jsonbody import JSONBody


@pytest.mark.parametrize("content, expected", [
    ({"apps": [{"id": "/a", "cpus": 0.1, "instances": 3, "labels": {"é": "ü"}}]},
     {"apps": [{"id": "/a", "cpus": 0.1, "instances": 3, "labels": {"é": "ü"}}]}),
    ({1: "one", "two": [1, 2.5, None, True]}, {"1": "one", "two": [1, 2.5, None, True]}),   # int keys as json does
    ({"big": 2 ** 70}, {"big": 2 ** 70}),                      # beyond 64 bits: the standard library's encoder
    ({"nan": math.nan, "inf": math.inf}, {"nan": None, "inf": None}),   # null, not a failed response
    ([], []),
])
def test_bodies_read_back_as_the_standard_library_would_write_them(content, expected):
    body = JSONBody(content).body
    assert json.loads(body) == expected
    assert b" " not in body                                     # compact, as starlette's


def test_it_is_what_the_apis_answer_with_and_its_content_type_is_json():
    app = FastAPI(default_response_class=JSONBody)

    @app.get("/thing")
    def thing() -> dict:
        return {"answer": 42, "name": "ü"}
    response = TestClient(app).get("/thing")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == '{"answer":42,"name":"ü"}'.encode()
