"""The `mesosframe local` command: starts a cluster, prints its URLs, stops on request."""
from __future__ import annotations

import argparse
import json
import threading
import time
import urllib.request

from mesosframe.local import command


def test_local_command_serves_until_stopped(capsys):
    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers())
    args = parser.parse_args(["local", "--port", "0", "--agents", "0", "--simulated-agents", "2",
                              "--agent-resources", "cpus:1;mem:128", "--agent-resources", "cpus:2;mem:256",
                              "--agent-attributes", "rack:r1", "--heartbeat-interval", "5"])
    stop = threading.Event()
    result = {}
    thread = threading.Thread(target=lambda: result.update(code=command.main(args, stop=stop)))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        url = None
        while url is None and time.monotonic() < deadline:
            out = capsys.readouterr().out
            url = next((line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("master: ")), None)
            time.sleep(0.05)
        assert url and url.startswith("http://127.0.0.1:")
        state = json.loads(urllib.request.urlopen(url + "/master/state", timeout=5).read())
        assert sorted(s["resources"]["cpus"] for s in state["slaves"]) == [1.0, 2.0]
        assert all(s["attributes"] == {"rack": "r1"} for s in state["slaves"])
    finally:
        stop.set()
        thread.join(15)
    assert result == {"code": 0}
