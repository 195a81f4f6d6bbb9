"""The team state: a fixed number of queries however many injects, and rendered once per team and version.

The state a team socket is sent on every (re)connect (fragments.team_state) is shared by every
socket of the team through the cache, keyed by exercise, team and the journal's version; the clock
in it is rendered fresh every time. Every journaled write gives a fresh state, and one team's state
never reaches another team.
"""

import re
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exercises import fragments, selectors
from exercises.models import Participant, ProtocolStep, Releasability, Scenario, ScenarioInject, Team
from exercises.services import acknowledgements, messages, sharing
from exercises.services.clock import change_status
from exercises.services.exercises import add_participant, create_exercise
from exercises.services.injects import compose_adhoc
from exercises.services.releases import release_inject
from exercises.services.responses import submit_response
from tests import test_respond
from tests.conftest import make_user

released = test_respond.released  # the fixture: Exercise Alpha running, its three injects released


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def player(personas, user) -> Participant:
    """As the socket resolves it."""
    return selectors.participation(user, personas.exercise.pk)


def feeds(state: str) -> str:
    """The state without its clock."""
    return re.sub(r'<div id="exercise-clock".*?</div>', "", state, count=1, flags=re.S)


def elapsed(state: str) -> float:
    return float(re.search(r'data-elapsed="([0-9.]+)"', state).group(1))


def exercise_with(injects: int, name: str) -> Participant:
    """An exercise of USA, GBR and CAN with `injects` injects to all teams, released; USA acknowledged
    and answered each (claiming a protocol step), and control wrote once per inject. USA's player."""
    scenario = Scenario.objects.create(name=f"{name} scenario")
    steps = list(ProtocolStep.objects.filter(code__in=["ASAT-1", "ASAT-2"]))
    for n in range(injects):
        row = ScenarioInject.objects.create(
            scenario=scenario,
            sequence=n + 1,
            offset=timedelta(minutes=n),
            kind="asat",
            title=f"Debris update {n}",
            text="More debris tracked.",
            addressed_to_all=True,
        )
        row.protocol_steps.set(steps)
    exercise = create_exercise(scenario=scenario, name=name, teams=Team.objects.filter(code__in=["USA", "GBR", "CAN"]))
    facilitator, usa_player = make_user(f"{name}-control"), make_user(f"{name}-usa")
    add_participant(exercise=exercise, user=facilitator, role=Participant.Role.FACILITATOR)
    add_participant(exercise=exercise, user=usa_player, role=Participant.Role.PLAYER, team=Team.objects.get(code="USA"))
    change_status(exercise=exercise, action="start", by=facilitator)
    usa = selectors.participation(usa_player, exercise.pk)
    control = selectors.participation(facilitator, exercise.pk)
    for inject in exercise.injects.order_by("sequence"):
        release_inject(inject=inject, by=facilitator)
        acknowledgements.acknowledge(participant=usa, inject=inject, by=usa_player)
        submit_response(
            participant=usa, inject=inject, kind="action", text=f"Answer {inject.sequence}", protocol_steps=steps[:1]
        )
        messages.send_message(participant=control, text=f"Control note {inject.sequence}")
    return selectors.participation(usa_player, exercise.pk)


def queries_of(render) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        render()
    return len(queries)


def test_the_state_takes_the_same_queries_for_a_small_and_a_large_exercise(library):
    small, large = exercise_with(2, "small"), exercise_with(25, "large")
    state = fragments.team_state(large)
    assert state.count('class="inject ') == 25 and "Answer 25" in state and "Control note 25" in state
    assert state.count('<details class="respond" id="respond-panel-') == 25  # every card opens its form
    assert 'name="releasable_to"' not in state, "the response form is fetched when opened, not sent in every card"
    assert queries_of(lambda: fragments.team_state(small)) == queries_of(lambda: fragments.team_state(large)), (
        "a query per inject, response or message is back"
    )


def test_the_team_page_takes_the_same_queries_for_a_small_and_a_large_exercise(library):
    small, large = exercise_with(2, "small"), exercise_with(25, "large")
    counts = []
    for usa in (small, large):
        client = Client()
        client.force_login(usa.user)
        url = reverse("team", args=[usa.exercise_id])
        counts.append(queries_of(lambda client=client, url=url: client.get(url)))
    assert counts[0] == counts[1]


def test_a_second_state_for_the_same_team_and_version_is_not_rendered_again(released, django_assert_num_queries):
    usa = player(released, released.usa_player)
    first = fragments.team_state(usa)
    with django_assert_num_queries(1):  # the journal's version, nothing else
        second = fragments.team_state(usa)
    assert feeds(second) == feeds(first)
    assert "Conjunction warning for USA-SAT 12" in second


def test_every_player_of_a_team_shares_its_state(released, django_assert_num_queries):
    second_player = make_user("usa_second")
    add_participant(
        exercise=released.exercise, user=second_player, role=Participant.Role.PLAYER, team=Team.objects.get(code="USA")
    )
    first = fragments.team_state(player(released, released.usa_player))
    other = player(released, second_player)
    with django_assert_num_queries(1):
        assert feeds(fragments.team_state(other)) == feeds(first)


