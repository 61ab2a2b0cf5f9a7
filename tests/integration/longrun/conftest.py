from __future__ import annotations

import warnings

import pytest

from mesosframe.core.clock import FakeClock
from schedulers.longrun.memory import InMemoryLongrunService

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from schedulers.longrun.api import create_app


@pytest.fixture
def service() -> InMemoryLongrunService:
    return InMemoryLongrunService(FakeClock())


@pytest.fixture
def client(service) -> TestClient:
    with TestClient(create_app(service)) as c:
        yield c
