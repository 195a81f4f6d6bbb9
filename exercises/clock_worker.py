"""The exercise clock's worker: releases due injects, evaluates contingency injects, and breaks up the
targets of released ASAT tests (services/debris.py).

The same `tick()` runs in two ways:
- `python manage.py run_clock`, a process of its own (any number of them, on any machine);
- inside each daphne process (CLOCK_IN_PROCESS, on by default), which is what makes the
  embedded setup work: with the in-memory channel layer only code inside daphne can reach
  its sockets.
Running several at once is safe: releases are exactly-once (see services/releases.py).
"""

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from exercises import selectors
from exercises.services import debris, presence
from exercises.services.releases import release_due_injects

logger = logging.getLogger(__name__)

PRESENCE_CHECK_EVERY = 30.0  # seconds between two looks for the connections of dead processes
_presence_checked_at = float("-inf")


def tick() -> int:
    """Release everything due in every running exercise; return how many injects went out.
    Every PRESENCE_CHECK_EVERY seconds, also expire the connections no page has reported on."""
    global _presence_checked_at
    released = 0
    for exercise_id in selectors.running_exercise_ids():
        released += release_due_injects(exercise_id)
    debris.break_up_released_targets()  # ASAT tests released by this tick or by hand, after their commit
    if time.monotonic() - _presence_checked_at >= PRESENCE_CHECK_EVERY:
        _presence_checked_at = time.monotonic()
        presence.expire_stale()
    return released


def safe_tick() -> int:
    """A tick that survives a lost database connection: it logs, reconnects next time, goes on."""
    try:
        return tick()
    except Exception:
        logger.exception("Clock tick failed; retrying on the next tick")
        return 0
    finally:
        close_old_connections()  # back to the pool between ticks (PostgreSQL); a broken one is dropped


def run(*, interval: float, ticks: int | None = None) -> None:
    """Tick every `interval` seconds, forever or `ticks` times."""
    done = 0
    while ticks is None or done < ticks:
        started = time.monotonic()
        released = safe_tick()
        if released:
            logger.info("Released %d inject(s)", released)
        done += 1
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clock")
_task = None


async def run_in_process(interval: float) -> None:
    """Tick on a thread of its own, forever (a failed tick is logged and the next one goes on)."""
    # sync_to_async keeps the broadcast (async_to_sync inside the service) on daphne's loop,
    # where the in-memory channel layer's sockets live.
    tick_in_thread = sync_to_async(safe_tick, thread_sensitive=False, executor=_executor)
    while True:
        started = time.monotonic()
        await tick_in_thread()
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))


def start_in_process() -> None:
    """Start the clock on the running event loop (called by daphne's reactor at start-up)."""
    global _task
    if _task is None:
        logger.info("Clock worker running inside this daphne process")
        _task = asyncio.get_event_loop().create_task(run_in_process(settings.CLOCK_INTERVAL))
