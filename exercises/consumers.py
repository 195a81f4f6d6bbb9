"""Websocket consumers: authorize, join the groups, send the current state, forward fragments.

A socket reads one language, chosen at connect as the user's pages are (socket_language): it joins that
language's groups (realtime.language_group) and renders the state it sends under that language.

The consumers are async: forwarding a fragment rendered once by a service is a coroutine on the
event loop, with no hop to a worker thread per socket and message (docs/benchmarks.md, fan-out).
What touches the database (authorization, presence, the state) runs in `database_sync_to_async` on
the loop's worker threads.

Players never send data over the socket (responses go through the HTTP form path): the only
frame a page sends is its periodic sync report; anything else is ignored — and counted: a
socket that floods is closed. Rejection is accept-then-close with a 44xx code, on which the
page does not reconnect; a failure of ours closes with 4013 ("try again later") or 4012
("service restart"), on which it does (static/js/conjunction.js), so a page never goes
silently stale.
"""

import asyncio
import functools
import json
import logging
import time
from datetime import timedelta
from types import SimpleNamespace

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone, translation
from redis.exceptions import RedisError

from exercises import fragments, realtime, selectors
from exercises.middleware import SESSION_KEY
from exercises.models import Participant
from exercises.services import presence

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4403
CLOSE_SESSION_ENDED = 4401
CLOSE_FLOODING = 4429
# Daphne (autobahn) lets an application close only with 1000 or 3000-4999, so the htmx ws
# extension's own reconnect codes (1006, 1011, 1012, 1013) cannot be sent from here. These two
# say "reconnect" and static/js/conjunction.js reconnects on them.
CLOSE_TRY_AGAIN = 4013
CLOSE_SERVICE_RESTART = 4012

# A push normally lands within a second; an item younger than this may still be on its way to the page.
PUSH_GRACE = timedelta(seconds=10)

# The consumers' database work runs on the event loop's worker threads, several at once, not all on the
# one thread that thread-sensitive calls share: a backlog there (a storm of connects, many sync reports)
# made disconnects outlast daphne's application_close_timeout, which then killed them half-done.
in_worker_thread = functools.partial(database_sync_to_async, thread_sensitive=False)

FLOOD_RATE = 5.0  # frames per second a socket may send (they are ignored anyway)
FLOOD_BURST = 20.0


