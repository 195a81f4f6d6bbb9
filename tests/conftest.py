"""Shared fixtures: the reference library, and personas for every role.

The personas play "Exercise Alpha" (USA, GBR, CAN) built from a small scenario of three
injects: one to USA only, one to GBR only, one to all. A second exercise, "Exercise
Bravo", has its own facilitator and player, so that cross-exercise access can be tried.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from exercises.models import Exercise, Participant, ProtocolStep, Scenario, ScenarioInject, Team
from exercises.services.exercises import add_participant, create_exercise

PASSWORD = "correct-horse-battery"


def pytest_configure(config):
    """Compile the French catalogue when its .po is newer than its .mo (as `make test` does), before any
    test translates: a bare `pytest` run then reads the catalogue as committed."""
    import shutil
    import subprocess
    from pathlib import Path

    for po in (Path(__file__).resolve().parent.parent / "locale").rglob("*.po"):
        mo = po.with_suffix(".mo")
        if shutil.which("msgfmt") and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
            subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(po)], check=True)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the library once; tests that roll back keep it."""
    with django_db_blocker.unblock():
        call_command("load_library", verbosity=0)
    yield
    # PostgreSQL: the connection pool's idle connections would keep the test database from being dropped.
    from django.db import connections

    with django_db_blocker.unblock():
        for connection in connections.all():
            if getattr(connection, "pool", None) is not None:
                # sessions this thread's connections.all() does not hold (a pooled connection still checked out in
                # another context, the in-daphne tests' servers) would keep the database from being dropped too
                # (test_presence.py or test_faults.py run alone warned of it): end them
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                connection.close()  # back to the pool first: closing the pool leaves checked-out ones open
                connection.close_pool()


@pytest.fixture
def library(db):
    """Teams, core capabilities, protocols and the bundled scenarios, as `make run` loads them.

    Transactional tests flush the database afterwards, so the next one loads it again."""
    if not Team.objects.exists():
        call_command("load_library", verbosity=0)


@dataclass
class Personas:
    exercise: Exercise
    other_exercise: Exercise
    facilitator: object
    evaluator: object
    usa_player: object
    gbr_player: object
    other_facilitator: object
    other_player: object
    no_role: object

    @property
    def usa_only(self):
        return self.exercise.injects.get(sequence=1)

    @property
    def gbr_only(self):
        return self.exercise.injects.get(sequence=2)

    @property
    def to_all(self):
        return self.exercise.injects.get(sequence=3)

    def all(self):
        return {
            "facilitator": self.facilitator,
            "evaluator": self.evaluator,
            "usa_player": self.usa_player,
            "gbr_player": self.gbr_player,
            "other_facilitator": self.other_facilitator,
            "other_player": self.other_player,
            "no_role": self.no_role,
        }


def grant_scenario_authoring(user):
    from exercises.services.exercises import planners_group

    user.groups.add(planners_group())


def make_user(username):
    return get_user_model().objects.create_user(username=username, password=PASSWORD, first_name=username.title())


def small_scenario(name="Alpha scenario") -> Scenario:
    scenario = Scenario.objects.create(name=name, description="Three injects for tests.")
    rows = [
        (1, 5, "conjunction", "Conjunction warning for USA-SAT 12", ["USA"], ["CONJ-1", "CONJ-2"]),
        (2, 10, "intelligence", "UK-only intelligence on the debris field", ["GBR"], ["INFO-1"]),
        (3, 15, "asat", "Direct-ascent ASAT test detected", None, ["ASAT-1", "ASAT-2"]),
    ]
    for sequence, minutes, kind, title, teams, steps in rows:
        inject = ScenarioInject.objects.create(
            scenario=scenario,
            sequence=sequence,
            offset=timedelta(minutes=minutes),
            kind=kind,
            title=title,
            text=f"{title}. Details for the players.",
            addressed_to_all=teams is None,
            originator="CSPOC",
            expected_action="Follow the protocol.",
        )
        if teams:
            inject.teams.set(Team.objects.filter(code__in=teams))
        inject.protocol_steps.set(ProtocolStep.objects.filter(code__in=steps))
    return scenario


