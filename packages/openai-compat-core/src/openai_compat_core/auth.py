"""A ready-made bearer API-key check for the routers' `dependencies`."""

import hashlib
import hmac
import os
from collections.abc import Iterable

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from openai_compat_core.errors import OpenAIHTTPException

DEFAULT_API_KEYS_ENV = "OPENAI_COMPAT_API_KEYS"
"""Environment variable read for keys (comma-separated) when none are passed."""

_bearer = HTTPBearer(auto_error=False, description="The API key, sent as `Authorization: Bearer <key>`.")


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


class APIKeyAuth:
    """FastAPI dependency that accepts a request only with `Authorization: Bearer <one of the keys>`.

    Use it on any router of this project::

        router = create_chat_completion_router(..., dependencies=[Depends(APIKeyAuth(["sk-local-1"]))])

    Keys come from `keys`, or else from the environment variable `env_var` (comma-separated). Keys are
    compared through their SHA-256 digests with `hmac.compare_digest`, against every configured key,
    so the time taken does not depend on how much of a key matched. Keys are never logged or echoed.
    A missing or wrong key is answered with 401 `authentication_error` in OpenAI's envelope.

    Raises:
        ValueError: no key was given and the environment variable is empty (refusing to run open).
    """

    def __init__(self, keys: Iterable[str] | str | None = None, *, env_var: str = DEFAULT_API_KEYS_ENV) -> None:
        if keys is None:
            keys = os.environ.get(env_var, "")
        if isinstance(keys, str):
            keys = keys.split(",")
        self._digests = tuple(_digest(k.strip()) for k in keys if k.strip())
        if not self._digests:
            raise ValueError(f"APIKeyAuth needs at least one key (argument `keys` or ${env_var})")

    def is_valid(self, key: str) -> bool:
        """Tell whether `key` is one of the configured keys, in time independent of the keys' contents."""
        given = _digest(key)
        matched = False
        for expected in self._digests:
            matched |= hmac.compare_digest(given, expected)
        return matched

    async def __call__(self, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:  # noqa: B008
        """Check the request's bearer key; raise 401 in OpenAI's envelope when it is missing or wrong."""
        if credentials is None or not credentials.credentials:
            raise OpenAIHTTPException(
                401,
                "You didn't provide an API key. Send it in the Authorization header: `Authorization: Bearer <key>`.",
                type="authentication_error",
                code="missing_api_key",
                headers={"www-authenticate": "Bearer"},
            )
        if not self.is_valid(credentials.credentials):
            raise OpenAIHTTPException(
                401,
                "Incorrect API key provided.",
                type="authentication_error",
                code="invalid_api_key",
                headers={"www-authenticate": "Bearer"},
            )


__all__ = ["DEFAULT_API_KEYS_ENV", "APIKeyAuth"]