class ExerciseSocket(AsyncWebsocketConsumer):
    """Common shape: the subclass says which roles may connect, which groups to join, what state to send."""

    roles: set[str] = set()

    async def __call__(self, scope, receive, send):
        """Channels' own receive loop fails when the channel layer goes away (Redis restarting): close with
        4012 so the page reconnects and is sent the whole state, instead of an internal error. The loop
        died before Channels could dispatch the disconnect, so the socket leaves here what it joined."""
        try:
            await super().__call__(scope, receive, send)
        except (ConnectionError, OSError, RedisError) as error:
            logger.warning("Channel layer lost (%s); asking the page to reconnect", error)
            await self.leave()
            try:
                await send({"type": "websocket.close", "code": CLOSE_SERVICE_RESTART})
            except Exception:
                logger.info("The socket was already gone")

    async def dispatch(self, message):
        """Call the message's handler, without Channels' `aclose_old_connections()` before it.

        Channels (4.2+) closes stale database connections before every handler, with a trip to its one
        thread-sensitive worker thread: per socket and per message, so a push to 200 sockets queued 200
        trips through that thread. These handlers never touch the database on the event loop; what
        does runs in `in_worker_thread` (database_sync_to_async), which closes stale connections in the
        thread that uses them, before and after (docs/benchmarks.md, fan-out)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        await self.accept()
        self.groups_joined = []
        self.last_push_at = float("-inf")  # time.monotonic() of the last fragment forwarded
        self.presence_written_at = float("-inf")  # time.monotonic() of the last write of its presence row
        self.short_while_receiving = False  # the previous sync report lacked items while pushes were flowing
        self.tokens, self.refilled_at = FLOOD_BURST, time.monotonic()
        self.language = settings.LANGUAGE_CODE  # until authorize() finds the user's
        participant = await self.authorized_participant()
        if participant is None:
            await self.close(code=CLOSE_UNAUTHORIZED)
            return
        try:
            for group in self.all_groups_for(participant):
                await self.channel_layer.group_add(group, self.channel_name)
                self.groups_joined.append(group)
            await self.send(text_data=await in_worker_thread(self.join)(participant))
        except Exception:
            logger.exception("Could not set up the socket; asking the page to reconnect")
            await self.close(code=CLOSE_TRY_AGAIN)

    def join(self, participant) -> str:
        """Record the connection and render the state to send (in a worker thread: database work)."""
        presence.connected(participant=participant, channel_name=self.channel_name)
        self.presence_written_at = time.monotonic()
        with translation.override(self.language):
            return self.state(participant)

    def all_groups_for(self, participant) -> list[str]:
        """The user's own group (logout, a change of role or team) and the subclass's groups in the socket's
        language (realtime.language_group)."""
        return [
            realtime.user_group(participant.user_id),
            *(realtime.language_group(group, self.language) for group in self.groups_for(participant)),
        ]

    async def disconnect(self, code):
        await self.leave()

    async def leave(self):
        """Leave the groups and the presence list, best effort: each step is tried even if another failed."""
        joined, self.groups_joined = getattr(self, "groups_joined", []), []
        for group in joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception as error:  # the channel layer may be the thing that is gone
                logger.info("Could not leave group %s (%s)", group, error)
        if joined:
            # Shielded: daphne cancels a closed socket's application after application_close_timeout, and
            # the presence row must go all the same.
            await asyncio.shield(in_worker_thread(_record_disconnection)(self.channel_name))

    async def authorized_participant(self):
        return await in_worker_thread(self.authorize)()

    def authorize(self):
        """At connect: the participation (or None), and the language the socket reads, kept for its life."""
        participant = self.participant_if_authorized()
        if participant is not None:
            self.language = socket_language(self.scope)
        return participant

    def participant_if_authorized(self):
        """The user's participation in this exercise if their role may open this socket, else None."""
        exercise_id = self.scope["url_route"]["kwargs"]["exercise_id"]
        participant = selectors.participation(self.scope["user"], exercise_id)
        if participant is None or participant.role not in self.roles:
            return None
        return participant

    async def receive(self, text_data=None, bytes_data=None):
        """The browser sends only its periodic sync report; anything else is ignored; a flood closes the socket."""
        now = time.monotonic()
        self.tokens = min(FLOOD_BURST, self.tokens + (now - self.refilled_at) * FLOOD_RATE)
        self.refilled_at = now
        self.tokens -= 1
        if self.tokens < 0:
            logger.warning("Closing a flooding socket of user %s", self.scope["user"].pk)
            await self.close(code=CLOSE_FLOODING)
            return
        try:
            report = json.loads(text_data or "")
        except (TypeError, ValueError):
            return
        if isinstance(report, dict) and report.get("type") == "sync" and isinstance(report.get("counts"), dict):
            await self.resync(report["counts"])

    async def resync(self, page_counts: dict):
        """Repair what at-most-once delivery may have lost.

        The page reports how many items it shows. In one trip to a worker thread the socket is
        authorized again, as at connect (the user may have lost their role, or been moved to another
        team: then the socket closes), its connection marked as seen (at most every PRESENCE_REFRESH_SECONDS),
        and the page's counts compared with the database's (of the items older than PUSH_GRACE). Then the
        groups are re-joined (a
        restarted Redis has forgotten them, and memberships expire: settings.CHANNEL_LAYERS'
        group_expiry), and only when the page lacks items is the whole current state rendered, after
        the re-join, and sent again.
        """
        receiving = time.monotonic() - self.last_push_at < PUSH_GRACE.total_seconds()
        try:
            stale = await in_worker_thread(self.check_report)(page_counts, receiving)
            if stale is None:
                await self.close(code=CLOSE_UNAUTHORIZED)
                return
            for group in self.groups_joined:
                await self.channel_layer.group_add(group, self.channel_name)
            if stale:
                state = await in_worker_thread(self.current_state)()
                if state is None:
                    await self.close(code=CLOSE_UNAUTHORIZED)
                    return
                await self.send(text_data=state)
        except Exception:
            logger.exception("Could not resync a socket; asking the page to reconnect")
            await self.close(code=CLOSE_TRY_AGAIN)

    def check_report(self, page_counts: dict, receiving: bool) -> bool | None:
        """None if this socket may no longer receive what it joined; else whether the page lacks an item that
        should have reached it by now (not one still on its way).

        A page that is still being sent pushes (one forwarded within PUSH_GRACE) and lacks items is
        most likely behind a burst whose pushes are queued for it, not missing them: re-sending the
        whole state then costs a render per socket in the middle of the burst and shows the page its
        items out of order. So it gets the state at its next report if it still lacks them."""
        participant = self.participant_if_authorized()
        if participant is None or self.groups_joined != self.all_groups_for(participant):
            return None
        self.presence_written_at = presence.seen_if_due(
            participant=participant, channel_name=self.channel_name, written_at=self.presence_written_at
        )
        settled = selectors.item_counts(participant, settled_before=timezone.now() - PUSH_GRACE)
        short = any(not isinstance(page_counts.get(feed), int) or page_counts[feed] < n for feed, n in settled.items())
        if short and receiving and not self.short_while_receiving:
            self.short_while_receiving = True
            return False
        self.short_while_receiving = False
        return short

    def current_state(self) -> str | None:
        participant = self.participant_if_authorized()
        if participant is None:
            return None
        with translation.override(self.language):
            return self.state(participant)

    async def fragment(self, event):
        try:
            await self.send(text_data=event["html"])
            self.last_push_at = time.monotonic()
        except Exception:
            logger.exception("Could not forward a fragment; asking the page to reconnect and resync")
            await self.close(code=CLOSE_TRY_AGAIN)

    async def access_changed(self, event):
        """The user's role or team in this exercise changed (realtime.close_sockets_after_commit): what this
        socket joined is no longer theirs. The page stops; reloaded, it opens what they may see now."""
        if event.get("exercise_id") == self.scope["url_route"]["kwargs"]["exercise_id"]:
            await self.close(code=CLOSE_UNAUTHORIZED)

    async def session_ended(self, event):
        """The user logged out (realtime.end_user_sockets): stop at once."""
        await self.close(code=CLOSE_SESSION_ENDED)


