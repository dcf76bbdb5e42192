from openai import OpenAI

client = OpenAI(
    base_url="http://127.0.0.1:8000/v1",
    api_key="unused",
    default_headers={"X-User-Id": "ada"},
)

answer = client.chat.completions.create(
    model="demo", messages=[{"role": "user", "content": "hi"}]
)
print(answer.choices[0].message.content)

response = client.responses.create(
    model="demo", input="hi", extra_headers={"X-User-Id": "grace"}
)
print(response.output_text)
