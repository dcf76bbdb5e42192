from openai import OpenAI

client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")
answer = client.chat.completions.create(
    model="echo", messages=[{"role": "user", "content": "hi"}]
)
print(answer.choices[0].message.content)
