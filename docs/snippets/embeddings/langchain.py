from langchain_openai import OpenAIEmbeddings

embeddings = OpenAIEmbeddings(
    model="toy",
    base_url="http://127.0.0.1:8000/v1",
    api_key="unused",
    # Send the texts. By default LangChain sends token ids of OpenAI's tokenizer.
    check_embedding_ctx_length=False,
)
vectors = embeddings.embed_documents(["a cat", "a dog"])
print([vector[:4] for vector in vectors])
print(embeddings.embed_query("a cat") == vectors[0])
