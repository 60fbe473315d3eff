"""Thread assignment: who a thread is assigned to, and who else works on it.

An assignee is a user or a machine user, named by its actor (`{"kind": "user", "id": ...}`).
Each thread has at most one assignee and any number of additional assignees, kept here by
thread id (an `Assignment`), not on the thread. Writes: `thread_assign` (assignThread, and
createThread's `assignedTo` through Threads.creation_option_register), `thread_unassign`,
`additional_assignees_add` and `additional_assignees_remove`.

Every change appends a timeline entry to the thread (kind "assignment", Plain's
ThreadAssignmentTransitionedEntry; kind "additional_assignees", its
ThreadAdditionalAssigneesTransitionedEntry) and emits an event carrying the previous and the next
value: `thread.thread_assignment_transitioned` (thread_id, previous_assignee, assignee: actors or
None) and `thread.thread_additional_assignees_transitioned` (thread_id, previous_assignees,
assignees), the latter a name of the emulator's own (Plain's webhooks have no such event).

Choices where Plain's behaviour is not documented:
- assignThread needs exactly one of userId and machineUserId (input_validation on both when
  neither or both are given); an unknown or deleted user or machine user is not_found on its field.
- Assigning a thread to its current assignee, unassigning an unassigned thread, adding an
  additional assignee already there and removing one who is not are no-ops: the thread is
  answered, no entry is written and no event emitted.
- add/removeAdditionalAssignees need at least one id (input_validation on userIds and
  machineUserIds); the thread's assignee cannot also be an additional assignee
  (input_validation on the id's field). Assigning a thread to one of its additional assignees
  takes them off the additional list (one entry for each change).
- Assignment leaves the thread's status alone.

Thread filters (ThreadsFilter.isAssigned, assignedToUser) are the threads family's to apply;
`assigned_thread_ids` answers them for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import GraphQLResolveInfo

from plain_gateway.emulator import graph
from plain_gateway.emulator.errors import FieldError, StateError, fields_invalid, not_found
from plain_gateway.emulator.families import Actor, Family
from plain_gateway.emulator.families.threads import CreationOption, Thread, Threads
from plain_gateway.emulator.families.workspace import MachineUser, User, Workspace

if TYPE_CHECKING:
    from plain_gateway.emulator.state import State

__all__ = ["Assignment", "Assignments"]

_ID_FIELDS = {"user": "user_id", "machine_user": "machine_user_id"}
_IDS_FIELDS = {"user": "user_ids", "machine_user": "machine_user_ids"}


@dataclass(slots=True)
class Assignment:
    id: str  # the thread's id
    assignee: Actor | None = None
    assigned_at: int | None = None
    additional: list[Actor] = field(default_factory=list)


class Assignments(Family):
    requires = (Workspace, Threads)

    def __init__(self, state: State) -> None:
        super().__init__(state)
        self.assignments = self.store.collection("assignment", Assignment)
        state.family(Threads).creation_option_register(
            "assigned_to",
            CreationOption(
                from_input=_assignee_input, check=self._creation_check, apply=self._creation_apply
            ),
        )

    @property
    def _threads(self) -> Threads:
        return self.state.family(Threads)

    @property
    def _workspace(self) -> Workspace:
        return self.state.family(Workspace)

    # --- reads ----------------------------------------------------------------------------------

    def assignment_of(self, thread_id: str) -> Assignment:
        """The thread's assignment (an empty one when it was never assigned)."""
        return self.assignments.get(thread_id) or Assignment(id=thread_id)

    def assigned_thread_ids(
        self, *, is_assigned: bool | None = None, user_ids: Sequence[str] | None = None
    ) -> set[str] | None:
        """The ids of threads with (is_assigned True) or without (False) an assignee, and
        assigned to one of `user_ids`; None when neither filter is given (no narrowing)."""
        if is_assigned is None and user_ids is None:
            return None
        assigned = {a.id for a in self.assignments.values() if a.assignee is not None}
        found = set(self._threads.threads) - assigned if is_assigned is False else assigned
        if user_ids is not None:
            wanted = [{"kind": "user", "id": i} for i in user_ids]
            found = {i for i in found if self.assignment_of(i).assignee in wanted}
        return found

    def assignee_check(self, assignee: Actor, *, field_name: str) -> Actor:
        """`assignee` if it is a user or machine user who exists (else not_found on the field)."""
        workspace = self._workspace
        found: User | MachineUser | None
        if assignee["kind"] == "user":
            found = workspace.users.get(assignee["id"])
            what = "user"
        elif assignee["kind"] == "machine_user":
            found = workspace.machine_users.get(assignee["id"])
            what = "machine user"
        else:
            raise ValueError(f"a thread cannot be assigned to a {assignee['kind']}")
        if found is None or found.is_deleted:
            raise not_found(field_name, what, assignee["id"])
        return {"kind": assignee["kind"], "id": assignee["id"]}

    # --- writes ---------------------------------------------------------------------------------

    def thread_assign(
        self,
        *,
        actor: Actor,
        thread_id: str,
        user_id: str | None = None,
        machine_user_id: str | None = None,
    ) -> Thread:
        """assignThread: the thread's assignee becomes the user or machine user."""
        assignee = _one_assignee(user_id, machine_user_id, field_prefix="")
        thread = self._threads.thread_get(thread_id)
        checked = self.assignee_check(assignee, field_name=_ID_FIELDS[assignee["kind"]])
        self._assignee_set(thread, checked, actor=actor)
        return thread

    def thread_unassign(self, *, actor: Actor, thread_id: str) -> Thread:
        """unassignThread: the thread has no assignee any more."""
        thread = self._threads.thread_get(thread_id)
        self._assignee_set(thread, None, actor=actor)
        return thread

    def additional_assignees_add(
        self,
        *,
        actor: Actor,
        thread_id: str,
        user_ids: Sequence[str] | None = None,
        machine_user_ids: Sequence[str] | None = None,
    ) -> Thread:
        thread, wanted = self._additional_check(thread_id, user_ids, machine_user_ids)
        assignment = self.assignment_of(thread.id)
        errors = [
            FieldError(
                f"{_IDS_FIELDS[a['kind']]}[{index}]",
                "the thread's assignee cannot also be an additional assignee",
            )
            for a, index in wanted
            if a == assignment.assignee
        ]
        if errors:
            raise fields_invalid(errors)
        added = [a for a, _ in wanted if a not in assignment.additional]
        self._additional_set(thread, [*assignment.additional, *_unique(added)], actor=actor)
        return thread

    def additional_assignees_remove(
        self,
        *,
        actor: Actor,
        thread_id: str,
        user_ids: Sequence[str] | None = None,
        machine_user_ids: Sequence[str] | None = None,
    ) -> Thread:
        thread, wanted = self._additional_check(thread_id, user_ids, machine_user_ids)
        removed = [a for a, _ in wanted]
        kept = [a for a in self.assignment_of(thread.id).additional if a not in removed]
        self._additional_set(thread, kept, actor=actor)
        return thread

    # --- helpers --------------------------------------------------------------------------------

    def _creation_check(self, assignee: Actor, *, field_name: str) -> Actor:
        return self.assignee_check(
            assignee, field_name=f"{field_name}.{_ID_FIELDS[assignee['kind']]}"
        )

    def _creation_apply(self, thread: Thread, *, actor: Actor, checked: Actor) -> None:
        self._assignee_set(thread, checked, actor=actor)

    def _additional_check(
        self,
        thread_id: str,
        user_ids: Sequence[str] | None,
        machine_user_ids: Sequence[str] | None,
    ) -> tuple[Thread, list[tuple[Actor, int]]]:
        if not user_ids and not machine_user_ids:
            message = "give at least one of userIds and machineUserIds"
            raise fields_invalid(
                [FieldError(name, message, "REQUIRED") for name in _IDS_FIELDS.values()]
            )
        thread = self._threads.thread_get(thread_id)
        wanted: list[tuple[Actor, int]] = []
        for kind, ids in (("user", user_ids), ("machine_user", machine_user_ids)):
            for index, found_id in enumerate(ids or ()):
                field_name = f"{_IDS_FIELDS[kind]}[{index}]"
                actor = self.assignee_check({"kind": kind, "id": found_id}, field_name=field_name)
                wanted.append((actor, index))
        return thread, wanted

    def _stored(self, thread_id: str) -> Assignment:
        if thread_id not in self.assignments:
            self.assignments[thread_id] = Assignment(id=thread_id)
        self.store.touch("assignment", thread_id)
        return self.assignments[thread_id]

    def _assignee_set(self, thread: Thread, assignee: Actor | None, *, actor: Actor) -> None:
        previous = self.assignment_of(thread.id).assignee
        if previous == assignee:
            return
        assignment = self._stored(thread.id)
        if assignee is not None and assignee in assignment.additional:
            self._additional_set(
                thread, [a for a in assignment.additional if a != assignee], actor=actor
            )
        now = self.store.now()
        assignment.assignee = assignee
        assignment.assigned_at = now if assignee is not None else None
        self._threads.entry_append(
            thread,
            actor=actor,
            kind="assignment",
            data={"previous_assignee": previous, "next_assignee": assignee},
            timestamp=now,
        )
        self.store.emit(
            "thread.thread_assignment_transitioned",
            thread_id=thread.id,
            previous_assignee=previous,
            assignee=assignee,
        )

    def _additional_set(self, thread: Thread, additional: list[Actor], *, actor: Actor) -> None:
        previous = list(self.assignment_of(thread.id).additional)
        if previous == additional:
            return
        assignment = self._stored(thread.id)
        assignment.additional = list(additional)
        self._threads.entry_append(
            thread,
            actor=actor,
            kind="additional_assignees",
            data={"previous_assignees": previous, "next_assignees": list(additional)},
        )
        self.store.emit(
            "thread.thread_additional_assignees_transitioned",
            thread_id=thread.id,
            previous_assignees=previous,
            assignees=list(additional),
        )


