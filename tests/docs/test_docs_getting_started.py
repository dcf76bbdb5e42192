"""The getting-started page (and the README's quick start): the app and the client the page shows."""

from typing import Any


def test_quick_start(serve: Any, check_client: Any, sdk: Any, chat_text: Any) -> None:
    server = serve("getting_started/app.py")
    check_client("getting_started/client.py", server)
    # The generator answers both kinds of client, on both APIs, streamed and not.
    client = sdk(server)
    assert chat_text(client.chat_stream("a b", model="echo")) == "You said: a b"
    assert client.chat("a b", model="echo").choices[0].message.content == "You said: a b"
    _, final = client.response_events("c d", model="echo")
    assert final["output"][0]["content"][0]["text"] == "You said: c d"
