"""JSONBody: the APIs' responses, encoded by `mesosframe.jsoncodec`."""
from __future__ import annotations

import json
import math

from fastapi import FastAPI
from fastapi.testclient import TestClient

from mesosframe.jsoncodec import encode
from schedulers.common.jsonbody import JSONBody


def test_bodies_are_the_codecs():
    content = {"apps": [{"id": "/a", "big": 2 ** 70, "nan": math.nan}]}   # see tests/unit/core/test_jsoncodec.py
    assert JSONBody(content).body == encode(content)
    assert json.loads(JSONBody(content).body) == {"apps": [{"id": "/a", "big": 2 ** 70, "nan": None}]}


def test_it_is_what_the_apis_answer_with_and_its_content_type_is_json():
    app = FastAPI(default_response_class=JSONBody)

    @app.get("/thing")
    def thing() -> dict:
        return {"answer": 42, "name": "ü"}
    response = TestClient(app).get("/thing")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == '{"answer":42,"name":"ü"}'.encode()
