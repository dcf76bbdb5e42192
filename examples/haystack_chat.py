"""A Haystack pipeline behind the Chat Completions API, streamed through the pipeline's `streaming_callback`.

The pipeline has one component, `llm`. By default it is `LocalEchoGenerator`, a small chat generator
defined below that needs no API key and no network: it answers by echoing the question, one word at a
time, through Haystack `StreamingChunk`s. With `--openai` it is Haystack's `OpenAIChatGenerator`
instead (set `OPENAI_API_KEY`); nothing else changes, since both take `messages` and a
`streaming_callback` and return `replies`.

Run it from the repository root (with `fastapi-openai-compat[haystack]` installed)::

    python examples/haystack_chat.py                      # http://127.0.0.1:8000, model "haystack"
    OPENAI_API_KEY=sk-... python examples/haystack_chat.py --openai --openai-model gpt-4o-mini

`--openai-base-url` points the generator at any other OpenAI-compatible server instead: vLLM,
Ollama, or even `examples/basic.py`::

    python examples/basic.py --port 8001 &
    OPENAI_API_KEY=unused python examples/haystack_chat.py --openai --openai-model echo \
        --openai-base-url http://127.0.0.1:8001/v1

then talk to it with any OpenAI client, e.g. the one next to it::

    python examples/basic_client.py --model haystack "What is Haystack?"

`stream: true` streams the chunks as the generator produces them; otherwise the whole reply comes
back at once. `stream_options: {"include_usage": true}` adds the usage the generator reported.
"""

import os

# A demo should not send Haystack's anonymous usage statistics; set the variable yourself to opt in.
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")

import argparse
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from haystack import Pipeline, component
from haystack.dataclasses import ChatMessage, StreamingChunk
from haystack.dataclasses.streaming_chunk import ComponentInfo

from fastapi_openai_compat import CompletionResult, MessageParam, create_chat_completion_router

MODEL = "haystack"
"""The model name clients ask for; the pipeline behind it is chosen on the command line."""

