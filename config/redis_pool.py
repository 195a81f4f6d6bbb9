"""One Redis connection pool per process for Django's cache (rate limits, the team state).

Django's RedisCache makes a cache client, and with it a connection pool, per thread; daphne serves
every HTTP request in a thread of its own, so each request opened (and health-checked) a new Redis
connection: a tenth of a submission's time in the benchmark's profile (docs/benchmarks.md).
redis-py's pools are thread-safe, so all threads can share one.
"""

import threading

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class SharedConnectionPool(redis.ConnectionPool):
    _pools: dict = {}
    _lock = threading.Lock()

    @classmethod
    def from_url(cls, url, **kwargs):
        key = (url, tuple(sorted((name, repr(value)) for name, value in kwargs.items())))
        with cls._lock:
            if key not in cls._pools:
                cls._pools[key] = super().from_url(url, **kwargs)
            return cls._pools[key]


class SharedClientCacheClient(RedisCacheClient):
    """Django's client makes a redis.Redis (~0.15 ms: its response callbacks) for every cache call, two
    per submission (the rate limit's add and incr). A Redis client is thread-safe (it takes a connection
    from the pool for each command), so one per pool serves every thread."""

    _clients: dict = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None or client.connection_pool is not pool:
            with SharedConnectionPool._lock:
                client = self._clients.get(id(pool))
                if client is None or client.connection_pool is not pool:
                    client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class SharedClientRedisCache(RedisCache):
    """Django's RedisCache with one redis.Redis per connection pool (settings.CACHES)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientCacheClient
