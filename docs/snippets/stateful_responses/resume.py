from openai import OpenAI

client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")

with client.responses.create(
    model="story", input="A story, please.", background=True, stream=True
) as stream:
    for event in stream:
        if event.type == "response.created":
            response_id = event.response.id
        if event.type == "response.output_text.delta":
            last_seen = event.sequence_number
            break  # the connection drops here
print("stream lost after event", last_seen)

with client.responses.stream(
    response_id=response_id, starting_after=last_seen
) as stream:
    resumed = [event.sequence_number for event in stream]  # those kept, then live ones
    print("resumed from event", resumed[0])
    print(stream.get_final_response().output_text)
