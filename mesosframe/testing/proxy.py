"""`FreezableTcpProxy`: a loopback TCP proxy that can go silent, for partition tests.

`freeze()` stops forwarding on every connection open at that moment, in both directions, without closing
them: the peer sees an open socket that never answers (a network partition, a hung process), not a reset.
Connections made after `freeze()` are forwarded normally, so a client that reconnects gets through.
"""
from __future__ import annotations

import selectors
import socket
import threading


class FreezableTcpProxy:
    def __init__(self, upstream: tuple[str, int], host: str = "127.0.0.1") -> None:
        self.upstream = upstream
        self._listener = socket.create_server((host, 0))
        self._listener.setblocking(False)
        self.address = f"{host}:{self._listener.getsockname()[1]}"
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ, None)
        self._peers: dict[socket.socket, socket.socket] = {}
        self._frozen: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="freezable-proxy", daemon=True)

    def start(self) -> "FreezableTcpProxy":
        self._thread.start()
        return self

    def freeze(self) -> int:
        """Silence every open connection; returns how many sockets were frozen."""
        with self._lock:
            self._frozen.update(self._peers)
            return len(self._frozen)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(5)
        for sock in [self._listener, *self._peers]:
            sock.close()
        self._selector.close()

    def __enter__(self) -> "FreezableTcpProxy":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stopped.is_set():
            for key, _ in self._selector.select(0.1):
                if key.fileobj is self._listener:
                    self._accept()
                else:
                    self._forward(key.fileobj)

    def _accept(self) -> None:
        try:
            client, _ = self._listener.accept()
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            return
        for sock in (client, server):
            sock.settimeout(5)       # readiness comes from the selector; a full peer buffer waits a little
            self._selector.register(sock, selectors.EVENT_READ, None)
        with self._lock:
            self._peers[client], self._peers[server] = server, client

    def _forward(self, sock: socket.socket) -> None:
        with self._lock:
            frozen = sock in self._frozen
            peer = self._peers.get(sock)
        if peer is None:                         # closed with its peer earlier in this round
            return
        if frozen:
            self._selector.unregister(sock)     # held open, never read again
            return
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if data:
            try:
                peer.sendall(data)
                return
            except OSError:
                pass
        self._close_pair(sock)

    def _close_pair(self, sock: socket.socket) -> None:
        with self._lock:
            peer = self._peers.pop(sock, None)
            if peer is not None:
                self._peers.pop(peer, None)
        for each in (sock, peer):
            if each is not None and each.fileno() != -1:
                if each in self._selector.get_map():
                    self._selector.unregister(each)
                each.close()
