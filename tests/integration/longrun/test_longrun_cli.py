"""`mesosframe apps ...` against a scheduler on simulated agents; errors are one line and exit 1."""
from __future__ import annotations

import json

from mesosframe.cli import main
from tests.integration.longrun.mesos_fixtures import api, scheduler, sim_cluster, wait_for  # noqa: F401

APP = {"id": "/cli/web", "cmd": "sleep 1000", "instances": 2, "cpus": 0.1, "mem": 16,
       "labels": {"mesosframe.sim/healthy": "true"}, "healthChecks": [{"protocol": "MESOS_TCP", "portIndex": 0}]}


def test_deploy_wait_scale_restart_rollback_and_list(scheduler, api, tmp_path, capsys):
    url = ["apps", "--url", scheduler.url]
    path = tmp_path / "app.json"
    path.write_text(json.dumps(APP))
    assert main([*url, "deploy", str(path), "--wait"]) == 0
    out = capsys.readouterr().out
    assert "deployment finished" in out
    assert api.get("/v2/apps/cli/web").json()["app"]["tasksRunning"] == 2

    assert main([*url, "scale", "/cli/web", "3", "--wait"]) == 0
    assert api.get("/v2/apps/cli/web").json()["app"]["tasksRunning"] == 3
    assert main([*url, "restart", "cli/web", "--wait"]) == 0
    path.write_text(json.dumps({**APP, "cmd": "sleep 2000"}))
    assert main([*url, "deploy", str(path), "--wait"]) == 0
    assert api.get("/v2/apps/cli/web").json()["app"]["cmd"] == "sleep 2000"
    assert main([*url, "rollback", "/cli/web", "--wait"]) == 0
    app = api.get("/v2/apps/cli/web").json()["app"]
    assert app["cmd"] == "sleep 1000"
    capsys.readouterr()
    assert main([*url, "list"]) == 0
    assert "/cli/web\tinstances=" in capsys.readouterr().out


def test_errors_are_one_line_with_a_non_zero_status(scheduler, tmp_path, capsys):
    url = ["apps", "--url", scheduler.url]
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main([*url, "deploy", str(bad)]) == 1
    assert "is not valid JSON" in capsys.readouterr().err
    assert main([*url, "scale", "/nope", "2"]) == 1
    assert "HTTP 404" in capsys.readouterr().err
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps({**APP, "instances": -1}))
    assert main([*url, "deploy", str(invalid)]) == 1
    err = capsys.readouterr().err
    assert "HTTP 422" in err and "instances" in err and "Traceback" not in err
    assert main(["apps", "--url", "http://127.0.0.1:9", "list"]) == 1
    assert "cannot reach" in capsys.readouterr().err


def test_demo_hook_starts_a_scheduler(sim_cluster):
    import httpx

    from schedulers.longrun.server import start_demo_longrun

    handle = start_demo_longrun(sim_cluster.master_address, http_port=0)
    try:
        assert httpx.get(f"{handle.url}/ping", timeout=5).status_code == 200
        wait_for(lambda: httpx.get(f"{handle.url}/v2/leader", timeout=5).status_code == 200, what="leadership")
    finally:
        handle.stop(failover=False)


def test_longrun_command_with_token_auth(sim_cluster, tmp_path, capsys, monkeypatch):
    import socket
    import threading

    import schedulers.common.cli
    from mesosframe.cli import build_parser
    from schedulers.longrun.command import run_scheduler

    settled = []    # the process settles its heap once serving; recorded instead (it is process-wide)
    monkeypatch.setattr(schedulers.common.cli, "settle_heap", lambda: settled.append(True))

    token = tmp_path / "token"
    token.write_text("s3cret\n")
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    args = build_parser().parse_args(["longrun", "--master", sim_cluster.master_address, "--http-port", str(port),
                                      "--auth-token-file", str(token)])
    stop = threading.Event()
    runner = threading.Thread(target=run_scheduler, args=(args,), kwargs={"stop": stop})
    runner.start()
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(f"{url}/ping"), what="the API")
        assert main(["apps", "--url", url, "--auth-token-file", str(token), "list"]) == 0
        assert main(["apps", "--url", url, "list"]) == 1
        assert "HTTP 401" in capsys.readouterr().err
    finally:
        stop.set()
        runner.join(30)
    assert not runner.is_alive()
    assert settled == [True]


def _answers(url: str) -> bool:
    import httpx
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
