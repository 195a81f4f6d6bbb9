"""Rehearsal: a whole scenario played by bot teams in simulated time, for report previews, benchmarks and the demo."""

from datetime import timedelta
from time import sleep
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

from exercises.models import (
    Acknowledgement,
    Adjudication,
    AssessmentAcknowledgement,
    AuditEvent,
    Exercise,
    Feedback,
    Observation,
    Participant,
    Rating,
    Release,
    Response,
    Scenario,
    ScenarioInject,
    SharedAssessment,
    Team,
)
from exercises.services import ServiceError, rehearsal
from exercises.services.rehearsal import simulate_exercise
from exercises.services.releases import release_due_injects

TRAINING = "First Light (facilitator training)"
DEFAULT = "Operation Clear Orbit"
TEAMS = ["USA", "GBR", "CAN"]


def rehearse(name=TRAINING, teams=TEAMS, **options) -> Exercise:
    return simulate_exercise(scenario=Scenario.objects.get(name=name), teams=teams, **options)


def arrival(response) -> timedelta:
    return Release.objects.get(inject=response.inject, team=response.team).exercise_time


def journal(exercise, kind) -> int:
    return AuditEvent.objects.filter(exercise=exercise, kind=kind).count()


def test_it_plays_the_training_scenario_to_an_ended_exercise(library):
    exercise = rehearse()
    assert exercise.status == Exercise.Status.ENDED
    assert exercise.name == f"Rehearsal: {TRAINING}"
    assert exercise.team_codes() == TEAMS
    for inject in exercise.injects.all():
        assert inject.released_at is not None, inject
        assert AuditEvent.objects.filter(kind="inject.released", object_id=str(inject.pk)).count() == 1, inject
    for code in TEAMS:
        assert Release.objects.filter(inject__exercise=exercise, team_id=code).exists(), code
        assert Acknowledgement.objects.filter(inject__exercise=exercise, team_id=code).exists(), code
        assert Response.objects.filter(exercise=exercise, team_id=code).exists(), code


def test_the_bots_claim_the_injects_steps_some_in_time_and_some_late(library):
    exercise = rehearse()
    in_time = late = 0
    for response in Response.objects.filter(exercise=exercise).prefetch_related("protocol_steps"):
        steps = list(response.protocol_steps.all())
        assert {step.code for step in steps} <= set(response.inject.protocol_steps.values_list("code", flat=True))
        if not steps:
            continue
        taken = response.exercise_time - arrival(response)
        late += taken > timedelta(minutes=max(step.expected_minutes for step in steps))
        in_time += taken <= timedelta(minutes=min(step.expected_minutes for step in steps))
    assert in_time and late, (in_time, late)


def test_shares_stay_within_the_sources_marking_unless_downgraded(library):
    exercise = rehearse()
    shares = list(SharedAssessment.objects.filter(exercise=exercise).prefetch_related("recipients"))
    assert shares
    for share in shares:
        source = share.source_inject or share.source_response
        for recipient in share.recipients.all():
            assert share.permits(recipient.code), (share, recipient)
            assert share.downgraded or source.permits(recipient.code), (share, recipient)
        if share.downgraded:
            assert share.downgrade_reason and share.downgrade_removed
    assert AssessmentAcknowledgement.objects.filter(assessment__exercise=exercise).exists()


def test_the_bot_evaluator_observes_adjudicates_and_rates_every_team_on_every_objective(library):
    exercise = rehearse()
    objectives = list(exercise.objectives.all())
    assert objectives
    rated = set(Rating.objects.filter(exercise=exercise).values_list("team_id", "objective__code"))
    assert rated == {(code, objective.code) for code in TEAMS for objective in objectives}
    assert all(rating.explanation for rating in Rating.objects.filter(exercise=exercise))
    assert Observation.objects.filter(exercise=exercise, kind="strength").exists()
    assert Observation.objects.filter(exercise=exercise, kind="improvement", team__isnull=False).exists()
    assert Adjudication.objects.filter(response__exercise=exercise).exists()


def test_every_bot_player_sends_the_hot_wash_form(library):
    exercise = rehearse()
    players = Participant.objects.filter(exercise=exercise, role="player")
    assert sorted(players.values_list("user__username", flat=True)) == ["bot-can", "bot-gbr", "bot-usa"]
    assert set(Feedback.objects.filter(exercise=exercise).values_list("user__username", "team_id")) == {
        ("bot-usa", "USA"),
        ("bot-gbr", "GBR"),
        ("bot-can", "CAN"),
    }


def test_the_bots_are_unusable_accounts_reused_across_rehearsals(library):
    first = rehearse()
    users = get_user_model().objects.count()
    second = rehearse()
    assert get_user_model().objects.count() == users
    bot = get_user_model().objects.get(username="bot-usa")
    assert bot.first_name == "USA bot" and not bot.has_usable_password()
    roles = dict(Participant.objects.filter(exercise=second).values_list("user__username", "role"))
    assert roles["bot-control"] == "facilitator" and roles["bot-evaluator"] == "evaluator"
    assert first.pk != second.pk


