"""The authorization matrix: every URL name and websocket route × every persona × method.

The expected outcomes live in one table, EXPECTED. The route list is generated from the
URLconf and the websocket routing, so a new route without an entry here fails the suite.

Outcomes: "ok" (served: any status below 500 that is not a refusal), 403, 404, 405, and
"login" (a redirect to the login page).
"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from exercises.models import Team
from exercises.routing import websocket_urlpatterns
from exercises.services.releases import release_inject
from exercises.services.responses import submit_response
from exercises.services.sharing import share_assessment

PERSONAS = [
    "facilitator",
    "other_facilitator",
    "evaluator",
    "usa_player",
    "gbr_player",
    "other_player",
    "no_role",
    "anonymous",
]


def row(facilitator, evaluator, usa, gbr, no_role_default=404, anonymous="login"):
    """Outcomes for this exercise's facilitator, evaluator, USA and GBR players; outsiders get 404."""
    return {
        "facilitator": facilitator,
        "evaluator": evaluator,
        "usa_player": usa,
        "gbr_player": gbr,
        "other_facilitator": no_role_default,
        "other_player": no_role_default,
        "no_role": no_role_default,
        "anonymous": anonymous,
    }


STAFF = row("ok", "ok", 403, 403)
FACILITATOR = row("ok", 403, 403, 403)
PLAYERS = row(403, 403, "ok", "ok")
USA_ONLY = row(403, 403, "ok", 404)  # an item that reached USA only
PLAYERS_AND_FACILITATOR = row("ok", 403, "ok", "ok")
PLANNER = {**row("ok", 403, 403, 403, no_role_default=403)}
EVERYONE = {persona: "ok" for persona in PERSONAS}
NOT_ALLOWED = {persona: 405 for persona in PERSONAS}
LOGGED_IN = {**EVERYONE, "anonymous": "login"}
HOME = {**LOGGED_IN, "no_role": 403}

