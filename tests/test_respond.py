"""Team responses: recorded against protocol steps, immutable, visible to the team and control only."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from exercises import fragments, realtime
from exercises.models import AuditEvent, ProtocolStep, Response
from exercises.services import Conflict, ServiceError
from exercises.services.releases import release_inject
from exercises.services.responses import submit_response


@pytest.fixture
def released(running, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for inject in (running.usa_only, running.gbr_only, running.to_all):
            release_inject(inject=inject, by=running.facilitator)
    return running


def usa(personas):
    return personas.exercise.participants.get(user=personas.usa_player)


def respond_url(personas, inject):
    return reverse("respond", args=[personas.exercise.pk, inject.pk])


def test_a_response_is_recorded_with_its_steps_and_an_audit_event(released, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = submit_response(
            participant=usa(released),
            inject=released.usa_only,
            kind="decision",
            text="Manoeuvre at 14:20Z.",
            protocol_steps=ProtocolStep.objects.filter(code="CONJ-1"),
        )
    assert response.team_id == "USA"
    assert list(response.protocol_steps.values_list("code", flat=True)) == ["CONJ-1"]
    event = AuditEvent.objects.get(kind="response.submitted")
    assert event.payload["protocol_steps"] == ["CONJ-1"]
    assert event.payload["text"] == "Manoeuvre at 14:20Z."


def test_the_response_reaches_the_team_and_control_after_commit_but_not_other_teams(
    released, listen, django_capture_on_commit_callbacks
):
    exercise = released.exercise
    usa_group = listen(realtime.team_group(exercise.pk, "USA"))
    gbr_group = listen(realtime.team_group(exercise.pk, "GBR"))
    control = listen(*realtime.staff_groups(exercise.pk))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submit_response(
            participant=usa(released),
            inject=released.usa_only,
            kind="action",
            text="Notified CSPOC.",
            protocol_steps=[],
        )
    assert control.messages(timeout=0.2) == []
    for callback in callbacks:
        callback()
    assert "Notified CSPOC." in usa_group.messages()[0]["html"]
    to_control = [m["html"] for m in control.messages()]
    assert sum("Notified CSPOC." in html for html in to_control) == 2  # facilitators and evaluators
    assert len(to_control) == 6, "and the inject's row of the delivery matrix and the coverage to each"
    assert gbr_group.messages(timeout=0.2) == []


def test_claiming_a_step_not_linked_to_the_inject_is_refused(released):
    with pytest.raises(ServiceError, match="linked to the inject"):
        submit_response(
            participant=usa(released),
            inject=released.usa_only,
            kind="action",
            text="x",
            protocol_steps=ProtocolStep.objects.filter(code="ASAT-1"),
        )
    assert not Response.objects.exists()


def test_a_response_is_immutable_and_an_amendment_is_a_new_linked_version(released):
    first = submit_response(
        participant=usa(released), inject=released.usa_only, kind="assessment", text="Pc 1e-3", protocol_steps=[]
    )
    first.text = "changed"
    with pytest.raises(ValidationError):
        first.save()
    with pytest.raises(ValidationError):
        first.delete()
    second = submit_response(
        participant=usa(released),
        inject=released.usa_only,
        kind="assessment",
        text="Pc revised to 4e-4",
        protocol_steps=[],
        amends=first,
    )
    assert (second.version, second.amends_id) == (2, first.pk)
    with pytest.raises(Conflict, match="already amended"):
        submit_response(
            participant=usa(released),
            inject=released.usa_only,
            kind="assessment",
            text="again",
            protocol_steps=[],
            amends=first,
        )


def test_responses_are_closed_when_the_exercise_has_ended(released):
    from exercises.services.clock import change_status

    change_status(exercise=released.exercise, action="end", by=released.facilitator)
    participant = usa(released)
    participant.exercise.refresh_from_db()
    with pytest.raises(Conflict, match="ended"):
        submit_response(
            participant=participant, inject=released.usa_only, kind="action", text="late", protocol_steps=[]
        )


# Through the HTTP form path -------------------------------------------------------------


def test_the_form_records_a_response_and_shows_it_on_the_team_page(released, client):
    client.force_login(released.usa_player)
    reply = client.post(
        respond_url(released, released.usa_only),
        {"kind": "action", "text": "Shared conjunction data with allies.", "protocol_steps": ["CONJ-2"]},
    )
    assert reply.status_code == 302
    page = client.get(reverse("team", args=[released.exercise.pk]))
    assert "Shared conjunction data with allies." in page.content.decode()


def test_an_htmx_post_returns_a_fresh_form_with_a_confirmation(released, client):
    client.force_login(released.usa_player)
    reply = client.post(
        respond_url(released, released.usa_only), {"kind": "action", "text": "Done."}, headers={"HX-Request": "true"}
    )
    assert reply.status_code == 200
    assert "Response recorded" in reply.content.decode()
    assert Response.objects.get().text == "Done."


def test_opening_respond_fetches_the_form_with_the_injects_steps_and_every_team_to_release_to(released, client):
    client.force_login(released.usa_player)
    reply = client.get(respond_url(released, released.usa_only), headers={"HX-Request": "true"})
    assert reply.status_code == 200
    body = reply.content.decode()
    assert body.lstrip().startswith('<form id="respond-'), "a fragment for the card, not a page"
    assert 'name="protocol_steps" value="CONJ-2"' in body
    for team in released.exercise.teams.all():
        assert f'name="releasable_to" value="{team.code}"' in body
    assert 'value="action" selected' in body, "the same default kind as the form shown after a submission"
    assert not Response.objects.exists()


def test_without_javascript_the_card_links_a_page_with_the_form(released, client):
    client.force_login(released.usa_player)
    team_page = client.get(reverse("team", args=[released.exercise.pk])).content.decode()
    assert f'href="{respond_url(released, released.usa_only)}"' in team_page
    page = client.get(respond_url(released, released.usa_only)).content.decode()
    assert "<html" in page and "Submit response to inject 1" in page and "Back to the team page" in page


def test_another_teams_inject_has_no_form_for_a_player_and_none_for_an_evaluator(released, client):
    client.force_login(released.gbr_player)
    assert client.get(respond_url(released, released.usa_only), headers={"HX-Request": "true"}).status_code == 404
    client.force_login(released.evaluator)
    assert client.get(respond_url(released, released.to_all)).status_code == 403


def test_the_pushed_response_is_the_stored_one_as_a_page_renders_it(
    released, listen, django_capture_on_commit_callbacks
):
    """The push is rendered from the rows just written, without reading them back: it must be exactly what
    the stored response renders to, steps (in protocol order) and REL TO marking included."""
    usa_group = listen(realtime.team_group(released.exercise.pk, "USA"))
    client = Client()
    client.force_login(released.usa_player)
    data = {
        "kind": "assessment",
        "text": "Pc 1e-3.",
        "protocol_steps": ["CONJ-2", "CONJ-1"],
        "classification": "secret",
        "releasability": "rel_to",
        "releasable_to": ["GBR", "CAN"],
    }
    with django_capture_on_commit_callbacks(execute=True):
        reply = client.post(respond_url(released, released.usa_only), data, headers={"HX-Request": "true"})
    assert reply.status_code == 200
    pushed = usa_group.messages()[0]["html"]
    stored = Response.objects.select_related("team", "author", "inject").get()
    assert pushed == fragments.new_response(stored)
    assert pushed.index("<li") < pushed.index("CONJ-1") < pushed.index("CONJ-2")
    assert "EXERCISE SECRET // REL TO CAN, GBR, USA" in pushed
    event = AuditEvent.objects.get(kind="response.submitted")
    assert event.payload["marking"] == "EXERCISE SECRET // REL TO CAN, GBR, USA"
    assert event.payload["protocol_steps"] == ["CONJ-1", "CONJ-2"]


def test_empty_text_is_refused_with_a_message_and_nothing_is_written(released, client):
    client.force_login(released.usa_player)
    reply = client.post(
        respond_url(released, released.usa_only), {"kind": "action", "text": "   "}, headers={"HX-Request": "true"}
    )
    assert reply.status_code == 400
    assert "Write what your team decided" in reply.content.decode()
    assert not Response.objects.exists()


def test_oversized_text_is_refused_naming_the_limit_and_the_text_is_kept(released, client):
    client.force_login(released.usa_player)
    text = "x" * (settings.CONJUNCTION_MAX_TEXT + 1)
    reply = client.post(
        respond_url(released, released.usa_only), {"kind": "action", "text": text}, headers={"HX-Request": "true"}
    )
    body = reply.content.decode()
    assert reply.status_code == 400
    assert f"under {settings.CONJUNCTION_MAX_TEXT} characters" in body
    assert text in body, "what the player typed stays in the form"
    assert not Response.objects.exists()


def test_a_step_from_another_inject_is_refused_by_the_form(released, client):
    client.force_login(released.usa_player)
    reply = client.post(
        respond_url(released, released.usa_only), {"kind": "action", "text": "ok", "protocol_steps": ["ASAT-1"]}
    )
    assert reply.status_code == 400
    assert "not a protocol step of this inject" in reply.content.decode()
    assert not Response.objects.exists()


def test_an_unknown_inject_is_404(released, client):
    client.force_login(released.usa_player)
    assert client.post(reverse("respond", args=[released.exercise.pk, 999999]), {"text": "x"}).status_code == 404


def test_a_player_cannot_respond_to_another_teams_inject(released, client):
    client.force_login(released.gbr_player)
    reply = client.post(respond_url(released, released.usa_only), {"kind": "action", "text": "sneaky"})
    assert reply.status_code == 404
    assert not Response.objects.exists()


def test_an_unreleased_inject_cannot_be_answered(running, client):
    client.force_login(running.usa_player)
    assert client.post(respond_url(running, running.usa_only), {"kind": "action", "text": "early"}).status_code == 404


def test_the_team_comes_from_the_login_never_from_the_form(released, client):
    client.force_login(released.gbr_player)
    client.post(respond_url(released, released.to_all), {"kind": "action", "text": "from GBR", "team": "USA"})
    assert Response.objects.get().team_id == "GBR"


def test_a_post_without_csrf_token_is_refused(released):
    client = Client(enforce_csrf_checks=True)
    client.force_login(released.usa_player)
    reply = client.post(respond_url(released, released.usa_only), {"kind": "action", "text": "no token"})
    assert reply.status_code == 403
    assert not Response.objects.exists()


def test_a_response_updates_the_consoles_delivery_matrix_and_coverage(
    released, listen, django_capture_on_commit_callbacks
):
    control = listen(*realtime.staff_groups(released.exercise.pk))
    with django_capture_on_commit_callbacks(execute=True):
        submit_response(
            participant=usa(released),
            inject=released.usa_only,
            kind="action",
            text="Notified CSPOC.",
            protocol_steps=ProtocolStep.objects.filter(code="CONJ-1"),
        )
    pushed = [m["html"] for m in control.messages()]
    rows = [html for html in pushed if f'id="delivery-row-{released.usa_only.pk}"' in html]
    coverage = [html for html in pushed if 'id="coverage"' in html]
    assert len(rows) == len(coverage) == 2, "one of each to facilitators, one to evaluators"
    assert 'hx-swap-oob="outerHTML"' in rows[0] and 'class="cell responded"' in rows[0]
    assert '<span class="step-code">CONJ-1</span>' in coverage[0]
    assert not any('id="delivery"' in html for html in pushed), "the inject's row, not the whole matrix"
