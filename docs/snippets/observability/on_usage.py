import logging
from collections import Counter
from collections.abc import Iterator

from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_core import UsageRecord

logger = logging.getLogger("usage")
tokens_by_model: Counter[str] = Counter()


async def on_usage(record: UsageRecord) -> None:
    usage = record.usage or {}
    tokens_by_model[record.model or "?"] += usage.get("total_tokens", 0)
    logger.info(
        "%s %s: %s in %.3f s, usage %s",
        record.operation,
        record.model,
        record.status,
        record.duration,
        usage,
    )


class Done:
    content = ""  # no text: this chunk only reports usage

    def __init__(self, prompt_tokens: int, completion_tokens: int) -> None:
        self.usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }


def run(model: str, messages: list[dict], body: dict) -> Iterator[object]:
    yield "Hello"
    yield " world"
    yield Done(prompt_tokens=12, completion_tokens=2)


app = FastAPI()
app.include_router(
    create_chat_completion_router(
        list_models=lambda: ["demo"], run_completion=run, on_usage=on_usage
    )
)
