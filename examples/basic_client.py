"""Chat client for `basic.py` and `haystack_chat.py`: list the models, ask once, then ask again streamed.

Start a server first (`python examples/basic.py` or `python examples/haystack_chat.py`), then::

    python examples/basic_client.py "Hello there"                       # the echo model of basic.py
    python examples/basic_client.py --model haystack "What is Haystack?"
    python examples/basic_client.py --base-url http://127.0.0.1:8123/v1 "Hi"
"""

import argparse
import os

import openai
from openai.types.chat import ChatCompletionMessageParam


def run(client: openai.OpenAI, model: str, question: str) -> tuple[str, str]:
    """Print the served models, a plain answer and a streamed answer; return both answers."""
    print("models:", ", ".join(model.id for model in client.models.list()))
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": question}]

    completion = client.chat.completions.create(model=model, messages=messages)
    answer = completion.choices[0].message.content or ""
    print("answer:", answer)

    print("streamed: ", end="", flush=True)
    streamed = ""
    with client.chat.completions.create(model=model, messages=messages, stream=True) as stream:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                print(chunk.choices[0].delta.content, end="", flush=True)
                streamed += chunk.choices[0].delta.content
    print()
    return answer, streamed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("question", nargs="?", default="Hello there")
    parser.add_argument("--base-url", default="http://127.0.0.1:8000/v1")
    parser.add_argument("--model", default="echo")
    args = parser.parse_args()
    api_key = os.environ.get("OPENAI_API_KEY", "unused")  # the demo servers need none
    with openai.OpenAI(base_url=args.base_url, api_key=api_key, max_retries=0) as client:
        run(client, args.model, args.question)


if __name__ == "__main__":
    main()
