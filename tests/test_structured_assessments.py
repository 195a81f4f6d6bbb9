"""Structured assessments of decision-bearing injects: the response form, revisions, who may give them."""

import pytest
from django.test import Client
from django.urls import reverse

from exercises import realtime
from exercises.models import AuditEvent, Response
from exercises.services import ServiceError
from exercises.services.releases import release_inject
from exercises.services.responses import submit_response

OPTIONS = ["Joint public condemnation", "Monitor and say nothing yet"]


@pytest.fixture
def decision(running, django_capture_on_commit_callbacks):
    """The ASAT test (to all teams) decision-bearing, and released; the USA-only conjunction released too."""
    inject = running.exercise.injects.get(sequence=3)
    inject.decision_bearing, inject.course_of_action_options = True, OPTIONS
    inject.save()
    with django_capture_on_commit_callbacks(execute=True):
        release_inject(inject=inject, by=running.facilitator)
        release_inject(inject=running.exercise.injects.get(sequence=1), by=running.facilitator)
    running.asat = running.exercise.injects.get(pk=inject.pk)
    return running


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def respond_url(personas, inject):
    return reverse("respond", args=[personas.exercise.pk, inject.pk])


ASSESSED = {
    "kind": "assessment",
    "text": "A KARSLAND direct-ascent test.",
    "assessed_cause": "hostile_act",
    "attributed_actor": "KARSLAND",
    "confidence": "very_likely",
    "course_of_action": "Joint public condemnation",
}


def test_the_form_of_a_decision_bearing_inject_asks_for_cause_confidence_and_course_of_action(decision):
    page = client_for(decision.usa_player).get(respond_url(decision, decision.asat)).content.decode()
    assert 'name="assessed_cause"' in page and 'name="confidence"' in page
    assert "roughly even chance (45–55 %)" in page
    assert "Joint public condemnation" in page and 'value="other"' in page
    assert "natural (space weather)" not in page, "an ASAT test's causes are hostile act, accident, unknown"
    other = client_for(decision.usa_player).get(respond_url(decision, decision.exercise.injects.get(sequence=1)))
    assert 'name="assessed_cause"' not in other.content.decode()


