"""HTTP Basic credentials (pure), the credentials file, and the master's principal checks (virtual time)."""
from __future__ import annotations

import base64
import json

import pytest

from master_fakes import FakeLoop, RecordingSink
from mesosframe.core.clock import FakeClock
from mesosframe.errors import ConfigurationError
from mesosframe.local.master import CallError, Master, MasterOptions
from mesosframe.local.master.auth import (
    CHALLENGE, AuthenticationFailed, Credentials, CredentialsFileError, load_credentials, parse_credentials,
)

SECRETS = {"alice": "s3cret", "bob": "pa:ss:word"}


def basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


def test_challenge_names_mesos_scheduler_realm():
    assert CHALLENGE == 'Basic realm="mesos-master-scheduler"'


@pytest.mark.parametrize("header, principal", [
    (basic("alice:s3cret"), "alice"),
    (basic("bob:pa:ss:word"), "bob"),            # the secret may contain ':'
    ("basic " + basic("alice:s3cret")[6:], "alice"),   # the scheme is case-insensitive
])
def test_valid_credentials_give_the_principal(header, principal):
    assert Credentials(SECRETS).authenticate(header) == principal


@pytest.mark.parametrize("header", [
    None, "", basic("alice:wrong"), basic("alice:"), basic("carol:s3cret"), basic("alice"),
    "Bearer abc", "Basic", "Basic !!!not-base64!!!", "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
    basic("alice:s3cretX"), basic("alice:s3cre"),
])
def test_invalid_credentials_fail(header):
    with pytest.raises(AuthenticationFailed):
        Credentials(SECRETS).authenticate(header)


def test_failure_message_and_repr_never_hold_the_secret():
    credentials = Credentials(SECRETS)
    with pytest.raises(AuthenticationFailed) as info:
        credentials.authenticate(basic("alice:s3cretX"))
    assert "s3cret" not in str(info.value) and "alice" in str(info.value)
    assert "s3cret" not in repr(credentials) and "alice" in repr(credentials)
    assert "s3cret" not in repr(MasterOptions(credentials=SECRETS))


@pytest.mark.parametrize("secrets", [{"": "x"}, {"a:b": "x"}, {"a": 1}])
def test_unusable_credentials_are_configuration_errors(secrets):
    with pytest.raises(ConfigurationError):
        Credentials(secrets)


@pytest.mark.parametrize("data, expected", [
    ({"credentials": [{"principal": "a", "secret": "x"}, {"principal": "b", "secret": ""}]},
     {"a": "x", "b": ""}),
    ({"credentials": []}, {}),
])
def test_parse_credentials(data, expected):
    assert parse_credentials(data) == expected


@pytest.mark.parametrize("data, message", [
    ([], "expected"), ({"creds": []}, "expected"),
    ({"credentials": [{"principal": "a"}]}, "string 'principal' and 'secret'"),
    ({"credentials": [{"principal": "a", "secret": "x"}, {"principal": "a", "secret": "y"}]}, "twice"),
    ({"credentials": [{"principal": "a:b", "secret": "x"}]}, "':'"),
])
def test_parse_credentials_errors(data, message):
    with pytest.raises(CredentialsFileError, match=message):
        parse_credentials(data)


def test_load_credentials_file(tmp_path):
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps({"credentials": [{"principal": "p", "secret": "topsecret"}]}))
    assert load_credentials(path) == {"p": "topsecret"}
    path.write_text('{"credentials": [{"principal": "p", "secret": "topsecret"')
    with pytest.raises(CredentialsFileError) as info:
        load_credentials(path)
    assert "topsecret" not in str(info.value)
    with pytest.raises(CredentialsFileError, match="cannot read"):
        load_credentials(tmp_path / "missing.json")


def test_authenticate_frameworks_needs_credentials():
    clock = FakeClock()
    with pytest.raises(ConfigurationError):
        Master(MasterOptions(authenticate_frameworks=True), loop=FakeLoop(clock), clock=clock)


def _master() -> Master:
    clock = FakeClock()
    master = Master(MasterOptions(credentials=SECRETS, authenticate_frameworks=True), loop=FakeLoop(clock),
                    clock=clock, master_id="m")
    master.start()
    return master


def _subscribe_call(**info) -> dict:
    return {"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "u", "name": "n", **info}}}


def test_subscribe_principal_must_match_the_authenticated_one():
    master = _master()
    with pytest.raises(CallError) as info:
        master.subscribe(_subscribe_call(principal="bob"), RecordingSink(), "alice")
    assert info.value.status == 400
    assert info.value.text == ("Failed to validate scheduler::Call: Authenticated principal 'alice' does not "
                               "match principal 'bob' set in `FrameworkInfo`")
    assert master.frameworks == {}
    framework_id, _ = master.subscribe(_subscribe_call(principal="alice"), RecordingSink(), "alice")
    assert framework_id in master.frameworks


def test_later_calls_need_the_frameworks_principal():
    master = _master()
    framework_id, stream_id = master.subscribe(_subscribe_call(principal="alice"), RecordingSink(), "alice")
    revive = {"type": "REVIVE", "framework_id": {"value": framework_id}}
    assert master.handle(revive, stream_id, "alice") == 202
    assert master.handle(revive, stream_id, None) == 202      # unauthenticated: the transport decides
    with pytest.raises(CallError) as info:
        master.handle(revive, stream_id, "bob")
    assert (info.value.status, info.value.text) == (
        400, "Authenticated principal 'bob' does not match principal 'alice' set in `FrameworkInfo`")