# url name → {method: outcomes}
EXPECTED = {
    "login": {"GET": EVERYONE, "POST": EVERYONE},
    "logout": {"GET": NOT_ALLOWED, "POST": {persona: "login" for persona in PERSONAS}},
    "home": {"GET": HOME, "POST": NOT_ALLOWED},
    "plan-exercise": {"GET": PLANNER, "POST": PLANNER},
    "participants": {"GET": FACILITATOR, "POST": FACILITATOR},
    "remove-participant": {"GET": NOT_ALLOWED, "POST": FACILITATOR},
    "participants-import": {"GET": NOT_ALLOWED, "POST": FACILITATOR},
    "login-cards": {"GET": FACILITATOR, "POST": NOT_ALLOWED},
    "password-reset": {"GET": EVERYONE, "POST": EVERYONE},
    "password-reset-sent": {"GET": EVERYONE, "POST": NOT_ALLOWED},
    "password-reset-confirm": {"GET": EVERYONE, "POST": EVERYONE},
    "password-reset-complete": {"GET": EVERYONE, "POST": NOT_ALLOWED},
    "invitation": {"GET": EVERYONE, "POST": EVERYONE},
    "invitation-complete": {"GET": EVERYONE, "POST": NOT_ALLOWED},
    "amend-response": {"GET": USA_ONLY, "POST": USA_ONLY},
    "console": {"GET": STAFF, "POST": NOT_ALLOWED},
    "team": {"GET": PLAYERS, "POST": NOT_ALLOWED},
    "release-inject": {"GET": NOT_ALLOWED, "POST": FACILITATOR},
    "respond": {"GET": USA_ONLY, "POST": USA_ONLY},
    "change-clock": {"GET": NOT_ALLOWED, "POST": FACILITATOR},
    "clock-speed": {"GET": NOT_ALLOWED, "POST": FACILITATOR},
    "clock-jump": {"GET": NOT_ALLOWED, "POST": FACILITATOR},
    "hold-inject": {"GET": NOT_ALLOWED, "POST": FACILITATOR},
    "delay-inject": {"GET": NOT_ALLOWED, "POST": FACILITATOR},
    "edit-inject": {"GET": FACILITATOR, "POST": FACILITATOR},
    "compose-inject": {"GET": NOT_ALLOWED, "POST": FACILITATOR},
    "acknowledge-inject": {"GET": NOT_ALLOWED, "POST": USA_ONLY},
    "send-message": {"GET": NOT_ALLOWED, "POST": PLAYERS_AND_FACILITATOR},
    "delivery": {"GET": STAFF, "POST": NOT_ALLOWED},
    "timeline": {"GET": STAFF, "POST": NOT_ALLOWED},
    "share-assessment": {"GET": PLAYERS, "POST": PLAYERS},
    "acknowledge-assessment": {"GET": NOT_ALLOWED, "POST": USA_ONLY},
    "comment-assessment": {"GET": NOT_ALLOWED, "POST": USA_ONLY},
    "evaluation": {"GET": STAFF, "POST": NOT_ALLOWED},
    "observe": {"GET": NOT_ALLOWED, "POST": STAFF},
    "adjudicate": {"GET": NOT_ALLOWED, "POST": STAFF},
    "rate-team": {"GET": NOT_ALLOWED, "POST": STAFF},
    "feedback": {"GET": PLAYERS, "POST": PLAYERS},
    "hot-wash": {"GET": STAFF, "POST": NOT_ALLOWED},
    "report": {"GET": STAFF, "POST": NOT_ALLOWED},
    "report-export": {"GET": STAFF, "POST": NOT_ALLOWED},
    "improvement-plan": {"GET": STAFF, "POST": STAFF},
    "improvement-item": {"GET": STAFF, "POST": STAFF},
    "improvement-item-delete": {"GET": NOT_ALLOWED, "POST": STAFF},
    "scenario-list": {"GET": PLANNER, "POST": NOT_ALLOWED},
    "scenario-create": {"GET": NOT_ALLOWED, "POST": PLANNER},
    "scenario-import": {"GET": NOT_ALLOWED, "POST": PLANNER},
    "msel-import": {"GET": NOT_ALLOWED, "POST": PLANNER},
    "scenario-detail": {"GET": PLANNER, "POST": NOT_ALLOWED},
    "scenario-row": {"GET": PLANNER, "POST": NOT_ALLOWED},
    "scenario-rename": {"GET": PLANNER, "POST": PLANNER},
    "scenario-duplicate": {"GET": NOT_ALLOWED, "POST": PLANNER},
    "scenario-export": {"GET": PLANNER, "POST": NOT_ALLOWED},
    "msel-export": {"GET": PLANNER, "POST": NOT_ALLOWED},
    "scenario-inject-add": {"GET": PLANNER, "POST": PLANNER},
    "scenario-inject-row": {"GET": PLANNER, "POST": NOT_ALLOWED},
    "scenario-inject-edit": {"GET": PLANNER, "POST": PLANNER},
    "scenario-inject-delete": {"GET": NOT_ALLOWED, "POST": PLANNER},
    "scenario-inject-move": {"GET": NOT_ALLOWED, "POST": PLANNER},
    "scenario-inject-preview": {"GET": PLANNER, "POST": NOT_ALLOWED},
    "scenario-object-add": {"GET": PLANNER, "POST": PLANNER},
    "scenario-object-edit": {"GET": PLANNER, "POST": PLANNER},
    "scenario-object-delete": {"GET": NOT_ALLOWED, "POST": PLANNER},
    "scenario-orbit-epoch": {"GET": NOT_ALLOWED, "POST": PLANNER},
}
# websocket route name → persona → "accepted" or the close code
WEBSOCKETS = {
    "ws-team": {
        "facilitator": 4403,
        "other_facilitator": 4403,
        "evaluator": 4403,
        "usa_player": "accepted",
        "gbr_player": "accepted",
        "other_player": 4403,
        "no_role": 4403,
        "anonymous": 4403,
    },
    "ws-control": {
        "facilitator": "accepted",
        "other_facilitator": 4403,
        "evaluator": "accepted",
        "usa_player": 4403,
        "gbr_player": 4403,
        "other_player": 4403,
        "no_role": 4403,
        "anonymous": 4403,
    },
}