def socket_language(scope) -> str:
    """The language of the user's pages: the one their session was given at login (the one they picked, or
    their team's: exercises.middleware), else the browser's (the language cookie, then Accept-Language), as
    LocaleMiddleware would choose it; else the default."""
    session = scope.get("session")
    language = session.get(SESSION_KEY) if session is not None else None
    if language is None:
        language = selectors.user_language(scope["user"])
    if not language:
        headers = dict(scope.get("headers") or [])
        browser = SimpleNamespace(
            COOKIES=scope.get("cookies") or {},
            META={"HTTP_ACCEPT_LANGUAGE": headers.get(b"accept-language", b"").decode("latin-1")},
        )
        language = translation.get_language_from_request(browser)
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _record_disconnection(channel_name: str) -> None:
    try:
        presence.disconnected(channel_name=channel_name)
    except Exception:
        logger.exception("Could not record the disconnection")  # the row expires (presence.expire_stale)


class TeamSocket(ExerciseSocket):
    roles = {Participant.Role.PLAYER}

    def groups_for(self, participant):
        return [realtime.team_group(participant.exercise_id, participant.team_id)]

    def state(self, participant):
        return fragments.team_state(participant)


class ControlSocket(ExerciseSocket):
    roles = {Participant.Role.FACILITATOR, Participant.Role.EVALUATOR}

    def groups_for(self, participant):
        if participant.is_facilitator:
            return [realtime.facilitators_group(participant.exercise_id)]
        return [realtime.evaluators_group(participant.exercise_id)]

    def state(self, participant):
        return fragments.control_state(participant)
