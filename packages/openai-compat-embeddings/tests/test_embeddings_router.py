"""The embeddings router: request rules, what the callback receives, hooks, options, `dimensions`, errors."""

import asyncio
import math
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI, HTTPException

from openai_compat_core import APIKeyAuth, OpenAIHTTPException
from openai_compat_embeddings import (
    EmbeddingRequest,
    check_dimensions,
    check_encoding_format,
    check_input,
    create_embeddings_router,
)

PATH = "/v1/embeddings"


class Recorder:
    """A callback that records its calls and answers one vector [position, 1, 2, 3] per input."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, dict[str, Any]]] = []

    def __call__(self, model: str, inputs: Any, body: dict[str, Any]) -> list[list[float]]:
        self.calls.append((model, inputs, body))
        return [[float(position), 1.0, 2.0, 3.0] for position in range(len(inputs))]


def make_app(run: Any = None, **options: Any) -> FastAPI:
    app = FastAPI()
    app.include_router(create_embeddings_router(run_embeddings=run or Recorder(), **options))
    return app


async def post(app: FastAPI, body: Any, asgi_client: Any, **kwargs: Any) -> httpx.Response:
    async with asgi_client(app) as client:
        response: httpx.Response = await client.post(PATH, json=body, **kwargs)
        return response


def assert_400(response: httpx.Response, param: str, *words: str) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param, error
    for word in words:
        assert word in error["message"], error


# --- the request rules --------------------------------------------------------------------------------

RULES: list[tuple[dict[str, Any], str, tuple[str, ...]]] = [
    ({"input": ""}, "input", ("empty string",)),
    ({"input": []}, "input", ("empty list",)),
    ({"input": ["a", ""]}, "input[1]", ("empty string",)),
    ({"input": [[1, 2], []]}, "input[1]", ("empty list of token ids",)),
    ({"input": ["x"] * 2049}, "input", ("at most 2048 inputs", "2049")),
    ({"input": [[1]] * 2049}, "input", ("at most 2048 inputs",)),
    ({"input": "a", "encoding_format": "hex"}, "encoding_format", ("'hex'", "'float' and 'base64'")),
    ({"input": "a", "encoding_format": ""}, "encoding_format", ()),
    ({"input": "a", "encoding_format": "BASE64"}, "encoding_format", ()),
    ({"input": "a", "dimensions": 0}, "dimensions", ("at least 1",)),
    ({"input": "a", "dimensions": -5}, "dimensions", ("at least 1",)),
]


@pytest.mark.parametrize(("fields", "param", "words"), RULES)
async def test_each_rule_is_a_400_naming_the_parameter(
    fields: dict[str, Any], param: str, words: tuple[str, ...], asgi_client: Any
) -> None:
    recorder = Recorder()
    assert_400(await post(make_app(recorder), {"model": "m", **fields}, asgi_client), param, *words)
    assert recorder.calls == []


async def test_2048_inputs_and_long_token_lists_are_accepted(asgi_client: Any) -> None:
    recorder = Recorder()
    app = make_app(recorder)
    response = await post(app, {"model": "m", "input": ["x"] * 2048}, asgi_client)
    assert len(response.json()["data"]) == 2048
    # One input given as token ids may be longer than 2,048 tokens: that limit counts inputs.
    response = await post(app, {"model": "m", "input": list(range(8191))}, asgi_client)
    assert len(response.json()["data"]) == 1
    assert response.json()["usage"] == {"prompt_tokens": 8191, "total_tokens": 8191}


def test_the_rule_functions_raise_what_the_router_answers() -> None:
    with pytest.raises(OpenAIHTTPException) as caught:
        check_input([])
    assert (caught.value.status_code, caught.value.param) == (400, "input")
    with pytest.raises(OpenAIHTTPException) as caught:
        check_encoding_format("hex")
    assert caught.value.param == "encoding_format"
    with pytest.raises(OpenAIHTTPException) as caught:
        check_dimensions(0)
    assert caught.value.param == "dimensions"
    assert check_encoding_format(None) == "float"
    assert check_dimensions(None) is None


# --- what the callback receives -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "inputs"),
    [
        ("hello", ["hello"]),
        (["a", "b"], ["a", "b"]),
        ([5, 17, 99], [[5, 17, 99]]),
        ([[5, 17], [99], [1, 2, 3]], [[5, 17], [99], [1, 2, 3]]),
    ],
)
async def test_inputs_reach_the_callback_as_sent(sent: Any, inputs: Any, asgi_client: Any) -> None:
    recorder = Recorder()
    body = {"model": "embed-me", "input": sent, "user": "u-1", "dimensions": 4, "custom": {"k": 1}}
    response = await post(make_app(recorder), body, asgi_client)
    assert response.status_code == 200, response.text
    [(model, received, received_body)] = recorder.calls
    assert model == "embed-me"
    assert received == inputs
    assert received_body["input"] == sent
    assert (received_body["user"], received_body["dimensions"], received_body["custom"]) == ("u-1", 4, {"k": 1})
    answer = response.json()
    assert answer["object"] == "list"
    assert answer["model"] == "embed-me"
    assert [item["embedding"][0] for item in answer["data"]] == [float(i) for i in range(len(inputs))]


async def test_usage_counts_token_ids_and_not_texts(asgi_client: Any) -> None:
    app = make_app()
    assert (await post(app, {"model": "m", "input": [[1, 2], [3]]}, asgi_client)).json()["usage"] == {
        "prompt_tokens": 3,
        "total_tokens": 3,
    }
    assert (await post(app, {"model": "m", "input": ["abc"]}, asgi_client)).json()["usage"]["prompt_tokens"] == 0


async def test_an_async_callback_and_request_headers(asgi_client: Any) -> None:
    seen: dict[str, str] = {}

    async def run_embeddings(model: str, inputs: Any, body: dict[str, Any], headers: dict[str, str]) -> Any:
        seen.update(headers)
        await asyncio.sleep(0)
        return [[1.0, 0.0]]

    response = await post(
        make_app(run_embeddings), {"model": "m", "input": "x"}, asgi_client, headers={"X-Tenant": "t"}
    )
    assert response.json()["data"][0]["embedding"] == [1.0, 0.0]
    assert seen["x-tenant"] == "t"


async def test_pre_and_post_hooks(asgi_client: Any) -> None:
    recorder = Recorder()

    def pre_hook(request: EmbeddingRequest) -> EmbeddingRequest:
        return request.model_copy(update={"model": "rewritten", "input": [*request.input, "added"]})

    def post_hook(result: list[list[float]]) -> list[list[float]]:
        return [[-value for value in row] for row in result]

    app = make_app(recorder, pre_hook=pre_hook, post_hook=post_hook)
    response = await post(app, {"model": "m", "input": ["a"]}, asgi_client)
    assert recorder.calls[0][:2] == ("rewritten", ["a", "added"])
    assert response.json()["model"] == "rewritten"
    assert [item["embedding"] for item in response.json()["data"]] == [
        [-0.0, -1.0, -2.0, -3.0],
        [-1.0, -1.0, -2.0, -3.0],
    ]


# --- dimensions ------------------------------------------------------------------------------------------


async def test_longer_vectors_are_shortened_and_scaled_to_unit_length(asgi_client: Any) -> None:
    recorder = Recorder()
    for encoding in ("float", "base64"):
        body = {"model": "m", "input": ["a", "b"], "dimensions": 2, "encoding_format": "float"}
        body["encoding_format"] = encoding
        response = await post(make_app(recorder), body, asgi_client)
        assert response.status_code == 200, response.text
    response = await post(make_app(recorder), {"model": "m", "input": ["a", "b"], "dimensions": 2}, asgi_client)
    rows = [item["embedding"] for item in response.json()["data"]]
    # [0, 1, 2, 3] -> [0, 1] (already unit length); [1, 1, 2, 3] -> [1, 1] / sqrt(2).
    assert rows == [[0.0, 1.0], [1 / math.sqrt(2), 1 / math.sqrt(2)]]
    assert recorder.calls[-1][2]["dimensions"] == 2


async def test_vectors_of_the_requested_length_are_sent_as_they_are(asgi_client: Any) -> None:
    app = make_app(lambda model, inputs, body: [[3.0, 4.0, 12.0] for _ in inputs])
    response = await post(app, {"model": "m", "input": "a", "dimensions": 3}, asgi_client)
    assert response.json()["data"][0]["embedding"] == [3.0, 4.0, 12.0]


async def test_more_dimensions_than_the_model_gives_is_a_400(asgi_client: Any) -> None:
    response = await post(make_app(), {"model": "small", "input": "a", "dimensions": 5}, asgi_client)
    assert_400(response, "dimensions", "gives 4 dimensions", "at most 4")


# --- errors and options ------------------------------------------------------------------------------------


async def test_a_callback_refusal_keeps_its_status_and_message(asgi_client: Any) -> None:
    def run_embeddings(model: str, inputs: Any, body: dict[str, Any]) -> Any:
        raise OpenAIHTTPException(
            400, "Input 0 is longer than 512 tokens.", param="input", code="context_length_exceeded"
        )

    response = await post(make_app(run_embeddings), {"model": "m", "input": "a"}, asgi_client)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": "Input 0 is longer than 512 tokens.",
        "type": "invalid_request_error",
        "param": "input",
        "code": "context_length_exceeded",
    }

    def plain_http(model: str, inputs: Any, body: dict[str, Any]) -> Any:
        raise HTTPException(429, "slow down")

    response = await post(make_app(plain_http), {"model": "m", "input": "a"}, asgi_client)
    assert (response.status_code, response.json()["error"]["message"]) == (429, "slow down")


@pytest.mark.parametrize("expose", [True, False])
async def test_a_failing_callback_is_a_500_not_to_retry(expose: bool, asgi_client: Any) -> None:
    def run_embeddings(model: str, inputs: Any, body: dict[str, Any]) -> Any:
        raise RuntimeError("model crashed")

    response = await post(make_app(run_embeddings, expose_errors=expose), {"model": "m", "input": "a"}, asgi_client)
    assert response.status_code == 500
    assert response.headers["x-should-retry"] == "false"
    message = response.json()["error"]["message"]
    assert message == ("Pipeline execution failed: model crashed" if expose else "Pipeline execution failed.")


async def test_models_endpoints_and_model_validation(asgi_client: Any) -> None:
    app = make_app(list_models=lambda: ["e5"], include_models_endpoints=True, validate_model=True, owned_by="me")
    async with asgi_client(app) as client:
        models = (await client.get("/v1/models")).json()
        assert [(m["id"], m["owned_by"]) for m in models["data"]] == [("e5", "me")]
        assert (await client.post(PATH, json={"model": "e5", "input": "a"})).status_code == 200
        missing = await client.post(PATH, json={"model": "gpt", "input": "a"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "model_not_found"


async def test_no_models_routes_by_default(asgi_client: Any) -> None:
    async with asgi_client(make_app()) as client:
        assert (await client.get("/v1/models")).status_code == 404
        assert (await client.post("/embeddings", json={"model": "m", "input": "a"})).status_code == 200


def test_models_options_need_list_models() -> None:
    with pytest.raises(ValueError, match="list_models"):
        create_embeddings_router(run_embeddings=Recorder(), validate_model=True)
    with pytest.raises(ValueError, match="list_models"):
        create_embeddings_router(run_embeddings=Recorder(), include_models_endpoints=True)


async def test_dependencies_guard_the_route(asgi_client: Any) -> None:
    recorder = Recorder()
    app = make_app(recorder, dependencies=[Depends(APIKeyAuth(keys=["sk-1"]))])
    refused = await post(app, {"model": "m", "input": "a"}, asgi_client)
    assert refused.status_code == 401
    assert recorder.calls == []
    allowed = await post(app, {"model": "m", "input": "a"}, asgi_client, headers={"Authorization": "Bearer sk-1"})
    assert allowed.status_code == 200


async def test_the_body_limit(asgi_client: Any) -> None:
    recorder = Recorder()
    app = make_app(recorder, max_body_size=1024)
    response = await post(app, {"model": "m", "input": ["x" * 100] * 20}, asgi_client)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert recorder.calls == []


async def test_the_answer_declares_its_length_and_type(asgi_client: Any) -> None:
    app = make_app(lambda model, inputs, body: [[0.5] * 1000 for _ in inputs])
    response = await post(app, {"model": "m", "input": ["a"] * 300}, asgi_client)
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content) > 256 * 1024
    assert len(response.json()["data"]) == 300