def _unique(actors: Iterable[Actor]) -> list[Actor]:
    result: list[Actor] = []
    for found in actors:
        if found not in result:
            result.append(found)
    return result


def _one_assignee(user_id: str | None, machine_user_id: str | None, *, field_prefix: str) -> Actor:
    """The actor named by exactly one of the two ids (else input_validation on both)."""
    if (user_id is None) == (machine_user_id is None):
        message = "give exactly one of userId and machineUserId"
        raise StateError(
            "input_validation",
            message,
            [FieldError(f"{field_prefix}{name}", message) for name in _ID_FIELDS.values()],
        )
    if user_id is not None:
        return {"kind": "user", "id": user_id}
    assert machine_user_id is not None
    return {"kind": "machine_user", "id": machine_user_id}


# --- resolvers ---------------------------------------------------------------------------------


def _assignee_input(value: dict[str, Any]) -> Actor:
    """createThread's assignedTo ({userId} or {machineUserId}) as an actor."""
    return _one_assignee(
        value.get("userId"), value.get("machineUserId"), field_prefix="assigned_to."
    )


def _assignments(info: GraphQLResolveInfo) -> Assignments:
    return graph.ctx(info).state.family(Assignments)


def _assignee_view(assignee: Actor | None, info: GraphQLResolveInfo) -> Any:
    """A ThreadAssignee: the User or MachineUser behind an actor (System for the system)."""
    if assignee is None:
        return None
    workspace = graph.ctx(info).state.family(Workspace)
    if assignee["kind"] == "user":
        return workspace.users[assignee["id"]]
    if assignee["kind"] == "machine_user":
        return workspace.machine_users[assignee["id"]]
    return graph.Payload("System", {"id": assignee["id"]})


