"""Hand-written hostile requests against every route of an app serving all five APIs.

Whatever arrives, the answer is never a 5xx and never a hang, always OpenAI's error envelope with
`param` naming the field at fault when there is one, and the pipeline is not run for a refused
request. Also covered here: the request body limit of each router (413 before the body is read,
checked over a real socket too), the JSON nesting limit, and strings JSON allows but UTF-8 does not.
"""

import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_core import DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_JSON_DEPTH
from openai_compat_embeddings import create_embeddings_router
from openai_compat_files import FileObject, create_files_router
from openai_compat_responses import create_responses_router

WAIT = 10.0  # no request may take longer: a hang fails the test
CHAT = "/v1/chat/completions"
RESPONSES = "/v1/responses"
FILES = "/v1/files"
EMBEDDINGS = "/v1/embeddings"
JSON = {"content-type": "application/json"}
MESSAGES = [{"role": "user", "content": "hi"}]


class Calls:
    """Counts the pipeline calls, to prove a refused request never reaches it."""

    def __init__(self) -> None:
        self.count = 0
        self.bodies: list[dict[str, Any]] = []


def build_app(calls: Calls, *, max_body_size: int | None = DEFAULT_MAX_BODY_SIZE, max_file_size: int = 1024) -> FastAPI:
    def run_completion(model: str, messages: list[Any], body: dict[str, Any]) -> Any:
        calls.count += 1
        calls.bodies.append(body)
        return iter([model, "!"]) if body.get("stream") else f"echo {model}"

    async def run_response(model: str, items: list[Any], body: dict[str, Any]) -> Any:
        calls.count += 1
        calls.bodies.append(body)
        if body.get("stream"):

            async def words() -> AsyncIterator[str]:
                yield model
                yield "!"

            return words()
        return f"echo {model}"

    def run_embeddings(model: str, inputs: list[Any], body: dict[str, Any]) -> list[list[float]]:
        calls.count += 1
        calls.bodies.append(body)
        return [[0.5, -0.5] for _ in inputs]

    def upload(filename: str | None, content_type: str | None, content: bytes, purpose: str) -> FileObject:
        calls.count += 1
        return FileObject(id="file-1", bytes=len(content), created_at=1, filename=filename or "f", purpose=purpose)

    app = FastAPI()
    app.include_router(
        create_chat_completion_router(
            list_models=lambda: ["m"], run_completion=run_completion, max_body_size=max_body_size
        )
    )
    app.include_router(
        create_responses_router(list_models=lambda: ["m"], run_response=run_response, max_body_size=max_body_size)
    )
    app.include_router(
        create_files_router(
            run_file_upload=upload,
            list_files=lambda purpose, limit, after, order: [],
            retrieve_file=lambda file_id: None,
            delete_file=lambda file_id: None,
            retrieve_file_content=lambda file_id: None,
            max_file_size=max_file_size,
        )
    )
    app.include_router(create_embeddings_router(run_embeddings=run_embeddings, max_body_size=max_body_size))
    return app


SHARED_CALLS = Calls()
_APPS: dict[tuple[Any, ...], FastAPI] = {}


def app_for(calls: Calls, **limits: Any) -> FastAPI:
    """The app for these limits, built once per module (building one costs more than most requests)."""
    key = tuple(sorted(limits.items()))
    if key not in _APPS:
        _APPS[key] = build_app(SHARED_CALLS, **limits)
    return _APPS[key]


@pytest.fixture
def calls() -> Calls:
    """The pipeline calls of this test (the apps are shared, their counter is reset)."""
    SHARED_CALLS.count = 0
    SHARED_CALLS.bodies = []
    return SHARED_CALLS


