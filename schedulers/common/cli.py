"""CLI pieces shared by `mesosframe cron` / `jobs` and `mesosframe longrun` / `apps`.

    add_server_options(parser, *, name, http_port)   --master --zk --zk-session-timeout --http-port --hostname
                                                     --name --principal --secret-file
    add_auth_options(parser)                         --auth-basic USER:PASSFILE | --auth-token-file FILE
    read_secret(path, what) -> str                   a secret file's stripped text
    http_auth(args) -> (basic | None, token | None)  the API credentials the auth options name
    serve(args, label, server_class, *, stop=None, **extra) -> exit status
    read_json_input(path, error) -> the JSON in a file ('-': stdin)

Every problem with the options or the files they name is a `ConfigurationError` with a one-line message.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import signal
import sys
import threading
from typing import Any, Callable

from mesosframe.errors import ConfigurationError
from mesosframe.heap import settle_heap

__all__ = ["add_server_options", "add_auth_options", "read_secret", "http_auth", "serve", "read_json_input"]


def add_server_options(parser: argparse.ArgumentParser, *, name: str, http_port: int) -> None:
    """The options every scheduler server takes (see the module docstring)."""
    parser.add_argument("--master", required=True, help="host:port, http://host:port or zk://host:port/mesos")
    parser.add_argument("--zk", default=None, help="zk://[user:pass@]host:port/path: HA state and leader election")
    parser.add_argument("--zk-session-timeout", type=float, default=10.0,
                        help="seconds before a dead leader's ZooKeeper session expires and a standby takes over")
    parser.add_argument("--http-port", type=int, default=http_port, help="REST API port (0: any free port)")
    parser.add_argument("--hostname", default="127.0.0.1", help="address the API listens on and advertises")
    parser.add_argument("--name", default=name, help="framework name")
    parser.add_argument("--principal", default=None)
    parser.add_argument("--secret-file", default=None, help="file holding the principal's secret")


def add_auth_options(parser: argparse.ArgumentParser) -> None:
    """`--auth-basic USER:PASSFILE` or (exclusive) `--auth-token-file FILE`."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--auth-basic", default=None, metavar="USER:PASSFILE",
                       help="HTTP Basic auth: a user name and a file holding the password")
    group.add_argument("--auth-token-file", default=None, metavar="FILE",
                       help="bearer token auth: a file holding the token")


def read_secret(path: str, what: str) -> str:
    """The stripped content of the `what` file at `path`; ConfigurationError if unreadable or empty."""
    try:
        text = pathlib.Path(path).read_text().strip()
    except OSError as exc:
        raise ConfigurationError(f"cannot read the {what} file {path}: {exc.strerror}") from None
    if not text:
        raise ConfigurationError(f"the {what} file {path} is empty")
    return text


def http_auth(args: argparse.Namespace) -> tuple[tuple[str, str] | None, str | None]:
    """(basic (user, password) or None, bearer token or None) from `add_auth_options`' options."""
    basic = None
    if args.auth_basic:
        user, colon, passfile = args.auth_basic.partition(":")
        if not (user and colon and passfile):
            raise ConfigurationError("--auth-basic takes USER:PASSFILE")
        basic = (user, read_secret(passfile, "password"))
    token = read_secret(args.auth_token_file, "token") if args.auth_token_file else None
    return basic, token


def serve(args: argparse.Namespace, label: str, server_class: Callable[..., Any], *,
          stop: threading.Event | None = None, **extra: Any) -> int:
    """Run `server_class(args.master, ..., **extra)` (a scheduler server) until SIGINT/SIGTERM or `stop`, then
    stop it with failover (running tasks keep running). 1 if the framework failed fatally, else 0."""
    basic, token = http_auth(args)
    secret = read_secret(args.secret_file, "secret") if args.secret_file else None
    if secret is not None and not args.principal:
        raise ConfigurationError("--secret-file needs --principal")
    try:
        server = server_class(args.master, zk=args.zk, http_port=args.http_port, hostname=args.hostname,
                              principal=args.principal, secret=secret, basic_auth=basic, bearer_token=token,
                              name=args.name, zk_session_timeout=args.zk_session_timeout, **extra)
    except OSError as exc:
        raise ConfigurationError(f"cannot listen on {args.hostname}:{args.http_port}: {exc.strerror}") from None
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    server.warm_up()
    settle_heap()
    print(f"{label} API on {server.url} (master {args.master})", flush=True)
    try:
        while not stop.wait(0.5):
            if server.framework.error is not None:
                print(f"mesosframe {label}: {server.framework.error}", file=sys.stderr)
                return 1
    except KeyboardInterrupt:
        pass
    finally:
        server.stop(failover=True)
    return 0


def read_json_input(path: str, error: Callable[[str], Exception]) -> Any:
    """The JSON value in the file at `path` ('-' reads stdin). Raises `error("cannot read ...")` if the file
    cannot be read, json.JSONDecodeError if it is not JSON."""
    try:
        text = sys.stdin.read() if path == "-" else pathlib.Path(path).read_text()
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror}") from None
    return json.loads(text)
