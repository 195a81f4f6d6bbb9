"""Channel-layer group names and the after-commit send of rendered fragments.

A service hands `send_after_commit` the groups and a render (a zero-argument callable); once the
transaction commits the fragment is rendered once per language (settings.LANGUAGES, under
translation.override) and each rendering is sent to that language's groups: a socket joins the groups of
its user's language (`language_group`: the default language keeps the plain names, French's end in ".fr").
Every socket of a group receives the same string. Model instances never enter a message.
Inside daphne the committing thread puts the message in an outbox on daphne's loop and
returns at once; one sender drains it in order (a request never waits for the channel layer).

Views of a whole exercise (the delivery matrix, the sharing matrix, the presence list) change
with many events — every release, every connect. Inside daphne they are rendered at most once
per `settings.COALESCE_SECONDS` for each exercise, on a worker thread after the commit, so a
burst of releases or a storm of connects renders each view a few times instead of once per
event, and never on the request or socket that caused it. Elsewhere (management commands,
tests without daphne) they are rendered at commit, once per transaction.
"""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.utils import translation

logger = logging.getLogger(__name__)


def language_group(group: str, language: str) -> str:
    """The group of the sockets that read `group` in `language`: the default language keeps the plain name."""
    return group if language == settings.LANGUAGE_CODE else f"{group}.{language}"


def languages() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def _in_each_language(render) -> list[tuple[str, object]]:
    """(language, render()) for each language, rendered under it."""
    rendered = []
    for language in languages():
        with translation.override(language):
            rendered.append((language, render()))
    return rendered


def team_group(exercise_id: int, team_code: str) -> str:
    return f"exercise.{exercise_id}.team.{team_code}"


def facilitators_group(exercise_id: int) -> str:
    return f"exercise.{exercise_id}.facilitators"


def evaluators_group(exercise_id: int) -> str:
    return f"exercise.{exercise_id}.evaluators"


def staff_groups(exercise_id: int) -> list[str]:
    """Facilitators and evaluators: they see the whole exercise."""
    return [facilitators_group(exercise_id), evaluators_group(exercise_id)]


def exercise_groups(exercise) -> list[str]:
    """Every group of the exercise: staff plus each participating team."""
    return staff_groups(exercise.pk) + [team_group(exercise.pk, code) for code in exercise.team_codes()]


async def _send_to_groups(groups: list[str], message: dict) -> None:
    layer = get_channel_layer()
    for group in groups:
        await layer.group_send(group, message)


def send_after_commit(groups, render) -> None:
    """Once the surrounding transaction commits, render `render()` (the fragment's HTML) in each language
    and queue it for that language's groups. Fragments go out in the order their commits registered them."""
    groups = list(groups)
    # robust: a channel layer that is down (Redis restarting) must not turn a committed write into an
    # error for the user. The record is in the database; pages resync (consumers.ExerciseSocket.resync).
    transaction.on_commit(lambda: _send_in_each_language(groups, render), robust=True)


def render_and_send_after_commit(render) -> None:
    """Once the transaction commits, call `render()` for [(groups, html), …] in each language and send each
    to that language's groups: for what may wait until the fragments registered before it (a released
    inject's card, which its teams are waiting for) are out."""

    def send():
        for language, pushes in _in_each_language(lambda: list(render())):
            for groups, html in pushes:
                _send([language_group(group, language) for group in groups], {"type": "fragment", "html": html})

    transaction.on_commit(send, robust=True)


def _send(groups: list[str], message: dict) -> None:
    """Inside daphne, hand the message to the outbox on its loop and return: the request does not wait for
    the channel layer. Elsewhere (management commands, tests without daphne), send it and wait."""
    if _outbox is None:
        async_to_sync(_send_to_groups)(groups, message)
    else:
        _event_loop.call_soon_threadsafe(_outbox.put_nowait, (groups, message))


async def _deliver_outbox() -> None:
    """One sender for the whole process, in the order the commits handed messages over (a burst's
    injects reach each team in MSEL order)."""
    while True:
        groups, message = await _outbox.get()
        try:
            await _send_to_groups(groups, message)
        except Exception:
            # Like a lost push: the pages' sync reports repair it (consumers.ExerciseSocket.resync).
            logger.exception("Could not send a fragment to %s", groups)


def render_and_send_once_after_commit(key: str, groups, render) -> None:
    """Render `render()` after commit in each language and send it to that language's groups: once per
    transaction for this key, and inside daphne at most once per COALESCE_SECONDS for this key, off the
    caller's thread.

    For views of a whole exercise that are replaced as a whole (hx-swap-oob): the latest render
    reflects every event before it, so skipping the ones in between loses nothing.
    """
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        getattr(callback, "conjunction_key", None) == key for _, callback, _ in connection.run_on_commit
    ):
        return
    groups = list(groups)
    loop = _event_loop

    def send():
        send.conjunction_key = None  # sent: a later transaction's push for this key is a new one
        if loop is not None and settings.COALESCE_SECONDS:
            loop.call_soon_threadsafe(_coalesce, key, groups, render)
        else:
            _send_in_each_language(groups, render)

    send.conjunction_key = key
    transaction.on_commit(send, robust=True)


# Inside daphne: its event loop, the outbox its sender drains, and the renders waiting on it (key → the
# latest groups and render).
_event_loop: asyncio.AbstractEventLoop | None = None
_outbox: asyncio.Queue | None = None
_coalescing: dict[str, tuple[list[str], object]] = {}


def use_event_loop(loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Called on daphne's loop once it runs (config/asgi.py): from then on fragments go out through the
    outbox and whole-exercise views are coalesced."""
    global _event_loop, _outbox
    _event_loop = loop or asyncio.get_event_loop()
    _outbox = asyncio.Queue()
    _event_loop.create_task(_deliver_outbox())


def _coalesce(key: str, groups: list[str], render) -> None:
    """On the event loop: remember the latest render for `key`; the first one schedules the send."""
    first = key not in _coalescing
    _coalescing[key] = (groups, render)
    if first:
        _event_loop.call_later(settings.COALESCE_SECONDS, lambda: _event_loop.create_task(_render_and_send(key)))


def _send_in_each_language(groups: list[str], render) -> None:
    for language, html in _in_each_language(render):
        _send([language_group(group, language) for group in groups], {"type": "fragment", "html": html})


async def _render_and_send(key: str) -> None:
    groups, render = _coalescing.pop(key)
    try:
        for language, html in await database_sync_to_async(_in_each_language, thread_sensitive=False)(render):
            await _send_to_groups(
                [language_group(group, language) for group in groups], {"type": "fragment", "html": html}
            )
    except Exception:
        # Like a lost push: the pages' sync reports repair it (consumers.ExerciseSocket.resync).
        logger.exception("Could not render or send %s", key)


def user_group(user_id: int) -> str:
    """Every open socket of one user, so that logging out closes them all."""
    return f"user.{user_id}"


def close_sockets_after_commit(user_id: int, exercise_id: int) -> None:
    """Once the transaction commits, close the user's sockets of this exercise in every process: their role
    or team there changed (or they were removed), so the groups those sockets joined are no longer theirs."""
    message = {"type": "access.changed", "exercise_id": exercise_id}
    transaction.on_commit(lambda: _send([user_group(user_id)], message), robust=True)


def end_user_sockets(sender, request, user, **kwargs):
    """Receiver of Django's user_logged_out: close that user's sockets in every process."""
    if user is not None:
        async_to_sync(get_channel_layer().group_send)(user_group(user.pk), {"type": "session.ended"})
