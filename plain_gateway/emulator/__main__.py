"""Serve the emulator over HTTP: python -m plain_gateway.emulator --port 8765 --api-key KEY.

`python -m plain_gateway.emulator --print-sdl` prints the emulator's whole schema instead.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from plain_gateway.emulator.app import DROP_CONNECTION, create_app
from plain_gateway.emulator.graph import schema_file_text

LISTEN_BACKLOG = 1024


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    """A thread per connection, with a listen queue long enough for a burst of clients.

    socketserver's default queue of 5 drops or resets connections as soon as a few clients
    arrive together (a page fanning out six calls is one), and a dropped connection costs its
    client a second before the kernel retries. The kernel caps the queue at net.core.somaxconn.
    The state is safe under threads: every request holds State's lock for its transaction.
    """

    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:  # type: ignore[attr-defined]
            super().log_message(format, *args)

    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        environ[DROP_CONNECTION] = self._drop_connection
        return environ

    def _drop_connection(self) -> None:
        """Cut the connection with no answer (the fail_after_apply fault's "drop").

        wsgiref's own write of the answer then meets a closed socket, which it takes for a
        client gone away and ignores.
        """
        self.connection.shutdown(socket.SHUT_RDWR)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m plain_gateway.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--data", default=None, help="SQLite file for the state (default: memory)")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("PLAIN_API_KEY"),
        help="the Bearer key clients must send (default: $PLAIN_API_KEY)",
    )
    parser.add_argument(
        "--allow-http-targets",
        action="store_true",
        help="let webhook target and customer card URLs be plain http on loopback (real "
        "Plain requires https)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument(
        "--print-sdl", action="store_true", help="print the emulator's schema (SDL) and exit"
    )
    args = parser.parse_args(argv)
    if args.print_sdl:
        sys.stdout.write(schema_file_text())
        return 0
    if not args.api_key:
        parser.error("--api-key (or PLAIN_API_KEY) is required")
    if args.data:
        os.makedirs(os.path.dirname(os.path.abspath(args.data)), exist_ok=True)
    # The server sends webhooks and loads customer cards itself, from background threads.
    app = create_app(
        api_key=args.api_key,
        data_path=args.data,
        allow_http_targets=args.allow_http_targets,
        deliver_in_background=True,
    )
    server = make_server(
        args.host, args.port, app, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    server.verbose = args.verbose  # type: ignore[attr-defined]
    host, port = server.server_address[:2]
    host = host.decode() if isinstance(host, bytes) else host
    print(f"Plain emulator serving http://{host}:{port}/graphql/v1", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
