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
STAFF_AND_USA = row("ok", "ok", "ok", 404)  # what staff see of an item that reached USA only
PLAYERS_AND_FACILITATOR = row("ok", 403, "ok", "ok")
PLANNER = {**row("ok", 403, 403, 403, no_role_default=403)}
EVERYONE = {persona: "ok" for persona in PERSONAS}
NOT_ALLOWED = {persona: 405 for persona in PERSONAS}
LOGGED_IN = {**EVERYONE, "anonymous": "login"}
HOME = {**LOGGED_IN, "no_role": 403}
EVERY_ROLE = row("ok", "ok", "ok", "ok")
TAXII_SESSION = {persona: 401 for persona in PERSONAS}  # a session cookie is no TAXII credential: tokens only

TAXII_ROUTES = [
    "taxii-discovery",
    "taxii-api-root",
    "taxii-collections",
    "taxii-collection",
    "taxii-objects",
    "taxii-object",
    "taxii-object-versions",
    "taxii-manifest",
    "taxii-status",
]

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
    "choose-language": {"GET": NOT_ALLOWED, "POST": EVERYONE},  # anyone may pick a language (the cookie)
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
    "discard-draft": {"GET": NOT_ALLOWED, "POST": FACILITATOR},
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
    "plan-manoeuvre": {"GET": NOT_ALLOWED, "POST": USA_ONLY},
    "commit-manoeuvre": {"GET": NOT_ALLOWED, "POST": USA_ONLY},
    "inject-cdm": {"GET": STAFF_AND_USA, "POST": NOT_ALLOWED},
    "exercise-catalogue": {"GET": EVERY_ROLE, "POST": NOT_ALLOWED},
    "object-omm": {"GET": STAFF_AND_USA, "POST": NOT_ALLOWED},  # KARSLAND's debris, named by the USA-only inject
    "conjunction-cdm": {"GET": STAFF_AND_USA, "POST": NOT_ALLOWED},  # warned of by the USA-only inject
    "stix-export": {"GET": EVERY_ROLE, "POST": NOT_ALLOWED},
    "stix-import": {"GET": PLAYERS, "POST": PLAYERS},
    "api-tokens": {"GET": EVERY_ROLE, "POST": EVERY_ROLE},
    "api-token-revoke": {"GET": NOT_ALLOWED, "POST": row("ok", "ok", "ok", 404)},  # USA's token: its owner, staff
    **{name: {"GET": TAXII_SESSION, "POST": TAXII_SESSION} for name in TAXII_ROUTES},
    # the orbit pictures: a conjunction named by, and a debris cloud made by, an inject that reached USA only
    "conjunction-picture": {"GET": STAFF_AND_USA, "POST": NOT_ALLOWED},
    "debris-picture": {"GET": STAFF_AND_USA, "POST": NOT_ALLOWED},
    "catalogue-picture": {"GET": STAFF, "POST": NOT_ALLOWED},
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
    from exercises.models import ImprovementItem, Inject, Participant, Scenario

    exercise = running.exercise
    from tests.conjunctions import plant_conjunction

    plant_conjunction(exercise, running.usa_only)  # its CDM: the USA-only inject is a bound conjunction
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
    draft = Inject.objects.create(  # as services/debris.py drafts one from an ASAT test's debris
        exercise=exercise,
        sequence=90,
        offset=running.to_all.offset,
        kind="conjunction",
        title="Drafted conjunction warning",
        text="{primary} and {secondary} at {tca}",
        addressed_to_all=False,
        on_demand=True,
        drafted_from=running.to_all,
    )
    draft.teams.set(Team.objects.filter(code="USA"))
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
        "choose-language": [],
        "remove-participant": [e, Participant.objects.get(exercise=exercise, user=running.evaluator).pk],
        "amend-response": [e, usa_response.pk],
        "change-clock": [e, "pause"],
        "report-export": [e, "csv"],
        "release-inject": [e, running.gbr_only.pk],
        "hold-inject": [e, running.gbr_only.pk],
        "delay-inject": [e, running.gbr_only.pk],
        "edit-inject": [e, running.gbr_only.pk],
        "discard-draft": [e, draft.pk],
        "respond": [e, i],
        "acknowledge-inject": [e, i],
        "inject-cdm": [e, i, "kvn"],
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
    # The planted conjunction of USA's manoeuvrable ALLIED-SAT 7, bound to the USA-only inject (released to USA).
    from exercises.selectors import current_conjunction

    conjunction = current_conjunction(running.usa_only)
    running.args["plan-manoeuvre"] = [e, conjunction.pk]
    running.args["conjunction-cdm"] = [e, conjunction.pk, "xml"]
    running.args["object-omm"] = [e, conjunction.secondary_id, "kvn"]
    running.args["commit-manoeuvre"] = [e, conjunction.pk]
    conjunction, debris = orbit_pictures_world(exercise, running.usa_only)
    running.args["conjunction-picture"] = [e, conjunction.pk, "encounter-plane"]
    running.args["debris-picture"] = [e, debris.pk, "gabbard"]
    _taxii_world(running, usa, can)
    return running


