"""plain_gateway: a framework-free client for Plain's GraphQL API, and a local Plain emulator."""

from plain_gateway.client import PlainClient

__all__ = ["PlainClient"]
