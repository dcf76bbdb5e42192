from openai import OpenAI

client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")

stream = client.chat.completions.create(
    model="demo",
    messages=[{"role": "user", "content": "hi"}],
    stream=True,
    stream_options={"include_usage": True},
)
for chunk in stream:
    if chunk.usage:  # the last chunk, after the one with the finish reason
        print(
            "chat:",
            chunk.usage.prompt_tokens,
            chunk.usage.completion_tokens,
            chunk.usage.total_tokens,
        )

response = client.responses.create(model="demo", input="hi")
print(
    "responses:",
    response.usage.input_tokens,
    response.usage.output_tokens,
    response.usage.total_tokens,
)
