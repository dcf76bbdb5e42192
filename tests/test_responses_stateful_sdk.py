"""Stateful Responses through real clients: the `openai` SDK and the Agents SDK against uvicorn, every route.

Each step a test waits for is a hand-off: callbacks block on `threading.Event`s the test sets, and
`ObservedStore` tells the test when a response reached a status.
"""

import inspect
import threading
from collections.abc import Callable, Iterator
from typing import Any, get_args

import openai
import pytest
from fastapi import FastAPI
from openai.types.conversations import Conversation, ConversationItem
from openai.types.responses import Response as SDKResponse
from openai.types.responses import ResponseItem, ResponseStreamEvent
from pydantic import BaseModel, TypeAdapter

from openai_compat_core.testing import FunctionCallChunk, LiveServer, RequestWatch
from openai_compat_responses import InMemoryResponseStore, StoredResponse, create_responses_router
from openai_compat_responses.testing import check_events

WAIT = 10  # seconds a hand-off may take before the test fails instead of hanging
EVENT_UNION: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)
ITEM_UNION: TypeAdapter[Any] = TypeAdapter(ResponseItem)
CONVERSATION_ITEM: TypeAdapter[Any] = TypeAdapter(ConversationItem)
SDK_EVENTS: dict[str, type[BaseModel]] = {
    get_args(cls.model_fields["type"].annotation)[0]: cls for cls in get_args(get_args(ResponseStreamEvent)[0])
}


class ObservedStore(InMemoryResponseStore):
    """The in-memory store, telling the test (from the server's thread) each status a response reaches."""

    def __init__(self, **bounds: Any) -> None:
        super().__init__(**bounds)
        self.changed = threading.Condition()
        self.statuses: dict[str, list[str]] = {}

    def _saw(self, response_id: str, status: Any) -> None:
        with self.changed:
            self.statuses.setdefault(response_id, []).append(str(status))
            self.changed.notify_all()

    async def create_response(self, record: StoredResponse) -> None:
        await super().create_response(record)
        self._saw(record.id, record.status)

    async def update_response(self, response_id: str, response: dict[str, Any], *, expected: Any) -> bool:
        done = await super().update_response(response_id, response, expected=expected)
        if done:
            self._saw(response_id, response.get("status"))
        return done

    def wait_for(self, response_id: str, status: str) -> None:
        with self.changed:
            reached = self.changed.wait_for(lambda: status in self.statuses.get(response_id, []), WAIT)
        assert reached, f"{response_id} never reached {status}: {self.statuses.get(response_id)}"


class Words:
    """A sync generator callback: `count` words, stopping after word `pause` until `release` is set."""

    def __init__(self, count: int = 10, pause: int = 4) -> None:
        self.count = count
        self.pause = pause
        self.paused = threading.Event()
        self.release = threading.Event()
        self.ended: list[str] = []
        self.closed = threading.Event()

    def __call__(self, model: str, items: list[Any], body: dict[str, Any]) -> Iterator[str]:
        try:
            for n in range(self.count):
                yield f"w{n} "
                if n == self.pause:
                    self.paused.set()
                    assert self.release.wait(WAIT)
            self.ended.append("completed")
        except GeneratorExit:
            self.ended.append("closed")
            raise
        finally:
            self.closed.set()

    def text(self, upto: int | None = None) -> str:
        return "".join(f"w{n} " for n in range(self.count if upto is None else upto + 1))


class Served:
    def __init__(self, live_server: Callable[[Any], LiveServer], **store_bounds: Any) -> None:
        self.store = ObservedStore(**store_bounds)
        self.seen: list[list[Any]] = []
        self.words = Words()
        app = FastAPI()
        app.include_router(
            create_responses_router(list_models=lambda: ["echo", "words"], run_response=self.run, store=self.store)
        )
        self.watch = RequestWatch(app)
        self.server = live_server(self.watch)
        self.client = openai.OpenAI(base_url=self.server.base_url, api_key="unused", max_retries=0)

    def run(self, model: str, items: list[Any], body: dict[str, Any]) -> Any:
        self.seen.append(items)
        if model == "words":
            return self.words(model, items, body)
        texts = [
            item["content"] for item in items if item.get("role") == "user" and isinstance(item.get("content"), str)
        ]
        return "You said: " + " | ".join(texts)


@pytest.fixture
def served(live_server: Callable[[Any], LiveServer]) -> Iterator[Served]:
    made = Served(live_server)
    yield made
    made.words.release.set()  # never leave a producer thread waiting
    made.client.close()


