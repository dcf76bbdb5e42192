from openai import BadRequestError, OpenAI

client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")

first = client.responses.create(model="echo", input="My name is Ada.")
second = client.responses.create(
    model="echo", input="I live in Oslo.", previous_response_id=first.id
)
print(second.output_text)

print(client.responses.retrieve(first.id).output_text)
for item in client.responses.input_items.list(second.id):
    print(item.type, item.role, item.content[0].text)

client.responses.delete(first.id)
try:
    client.responses.create(
        model="echo", input="Where do I live?", previous_response_id=second.id
    )
except BadRequestError as error:
    print(error.code)
