"""What keeps the app whole under load (docs/benchmarks.md): bounded HTTP concurrency, a channel
layer that holds a burst, SQLite transactions that wait for the write lock instead of failing."""

import asyncio
import json
import os
import threading

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection, transaction

from config.asgi import BoundedConcurrency, application
from exercises.models import AuditEvent, Exercise


def test_at_most_the_limit_of_requests_are_inside_django_at_once_and_all_are_served():
    inside, most_inside, served = 0, 0, []

    async def slow_app(scope, receive, send):
        nonlocal inside, most_inside
        inside += 1
        most_inside = max(most_inside, inside)
        await asyncio.sleep(0.01)
        inside -= 1
        served.append(scope["path"])

    bounded = BoundedConcurrency(slow_app, limit=3)

    async def crowd():
        await asyncio.gather(*(bounded({"type": "http", "path": f"/{n}"}, None, None) for n in range(40)))

    asyncio.run(crowd())
    assert most_inside == 3
    assert sorted(served) == sorted(f"/{n}" for n in range(40))


def test_the_application_bounds_http_by_the_setting():
    http = application.application_mapping["http"]
    assert isinstance(http, BoundedConcurrency) and http.limit == settings.HTTP_CONCURRENCY == 16


def test_a_burst_of_pushes_to_one_socket_is_held_not_dropped():
    """A burst of 100 injects plus their matrices reaches one socket as several hundred messages."""
    layer = get_channel_layer()

    async def burst():
        channel = await layer.new_channel()
        await layer.group_add("burst-test", channel)
        for n in range(600):
            await layer.group_send("burst-test", {"type": "fragment", "html": str(n)})
        received = [(await layer.receive(channel))["html"] for _ in range(600)]
        await layer.group_discard("burst-test", channel)
        return received

    assert async_to_sync(burst)() == [str(n) for n in range(600)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_read_then_write_transactions_wait_for_each_other(personas):
    """On SQLite, a transaction that reads before it writes could not wait for the write lock and
    failed with "database is locked"; on PostgreSQL row-level locking never had that problem."""
    exercise_id = personas.exercise.pk
    errors, start = [], threading.Barrier(6)

    def writer(n):
        try:
            start.wait()
            for attempt in range(10):
                with transaction.atomic():
                    exercise = Exercise.objects.get(pk=exercise_id)  # read first…
                    AuditEvent.objects.create(exercise=exercise, kind="test.write", payload={"n": n, "a": attempt})
        except Exception as error:  # noqa: BLE001 — any failure is the finding
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AuditEvent.objects.filter(kind="test.write").count() == 60


def test_every_thread_shares_one_redis_pool_and_client_for_the_cache():
    """Daphne serves each request in a new thread; each used to open its own Redis connection (and every
    cache call made a redis.Redis client)."""
    if settings.CACHES["default"]["BACKEND"] != "config.redis_pool.SharedClientRedisCache":
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs with REDIS_URL: the Redis cache must be configured")
        pytest.skip("the embedded setup caches in memory")
    from django.core.cache import caches

    pools, clients = [], []

    def use_the_cache():
        cache = caches["default"]
        cache.set("pool-test", 1)
        pools.append(cache._cache._get_connection_pool(write=True))
        clients.append(cache._cache.get_client(write=True))

    threads = [threading.Thread(target=use_the_cache) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(pools) == 4 and all(pool is pools[0] for pool in pools)
    assert all(client is clients[0] for client in clients) and clients[0].connection_pool is pools[0]


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_each_new_thread_reuses_a_pooled_connection():
    """Daphne serves each request, and each socket's database trip, in a thread of its own. Without the
    pool each one opened (and tore down) a PostgreSQL connection: 20 threads, 20 backends."""
    if connection.vendor != "postgresql":
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs with DATABASE_URL: PostgreSQL must be configured")
        pytest.skip("the embedded setup is SQLite")
    pool = connection.pool
    assert pool is not None, "PostgreSQL connections do not come from a pool"
    connection.ensure_connection()
    connection.close()  # the pool is open and holds this test's connection again
    opened_before = pool.get_stats().get("connections_num", 0)
    backends = []

    def one_request():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backends.append(cursor.fetchone()[0])
        connection.close()  # what Django does at the end of a request: back to the pool

    for _ in range(20):
        thread = threading.Thread(target=one_request)
        thread.start()
        thread.join()
    opened = pool.get_stats().get("connections_num", 0) - opened_before
    assert len(backends) == 20
    assert opened <= 1, f"the pool opened {opened} connections for 20 threads, one after the other"
    assert len(set(backends)) < 20


def test_an_asgi_server_process_freezes_what_it_loaded_at_start_up():
    """Full collections walked everything Django and twisted load (80-240 ms each under 200 sockets)."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import gc; import config.asgi; print(gc.get_freeze_count())"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) > 50_000


def test_the_server_imports_the_views_it_defers_before_it_freezes():
    """The TAXII and STIX exchange views (exercises/views/lazy.py) imported at their first request, after the
    freeze, left stix2 and its parsers to every full collection: 30-90 ms pauses in a TAXII pull."""
    import subprocess
    import sys

    probe = (
        "import gc, json, sys; import config.asgi; import exercises.views.taxii as taxii; "
        "walked = {id(o) for o in gc.get_objects()}; "
        "print(json.dumps({'stix2': 'stix2' in sys.modules, 'view_walked': id(taxii.objects) in walked}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.split("\n")[-2]) == {"stix2": True, "view_walked": False}
