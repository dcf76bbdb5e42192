"""The Responses pipeline with a store: kept responses, `previous_response_id`, `conversation`, background mode.

`StatefulResponsesPipeline` extends `ResponsesPipeline` at core's two steps: `run` (before the
callback: the store flags, the scope, the history the callback sees; a background response starts
here and is answered at once) and `answer` (after it: the answer is made as without a store, under
the id the router gave it, then kept).

What it decides where OpenAI leaves it open:

- `store` omitted means `true`; a response is stored once it has ended (one write), so a response
  answered in the foreground is not found while it runs; a background one is stored at once (`queued`).
- A streamed response whose client leaves before its end is stored with status `cancelled` and the
  output made until then (the work was stopped for it).
- The callback gets the items as they were sent or produced: the ids the store gives input items
  (to page them) are not added to them.
- A `previous_response_id` chain with a response missing in it (deleted, evicted, expired) is
  refused like an unknown id (400 `previous_response_not_found`), never answered from part of it.
- In a conversation, the response's input and output are appended when it ends `completed` or
  `incomplete` (not when it failed or was cancelled).
"""

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response as StarletteResponse

from openai_compat_core.callbacks import ensure_async
from openai_compat_core.cancellation import cancel_on_disconnect
from openai_compat_core.collect import run_to_end
from openai_compat_core.encoding import json_response
from openai_compat_core.errors import callback_errors
from openai_compat_core.producer import running_asyncio
from openai_compat_core.streaming import EventStreamResponse
from openai_compat_responses._objects import (
    build_response,
    message_item,
    new_id,
    normalise_response,
    now,
    request_settings,
)
from openai_compat_responses._records import invalid, previous_not_found
from openai_compat_responses.background import BackgroundRunner, Job, add_to_conversation, replay_response
from openai_compat_responses.encoder import ResponseStreamEncoder
from openai_compat_responses.models import InputItem, Response, ResponseRequest
from openai_compat_responses.pipeline import ResponsesPipeline, input_items
from openai_compat_responses.store import (
    BrokenChainError,
    EventBatch,
    ResponseStore,
    StoredItem,
    StoredResponse,
    assign_item_ids,
)


class StoreScope(Protocol):
    """`store_scope(request) -> str`, sync or async: whose responses and conversations a request may see.

    Return the same string for every request of one owner (for example a hash of its API key). A
    record of another scope is "not found" (404, or 400 `previous_response_not_found` /
    `conversation`), exactly as an unknown id. Raise an `HTTPException` to refuse the request.
    """

    def __call__(self, request: Request, /) -> str | Awaitable[str]: ...


@dataclass
class Turn:
    """What one request does with the store, decided before its callback runs."""

    response_id: str
    scope: str
    keep: bool
    background: bool
    stream: bool
    new_items: list[InputItem]
    callback_items: list[InputItem]
    previous_response_id: str | None = None
    conversation_id: str | None = None
    stored_inputs: list[StoredItem] = field(default_factory=list)

    @property
    def extra_fields(self) -> dict[str, Any]:
        """Fields every response object of this turn carries besides the usual ones."""
        return {} if self.conversation_id is None else {"conversation": {"id": self.conversation_id}}


@dataclass
class _Outcome:
    result: Any
    turn: Turn


@dataclass
class _Answered:
    response: StarletteResponse


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise invalid(f"Invalid type for '{name}': expected a boolean.", name, "invalid_type")
    return value


def _conversation_id(value: Any) -> str | None:
    """The `conversation` parameter: an id, or an object with its `id`."""
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str) or not value:
        raise invalid("Invalid 'conversation': expected a conversation id or an object with its 'id'.", "conversation")
    return value


