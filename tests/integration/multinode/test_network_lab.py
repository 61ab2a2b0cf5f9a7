"""The network lab itself: hosts reach each other on their own addresses, a cut link isolates a host,
and close() leaves no namespace, interface or process behind."""
import subprocess
import sys

import pytest

from mesosframe.testing.netns import NetworkLab, netns_unavailable_reason

pytestmark = pytest.mark.skipif(netns_unavailable_reason() is not None,
                                reason=netns_unavailable_reason() or "")

SERVER = ("import http.server,socketserver,sys; "  # TCPServer: HTTPServer would do a reverse-DNS lookup
          "socketserver.TCPServer((sys.argv[1], 8000), http.server.SimpleHTTPRequestHandler).serve_forever()")
FETCH = ("import sys,urllib.request\n"
         "try: print(urllib.request.urlopen(f'http://{sys.argv[1]}:8000/', timeout=float(sys.argv[2])).status)\n"
         "except Exception as e: print('unreachable')")


def _fetch(host, ip, timeout=5.0):
    return host.run([sys.executable, "-c", FETCH, ip, str(timeout)], timeout=timeout + 10).stdout.strip()


def _wait_serving(client, ip):
    for _ in range(50):
        if _fetch(client, ip, 0.5) == "200":
            return True
    return False


def test_hosts_talk_over_their_own_addresses_and_a_cut_link_isolates():
    with NetworkLab("t1") as lab:
        server, client = lab.add_host("srv"), lab.add_host("cli")
        assert server.ip != client.ip and server.ip.startswith("10.213.")
        server.popen([sys.executable, "-c", SERVER, server.ip], stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
        assert _wait_serving(client, server.ip)
        hostname_in_ns = server.run(["ip", "-o", "addr", "show", "dev", "eth0"]).stdout
        assert server.ip in hostname_in_ns
        server.link_down()
        assert _fetch(client, server.ip, 1.0) == "unreachable"
        server.link_up()
        assert _wait_serving(client, server.ip)


def test_close_leaves_nothing_behind():
    lab = NetworkLab("t2").start()
    host = lab.add_host("a")
    proc = host.popen(["sleep", "600"])
    escaped = host.popen(["setsid", "--fork", "sleep", "601"])   # leaves our process group
    escaped.wait(10)
    assert "601" in subprocess.run(["pgrep", "-af", "sleep 601"], capture_output=True, text=True).stdout
    lab.close()
    assert proc.poll() is not None
    assert subprocess.run(["pgrep", "-f", "sleep 601"], capture_output=True).returncode == 1
    assert "mf-t2-a" not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert "mf-t2" not in links
    lab.close()   # idempotent
