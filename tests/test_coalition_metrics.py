"""Coalition metrics (exercises/coalition.py) on small hand-built exercises, with values computed by hand
(docs/evaluation.md, "Coalition analytics", works the same examples)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.template.loader import render_to_string

from exercises import coalition
from exercises.coalition import (
    Assessment,
    BurnFacts,
    ConjunctionFacts,
    DecisionInject,
    NationalInject,
    Share,
)
from exercises.models import Response
from exercises.services.releases import release_inject
from exercises.services.responses import submit_response


def t(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


HOSTILE, UNKNOWN, ACCIDENT = "hostile_act", "unknown", "accident"
CONDEMN, WAIT = "Joint public condemnation", "Monitor and say nothing yet"
ASAT = DecisionInject(9, 9, "Direct-ascent ASAT test", "asat", t(10), ("USA", "GBR", "CAN"), (CONDEMN, WAIT))


def a(team, minutes, cause=HOSTILE, action=CONDEMN, confidence="likely", steps=(), other=""):
    return Assessment(team, t(minutes), cause, confidence, action, other, "", frozenset(steps))


# The worked example of docs/evaluation.md: CAN holds "unknown" until T+00:20.
WORKED = [
    a("USA", 12, confidence="very_likely", steps=["ASAT-1", "ASAT-2"]),
    a("CAN", 14, UNKNOWN, confidence="roughly_even_chance"),
    a("GBR", 15, confidence="likely", steps=["ASAT-2"]),
    a("CAN", 20, confidence="likely", steps=["ASAT-1"]),
]


def test_time_to_consensus_runs_from_release_to_the_moment_all_agree_and_names_the_holdout():
    result = coalition.consensus(ASAT, WORKED)
    assert result.reached_at == t(20)
    assert result.time_to_consensus == t(10)
    assert (result.cause, result.action) == (HOSTILE, CONDEMN)
    assert result.holdouts == ["CAN"]
    assert result.periods == [(t(20), None)]
    assert result.holding and result.since == t(20) and result.lost_at is None


def test_agreeing_on_the_cause_is_not_consensus_while_the_course_of_action_differs():
    result = coalition.consensus(ASAT, [a("USA", 11), a("GBR", 12), a("CAN", 13, action=WAIT)])
    assert not result.reached and result.time_to_consensus is None and result.holdouts == []


def test_a_team_that_never_answers_keeps_consensus_from_being_reached():
    result = coalition.consensus(ASAT, [a("USA", 11), a("GBR", 12)])
    assert not result.reached
    assert result.silent == ["CAN"]
    sentence = coalition.narrative(ASAT, [a("USA", 11), a("GBR", 12)], result)
    assert sentence.groups == (("hostile act", ("USA", "GBR")),) and sentence.silent == ("CAN",)


def test_teams_joining_last_at_the_same_moment_are_all_holdouts_and_a_unanimous_start_has_none():
    tie = coalition.consensus(ASAT, [a("USA", 11), a("GBR", 15), a("CAN", 15)])
    assert tie.reached_at == t(15) and tie.holdouts == ["GBR", "CAN"]
    at_once = coalition.consensus(ASAT, [a("USA", 15), a("GBR", 15), a("CAN", 15)])
    assert at_once.reached_at == t(15) and at_once.holdouts == []


def test_a_revision_after_consensus_breaks_it_raises_the_alert_and_a_later_one_restores_it():
    broken = [*WORKED, a("USA", 30, ACCIDENT)]
    result = coalition.consensus(ASAT, broken)
    assert result.reached_at == t(20)  # the first consensus still counts
    assert result.periods == [(t(20), t(30))]
    assert not result.holding and result.lost_at == t(30)
    restored = coalition.consensus(ASAT, [*broken, a("USA", 40)])
    assert restored.periods == [(t(20), t(30)), (t(40), None)]
    assert restored.holding and restored.since == t(40) and restored.lost_at is None


def test_a_revision_that_keeps_cause_and_action_keeps_the_time_the_team_joined():
    # USA raises its confidence at 18: it has held "hostile act" since 12; CAN still joins last.
    result = coalition.consensus(ASAT, [*WORKED[:3], a("USA", 18, confidence="almost_certain"), WORKED[3]])
    assert result.holdouts == ["CAN"]
    assert coalition.joined_at("USA", WORKED, t(20), (HOSTILE, CONDEMN)) == t(12)


def test_other_courses_of_action_agree_when_their_words_do_case_and_spacing_aside():
    result = coalition.consensus(
        ASAT,
        [
            a("USA", 11, action="other", other="Ask the UN Security Council"),
            a("GBR", 12, action="other", other="ask the  UN security council"),
            a("CAN", 13, action="other", other="Ask the UN Security Council"),
        ],
    )
    assert result.reached_at == t(13) and result.action == "other: Ask the UN Security Council"


def test_divergence_is_the_share_of_pairs_disagreeing_the_confidence_spread_and_the_steps_distance():
    points = coalition.divergence(ASAT, WORKED)
    assert [p.at for p in points] == [t(12), t(14), t(15), t(20)]
    first, second, third, last = points
    assert first.assessed == 1 and first.cause_disagreement is None and first.confidence_spread is None
    # USA hostile (very likely, steps ASAT-1, ASAT-2) and CAN unknown (roughly even, no steps).
    assert second.cause_disagreement == 1.0 and second.confidence_spread == 5 - 3 and second.steps_distance == 1.0
    # + GBR hostile (likely, ASAT-2): pairs USA-CAN, USA-GBR, GBR-CAN; two disagree on the cause.
    assert third.cause_disagreement == pytest.approx(2 / 3)
    assert third.confidence_spread == 5 - 3
    assert third.steps_distance == pytest.approx((1.0 + 0.5 + 1.0) / 3)
    # CAN hostile (likely, ASAT-1): USA-GBR 1/2, USA-CAN 1/2, GBR-CAN 1 apart.
    assert last.cause_disagreement == 0.0 and last.action_disagreement == 0.0
    assert last.confidence_spread == 1
    assert last.steps_distance == pytest.approx((0.5 + 0.5 + 1.0) / 3)


def test_assessments_of_teams_the_inject_did_not_reach_and_before_its_release_are_left_out():
    points = coalition.divergence(ASAT, [a("FRA", 12, UNKNOWN), a("USA", 12)])
    assert [(p.at, p.assessed) for p in points] == [(t(12), 1)]
    assert coalition.consensus(ASAT, [a("FRA", 12, UNKNOWN)]).silent == ["USA", "GBR", "CAN"]


def test_the_narrative_names_who_agreed_when_and_who_held_out_with_what():
    result = coalition.consensus(ASAT, WORKED)
    item = coalition.InjectCoalition(ASAT, [], result, [], None, coalition.narrative(ASAT, WORKED, result))
    sentence = render_to_string("exercises/_coalition.html#narrative", {"item": item}).strip()
    assert sentence == (
        "USA and GBR agreed on a hostile act and “Joint public condemnation” at T+00:15:00; "
        "CAN held “unknown” until T+00:20:00."
    )


def test_the_narrative_of_no_consensus_groups_the_final_causes_and_names_the_silent():
    assessments = [a("USA", 11), a("GBR", 12, UNKNOWN)]
    result = coalition.consensus(ASAT, assessments)
    item = coalition.InjectCoalition(ASAT, [], result, [], None, coalition.narrative(ASAT, assessments, result))
    sentence = render_to_string("exercises/_coalition.html#narrative", {"item": item}).strip()
    assert sentence == "No consensus: USA assessed a hostile act; GBR assessed “unknown”; CAN never answered."


NATIONAL = NationalInject(8, 8, "US-only: indications of an ASAT test", "secret", t(40), ("USA",))
QUIET = NationalInject(10, 10, "France-only: fragment data", "secret", t(55), ("FRA",))


def share(at, *, to=("GBR",), downgraded=False, classification="secret", inject=8, seconds=None, sender="USA"):
    return Share(sender, to, classification, downgraded, t(at), seconds if seconds is not None else 60.0, inject)


def test_sharing_across_barriers_times_the_first_share_with_an_ally_and_the_first_downgrade():
    rows = coalition.sharing_across_barriers(
        [NATIONAL, QUIET], [share(50, downgraded=True, to=("GBR", "CAN")), share(45), share(60, inject=3)]
    )
    us, france = rows
    assert us.shares == 2
    assert us.first_share_after == t(5) and us.first_share_to == ("GBR",) and not us.downgrade_needed
    assert us.first_downgrade_after == t(10)
    assert france.shares == 0 and france.first_share_after is None and france.first_downgrade_after is None


def test_who_shared_with_whom_per_classification_counts_and_takes_the_median_minutes():
    cells = coalition.sharing_by_classification(
        [
            share(1, seconds=60),
            share(2, seconds=180, downgraded=True),
            share(3, seconds=600, to=("GBR", "CAN"), classification="confidential"),
        ]
    )
    assert [(c.classification, c.from_team, c.to_team, c.count, c.downgraded, c.median_minutes) for c in cells] == [
        ("confidential", "USA", "CAN", 1, 0, 10.0),
        ("confidential", "USA", "GBR", 1, 0, 10.0),
        ("secret", "USA", "GBR", 2, 1, 2.0),
    ]


NOON = datetime(2030, 1, 1, 12, tzinfo=UTC)


def burn(team, object_id, name, minutes, inject=4):
    return BurnFacts(team, object_id, name, inject, NOON + t(minutes))


def approach(primary, secondary, screened_minutes):
    return ConjunctionFacts(
        primary, f"SAT-{primary}", secondary, f"SAT-{secondary}", NOON + t(screened_minutes), t(90), 120.0
    )


def test_two_manoeuvres_that_make_a_new_conjunction_are_incompatible():
    burns = [burn("USA", 1, "SAT-1", 20), burn("NZL", 2, "SAT-2", 30)]
    conflicts = coalition.manoeuvre_conflicts(
        burns, [approach(1, 2, 25), approach(1, 2, 30), approach(1, 2, 40), approach(1, 3, 40)]
    )
    # Screened at 25 only SAT-1 had burned; at 30 both: one conflict, the first screening that shows it.
    assert len(conflicts) == 1
    conflict = conflicts[0]
    assert (conflict.primary, conflict.secondary, conflict.teams, conflict.injects) == (
        "SAT-1",
        "SAT-2",
        ("NZL", "USA"),
        frozenset({4}),
    )


def test_coordination_is_compatible_when_the_final_actions_agree_and_no_manoeuvres_conflict():
    decision = DecisionInject(4, 4, "Manoeuvre decision", "conjunction", t(15), ("USA", "NZL"), ("Burn", "Hold"))
    agreed = [a("USA", 16, ACCIDENT, "Burn"), a("NZL", 17, ACCIDENT, "Hold"), a("NZL", 19, ACCIDENT, "Burn")]
    row = coalition.coordination(decision, agreed, [])
    assert row.actions == {"USA": "Burn", "NZL": "Burn"} and row.actions_agree and row.compatible
    conflict = coalition.manoeuvre_conflicts(
        [burn("USA", 1, "SAT-1", 20), burn("NZL", 2, "SAT-2", 21)], [approach(1, 2, 22)]
    )
    assert coalition.coordination(decision, agreed, conflict).compatible is False
    alone = coalition.coordination(decision, [a("USA", 16, ACCIDENT, "Burn")], [])
    assert alone.actions_agree is None and alone.compatible is None


def test_icd_203_scale_runs_in_seven_steps_from_almost_no_chance_to_almost_certain():
    assert [label for label, _, _ in coalition.CONFIDENCE.values()] == [
        "almost no chance",
        "very unlikely",
        "unlikely",
        "roughly even chance",
        "likely",
        "very likely",
        "almost certain",
    ]
    assert coalition.CONFIDENCE["roughly_even_chance"][1:] == (45, 55)


# The selector: the real database, a fixed number of queries whatever the exercise's size.


def _assess(personas, inject, team_player, cause, at_text):
    participant = personas.exercise.participants.get(user=team_player)
    participant.exercise = personas.exercise.__class__.objects.get(pk=personas.exercise.pk)
    return submit_response(
        participant=participant,
        inject=inject,
        kind=Response.Kind.ASSESSMENT,
        text=at_text,
        protocol_steps=inject.protocol_steps.filter(code="ASAT-1"),
        assessment={"assessed_cause": cause, "confidence": "likely", "course_of_action": "Condemn"},
    )


def _decision_inject(personas):
    inject = personas.exercise.injects.get(sequence=3)  # the ASAT test, to all teams
    inject.decision_bearing, inject.course_of_action_options = True, ["Condemn", "Wait"]
    inject.save()
    release_inject(inject=inject, by=personas.facilitator)
    return personas.exercise.injects.get(pk=inject.pk)


def test_load_reads_the_assessments_of_a_real_exercise(running, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        inject = _decision_inject(running)
        _assess(running, inject, running.usa_player, "hostile_act", "Hostile.")
        _assess(running, inject, running.gbr_player, "unknown", "Not sure.")
    report = coalition.coalition_report(running.exercise)
    (item,) = report.injects
    assert item.inject.teams == ("USA", "GBR", "CAN")
    assert [(team, assessment.cause if assessment else None) for team, assessment in item.current] == [
        ("USA", "hostile_act"),
        ("GBR", "unknown"),
        ("CAN", None),
    ]
    assert item.consensus.silent == ["CAN"] and item.divergence[-1].cause_disagreement == 1.0
    assert item.divergence[-1].steps_distance == 0.0  # both claimed ASAT-1


def test_the_metrics_queries_do_not_grow_with_the_exercise(
    running, django_capture_on_commit_callbacks, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with django_capture_on_commit_callbacks(execute=True):
        inject = _decision_inject(running)
        _assess(running, inject, running.usa_player, "hostile_act", "Hostile.")
    with CaptureQueriesContext(connection) as small:
        coalition.coalition_report(running.exercise)
    with django_capture_on_commit_callbacks(execute=True):
        for sequence, player in ((1, running.usa_player), (2, running.gbr_player)):  # two more decision injects
            more = running.exercise.injects.get(sequence=sequence)
            more.decision_bearing, more.course_of_action_options = True, ["Condemn"]
            more.save()
            release_inject(inject=more, by=running.facilitator)
            _assess(running, running.exercise.injects.get(pk=more.pk), player, "accident", "Accident.")
        for n in range(4):  # and more versions of the assessments of the first
            _assess(running, inject, running.gbr_player, "unknown", f"Revision {n}.")
            _assess(running, inject, running.usa_player, "accident", f"Revision {n}.")
    with django_assert_num_queries(len(small.captured_queries)):
        report = coalition.coalition_report(running.exercise)
    assert len(report.injects) == 3
    assert sum(len(item.divergence) for item in report.injects) == 9 + 1 + 1


# The report, the CSV zip and the JSON archive carry the metrics (a rehearsal of the default scenario).


@pytest.fixture
def rehearsed(library):
    from exercises.models import Scenario
    from exercises.services.rehearsal import simulate_exercise

    return simulate_exercise(scenario=Scenario.objects.get(name="Operation Clear Orbit"), teams=None, seed=3)


def test_the_report_the_csv_zip_and_the_archive_carry_the_coalition_tables(rehearsed):
    import csv
    import io
    import json
    import zipfile

    from exercises.reports.exports import export

    report = coalition.coalition_report(rehearsed)
    html = export(rehearsed, "html").decode()
    assert "Coalition: common picture and coordinated response" in html
    for item in report.injects:
        sentence = render_to_string("exercises/_coalition.html#narrative", {"item": item}).strip()
        assert sentence in html
    section = html[html.index("<h2>Coalition: common picture and coordinated response</h2>") :]
    section = section[: section.index("<h2", 4)]
    assert section.count("<svg") == 3  # consensus timeline, divergence, sharing latency
    with zipfile.ZipFile(io.BytesIO(export(rehearsed, "csv"))) as files:
        rows = list(csv.DictReader(io.StringIO(files.read("coalition_consensus.csv").decode())))
        barriers = list(csv.DictReader(io.StringIO(files.read("coalition_sharing_barriers.csv").decode())))
    assert [int(row["inject"]) for row in rows] == [item.inject.sequence for item in report.injects]
    reached = {item.inject.sequence: item.consensus for item in report.injects}
    for row in rows:
        result = reached[int(row["inject"])]
        expected = "" if result.time_to_consensus is None else f"{result.time_to_consensus.total_seconds() / 60:.1f}"
        assert row["minutes_to_consensus"] == expected
        assert row["held_out_longest"] == " ".join(result.holdouts)
    assert [int(row["inject"]) for row in barriers] == [row.inject.sequence for row in report.barriers]
    archive = json.loads(export(rehearsed, "json"))
    assert [row["inject"] for row in archive["metrics"]["coalition"]["consensus"]] == [
        item.inject.sequence for item in report.injects
    ]


def sentence_of(inject, assessments) -> str:
    result = coalition.consensus(inject, assessments)
    item = coalition.InjectCoalition(inject, [], result, [], None, coalition.narrative(inject, assessments, result))
    return render_to_string("exercises/_coalition.html#narrative", {"item": item}).strip()


def test_the_narrative_of_one_nation_and_of_nations_that_all_stayed_silent():
    alone = DecisionInject(16, 16, "ADLER-5 tumbling", "malfunction", t(85), ("DEU",), ("Safe-mode",))
    assert sentence_of(alone, [a("DEU", 90, "malfunction", "Safe-mode")]) == (
        "DEU assessed a malfunction and recommended “Safe-mode” at T+01:30:00."
    )
    pair = DecisionInject(15, 15, "Intrusion", "cyber", t(78), ("AUS", "NZL"), ("Isolate",))
    assert sentence_of(pair, []) == "No consensus: AUS and NZL never answered."


def test_the_charts_of_an_exercise_with_no_decision_released_draw_without_a_warning(running):
    import warnings

    from exercises.reports import coalition_charts

    report = coalition.coalition_report(running.exercise)
    assert report.injects == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "identical low and high ylims" was one
        charts = coalition_charts.render_all(report)
    assert set(charts) == {"coalition_divergence", "coalition_consensus", "coalition_sharing"}
    assert b"No decision-bearing inject released yet" in charts["coalition_consensus"]


def test_chart_labels_cut_a_long_title_with_an_ellipsis_and_dark_cells_get_white_figures(rehearsed):
    from exercises.reports import coalition_charts

    report = coalition.coalition_report(rehearsed)
    charts = coalition_charts.render_all(report)
    long = next(item.inject for item in report.injects if len(item.inject.title) > 28)
    assert f"{long.sequence}. {long.title[:27].rstrip()}…".encode() in charts["coalition_consensus"]
    assert b"fill: #ffffff" in charts["coalition_sharing"]  # the slowest shares' figures