class StatefulResponsesPipeline(ResponsesPipeline):
    """`ResponsesPipeline` with a `ResponseStore` (see the module docstring).

    Args:
        store: where responses and conversations are kept.
        store_scope: whose records a request may see (see `StoreScope`); everyone shares one scope without it.
        options: as for `ResponsesPipeline`.
    """

    def __init__(self, *, store: ResponseStore, store_scope: StoreScope | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.store = store
        self.store_scope = ensure_async(store_scope) if store_scope is not None else None
        self.runner = BackgroundRunner(self, store)

    async def scope(self, request: Request) -> str:
        """The scope of the request's records (`""` without `store_scope`)."""
        if self.store_scope is None:
            return ""
        scope = await self.store_scope(request)
        if not isinstance(scope, str):
            raise TypeError(f"store_scope must return a str, not {type(scope).__name__}")
        return scope

    # --- before the callback -----------------------------------------------------------------------

    async def prepare(self, parsed: ResponseRequest, body: dict[str, Any], request: Request) -> Turn:
        """Check the request's stateful parameters and gather what the callback sees.

        Raises:
            OpenAIHTTPException: 400 for parameters that cannot go together, an unknown or running
                `previous_response_id` (`previous_response_not_found` for unknown), an unknown `conversation`.
        """
        keep = parsed.store is not False
        background = _flag(body, "background")
        conversation_id = _conversation_id(body.get("conversation"))
        previous_id = parsed.previous_response_id
        if background and not keep:
            raise invalid("Background responses are stored: `background: true` needs `store` left true.", "background")
        if background and running_asyncio() is None:
            raise invalid(
                "This server runs no asyncio event loop: it cannot run responses in the background.", "background"
            )
        if previous_id is not None and conversation_id is not None:
            raise invalid("`previous_response_id` and `conversation` cannot be used together.", "conversation")
        scope = await self.scope(request)
        history: list[InputItem] = []
        if previous_id is not None:
            history = await self._history(previous_id, scope)
        elif conversation_id is not None:
            found = await self.store.conversation_items(conversation_id, scope)
            if found is None:
                raise invalid(f"Conversation with id '{conversation_id}' not found.", "conversation")
            history = found
        body["store"] = keep
        new_items = input_items(parsed.input)
        return Turn(
            response_id=new_id("resp"),
            scope=scope,
            keep=keep,
            background=background,
            stream=parsed.stream is True,
            new_items=new_items,
            callback_items=[*history, *new_items] if history else new_items,
            previous_response_id=previous_id,
            conversation_id=conversation_id,
            stored_inputs=assign_item_ids(new_items) if keep else [],
        )

    async def _history(self, previous_id: str, scope: str) -> list[InputItem]:
        previous = await self.store.get_response(previous_id, scope)
        if previous is None:
            raise previous_not_found(previous_id)
        if previous.running:
            raise invalid(
                f"Previous response with id '{previous_id}' is still {previous.status}; wait until it has ended.",
                "previous_response_id",
            )
        try:
            history = await self.store.history(previous_id, scope)
        except BrokenChainError as exc:
            raise previous_not_found(exc.missing_id) from exc
        if history is None:
            raise previous_not_found(previous_id)
        return history

    async def run(self, parsed: ResponseRequest, body: dict[str, Any], request: Request) -> Any:
        turn = await self.prepare(parsed, body, request)
        arguments = (parsed.model, turn.callback_items, body)
        if turn.background:
            return _Answered(await self.start_background(turn, parsed, body, arguments, request))
        result = await cancel_on_disconnect(request, self.call(arguments, request))
        return _Outcome(await self.after_callback(result), turn)

    async def start_background(
        self, turn: Turn, parsed: ResponseRequest, body: dict[str, Any], arguments: tuple[Any, ...], request: Request
    ) -> StarletteResponse:
        """Store the response `queued`, start its task, and answer: the queued response, or its live stream."""
        encoder = self.turn_encoder(parsed, body, turn)
        head = encoder.queued()
        queued = encoder.snapshot("queued")
        record = StoredResponse(
            id=turn.response_id,
            scope=turn.scope,
            response=queued,
            input_items=turn.stored_inputs,
            previous_response_id=turn.previous_response_id,
            conversation_id=turn.conversation_id,
            background=True,
            stream=turn.stream,
        )
        await self.store.create_response(record)
        if turn.stream:
            await self.store.append_events(turn.response_id, EventBatch(0, encoder.next_sequence_number - 1, head))
        job = Job(
            response_id=turn.response_id,
            scope=turn.scope,
            arguments=arguments,
            request=request,
            encoder=encoder,
            stream=turn.stream,
            conversation_id=turn.conversation_id,
            new_items=turn.new_items,
        )
        self.runner.start(job)
        if turn.stream:
            return await replay_response(self.store, turn.response_id, turn.scope, -1)
        return json_response(queued)

    # --- after the callback ------------------------------------------------------------------------

    def turn_encoder(self, parsed: ResponseRequest, body: dict[str, Any], turn: Turn) -> ResponseStreamEncoder:
        """The stream encoder of a kept response: its id is the router's, whatever the callback returns."""
        return ResponseStreamEncoder(
            turn.response_id,
            parsed.model,
            chunk_mapper=self.chunk_mapper,
            request=body,
            expose_errors=self.expose_errors,
            fixed_id=True,
            extra_fields=turn.extra_fields,
        )

    def whole_response(self, result: Any, parsed: ResponseRequest, body: dict[str, Any], turn: Turn) -> dict[str, Any]:
        """The Response object of a whole answer (text or `Response`), under the turn's id."""
        settings = request_settings(body)
        if isinstance(result, Response):
            data = normalise_response(result, settings)
            data["id"] = turn.response_id
        else:
            created = now()
            output = [message_item(new_id("msg"), result)]
            data = build_response(
                turn.response_id,
                parsed.model,
                created,
                settings,
                status="completed",
                output=output,
                completed_at=created,
            )
        data.update(turn.extra_fields)
        return data

    async def answer(
        self, result: Any, parsed: ResponseRequest, body: dict[str, Any], request: Request
    ) -> StarletteResponse:
        if isinstance(result, _Answered):
            return result.response
        turn: Turn = result.turn
        result = result.result
        if not turn.keep and turn.conversation_id is None:
            return await super().answer(result, parsed, body, request)
        if not turn.stream and self.is_answer(result):
            response = self.whole_response(result, parsed, body, turn)
            await self.save(turn, response)
            return json_response(response)
        source = self.source(result)
        encoder = self.turn_encoder(parsed, body, turn)
        if turn.stream:
            return EventStreamResponse(
                source, encoder, log=self.logger, background=BackgroundTask(self.save_stream, turn, encoder)
            )
        with callback_errors(self.failure_prefix, self.logger, expose=self.expose_errors):
            await run_to_end(source, encoder, request, keep=False)
        response = self.collected(encoder)
        await self.save(turn, response)
        return json_response(response)

    async def save(self, turn: Turn, response: dict[str, Any]) -> None:
        """Keep a response that ended in the foreground, and add it to its conversation."""
        if turn.keep:
            record = StoredResponse(
                id=turn.response_id,
                scope=turn.scope,
                response=response,
                input_items=turn.stored_inputs,
                previous_response_id=turn.previous_response_id,
                conversation_id=turn.conversation_id,
                stream=False,
            )
            await self.store.create_response(record)
        await add_to_conversation(self.store, turn.conversation_id, turn.scope, turn.new_items, response)

    async def save_stream(self, turn: Turn, encoder: ResponseStreamEncoder) -> None:
        """After a foreground stream: keep its response (`cancelled` with its output so far if its client left)."""
        if encoder.next_sequence_number == 0:
            return  # nothing was sent (no producer thread came free): there is no response
        response = encoder.final_response
        if response is None:
            response = {**encoder.snapshot("cancelled"), "completed_at": None}
        try:
            await self.save(turn, response)
        except Exception:
            self.logger.exception("Could not store streamed response %s", turn.response_id)


__all__ = ["StatefulResponsesPipeline", "StoreScope", "Turn"]
