"""The `mesosframe local` command: starts a cluster, prints its URLs, stops on request."""
from __future__ import annotations

import argparse
import contextlib
import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from mesosframe.local import command


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers())
    return parser.parse_args(["local", "--port", "0", *argv])


@contextlib.contextmanager
def serving(args, capsys):
    """Run `command.main(args)` in a thread; yields (master URL, everything printed up to it)."""
    stop = threading.Event()
    result = {}
    thread = threading.Thread(target=lambda: result.update(code=command.main(args, stop=stop)))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        url, printed = None, ""
        while url is None and time.monotonic() < deadline:
            printed += capsys.readouterr().out
            url = next((line.split(": ", 1)[1] for line in printed.splitlines() if line.startswith("master: ")),
                       None)
            time.sleep(0.05)
        assert url and url.startswith("http://127.0.0.1:")
        time.sleep(0.1)
        yield url, printed + capsys.readouterr().out
    finally:
        stop.set()
        thread.join(15)
    assert result == {"code": 0}


@pytest.fixture(autouse=True)
def settled(monkeypatch):
    """The command settles its process's heap once the cluster runs; recorded here instead (it is process-wide)."""
    calls = []
    monkeypatch.setattr(command, "settle_heap", lambda: calls.append(True))
    return calls


def test_local_command_serves_until_stopped(capsys, settled):
    args = parse("--agents", "0", "--simulated-agents", "2", "--agent-resources", "cpus:1;mem:128",
                 "--agent-resources", "cpus:2;mem:256", "--agent-attributes", "rack:r1", "--heartbeat-interval", "5")
    with serving(args, capsys) as (url, _):
        state = json.loads(urllib.request.urlopen(url + "/master/state", timeout=5).read())
        assert sorted(s["resources"]["cpus"] for s in state["slaves"]) == [1.0, 2.0]
        assert all(s["attributes"] == {"rack": "r1"} for s in state["slaves"])
        assert settled == [True]


@pytest.mark.parametrize("argv, message", [
    (["--containers"], "--containers needs --image-store DIR"),
    (["--image-store", "/tmp"], "need --containers"),
    (["--authenticate-frameworks"], "--authenticate-frameworks needs --credentials FILE"),
    (["--credentials", "/nonexistent/credentials.json"], "cannot read credentials file"),
])
def test_inconsistent_flags_are_usage_errors(argv, message, capsys):
    assert command.main(parse("--agents", "0", *argv)) == 2
    assert message in capsys.readouterr().err


def test_containers_and_credentials_flags(tmp_path, capsys):
    credentials = tmp_path / "credentials.json"
    credentials.write_text(json.dumps({"credentials": [{"principal": "ops", "secret": "very-secret"}]}))
    args = parse("--agents", "1", "--work-dir", str(tmp_path / "work"), "--containers", "--image-store",
                 str(tmp_path / "images"), "--runc", "/nonexistent/runc", "--credentials", str(credentials),
                 "--authenticate-frameworks")
    with serving(args, capsys) as (url, printed):
        assert "containers: NOT usable" in printed and "/nonexistent/runc" in printed
        assert "authentication: 1 principal(s), required" in printed
        assert "very-secret" not in printed
        request = urllib.request.Request(url + "/api/v1/scheduler", data=b"{}", method="POST",
                                         headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request, timeout=5)
        assert info.value.code == 401
        assert info.value.headers["WWW-Authenticate"] == 'Basic realm="mesos-master-scheduler"'


def test_signals_set_stop_only_inside_the_block_and_the_handlers_come_back():
    import signal
    import threading

    from mesosframe.local.command import stop_on_signals
    before = signal.getsignal(signal.SIGTERM)
    stop = threading.Event()
    with stop_on_signals(stop):
        signal.raise_signal(signal.SIGTERM)
        assert stop.wait(1)
    assert signal.getsignal(signal.SIGTERM) is before
