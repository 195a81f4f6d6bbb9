"""The facilitator's live tools, through the HTTP paths the console uses, and what players see of them."""

from datetime import timedelta

import pytest
from django.urls import reverse

from exercises import realtime
from exercises.models import Acknowledgement, AuditEvent, Inject, Message, Release
from exercises.selectors import delivery_matrix, delivery_row, protocol_coverage
from exercises.services import Conflict
from exercises.services.acknowledgements import acknowledge
from exercises.services.clock import jump_to
from exercises.services.releases import release_inject
from exercises.services.responses import submit_response
from tests.test_access import PERSONAS, check, login_as

HX = {"HX-Request": "true"}


def url(name, personas, *args):
    return reverse(name, args=[personas.exercise.pk, *args])


# Who may use each control: only this exercise's facilitator.
FACILITATOR_ONLY = {
    "facilitator": 204,
    "evaluator": 403,
    "usa_player": 403,
    "gbr_player": 403,
    "other_facilitator": 404,
    "other_player": 404,
    "no_role": 404,
    "anonymous": "login",
}


def control_requests(personas):
    inject = personas.gbr_only
    return {
        "clock-speed": (url("clock-speed", personas), {"speed": "10"}),
        "clock-jump": (url("clock-jump", personas), {"exercise_time": "T+00:03"}),
        "hold-inject": (url("hold-inject", personas, inject.pk), {"held": "1"}),
        "delay-inject": (url("delay-inject", personas, inject.pk), {"minutes": "5"}),
        "compose-inject": (
            url("compose-inject", personas),
            {"kind": "press", "title": "Press", "text": "A question.", "addressed_to_all": "on"},
        ),
    }


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize("name", ["clock-speed", "clock-jump", "hold-inject", "delay-inject", "compose-inject"])
def test_controls_by_persona(client, running, who, name):
    login_as(client, running, who)
    path, data = control_requests(running)[name]
    reply = client.post(path, data, headers=HX)
    check(reply, FACILITATOR_ONLY[who])
    journaled = AuditEvent.objects.filter(
        kind__in=["exercise.speed", "exercise.jump", "inject.held", "inject.delayed", "inject.composed"]
    )
    assert journaled.exists() == (who == "facilitator")


@pytest.mark.parametrize("who", PERSONAS)
def test_edit_page_by_persona(client, running, who):
    login_as(client, running, who)
    expected = {**FACILITATOR_ONLY, "facilitator": 200}
    check(client.get(url("edit-inject", running, running.gbr_only.pk)), expected[who])


@pytest.mark.parametrize("who", PERSONAS)
def test_delivery_matrix_by_persona(client, running, who):
    login_as(client, running, who)
    expected = {**FACILITATOR_ONLY, "facilitator": 200, "evaluator": 200}
    check(client.get(url("delivery", running)), expected[who])


def test_bad_control_input_gets_a_clear_message_and_changes_nothing(client, running):
    client.force_login(running.facilitator)
    for name, data, message in [
        ("clock-speed", {"speed": "100"}, "between 1× and 60×"),
        ("clock-jump", {"exercise_time": "soon"}, "is not a scenario time"),
        ("delay-inject", {"minutes": "0"}, "at least 1 minute"),
        ("compose-inject", {"kind": "press", "title": "t", "text": "x"}, "Choose the teams"),
    ]:
        path = control_requests(running)[name][0]
        reply = client.post(path, data, headers=HX)
        assert reply.status_code == 400, name
        assert message in reply.content.decode(), name
    assert not AuditEvent.objects.filter(kind__in=["exercise.speed", "exercise.jump", "inject.delayed"]).exists()
    assert Inject.objects.filter(exercise=running.exercise).count() == 3


def test_a_released_inject_can_no_longer_be_edited_held_or_delayed(client, running):
    release_inject(inject=running.usa_only, by=running.facilitator)
    client.force_login(running.facilitator)
    for name, data in [("hold-inject", {"held": "1"}), ("delay-inject", {"minutes": "5"})]:
        reply = client.post(reverse(name, args=[running.exercise.pk, running.usa_only.pk]), data, headers=HX)
        assert reply.status_code == 409 and "already released" in reply.content.decode()


def test_editing_before_release_changes_the_copy_and_journals_the_old_text(client, running):
    client.force_login(running.facilitator)
    inject = running.gbr_only
    reply = client.post(
        url("edit-inject", running, inject.pk),
        {
            "kind": "intelligence",
            "title": "Revised UK intelligence",
            "text": "New text.",
            "offset": "T+00:12",
            "teams": ["GBR", "CAN"],
            "originator": "UKSpOC",
            "delivery_method": "email",
            "expected_action": "Share.",
            "protocol_steps": ["INFO-1"],
        },
    )
    assert reply.status_code == 302
    inject.refresh_from_db()
    assert (inject.title, inject.offset) == ("Revised UK intelligence", timedelta(minutes=12))
    assert sorted(inject.teams.values_list("code", flat=True)) == ["CAN", "GBR"]
    event = AuditEvent.objects.get(kind="inject.edited")
    assert event.payload["before"]["title"] == "UK-only intelligence on the debris field"
    assert running.exercise.scenario.injects.get(sequence=2).title == "UK-only intelligence on the debris field"


