import asyncio

import httpx
from fastapi import FastAPI

from openai_compat_responses import create_responses_router
from openai_compat_responses.testing import check_events, parse_events


def run_response(model: str, input_items: list[dict], body: dict) -> object:
    return iter(["Hello", " world"])


app = FastAPI()
app.include_router(
    create_responses_router(list_models=lambda: ["demo"], run_response=run_response)
)


async def main() -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post(
            "/v1/responses", json={"model": "demo", "input": "hi", "stream": True}
        )
    final = check_events(
        parse_events(response.text)
    )  # raises StreamContractError on the first problem
    assert final["status"] == "completed"
    assert final["output"][0]["content"][0]["text"] == "Hello world"


if __name__ == "__main__":
    asyncio.run(main())
