from openai import OpenAI

client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")

print([model.id for model in client.models.list()])

answer = client.chat.completions.create(
    model="echo", messages=[{"role": "user", "content": "Hello there"}]
)
print(answer.choices[0].message.content)

stream = client.chat.completions.create(
    model="echo", messages=[{"role": "user", "content": "Stream me"}], stream=True
)
for chunk in stream:
    print(chunk.choices[0].delta.content or "", end="")
print()

response = client.responses.create(model="echo", input="Hi from the Responses API")
print(response.output_text)
