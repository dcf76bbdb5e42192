"""The Responses router with a store, in process: what is kept, what callbacks see, background runs, errors.

Background runs are driven step by step with asyncio events on the test's own loop (the app runs on
it too, through `httpx.ASGITransport`); the runner's task is awaited where a test needs it ended.
"""

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from openai.types.responses import Response as SDKResponse

from openai_compat_responses import InMemoryResponseStore, Response, create_responses_router
from openai_compat_responses.stateful import StatefulResponsesPipeline
from openai_compat_responses.store import StoreUnavailableError
from openai_compat_responses.testing import check_events, parse_events

WAIT = 10  # seconds a hand-off may take before the test fails instead of hanging


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": text}


class Stateful:
    """An app serving Responses with a store; the pipeline and store for looking behind the routes."""

    def __init__(self, run_response: Any, *, store: Any = None, **options: Any) -> None:
        self.store = store if store is not None else InMemoryResponseStore()
        router = create_responses_router(
            list_models=lambda: ["m"], run_response=run_response, store=self.store, **options
        )
        self.app = FastAPI()
        self.app.include_router(router)
        self.pipeline: StatefulResponsesPipeline = next(
            route.endpoint.__self__  # type: ignore[attr-defined]
            for route in router.routes
            if isinstance(route, APIRoute) and route.path == "/v1/responses"
        )

    async def finished(self, response_id: str) -> None:
        """Wait until the background task of the response has ended."""
        task = self.pipeline.runner.tasks.get(response_id)
        if task is not None:
            await asyncio.wait_for(asyncio.shield(task), WAIT)


@pytest.fixture
def client_of(asgi_client: Any) -> Callable[[Stateful], Any]:
    return lambda served: asgi_client(served.app)


def echo(model: str, items: list[dict[str, Any]], body: dict[str, Any]) -> str:
    return f"{len(items)} items"


def error_of(response: Any) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


# --- without a store ------------------------------------------------------------------------------


async def test_without_a_store_nothing_is_kept_and_state_fields_pass_through(asgi_client: Any) -> None:
    seen: list[tuple[list[Any], dict[str, Any]]] = []

    def run(model: str, items: list[Any], body: dict[str, Any]) -> str:
        seen.append((items, body))
        return "ok"

    router = create_responses_router(list_models=lambda: ["m"], run_response=run)
    assert {route.path for route in router.routes} == {"/v1/responses", "/responses"}  # type: ignore[attr-defined]
    app = FastAPI()
    app.include_router(router)
    async with asgi_client(app) as client:
        answer = await client.post(
            "/v1/responses",
            json={
                "model": "m",
                "input": "hi",
                "previous_response_id": "resp_x",
                "background": True,
                "conversation": "c",
            },
        )
        assert answer.status_code == 200
        assert answer.json()["store"] is False
        assert (await client.get(f"/v1/responses/{answer.json()['id']}")).status_code == 404
        assert (await client.post("/v1/conversations", json={})).status_code == 404
    [(items, body)] = seen
    assert items == [user("hi")]
    assert body["previous_response_id"] == "resp_x"
    assert body["background"] is True
    assert body["conversation"] == "c"
    assert body["store"] is None


# --- what is kept ----------------------------------------------------------------------------------


async def test_store_defaults_to_true_and_false_keeps_nothing(client_of: Any) -> None:
    bodies: list[dict[str, Any]] = []

    def run(model: str, items: list[Any], body: dict[str, Any]) -> str:
        bodies.append(body)
        return "hello"

    served = Stateful(run)
    async with client_of(served) as client:
        kept = (await client.post("/v1/responses", json={"model": "m", "input": "hi"})).json()
        assert kept["store"] is True
        assert bodies[-1]["store"] is True  # the callback sees what happens
        found = await client.get(f"/v1/responses/{kept['id']}")
        assert found.json() == kept
        SDKResponse.model_validate(found.json())
        dropped = (await client.post("/v1/responses", json={"model": "m", "input": "hi", "store": False})).json()
        assert dropped["store"] is False
        missing = await client.get(f"/v1/responses/{dropped['id']}")
        assert missing.status_code == 404
    assert served.store.response_count == 1


