"""LocalCluster with process agents: distinct reachable hostnames, own ports, container options, teardown."""
from __future__ import annotations

import socket
import sys
import time

from test_master_pymesos import start_driver, task, update_for, framework

from mesosframe.local.agents import ContainerOptions
from mesosframe.local.cluster import LocalCluster

LISTENER = ("import socket, sys; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
            "s.bind(('0.0.0.0', int(sys.argv[1]))); s.listen(); c, _ = s.accept(); c.sendall(b'hello'); c.close()")


def _connect(host: str, port: int, timeout: float = 10.0) -> bytes:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=2) as conn:
                return conn.recv(16)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_agents_have_distinct_reachable_hostnames_and_own_ports(tmp_path):
    with LocalCluster(agents=2, simulated_agents=1, work_dir=tmp_path,
                      containers=ContainerOptions(image_store=tmp_path / "images")) as cluster:
        recorder, driver = start_driver(cluster.master_address, framework())
        try:
            recorder.next("registered")
            offers = {}
            while len(offers) < 3:
                for offer in recorder.next("offers"):
                    offers[offer["agent_id"]["value"]] = offer
            by_host = {offer["hostname"]: offer for offer in offers.values()}
            assert sorted(by_host) == ["127.0.1.1", "127.0.1.2", "127.0.1.3"]
            ports = {host: next(r["ranges"]["range"][0] for r in offer["resources"] if r["name"] == "ports")
                     for host, offer in by_host.items()}
            assert ports["127.0.1.1"] == {"begin": 31000, "end": 31999}
            assert ports["127.0.1.2"] == {"begin": 32000, "end": 32999}

            offer = by_host["127.0.1.2"]          # the second process agent: a task listening on 0.0.0.0
            port = ports["127.0.1.2"]["begin"]
            listener = task("listen", offer["agent_id"]["value"],
                            f"{sys.executable} -c \"{LISTENER}\" {port}")
            listener["resources"].append({"name": "ports", "type": "RANGES",
                                          "ranges": {"range": [{"begin": port, "end": port}]}})
            driver.launchTasks(offer["id"], [listener])
            for state in ("TASK_STARTING", "TASK_RUNNING"):
                driver.acknowledgeStatusUpdate(recorder.next("update", match=update_for("listen", state)))
            assert _connect(offer["hostname"], port) == b"hello"     # reachable at its agent's hostname
            driver.acknowledgeStatusUpdate(recorder.next("update", match=update_for("listen", "TASK_FINISHED")))

            process_agents = cluster.agents[:2]
            assert all(agent.container_probe is not None for agent in process_agents)
            assert all(agent._containers.options.image_store == tmp_path / "images" for agent in process_agents)
            assert all(agent.executors.endpoint for agent in process_agents)
        finally:
            driver.stop()
            driver.join()
    # stop() awaited every process agent's wait_stopped(): the executor API servers are closed
    assert all(agent.executors.endpoint == "" for agent in process_agents)


def test_non_loopback_master_host_names_agents_after_it():
    cluster = LocalCluster(agents=0, simulated_agents=2, host="0.0.0.0")
    assert cluster.host == "0.0.0.0"
    with cluster:
        hostnames = cluster.run(lambda: sorted(a.info.hostname for a in cluster.agents))
    assert hostnames == ["0.0.0.0", "0.0.0.0"]
