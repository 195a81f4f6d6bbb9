"""Websockets through the real ASGI stack (Origin check, session auth, routing) and channel layer."""

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from config.asgi import application
from exercises.services.releases import release_inject
from exercises.services.responses import submit_response

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1:8000")


def session_headers(user, origin=ORIGIN):
    client = Client()
    headers = [origin, (b"host", b"127.0.0.1:8000")]
    if user is not None:
        client.force_login(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return headers


# The communicators opened since the last run(): run() disconnects those a scenario left open.
_opened: list[WebsocketCommunicator] = []


class Sockets:
    """Prepare (in sync code, where the ORM may run) the handshake headers of each user."""

    def __init__(self, personas, origin=ORIGIN):
        self.headers = {name: session_headers(user, origin) for name, user in personas.all().items()}
        self.headers["anonymous"] = session_headers(None, origin)

    def open(self, path, who):
        socket = WebsocketCommunicator(application, path, headers=self.headers[who])
        _opened.append(socket)
        return socket


def team_path(personas):
    return f"/ws/exercises/{personas.exercise.pk}/team/"


def control_path(personas):
    return f"/ws/exercises/{personas.exercise.pk}/control/"


async def connect_and_first_message(socket):
    connected, _ = await socket.connect()
    assert connected
    return await socket.receive_output(timeout=5)


async def receive_containing(socket, text, timeout=5):
    """The next message holding `text`, skipping others (presence, delivery matrix...)."""
    while True:
        message = await socket.receive_from(timeout=timeout)
        if text in message:
            return message


def run(coroutine_function):
    """Run a scenario on a fresh event loop, then disconnect every socket it left open, as a browser
    leaving does. Left open, the consumers were cancelled by the loop's shutdown in the middle of the
    Redis layer's receive, which once hung the suite there (CI, round 4 of issue #7)."""

    async def scenario_then_disconnect():
        try:
            return await coroutine_function()
        finally:
            while _opened:
                socket = _opened.pop()
                application = socket._future  # asgiref starts the application on first use of `future`
                if application is not None and not application.done():
                    await socket.disconnect(timeout=5)

    return async_to_sync(scenario_then_disconnect)()


def test_anonymous_is_accepted_then_closed_with_4403(running):
    sockets = Sockets(running)

    async def scenario():
        socket = sockets.open(team_path(running), "anonymous")
        message = await connect_and_first_message(socket)
        assert message == {"type": "websocket.close", "code": 4403}

    run(scenario)


@pytest.mark.parametrize("who", ["facilitator", "evaluator", "no_role", "other_player", "other_facilitator"])
def test_only_players_of_this_exercise_open_a_team_socket(running, who):
    sockets = Sockets(running)

    async def scenario():
        socket = sockets.open(team_path(running), who)
        assert await connect_and_first_message(socket) == {"type": "websocket.close", "code": 4403}

    run(scenario)


@pytest.mark.parametrize("who", ["usa_player", "no_role", "other_facilitator"])
def test_only_staff_of_this_exercise_open_the_control_socket(running, who):
    sockets = Sockets(running)

    async def scenario():
        socket = sockets.open(control_path(running), who)
        assert await connect_and_first_message(socket) == {"type": "websocket.close", "code": 4403}

    run(scenario)


def test_a_foreign_origin_is_refused(running):
    foreign = Sockets(running, origin=(b"origin", b"http://evil.example"))

    async def scenario():
        socket = foreign.open(team_path(running), "usa_player")
        connected, _ = await socket.connect()
        assert not connected

    run(scenario)


def test_a_player_gets_the_current_state_on_connect_and_only_their_teams_pushes(running):
    sockets = Sockets(running)
    release_inject(inject=running.usa_only, by=running.facilitator)  # before connecting: comes in the state
    gbr_only, to_all = running.gbr_only, running.to_all

    async def scenario():
        usa = sockets.open(team_path(running), "usa_player")
        gbr = sockets.open(team_path(running), "gbr_player")
        usa_state = (await connect_and_first_message(usa))["text"]
        gbr_state = (await connect_and_first_message(gbr))["text"]
        assert 'id="inject-feed" hx-swap-oob="innerHTML"' in usa_state
        assert "USA-SAT 12" in usa_state
        assert "USA-SAT 12" not in gbr_state

        await sync_to_async(release_inject)(inject=gbr_only, by=running.facilitator)
        pushed = await gbr.receive_from(timeout=5)
        assert "UK-only intelligence" in pushed
        assert await usa.receive_nothing(timeout=0.5)

        await sync_to_async(release_inject)(inject=to_all, by=running.facilitator)
        assert "ASAT test" in await usa.receive_from(timeout=5)
        assert "ASAT test" in await gbr.receive_from(timeout=5)
        await usa.disconnect()
        await gbr.disconnect()

    run(scenario)


def test_a_reconnect_resends_everything_released_meanwhile(running):
    sockets = Sockets(running)
    usa_only = running.usa_only

    async def scenario():
        usa = sockets.open(team_path(running), "usa_player")
        await connect_and_first_message(usa)
        await usa.disconnect()
        await sync_to_async(release_inject)(inject=usa_only, by=running.facilitator)
        again = sockets.open(team_path(running), "usa_player")
        state = (await connect_and_first_message(again))["text"]
        assert "USA-SAT 12" in state
        await again.disconnect()

    run(scenario)


def test_control_sees_responses_live_and_frames_from_the_browser_are_ignored(running):
    sockets = Sockets(running)
    release_inject(inject=running.usa_only, by=running.facilitator)
    participant = running.exercise.participants.get(user=running.usa_player)
    usa_only = running.usa_only

    async def scenario():
        control = sockets.open(control_path(running), "facilitator")
        state = (await connect_and_first_message(control))["text"]
        assert 'id="msel-body"' in state and "Release" in state
        await control.send_to(text_data="{not json")
        await control.send_to(text_data='{"type": "release", "inject": 1}')
        await sync_to_async(submit_response)(
            participant=participant,
            inject=usa_only,
            kind="action",
            text="Notified allies via CSPOC.",
            protocol_steps=[],
        )
        assert "Notified allies via CSPOC." in await receive_containing(control, "Notified allies via CSPOC.")
        await control.disconnect()

    run(scenario)


def test_the_evaluator_view_has_no_controls(running):
    sockets = Sockets(running)

    async def scenario():
        evaluator = sockets.open(control_path(running), "evaluator")
        state = (await connect_and_first_message(evaluator))["text"]
        assert "hx-post" not in state
        await evaluator.disconnect()

    run(scenario)


def test_a_sync_report_repairs_a_lost_push_and_restores_the_groups(running):
    """As after a Redis restart: the socket's group membership is gone and a push is lost."""
    sockets = Sockets(running)
    usa_only = running.usa_only
    group = f"exercise.{running.exercise.pk}.team.USA"

    async def scenario():
        usa = sockets.open(team_path(running), "usa_player")
        state = (await connect_and_first_message(usa))["text"]
        assert "USA-SAT 12" not in state
        from channels.layers import get_channel_layer

        from exercises.models import Connection

        connection = await sync_to_async(Connection.objects.get)(participant__team_id="USA")
        # Forget the membership the way a restarted Redis does, then release: the push is lost.
        await get_channel_layer().group_discard(group, connection.channel_name)
        await sync_to_async(release_inject)(inject=usa_only, by=running.facilitator)
        assert await usa.receive_nothing(timeout=0.5)
        behind = '{"type": "sync", "counts": {"injects": 0, "responses": 0, "messages": 0, "assessments": 0}}'
        await usa.send_to(text_data=behind)
        assert await usa.receive_nothing(timeout=0.5), "a push released a moment ago may still be on its way"
        from exercises.consumers import PUSH_GRACE
        from exercises.models import Release

        an_age_ago = timezone.now() - PUSH_GRACE - timedelta(seconds=1)
        await sync_to_async(Release.objects.filter(inject=usa_only).update)(released_at=an_age_ago)
        await usa.send_to(text_data=behind)
        repaired = await usa.receive_from(timeout=5)
        assert "USA-SAT 12" in repaired and 'id="inject-feed" hx-swap-oob="innerHTML"' in repaired
        # The group was re-joined: the next push arrives by itself.
        await sync_to_async(release_inject)(inject=running_to_all, by=running.facilitator)
        assert "ASAT test" in await usa.receive_from(timeout=5)
        # A page that is up to date gets nothing back.
        await usa.send_to(
            text_data='{"type": "sync", "counts": {"injects": 2, "responses": 0, "messages": 0, "assessments": 0}}'
        )
        assert await usa.receive_nothing(timeout=0.5)
        await usa.disconnect()

    running_to_all = running.to_all
    run(scenario)


def test_a_page_still_receiving_pushes_is_sent_the_state_at_its_second_short_report_not_its_first(running):
    """Behind a burst, a page's pushes are queued for it: one short report while pushes flow is not a loss."""
    sockets = Sockets(running)
    group = f"exercise.{running.exercise.pk}.team.USA"
    usa_only, to_all = running.usa_only, running.to_all

    async def scenario():
        from channels.layers import get_channel_layer

        from exercises.consumers import PUSH_GRACE
        from exercises.models import Connection, Release

        usa = sockets.open(team_path(running), "usa_player")
        await connect_and_first_message(usa)
        connection = await sync_to_async(Connection.objects.get)(participant__team_id="USA")
        await get_channel_layer().group_discard(group, connection.channel_name)
        await sync_to_async(release_inject)(inject=usa_only, by=running.facilitator)  # lost
        await get_channel_layer().group_add(group, connection.channel_name)
        await sync_to_async(release_inject)(inject=to_all, by=running.facilitator)
        assert "ASAT test" in await receive_containing(usa, "ASAT test")  # a push just reached the page
        an_age_ago = timezone.now() - PUSH_GRACE - timedelta(seconds=1)
        await sync_to_async(Release.objects.filter(inject__exercise=running.exercise).update)(released_at=an_age_ago)
        short = '{"type": "sync", "counts": {"injects": 1, "responses": 0, "messages": 0, "assessments": 0}}'
        await usa.send_to(text_data=short)
        assert await usa.receive_nothing(timeout=0.5), "pushes are still flowing: wait for the next report"
        await usa.send_to(text_data=short)
        repaired = await usa.receive_from(timeout=5)
        assert "USA-SAT 12" in repaired and 'id="inject-feed" hx-swap-oob="innerHTML"' in repaired
        await usa.disconnect()

    run(scenario)


def test_a_player_moved_to_another_team_is_closed_out_of_the_old_teams_socket(running):
    """Reassigned USA → GBR: the socket that joined USA's group closes at once, in every process."""
    from exercises.models import Team
    from exercises.services.exercises import add_participant

    sockets = Sockets(running)

    async def scenario():
        usa = sockets.open(team_path(running), "usa_player")
        await connect_and_first_message(usa)
        gbr = await sync_to_async(Team.objects.get)(code="GBR")
        await sync_to_async(add_participant)(
            exercise=running.exercise, user=running.usa_player, role="player", team=gbr, by=running.facilitator
        )
        assert await usa.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}
        # Connecting again opens the team they are in now: GBR's pushes, not USA's.
        again = sockets.open(team_path(running), "usa_player")
        await connect_and_first_message(again)
        await sync_to_async(release_inject)(inject=usa_only, by=running.facilitator)
        await sync_to_async(release_inject)(inject=gbr_only, by=running.facilitator)
        pushed = [await again.receive_from(timeout=5)]
        while "debris field" not in pushed[-1]:
            pushed.append(await again.receive_from(timeout=5))
        assert not any("USA-SAT 12" in message for message in pushed)
        await again.disconnect()

    usa_only, gbr_only = running.usa_only, running.gbr_only
    run(scenario)


