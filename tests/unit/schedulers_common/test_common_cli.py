"""schedulers.common.cli: secret files, API credentials and the shared server options."""
import argparse

import pytest

from mesosframe.errors import ConfigurationError
from schedulers.common.cli import add_auth_options, add_server_options, http_auth, read_json_input, read_secret


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    add_server_options(parser, name="svc", http_port=1234)
    add_auth_options(parser)
    return parser


@pytest.mark.parametrize("content, expected", [
    ("s3cret\n", "s3cret"),
    ("  padded  \n\n", "padded"),
    (None, "cannot read the secret file"),
    ("\n  \n", "the secret file .* is empty"),
])
def test_read_secret(tmp_path, content, expected):
    path = tmp_path / "secret"
    if content is not None:
        path.write_text(content)
    if content is None or not content.strip():
        with pytest.raises(ConfigurationError, match=expected):
            read_secret(str(path), "secret")
    else:
        assert read_secret(str(path), "secret") == expected


def test_server_options_defaults_and_auth_exclusion():
    args = _parser().parse_args(["--master", "m:5050"])
    assert (args.master, args.zk, args.http_port, args.hostname, args.name, args.zk_session_timeout) == \
        ("m:5050", None, 1234, "127.0.0.1", "svc", 10.0)
    assert http_auth(args) == (None, None)
    with pytest.raises(SystemExit):
        _parser().parse_args(["--master", "m", "--auth-basic", "u:f", "--auth-token-file", "t"])


@pytest.mark.parametrize("basic", ["nocolon", ":file", "user:"])
def test_auth_basic_needs_user_and_passfile(basic):
    args = _parser().parse_args(["--master", "m", "--auth-basic", basic])
    with pytest.raises(ConfigurationError, match="USER:PASSFILE"):
        http_auth(args)


def test_auth_reads_password_and_token_files(tmp_path):
    (tmp_path / "pw").write_text("pass\n")
    (tmp_path / "tok").write_text("tok\n")
    basic = _parser().parse_args(["--master", "m", "--auth-basic", f"admin:{tmp_path / 'pw'}"])
    token = _parser().parse_args(["--master", "m", "--auth-token-file", str(tmp_path / "tok")])
    assert http_auth(basic) == (("admin", "pass"), None)
    assert http_auth(token) == (None, "tok")


class InputError(Exception):
    pass


def test_read_json_input(tmp_path, monkeypatch):
    import io
    import json

    (tmp_path / "ok.json").write_text('{"id": "/a"}')
    (tmp_path / "bad.json").write_text("{nope")
    assert read_json_input(str(tmp_path / "ok.json"), InputError) == {"id": "/a"}
    monkeypatch.setattr("sys.stdin", io.StringIO("[1, 2]"))
    assert read_json_input("-", InputError) == [1, 2]
    with pytest.raises(json.JSONDecodeError):
        read_json_input(str(tmp_path / "bad.json"), InputError)
    with pytest.raises(InputError, match="cannot read .*missing.json"):
        read_json_input(str(tmp_path / "missing.json"), InputError)
