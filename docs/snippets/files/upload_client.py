from pathlib import Path

from openai import OpenAI

client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")
uploaded = client.files.create(file=Path("notes.txt"), purpose="user_data")
print(uploaded.filename, uploaded.bytes, uploaded.purpose)
