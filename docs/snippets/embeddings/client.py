from openai import OpenAI

client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")

result = client.embeddings.create(model="toy", input=["a cat", "a dog"])
for item in result.data:
    print(item.index, item.embedding[:4])

short = client.embeddings.create(model="toy", input="a cat", dimensions=2)
print([round(value, 4) for value in short.data[0].embedding])
