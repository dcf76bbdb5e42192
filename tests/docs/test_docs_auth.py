"""The authentication page: API keys on every router, a dependency of your own, forwarded headers."""

from typing import Any

import httpx
import openai
import pytest


def test_api_keys(serve: Any, check_client: Any, sdk: Any) -> None:
    server = serve("auth/api_key.py")
    check_client("auth/client.py", server)
    missing = httpx.get(f"{server.base_url}/models")
    assert missing.status_code == 401
    assert missing.json()["error"] == {
        "message": missing.json()["error"]["message"],
        "type": "authentication_error",
        "param": None,
        "code": "missing_api_key",
    }
    # The key is checked before the body is validated.
    invalid = httpx.post(f"{server.base_url}/chat/completions", json={"model": "demo", "messages": "x"})
    assert invalid.status_code == 401
    assert sdk(server, api_key="sk-local-2").chat().choices[0].message.content == "hi"
    with pytest.raises(openai.AuthenticationError):
        sdk(server, api_key="sk-local-1x").chat()


def test_a_dependency_of_your_own(serve: Any, sdk: Any) -> None:
    server = serve("auth/custom_dependency.py")
    assert sdk(server, api_key="sk-ada").chat().choices[0].message.content == "hi"
    with pytest.raises(openai.AuthenticationError) as unknown:
        sdk(server, api_key="sk-nobody").chat()
    assert unknown.value.code == "invalid_api_key"
    with pytest.raises(openai.RateLimitError) as blocked:
        sdk(server, api_key="sk-grace").chat()
    assert (blocked.value.code, blocked.value.type) == ("quota_exceeded", "rate_limit_error")


def test_forward_only_the_headers_you_need(serve: Any, sdk: Any) -> None:
    client = sdk(serve("auth/forward_headers.py"), api_key="sk-secret")
    answer = client.chat(extra_headers={"X-User-Id": "ada", "Cookie": "session=1"}).choices[0].message.content
    assert answer == "demo ran for ada with ['x-user-id']"