def url_names(patterns=None, namespace=None) -> set[str]:
    """Every named route of the project, outside Django's admin."""
    names = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            names |= url_names(pattern.url_patterns, pattern.namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return names


def test_every_route_has_an_entry_in_the_table():
    assert url_names() == set(EXPECTED), "add the new route to EXPECTED with its outcome for every persona"
    assert {p.name for p in websocket_urlpatterns} == set(WEBSOCKETS)


@pytest.fixture
def world(running):
    """The ids each route needs: an inject and a shared assessment that reached USA only, etc."""
    from exercises.models import ImprovementItem, Participant, Scenario

    exercise = running.exercise
    release_inject(inject=running.usa_only, by=running.facilitator)
    release_inject(inject=running.to_all, by=running.facilitator)
    can = Participant.objects.select_related("exercise", "team").filter(exercise=exercise, team_id="CAN").first()
    if can is None:
        from exercises.services.exercises import add_participant
        from tests.conftest import make_user

        can = add_participant(
            exercise=exercise, user=make_user("can_player"), role="player", team=Team.objects.get(code="CAN")
        )
        can = Participant.objects.select_related("exercise", "team").get(pk=can.pk)
    assessment = share_assessment(
        participant=can,
        source=running.to_all,
        title="CAN to USA",
        text="x",
        recipients=Team.objects.filter(code="USA"),
        classification="unclassified",
        releasability="all",
    )
    item = ImprovementItem.objects.create(exercise=exercise, issue="i", corrective_action="a", responsible="r")
    usa = Participant.objects.select_related("exercise", "team").get(exercise=exercise, team_id="USA")
    usa_response = submit_response(participant=usa, inject=running.usa_only, kind="action", text="r", protocol_steps=[])
    scenario = Scenario.objects.get(name="Alpha scenario")
    e, i = exercise.pk, running.usa_only.pk
    running.args = {
        "login": [],
        "logout": [],
        "home": [],
        "plan-exercise": [],
        "password-reset": [],
        "password-reset-sent": [],
        "password-reset-confirm": ["MQ", "1-not-a-token"],  # a link that does not work: its page says so
        "password-reset-complete": [],
        "invitation": ["MQ", "1-not-a-token"],
        "invitation-complete": [],
        "remove-participant": [e, Participant.objects.get(exercise=exercise, user=running.evaluator).pk],
        "amend-response": [e, usa_response.pk],
        "change-clock": [e, "pause"],
        "report-export": [e, "csv"],
        "release-inject": [e, running.gbr_only.pk],
        "hold-inject": [e, running.gbr_only.pk],
        "delay-inject": [e, running.gbr_only.pk],
        "edit-inject": [e, running.gbr_only.pk],
        "respond": [e, i],
        "acknowledge-inject": [e, i],
        "acknowledge-assessment": [e, assessment.pk],
        "comment-assessment": [e, assessment.pk],
        "improvement-item": [e, item.pk],
        "improvement-item-delete": [e, item.pk],
        "scenario-list": [],
        "scenario-create": [],
        "scenario-import": [],
        "msel-import": [],
        "scenario-detail": [scenario.pk],
        "scenario-row": [scenario.pk],
        "scenario-rename": [scenario.pk],
        "scenario-duplicate": [scenario.pk],
        "scenario-export": [scenario.pk],
        "msel-export": [scenario.pk, "csv"],
        "scenario-inject-add": [scenario.pk],
    }
    rows = list(scenario.injects.order_by("sequence").values_list("pk", flat=True))
    for name in ("scenario-inject-row", "scenario-inject-edit", "scenario-inject-preview"):
        running.args[name] = [scenario.pk, rows[0]]
    running.args["scenario-inject-move"] = [scenario.pk, rows[1], "up"]
    running.args["scenario-inject-delete"] = [scenario.pk, rows[2]]  # the sweep deletes it: keep it apart
    from datetime import UTC, datetime

    from exercises.models import ScenarioSpaceObject
    from exercises.orbits.elements import circular

    epoch = datetime(2031, 3, 14, 6, tzinfo=UTC)
    objects = [
        ScenarioSpaceObject.objects.create(
            scenario=scenario, name=name, owner_id="USA", elements=circular(name, epoch, 550, 53).as_dict()
        )
        for name in ("USA-SAT 12", "USA-SAT 13")
    ]
    running.args["scenario-object-add"] = [scenario.pk]
    running.args["scenario-object-edit"] = [scenario.pk, objects[0].pk]
    running.args["scenario-object-delete"] = [scenario.pk, objects[1].pk]
    running.args["scenario-orbit-epoch"] = [scenario.pk]
    return running


def outcome(reply) -> object:
    if reply.status_code in (302, 301) and reply["Location"].startswith(reverse("login")):
        return "login"
    if reply.status_code in (403, 404, 405):
        return reply.status_code
    assert reply.status_code < 500, reply.content[:500]
    return "ok"


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("who", PERSONAS)
def test_every_route_by_persona_and_method(world, who, method):
    client = Client()
    if who != "anonymous":
        client.force_login(world.all()[who])
    failures = []
    for name in sorted(EXPECTED):
        path = reverse(name, args=world.args.get(name, [world.exercise.pk]))
        reply = client.get(path) if method == "GET" else client.post(path, {})
        got, expected = outcome(reply), EXPECTED[name][method][who]
        if got != expected:
            failures.append(f"{method} {name}: expected {expected}, got {got} ({reply.status_code})")
        if name == "logout" and method == "POST" and who != "anonymous":
            client.force_login(world.all()[who])  # logging out must not end the sweep
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("who", ["facilitator", "evaluator", "usa_player", "gbr_player"])
def test_every_post_is_refused_without_a_csrf_token(world, who):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.all()[who])
    served = []
    for name, methods in sorted(EXPECTED.items()):
        if methods["POST"].get(who) != "ok" or name == "login":
            continue
        reply = client.post(reverse(name, args=world.args.get(name, [world.exercise.pk])), {})
        if reply.status_code != 403 or b"CSRF" not in reply.content:
            served.append(f"{name}: {reply.status_code}")
    assert not served, served


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("route", sorted(WEBSOCKETS))
def test_every_websocket_route_by_persona(running, route):
    from tests.test_sockets import Sockets, run

    sockets = Sockets(running)
    path = {
        "ws-team": f"/ws/exercises/{running.exercise.pk}/team/",
        "ws-control": f"/ws/exercises/{running.exercise.pk}/control/",
    }[route]

    async def sweep():
        results = {}
        for who in PERSONAS:
            socket = sockets.open(path, who)
            connected, _ = await socket.connect()
            assert connected
            first = await socket.receive_output(timeout=5)
            results[who] = first["code"] if first["type"] == "websocket.close" else "accepted"
            await socket.disconnect()
        return results

    assert run(sweep) == WEBSOCKETS[route]
