"""A TCP gate in front of a local test server, to take it "down" and back.

Open, it forwards each connection to the server behind it; closed, it accepts
each connection and resets it at once (a server or a network that drops
connections), so a test can count how often the client tried. Loopback only.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading


class Gate:
    """``Gate(server_port).start()``; ``.port`` to connect to; ``open`` to toggle;
    ``connections`` (all) and ``reset`` (refused while closed) to count tries."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.open = True
        self.connections = 0
        self.reset = 0
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._running = True
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def start(self) -> Gate:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._running = False
        with contextlib.suppress(OSError):  # wake the accept() up
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        self._thread.join(2)
        self._listener.close()

    def _accept(self) -> None:
        while self._running:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._running:
                client.close()
                return
            self.connections += 1
            if not self.open:
                self.reset += 1
                # SO_LINGER 0: close() sends a RST, as a host dropping the connection.
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                client.close()
                continue
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        source.close()  # its peer is done with it: the other pump closes the other side
