"""Workspace, users and machine users: who may call, and who an actor is.

The emulator starts with one workspace (`w_...`, named by the environment variable
PLAIN_EMULATOR_WORKSPACE_NAME when it is first created, else "Emulated workspace"; not a demo
workspace, no domain names, no logo) and one machine user behind the API key it was started
with; the control API adds human agents (Users), each with an API key of its own and a role.
Keys are stored as their SHA-256, and each key's record has its own `ak_...` id: neither the key
nor its hash is ever answered.

Choices where Plain's behaviour is not documented:
- Roles are Plain's built-in OWNER, ADMIN and SUPPORT (RoleKey), one per user; an agent made by
  the control API is SUPPORT unless it asks for another. Every built-in role may be assigned
  threads, customers and tasks, so UsersFilter's isAssignableTo* true matches every user and
  false none. Roles and API keys list Plain's permission names for what the emulator does, but
  nothing checks them: every key may do everything.
- A user's status starts ONLINE (the first value of Plain's UserStatus); isDeleted is false.
- userByEmail matches the email case-insensitively; `users` is ordered by creation, oldest first.
- The workspace's email settings name the one support address the emulator receives at and
  sends from (SUPPORT_EMAIL_ADDRESS), on a domain that is not configured or verified; chat is
  enabled (the emulator takes chats over the API).
"""

from __future__ import annotations

import hashlib
import os
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
    from plain_gateway.emulator.paging import Connection
    from plain_gateway.emulator.state import State

__all__ = [
    "DEFAULT_WORKSPACE_NAME",
    "ROLE_KEYS",
    "SUPPORT_EMAIL_ADDRESS",
    "WORKSPACE_NAME_SETTING",
    "ApiKey",
    "MachineUser",
    "User",
    "Workspace",
    "WorkspaceRecord",
    "key_hash",
]

WORKSPACE_NAME_SETTING = "PLAIN_EMULATOR_WORKSPACE_NAME"
DEFAULT_WORKSPACE_NAME = "Emulated workspace"
SUPPORT_DOMAIN = "emulator.plain.test"
SUPPORT_EMAIL_ADDRESS = f"support@{SUPPORT_DOMAIN}"
ROLE_KEYS = ("OWNER", "ADMIN", "SUPPORT")
_ROLE_NAMES = {"OWNER": "Owner", "ADMIN": "Admin", "SUPPORT": "Support"}
# Plain's permission names for what the emulator does (listed, never checked).
PERMISSIONS = (
    "customer:create",
    "customer:delete",
    "customer:edit",
    "customer:read",
    "customerEvent:create",
    "customerTenantMembership:create",
    "customerTenantMembership:delete",
    "label:create",
    "label:delete",
    "label:read",
    "labelType:read",
    "machineUser:read",
    "tenant:create",
    "tenant:read",
    "thread:assign",
    "thread:create",
    "thread:edit",
    "thread:read",
    "threadEvent:create",
    "threadEvent:read",
    "threadField:create",
    "threadField:delete",
    "threadField:read",
    "threadField:update",
    "user:read",
)


@dataclass(slots=True)
class WorkspaceRecord:
    id: str
    name: str
    public_name: str
    created_at: int
    updated_at: int
    is_demo_workspace: bool = False


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
    role_key: str = "SUPPORT"


@dataclass(slots=True)
class ApiKey:
    """An API key's record. `id` is the key's SHA-256 (the store's key, never answered);
    `key_id` is the `ak_...` id Plain's ApiKey answers."""

    id: str
    actor: Actor
    key_id: str = ""
    description: str | None = None
    created_at: int = 0
    updated_at: int = 0
    created_by: Actor = field(default_factory=lambda: dict(SYSTEM))
    updated_by: Actor = field(default_factory=lambda: dict(SYSTEM))

    @property
    def permissions(self) -> list[str]:
        return list(PERMISSIONS)


def key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