def test_every_write_is_in_the_journal(library):
    exercise = rehearse()
    expected = {
        "exercise.created": 1,
        "exercise.start": 1,
        "exercise.end": 1,
        "participant.assigned": Participant.objects.filter(exercise=exercise).count(),
        "inject.released": exercise.injects.count(),
        "inject.acknowledged": Acknowledgement.objects.filter(inject__exercise=exercise).count(),
        "response.submitted": Response.objects.filter(exercise=exercise).count(),
        "assessment.shared": SharedAssessment.objects.filter(exercise=exercise).count(),
        "assessment.acknowledged": AssessmentAcknowledgement.objects.filter(assessment__exercise=exercise).count(),
        "observation.recorded": Observation.objects.filter(exercise=exercise).count(),
        "step.adjudicated": Adjudication.objects.filter(response__exercise=exercise).count(),
        "team.rated": Rating.objects.filter(exercise=exercise).count(),
        "feedback.submitted": Feedback.objects.filter(exercise=exercise).count(),
    }
    assert {kind: journal(exercise, kind) for kind in expected} == expected
    assert journal(exercise, "exercise.jump") > 0


def outcome(exercise) -> dict:
    return {
        "responses": [
            (
                r.team_id,
                r.inject.sequence,
                r.kind,
                r.text,
                r.banner,
                sorted(r.protocol_steps.values_list("code", flat=True)),
            )
            for r in Response.objects.filter(exercise=exercise).select_related("inject").order_by("id")
        ],
        "shares": list(SharedAssessment.objects.filter(exercise=exercise).order_by("id").values_list("title", "text")),
        "ratings": sorted(Rating.objects.filter(exercise=exercise).values_list("team_id", "objective__code", "rating")),
        "journal": [kind for kind in AuditEvent.objects.filter(exercise=exercise).values_list("kind", flat=True)],
    }


def test_the_same_seed_plays_the_same_exercise(library):
    first, second = outcome(rehearse(seed=7)), outcome(rehearse(seed=7))
    assert first == second
    assert outcome(rehearse(seed=8))["responses"] != first["responses"]


def test_simulated_time_never_sleeps(library, monkeypatch):
    def no_sleep(seconds):
        raise AssertionError(f"slept {seconds} s")

    monkeypatch.setattr(rehearsal, "time", SimpleNamespace(sleep=no_sleep))
    exercise = rehearse(responses_per_inject=4)
    assert exercise.status == Exercise.Status.ENDED
    assert exercise.exercise_time() > timedelta(minutes=19)  # past the last inject, with no wall time spent
    releases = Release.objects.filter(inject__exercise=exercise).count()
    assert Response.objects.filter(exercise=exercise).count() > 2 * releases


def test_a_clock_worker_ticking_meanwhile_releases_nothing_twice(library, monkeypatch):
    jump = rehearsal.jump_to

    def jump_then_tick(*, exercise, exercise_time, by):
        jumped = jump(exercise=exercise, exercise_time=exercise_time, by=by)
        release_due_injects(exercise.pk)  # a worker wins the race to every due inject
        return jumped

    monkeypatch.setattr(rehearsal, "jump_to", jump_then_tick)
    exercise = rehearse()
    assert journal(exercise, "inject.released") == exercise.injects.count()
    assert Response.objects.filter(exercise=exercise).exists()


def test_realtime_waits_for_the_running_clock_at_its_speed(library, monkeypatch):
    scenario = Scenario.objects.create(name="One inject")
    ScenarioInject.objects.create(
        scenario=scenario, sequence=1, offset=timedelta(seconds=30), kind="control", title="Comms check", text="Check."
    )
    monkeypatch.setattr(rehearsal, "EVALUATOR_DELAY", 1)
    slept = []

    def wait(seconds):
        slept.append(seconds)
        sleep(seconds)

    monkeypatch.setattr(rehearsal, "time", SimpleNamespace(sleep=wait))
    exercise = simulate_exercise(scenario=scenario, teams=["USA"], realtime=True, speed=60, responses_per_inject=1)
    assert exercise.status == Exercise.Status.ENDED and exercise.speed == 60
    assert slept and journal(exercise, "exercise.jump") == 0 and journal(exercise, "exercise.speed") == 1
    assert exercise.injects.get().released_at is not None
    assert exercise.exercise_time() >= timedelta(minutes=1)  # the clock ran: 60× for a few real seconds


def test_out_of_range_speed_or_unknown_team_is_refused_before_anything_is_created(library):
    with pytest.raises(ServiceError, match="between 1× and 60×"):
        rehearse(realtime=True, speed=120)
    with pytest.raises(ServiceError, match="XYZ"):
        rehearse(teams=["USA", "XYZ"])
    assert not Exercise.objects.exists()


