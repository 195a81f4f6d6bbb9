"""Planning a new run of a scenario, managing who takes part, and amending a response."""

from django.urls import reverse

from exercises.models import AuditEvent, Exercise, Participant, Response, Scenario
from exercises.services.releases import release_inject
from exercises.services.responses import submit_response


def test_a_planner_creates_an_exercise_from_a_scenario_and_becomes_its_facilitator(personas, client):
    client.force_login(personas.facilitator)
    scenario = Scenario.objects.get(name="Alpha scenario")
    reply = client.post(
        reverse("plan-exercise"), {"name": "Exercise Charlie", "scenario": scenario.pk, "teams": ["USA", "DEU"]}
    )
    exercise = Exercise.objects.get(name="Exercise Charlie")
    assert reply["Location"] == reverse("participants", args=[exercise.pk])
    assert exercise.injects.count() == scenario.injects.count()
    assert sorted(exercise.team_codes()) == ["DEU", "USA"]
    assert Participant.objects.get(exercise=exercise, user=personas.facilitator).role == "facilitator"


def test_planning_without_teams_is_refused_beside_the_field(personas, client):
    client.force_login(personas.facilitator)
    reply = client.post(reverse("plan-exercise"), {"name": "x", "scenario": Scenario.objects.first().pk})
    assert reply.status_code == 400 and "Choose at least one participating team" in reply.content.decode()


def test_a_planner_without_exercises_lands_on_planning(personas, client):
    personas.facilitator.participations.all().delete()
    client.force_login(personas.facilitator)
    assert client.get(reverse("home"))["Location"] == reverse("plan-exercise")


def test_the_facilitator_adds_changes_and_removes_participants(personas, client):
    client.force_login(personas.facilitator)
    url = reverse("participants", args=[personas.exercise.pk])
    reply = client.post(url, {"username": "no_role", "role": "player", "team": "CAN"})
    assert reply.status_code == 302
    added = Participant.objects.get(exercise=personas.exercise, user=personas.no_role)
    assert (added.role, added.team_id) == ("player", "CAN")
    client.post(url, {"username": "no_role", "role": "evaluator"})
    added.refresh_from_db()
    assert (added.role, added.team_id) == ("evaluator", None)
    client.post(reverse("remove-participant", args=[personas.exercise.pk, added.pk]))
    assert not Participant.objects.filter(pk=added.pk).exists()
    assert AuditEvent.objects.filter(kind="participant.removed").exists()


def test_bad_participant_input_gets_a_clear_message(personas, client):
    client.force_login(personas.facilitator)
    url = reverse("participants", args=[personas.exercise.pk])
    assert (
        "No account has that user name" in client.post(url, {"username": "ghost", "role": "evaluator"}).content.decode()
    )
    reply = client.post(url, {"username": "no_role", "role": "player"})
    assert reply.status_code == 400 and "exactly one team" in reply.content.decode()
    reply = client.post(url, {"username": "no_role", "role": "player", "team": "FRA"})
    assert reply.status_code == 400, "FRA does not take part in Exercise Alpha"
    own = Participant.objects.get(exercise=personas.exercise, user=personas.facilitator)
    assert client.post(reverse("remove-participant", args=[personas.exercise.pk, own.pk])).status_code == 400


def test_a_player_amends_a_response_as_a_new_linked_version(running, client):
    release_inject(inject=running.usa_only, by=running.facilitator)
    usa = running.exercise.participants.select_related("exercise", "team").get(team_id="USA")
    first = submit_response(
        participant=usa, inject=running.usa_only, kind="assessment", text="Pc 1e-3", protocol_steps=[]
    )
    client.force_login(running.usa_player)
    url = reverse("amend-response", args=[running.exercise.pk, first.pk])
    assert "Pc 1e-3" in client.get(url).content.decode(), "the form starts from the submitted text"
    reply = client.post(url, {"kind": "assessment", "text": "Pc revised to 4e-4", "protocol_steps": ["CONJ-1"]})
    assert reply.status_code == 302
    second = Response.objects.get(amends=first)
    assert (second.version, second.text) == (2, "Pc revised to 4e-4")
    assert Response.objects.get(pk=first.pk).text == "Pc 1e-3", "the original stays as submitted"
    reply = client.post(url, {"kind": "assessment", "text": "again"})
    assert reply.status_code == 409 and "already amended" in reply.content.decode()
