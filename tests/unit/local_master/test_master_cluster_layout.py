"""LocalCluster's agent layout (no loop started): distinct loopback hostnames and non-overlapping ports."""
from __future__ import annotations

import pytest

from mesosframe.errors import ConfigurationError
from mesosframe.local.agents import parse_resources
from mesosframe.local.cluster import LocalCluster, agent_hostname, default_port_range


@pytest.mark.parametrize("index, hostname", [
    (0, "127.0.1.1"), (1, "127.0.1.2"), (253, "127.0.1.254"), (254, "127.0.2.1"), (1000, "127.0.4.239"),
])
def test_agent_hostnames_are_distinct_loopback_addresses(index, hostname):
    assert agent_hostname(index) == hostname


def test_agent_hostnames_never_repeat_and_avoid_network_and_broadcast_octets():
    names = [agent_hostname(i) for i in range(3000)]
    assert len(set(names)) == len(names)
    assert all(name.startswith("127.") and name.split(".")[3] not in ("0", "255") for name in names)
    with pytest.raises(ConfigurationError):
        agent_hostname(-1)


@pytest.mark.parametrize("index, count, expected", [
    (0, 1, (31000, 31999)), (1, 2, (32000, 32999)), (33, 34, (64000, 64999)),
    (0, 100, (31000, 31344)), (99, 100, (65155, 65499)),
])
def test_default_port_blocks(index, count, expected):
    assert default_port_range(index, count) == expected


@pytest.mark.parametrize("count", [1, 2, 34, 35, 500])
def test_default_port_blocks_do_not_overlap_and_fit(count):
    blocks = [default_port_range(i, count) for i in range(count)]
    assert all(first <= last for first, last in blocks)
    assert all(blocks[i][1] < blocks[i + 1][0] for i in range(count - 1))
    assert blocks[0][0] >= 31000 and blocks[-1][1] <= 65535


def _ports(resources: str) -> tuple[int, int]:
    entry = next(r for r in parse_resources(resources) if r["name"] == "ports")
    only = entry["ranges"]["range"]
    assert len(only) == 1
    return only[0]["begin"], only[0]["end"]


def test_cluster_gives_process_agents_their_own_ports_and_simulated_ones_the_default():
    cluster = LocalCluster(agents=2, simulated_agents=2)
    assert [_ports(r) for r in cluster._resources] == [(31000, 31999), (32000, 32999),
                                                        (31000, 32000), (31000, 32000)]


def test_explicit_agent_resources_are_kept():
    cluster = LocalCluster(agents=2, agent_resources="cpus:1;mem:64;ports:[40000-40010]")
    assert [_ports(r) for r in cluster._resources] == [(40000, 40010), (40000, 40010)]