async def send(app: FastAPI, method: str, path: str, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        with anyio.fail_after(WAIT):
            return await client.request(method, path, **kwargs)


def assert_envelope(response: httpx.Response, status: int, *, code: Any = ..., param: Any = ...) -> dict[str, Any]:
    """The answer is OpenAI's error envelope with this status (and `code` / `param` when given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "detail"}
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert isinstance(error["message"], str)
    assert error["message"]
    if code is not ...:
        assert error["code"] == code, error
    if param is not ...:
        assert error["param"] == param, error
    return error


def strict_json(data: bytes) -> Any:
    """Parse JSON as strict parsers do: no NaN or Infinity."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(data, parse_constant=refuse)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- malformed and non-object bodies ---------------------------------------------------------------

MALFORMED = [
    b"{",
    b'{"model": "m",}',
    b'{"model": "m" "messages": []}',
    b'{"model": "m", "messages": [}',
    b"nul",
    b"[1, 2",
    b"'single quotes'",
    b'{"model": "m"} trailing',
    b'{"a": 1}{"b": 2}',
    b"\x00\x01\x02",
    b'{"model": "m\x01"}',
    b'{"model": "\\x"}',
]


@pytest.mark.parametrize("path", [CHAT, RESPONSES, EMBEDDINGS])
@pytest.mark.parametrize("content", MALFORMED)
async def test_malformed_json_is_a_400_naming_no_parameter(path: str, content: bytes, calls: Calls) -> None:
    response = await send(app_for(calls), "POST", path, content=content, headers=JSON)
    error = assert_envelope(response, 400, code="invalid_json", param=None)
    assert error["message"].startswith("The request body is not valid JSON")
    assert calls.count == 0


@pytest.mark.parametrize("path", [CHAT, RESPONSES, EMBEDDINGS])
@pytest.mark.parametrize("content", [b"[]", b'"text"', b"1", b"null", b"true", b"[{}]"])
async def test_a_body_that_is_not_an_object_is_a_400(path: str, content: bytes, calls: Calls) -> None:
    response = await send(app_for(calls), "POST", path, content=content, headers=JSON)
    assert_envelope(response, 400, code="invalid_body", param=None)
    assert calls.count == 0


@pytest.mark.parametrize("path", [CHAT, RESPONSES, FILES, EMBEDDINGS])
@pytest.mark.parametrize("content_type", ["application/json", "multipart/form-data; boundary=x", None])
async def test_an_empty_body_is_a_400(path: str, content_type: str | None, calls: Calls) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await send(app_for(calls), "POST", path, content=b"", headers=headers)
    assert_envelope(response, 400)
    assert calls.count == 0


# --- wrong types at every level --------------------------------------------------------------------

WRONG_TYPES = [
    (CHAT, {"model": 1, "messages": MESSAGES}, "model", "invalid_type"),
    (CHAT, {"model": None, "messages": MESSAGES}, "model", "invalid_type"),
    (CHAT, {"model": ["m"], "messages": MESSAGES}, "model", "invalid_type"),
    (CHAT, {"model": {"name": "m"}, "messages": MESSAGES}, "model", "invalid_type"),
    (CHAT, {"messages": MESSAGES}, "model", "missing_required_parameter"),
    (CHAT, {"model": "m"}, "messages", "missing_required_parameter"),
    (CHAT, {"model": "m", "messages": "hi"}, "messages", "invalid_type"),
    (CHAT, {"model": "m", "messages": {"role": "user"}}, "messages", "invalid_type"),
    (CHAT, {"model": "m", "messages": [1]}, "messages[0]", "invalid_type"),
    (CHAT, {"model": "m", "messages": [MESSAGES[0], []]}, "messages[1]", "invalid_type"),
    (CHAT, {"model": "m", "messages": [MESSAGES[0], "hi"]}, "messages[1]", "invalid_type"),
    (CHAT, {"model": "m", "messages": MESSAGES, "stream": [True]}, "stream", "invalid_type"),
    (CHAT, {"model": "m", "messages": MESSAGES, "stream": {"on": True}}, "stream", "invalid_type"),
    (RESPONSES, {"input": "hi"}, "model", "missing_required_parameter"),
    (RESPONSES, {"model": 1.5, "input": "hi"}, "model", "invalid_type"),
    (RESPONSES, {"model": "m", "input": 5}, "input", "invalid_type"),
    (RESPONSES, {"model": "m", "input": {"role": "user"}}, "input", "invalid_type"),
    (RESPONSES, {"model": "m", "instructions": ["a"]}, "instructions", "invalid_type"),
    (RESPONSES, {"model": "m", "tools": "all"}, "tools", "invalid_type"),
    (RESPONSES, {"model": "m", "tools": [1]}, "tools[0]", "invalid_type"),
    (RESPONSES, {"model": "m", "tool_choice": 5}, "tool_choice", "invalid_type"),
    (RESPONSES, {"model": "m", "temperature": "hot"}, "temperature", "invalid_type"),
    (RESPONSES, {"model": "m", "top_p": [0.5]}, "top_p", "invalid_type"),
    (RESPONSES, {"model": "m", "max_output_tokens": "many"}, "max_output_tokens", "invalid_type"),
    (RESPONSES, {"model": "m", "max_output_tokens": 1.5}, "max_output_tokens", "invalid_value"),
    (RESPONSES, {"model": "m", "metadata": ["a"]}, "metadata", "invalid_type"),
    (RESPONSES, {"model": "m", "text": "plain"}, "text", "invalid_type"),
    (RESPONSES, {"model": "m", "reasoning": 3}, "reasoning", "invalid_type"),
    (RESPONSES, {"model": "m", "stream_options": []}, "stream_options", "invalid_type"),
    (RESPONSES, {"model": "m", "store": {"yes": 1}}, "store", "invalid_type"),
    (EMBEDDINGS, {"input": "hi"}, "model", "missing_required_parameter"),
    (EMBEDDINGS, {"model": "m"}, "input", "missing_required_parameter"),
    (EMBEDDINGS, {"model": 1, "input": "hi"}, "model", "invalid_type"),
    (EMBEDDINGS, {"model": "m", "input": 5}, "input", "invalid_type"),
    (EMBEDDINGS, {"model": "m", "input": None}, "input", "invalid_type"),
    (EMBEDDINGS, {"model": "m", "input": {"text": "hi"}}, "input", "invalid_type"),
    (EMBEDDINGS, {"model": "m", "input": [1.5, 2]}, "input", "invalid_type"),
    (EMBEDDINGS, {"model": "m", "input": [["a"]]}, "input", "invalid_type"),
    (EMBEDDINGS, {"model": "m", "input": [{"text": "a"}]}, "input", "invalid_type"),
    (EMBEDDINGS, {"model": "m", "input": "hi", "encoding_format": 5}, "encoding_format", "invalid_type"),
    (EMBEDDINGS, {"model": "m", "input": "hi", "encoding_format": ["base64"]}, "encoding_format", "invalid_type"),
    (EMBEDDINGS, {"model": "m", "input": "hi", "dimensions": "many"}, "dimensions", "invalid_type"),
    (EMBEDDINGS, {"model": "m", "input": "hi", "dimensions": 1.5}, "dimensions", "invalid_value"),
    (EMBEDDINGS, {"model": "m", "input": "hi", "user": 5}, "user", "invalid_type"),
]


@pytest.mark.parametrize(("path", "payload", "param", "code"), WRONG_TYPES)
async def test_a_wrong_type_is_a_400_naming_the_parameter(
    path: str, payload: dict[str, Any], param: str, code: str, calls: Calls
) -> None:
    response = await send(app_for(calls), "POST", path, json=payload)
    error = assert_envelope(response, 400, code=code, param=param)
    assert f"'{param}'" in error["message"]
    assert calls.count == 0


EMBEDDING_RULES = [
    ({"input": ""}, "input"),
    ({"input": []}, "input"),
    ({"input": ["ok", ""]}, "input[1]"),
    ({"input": [[]]}, "input[0]"),
    ({"input": ["x"] * 100_000}, "input"),
    ({"input": [[1]] * 2049}, "input"),
    ({"input": "x", "encoding_format": "float32"}, "encoding_format"),
    ({"input": "x", "dimensions": 0}, "dimensions"),
    ({"input": "x", "dimensions": -(10**30)}, "dimensions"),
]


@pytest.mark.parametrize(("fields", "param"), EMBEDDING_RULES)
async def test_embeddings_value_rules_are_400s_naming_the_parameter(
    fields: dict[str, Any], param: str, calls: Calls
) -> None:
    response = await send(app_for(calls), "POST", EMBEDDINGS, json={"model": "m", **fields})
    error = assert_envelope(response, 400, code="invalid_value", param=param)
    assert f"'{param}'" in error["message"]
    assert calls.count == 0


@pytest.mark.parametrize(
    ("query", "param", "code"),
    [
        ("limit=abc", "limit", "invalid_type"),
        ("limit=1.5", "limit", "invalid_type"),
        ("limit=0", "limit", "invalid_value"),
        ("limit=-1", "limit", "invalid_value"),
        ("limit=10001", "limit", "invalid_value"),
        ("limit=" + "9" * 5000, "limit", "invalid_value"),
        ("order=sideways", "order", "invalid_value"),
    ],
)
async def test_bad_list_queries_are_400s_naming_the_parameter(query: str, param: str, code: str, calls: Calls) -> None:
    response = await send(app_for(calls), "GET", f"{FILES}?{query}")
    assert_envelope(response, 400, code=code, param=param)


# --- what is accepted, and survives -----------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
async def test_unknown_fields_at_every_level_reach_the_pipeline(stream: bool, calls: Calls) -> None:
    app = app_for(calls)
    extra = {"x_unknown": {"deep": [1, {"deeper": None}]}, "__proto__": {"polluted": True}, "constructor": 1}
    chat = {"model": "m", "messages": [{**MESSAGES[0], **extra}], "stream": stream, **extra}
    responses = {"model": "m", "input": [{"role": "user", "content": "hi", **extra}], "stream": stream, **extra}
    assert (await send(app, "POST", CHAT, json=chat)).status_code == 200
    assert (await send(app, "POST", RESPONSES, json=responses)).status_code == 200
    assert (await send(app, "POST", EMBEDDINGS, json={"model": "m", "input": ["hi"], **extra})).status_code == 200
    assert calls.count == 3
    for body in calls.bodies:
        assert body["x_unknown"] == extra["x_unknown"]
        assert body["__proto__"] == {"polluted": True}


@pytest.mark.parametrize("path", [CHAT, RESPONSES, EMBEDDINGS])
@pytest.mark.parametrize("stream", [False, True])
async def test_huge_strings_under_the_limit_are_served(path: str, stream: bool, calls: Calls) -> None:
    model = "m" * 1_000_000
    text = "x" * 8_000_000
    payload: dict[str, Any] = {"model": model, "stream": stream}
    payload.update({"messages": [{"role": "user", "content": text}]} if path == CHAT else {"input": text})
    response = await send(app_for(calls), "POST", path, json=payload)
    assert response.status_code == 200
    assert model.encode() in response.content
    assert calls.count == 1


@pytest.mark.parametrize("path", [CHAT, RESPONSES, EMBEDDINGS])
@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    "model",
    ["\ud800", "a\udfffb", "\udc00\ud800", "ok \U0001f600 \ud83d"],
    ids=["high-surrogate", "low-surrogate", "reversed-pair", "emoji-and-half"],
)
async def test_unpaired_surrogates_are_echoed_as_replacement_characters(
    path: str, stream: bool, model: str, calls: Calls
) -> None:
    # JSON can carry `\ud800`; UTF-8 cannot. The answer must still be valid UTF-8 JSON.
    payload: dict[str, Any] = {"model": model, "stream": stream, "metadata": {model: model}}
    payload.update({"messages": MESSAGES} if path == CHAT else {"input": model})
    content = json.dumps(payload).encode()
    assert b"\\ud8" in content or b"\\udc" in content or b"\\udf" in content
    response = await send(app_for(calls), "POST", path, content=content, headers=JSON)
    assert response.status_code == 200
    text = response.content.decode("utf-8")  # strict: fails on anything but valid UTF-8
    expected = model.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    assert "\ufffd" in expected
    assert expected in text or json.dumps(expected)[1:-1] in text