class Workspace(Family):
    """The workspace, its users, machine users and the API keys that act as them."""

    def __init__(self, state: State) -> None:
        super().__init__(state)
        self.workspaces = self.store.collection("workspace", WorkspaceRecord)
        self.machine_users = self.store.collection("machine_user", MachineUser)
        self.users = self.store.collection("user", User)
        self.api_keys = self.store.collection("api_key", ApiKey)
        self.api_key_by_key_id: dict[str, str] = {}
        # Other families name their actors (customers, ...): kind -> id -> name or None.
        self._namers: list[Callable[[Actor], str | None]] = []

    def reindex(self) -> None:
        for api_key in self.api_keys.values():
            if not api_key.key_id:  # a record written before keys had an id of their own
                api_key.key_id = new_id("ak", api_key.created_at)
                self.store.touch("api_key", api_key.id)
        self.api_key_by_key_id = {k.key_id: k.id for k in self.api_keys.values()}

    def bootstrap(self) -> None:
        """Create the workspace and the machine user behind the emulator's own API key."""
        if not self.workspaces:
            now = self.store.now()
            name = os.environ.get(WORKSPACE_NAME_SETTING, "").strip() or DEFAULT_WORKSPACE_NAME
            workspace = WorkspaceRecord(
                id=new_id("w", now), name=name, public_name=name, created_at=now, updated_at=now
            )
            self.workspaces[workspace.id] = workspace
            self.store.touch("workspace", workspace.id)
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
        self._api_key_add(
            self.state.api_key,
            actor={"kind": "machine_user", "id": machine_user.id},
            description="The key the emulator was started with",
        )

    def _api_key_add(self, key: str, *, actor: Actor, description: str | None) -> ApiKey:
        now = self.store.now()
        api_key = ApiKey(
            id=key_hash(key),
            actor=actor,
            key_id=new_id("ak", now),
            description=description,
            created_at=now,
            updated_at=now,
        )
        self.api_keys[api_key.id] = api_key
        self.api_key_by_key_id[api_key.key_id] = api_key.id
        self.store.touch("api_key", api_key.id)
        return api_key

    def actor_for_key(self, api_key: str) -> Actor | None:
        found = self.api_keys.get(key_hash(api_key))
        return dict(found.actor) if found else None

    def workspace_get(self) -> WorkspaceRecord:
        """The one workspace (made by bootstrap)."""
        return next(iter(self.workspaces.values()))

    def agent_create(
        self,
        *,
        full_name: str,
        public_name: str,
        email: str | None = None,
        role: str = "SUPPORT",
    ) -> tuple[User, str]:
        """A human agent (a Plain User) with `role` (OWNER, ADMIN or SUPPORT) and a new API key
        whose requests act as that user."""
        if not full_name.strip():
            raise invalid("full_name", "full_name is required", "REQUIRED")
        if role not in ROLE_KEYS:
            raise invalid("role", f"role must be one of {', '.join(ROLE_KEYS)}")
        email = email or f"agent-{len(self.users) + 1}@{SUPPORT_DOMAIN}"
        if self.user_by_email(email=email) is not None:
            raise invalid("email", f"a user with email {email!r} already exists")
        now = self.store.now()
        user = User(
            id=new_id("u", now),
            full_name=full_name.strip(),
            public_name=(public_name or full_name).strip(),
            email=email,
            created_at=now,
            updated_at=now,
            status_changed_at=now,
            role_key=role,
        )
        self.users[user.id] = user
        self.store.touch("user", user.id)
        key = f"plainApiKey_emulator_{secrets.token_urlsafe(24)}"
        self._api_key_add(key, actor={"kind": "user", "id": user.id}, description=None)
        self.store.emit("workspace.user_created", user_id=user.id)
        return user, key

    def user_find(self, *, user_id: str | None = None, email: str | None = None) -> User | None:
        if user_id:
            return self.users.get(user_id)
        if email:
            return next((u for u in self.users.values() if u.email == email), None)
        return None

    def user_by_email(self, *, email: str) -> User | None:
        """The user whose email is `email`, ignoring case."""
        wanted = email.strip().casefold()
        return next((u for u in self.users.values() if u.email.casefold() == wanted), None)

    def user_list(self, *, assignable: bool | None = None) -> list[User]:
        """Users oldest first; `assignable` keeps those whose role may (True) or may not (False)
        be assigned threads, customers and tasks (every built-in role may)."""
        users = sorted(self.users.values(), key=lambda u: (u.created_at, u.id))
        if assignable is None:
            return users
        return [u for u in users if (u.role_key in ROLE_KEYS) == assignable]

    def api_keys_of(self, actor: Actor) -> list[ApiKey]:
        """The records of the keys acting as `actor`, oldest first."""
        found = [k for k in self.api_keys.values() if k.actor == actor]
        return sorted(found, key=lambda k: (k.created_at, k.key_id))

    def api_key_get(self, *, key_id: str) -> ApiKey | None:
        found = self.api_key_by_key_id.get(key_id)
        return self.api_keys.get(found) if found else None

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