def orbit_pictures_world(exercise, inject):
    """The conjunction `inject` is bound to (tests/conjunctions.py planted it), and a satellite that `inject`
    broke into fragments."""
    from datetime import timedelta

    from exercises import selectors
    from exercises.models import SpaceObject
    from exercises.orbits.elements import circular

    conjunction = selectors.current_conjunction(inject)
    epoch = exercise.orbit_epoch
    target = SpaceObject.objects.create(
        exercise=exercise,
        name="KEA-1",
        owner_id="USA",
        destroyed_at=epoch + timedelta(minutes=15),
        elements=circular("KEA-1", epoch, 850, 98.0).as_dict(),
    )
    for number, altitude in enumerate((820, 860)):
        SpaceObject.objects.create(
            exercise=exercise,
            name=f"KEA-1 DEB {number}",
            object_type="debris",
            parent=target,
            created_by=inject,
            elements=circular(f"KEA-1 DEB {number}", epoch, altitude, 98.0).as_dict(),
        )
    return conjunction, target


def _taxii_world(running, usa, can):
    """USA's API token, its collection, an object only USA sees and the status of a bundle USA shared."""
    from exercises import stix
    from exercises.services.api_tokens import create_token
    from exercises.services.stix_import import import_bundle
    from exercises.views.taxii import collection_id
    from tests.test_stix import assessment_bundle

    e = running.exercise.pk
    token, running.usa_secret = create_token(participant=usa, name="usa client")
    collection = collection_id(e, "USA")
    report = stix.inject_report_id(running.usa_only)
    bundle = assessment_bundle(running.usa_only, banner="EXERCISE UNCLASSIFIED // REL TO ALL ALLIES")
    status = import_bundle(exercise=running.exercise, participant=usa, bundle_text=bundle).status_id
    running.args.update(
        {
            "api-token-revoke": [e, token.pk],
            "taxii-discovery": [],
            "taxii-collection": [e, collection],
            "taxii-objects": [e, collection],
            "taxii-object": [e, collection, report],
            "taxii-object-versions": [e, collection, report],
            "taxii-manifest": [e, collection],
            "taxii-status": [e, status],
        }
    )


def outcome(reply) -> object:
    if reply.status_code in (302, 301) and reply["Location"].startswith(reverse("login")):
        return "login"
    if reply.status_code in (401, 403, 404, 405):
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


# TAXII: every route × every token kind × method (exact status codes) -------------------------------

TOKEN_KINDS = ["facilitator", "evaluator", "usa_player", "gbr_player", "other_player", "revoked", "garbage", "none"]


def taxii_row(facilitator, evaluator, usa, gbr, other):
    """Outcomes per token kind; a revoked, made-up or missing token is refused with 401 everywhere."""
    return {
        "facilitator": facilitator,
        "evaluator": evaluator,
        "usa_player": usa,
        "gbr_player": gbr,
        "other_player": other,  # a player of another exercise
        "revoked": 401,
        "garbage": 401,
        "none": 401,
    }


