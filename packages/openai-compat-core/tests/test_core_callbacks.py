import functools
import threading
from typing import Any

import pytest

from openai_compat_core.callbacks import Callback, callable_accepts_kwarg, ensure_async, is_async_callable, run_hook


def plain(model: str, messages: list[Any], body: dict[str, Any]) -> str:
    return "plain"


def with_headers(model: str, messages: list[Any], body: dict[str, Any], headers: dict[str, str]) -> Any:
    return headers


def with_kwargs(model: str, messages: list[Any], body: dict[str, Any], **kwargs: Any) -> Any:
    return kwargs


def positional_only_headers(headers: dict[str, str], /) -> None:
    return None


def test_callable_accepts_kwarg() -> None:
    assert not callable_accepts_kwarg(plain, "headers")
    assert callable_accepts_kwarg(with_headers, "headers")
    assert callable_accepts_kwarg(with_kwargs, "headers")
    assert not callable_accepts_kwarg(positional_only_headers, "headers")
    assert callable_accepts_kwarg(functools.partial(with_headers, "m"), "headers")


def test_callable_accepts_kwarg_is_false_when_the_signature_cannot_be_read() -> None:
    class Opaque:
        @property
        def __signature__(self) -> Any:
            raise ValueError("no signature")

        def __call__(self, **kwargs: Any) -> None:
            return None

    assert not callable_accepts_kwarg(Opaque(), "headers")


def test_is_async_callable() -> None:
    async def coro() -> None:
        return None

    class AsyncCallable:
        async def __call__(self) -> None:
            return None

    assert is_async_callable(coro)
    assert is_async_callable(functools.partial(coro))
    assert is_async_callable(AsyncCallable())
    assert not is_async_callable(plain)


async def test_sync_callbacks_run_off_the_event_loop_thread() -> None:
    loop_thread = threading.get_ident()
    seen: list[int] = []

    def blocking() -> str:
        seen.append(threading.get_ident())
        return "done"

    assert await ensure_async(blocking)() == "done"
    assert seen
    assert seen[0] != loop_thread


async def test_sync_callable_returning_awaitable_is_awaited() -> None:
    async def inner() -> str:
        return "inner"

    assert await ensure_async(inner)() == "inner"


async def test_callback_forwards_only_declared_optional_arguments() -> None:
    headers = {"x-user": "alice"}
    assert await Callback(plain, optional=("headers",))("m", [], {}, headers=headers) == "plain"
    assert await Callback(with_headers, optional=("headers",))("m", [], {}, headers=headers) == headers
    assert await Callback(with_kwargs, optional=("headers",))("m", [], {}, headers=headers) == {"headers": headers}

    async def async_with_headers(model: str, messages: list[Any], body: dict[str, Any], headers: Any = None) -> Any:
        return headers

    callback = Callback(async_with_headers, optional=("headers",))
    assert callback.accepts("headers")
    assert await callback("m", [], {}, headers=headers) == headers


async def test_run_hook_transformer_and_observer() -> None:
    seen: list[Any] = []

    async def observer(value: Any) -> None:
        seen.append(value)

    async def transformer(value: Any) -> Any:
        return value + 1

    assert await run_hook(None, 1) == 1
    assert await run_hook(observer, 1) == 1
    assert seen == [1]
    assert await run_hook(transformer, 1) == 2


async def test_callback_exceptions_propagate() -> None:
    def boom(*args: Any) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await Callback(boom)()
