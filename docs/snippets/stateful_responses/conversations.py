from openai import OpenAI

client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")

conversation = client.conversations.create(
    items=[{"type": "message", "role": "user", "content": "My name is Ada."}],
    metadata={"topic": "introductions"},
)
answer = client.responses.create(
    model="echo", input="I live in Oslo.", conversation=conversation.id
)
print(answer.output_text)

for item in client.conversations.items.list(conversation.id, order="asc"):
    print(item.role, item.content[0].text)

client.conversations.delete(conversation.id)
