"""What `RedisResponseStore`'s parts share: its settings, keys, scripts, and Redis calls bounded in time."""

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

import redis.asyncio
import redis.exceptions

from openai_compat_responses.store import StoreUnavailableError

logger = logging.getLogger("fastapi_openai_compat.responses.redis")

T = TypeVar("T")

_UNAVAILABLE_REPLIES = ("LOADING", "MASTERDOWN", "MISCONF", "OOM", "READONLY", "TRYAGAIN", "CLUSTERDOWN")


def text(value: Any) -> str:
    """A Redis reply as text (a client may or may not decode its replies)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def data(value: Any) -> bytes:
    """A Redis reply as bytes."""
    return value if isinstance(value, bytes) else str(value).encode()


class RedisPlumbing:
    """The client, the settings and the bounded Redis calls every part of the store uses."""

    client: "redis.asyncio.Redis"
    timeout: float
    key_prefix: str
    _ttl_ms: int
    _scripts: dict[str, Any]

    def _key(self, kind: str, ident: str) -> str:
        return f"{self.key_prefix}{kind}:{ident}"

    def _response_keys(self, response_id: str) -> list[str]:
        return [self._key("response", response_id), self._key("lease", response_id), self._key("events", response_id)]

    async def _call(self, what: str, operation: Awaitable[T], *, extra_time: float = 0.0) -> T:
        """Run one Redis operation within `timeout`; Redis unreachable -> `StoreUnavailableError` (logged)."""
        try:
            return await asyncio.wait_for(operation, self.timeout + extra_time)
        except (asyncio.TimeoutError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
            problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        except redis.exceptions.ResponseError as exc:
            if not str(exc).startswith(_UNAVAILABLE_REPLIES):
                raise
            problem = str(exc)
        logger.warning("Redis unavailable (%s): %s", what, problem)
        raise StoreUnavailableError from None

    async def _script(self, name: str, keys: Sequence[str], args: Sequence[Any], *, extra_time: float = 0.0) -> Any:
        what = name.lower().replace("_", " ")
        return await self._call(what, self._scripts[name](keys=keys, args=args), extra_time=extra_time)
