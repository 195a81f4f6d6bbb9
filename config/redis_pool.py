"""One Redis connection pool per process for Django's cache (rate limits, the team state).

Django's RedisCache makes a cache client, and with it a connection pool, per thread; daphne serves
every HTTP request in a thread of its own, so each request opened (and health-checked) a new Redis
connection: a tenth of a submission's time in the benchmark's profile (docs/benchmarks.md).
redis-py's pools are thread-safe, so all threads can share one.
"""

import threading

import redis


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