def test_the_command_prints_the_counts(library, capsys):
    call_command("simulate_exercise", TRAINING, "--teams", "can", "GBR", "--seed", "3", "--name", "Preview")
    out = capsys.readouterr().out
    exercise = Exercise.objects.get(name="Preview")
    assert exercise.team_codes() == ["GBR", "CAN"] and exercise.status == Exercise.Status.ENDED
    assert f"Exercise {exercise.pk} 'Preview': ended" in out
    for label in ["injects released", "responses", "shares", "observations", "ratings", "journal events"]:
        assert label in out, label
    responses = Response.objects.filter(exercise=exercise).count()
    assert f"responses          {responses}\n" in out


def test_injects_that_reach_none_of_the_chosen_teams_stay_unreleased(library, capsys):
    call_command("simulate_exercise", TRAINING, "--teams", "USA", "GBR")
    exercise = Exercise.objects.get()
    assert exercise.status == Exercise.Status.ENDED
    assert set(exercise.injects.filter(released_at__isnull=True).values_list("sequence", flat=True)) == {2, 5}  # CAN's
    assert "injects released   4 of 6" in capsys.readouterr().out


def test_the_command_names_an_unknown_scenario_or_team(library):
    with pytest.raises(CommandError, match="No scenario named 'Nope'.*First Light"):
        call_command("simulate_exercise", "Nope")
    with pytest.raises(CommandError, match="Unknown team.*XYZ"):
        call_command("simulate_exercise", TRAINING, "--teams", "USA", "XYZ")
    with pytest.raises(CommandError, match="between 1× and 60×"):
        call_command("simulate_exercise", TRAINING, "--realtime", "--speed", "600")
    assert not Exercise.objects.exists()


def test_the_default_scenario_with_all_seven_teams(library):
    exercise = rehearse(DEFAULT, teams=None)
    assert exercise.status == Exercise.Status.ENDED
    assert len(exercise.team_codes()) == 7 == Team.objects.count()
    assert not exercise.injects.filter(released_at__isnull=True).exists()
    assert Rating.objects.filter(exercise=exercise).count() == 7 * exercise.objectives.count()
    assert Feedback.objects.filter(exercise=exercise).count() == 7
    assert set(Response.objects.filter(exercise=exercise).values_list("team_id", flat=True)) == set(
        exercise.team_codes()
    )
    assert SharedAssessment.objects.filter(exercise=exercise, downgraded=True).exists()


@override_settings(DEBUG=True)
def test_the_demo_includes_one_completed_rehearsal_staffed_by_control_and_the_evaluator(library):
    call_command("demo")
    call_command("demo")
    rehearsals = Exercise.objects.filter(name=f"Rehearsal: {DEFAULT}")
    assert rehearsals.count() == 1
    exercise = rehearsals.get()
    assert exercise.status == Exercise.Status.ENDED and len(exercise.team_codes()) == 7
    roles = dict(Participant.objects.filter(exercise=exercise).values_list("user__username", "role"))
    assert roles["control"] == "facilitator" and roles["evaluator"] == "evaluator"
    assert "usa" not in roles and roles["bot-usa"] == "player"
    assert Participant.objects.filter(user__username="usa").count() == 1  # players stay in the demo exercise only
    assert Rating.objects.filter(exercise=exercise).exists() and Feedback.objects.filter(exercise=exercise).exists()


def test_the_bots_assess_the_decision_injects_with_seeded_disagreement_and_revisions(library):
    from exercises import coalition

    exercise = rehearse(DEFAULT, teams=None, seed=3)
    report = coalition.coalition_report(exercise)
    assert len(report.injects) == exercise.injects.filter(decision_bearing=True, released_at__isnull=False).count()
    assert Response.objects.filter(exercise=exercise, version__gt=1).exclude(assessed_cause="").exists()
    to_all = [item for item in report.injects if len(item.inject.teams) == 7]
    assert any(max(p.cause_disagreement or 0 for p in item.divergence) > 0 for item in to_all), "nations disagree"
    assert any(item.consensus.reached for item in report.injects), "and some come round"
    assert any(row.first_share_after is not None for row in report.barriers), "national-only injects reach allies"
    assert max(cell.median_minutes for cell in report.classification_cells) > 0, "in exercise time"
    again = coalition.coalition_report(rehearse(DEFAULT, teams=None, seed=3))
    from django.template.loader import render_to_string

    def sentences(coalition_report):  # to the second: the simulated clock lands a few ms after each moment
        return [
            render_to_string("exercises/_coalition.html#narrative", {"item": item}) for item in coalition_report.injects
        ]

    assert sentences(again) == sentences(report)
    assert any("held" in sentence or "gave no assessment" in sentence for sentence in sentences(report))