IN_EXERCISE = taxii_row(200, 200, 200, 200, 404)
USA_COLLECTION = taxii_row(200, 200, 200, 404, 404)  # USA's collection: USA and staff read it
GET_ONLY = taxii_row(405, 405, 405, 405, 405)
TAXII_EXPECTED = {
    "taxii-discovery": {"GET": taxii_row(200, 200, 200, 200, 200), "POST": GET_ONLY},
    "taxii-api-root": {"GET": IN_EXERCISE, "POST": GET_ONLY},
    "taxii-collections": {"GET": IN_EXERCISE, "POST": GET_ONLY},
    "taxii-collection": {"GET": USA_COLLECTION, "POST": GET_ONLY},
    # POST of an empty envelope: USA is heard (and refused for the empty bundle); staff read only.
    "taxii-objects": {"GET": USA_COLLECTION, "POST": taxii_row(403, 403, 400, 404, 404)},
    "taxii-object": {"GET": USA_COLLECTION, "POST": GET_ONLY},
    "taxii-object-versions": {"GET": USA_COLLECTION, "POST": GET_ONLY},
    "taxii-manifest": {"GET": USA_COLLECTION, "POST": GET_ONLY},
    "taxii-status": {"GET": USA_COLLECTION, "POST": GET_ONLY},
}


def test_every_taxii_route_is_in_the_token_table():
    assert set(TAXII_EXPECTED) == set(TAXII_ROUTES) == {name for name in url_names() if name.startswith("taxii-")}


def _token(world, kind):
    from exercises.models import Participant
    from exercises.services.api_tokens import create_token, revoke_token

    if kind == "none":
        return None
    if kind == "garbage":
        return "cjt_not-a-token-anyone-was-given"
    if kind == "usa_player":
        return world.usa_secret
    exercise = world.other_exercise if kind == "other_player" else world.exercise
    user = world.usa_player if kind == "revoked" else world.all()[kind]
    participant = Participant.objects.select_related("exercise", "user").get(exercise=exercise, user=user)
    token, secret = create_token(participant=participant, name=kind)
    if kind == "revoked":
        revoke_token(token=token, by=user)
    return secret


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("kind", TOKEN_KINDS)
def test_every_taxii_route_by_token_kind_and_method(world, kind, method):
    from exercises.views.taxii import TAXII

    secret = _token(world, kind)
    headers = {"Accept": TAXII, **({"Authorization": f"Bearer {secret}"} if secret else {})}
    client = Client()
    failures = []
    for name in TAXII_ROUTES:
        path = reverse(name, args=world.args.get(name, [world.exercise.pk]))
        if method == "GET":
            reply = client.get(path, headers=headers)
        else:
            reply = client.post(path, '{"objects": []}', content_type=TAXII, headers=headers)
        expected = TAXII_EXPECTED[name][method][kind]
        if reply.status_code != expected:
            failures.append(f"{method} {name}: expected {expected}, got {reply.status_code}")
        assert reply["Content-Type"] == TAXII, (name, reply["Content-Type"])
    assert not failures, "\n".join(failures)


def test_a_player_sees_a_debris_cloud_once_a_follow_on_drafted_from_its_asat_test_reaches_the_team(world):
    from datetime import timedelta

    from exercises.models import Inject

    debris_path = reverse("debris-picture", args=world.args["debris-picture"])
    gbr = Client()
    gbr.force_login(world.gbr_player)
    assert gbr.get(debris_path).status_code == 404
    follow_on = Inject.objects.create(
        exercise=world.exercise,
        sequence=9,
        offset=timedelta(minutes=30),
        kind="conjunction",
        title="Debris of KEA-1 near GBR's satellite",
        text="Drafted from the ASAT test's debris.",
        addressed_to_all=False,
        drafted_from=world.usa_only,
    )
    follow_on.teams.set(Team.objects.filter(code="GBR"))
    release_inject(inject=follow_on, by=world.facilitator)
    reply = gbr.get(debris_path)
    assert reply.status_code == 200 and reply["Content-Type"].startswith("image/svg+xml")
    assert b"<title" in reply.content and b"2 fragments of KEA-1" in reply.content
    assert reply["Cache-Control"] == "private, max-age=60"
    # the conjunction is still not theirs: no inject naming its objects reached GBR
    assert gbr.get(reverse("conjunction-picture", args=world.args["conjunction-picture"])).status_code == 404
    staff = Client()
    staff.force_login(world.facilitator)
    e, conjunction_id, _ = world.args["conjunction-picture"]
    assert staff.get(reverse("conjunction-picture", args=[e, conjunction_id, "radar"])).status_code == 404
    assert staff.get(reverse("conjunction-picture", args=[e, conjunction_id, "miss-distance"])).status_code == 200