@pytest.mark.parametrize("path", [CHAT, RESPONSES, EMBEDDINGS])
@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
async def test_non_finite_numbers_never_make_invalid_json(path: str, constant: bytes, calls: Calls) -> None:
    base = b'"messages": [{"role": "user", "content": "hi"}]' if path == CHAT else b'"input": "hi"'
    content = b'{"model": "m", ' + base + b', "temperature": ' + constant + b', "top_p": ' + constant + b"}"
    response = await send(app_for(calls), "POST", path, content=content, headers=JSON)
    assert response.status_code == 200
    strict_json(response.content)


@pytest.mark.parametrize("path", [CHAT, RESPONSES, EMBEDDINGS])
async def test_a_number_with_too_many_digits_is_a_400(path: str, calls: Calls) -> None:
    content = b'{"model": "m", "messages": [], "input": "x", "n": ' + b"9" * 5000 + b"}"
    response = await send(app_for(calls), "POST", path, content=content, headers=JSON)
    error = assert_envelope(response, 400, code="invalid_json", param=None)
    assert "digits" in error["message"]
    assert "sys." not in error["message"]


# --- nesting --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [CHAT, RESPONSES, EMBEDDINGS])
@pytest.mark.parametrize("where", ["extra", "message", "metadata"])
@pytest.mark.parametrize("depth", [DEFAULT_MAX_JSON_DEPTH + 1, 300, 990, 5000, 1_000_000])
async def test_too_deeply_nested_json_is_a_400(path: str, where: str, depth: int, calls: Calls) -> None:
    deep = nested(depth - 3 if where != "extra" else depth - 1)
    if where == "extra":
        content = f'{{"model": "m", "messages": [], "input": "x", "extra": {deep}}}'
    elif where == "message":
        content = f'{{"model": "m", "messages": [{{"role": "user", "content": {deep}}}], "input": [{{"c": {deep}}}]}}'
    else:
        content = f'{{"model": "m", "messages": [], "metadata": {{"a": {{"b": {deep}}}}}}}'
    response = await send(app_for(calls), "POST", path, content=content.encode(), headers=JSON)
    error = assert_envelope(response, 400, code="invalid_json", param=None)
    assert "nest" in error["message"]
    assert calls.count == 0


