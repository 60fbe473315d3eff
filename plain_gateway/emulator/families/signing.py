"""Request signing: the workspace's HMAC secret, which signs every webhook the emulator sends.

`workspaceHmac` answers the secret; `regenerateWorkspaceHmac` replaces it (signatures made with
the old one stop verifying at once, as in Plain). The declarations live in workspace.graphql.

Conservative choices where Plain does not document its behaviour: a fresh workspace already has a
secret (so every webhook is signed from the start; Plain may start with none), and only users and
machine users may read or rotate it. The secret is persisted in the store and never logged: the
domain event of a rotation names no secret.

A fresh workspace's secret is derived from the emulator's API key (an HMAC of it), so it is the
same after a reset and in every process started with that key: a receiver that cached it keeps
verifying. Only a rotation makes a random one (kept until the next reset). Knowing the key gives
no more than `workspaceHmac` itself answers to its holder.

This family also holds the workspace id the webhooks carry (`Plain-Workspace-Id`,
`workspaceId`), derived from the key the same way: `signing_workspace_id()`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo
from ulid import ULID

from plain_gateway.emulator import graph
from plain_gateway.emulator.errors import StateError
from plain_gateway.emulator.families import SYSTEM, Actor, Family

if TYPE_CHECKING:
    from plain_gateway.emulator.state import State

__all__ = ["Signing", "WorkspaceHmac"]

HMAC_ID = "workspace"


@dataclass(slots=True)
class WorkspaceHmac:
    id: str  # always HMAC_ID: one per workspace
    workspace_id: str
    hmac_secret: str
    created_at: int
    updated_at: int
    created_by: Actor = field(default_factory=lambda: dict(SYSTEM))
    updated_by: Actor = field(default_factory=lambda: dict(SYSTEM))

    def __repr__(self) -> str:  # never print the secret
        return f"WorkspaceHmac(workspace_id={self.workspace_id!r}, hmac_secret=<hidden>)"


def _secret() -> str:
    return secrets.token_hex(32)


def _derived(api_key: str, purpose: bytes) -> bytes:
    return hmac.new(api_key.encode(), b"plain-emulator:" + purpose, hashlib.sha256).digest()


class Signing(Family):
    """The workspace's request-signing secret."""

    def __init__(self, state: State) -> None:
        super().__init__(state)
        self.workspace_hmacs = self.store.collection("workspace_hmac", WorkspaceHmac)

    def bootstrap(self) -> None:
        if HMAC_ID in self.workspace_hmacs:
            return
        now = self.store.now()
        api_key = self.state.api_key
        self.workspace_hmacs[HMAC_ID] = WorkspaceHmac(
            id=HMAC_ID,
            workspace_id=f"w_{ULID.from_bytes(_derived(api_key, b'workspace-id')[:16])}",
            hmac_secret=_derived(api_key, b"workspace-hmac").hex(),
            created_at=now,
            updated_at=now,
        )
        self.store.touch("workspace_hmac", HMAC_ID)

    def workspace_hmac(self) -> WorkspaceHmac:
        return self.workspace_hmacs[HMAC_ID]

    def signing_secret(self) -> str:
        return self.workspace_hmac().hmac_secret

    def signing_workspace_id(self) -> str:
        return self.workspace_hmac().workspace_id

    def workspace_hmac_regenerate(self, *, actor: Actor) -> WorkspaceHmac:
        found = self.workspace_hmac()
        found.hmac_secret = _secret()
        found.updated_at, found.updated_by = self.store.now(), actor
        self.store.touch("workspace_hmac", found.id)
        self.store.emit("workspace.workspace_hmac_regenerated", workspace_id=found.workspace_id)
        return found


# --- resolvers ---------------------------------------------------------------------------------


def q_workspace_hmac(_root: Any, info: GraphQLResolveInfo) -> WorkspaceHmac:
    context = graph.ctx(info)
    try:
        graph.internal_actor_only(context)
    except StateError as error:
        raise graph.QueryError(error.message, "FORBIDDEN") from None
    return context.state.family(Signing).workspace_hmac()


@graph.mutation
def m_regenerate_workspace_hmac(context: graph.Context, _data: dict[str, Any]) -> dict[str, Any]:
    graph.internal_actor_only(context)
    return {
        "workspaceHmac": context.state.family(Signing).workspace_hmac_regenerate(
            actor=context.actor
        )
    }


def _no_input(resolve: Any) -> Any:
    # regenerateWorkspaceHmac takes no input; graph.mutation passes one.
    def wrapped(root: Any, info: GraphQLResolveInfo) -> Any:
        return resolve(root, info, input={})

    return wrapped


RESOLVERS: graph.Resolvers = {
    "Query": {"workspaceHmac": q_workspace_hmac},
    "Mutation": {"regenerateWorkspaceHmac": _no_input(m_regenerate_workspace_hmac)},
}
