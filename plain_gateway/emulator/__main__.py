"""Serve the emulator over HTTP: python -m plain_gateway.emulator --port 8765 --api-key KEY."""

from __future__ import annotations

import argparse
import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from plain_gateway.emulator.app import create_app


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:  # type: ignore[attr-defined]
            super().log_message(format, *args)


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
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    if not args.api_key:
        parser.error("--api-key (or PLAIN_API_KEY) is required")
    if args.data:
        os.makedirs(os.path.dirname(os.path.abspath(args.data)), exist_ok=True)
    app = create_app(api_key=args.api_key, data_path=args.data)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
