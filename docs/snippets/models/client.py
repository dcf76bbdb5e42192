from openai import OpenAI

client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")
print([model.id for model in client.models.list()])
print(client.models.retrieve("org/agent").owned_by)
