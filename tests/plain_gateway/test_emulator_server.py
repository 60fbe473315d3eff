"""The emulator keeps its state in a SQLite file across instances, and serves over real HTTP."""

from __future__ import annotations

import httpx

from plain_gateway.emulator import EmulatorControl, create_app
from plain_gateway.emulator.families.threads import Threads

URL = "http://emulator.test/graphql/v1"
KEY = "persist-key"


def _post(app, query, *, key=KEY, **variables):
    with httpx.Client(transport=httpx.WSGITransport(app=app)) as client:
        response = client.post(
            URL,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {key}"},
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def _create_thread(app, title):
    customer = _post(
        app,
        """mutation { upsertCustomer(input: {
        identifier: { emailAddress: "a@acme.test" },
        onCreate: { fullName: "A", email: { email: "a@acme.test", isVerified: true } }, onUpdate: {}
      }) { customer { id } } }""",
    )["upsertCustomer"]["customer"]
    return _post(
        app,
        """mutation m($c: ID!, $t: String!) { createThread(input: {
        customerIdentifier: { customerId: $c }, title: $t,
        components: [{ componentText: { text: "hi" } }]
      }) { thread { id ref } error { code } } }""",
        c=customer["id"],
        t=title,
    )["createThread"]["thread"]


THREADS = (
    "{ threads(sortBy: { field: CREATED_AT, direction: ASC }) { edges { node { ref title } } } }"
)


def test_state_survives_a_restart_on_the_same_file(tmp_path):
    path = str(tmp_path / "plain.sqlite3")
    first = create_app(api_key=KEY, data_path=path)
    _create_thread(first, "before restart")

    second = create_app(api_key=KEY, data_path=path)
    _create_thread(second, "after restart")

    refs = [e["node"] for e in _post(second, THREADS)["threads"]["edges"]]
    assert refs == [
        {"ref": "T-1", "title": "before restart"},
        {"ref": "T-2", "title": "after restart"},
    ]


def test_two_instances_on_one_file_see_each_others_writes(tmp_path):
    path = str(tmp_path / "plain.sqlite3")
    one = create_app(api_key=KEY, data_path=path)
    two = create_app(api_key=KEY, data_path=path)

    _create_thread(one, "from one")
    seen_by_two = _post(two, THREADS)["threads"]["edges"]
    _create_thread(two, "from two")
    seen_by_one = _post(one, THREADS)["threads"]["edges"]

    assert [e["node"]["title"] for e in seen_by_two] == ["from one"]
    assert [e["node"]["title"] for e in seen_by_one] == ["from one", "from two"]
    assert [e["node"]["ref"] for e in seen_by_one] == ["T-1", "T-2"]


def test_agent_keys_and_uploads_persist_and_a_reset_reaches_every_instance(tmp_path):
    path = str(tmp_path / "plain.sqlite3")
    one = create_app(api_key=KEY, data_path=path)
    agent_key = EmulatorControl(
        url=URL, api_key=KEY, transport=httpx.WSGITransport(app=one)
    ).add_agent(full_name="Sam Agent", public_name="Sam")
    thread = _create_thread(one, "hello")
    two = create_app(api_key=KEY, data_path=path)

    me = _post(two, "{ myUser { fullName } }", key=agent_key)
    EmulatorControl(url=URL, api_key=KEY, transport=httpx.WSGITransport(app=two)).reset()
    after_reset = _post(one, "query q($id: ID!) { thread(threadId: $id) { id } }", id=thread["id"])

    assert me == {"myUser": {"fullName": "Sam Agent"}}
    assert after_reset == {"thread": None}


def test_an_in_memory_emulator_keeps_nothing(tmp_path):
    _create_thread(create_app(api_key=KEY), "gone")

    assert _post(create_app(api_key=KEY), THREADS)["threads"]["edges"] == []


def test_a_crashed_mutation_leaves_the_file_unchanged(tmp_path, monkeypatch):
    path = str(tmp_path / "plain.sqlite3")
    app = create_app(api_key=KEY, data_path=path)
    thread = _create_thread(app, "steady")
    state = app.state

    def explode(*_args, **_kwargs):
        raise RuntimeError("bug in the emulator")

    threads = state.family(Threads)
    original = threads.entry_append
    calls = []

    def append_then_explode(*args, **kwargs):
        calls.append(1)
        original(*args, **kwargs)
        explode()

    monkeypatch.setattr(threads, "entry_append", append_then_explode)
    with httpx.Client(transport=httpx.WSGITransport(app=app)) as client:
        body = client.post(
            URL,
            json={
                "query": "mutation m($id: ID!) { markThreadAsDone(input: { threadId: $id }) "
                "{ thread { status } } }",
                "variables": {"id": thread["id"]},
            },
            headers={"Authorization": f"Bearer {KEY}"},
        ).json()
    monkeypatch.undo()

    assert calls and body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    status = _post(
        create_app(api_key=KEY, data_path=path),
        "query q($id: ID!) { thread(threadId: $id) { status } }",
        id=thread["id"],
    )
    assert status == {"thread": {"status": "TODO"}}
    assert (
        _post(app, "query q($id: ID!) { thread(threadId: $id) { status } }", id=thread["id"])
        == status
    )


def test_the_standalone_server_answers_graphql_and_control_requests_over_http(served):
    assert served.startswith("http://127.0.0.1:")
    with httpx.Client(timeout=10) as client:
        refused = client.post(served, json={"query": "{ myUser { id } }"})
        answered = client.post(
            served,
            json={"query": "{ myMachineUser { publicName } }"},
            headers={"Authorization": "Bearer served-key"},
        )
    with EmulatorControl(url=served, api_key="served-key") as control:
        ids = control.inbound_email(from_email="z@z.test", subject="Hi", text="Over HTTP")
        logged = control.requests()

    assert refused.status_code == 401
    assert answered.json() == {"data": {"myMachineUser": {"publicName": "Support"}}}
    assert ids["thread_id"].startswith("th_")
    assert [r["status"] for r in logged] == [401, 200]


def test_concurrent_requests_from_many_threads_stay_consistent(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    app = create_app(api_key=KEY, data_path=str(tmp_path / "plain.sqlite3"))
    _create_thread(app, "warm-up")

    with ThreadPoolExecutor(max_workers=8) as pool:
        refs = list(pool.map(lambda n: _create_thread(app, f"t{n}")["ref"], range(40)))

    assert sorted(refs, key=lambda r: int(r[2:])) == [f"T-{n}" for n in range(2, 42)]
    reopened = _post(
        create_app(api_key=KEY, data_path=str(tmp_path / "plain.sqlite3")),
        "{ threads(first: 100) { totalCount } }",
    )
    assert reopened == {"threads": {"totalCount": 41}}
