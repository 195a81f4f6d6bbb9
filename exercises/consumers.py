"""Websocket consumers: authorize, join the group, send the current state, forward fragments.

Players never send data over the socket (responses go through the HTTP form path), so
incoming frames are ignored. Rejection is accept-then-close with a 44xx code, which the
htmx ws extension does not reconnect on.
"""

import logging

from asgiref.sync import async_to_sync
from channels.generic.websocket import WebsocketConsumer

from exercises import fragments, realtime, selectors
from exercises.models import Participant
from exercises.services import presence

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4403
CLOSE_TRY_AGAIN = 1013  # htmx reconnects on this one


class ExerciseSocket(WebsocketConsumer):
    """Common shape: the subclass says which roles may connect, which groups to join, what state to send."""

    roles: set[str] = set()

    def connect(self):
        self.accept()
        self.groups_joined = []
        participant = selectors.participation(self.scope["user"], self.scope["url_route"]["kwargs"]["exercise_id"])
        if participant is None or participant.role not in self.roles:
            self.close(code=CLOSE_UNAUTHORIZED)
            return
        for group in self.groups_for(participant):
            async_to_sync(self.channel_layer.group_add)(group, self.channel_name)
            self.groups_joined.append(group)
        presence.connected(participant=participant, channel_name=self.channel_name)
        try:
            self.send(text_data=self.state(participant))
        except Exception:
            logger.exception("Could not send state on connect")
            self.close(code=CLOSE_TRY_AGAIN)

    def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            async_to_sync(self.channel_layer.group_discard)(group, self.channel_name)
        if getattr(self, "groups_joined", None):
            presence.disconnected(channel_name=self.channel_name)

    def receive(self, text_data=None, bytes_data=None):
        """Nothing is accepted from the browser over the socket."""

    def fragment(self, event):
        self.send(text_data=event["html"])


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