async def yielded_response(model: str, items: list[Any], body: dict[str, Any]) -> AsyncIterator[Any]:
    yield "partial "
    yield Response(id="resp_callbacks_own", created_at=1, model=model, output=[], status="completed")


@pytest.mark.parametrize(
    "run",
    [
        pytest.param(lambda m, i, b: "text", id="text"),
        pytest.param(lambda m, i, b: Response(id="resp_own", created_at=1, model=m, output=[]), id="response"),
        pytest.param(lambda m, i, b: iter(["a", "b"]), id="generator"),
        pytest.param(yielded_response, id="yielded-response"),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
async def test_every_answer_is_kept_as_sent_under_the_routers_id(client_of: Any, run: Any, stream: bool) -> None:
    served = Stateful(run)
    async with client_of(served) as client:
        answer = await client.post("/v1/responses", json={"model": "m", "input": "hi", "stream": stream})
        if stream:
            events = parse_events(answer.text)
            sent = check_events(events, complete_output=False)
            assert {payload["response"]["id"] for name, payload in events if "response" in payload} == {sent["id"]}
        else:
            sent = answer.json()
        assert sent["id"] not in ("resp_own", "resp_callbacks_own")
        assert sent["store"] is True
        found = await client.get(f"/v1/responses/{sent['id']}")
    assert found.json() == sent


async def test_input_items_keep_their_ids_or_get_stable_ones(client_of: Any) -> None:
    served = Stateful(echo)
    sent = [
        user("one"),
        {**user("two"), "id": "msg_mine"},
        {"type": "function_call_output", "call_id": "c", "output": "x"},
    ]
    async with client_of(served) as client:
        created = (await client.post("/v1/responses", json={"model": "m", "input": sent})).json()
        listed = (await client.get(f"/v1/responses/{created['id']}/input_items", params={"order": "asc"})).json()
        again = (await client.get(f"/v1/responses/{created['id']}/input_items", params={"order": "asc"})).json()
    assert listed == again
    data = listed["data"]
    assert [item["id"] for item in data][1] == "msg_mine"
    assert data[0]["id"].startswith("msg_")
    assert data[2]["id"].startswith("fco_")
    assert data[0]["content"] == [{"type": "input_text", "text": "one"}]
    assert {item["status"] for item in data} == {"completed"}
    assert (listed["first_id"], listed["last_id"], listed["has_more"]) == (data[0]["id"], data[2]["id"], False)


# --- previous_response_id -------------------------------------------------------------------------


async def test_a_follow_up_sees_the_whole_conversation_and_not_the_old_instructions(client_of: Any) -> None:
    calls: list[tuple[list[Any], dict[str, Any]]] = []

    def run(model: str, items: list[Any], body: dict[str, Any]) -> str:
        calls.append((items, body))
        return f"answer {len(calls)}"

    served = Stateful(run)
    async with client_of(served) as client:
        first = (await client.post("/v1/responses", json={"model": "m", "input": "one", "instructions": "A"})).json()
        second = (
            await client.post(
                "/v1/responses", json={"model": "m", "input": [user("two")], "previous_response_id": first["id"]}
            )
        ).json()
        third = (
            await client.post(
                "/v1/responses", json={"model": "m", "input": "three", "previous_response_id": second["id"]}
            )
        ).json()
    assert third["previous_response_id"] == second["id"]
    assert third["instructions"] is None
    items, body = calls[-1]
    assert items == [user("one"), first["output"][0], user("two"), second["output"][0], user("three")]
    assert body["instructions"] is None
    assert body["previous_response_id"] == second["id"]


async def test_previous_response_errors(client_of: Any) -> None:
    served = Stateful(echo)
    async with client_of(served) as client:

        async def create(**body: Any) -> Any:
            return await client.post("/v1/responses", json={"model": "m", "input": "x", **body})

        unknown = await create(previous_response_id="resp_unknown")
        assert unknown.status_code == 400
        assert unknown.json() == {
            "error": {
                "message": "Previous response with id 'resp_unknown' not found.",
                "type": "invalid_request_error",
                "param": "previous_response_id",
                "code": "previous_response_not_found",
            },
            "detail": "Previous response with id 'resp_unknown' not found.",
        }
        first = (await create()).json()
        second = (await create(previous_response_id=first["id"])).json()
        assert (await client.delete(f"/v1/responses/{first['id']}")).status_code == 200
        broken = await create(previous_response_id=second["id"])  # its ancestor is gone
        assert broken.status_code == 400
        assert error_of(broken)["code"] == "previous_response_not_found"
        assert error_of(broken)["message"] == f"Previous response with id '{first['id']}' not found."
        deleted = await create(previous_response_id=first["id"])
        assert error_of(deleted)["code"] == "previous_response_not_found"
        both = await create(previous_response_id=second["id"], conversation="conv_x")
        assert both.status_code == 400
        assert error_of(both)["param"] == "conversation"


async def test_a_previous_response_still_running_is_refused(client_of: Any) -> None:
    release = asyncio.Event()

    async def run(model: str, items: list[Any], body: dict[str, Any]) -> str:
        await release.wait()
        return "done"

    served = Stateful(run)
    async with client_of(served) as client:
        running = (await client.post("/v1/responses", json={"model": "m", "input": "x", "background": True})).json()
        refused = await client.post(
            "/v1/responses", json={"model": "m", "input": "y", "previous_response_id": running["id"]}
        )
        assert refused.status_code == 400
        assert error_of(refused)["param"] == "previous_response_id"
        assert "still" in error_of(refused)["message"]
        release.set()
        await served.finished(running["id"])
        accepted = await client.post(
            "/v1/responses", json={"model": "m", "input": "y", "previous_response_id": running["id"]}
        )
        assert accepted.status_code == 200


# --- background runs ----------------------------------------------------------------------------------


class Gate:
    """An async callback that waits at a point the test chooses, recording how it ended."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.ended: list[str] = []

    async def words(self, model: str, items: list[Any], body: dict[str, Any]) -> AsyncIterator[str]:
        self.started.set()
        try:
            yield "one "
            await self.release.wait()
            yield "two"
            self.ended.append("completed")
        except (asyncio.CancelledError, GeneratorExit):
            self.ended.append("stopped")
            raise

    async def text(self, model: str, items: list[Any], body: dict[str, Any]) -> str:
        self.started.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.ended.append("stopped")
            raise
        self.ended.append("completed")
        return "text"


async def test_a_background_response_goes_from_queued_to_completed(client_of: Any) -> None:
    gate = Gate()
    served = Stateful(gate.words)
    async with client_of(served) as client:
        created = await client.post("/v1/responses", json={"model": "m", "input": "x", "background": True})
        queued = created.json()
        assert (queued["status"], queued["background"], queued["store"], queued["output"]) == ("queued", True, True, [])
        SDKResponse.model_validate(queued)
        await asyncio.wait_for(gate.started.wait(), WAIT)
        running = (await client.get(f"/v1/responses/{queued['id']}")).json()
        assert running["status"] == "in_progress"
        gate.release.set()
        await served.finished(queued["id"])
        done = (await client.get(f"/v1/responses/{queued['id']}")).json()
    assert done["status"] == "completed"
    assert done["output"][0]["content"][0]["text"] == "one two"
    SDKResponse.model_validate(done)


async def test_background_needs_the_response_stored(client_of: Any) -> None:
    served = Stateful(echo)
    async with client_of(served) as client:
        refused = await client.post(
            "/v1/responses", json={"model": "m", "input": "x", "background": True, "store": False}
        )
        wrong = await client.post("/v1/responses", json={"model": "m", "input": "x", "background": "yes"})
    assert refused.status_code == 400
    assert error_of(refused)["param"] == "background"
    assert wrong.status_code == 400
    assert (error_of(wrong)["param"], error_of(wrong)["code"]) == ("background", "invalid_type")


async def test_a_failing_background_callback_fails_the_response(client_of: Any) -> None:
    def run(model: str, items: list[Any], body: dict[str, Any]) -> Iterator[str]:
        yield "partial"
        raise RuntimeError("model crashed")

    served = Stateful(run)
    async with client_of(served) as client:
        created = await client.post("/v1/responses", json={"model": "m", "input": "x", "background": True})
        await served.finished(created.json()["id"])
        failed = (await client.get(f"/v1/responses/{created.json()['id']}")).json()
    assert failed["status"] == "failed"
    assert failed["error"] == {"code": "server_error", "message": "Pipeline execution failed: model crashed"}


async def test_cancelling_an_async_callback_cancels_it(client_of: Any) -> None:
    gate = Gate()
    served = Stateful(gate.text)
    async with client_of(served) as client:
        created = (await client.post("/v1/responses", json={"model": "m", "input": "x", "background": True})).json()
        await asyncio.wait_for(gate.started.wait(), WAIT)
        cancelled = await client.post(f"/v1/responses/{created['id']}/cancel")
        assert cancelled.status_code == 200
        assert cancelled.json()["status"] == "cancelled"
        SDKResponse.model_validate(cancelled.json())
        assert gate.ended == ["stopped"]
        # Cancelling again, or retrieving, answers it unchanged.
        again = await client.post(f"/v1/responses/{created['id']}/cancel")
        found = await client.get(f"/v1/responses/{created['id']}")
    assert again.json() == cancelled.json() == found.json()


async def test_a_background_stream_starts_queued(client_of: Any) -> None:
    gate = Gate()
    gate.release.set()
    served = Stateful(gate.words)
    async with client_of(served) as client:
        # The in-process transport returns a stream once it has ended (the live-server tests follow one).
        created = await client.post(
            "/v1/responses", json={"model": "m", "input": "x", "background": True, "stream": True}
        )
    events = parse_events(created.text)
    final = check_events(events)
    assert [name for name, _ in events[:3]] == ["response.created", "response.queued", "response.in_progress"]
    assert events[0][1]["response"]["status"] == events[1][1]["response"]["status"] == "queued"
    assert events[-1][0] == "response.completed"
    assert final["output"][0]["content"][0]["text"] == "one two"
    assert gate.ended == ["completed"]


async def test_a_cancel_stops_a_running_stream_and_ends_its_log(client_of: Any) -> None:
    gate = Gate()
    served = Stateful(gate.words)
    async with client_of(served) as client:
        created = asyncio.ensure_future(
            client.post("/v1/responses", json={"model": "m", "input": "x", "background": True, "stream": True})
        )
        await asyncio.wait_for(gate.started.wait(), WAIT)
        response_id = next(iter(served.pipeline.runner.tasks))
        cancelled = (await client.post(f"/v1/responses/{response_id}/cancel")).json()
        streamed = await asyncio.wait_for(created, WAIT)
        replayed = await client.get(f"/v1/responses/{response_id}", params={"stream": "true"})
    assert gate.ended == ["stopped"]
    assert cancelled["status"] == "cancelled"
    assert cancelled["output"][0]["content"][0]["text"] == "one "  # the output made before the cancel
    events = parse_events(streamed.text)
    assert streamed.text == replayed.text
    final = check_events(events)
    assert events[-1][0] == "response.incomplete"
    assert final == cancelled


class HoldingStore(InMemoryResponseStore):
    """Holds the runner's final compare-and-set until the test lets it through."""

    def __init__(self) -> None:
        super().__init__()
        self.final_write = asyncio.Event()
        self.let_through = asyncio.Event()
        self.cancelled = asyncio.Event()

    async def cancel_response(self, response_id: str, scope: str) -> Any:
        record = await super().cancel_response(response_id, scope)
        self.cancelled.set()
        return record

    async def update_response(self, response_id: str, response: dict[str, Any], *, expected: Any) -> bool:
        if response.get("status") == "completed":
            self.final_write.set()
            await self.let_through.wait()
        return await super().update_response(response_id, response, expected=expected)


async def test_a_cancel_that_wins_over_the_result_keeps_the_response_cancelled(client_of: Any) -> None:
    store = HoldingStore()
    served = Stateful(lambda m, i, b: iter(["all ", "of ", "it"]), store=store)
    async with client_of(served) as client:
        post = asyncio.ensure_future(
            client.post("/v1/responses", json={"model": "m", "input": "x", "background": True, "stream": True})
        )
        await asyncio.wait_for(store.final_write.wait(), WAIT)  # the result is made, not recorded yet
        response_id = next(iter(served.pipeline.runner.tasks))
        cancel = asyncio.ensure_future(client.post(f"/v1/responses/{response_id}/cancel"))
        await asyncio.wait_for(store.cancelled.wait(), WAIT)
        store.let_through.set()
        cancelled = (await asyncio.wait_for(cancel, WAIT)).json()
        streamed = await asyncio.wait_for(post, WAIT)
    events = parse_events(streamed.text)
    final = check_events(events)
    assert events[-1][0] == "response.incomplete"
    assert final["status"] == cancelled["status"] == "cancelled"
    assert final["output"][0]["content"][0]["text"] == "all of it"  # recorded, under status cancelled
    assert [name for name, _ in events].count("response.completed") == 0


async def test_a_result_that_wins_makes_the_cancel_answer_it_unchanged(client_of: Any) -> None:
    served = Stateful(lambda m, i, b: "done")
    async with client_of(served) as client:
        created = (await client.post("/v1/responses", json={"model": "m", "input": "x", "background": True})).json()
        await served.finished(created["id"])
        found = (await client.get(f"/v1/responses/{created['id']}")).json()
        cancelled = await client.post(f"/v1/responses/{created['id']}/cancel")
    assert found["status"] == "completed"
    assert cancelled.status_code == 200
    assert cancelled.json() == found


async def test_two_cancels_at_once_both_answer_the_cancelled_response(client_of: Any) -> None:
    gate = Gate()
    served = Stateful(gate.words)
    async with client_of(served) as client:
        created = (await client.post("/v1/responses", json={"model": "m", "input": "x", "background": True})).json()
        await asyncio.wait_for(gate.started.wait(), WAIT)
        first, second = await asyncio.gather(
            client.post(f"/v1/responses/{created['id']}/cancel"), client.post(f"/v1/responses/{created['id']}/cancel")
        )
        found = (await client.get(f"/v1/responses/{created['id']}")).json()
    assert first.status_code == second.status_code == 200
    assert first.json()["status"] == second.json()["status"] == found["status"] == "cancelled"
    assert gate.ended == ["stopped"]


async def test_a_sync_callback_that_returns_after_the_cancel_changes_nothing(client_of: Any) -> None:
    started, release, returned = threading.Event(), threading.Event(), threading.Event()

    def run(model: str, items: list[Any], body: dict[str, Any]) -> str:
        started.set()
        release.wait(WAIT)
        returned.set()
        return "late"

    served = Stateful(run)
    async with client_of(served) as client:
        created = (await client.post("/v1/responses", json={"model": "m", "input": "x", "background": True})).json()
        assert await asyncio.to_thread(started.wait, WAIT)
        cancelled = (await client.post(f"/v1/responses/{created['id']}/cancel")).json()
        assert cancelled["status"] == "cancelled"
        release.set()
        assert await asyncio.to_thread(returned.wait, WAIT)
        await served.finished(created["id"])
        found = (await client.get(f"/v1/responses/{created['id']}")).json()
    assert found == cancelled
    assert found["output"] == []


async def test_a_sync_generator_is_closed_at_its_next_chunk(client_of: Any) -> None:
    started, release, closed = threading.Event(), threading.Event(), threading.Event()

    def run(model: str, items: list[Any], body: dict[str, Any]) -> Iterator[str]:
        try:
            yield "one "
            started.set()
            release.wait(WAIT)
            yield "two "
            yield "three"
        finally:
            closed.set()

    served = Stateful(run)
    async with client_of(served) as client:
        created = (await client.post("/v1/responses", json={"model": "m", "input": "x", "background": True})).json()
        assert await asyncio.to_thread(started.wait, WAIT)
        cancelled = (await client.post(f"/v1/responses/{created['id']}/cancel")).json()
        assert not closed.is_set()  # a thread cannot be interrupted: it stops at its next chunk
        release.set()
        assert await asyncio.to_thread(closed.wait, WAIT)
        found = (await client.get(f"/v1/responses/{created['id']}")).json()
    assert cancelled["status"] == found["status"] == "cancelled"
    assert "three" not in str(found["output"])


async def test_deleting_a_running_response_cancels_it(client_of: Any) -> None:
    gate = Gate()
    served = Stateful(gate.text)
    async with client_of(served) as client:
        created = (await client.post("/v1/responses", json={"model": "m", "input": "x", "background": True})).json()
        await asyncio.wait_for(gate.started.wait(), WAIT)
        deleted = await client.delete(f"/v1/responses/{created['id']}")
        assert deleted.json() == {"id": created["id"], "object": "response", "deleted": True}
        await served.finished(created["id"])
        assert gate.ended == ["stopped"]
        assert (await client.get(f"/v1/responses/{created['id']}")).status_code == 404
        assert (await client.delete(f"/v1/responses/{created['id']}")).status_code == 404


# --- the routes' errors ------------------------------------------------------------------------------


async def test_unknown_ids_get_the_404_envelope_on_every_route(client_of: Any) -> None:
    served = Stateful(echo)
    async with client_of(served) as client:
        for method, path in [
            ("GET", "/v1/responses/resp_nope"),
            ("GET", "/responses/resp_nope"),
            ("DELETE", "/v1/responses/resp_nope"),
            ("POST", "/v1/responses/resp_nope/cancel"),
            ("GET", "/v1/responses/resp_nope/input_items"),
        ]:
            answer = await client.request(method, path)
            assert answer.status_code == 404, path
            assert answer.json() == {
                "error": {
                    "message": "Response with id 'resp_nope' not found.",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "not_found",
                },
                "detail": "Response with id 'resp_nope' not found.",
            }


async def test_cancelling_a_synchronous_response_is_refused(client_of: Any) -> None:
    served = Stateful(echo)
    async with client_of(served) as client:
        created = (await client.post("/v1/responses", json={"model": "m", "input": "x"})).json()
        refused = await client.post(f"/v1/responses/{created['id']}/cancel")
    assert refused.status_code == 400
    assert refused.json()["error"] == {
        "message": "Cannot cancel a synchronous response.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


async def test_list_parameters_are_checked(client_of: Any) -> None:
    served = Stateful(echo)
    async with client_of(served) as client:
        created = (await client.post("/v1/responses", json={"model": "m", "input": "x"})).json()
        path = f"/v1/responses/{created['id']}/input_items"
        for params, param in [({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"order": "up"}, "order")]:
            answer = await client.get(path, params=params)
            assert answer.status_code == 400
            assert error_of(answer)["param"] == param
        cursor = await client.get(path, params={"after": "msg_nope"})
    assert cursor.status_code == 400
    assert (error_of(cursor)["param"], error_of(cursor)["code"]) == ("after", "invalid_value")


async def test_only_background_streams_can_be_streamed_again(client_of: Any) -> None:
    served = Stateful(echo, store=InMemoryResponseStore(max_events_per_response=4))
    async with client_of(served) as client:
        plain = (await client.post("/v1/responses", json={"model": "m", "input": "x", "stream": False})).json()
        refused = await client.get(f"/v1/responses/{plain['id']}", params={"stream": "true"})
        assert refused.status_code == 400
        assert error_of(refused)["param"] == "stream"
        long = await client.post("/v1/responses", json={"model": "m", "input": "x", "background": True, "stream": True})
        response_id = parse_events(long.text)[0][1]["response"]["id"]
        await served.finished(response_id)
        gone = await client.get(f"/v1/responses/{response_id}", params={"stream": "true", "starting_after": 0})
        kept = await client.get(f"/v1/responses/{response_id}", params={"stream": "true", "starting_after": 8})
    assert gone.status_code == 409
    assert (error_of(gone)["param"], error_of(gone)["code"]) == ("starting_after", "events_unavailable")
    assert "no longer kept" in error_of(gone)["message"]
    # The last batch (the terminal event) is kept whatever the bound.
    assert [(name, payload["sequence_number"]) for name, payload in parse_events(kept.text)] == [
        ("response.completed", 9)
    ]


async def test_a_store_that_cannot_answer_is_a_503(client_of: Any) -> None:
    class Down(InMemoryResponseStore):
        async def get_response(self, response_id: str, scope: str) -> Any:
            raise StoreUnavailableError

        async def create_response(self, record: Any) -> None:
            raise StoreUnavailableError

    served = Stateful(echo, store=Down())
    async with client_of(served) as client:
        for answer in [
            await client.get("/v1/responses/resp_1"),
            await client.post("/v1/responses", json={"model": "m", "input": "x"}),
        ]:
            assert answer.status_code == 503
            assert answer.headers["x-should-retry"] == "true"
            assert error_of(answer)["code"] == "store_unavailable"
            assert error_of(answer)["type"] == "server_error"


# --- scopes ------------------------------------------------------------------------------------------


async def test_another_scope_sees_exactly_what_an_unknown_id_shows(asgi_client: Any) -> None:
    served = Stateful(echo, store_scope=lambda request: request.headers.get("authorization", ""))
    alice = {"authorization": "Bearer alice"}
    bob = {"authorization": "Bearer bob"}
    async with asgi_client(served.app) as client:
        mine = (await client.post("/v1/responses", json={"model": "m", "input": "x"}, headers=alice)).json()
        conversation = (await client.post("/v1/conversations", json={}, headers=alice)).json()
        for method, path in [
            ("GET", "/v1/responses/{}"),
            ("GET", "/v1/responses/{}/input_items"),
            ("POST", "/v1/responses/{}/cancel"),
            ("DELETE", "/v1/responses/{}"),
        ]:
            theirs = await client.request(method, path.format(mine["id"]), headers=bob)
            unknown = await client.request(method, path.format("resp_unknown"), headers=bob)
            assert theirs.status_code == unknown.status_code == 404
            assert theirs.text == unknown.text.replace("resp_unknown", mine["id"])
        follow_up = await client.post(
            "/v1/responses", json={"model": "m", "input": "y", "previous_response_id": mine["id"]}, headers=bob
        )
        assert error_of(follow_up)["code"] == "previous_response_not_found"
        in_conversation = await client.post(
            "/v1/responses", json={"model": "m", "input": "y", "conversation": conversation["id"]}, headers=bob
        )
        assert (in_conversation.status_code, error_of(in_conversation)["param"]) == (400, "conversation")
        assert (await client.get(f"/v1/conversations/{conversation['id']}", headers=bob)).status_code == 404
        assert (await client.get(f"/v1/responses/{mine['id']}", headers=alice)).status_code == 200
