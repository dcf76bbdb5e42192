from openai import OpenAI

client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")
print(client.responses.create(model="echo", input="hello").output_text)

for event in client.responses.create(model="echo", input="hello", stream=True):
    print(event.sequence_number, event.type)
