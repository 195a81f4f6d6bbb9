"""Presence: rows of dead processes expire, sync reports keep live ones, and inside daphne the
presence list is rendered a few times for a storm of connects, not once per socket."""

import asyncio
import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from exercises import realtime
from exercises.clock_worker import tick
from exercises.models import AuditEvent, Connection, Participant
from exercises.services import presence
from tests.live import Daphne
from tests.test_faults import open_socket, session_cookie
from tests.test_sockets import Sockets, connect_and_first_message, run, team_path


def participant_of(personas, user):
    return Participant.objects.get(exercise=personas.exercise, user=user)


def test_a_connection_not_heard_from_expires_and_staff_are_told(running, listen, django_capture_on_commit_callbacks):
    usa = participant_of(running, running.usa_player)
    gbr = participant_of(running, running.gbr_player)
    Connection.objects.create(
        participant=usa,
        channel_name="daphne-that-died!usa",
        last_seen=timezone.now() - presence.PRESENCE_TIMEOUT - timedelta(seconds=1),
    )
    Connection.objects.create(participant=gbr, channel_name="live-daphne!gbr")
    staff = listen(*realtime.staff_groups(running.exercise.pk))

    with django_capture_on_commit_callbacks(execute=True):
        assert presence.expire_stale() == 1

    assert list(Connection.objects.values_list("channel_name", flat=True)) == ["live-daphne!gbr"]
    event = AuditEvent.objects.get(kind="presence.expired")
    assert event.exercise == running.exercise and event.payload == {"connections": 1, "users": ["usa_player"]}
    pushed = [message["html"] for message in staff.messages()]
    assert len(pushed) == 2, "one presence list to facilitators, one to evaluators"
    assert 'id="presence"' in pushed[0] and "Gbr_Player" in pushed[0] and "Usa_Player" not in pushed[0]


def test_nothing_expires_while_pages_report_in(running):
    usa = participant_of(running, running.usa_player)
    presence.connected(participant=usa, channel_name="live!usa")
    Connection.objects.update(last_seen=timezone.now() - presence.PRESENCE_TIMEOUT + timedelta(seconds=5))
    assert presence.expire_stale() == 0
    assert not AuditEvent.objects.filter(kind="presence.expired").exists()


def test_the_clock_worker_expires_connections_of_dead_processes(running, monkeypatch):
    usa = participant_of(running, running.usa_player)
    presence.connected(participant=usa, channel_name="dead!usa")
    Connection.objects.update(last_seen=timezone.now() - timedelta(hours=1))
    monkeypatch.setattr("exercises.clock_worker._presence_checked_at", float("-inf"))
    tick()
    assert not Connection.objects.exists()


def test_a_page_reporting_in_after_its_row_expired_is_listed_again(running):
    usa = participant_of(running, running.usa_player)
    presence.seen(participant=usa, channel_name="stalled!usa")
    assert Connection.objects.get(channel_name="stalled!usa").participant == usa
    assert AuditEvent.objects.filter(kind="presence.connected", actor=running.usa_player).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_sync_report_keeps_the_connection_alive(running, settings):
    settings.PRESENCE_REFRESH_SECONDS = 0  # this report refreshes the row, whenever the socket last wrote it
    sockets = Sockets(running)

    async def scenario():
        usa = sockets.open(team_path(running), "usa_player")
        await connect_and_first_message(usa)
        old = timezone.now() - timedelta(seconds=100)
        await asyncio.to_thread(lambda: Connection.objects.update(last_seen=old))
        await usa.send_to(text_data='{"type": "sync", "counts": {}}')
        await usa.receive_from(timeout=5)  # the counts differ: the state comes again
        last_seen = await asyncio.to_thread(lambda: Connection.objects.get().last_seen)
        await usa.disconnect()
        return old, last_seen

    old, last_seen = run(scenario)
    assert last_seen > old + timedelta(seconds=90)


@pytest.mark.django_db(transaction=True)
def test_reports_within_the_refresh_interval_of_the_last_write_leave_the_row_alone(running, settings):
    settings.PRESENCE_REFRESH_SECONDS = 45
    sockets = Sockets(running)

    async def scenario():
        usa = sockets.open(team_path(running), "usa_player")
        await connect_and_first_message(usa)
        written_at_connect = await asyncio.to_thread(lambda: Connection.objects.get().last_seen)
        for _ in range(2):
            await usa.send_to(text_data='{"type": "sync", "counts": {}}')
            await usa.receive_from(timeout=5)  # answered (the state), so the report was handled
        last_seen = await asyncio.to_thread(lambda: Connection.objects.get().last_seen)
        await usa.disconnect()
        return written_at_connect, last_seen

    written_at_connect, last_seen = run(scenario)
    assert last_seen == written_at_connect, "a report 45 s after the last write refreshes the row, not every one"


@pytest.mark.django_db(transaction=True)
def test_inside_daphne_a_storm_of_connects_renders_presence_a_few_times_not_once_each(running):
    sockets = 12
    facilitator, usa = session_cookie(running.facilitator), session_cookie(running.usa_player)
    with Daphne() as server:
        base = f"ws://127.0.0.1:{server.port}/ws/exercises/{running.exercise.pk}"

        async def scenario():
            control = await open_socket(f"{base}/control/", facilitator, server.port)
            await control.recv()  # its state
            players = await asyncio.gather(*(open_socket(f"{base}/team/", usa, server.port) for _ in range(sockets)))
            pushes = []
            try:
                while True:
                    frame = await asyncio.wait_for(control.recv(), 3)
                    if 'id="presence"' in frame:
                        pushes.append(frame)
            except TimeoutError:
                pass
            for socket in [control, *players]:
                await socket.close()
            return pushes

        pushes = asyncio.run(scenario())
        deadline = time.monotonic() + 10
        while Connection.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    assert 1 <= len(pushes) <= 4, f"{len(pushes)} presence lists for {sockets} connects"
    assert "Usa_Player" in pushes[-1], "the last one is up to date"
    assert not Connection.objects.exists(), "every socket left the presence list when it closed"


@pytest.mark.django_db(transaction=True)
def test_inside_daphne_a_burst_released_in_one_tick_reaches_a_team_in_msel_order(running):
    """The committing thread hands fragments to one sender on daphne's loop (exercises/realtime.py): a
    burst's cards arrive in the order they were released, on the in-memory and the Redis layer alike."""
    from exercises.models import Inject
    from exercises.services.clock import jump_to

    for n in range(25):
        Inject.objects.create(
            exercise=running.exercise,
            sequence=100 + n,
            offset=timedelta(minutes=30),
            kind="debris",
            title=f"Burst track {n:02d}",
            text="Track update.",
            addressed_to_all=True,
        )
    usa = session_cookie(running.usa_player)
    with Daphne(clock=True) as server:

        async def scenario():
            socket = await open_socket(
                f"ws://127.0.0.1:{server.port}/ws/exercises/{running.exercise.pk}/team/", usa, server.port
            )
            await socket.recv()  # its state
            await asyncio.to_thread(
                jump_to, exercise=running.exercise, exercise_time=timedelta(minutes=31), by=running.facilitator
            )
            arrived = []
            while len(arrived) < 25:
                frame = await asyncio.wait_for(socket.recv(), 30)
                arrived += re.findall(r"Burst track (\d\d)</h3>", frame)
            await socket.close()
            return arrived

        arrived = asyncio.run(scenario())
    assert arrived == [f"{n:02d}" for n in range(25)]