@pytest.mark.parametrize("path", [CHAT, RESPONSES, EMBEDDINGS])
async def test_nesting_up_to_the_limit_is_served(path: str, calls: Calls) -> None:
    # Depth counts every array and object, the body itself included.
    deep = nested(DEFAULT_MAX_JSON_DEPTH - 3)
    content = '{"model": "m", "messages": [], "input": "x", "metadata": {"a": DEEP}, "tricky": "]]]]{{{{"}'
    content = content.replace("DEEP", deep)
    response = await send(app_for(calls), "POST", path, content=content.encode(), headers=JSON)
    assert response.status_code == 200
    assert calls.count == 1


# --- encodings and content types --------------------------------------------------------------------


@pytest.mark.parametrize("path", [CHAT, RESPONSES, EMBEDDINGS])
@pytest.mark.parametrize(
    "content",
    [
        b'{"model": "\xff\xfe", "messages": [], "input": "x"}',
        b'\xff{"model": "m"}',
        b'{"model": "m", "messages": [{"role": "user", "content": "\xc3\x28"}], "input": "\xed\xa0\x80"}',
        b'{"model": "m\x80"}',
    ],
    ids=["invalid-bytes", "leading-garbage", "overlong-and-surrogate", "lone-continuation"],
)
async def test_non_utf8_bodies_are_a_400(path: str, content: bytes, calls: Calls) -> None:
    response = await send(app_for(calls), "POST", path, content=content, headers=JSON)
    assert_envelope(response, 400, code="invalid_json", param=None)
    assert calls.count == 0


