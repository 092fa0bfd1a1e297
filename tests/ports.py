"""A free TCP port on loopback, for the servers tests start (app processes, SMTP, a server that is down)."""

import socket


def free_port() -> int:
    """A port nothing listens on just now. Another process could take it before the caller binds it,
    which on a test machine's loopback does not happen in practice."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