def test_an_edit_with_no_team_is_refused_beside_the_field(client, running):
    client.force_login(running.facilitator)
    reply = client.post(
        url("edit-inject", running, running.gbr_only.pk),
        {"kind": "intelligence", "title": "x", "text": "y", "offset": "T+00:12", "delivery_method": "email"},
    )
    assert reply.status_code == 400
    assert "Choose the teams" in reply.content.decode()


def test_an_ad_hoc_inject_is_released_at_once_to_the_chosen_teams(
    client, running, listen, django_capture_on_commit_callbacks
):
    can = listen(realtime.team_group(running.exercise.pk, "CAN"))
    usa = listen(realtime.team_group(running.exercise.pk, "USA"))
    client.force_login(running.facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url("compose-inject", running),
            {"kind": "diplomatic", "title": "Démarche", "text": "Note verbale.", "teams": ["CAN"]},
            headers=HX,
        )
    inject = Inject.objects.get(title="Démarche")
    assert list(Release.objects.filter(inject=inject).values_list("team_id", flat=True)) == ["CAN"]
    assert "Démarche" in can.messages()[0]["html"]
    assert usa.messages(timeout=0.2) == []


# Acknowledgements ------------------------------------------------------------------------


def test_a_player_acknowledges_once_and_the_team_sees_it(client, running):
    release_inject(inject=running.usa_only, by=running.facilitator)
    client.force_login(running.usa_player)
    path = url("acknowledge-inject", running, running.usa_only.pk)
    reply = client.post(path, headers=HX)
    assert reply.status_code == 200 and "Acknowledged by" in reply.content.decode()
    assert client.post(path, headers=HX).status_code == 409
    assert Acknowledgement.objects.count() == 1
    assert "Acknowledged by" in client.get(reverse("team", args=[running.exercise.pk])).content.decode()


def test_a_player_cannot_acknowledge_another_teams_inject(client, running):
    release_inject(inject=running.usa_only, by=running.facilitator)
    client.force_login(running.gbr_player)
    assert client.post(url("acknowledge-inject", running, running.usa_only.pk)).status_code == 404
    assert not Acknowledgement.objects.exists()


# Messages --------------------------------------------------------------------------------


def test_control_writes_to_one_team_and_only_that_team_gets_it(
    client, running, listen, django_capture_on_commit_callbacks
):
    gbr = listen(realtime.team_group(running.exercise.pk, "GBR"))
    usa = listen(realtime.team_group(running.exercise.pk, "USA"))
    client.force_login(running.facilitator)
    with django_capture_on_commit_callbacks(execute=True):
        reply = client.post(url("send-message", running), {"to": "GBR", "text": "GBR only."}, headers=HX)
    assert reply.status_code == 200
    assert "GBR only." in gbr.messages()[0]["html"]
    assert usa.messages(timeout=0.2) == []
    client.force_login(running.usa_player)
    assert "GBR only." not in client.get(reverse("team", args=[running.exercise.pk])).content.decode()


def test_a_broadcast_reaches_every_team_and_a_team_writes_to_control(client, running):
    client.force_login(running.facilitator)
    client.post(url("send-message", running), {"to": "", "text": "All teams: ENDEX at T+02:00."}, headers=HX)
    client.force_login(running.usa_player)
    client.post(url("send-message", running), {"text": "USA to control.", "to": "GBR"}, headers=HX)
    usa_message = Message.objects.get(text="USA to control.")
    assert (usa_message.from_team_id, usa_message.to_team_id) == ("USA", None), "a team writes only to control"
    client.force_login(running.gbr_player)
    page = client.get(reverse("team", args=[running.exercise.pk])).content.decode()
    assert "ENDEX at T+02:00" in page and "USA to control." not in page


@pytest.mark.parametrize("who, status", [("evaluator", 403), ("other_player", 404), ("no_role", 404)])
def test_who_may_not_send_messages(client, running, who, status):
    login_as(client, running, who)
    assert client.post(url("send-message", running), {"text": "hi"}).status_code == status
    assert not Message.objects.exists()


def test_an_empty_message_is_refused_with_a_message(client, running):
    client.force_login(running.usa_player)
    reply = client.post(url("send-message", running), {"text": " "}, headers=HX)
    assert reply.status_code == 400 and "Write the message" in reply.content.decode()


# The delivery matrix and coverage ------------------------------------------------------------


