import openai
from openai import OpenAI

client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")

too_many = [{"role": "user", "content": "hi"}] * 51
try:
    client.chat.completions.create(model="demo", messages=too_many)
except openai.BadRequestError as error:
    print(error.status_code, error.code, error.param, error.body["message"])

try:
    client.chat.completions.create(
        model="demo", messages=[{"role": "user", "content": "hi"}]
    )
except openai.InternalServerError as error:
    print(error.status_code, error.body["message"])

try:
    for _chunk in client.chat.completions.create(
        model="demo", messages=[{"role": "user", "content": "hi"}], stream=True
    ):
        pass
except openai.APIError as error:
    print("mid-stream:", error.message)

events = list(client.responses.create(model="demo", input="hi", stream=True))
print(events[-1].type, events[-1].response.error.message)
