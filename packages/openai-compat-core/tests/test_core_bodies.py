"""JSON bodies read by our endpoints themselves: validation through public API, OpenAI's 400s, their schema."""

import json
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict
from starlette.requests import Request

from openai_compat_core.bodies import parse_json_body, read_json_body, request_body_openapi
from openai_compat_core.errors import OpenAIHTTPException


class Options(BaseModel):
    level: int = 1


class Body(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str
    options: Options | None = None
    count: int = 0


class Tree(BaseModel):
    name: str
    children: list["Tree"] = []


def refusal(body: bytes, **limits: Any) -> dict[str, Any]:
    with pytest.raises(OpenAIHTTPException) as caught:
        parse_json_body(Body, body, **limits)
    error = caught.value
    assert error.status_code == 400
    return {"message": error.message, "param": error.param, "code": error.code, "detail": error.detail}


def test_a_valid_body_is_the_model() -> None:
    parsed = parse_json_body(Body, b'{"model": "m", "options": {"level": 2}, "extra": [1]}')
    assert (parsed.model, parsed.options, parsed.model_extra) == ("m", Options(level=2), {"extra": [1]})


def test_json_that_pydantic_refuses_but_json_allows_is_accepted() -> None:
    # An escaped lone surrogate is valid JSON; Python's parser takes it, pydantic's does not.
    assert parse_json_body(Body, b'{"model": "\\ud800"}').model == "\ud800"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"model": "m",', "Expecting property name enclosed in double quotes at position 14"),
        (b'{"model": "\xff"}', "it is not UTF-8 text"),
        (b'{"model": "m", "count": ' + b"9" * 5000 + b"}", "a number in it has too many digits"),
    ],
)
def test_a_body_that_is_not_json_says_why(body: bytes, reason: str) -> None:
    answer = refusal(body)
    assert answer["message"] == f"The request body is not valid JSON: {reason}."
    assert (answer["param"], answer["code"]) == (None, "invalid_json")


def test_nesting_deeper_than_the_limit_is_refused_before_parsing() -> None:
    deep = b'{"model": "m", "x": ' + b"[" * 20 + b"]" * 20 + b"}"
    assert refusal(deep, max_json_depth=10)["code"] == "invalid_json"
    assert parse_json_body(Body, deep, max_json_depth=None).model == "m"


@pytest.mark.parametrize(("body", "code"), [(b"", "invalid_body"), (b"[1]", "invalid_body"), (b'"x"', "invalid_body")])
def test_an_empty_body_or_one_that_is_no_object_is_invalid_body(body: bytes, code: str) -> None:
    assert refusal(body)["code"] == code


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        (b"{}", "model", "missing_required_parameter"),
        (b'{"model": 1}', "model", "invalid_type"),
        (b'{"model": "m", "options": {"level": "high"}}', "options.level", "invalid_type"),
    ],
)
def test_a_parameter_error_names_the_parameter_as_1x_located_it(body: bytes, param: str, code: str) -> None:
    answer = refusal(body)
    assert (answer["param"], answer["code"]) == (param, code)
    assert param in answer["message"]
    assert answer["detail"][0]["loc"][0] == "body"


def make_request(body: bytes, content_type: str | None = "application/json") -> Request:
    headers = [(b"content-type", content_type.encode())] if content_type is not None else []
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        assert not sent, "the body is read once"
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request({"type": "http", "method": "POST", "headers": headers}, receive)


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "application/vnd.api+json", None]
)
async def test_read_json_body_takes_json_content_types(content_type: str | None) -> None:
    assert (await read_json_body(make_request(b'{"model": "m"}', content_type), Body)).model == "m"


async def test_read_json_body_refuses_other_content_types_and_large_bodies() -> None:
    with pytest.raises(OpenAIHTTPException) as caught:
        await read_json_body(make_request(b'{"model": "m"}', "text/plain"), Body)
    assert (caught.value.status_code, caught.value.code) == (400, "invalid_body")
    with pytest.raises(OpenAIHTTPException) as caught:
        await read_json_body(make_request(b'{"model": "' + b"m" * 100 + b'"}'), Body, max_body_size=50)
    assert (caught.value.status_code, caught.value.code) == (413, "request_too_large")


def test_the_documented_body_is_the_models_schema_self_contained() -> None:
    extra = request_body_openapi(Body, description="The body.")
    body = extra["requestBody"]
    assert body["required"] is True
    assert body["description"] == "The body."
    schema = body["content"]["application/json"]["schema"]
    assert "$ref" not in json.dumps(schema)
    assert "$defs" not in schema
    options = schema["properties"]["options"]["anyOf"][0]
    assert options["properties"]["level"] == {"default": 1, "title": "Level", "type": "integer"}


def test_a_recursive_model_is_documented_down_to_its_recursion() -> None:
    schema = request_body_openapi(Tree)["requestBody"]["content"]["application/json"]["schema"]
    assert "$ref" not in json.dumps(schema)
    assert schema["properties"]["name"]["type"] == "string"
    assert schema["properties"]["children"]["items"] == {}  # any value below the recursion
