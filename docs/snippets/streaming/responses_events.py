from openai import OpenAI

client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")
for event in client.responses.create(model="demo", input="hi", stream=True):
    delta = f" {event.delta!r}" if event.type.endswith(".delta") else ""
    print(event.sequence_number, event.type + delta)
