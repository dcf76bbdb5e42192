"""`ResponsesPipeline`: the Responses part of core's request pipeline (callback arguments, whole answers, encoder)."""

from typing import Any

from starlette.responses import Response as StarletteResponse

from openai_compat_core.chunks import ChunkMapper
from openai_compat_core.encoding import json_response
from openai_compat_core.errors import OpenAIHTTPException
from openai_compat_core.pipeline import Pipeline
from openai_compat_core.telemetry import RequestTelemetry, current_request
from openai_compat_responses import telemetry as responses_telemetry
from openai_compat_responses._objects import encode_text_response, new_id, normalise_response, now, request_settings
from openai_compat_responses.encoder import ResponseStreamEncoder
from openai_compat_responses.models import InputItem, Response, ResponseRequest


def input_items(value: str | list[InputItem] | None) -> list[InputItem]:
    """The request's `input` as a list of items: text is one user message, no input no item."""
    if value is None:
        return []
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    return value


class ResponsesPipeline(Pipeline[ResponseRequest]):
    """The Responses part of core's request pipeline: arguments, whole answers, the encoder."""

    request_model = ResponseRequest

    def __init__(self, *, chunk_mapper: ChunkMapper, **options: Any) -> None:
        super().__init__(**options)
        self.chunk_mapper = chunk_mapper

    def arguments(self, request: ResponseRequest, body: dict[str, Any]) -> tuple[Any, ...]:
        return (request.model, input_items(request.input), body)

    def is_answer(self, result: Any) -> bool:
        return isinstance(result, (str, Response))

    def answer_json(self, result: Any, request: ResponseRequest, body: dict[str, Any]) -> StarletteResponse:
        settings = request_settings(body)
        telemetry = current_request()
        if isinstance(result, Response):
            data = normalise_response(result, settings)
            if telemetry is not None:
                responses_telemetry.response_answered(telemetry, data)
            return json_response(data)
        resp_id = new_id("resp")
        if telemetry is not None:
            telemetry.answered_text(resp_id, request.model, result)
        return json_response(encode_text_response(resp_id, request.model, now(), settings, result))

    def request_attributes(self, request: ResponseRequest) -> dict[str, Any]:
        return responses_telemetry.request_attributes(request)

    def content_attributes(self, request: ResponseRequest) -> dict[str, Any]:
        return responses_telemetry.content_attributes(request)

    def stream_facts(self, encoder: Any, telemetry: RequestTelemetry) -> None:
        responses_telemetry.stream_answered(encoder, telemetry)

    def encoder(self, request: ResponseRequest, body: dict[str, Any], result: Any) -> ResponseStreamEncoder:
        # A whole `Response` streamed keeps its own id from the first event to the last.
        resp_id = result.id if isinstance(result, Response) else new_id("resp")
        return ResponseStreamEncoder(
            resp_id, request.model, chunk_mapper=self.chunk_mapper, request=body, expose_errors=self.expose_errors
        )

    def collected(self, encoder: Any) -> Any:
        if encoder.final_response is None:
            raise OpenAIHTTPException(
                500, "The callback's stream ended without a response object.", type="server_error"
            )
        return encoder.final_response

    def unsupported(self, result: Any) -> OpenAIHTTPException:
        return OpenAIHTTPException(
            500,
            f"Unsupported response type from run_response: {type(result).__name__}",
            type="server_error",
            headers={"x-should-retry": "false"},
            detail="Unsupported response type from run_response",
        )


__all__ = ["ResponsesPipeline", "input_items"]