@pytest.mark.parametrize("path", [CHAT, RESPONSES, EMBEDDINGS])
@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b", "application/xml", "*/*"],
)
async def test_a_json_route_refuses_other_content_types(path: str, content_type: str, calls: Calls) -> None:
    content = json.dumps({"model": "m", "messages": MESSAGES, "input": "hi"}).encode()
    response = await send(app_for(calls), "POST", path, content=content, headers={"content-type": content_type})
    error = assert_envelope(response, 400, code="invalid_body", param=None)
    assert "application/json" in error["message"]
    assert calls.count == 0


async def test_json_content_type_variants_are_accepted(calls: Calls) -> None:
    app = app_for(calls)
    content = json.dumps({"model": "m", "messages": MESSAGES}).encode()
    for content_type in ("application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd.api+json"):
        response = await send(app, "POST", CHAT, content=content, headers={"content-type": content_type})
        assert response.status_code == 200, content_type


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "text/plain", "multipart/form-data", "multipart/form-data; boundary=", "multipart/mixed; b=x"],
)
async def test_an_upload_that_is_not_multipart_with_a_boundary_is_a_400(content_type: str, calls: Calls) -> None:
    response = await send(
        app_for(calls), "POST", FILES, content=b'{"purpose": "x"}', headers={"content-type": content_type}
    )
    assert_envelope(response, 400, code="invalid_content_type")
    assert calls.count == 0


MULTIPART = {"content-type": "multipart/form-data; boundary=B0undary"}


def multipart(*parts: bytes, boundary: bytes = b"B0undary", close: bool = True) -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return body + b"--" + boundary + b"--\r\n" if close else body


PURPOSE = b'Content-Disposition: form-data; name="purpose"\r\n\r\nassistants'
FILE = b'Content-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello'
BIG_FILE = b'Content-Disposition: form-data; name="file"; filename="big"\r\n\r\n' + b"x" * 2048
HUGE_PART_HEADER = b'Content-Disposition: form-data; name="x"\r\n' + b"A" * 70_000 + b"\r\n\r\n"


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (multipart(PURPOSE, FILE, close=False), 400),
        (multipart(PURPOSE, FILE)[:-20], 400),
        (b"--B0undary\r\n" + FILE[:40], 400),
        (multipart(PURPOSE, FILE, boundary=b"other"), 400),
        (b"garbage without any boundary at all", 400),
        (multipart(PURPOSE), 400),
        (multipart(FILE), 400),
        (multipart(b'Content-Disposition: form-data; name="purpose"\r\n\r\n', FILE), 400),
        (multipart(b"Content-Disposition: form-data\r\n\r\nno name", PURPOSE, FILE), 200),
        (multipart(b"X-Header-Without-Colon\r\n\r\nvalue", PURPOSE, FILE), 400),
        (multipart(HUGE_PART_HEADER, FILE), 413),
        (multipart(PURPOSE, BIG_FILE), 413),
        (multipart(PURPOSE, FILE), 200),
    ],
    ids=[
        "no-closing-boundary",
        "truncated-last-part",
        "truncated-part-headers",
        "wrong-boundary",
        "no-boundary-in-body",
        "no-file",
        "no-purpose",
        "empty-purpose",
        "part-without-name-is-ignored",
        "malformed-part-header",
        "huge-part-header",
        "file-over-max-file-size",
        "well-formed",
    ],
)
async def test_broken_multipart_uploads_are_refused_cleanly(content: bytes, status: int, calls: Calls) -> None:
    response = await send(app_for(calls), "POST", FILES, content=content, headers=MULTIPART)
    if status == 200:
        assert response.status_code == 200, response.text
        assert calls.count == 1
    else:
        assert_envelope(response, status)
        assert calls.count == 0


# --- methods ------------------------------------------------------------------------------------------

ROUTES = {
    CHAT: {"POST"},
    "/chat/completions": {"POST"},
    RESPONSES: {"POST"},
    "/responses": {"POST"},
    FILES: {"GET", "POST"},
    "/files": {"GET", "POST"},
    EMBEDDINGS: {"POST"},
    "/embeddings": {"POST"},
    f"{FILES}/file-1": {"GET", "DELETE"},
    f"{FILES}/file-1/content": {"GET"},
    "/v1/models": {"GET"},
    "/v1/models/org/m": {"GET"},
}


@pytest.mark.parametrize(
    ("path", "method"),
    [
        (path, method)
        for path in sorted(ROUTES)
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
        if method not in ROUTES[path]
    ],
)
async def test_a_method_a_path_does_not_serve_is_a_405_envelope_naming_the_others(
    path: str, method: str, calls: Calls
) -> None:
    response = await send(app_for(calls), method, path)
    assert_envelope(response, 405, code="method_not_allowed", param=None)
    assert set(response.headers["allow"].split(", ")) == ROUTES[path]


@pytest.mark.parametrize("model", ["line%0Abreak", "tab%09here", "nul%00", "..%2F..%2Fetc%2Fpasswd", "%252e", "%20"])
async def test_odd_model_ids_get_the_model_not_found_envelope(model: str, calls: Calls) -> None:
    response = await send(app_for(calls), "GET", "/v1/models/" + model)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"


# --- request body limit ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", [CHAT, RESPONSES, EMBEDDINGS])
async def test_the_default_limit_refuses_a_body_over_16_mib(path: str, calls: Calls) -> None:
    content = b'{"model": "m", "input": "' + b"x" * (DEFAULT_MAX_BODY_SIZE) + b'"}'
    response = await send(app_for(calls), "POST", path, content=content, headers=JSON)
    error = assert_envelope(response, 413, code="request_too_large", param=None)
    assert str(DEFAULT_MAX_BODY_SIZE) in error["message"]
    assert calls.count == 0


@pytest.mark.parametrize("path", [CHAT, RESPONSES, EMBEDDINGS])
async def test_each_router_takes_its_own_limit(path: str, calls: Calls) -> None:
    app = app_for(calls, max_body_size=2048)
    small = {"model": "m", "messages": MESSAGES, "input": "x" * 1000}
    assert (await send(app, "POST", path, json=small)).status_code == 200
    big = {"model": "m", "messages": MESSAGES, "input": "x" * 3000}
    assert_envelope(await send(app, "POST", path, json=big), 413, code="request_too_large")

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"model": "m", "input": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    # Without a Content-Length the body is counted while it arrives.
    response = await send(app, "POST", path, content=chunks(), headers=JSON)
    assert_envelope(response, 413, code="request_too_large")
    assert calls.count == 1


def raw_request(port: int, head: bytes, body: bytes = b"") -> bytes:
    """Send a request by hand and read the whole answer (the server closes the connection after it)."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(head + body)
        data = b""
        while b"\r\n\r\n" not in data or len(data) < data.index(b"\r\n\r\n") + 4 + _length(data):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


def _length(data: bytes) -> int:
    head = data.split(b"\r\n\r\n", 1)[0].lower()
    for line in head.split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


@pytest.mark.parametrize("path", [CHAT, RESPONSES, EMBEDDINGS])
def test_over_a_socket_a_declared_oversize_body_is_refused_before_it_is_sent(
    path: str, calls: Calls, live_server: Any
) -> None:
    server = live_server(app_for(calls, max_body_size=1024))
    # Only the headers go out: the 413 must come without the server waiting for the 20 MB body.
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {20 * 1024 * 1024}\r\n\r\n"
    ).encode()
    answer = raw_request(server.port, head)
    status_line, _, rest = answer.partition(b"\r\n")
    # The reason phrase differs between Python versions ("Content Too Large" since 3.13).
    assert status_line.startswith(b"HTTP/1.1 413 ")
    body = json.loads(rest.split(b"\r\n\r\n", 1)[1])
    assert body["error"]["code"] == "request_too_large"
    assert calls.count == 0


@pytest.mark.parametrize("path", [CHAT, RESPONSES, EMBEDDINGS])
def test_over_a_socket_a_chunked_oversize_body_is_refused_while_it_arrives(
    path: str, calls: Calls, live_server: Any
) -> None:
    server = live_server(app_for(calls, max_body_size=4096))
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    start = b'{"model": "m", "input": "'
    piece = b"x" * 1024
    # Six 1 KiB chunks (over the limit), then the connection stays open: no terminating chunk is sent.
    body = b"%x\r\n%s\r\n" % (len(start), start) + b"".join(b"400\r\n" + piece + b"\r\n" for _ in range(6))
    answer = raw_request(server.port, head, body)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b'"request_too_large"' in answer
    assert calls.count == 0


@pytest.mark.parametrize("path", [CHAT, RESPONSES, EMBEDDINGS])
@pytest.mark.parametrize(
    ("headers", "status"),
    [
        # A length that is no length is refused by the server before the app sees the request.
        ({"content-length": "not-a-number"}, 400),
        ({"content-length": "-5"}, 400),
        # Headers the app does not read do not matter, however odd.
        ({"x-bytes": "\udcff".encode("utf-8", "surrogateescape").decode("latin-1")}, 200),
        ({"authorization": "Bearer " + "k" * 8000}, 200),
    ],
    ids=["bad-length", "negative-length", "non-ascii-header", "huge-header"],
)
def test_odd_headers_over_a_socket_get_a_clear_answer(
    path: str, headers: dict[str, str], status: int, calls: Calls, live_server: Any
) -> None:
    server = live_server(app_for(calls))
    body = json.dumps({"model": "m", "messages": MESSAGES, "input": "hi"}).encode()
    lines = {"host": "127.0.0.1", "content-type": "application/json", "content-length": str(len(body)), **headers}
    head = (
        f"POST {path} HTTP/1.1\r\n".encode()
        + b"".join(f"{k}: {v}\r\n".encode("latin-1") for k, v in lines.items())
        + b"Connection: close\r\n\r\n"
    )
    answer = raw_request(server.port, head, body)
    assert int(answer.split(b" ", 2)[1]) == status, answer[:300]
    assert calls.count == (1 if status == 200 else 0)


def test_many_unknown_keys_are_served(calls: Calls) -> None:
    payload: dict[str, Any] = {"model": "m", "messages": MESSAGES}
    payload.update({f"k{i}": i for i in range(100_000)})
    response = anyio.run(lambda: send(app_for(calls), "POST", CHAT, json=payload))
    assert response.status_code == 200
