import time

from openai import OpenAI

client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")

response = client.responses.create(
    model="story", input="A story, please.", background=True
)
print(response.status)
while response.status in ("queued", "in_progress"):
    time.sleep(0.1)
    response = client.responses.retrieve(response.id)
print(response.status)
print(response.output_text)

long = client.responses.create(model="saga", input="A long one.", background=True)
print(client.responses.cancel(long.id).status)
