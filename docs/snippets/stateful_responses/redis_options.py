import redis.asyncio

from openai_compat_responses.redis_store import RedisResponseStore

# Your own client (TLS, credentials, Sentinel, pool size): the store leaves it open.
client = redis.asyncio.Redis.from_url(
    "rediss://:secret@redis.internal:6380/2", socket_timeout=5, max_connections=200
)
store = RedisResponseStore(
    client,
    ttl=6 * 3600,  # seconds after a record's last write (every key has a TTL)
    lease=30,  # a dead worker's running responses turn `failed` this long after
    poll_interval=0.5,  # how soon a cancel made on another worker is noticed
    timeout=5,  # any Redis operation: beyond it, 503 `store_unavailable`
    key_prefix="my-app:",  # several apps on one Redis database
    max_events_per_response=8_192,  # kept to resume a background stream
    max_event_bytes=16 * 1024 * 1024,  # per background stream
)