def _assignee_type(value: Any, *_: Any) -> str:
    if isinstance(value, User):
        return "User"
    if isinstance(value, MachineUser):
        return "MachineUser"
    return graph.typename(value)


def _thread_assignment(thread: Thread, info: GraphQLResolveInfo) -> Assignment:
    return _assignments(info).assignment_of(thread.id)


@graph.mutation
def m_assign_thread(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    thread = context.state.family(Assignments).thread_assign(
        actor=context.actor,
        thread_id=data["threadId"],
        user_id=data.get("userId"),
        machine_user_id=data.get("machineUserId"),
    )
    return {"thread": thread}


@graph.mutation
def m_unassign_thread(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
    thread = context.state.family(Assignments).thread_unassign(
        actor=context.actor, thread_id=data["threadId"]
    )
    return {"thread": thread}


def _additional_mutation(add: bool) -> graph.MutationResolver:
    @graph.mutation
    def resolve(context: graph.Context, data: dict[str, Any]) -> dict[str, Any]:
        family = context.state.family(Assignments)
        write = family.additional_assignees_add if add else family.additional_assignees_remove
        thread = write(
            actor=context.actor,
            thread_id=data["threadId"],
            user_ids=data.get("userIds"),
            machine_user_ids=data.get("machineUserIds"),
        )
        return {"thread": thread}

    return resolve


RESOLVERS: graph.Resolvers = {
    "Mutation": {
        "assignThread": m_assign_thread,
        "unassignThread": m_unassign_thread,
        "addAdditionalAssignees": _additional_mutation(add=True),
        "removeAdditionalAssignees": _additional_mutation(add=False),
    },
    "Thread": {
        "assignedTo": lambda t, i: _assignee_view(_thread_assignment(t, i).assignee, i),
        "assignedAt": lambda t, i: _thread_assignment(t, i).assigned_at,
        "additionalAssignees": lambda t, i: [
            _assignee_view(a, i) for a in _thread_assignment(t, i).additional
        ],
    },
    "ThreadAssignmentTransitionedEntry": {
        "previousAssignee": lambda p, i: _assignee_view(p["previous_assignee"], i),
        "nextAssignee": lambda p, i: _assignee_view(p["next_assignee"], i),
    },
    "ThreadAdditionalAssigneesTransitionedEntry": {
        "previousAssignees": lambda p, i: [_assignee_view(a, i) for a in p["previous_assignees"]],
        "nextAssignees": lambda p, i: [_assignee_view(a, i) for a in p["next_assignees"]],
    },
}

TYPE_RESOLVERS = {"ThreadAssignee": _assignee_type}