@pytest.fixture
def personas(library) -> Personas:
    scenario = small_scenario()
    exercise = create_exercise(
        scenario=scenario, name="Exercise Alpha", teams=Team.objects.filter(code__in=["USA", "GBR", "CAN"])
    )
    other = create_exercise(
        scenario=scenario, name="Exercise Bravo", teams=Team.objects.filter(code__in=["USA", "FRA"])
    )
    people = Personas(
        exercise=exercise,
        other_exercise=other,
        facilitator=make_user("facilitator"),
        evaluator=make_user("evaluator"),
        usa_player=make_user("usa_player"),
        gbr_player=make_user("gbr_player"),
        other_facilitator=make_user("other_facilitator"),
        other_player=make_user("other_player"),
        no_role=make_user("no_role"),
    )
    Role = Participant.Role
    grant_scenario_authoring(people.facilitator)
    add_participant(exercise=exercise, user=people.facilitator, role=Role.FACILITATOR)
    add_participant(exercise=exercise, user=people.evaluator, role=Role.EVALUATOR)
    add_participant(exercise=exercise, user=people.usa_player, role=Role.PLAYER, team=Team.objects.get(code="USA"))
    add_participant(exercise=exercise, user=people.gbr_player, role=Role.PLAYER, team=Team.objects.get(code="GBR"))
    add_participant(exercise=other, user=people.other_facilitator, role=Role.FACILITATOR)
    add_participant(exercise=other, user=people.other_player, role=Role.PLAYER, team=Team.objects.get(code="USA"))
    return people


@pytest.fixture
def fra_player(personas):
    """A player of FRA in Exercise Bravo (USA, FRA): French is FRA's language (settings.TEAM_LANGUAGES)."""
    user = make_user("fra_player")
    add_participant(
        exercise=personas.other_exercise, user=user, role=Participant.Role.PLAYER, team=Team.objects.get(code="FRA")
    )
    return user


def prefer_english(user):
    """For tests about something else: a French-speaking team's player who picked English."""
    from exercises.services.languages import choose_language

    choose_language(user=user, language="en-gb")


@pytest.fixture
def running(personas) -> Personas:
    """The personas' exercise, started."""
    from exercises.services.clock import change_status

    personas.exercise = change_status(exercise=personas.exercise, action="start", by=personas.facilitator)
    return personas


class GroupListener:
    """A real channel on the real channel layer, subscribed to some groups.

    It keeps one event loop of its own: channels_redis binds a channel's receive buffer
    to the loop that first used it.
    """

    def __init__(self, *groups):
        import asyncio

        from channels.layers import get_channel_layer

        self.layer = get_channel_layer()
        self.loop = asyncio.new_event_loop()
        self.channel = self.loop.run_until_complete(self.layer.new_channel())
        self.groups = groups
        for group in groups:
            self.loop.run_until_complete(self.layer.group_add(group, self.channel))

    def messages(self, timeout=0.5) -> list[dict]:
        """Everything delivered so far (waiting up to `timeout` for each next message)."""
        import asyncio

        async def drain():
            received = []
            while True:
                try:
                    received.append(await asyncio.wait_for(self.layer.receive(self.channel), timeout))
                except TimeoutError:
                    return received

        return self.loop.run_until_complete(drain())

    def close(self):
        for group in self.groups:
            self.loop.run_until_complete(self.layer.group_discard(group, self.channel))
        self.loop.close()


@pytest.fixture
def listen():
    listeners = []

    def subscribe(*groups):
        listener = GroupListener(*groups)
        listeners.append(listener)
        return listener

    yield subscribe
    for listener in listeners:
        listener.close()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright. In CI a missing browser fails; elsewhere it skips."""
    import os

    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: CI must run the browser tests (make test installs it).")
        pytest.skip(f"{CHROMIUM} is missing; `make test` installs it with apt-get")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test are still sync.
    # Module scope: the loop stops before the next module's tests call async_to_sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def live_daphne(transactional_db):
    from tests.live import Daphne

    with Daphne() as server:
        yield server


@pytest.fixture
def live_daphne_with_clock(transactional_db):
    """daphne ticking the exercise clock in-process, as `make run` starts it."""
    from tests.live import Daphne

    with Daphne(clock=True) as server:
        yield server


@pytest.fixture
def log_in(browser, request, transactional_db):
    """Open a fresh browser context (a separate person) logged in through the login page."""
    contexts = []
    server = request.getfixturevalue(
        "live_daphne_with_clock" if "live_daphne_with_clock" in request.fixturenames else "live_daphne"
    )

    def open_as(user):
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{server.url}/login/")
        page.get_by_label("User name").fill(user.get_username())
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts in the default language: a request in French (LocaleMiddleware activates the
    language for the thread and leaves it) must not make the next test's messages French."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
