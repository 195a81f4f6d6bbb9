"""`make run` loads the library and the demo: both idempotent, the demo refused in production."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

from exercises.models import Exercise, Participant, Protocol, Scenario, Team

DEMO_LOGINS = ["control", "evaluator", "usa", "gbr", "can", "aus", "nzl", "deu", "fra"]


@override_settings(DEBUG=True)
def test_demo_creates_every_login_and_is_idempotent(library, capsys):
    call_command("demo")
    call_command("load_library")
    call_command("demo")
    assert Exercise.objects.filter(name="Demo exercise").count() == 1
    exercise = Exercise.objects.get(name="Demo exercise")
    for username in DEMO_LOGINS:
        assert get_user_model().objects.get(username=username).check_password("conjunction"), username
    roles = {p.user.username: (p.role, p.team_id) for p in Participant.objects.filter(exercise=exercise)}
    assert roles["control"] == ("facilitator", None)
    assert roles["evaluator"] == ("evaluator", None)
    assert roles["deu"] == ("player", "DEU")
    assert exercise.injects.count() == exercise.scenario.injects.count() >= 15
    assert "usa" in capsys.readouterr().out


def test_demo_refuses_with_debug_off(library):
    with pytest.raises(CommandError, match="--force"):
        call_command("demo")


def test_the_library_holds_the_seven_allies_and_the_protocols(library):
    assert list(Team.objects.values_list("code", flat=True)) == ["USA", "GBR", "CAN", "AUS", "NZL", "DEU", "FRA"]
    assert Protocol.objects.count() >= 7
    assert Scenario.objects.count() >= 2


@override_settings(DEBUG=True)
def test_the_demo_password_comes_from_the_environment(library, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "another-secret")
    call_command("demo")
    assert get_user_model().objects.get(username="usa").check_password("another-secret")


def test_scenario_edits_never_rewrite_a_past_run(personas):
    source = personas.exercise.scenario.injects.get(sequence=1)
    source.title = "Rewritten"
    source.save()
    assert personas.exercise.injects.get(sequence=1).title == "Conjunction warning for USA-SAT 12"
