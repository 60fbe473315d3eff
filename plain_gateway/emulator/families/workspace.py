"""Workspace, users and machine users: who may call, and who an actor is.

The emulator starts with one machine user behind the API key it was started with; the control
API adds human agents (Users), each with an API key of its own. Keys are stored as their SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from plain_gateway.emulator import graph
from plain_gateway.emulator.errors import invalid
from plain_gateway.emulator.families import SYSTEM, Actor, Family
from plain_gateway.emulator.store import new_id

if TYPE_CHECKING:
    from plain_gateway.emulator.state import State

__all__ = ["ApiKey", "MachineUser", "User", "Workspace", "key_hash"]


@dataclass(slots=True)
class MachineUser:
    id: str
    full_name: str
    public_name: str
    created_at: int
    updated_at: int
    description: str | None = None
    type: str = "API_USER"
    created_by: Actor = field(default_factory=lambda: dict(SYSTEM))
    updated_by: Actor = field(default_factory=lambda: dict(SYSTEM))
    is_deleted: bool = False
    deleted_at: int | None = None
    deleted_by: Actor | None = None


@dataclass(slots=True)
class User:
    id: str
    full_name: str
    public_name: str
    email: str
    created_at: int
    updated_at: int
    status_changed_at: int
    status: str = "ONLINE"
    avatar_url: str | None = None
    created_by: Actor = field(default_factory=lambda: dict(SYSTEM))
    updated_by: Actor = field(default_factory=lambda: dict(SYSTEM))
    is_deleted: bool = False
    deleted_at: int | None = None
    deleted_by: Actor | None = None


@dataclass(slots=True)
class ApiKey:
    id: str  # sha256 of the key: the key itself is never stored
    actor: Actor


def key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


class Workspace(Family):
    """Users, machine users and the API keys that act as them."""

    def __init__(self, state: State) -> None:
        super().__init__(state)
        self.machine_users = self.store.collection("machine_user", MachineUser)
        self.users = self.store.collection("user", User)
        self.api_keys = self.store.collection("api_key", ApiKey)
        # Other families name their actors (customers, ...): kind -> id -> name or None.
        self._namers: list[Callable[[Actor], str | None]] = []

    def bootstrap(self) -> None:
        """Create the machine user behind the API key the emulator was started with."""
        if key_hash(self.state.api_key) in self.api_keys:
            return
        now = self.store.now()
        machine_user = MachineUser(
            id=new_id("mu", now),
            full_name="Emulator API key",
            public_name="Support",
            created_at=now,
            updated_at=now,
        )
        self.machine_users[machine_user.id] = machine_user
        self.store.touch("machine_user", machine_user.id)
        api_key = ApiKey(
            id=key_hash(self.state.api_key),
            actor={"kind": "machine_user", "id": machine_user.id},
        )
        self.api_keys[api_key.id] = api_key
        self.store.touch("api_key", api_key.id)

    def actor_for_key(self, api_key: str) -> Actor | None:
        found = self.api_keys.get(key_hash(api_key))
        return dict(found.actor) if found else None

    def agent_create(
        self, *, full_name: str, public_name: str, email: str | None = None
    ) -> tuple[User, str]:
        """A human agent (a Plain User) and a new API key whose requests act as that user."""
        if not full_name.strip():
            raise invalid("full_name", "full_name is required", "REQUIRED")
        now = self.store.now()
        user = User(
            id=new_id("u", now),
            full_name=full_name.strip(),
            public_name=(public_name or full_name).strip(),
            email=email or f"agent-{len(self.users) + 1}@emulator.plain.test",
            created_at=now,
            updated_at=now,
            status_changed_at=now,
        )
        self.users[user.id] = user
        self.store.touch("user", user.id)
        key = f"plainApiKey_emulator_{secrets.token_urlsafe(24)}"
        api_key = ApiKey(id=key_hash(key), actor={"kind": "user", "id": user.id})
        self.api_keys[api_key.id] = api_key
        self.store.touch("api_key", api_key.id)
        self.store.emit("workspace.user_created", user_id=user.id)
        return user, key

    def user_find(self, *, user_id: str | None = None, email: str | None = None) -> User | None:
        if user_id:
            return self.users.get(user_id)
        if email:
            return next((u for u in self.users.values() if u.email == email), None)
        return None

    def actor_namer_register(self, namer: Callable[[Actor], str | None]) -> None:
        """Let another family name its actors (`namer` returns None for actors not its own)."""
        self._namers.append(namer)

    def actor_name(self, actor: Actor) -> str:
        if actor["kind"] == "user" and actor["id"] in self.users:
            return self.users[actor["id"]].public_name
        if actor["kind"] == "machine_user" and actor["id"] in self.machine_users:
            return self.machine_users[actor["id"]].public_name
        for namer in self._namers:
            name = namer(actor)
            if name is not None:
                return name
        return "Support"


# --- resolvers ---------------------------------------------------------------------------------


def _workspace(info: GraphQLResolveInfo) -> Workspace:
    return graph.ctx(info).state.family(Workspace)


def _me(kind: str) -> Callable[..., Any]:
    def resolve(_root: Any, info: GraphQLResolveInfo) -> Any:
        context = graph.ctx(info)
        if context.actor["kind"] != kind:
            return None
        workspace = _workspace(info)
        found = workspace.users if kind == "user" else workspace.machine_users
        return found.get(context.actor["id"])

    return resolve


def _actor_id(actor: Actor, _info: GraphQLResolveInfo) -> str:
    return actor["id"]


RESOLVERS: graph.Resolvers = {
    "Query": {
        "myUser": _me("user"),
        "myMachineUser": _me("machine_user"),
        "user": lambda _r, i, userId: _workspace(i).users.get(userId),
        "machineUser": lambda _r, i, machineUserId: _workspace(i).machine_users.get(machineUserId),
    },
    "UserActor": {"userId": _actor_id, "user": lambda a, i: _workspace(i).users[a["id"]]},
    "MachineUserActor": {
        "machineUserId": _actor_id,
        "machineUser": lambda a, i: _workspace(i).machine_users[a["id"]],
    },
    "SystemActor": {"systemId": _actor_id, "workflowExecutionId": graph.none},
    "User": {"labels": graph.empty},
}


# Declared fields this family holds no data for: answered as Plain answers when there is none.
ABSENT: dict[str, tuple[str, ...]] = {
    "MachineUser": (
        "avatar",
        "apiKey",
        "apiKeys",
    ),
    "User": (
        "avatar",
        "roles",
        "role",
        "slackIdentities",
        "defaultSavedThreadsView",
        "workingHours",
    ),
}