def typed(response: Any) -> SDKResponse:
    """The SDK's object validated against its own model (the SDK builds answers without validating them)."""
    return SDKResponse.model_validate(response.to_dict())


def checked(events: list[Any]) -> list[Any]:
    for event in events:
        assert type(EVENT_UNION.validate_python(event.to_dict())) is SDK_EVENTS[event.type]
    return events


def message_of(error: openai.APIStatusError) -> Any:
    """The `error.message` the server sent (the SDK's own message adds the status code)."""
    assert isinstance(error.body, dict)
    return error.body["message"]


def texts(items: list[Any]) -> list[str]:
    return [item.content[0].text for item in items]


# --- retrieve, delete, input items -----------------------------------------------------------------


def test_retrieve_input_items_pages_and_delete(served: Served) -> None:
    client = served.client
    sent = [{"role": "user", "content": f"m{n}"} for n in range(45)]
    created = client.responses.create(model="echo", input=sent)  # type: ignore[arg-type]
    assert typed(created).store is True
    found = client.responses.retrieve(created.id)
    assert typed(found) == typed(created)

    pages = list(client.responses.input_items.list(created.id, limit=10).iter_pages())
    assert [len(page.data) for page in pages] == [10, 10, 10, 10, 5]
    listed = [item for page in pages for item in page.data]
    for item in listed:
        ITEM_UNION.validate_python(item.to_dict())
    assert texts(listed) == [f"m{n}" for n in reversed(range(45))]  # newest first by default
    assert len({item.id for item in listed}) == 45
    oldest_first = list(client.responses.input_items.list(created.id, order="asc", limit=100))
    assert texts(oldest_first) == [f"m{n}" for n in range(45)]
    assert [item.id for item in oldest_first] == [item.id for item in reversed(listed)]

    raw = client.responses.with_raw_response.delete(created.id)
    assert raw.http_response.json() == {"id": created.id, "object": "response", "deleted": True}
    with pytest.raises(openai.NotFoundError) as gone:
        client.responses.retrieve(created.id)
    assert gone.value.code == "not_found"
    assert message_of(gone.value) == f"Response with id '{created.id}' not found."
    with pytest.raises(openai.NotFoundError):
        client.responses.delete(created.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.input_items.list(created.id)


def test_previous_response_id_chains_turns(served: Served) -> None:
    client = served.client
    first = client.responses.create(model="echo", input="one", instructions="Be brief.")
    second = client.responses.create(model="echo", input="two", previous_response_id=first.id)
    third = client.responses.create(model="echo", input="three", previous_response_id=second.id)
    assert third.output_text == "You said: one | two | three"
    assert third.previous_response_id == second.id
    assert third.instructions is None
    assert served.seen[-1][1] == first.output[0].to_dict()
    with pytest.raises(openai.BadRequestError) as unknown:
        client.responses.create(model="echo", input="x", previous_response_id="resp_unknown")
    assert (unknown.value.code, unknown.value.param) == ("previous_response_not_found", "previous_response_id")


# --- background mode ---------------------------------------------------------------------------------


def test_polling_sees_each_status_of_a_background_response(served: Served) -> None:
    client = served.client
    queued = client.responses.create(model="words", input="go", background=True)
    assert (typed(queued).status, queued.background) == ("queued", True)
    assert served.words.paused.wait(WAIT)
    assert client.responses.retrieve(queued.id).status == "in_progress"
    served.words.release.set()
    served.store.wait_for(queued.id, "completed")
    done = typed(client.responses.retrieve(queued.id))
    assert done.status == "completed"
    assert done.output_text == served.words.text()
    assert served.store.statuses[queued.id] == ["queued", "in_progress", "completed"]


def test_a_background_stream_is_resumed_from_any_point(served: Served) -> None:
    client = served.client
    first_part = []
    with client.responses.create(model="words", input="go", background=True, stream=True) as stream:
        for event in stream:
            first_part.append(event)
            if event.type == "response.output_text.delta" and event.delta == "w2 ":
                break  # the client goes away here
    checked(first_part)
    assert [event.type for event in first_part[:3]] == ["response.created", "response.queued", "response.in_progress"]
    assert first_part[0].response.status == "queued"
    response_id = first_part[0].response.id
    last_seen = first_part[-1].sequence_number

    resumed = []
    with client.responses.stream(response_id=response_id, starting_after=last_seen) as stream:
        for event in stream:
            resumed.append(event)
            if event.type == "response.output_text.delta" and event.delta == "w4 ":
                served.words.release.set()  # what was kept is replayed; now follow it live
        final = stream.get_final_response()
    assert final.output_text == served.words.text()
    assert [event.sequence_number for event in resumed] == list(range(last_seen + 1, last_seen + 1 + len(resumed)))

    again = checked(list(client.responses.retrieve(response_id, stream=True, starting_after=last_seen)))
    # (The stream helper's events hold parsed objects: compare them by type and position.)
    assert [(event.type, event.sequence_number) for event in again] == [
        (event.type, event.sequence_number) for event in resumed
    ]
    everything = checked(list(client.responses.retrieve(response_id, stream=True)))
    assert [event.to_dict() for event in everything] == [event.to_dict() for event in [*first_part, *again]]
    assert check_events([(event.type, event.to_dict()) for event in everything])["status"] == "completed"


def test_a_client_leaving_does_not_stop_a_background_response(served: Served) -> None:
    client = served.client
    with client.responses.create(model="words", input="go", background=True, stream=True) as stream:
        response_id = next(iter(stream)).response.id  # type: ignore[union-attr]
    assert served.words.paused.wait(WAIT)
    served.words.release.set()
    served.store.wait_for(response_id, "completed")
    assert served.words.ended == ["completed"]
    assert client.responses.retrieve(response_id).output_text == served.words.text()


def test_cancel_stops_the_response_and_ends_its_live_stream(served: Served) -> None:
    client = served.client
    events = []
    with client.responses.create(model="words", input="go", background=True, stream=True) as stream:
        for event in stream:
            events.append(event)
            if event.type == "response.output_text.delta" and event.delta == "w4 ":
                assert served.words.paused.wait(WAIT)
                cancelled = client.responses.cancel(events[0].response.id)
                assert typed(cancelled).status == "cancelled"
    checked(events)
    ending = events[-1]
    assert ending.type == "response.incomplete"
    assert ending.response.status == "cancelled"
    assert ending.response.output_text == served.words.text(4)  # what it made before the cancel
    assert check_events([(event.type, event.to_dict()) for event in events])["status"] == "cancelled"

    response_id = events[0].response.id
    served.words.release.set()
    assert served.words.closed.wait(WAIT)
    assert served.words.ended == ["closed"]  # the sync generator was closed at its next chunk
    found = typed(client.responses.retrieve(response_id))
    assert found == typed(client.responses.cancel(response_id))  # a second cancel: unchanged
    assert found.status == "cancelled"
    assert found.output_text == served.words.text(4)

    plain = client.responses.create(model="echo", input="x")
    with pytest.raises(openai.BadRequestError) as refused:
        client.responses.cancel(plain.id)
    assert message_of(refused.value) == "Cannot cancel a synchronous response."
    with pytest.raises(openai.NotFoundError):
        client.responses.cancel("resp_unknown")


def test_a_foreground_stream_whose_client_leaves_is_kept_cancelled(served: Served) -> None:
    client = served.client
    served.words.pause = 1
    with client.responses.create(model="words", input="go", stream=True) as stream:
        for event in stream:
            if event.type == "response.created":
                response_id = event.response.id
            if event.type == "response.output_text.delta" and event.delta == "w1 ":
                assert served.words.paused.wait(WAIT)
                break
    assert served.watch.app_returned.wait(WAIT)  # the stream gave up on its client and kept the response
    kept = typed(client.responses.retrieve(response_id))
    assert kept.status == "cancelled"
    assert kept.output[0].status == "incomplete"  # type: ignore[union-attr]
    assert kept.output_text == "w0 w1 "


# --- conversations ---------------------------------------------------------------------------------


def test_conversations_with_the_sdk(served: Served) -> None:
    client = served.client
    conversation = client.conversations.create(
        items=[{"type": "message", "role": "user", "content": "hello"}], metadata={"topic": "sdk"}
    )
    Conversation.model_validate(conversation.to_dict())
    assert client.conversations.retrieve(conversation.id) == conversation
    updated = client.conversations.update(conversation.id, metadata={"topic": "new"})
    assert updated.metadata == {"topic": "new"}

    added = client.conversations.items.create(
        conversation.id, items=[{"type": "message", "role": "user", "content": f"c{n}"} for n in range(5)]
    )
    assert [item.content[0].text for item in added.data] == [f"c{n}" for n in range(5)]  # type: ignore[union-attr]
    answer = client.responses.create(model="echo", input="question", conversation=conversation.id)
    assert answer.output_text == "You said: hello | c0 | c1 | c2 | c3 | c4 | question"
    assert answer.conversation is not None
    assert answer.conversation.id == conversation.id

    pages = list(client.conversations.items.list(conversation.id, limit=3).iter_pages())
    assert [len(page.data) for page in pages] == [3, 3, 2]
    listed = [item for page in pages for item in page.data]
    for item in listed:
        CONVERSATION_ITEM.validate_python(item.to_dict())
    assert [item.content[0].text for item in listed] == [  # type: ignore[union-attr]
        answer.output_text, "question", "c4", "c3", "c2", "c1", "c0", "hello"
    ]  # fmt: skip
    one = client.conversations.items.retrieve(listed[2].id, conversation_id=conversation.id)
    assert one == listed[2]
    after_delete = client.conversations.items.delete(listed[2].id, conversation_id=conversation.id)
    assert after_delete.id == conversation.id
    with pytest.raises(openai.NotFoundError):
        client.conversations.items.retrieve(listed[2].id, conversation_id=conversation.id)

    deleted = client.conversations.delete(conversation.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (conversation.id, True, "conversation.deleted")
    with pytest.raises(openai.NotFoundError) as gone:
        client.conversations.retrieve(conversation.id)
    assert message_of(gone.value) == f"Conversation with id '{conversation.id}' not found."
    with pytest.raises(openai.BadRequestError) as unknown:
        client.responses.create(model="echo", input="x", conversation=conversation.id)
    assert unknown.value.param == "conversation"


# --- the Agents SDK --------------------------------------------------------------------------------

agents = pytest.importorskip("agents")


def agent_turns(model: str, items: list[Any], body: dict[str, Any]) -> Any:
    """A model that remembers: it answers with every user text it sees, or calls the weather tool first."""
    if body.get("tools") and not any(item.get("type") == "function_call" for item in items):
        return iter([FunctionCallChunk("call_w", "get_weather", '{"city": "Paris"}')])
    outputs = [item["output"] for item in items if item.get("type") == "function_call_output"]
    said = [item["content"] for item in items if item.get("role") == "user" and isinstance(item.get("content"), str)]
    return " | ".join(said + [str(output) for output in outputs])


@pytest.mark.skipif(
    "auto_previous_response_id" not in inspect.signature(agents.Runner.run_streamed).parameters,
    reason="this Agents SDK release predates auto_previous_response_id (0.10); the newest one runs this test",
)
async def test_the_agents_sdk_chains_turns_with_previous_response_id(live_server: Callable[[Any], LiveServer]) -> None:
    agents.set_tracing_disabled(True)  # tracing would export to api.openai.com
    seen: list[list[Any]] = []

    def run(model: str, items: list[Any], body: dict[str, Any]) -> Any:
        seen.append(items)
        return agent_turns(model, items, body)

    app = FastAPI()
    app.include_router(
        create_responses_router(list_models=lambda: ["m"], run_response=run, store=InMemoryResponseStore())
    )
    server = live_server(app)
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="unused", max_retries=0) as client:
        model = agents.OpenAIResponsesModel(model="m", openai_client=client)
        agent = agents.Agent(name="memory", instructions="Remember.", model=model)
        first = await agents.Runner.run(agent, "my name is Ada")
        second = await agents.Runner.run(agent, "what is my name?", previous_response_id=first.last_response_id)
        assert second.final_output == "my name is Ada | what is my name?"
        # The Agents SDK sent only the new message: the rest came from the store.
        assert len(seen[-1]) == 3

        called: list[str] = []

        @agents.function_tool
        def get_weather(city: str) -> str:
            """Return the weather in a city."""
            called.append(city)
            return "sunny"

        forecaster = agents.Agent(name="forecaster", instructions="Use the tool.", model=model, tools=[get_weather])
        streamed = agents.Runner.run_streamed(
            forecaster, "weather?", previous_response_id=second.last_response_id, auto_previous_response_id=True
        )
        async for _ in streamed.stream_events():
            pass
    assert called == ["Paris"]
    assert streamed.final_output == "my name is Ada | what is my name? | weather? | sunny"
    # Its second model call carried the tool output only, chained to the call before it.
    last = seen[-1]
    assert [item.get("type") for item in last][-2:] == ["function_call", "function_call_output"]
