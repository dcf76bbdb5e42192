"""Closing a user's generator however its stream (or its collection) ends; what closing raises is logged."""

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio

# The streaming response's logger, where these failures have always been reported (also when collecting).
logger = logging.getLogger("openai_compat_core.streaming")


def close_sync(source: Iterator[Any]) -> None:
    """Close a sync generator (anything with `close()`); log an exception closing raises."""
    close = getattr(source, "close", None)
    if close is None:
        return
    try:
        close()
    except Exception:
        logger.exception("Closing the stream's generator raised")


async def close_async(source: AsyncIterator[Any]) -> None:
    """Close an async generator (anything with `aclose()`), shielded from cancellation; log what it raises."""
    aclose = getattr(source, "aclose", None)
    if aclose is None:
        return
    with anyio.CancelScope(shield=True):
        try:
            await aclose()
        except Exception:
            logger.exception("Closing the stream's async generator raised")


__all__ = ["close_async", "close_sync"]