GENERATION_KWARGS = ("temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "seed")
"""Request fields handed to the generator as `generation_kwargs` (OpenAIChatGenerator uses them)."""


@component
class LocalEchoGenerator:
    """A chat generator that needs nothing: it repeats the last user message, streamed word by word.

    It has the inputs and outputs of Haystack's chat generators (`messages`, `streaming_callback`,
    `generation_kwargs` in; `replies` out), so a pipeline can swap it for `OpenAIChatGenerator`.
    """

    def __init__(self, delay: float = 0.05) -> None:
        self.delay = delay

    @component.output_types(replies=list[ChatMessage])
    def run(
        self,
        messages: list[ChatMessage],
        streaming_callback: Callable[[StreamingChunk], None] | None = None,
        generation_kwargs: dict[str, Any] | None = None,
    ) -> dict[str, list[ChatMessage]]:
        question = next((m.text for m in reversed(messages) if m.role.value == "user" and m.text), "")
        reply = f"Haystack heard: {question}" if question else "Haystack heard nothing."
        words = reply.split(" ")
        if streaming_callback is not None:
            info = ComponentInfo.from_component(self)
            for index, word in enumerate(words):
                if self.delay:
                    time.sleep(self.delay)
                text = word if index == 0 else " " + word
                streaming_callback(StreamingChunk(content=text, index=0, start=index == 0, component_info=info))
            # Haystack generators end with a chunk carrying the finish reason and the usage.
            asked = sum(len(m.text.split()) for m in messages if m.text)
            usage = {"prompt_tokens": asked, "completion_tokens": len(words), "total_tokens": asked + len(words)}
            streaming_callback(
                StreamingChunk(content="", finish_reason="stop", meta={"usage": usage}, component_info=info)
            )
        return {"replies": [ChatMessage.from_assistant(reply)]}


def build_pipeline(
    *,
    use_openai: bool = False,
    openai_model: str = "gpt-4o-mini",
    openai_base_url: str | None = None,
    delay: float = 0.05,
) -> Pipeline:
    """Build the pipeline: `LocalEchoGenerator`, or `OpenAIChatGenerator` (reads `OPENAI_API_KEY`).

    `openai_base_url` points `OpenAIChatGenerator` at any OpenAI-compatible server (vLLM, Ollama, another
    fastapi-openai-compat app, ...); by default it is `$OPENAI_BASE_URL`, else OpenAI's API.
    """
    pipeline = Pipeline()
    if use_openai:
        # Switching to a real model is this one line; the streaming code below stays the same.
        from haystack.components.generators.chat import OpenAIChatGenerator  # noqa: PLC0415 - only with --openai

        pipeline.add_component("llm", OpenAIChatGenerator(model=openai_model, api_base_url=openai_base_url))
    else:
        pipeline.add_component("llm", LocalEchoGenerator(delay=delay))
    return pipeline


def text_of(content: Any) -> str:
    """The text of an OpenAI message's content: a string, or a list of text parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def to_chat_messages(messages: list[MessageParam]) -> list[ChatMessage]:
    """Turn OpenAI chat messages into Haystack `ChatMessage`s (tool messages are left out of this demo)."""
    converted: list[ChatMessage] = []
    for message in messages:
        text = text_of(message.get("content"))
        role = message.get("role")
        if role in ("system", "developer"):
            converted.append(ChatMessage.from_system(text))
        elif role == "assistant":
            converted.append(ChatMessage.from_assistant(text))
        elif role == "user":
            converted.append(ChatMessage.from_user(text))
    return converted


_END = object()


def stream_pipeline(pipeline: Pipeline, inputs: dict[str, Any]) -> Iterator[StreamingChunk]:
    """Run the pipeline in a thread and yield each `StreamingChunk` its `streaming_callback` receives.

    The router reads this generator in a worker thread of its own and sends every chunk as soon as it
    arrives. An exception of the pipeline is raised here, so the client gets an error frame. If the
    client leaves, the router closes this generator; the pipeline run still finishes in its thread.
    """
    chunks: queue.Queue[Any] = queue.Queue()

    # A plain function, not `chunks.put`: Haystack deep-copies pipeline inputs, and a bound method
    # would be copied together with its queue. Functions are never copied.
    def on_chunk(chunk: StreamingChunk) -> None:
        chunks.put(chunk)

    def run() -> None:
        try:
            pipeline.run({"llm": {**inputs, "streaming_callback": on_chunk}})
        except Exception as exc:  # noqa: BLE001 - handed over to the generator, which raises it
            chunks.put(exc)
        finally:
            chunks.put(_END)

    threading.Thread(target=run, name="haystack-pipeline", daemon=True).start()
    while (item := chunks.get()) is not _END:
        if isinstance(item, Exception):
            raise item
        yield item


def create_app(pipeline: Pipeline) -> FastAPI:
    """Serve `pipeline` as the model `haystack` on the Chat Completions and Models endpoints."""

    def list_models() -> list[str]:
        return [MODEL]

    def run_completion(model: str, messages: list[MessageParam], body: dict[str, Any]) -> CompletionResult:
        inputs: dict[str, Any] = {
            "messages": to_chat_messages(messages),
            "generation_kwargs": {key: body[key] for key in GENERATION_KWARGS if body.get(key) is not None},
        }
        if body.get("stream"):
            return stream_pipeline(pipeline, inputs)
        replies: list[ChatMessage] = pipeline.run({"llm": inputs})["llm"]["replies"]
        return replies[0].text or ""

    app = FastAPI(title="fastapi-openai-compat Haystack demo")
    app.include_router(
        create_chat_completion_router(list_models=list_models, run_completion=run_completion, validate_model=True)
    )
    return app


def main() -> None:
    import uvicorn  # noqa: PLC0415 - needed only to serve, not to import the app

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--openai", action="store_true", help="use OpenAIChatGenerator (needs OPENAI_API_KEY)")
    parser.add_argument("--openai-model", default="gpt-4o-mini", help="the OpenAI model with --openai")
    parser.add_argument("--openai-base-url", default=None, help="another OpenAI-compatible API with --openai")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds between words of the local generator")
    args = parser.parse_args()
    pipeline = build_pipeline(
        use_openai=args.openai, openai_model=args.openai_model, openai_base_url=args.openai_base_url, delay=args.delay
    )
    uvicorn.run(create_app(pipeline), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