def test_the_clock_of_a_cached_state_is_fresh(released):
    usa = player(released, released.usa_player)
    first = fragments.team_state(usa)
    time.sleep(0.02)
    usa = player(released, released.usa_player)
    second = fragments.team_state(usa)
    assert feeds(second) == feeds(first)
    assert elapsed(second) > elapsed(first)


def _release(p):
    compose_adhoc(
        exercise=p.exercise,
        by=p.facilitator,
        kind="diplomatic",
        title="Demarche delivered",
        text="Note verbale.",
        teams=[],
        addressed_to_all=True,
    )
    return "Demarche delivered"


def _respond(p):
    submit_response(
        participant=player(p, p.gbr_player), inject=p.to_all, kind="action", text="GBR notified", protocol_steps=[]
    )
    return "GBR notified"


def _acknowledge(p):
    acknowledgements.acknowledge(participant=player(p, p.gbr_player), inject=p.gbr_only, by=p.gbr_player)
    return "Acknowledged by Gbr_Player"


def _message(p):
    messages.send_message(participant=player(p, p.facilitator), text="Hold all manoeuvres", to_team=None)
    return "Hold all manoeuvres"


def _share(p):
    sharing.share_assessment(
        participant=player(p, p.usa_player),
        source=p.to_all,
        title="US debris assessment",
        text="Fragments cross GEO.",
        recipients=Team.objects.filter(code="GBR"),
        classification="unclassified",
        releasability=Releasability.ALL_ALLIES,
    )
    return "US debris assessment"


@pytest.mark.parametrize("write", [_release, _respond, _acknowledge, _message, _share])
def test_every_journaled_write_the_team_page_shows_gives_a_fresh_state(released, write):
    before = fragments.team_state(player(released, released.gbr_player))
    shown = write(released)
    after = fragments.team_state(player(released, released.gbr_player))
    assert shown not in before
    assert shown in after


def test_one_teams_state_never_reaches_another_team(released):
    usa_state = fragments.team_state(player(released, released.usa_player))
    gbr_state = fragments.team_state(player(released, released.gbr_player))
    assert "Conjunction warning for USA-SAT 12" in usa_state
    assert "UK-only intelligence" not in usa_state
    assert "UK-only intelligence" in gbr_state
    assert "Conjunction warning for USA-SAT 12" not in gbr_state
    # Served from the cache, each team still gets its own.
    assert feeds(fragments.team_state(player(released, released.usa_player))) == feeds(usa_state)
    assert "Conjunction warning for USA-SAT 12" not in fragments.team_state(player(released, released.gbr_player))


def test_a_state_stored_under_another_teams_key_is_not_served(released):
    """Even a cache entry that ended up under the wrong key (a shared cache, a bug) is checked for its team."""
    usa = player(released, released.usa_player)
    gbr = player(released, released.gbr_player)
    fragments.team_state(usa)
    fragments.team_state(gbr)
    usa_key, gbr_key = (fragments.team_state_key(p) for p in (usa, gbr))
    cache.set(gbr_key, cache.get(usa_key))
    state = fragments.team_state(gbr)
    assert "Conjunction warning for USA-SAT 12" not in state
    assert "UK-only intelligence" in state


def test_the_same_team_in_another_exercise_has_its_own_state(released):
    usa_here = fragments.team_state(player(released, released.usa_player))
    usa_there = fragments.team_state(selectors.participation(released.other_player, released.other_exercise.pk))
    assert "Conjunction warning for USA-SAT 12" in usa_here
    assert "No injects yet" in usa_there


def test_an_unreachable_redis_cache_renders_the_state_afresh(released, settings, caplog):
    """The cache's errors are caught (redis is imported only when one is raised: fragments._cache_errors)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    usa = Participant.objects.select_related("exercise", "team").get(exercise=released.exercise, team_id="USA")
    state = fragments.team_state(usa)
    assert "USA-SAT 12" in state
    assert "Cache unavailable" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_pages_of_a_team_reconnecting_at_once_render_its_state_once(library):
    """A restart brings a team's pages back together, all missing the cache: one renders, the others wait."""
    import threading

    from django.db import close_old_connections

    usa = exercise_with(25, "stampede")
    cache.clear()
    ready = threading.Barrier(8)
    queries, states = [], []

    def reconnect():
        ready.wait()
        try:
            with CaptureQueriesContext(connection) as captured:
                states.append(fragments.team_state(usa))
            queries.append(len(captured))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=reconnect) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(states) == 8 and all(feeds(state) == feeds(states[0]) for state in states)
    renders = [n for n in queries if n > 1]  # the one that rendered read the feeds; the others only the version
    assert len(renders) == 1, f"{len(renders)} of 8 rendered the state: {sorted(queries)}"