def role_view(key: str) -> dict[str, Any]:
    """Plain's Role for a built-in role key."""
    return {
        "id": f"role_{key.lower()}",
        "name": _ROLE_NAMES[key],
        "description": None,
        "permissions": list(PERMISSIONS),
        "isAssignableToCustomer": True,
        "isAssignableToThread": True,
        "isAssignableToTask": True,
        "assignableBillingSeats": ["MEMBER"],
        "requiresBillableSeat": True,
        "key": key,
        "customRoleId": None,
        "customRole": None,
    }


def _email_settings(_workspace: WorkspaceRecord, _info: GraphQLResolveInfo) -> dict[str, Any]:
    def unverified(kind: str, name: str) -> dict[str, Any]:
        return {"type": kind, "name": name, "value": "", "isVerified": False}

    return {
        "isEnabled": True,
        "bccEmailAddresses": [],
        "workspaceEmailDomainSettings": {
            "domainName": SUPPORT_DOMAIN,
            "supportEmailAddress": SUPPORT_EMAIL_ADDRESS,
            "alternateSupportEmailAddresses": [],
            "isForwardingConfigured": False,
            "inboundForwardingEmail": SUPPORT_EMAIL_ADDRESS,
            "isDomainConfigured": False,
            "dkimDnsRecord": unverified("TXT", f"plain._domainkey.{SUPPORT_DOMAIN}"),
            "returnPathDnsRecord": unverified("CNAME", f"pm-bounces.{SUPPORT_DOMAIN}"),
        },
    }


def _users(
    _root: Any, info: GraphQLResolveInfo, filters: dict[str, Any] | None = None, **paging: Any
) -> Connection[User]:
    # The three isAssignableTo* filters all ask the same of a built-in role: AND them.
    wanted = {v for v in (filters or {}).values() if v is not None}
    assignable = None if not wanted else (wanted == {True})
    users = _workspace(info).user_list(assignable=assignable)
    return graph.page(users, lambda u: (u.created_at, u.id), paging, presorted=True)


def _api_keys(machine_user: MachineUser, info: GraphQLResolveInfo, **paging: Any) -> Any:
    keys = _workspace(info).api_keys_of({"kind": "machine_user", "id": machine_user.id})
    return graph.page(keys, lambda k: (k.created_at, k.key_id), paging, presorted=True)


def _api_key(machine_user: MachineUser, info: GraphQLResolveInfo, apiKeyId: str) -> Any:
    found = _workspace(info).api_key_get(key_id=apiKeyId)
    if found is None or found.actor != {"kind": "machine_user", "id": machine_user.id}:
        return None
    return found


RESOLVERS: graph.Resolvers = {
    "Query": {
        "myUser": _me("user"),
        "myMachineUser": _me("machine_user"),
        "myWorkspace": lambda _r, i: _workspace(i).workspace_get(),
        "user": lambda _r, i, userId: _workspace(i).users.get(userId),
        "userByEmail": lambda _r, i, email: _workspace(i).user_by_email(email=email),
        "users": _users,
        "machineUser": lambda _r, i, machineUserId: _workspace(i).machine_users.get(machineUserId),
    },
    "Workspace": {
        "domainName": graph.none,
        "domainNames": graph.empty,
        "createdBy": lambda _w, _i: dict(SYSTEM),
        "updatedBy": lambda _w, _i: dict(SYSTEM),
        "workspaceEmailSettings": _email_settings,
        "workspaceChatSettings": lambda _w, _i: {"isEnabled": True},
        "logo": graph.none,
        "workOSOrganizationId": graph.none,
        "workOSHubOrganizationId": graph.none,
    },
    "UserActor": {"userId": _actor_id, "user": lambda a, i: _workspace(i).users[a["id"]]},
    "MachineUserActor": {
        "machineUserId": _actor_id,
        "machineUser": lambda a, i: _workspace(i).machine_users[a["id"]],
    },
    "SystemActor": {"systemId": _actor_id, "workflowExecutionId": graph.none},
    "MachineUser": {"avatar": graph.none, "apiKey": _api_key, "apiKeys": _api_keys},
    "ApiKey": {
        "id": graph.key("key_id"),
        "isDeleted": graph.const(False),
        "deletedAt": graph.none,
        "deletedBy": graph.none,
    },
    "User": {
        "labels": graph.empty,
        "avatar": graph.none,
        "roles": lambda u, _i: [role_view(u.role_key)],
        "role": lambda u, _i: role_view(u.role_key),
        "slackIdentities": graph.empty,
        "defaultSavedThreadsView": graph.none,
        "workingHours": graph.none,
    },
}