def test_a_player_records_an_assessment_with_its_response(decision, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer = client_for(decision.usa_player).post(respond_url(decision, decision.asat), ASSESSED)
    assert answer.status_code == 302
    response = Response.objects.get()
    assert (response.assessed_cause, response.attributed_actor, response.confidence, response.course_of_action) == (
        "hostile_act",
        "KARSLAND",
        "very_likely",
        "Joint public condemnation",
    )
    event = AuditEvent.objects.get(kind="response.submitted")
    assert event.payload["assessment"]["assessed_cause"] == "hostile_act"
    team_page = client_for(decision.usa_player).get(reverse("team", args=[decision.exercise.pk])).content.decode()
    assert "Assessment: <strong>hostile act</strong> by KARSLAND, very likely" in team_page


def test_an_incomplete_assessment_is_refused_naming_the_missing_field_and_nothing_is_stored(decision):
    data = {**ASSESSED, "confidence": ""}
    answer = client_for(decision.usa_player).post(respond_url(decision, decision.asat), data, HTTP_HX_REQUEST="true")
    assert answer.status_code == 400
    assert "Choose your confidence." in answer.content.decode()
    assert not Response.objects.exists()


def test_a_cause_outside_the_inject_kinds_list_and_a_bare_other_are_refused(decision):
    client = client_for(decision.usa_player)
    wrong = client.post(respond_url(decision, decision.asat), {**ASSESSED, "assessed_cause": "natural"})
    assert wrong.status_code == 400 and "Assessed cause: choose one of the causes" in wrong.content.decode()
    bare = client.post(respond_url(decision, decision.asat), {**ASSESSED, "course_of_action": "other"})
    assert bare.status_code == 400 and "Describe the other course of action" in bare.content.decode()
    assert not Response.objects.exists()


def test_the_service_refuses_an_assessment_of_an_inject_that_asks_for_none(decision):
    participant = decision.exercise.participants.get(user=decision.usa_player)
    with pytest.raises(ServiceError, match="Only a decision-bearing inject"):
        submit_response(
            participant=participant,
            inject=decision.exercise.injects.get(sequence=1),
            kind="assessment",
            text="x",
            protocol_steps=[],
            assessment={"assessed_cause": "accident", "confidence": "likely", "course_of_action": "x"},
        )
    with pytest.raises(ServiceError, match="Course of action"):
        submit_response(
            participant=participant,
            inject=decision.asat,
            kind="assessment",
            text="x",
            protocol_steps=[],
            assessment={"assessed_cause": "accident", "confidence": "likely", "course_of_action": "Invade"},
        )
    assert not Response.objects.exists()


def test_a_revision_is_a_new_version_that_becomes_the_teams_current_assessment(
    decision, django_capture_on_commit_callbacks
):
    from exercises import coalition

    client = client_for(decision.usa_player)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(respond_url(decision, decision.asat), ASSESSED)
    first = Response.objects.get()
    amend_url = reverse("amend-response", args=[decision.exercise.pk, first.pk])
    form = client.get(amend_url).content.decode()
    assert '<option value="hostile_act" selected>' in form
    revised = {
        **ASSESSED,
        "text": "On reflection: a failed test.",
        "assessed_cause": "accident",
        "confidence": "unlikely",
        "course_of_action": "other",
        "course_of_action_other": "Ask KARSLAND for its telemetry",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(amend_url, revised).status_code == 302
    second = Response.objects.exclude(pk=first.pk).get()
    assert (second.version, second.amends_id, second.assessed_cause) == (2, first.pk, "accident")
    first.refresh_from_db()
    assert first.assessed_cause == "hostile_act", "the first version stays as it was"
    (item,) = coalition.coalition_report(decision.exercise).injects
    current = dict(item.current)["USA"]
    assert (current.cause, current.action_label) == ("accident", "other: Ask KARSLAND for its telemetry")
    assert len(item.divergence) == 2  # one moment per version


def test_staff_cannot_assess_and_a_player_cannot_revise_another_teams_assessment(
    decision, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(decision.usa_player).post(respond_url(decision, decision.asat), ASSESSED)
    usa_response = Response.objects.get()
    assert client_for(decision.facilitator).post(respond_url(decision, decision.asat), ASSESSED).status_code == 403
    assert client_for(decision.evaluator).post(respond_url(decision, decision.asat), ASSESSED).status_code == 403
    gbr_amend = client_for(decision.gbr_player).post(
        reverse("amend-response", args=[decision.exercise.pk, usa_response.pk]), ASSESSED
    )
    assert gbr_amend.status_code == 404
    assert Response.objects.count() == 1


def test_an_assessment_pushes_the_coalition_panel_to_staff_only_after_commit(
    decision, listen, django_capture_on_commit_callbacks
):
    staff = listen(*realtime.staff_groups(decision.exercise.pk))
    gbr = listen(realtime.team_group(decision.exercise.pk, "GBR"))
    participant = decision.exercise.participants.get(user=decision.usa_player)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submit_response(
            participant=participant,
            inject=decision.asat,
            kind="assessment",
            text="Hostile.",
            protocol_steps=[],
            assessment={"assessed_cause": "hostile_act", "confidence": "likely", "course_of_action": OPTIONS[0]},
        )
    assert staff.messages(timeout=0.2) == []
    for callback in callbacks:
        callback()
    panels = [m["html"] for m in staff.messages() if 'id="coalition-panel"' in m["html"]]
    assert len(panels) == 2, "to facilitators and to evaluators"
    assert "hostile act" in panels[0] and "no assessment yet" in panels[0]  # GBR and CAN have not answered
    assert not any('id="coalition-panel"' in m["html"] for m in gbr.messages(timeout=0.2))


# Authoring: the MSEL editor and the scenario JSON mark an inject decision-bearing, with its options.


def test_the_msel_editor_marks_an_inject_decision_bearing_with_its_options(personas):
    from exercises.models import Scenario
    from tests.test_scenario_authoring import HX, inject_data

    alpha = Scenario.objects.get(name="Alpha scenario")
    inject = alpha.injects.get(sequence=3)
    client = client_for(personas.facilitator)
    url = reverse("scenario-inject-edit", args=[alpha.pk, inject.pk])
    form = client.get(url, headers=HX).content.decode()
    assert 'name="decision_bearing"' in form and 'name="course_of_action_options"' in form
    data = inject_data(
        sequence=3, kind="asat", decision_bearing="on", course_of_action_options="Condemn\n  Wait and see \n\nCondemn"
    )
    assert client.post(url, data, headers=HX).status_code == 200
    inject.refresh_from_db()
    assert inject.decision_bearing and inject.course_of_action_options == ["Condemn", "Wait and see"]
    refused = client.post(url, inject_data(sequence=3, course_of_action_options="Condemn"), headers=HX)
    assert "Courses of action go with a decision-bearing inject" in refused.content.decode()
    inject.refresh_from_db()
    assert inject.decision_bearing, "nothing changed"


def test_the_scenario_json_refuses_options_that_are_not_a_list_of_short_phrases(library):
    from exercises.services import scenarios

    row = {"sequence": 1, "offset": "T+00:05", "kind": "asat", "title": "T", "text": "x", "decision_bearing": True}
    _, problems = scenarios.clean_msel_row({**row, "course_of_action_options": [1, 2]}, set())
    assert ("course_of_action_options", "must be a list of short phrases") in problems
    _, problems = scenarios.clean_msel_row({**row, "course_of_action_options": ["Other"]}, set())
    assert ("course_of_action_options", "'other' is always offered; leave it out") in problems
    _, problems = scenarios.clean_msel_row({**row, "decision_bearing": "yes"}, set())
    assert ("decision_bearing", "must be true or false") in problems
    values, problems = scenarios.clean_msel_row({**row, "course_of_action_options": ["Condemn", "Wait"]}, set())
    assert problems == [] and values["course_of_action_options"] == ["Condemn", "Wait"]
