from openai_compat_responses import InMemoryResponseStore

store = InMemoryResponseStore(
    max_responses=50_000,  # the least recently used finished ones go first
    ttl=6 * 3600,  # seconds after a record's last write; None: no age limit
    max_conversations=5_000,
    max_events_per_response=8_192,  # kept to resume a background stream
    max_event_bytes=128 * 1024 * 1024,  # all kept events together
)
