"""`mesosframe longrun` (run the scheduler) and `mesosframe apps` (talk to it).

    mesosframe longrun --master URL [--zk URL [--zk-session-timeout S]] [--http-port 8080] [--hostname H] [--principal P --secret-file F]
                       [--auth-basic USER:PASSFILE | --auth-token-file F] [--progress-deadline S]
    mesosframe apps [--url URL] [--auth-basic USER:PASSFILE | --auth-token-file F]
                    deploy app.json [--wait] [--force] | list | scale ID N [--wait] | restart ID [--wait]
                    | rollback ID [VERSION] [--wait]

`--url` defaults to $MESOSFRAME_LONGRUN_URL, else http://127.0.0.1:8080. Errors are one line on stderr and a
non-zero exit status (1: the request failed, 2: bad usage).
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import signal
import sys
import threading

from mesosframe.errors import ConfigurationError

DEFAULT_URL = "http://127.0.0.1:8080"


def add_parser(subparsers) -> None:
    """Register `longrun` and `apps`; each parser's `func(args) -> int`."""
    run = subparsers.add_parser("longrun", help="run the Marathon-compatible long-running service scheduler",
                                description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("--master", required=True, help="host:port, http://host:port or zk://host:port/mesos")
    run.add_argument("--zk", default=None, help="zk://[user:pass@]host:port/path: HA state and leader election")
    run.add_argument("--zk-session-timeout", type=float, default=10.0,
                     help="seconds before a dead leader's ZooKeeper session expires and a standby takes over")
    run.add_argument("--tick-interval", type=float, default=0.5, help="seconds between deployment steps")
    run.add_argument("--http-port", type=int, default=8080, help="REST API port (0: any free port)")
    run.add_argument("--hostname", default="127.0.0.1", help="address the API listens on and advertises")
    run.add_argument("--name", default="longrun", help="framework name")
    run.add_argument("--principal", default=None)
    run.add_argument("--secret-file", default=None, help="file holding the principal's secret")
    run.add_argument("--progress-deadline", type=float, default=None,
                     help="seconds without progress after which a deployment fails and is rolled back")
    _auth_options(run)
    run.set_defaults(func=run_scheduler)

    apps = subparsers.add_parser("apps", help="deploy and manage long-running apps")
    apps.add_argument("--url", default=os.environ.get("MESOSFRAME_LONGRUN_URL", DEFAULT_URL))
    _auth_options(apps)
    sub = apps.add_subparsers(dest="apps_command", metavar="ACTION", required=True)
    deploy = sub.add_parser("deploy", help="create or replace an app from a JSON file")
    deploy.add_argument("file", help="app definition (JSON); '-' reads stdin")
    sub.add_parser("list", help="list apps and their task counts")
    scale = sub.add_parser("scale", help="set an app's instance count")
    scale.add_argument("app_id")
    scale.add_argument("instances", type=int)
    restart = sub.add_parser("restart", help="replace every task of an app (rolling)")
    restart.add_argument("app_id")
    rollback = sub.add_parser("rollback", help="go back to an earlier version (default: the previous one)")
    rollback.add_argument("app_id")
    rollback.add_argument("version", nargs="?")
    for p in (deploy, scale, restart, rollback):
        p.add_argument("--wait", action="store_true", help="follow the deployment until it is over")
        p.add_argument("--force", action="store_true", help="override a running deployment")
    apps.set_defaults(func=run_apps)


def _auth_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--auth-basic", default=None, metavar="USER:PASSFILE",
                       help="HTTP Basic auth: user name and a file holding the password")
    group.add_argument("--auth-token-file", default=None, help="bearer token auth: a file holding the token")


def _read_secret(path: str, what: str) -> str:
    try:
        value = pathlib.Path(path).read_text().strip()
    except OSError as exc:
        raise ConfigurationError(f"cannot read {what} file {path}: {exc.strerror}") from exc
    if not value:
        raise ConfigurationError(f"{what} file {path} is empty")
    return value


def _credentials(args: argparse.Namespace) -> tuple[tuple[str, str] | None, str | None]:
    basic = None
    if args.auth_basic:
        user, sep, passfile = args.auth_basic.partition(":")
        if not sep or not user or not passfile:
            raise ConfigurationError("--auth-basic takes USER:PASSFILE")
        basic = (user, _read_secret(passfile, "password"))
    token = _read_secret(args.auth_token_file, "token") if args.auth_token_file else None
    return basic, token


def run_scheduler(args: argparse.Namespace, *, stop: threading.Event | None = None) -> int:
    """Run until SIGINT/SIGTERM (or `stop`); then stop with failover (tasks keep running)."""
    from schedulers.longrun.server import LongrunServer

    basic, token = _credentials(args)
    secret = _read_secret(args.secret_file, "secret") if args.secret_file else None
    if secret is not None and not args.principal:
        raise ConfigurationError("--secret-file needs --principal")
    try:
        server = LongrunServer(args.master, zk=args.zk, http_port=args.http_port, hostname=args.hostname,
                               principal=args.principal, secret=secret, basic_auth=basic, bearer_token=token,
                               name=args.name, progress_deadline=args.progress_deadline,
                               zk_session_timeout=args.zk_session_timeout, tick_interval=args.tick_interval)
    except OSError as exc:
        raise ConfigurationError(f"cannot listen on {args.hostname}:{args.http_port}: {exc.strerror}") from exc
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    print(f"longrun API on {server.url} (master {args.master})", flush=True)
    try:
        while not stop.wait(0.5):
            if server.framework.error is not None:
                print(f"mesosframe longrun: {server.framework.error}", file=sys.stderr)
                return 1
    except KeyboardInterrupt:
        pass
    finally:
        server.stop(failover=True)
    return 0


def run_apps(args: argparse.Namespace) -> int:
    from schedulers.longrun.client import LongrunClient, LongrunClientError

    basic, token = _credentials(args)
    client = LongrunClient(args.url, auth=basic, token=token)
    action = args.apps_command
    if action == "list":
        for app in client.apps():
            print(f"{app['id']}\tinstances={app.get('instances')}\trunning={app.get('tasksRunning', 0)}"
                  f"\thealthy={app.get('tasksHealthy', 0)}\tversion={app.get('version')}")
        return 0
    if action == "deploy":
        app = _load_app(args.file)
        result, app_id = client.deploy(app, force=args.force), app["id"]
    elif action == "scale":
        if args.instances < 0:
            raise LongrunClientError("the instance count must be >= 0")
        result, app_id = client.scale(args.app_id, args.instances, force=args.force), args.app_id
    elif action == "restart":
        result, app_id = client.restart(args.app_id, force=args.force), args.app_id
    else:
        result, app_id = client.rollback(args.app_id, args.version), args.app_id
    print(f"deployment {result['deploymentId']} version {result['version']}", flush=True)
    if args.wait:
        client.wait(result, app_id, on_progress=lambda line: print(line, flush=True))
        print("deployment finished", flush=True)
    return 0


def _load_app(path: str) -> dict:
    from schedulers.longrun.client import LongrunClientError

    try:
        text = sys.stdin.read() if path == "-" else pathlib.Path(path).read_text()
    except OSError as exc:
        raise LongrunClientError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        app = json.loads(text)
    except ValueError as exc:
        raise LongrunClientError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(app, dict) or not isinstance(app.get("id"), str):
        raise LongrunClientError(f"{path}: an app definition is a JSON object with an \"id\"")
    return app
