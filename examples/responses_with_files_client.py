"""Client for `responses_with_files.py`: upload a file, ask about it through Responses, then clean up.

Start the server first (`python examples/responses_with_files.py`), then::

    python examples/responses_with_files_client.py path/to/file.txt
    python examples/responses_with_files_client.py --base-url http://127.0.0.1:8123/v1 notes.md
"""

import argparse
from pathlib import Path

import openai


def run(client: openai.OpenAI, path: Path) -> str:
    """Upload `path`, ask the `file-reader` model to summarise it, delete it; return the answer."""
    uploaded = client.files.create(file=path, purpose="user_data")
    print(f"uploaded {uploaded.filename} as {uploaded.id} ({uploaded.bytes} bytes)")
    print("files on the server:", [f.id for f in client.files.list(purpose="user_data")])

    response = client.responses.create(
        model="file-reader",
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_file", "file_id": uploaded.id},
                    {"type": "input_text", "text": "Summarise"},
                ],
            }
        ],
    )
    print("answer:", response.output_text)

    if client.files.content(uploaded.id).read() != path.read_bytes():
        raise SystemExit("the content read back differs from the file uploaded")
    client.files.delete(uploaded.id)
    print(f"deleted {uploaded.id}")
    return response.output_text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, nargs="?", default=Path(__file__), help="file to upload (default: me)")
    parser.add_argument("--base-url", default="http://127.0.0.1:8000/v1")
    args = parser.parse_args()
    with openai.OpenAI(base_url=args.base_url, api_key="unused") as client:
        run(client, args.file)


if __name__ == "__main__":
    main()
