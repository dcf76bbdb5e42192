import openai
from openai import OpenAI

client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")

uploaded = client.files.create(file=("notes.txt", b"Buy milk.\n"), purpose="user_data")
print([f.filename for f in client.files.list(purpose="user_data")])
print(client.files.retrieve(uploaded.id).bytes)
print(client.files.content(uploaded.id).text, end="")
print(client.files.delete(uploaded.id).deleted)
try:
    client.files.retrieve(uploaded.id)
except openai.NotFoundError as error:
    print(error.status_code, error.code)
