"""Websocket consumers: authorize, join the groups, send the current state, forward fragments.

Players never send data over the socket (responses go through the HTTP form path), so
incoming frames are ignored — and counted: a socket that floods is closed. Rejection is
accept-then-close with a 44xx code, which the htmx ws extension does not reconnect on; a
failure of ours closes with 1013 ("try again later"), which it does reconnect on, so a page
never goes silently stale.
"""

import logging
import time

from asgiref.sync import async_to_sync
from channels.generic.websocket import WebsocketConsumer

from exercises import fragments, realtime, selectors
from exercises.models import Participant
from exercises.services import presence

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4403
CLOSE_SESSION_ENDED = 4401
CLOSE_FLOODING = 4429
CLOSE_TRY_AGAIN = 1013  # htmx reconnects on this one

FLOOD_RATE = 5.0  # frames per second a socket may send (they are ignored anyway)
FLOOD_BURST = 20.0


class ExerciseSocket(WebsocketConsumer):
    """Common shape: the subclass says which roles may connect, which groups to join, what state to send."""

    roles: set[str] = set()

    def connect(self):
        self.accept()
        self.groups_joined = []
        self.tokens, self.refilled_at = FLOOD_BURST, time.monotonic()
        user = self.scope["user"]
        participant = selectors.participation(user, self.scope["url_route"]["kwargs"]["exercise_id"])
        if participant is None or participant.role not in self.roles:
            self.close(code=CLOSE_UNAUTHORIZED)
            return
        try:
            for group in [realtime.user_group(user.pk), *self.groups_for(participant)]:
                async_to_sync(self.channel_layer.group_add)(group, self.channel_name)
                self.groups_joined.append(group)
            presence.connected(participant=participant, channel_name=self.channel_name)
            self.send(text_data=self.state(participant))
        except Exception:
            logger.exception("Could not set up the socket; asking the page to reconnect")
            self.close(code=CLOSE_TRY_AGAIN)

    def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            async_to_sync(self.channel_layer.group_discard)(group, self.channel_name)
        if getattr(self, "groups_joined", None):
            try:
                presence.disconnected(channel_name=self.channel_name)
            except Exception:
                logger.exception("Could not record the disconnection")

    def receive(self, text_data=None, bytes_data=None):
        """Nothing is accepted from the browser over the socket; a flood closes the socket."""
        now = time.monotonic()
        self.tokens = min(FLOOD_BURST, self.tokens + (now - self.refilled_at) * FLOOD_RATE)
        self.refilled_at = now
        self.tokens -= 1
        if self.tokens < 0:
            logger.warning("Closing a flooding socket of user %s", self.scope["user"].pk)
            self.close(code=CLOSE_FLOODING)

    def fragment(self, event):
        try:
            self.send(text_data=event["html"])
        except Exception:
            logger.exception("Could not forward a fragment; asking the page to reconnect and resync")
            self.close(code=CLOSE_TRY_AGAIN)

    def session_ended(self, event):
        """The user logged out (realtime.end_user_sockets): stop at once."""
        self.close(code=CLOSE_SESSION_ENDED)


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