def test_a_removed_participant_is_closed_out_and_a_same_team_reassignment_is_not(running):
    from exercises.models import Participant, Team
    from exercises.services.exercises import add_participant, remove_participant

    sockets = Sockets(running)

    async def scenario():
        usa = sockets.open(team_path(running), "usa_player")
        gbr = sockets.open(team_path(running), "gbr_player")
        await connect_and_first_message(usa)
        await connect_and_first_message(gbr)
        same = await sync_to_async(Team.objects.get)(code="GBR")
        await sync_to_async(add_participant)(
            exercise=running.exercise, user=running.gbr_player, role="player", team=same, by=running.facilitator
        )
        usa_player = await sync_to_async(Participant.objects.get)(exercise=running.exercise, user=running.usa_player)
        await sync_to_async(remove_participant)(participant=usa_player, by=running.facilitator)
        assert await usa.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}
        assert await gbr.receive_nothing(timeout=0.5), "nothing changed for GBR's player"
        await gbr.disconnect()

    run(scenario)


def test_a_sync_report_closes_a_socket_whose_team_changed_behind_its_back(running):
    """The backstop when no notice arrived (another process, a lost message): the report re-authorizes the
    socket's groups against the participation, not only its role."""
    from exercises.models import Participant

    sockets = Sockets(running)

    async def scenario():
        usa = sockets.open(team_path(running), "usa_player")
        await connect_and_first_message(usa)
        await sync_to_async(Participant.objects.filter(exercise=running.exercise, user=running.usa_player).update)(
            team_id="GBR"
        )
        await usa.send_to(
            text_data='{"type": "sync", "counts": {"injects": 0, "responses": 0, "messages": 0, "assessments": 0}}'
        )
        assert await usa.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}

    run(scenario)


def test_a_push_reaches_the_socket_while_the_thread_sensitive_worker_is_busy(running):
    """Forwarding a fragment runs on the event loop alone. Channels' own dispatch first closes stale database
    connections on its one thread-sensitive worker thread, per socket and message: behind a busy worker
    (here a two-second job; in daphne, 200 sockets' trips for one push) every socket waited for it."""
    import time

    from channels.layers import get_channel_layer

    from exercises import realtime

    sockets = Sockets(running)

    async def scenario():
        usa = sockets.open(team_path(running), "usa_player")
        await connect_and_first_message(usa)
        busy = asyncio.ensure_future(sync_to_async(time.sleep, thread_sensitive=True)(2))
        await asyncio.sleep(0.1)  # the worker thread is now asleep
        group = realtime.team_group(running.exercise.pk, "USA")
        await get_channel_layer().group_send(group, {"type": "fragment", "html": "<div id='probe'>pushed</div>"})
        started = time.monotonic()
        assert "pushed" in await usa.receive_from(timeout=1)
        assert time.monotonic() - started < 1 and not busy.done(), "the push waited for the busy worker"
        await busy

    run(scenario)
