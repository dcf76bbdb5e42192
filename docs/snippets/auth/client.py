import openai
from openai import OpenAI

good = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="sk-local-1")
print(good.responses.create(model="demo", input="hello").output_text)

bad = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="sk-wrong")
try:
    bad.models.list()
except openai.AuthenticationError as error:
    print(error.status_code, error.code)