def test_the_matrix_shows_delivered_acknowledged_responded_late(running):
    exercise = running.exercise
    release_inject(inject=running.usa_only, by=running.facilitator)  # steps CONJ-1 (expected soonest) and CONJ-2
    release_inject(inject=running.to_all, by=running.facilitator)
    usa = exercise.participants.get(team_id="USA")
    gbr = exercise.participants.get(team_id="GBR")
    acknowledge(participant=gbr, inject=running.to_all, by=running.gbr_player)
    submit_response(participant=usa, inject=running.usa_only, kind="action", text="Assessed", protocol_steps=[])
    teams, rows = delivery_matrix(exercise)
    states = {
        row.inject.sequence: {team.code: cell.state for team, cell in zip(teams, row.cells, strict=True)}
        for row in rows
    }
    assert states[1] == {"USA": "responded", "GBR": "not_delivered", "CAN": "not_delivered"}
    assert states[3] == {"USA": "delivered", "GBR": "acknowledged", "CAN": "delivered"}
    window = min(running.to_all.protocol_steps.values_list("expected_minutes", flat=True))
    exercise = jump_to(exercise=exercise, exercise_time=timedelta(minutes=window + 1), by=running.facilitator)
    teams, rows = delivery_matrix(exercise)
    late = {team.code: cell.state for team, cell in zip(teams, rows[1].cells, strict=True)}
    assert late == {"USA": "late", "GBR": "late", "CAN": "late"}


def test_coverage_counts_claimed_steps_against_those_expected(running):
    release_inject(inject=running.usa_only, by=running.facilitator)
    usa = running.exercise.participants.get(team_id="USA")
    submit_response(
        participant=usa,
        inject=running.usa_only,
        kind="action",
        text="Notified",
        protocol_steps=running.usa_only.protocol_steps.filter(code="CONJ-2"),
    )
    coverage = {row.team.code: row for row in protocol_coverage(running.exercise)}
    assert (coverage["USA"].claimed, coverage["USA"].expected, coverage["USA"].percent) == (
        ["CONJ-2"],
        ["CONJ-1", "CONJ-2"],
        50,
    )
    assert coverage["GBR"].expected == []


def test_an_ended_exercise_refuses_ad_hoc_injects(running):
    from exercises.services.clock import change_status
    from exercises.services.injects import compose_adhoc

    exercise = change_status(exercise=running.exercise, action="end", by=running.facilitator)
    with pytest.raises(Conflict):
        compose_adhoc(
            exercise=exercise,
            by=running.facilitator,
            kind="press",
            title="t",
            text="x",
            teams=[],
            addressed_to_all=True,
        )


def test_the_row_of_one_inject_is_its_row_of_the_matrix(running):
    exercise = running.exercise
    release_inject(inject=running.usa_only, by=running.facilitator)
    release_inject(inject=running.to_all, by=running.facilitator)
    acknowledge(participant=exercise.participants.get(team_id="GBR"), inject=running.to_all, by=running.gbr_player)
    usa = exercise.participants.get(team_id="USA")
    submit_response(participant=usa, inject=running.usa_only, kind="action", text="Assessed", protocol_steps=[])
    teams, rows = delivery_matrix(exercise)
    for row in rows:
        row_teams, alone = delivery_row(exercise, row.inject.pk)
        assert row_teams == teams
        assert (alone.inject.pk, alone.cells) == (row.inject.pk, row.cells)
    assert delivery_row(exercise, running.gbr_only.pk)[1] is None, "not released: no row"


def test_an_acknowledgement_pushes_its_injects_row_to_staff_not_the_whole_matrix(
    running, listen, django_capture_on_commit_callbacks
):
    exercise = running.exercise
    with django_capture_on_commit_callbacks(execute=True):
        release_inject(inject=running.to_all, by=running.facilitator)
    staff = listen(*realtime.staff_groups(exercise.pk))
    with django_capture_on_commit_callbacks(execute=True):
        acknowledge(participant=exercise.participants.get(team_id="GBR"), inject=running.to_all, by=running.gbr_player)
    pushed = [message["html"] for message in staff.messages()]
    assert len(pushed) == 2, "one to facilitators, one to evaluators"
    for html in pushed:
        assert html.strip().startswith(f'<tr id="delivery-row-{running.to_all.pk}" hx-swap-oob="outerHTML">')
        assert html.count('class="cell acknowledged"') == 1 and html.count('class="cell delivered"') == 2
        assert 'id="delivery"' not in html and 'id="coverage"' not in html


def test_the_console_shows_the_empty_matrix_and_then_each_released_row_in_order(client, running):
    client.force_login(running.facilitator)
    page = client.get(reverse("console", args=[running.exercise.pk])).content.decode()
    assert "Nothing released yet." in page and 'id="delivery-rows"' in page
    release_inject(inject=running.to_all, by=running.facilitator)
    release_inject(inject=running.usa_only, by=running.facilitator)
    matrix = client.get(url("delivery", running), headers=HX).content.decode()
    assert matrix.index(f'id="delivery-row-{running.to_all.pk}"') < matrix.index(
        f'id="delivery-row-{running.usa_only.pk}"'
    ), "in order of release"
