"""Allied information sharing under releasability markings: who sees what, downgrades, metrics."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from exercises import realtime, selectors
from exercises.models import (
    AuditEvent,
    Inject,
    Participant,
    ProtocolStep,
    Release,
    Response,
    Scenario,
    ScenarioInject,
    SharedAssessment,
    Team,
)
from exercises.services import Conflict, ServiceError
from exercises.services.clock import change_status
from exercises.services.exercises import add_participant, create_exercise
from exercises.services.releases import release_inject
from exercises.services.responses import submit_response
from exercises.services.sharing import acknowledge_assessment, comment_on_assessment, share_assessment
from tests.conftest import make_user

TEAMS = ["USA", "GBR", "DEU", "FRA"]
# marking (releasability, REL TO, addressed to) → the teams that receive it
MARKINGS = {
    "all": ("all", [], None, {"USA", "GBR", "DEU", "FRA"}),
    "fvey": ("fvey", [], None, {"USA", "GBR"}),
    "rel_to": ("rel_to", ["DEU", "FRA"], None, {"DEU", "FRA"}),
    "national": ("national", [], ["DEU"], {"DEU"}),
}


@dataclass
class Allies:
    exercise: object
    facilitator: object
    players: dict
    injects: dict

    def participant(self, code):
        return Participant.objects.select_related("exercise", "team").get(exercise=self.exercise, team_id=code)


@pytest.fixture
def allies_draft(library) -> Allies:
    """Four allies (USA, GBR, DEU, FRA), one inject per marking, the exercise not started yet."""
    scenario = Scenario.objects.create(name="Markings")
    for sequence, (name, (releasability, rel_to, to, _)) in enumerate(MARKINGS.items(), start=1):
        inject = ScenarioInject.objects.create(
            scenario=scenario,
            sequence=sequence,
            offset=timedelta(minutes=sequence),
            kind="intelligence",
            title=f"{name} intelligence",
            text=f"Text marked {name}.",
            addressed_to_all=to is None,
            classification="secret",
            releasability=releasability,
        )
        inject.teams.set(Team.objects.filter(code__in=to or []))
        inject.releasable_to.set(Team.objects.filter(code__in=rel_to))
        inject.protocol_steps.set(ProtocolStep.objects.filter(code__in=["INFO-1", "INFO-2"]))
    exercise = create_exercise(scenario=scenario, name="Allied sharing", teams=Team.objects.filter(code__in=TEAMS))
    facilitator = make_user("control_a")
    add_participant(exercise=exercise, user=facilitator, role="facilitator")
    players = {}
    for code in TEAMS:
        players[code] = make_user(f"{code.lower()}_a")
        add_participant(exercise=exercise, user=players[code], role="player", team=Team.objects.get(code=code))
    injects = {name: exercise.injects.get(sequence=n) for n, name in enumerate(MARKINGS, start=1)}
    return Allies(exercise, facilitator, players, injects)


@pytest.fixture
def allies(allies_draft) -> Allies:
    allies_draft.exercise = change_status(exercise=allies_draft.exercise, action="start", by=allies_draft.facilitator)
    return allies_draft


def release_all(allies):
    for inject in allies.injects.values():
        release_inject(inject=inject, by=allies.facilitator)


@pytest.mark.parametrize("marking", list(MARKINGS))
def test_an_inject_reaches_exactly_the_teams_its_marking_allows_in_rows_and_pushes(
    allies, marking, listen, django_capture_on_commit_callbacks
):
    sockets = {code: listen(realtime.team_group(allies.exercise.pk, code)) for code in TEAMS}
    with django_capture_on_commit_callbacks(execute=True):
        release_inject(inject=allies.injects[marking], by=allies.facilitator)
    expected = MARKINGS[marking][3]
    assert set(Release.objects.filter(inject=allies.injects[marking]).values_list("team_id", flat=True)) == expected
    title = f"{marking} intelligence"
    for code, socket in sockets.items():
        got = any(title in message["html"] for message in socket.messages(timeout=0.2))
        assert got == (code in expected), (marking, code)


@pytest.mark.parametrize("code", TEAMS)
def test_each_team_page_shows_only_what_its_marking_allows_with_the_banner(allies, client, code):
    release_all(allies)
    client.force_login(allies.players[code])
    page = client.get(reverse("team", args=[allies.exercise.pk])).content.decode()
    for marking, (_, _, _, receivers) in MARKINGS.items():
        assert (f"{marking} intelligence" in page) == (code in receivers), (marking, code)
    if code == "DEU":
        assert "EXERCISE SECRET // DEU ONLY" in page
        assert "EXERCISE SECRET // REL TO DEU, FRA" in page
    if code == "USA":
        assert "EXERCISE SECRET // REL TO FVEY" in page


def test_the_one_visibility_rule_covers_injects_responses_and_assessments(allies):
    release_all(allies)
    deu, fra, usa = allies.participant("DEU"), allies.participant("FRA"), allies.participant("USA")
    response = submit_response(
        participant=deu,
        inject=allies.injects["national"],
        kind="assessment",
        text="DEU-only assessment",
        protocol_steps=[],
    )
    assert list(selectors.visible_to(deu, Response.objects.all())) == [response]
    assert not selectors.visible_to(fra, Response.objects.all()).exists()
    assert set(selectors.visible_to(usa, Inject.objects.all()).values_list("title", flat=True)) == {
        "all intelligence",
        "fvey intelligence",
    }
    facilitator = Participant.objects.get(exercise=allies.exercise, user=allies.facilitator)
    assert selectors.visible_to(facilitator, Inject.objects.all()).count() == 4


# Sharing -------------------------------------------------------------------------------------


def share(allies, code, source, recipients, **marking):
    return share_assessment(
        participant=allies.participant(code),
        source=source,
        title=marking.pop("title", "DEU assessment"),
        text="Assessment text.",
        recipients=Team.objects.filter(code__in=recipients),
        classification=marking.pop("classification", "secret"),
        releasability=marking.pop("releasability", "rel_to"),
        releasable_to=Team.objects.filter(code__in=marking.pop("releasable_to", recipients)),
        **marking,
    )


def test_sharing_beyond_the_sources_marking_is_refused_without_a_downgrade(allies):
    release_all(allies)
    with pytest.raises(ServiceError, match="Downgrade needed: sharing with FRA, GBR goes beyond"):
        share(allies, "DEU", allies.injects["national"], ["FRA", "GBR"])
    assert not SharedAssessment.objects.exists()
    assert not AuditEvent.objects.filter(kind="assessment.shared").exists()


def test_a_recorded_downgrade_lets_it_through_and_is_audited(allies):
    release_all(allies)
    assessment = share(
        allies,
        "DEU",
        allies.injects["national"],
        ["FRA", "GBR"],
        classification="confidential",
        downgrade_reason="Allies need the debris warning",
        downgrade_removed="Sensor names and sources",
    )
    assert assessment.downgraded
    event = AuditEvent.objects.get(kind="assessment.shared")
    assert event.payload["downgrade"] == {
        "by": "deu_a",
        "reason": "Allies need the debris warning",
        "removed": "Sensor names and sources",
        "beyond": ["FRA", "GBR"],
        "lowered": True,
    }
    assert set(assessment.recipients.values_list("code", flat=True)) == {"FRA", "GBR"}


def test_lowering_the_classification_is_a_downgrade_too(allies):
    release_all(allies)
    with pytest.raises(ServiceError, match="the source is EXERCISE SECRET"):
        share(allies, "DEU", allies.injects["rel_to"], ["FRA"], classification="unclassified")


def test_sharing_within_the_marking_needs_no_downgrade(allies):
    release_all(allies)
    assessment = share(allies, "USA", allies.injects["fvey"], ["GBR"], releasability="fvey", releasable_to=[])
    assert not assessment.downgraded and assessment.banner == "EXERCISE SECRET // REL TO FVEY"


def test_the_assessment_marking_must_admit_every_recipient(allies):
    release_all(allies)
    with pytest.raises(ServiceError, match="does not allow release to FRA"):
        share(allies, "DEU", allies.injects["rel_to"], ["FRA"], releasability="national", releasable_to=[])


def test_a_team_cannot_share_what_it_never_received(allies, client):
    release_all(allies)
    client.force_login(allies.players["USA"])
    url = reverse("share-assessment", args=[allies.exercise.pk])
    assert client.get(url, {"inject": allies.injects["national"].pk}).status_code == 404
    reply = client.post(
        url,
        {
            "source": f"inject:{allies.injects['national'].pk}",
            "title": "t",
            "text": "x",
            "recipients": ["GBR"],
            "classification": "secret",
            "releasability": "all",
        },
    )
    assert reply.status_code == 400
    assert not SharedAssessment.objects.exists()


def test_recipients_see_it_live_the_others_never(allies, listen, django_capture_on_commit_callbacks):
    release_all(allies)
    sockets = {code: listen(realtime.team_group(allies.exercise.pk, code)) for code in TEAMS}
    with django_capture_on_commit_callbacks(execute=True):
        share(
            allies,
            "DEU",
            allies.injects["national"],
            ["FRA", "GBR"],
            classification="confidential",
            downgrade_reason="r",
            downgrade_removed="m",
            title="Debris cloud warning",
        )
    for code, socket in sockets.items():
        cards = [m["html"] for m in socket.messages(timeout=0.2) if "Debris cloud warning" in m["html"]]
        assert bool(cards) == (code in {"DEU", "FRA", "GBR"}), code
        if code in {"FRA", "GBR"}:
            assert "Acknowledge assessment" in cards[0]
            assert "EXERCISE CONFIDENTIAL // REL TO DEU, FRA, GBR" in cards[0]
        if code == "DEU":
            assert "Acknowledge assessment" not in cards[0]


def test_acknowledgements_and_comments_by_recipients_only(allies):
    release_all(allies)
    assessment = share(allies, "USA", allies.injects["fvey"], ["GBR"], releasability="fvey", releasable_to=[])
    ack = acknowledge_assessment(participant=allies.participant("GBR"), assessment=assessment)
    assert ack.team_id == "GBR"
    with pytest.raises(Conflict):
        acknowledge_assessment(participant=allies.participant("GBR"), assessment=assessment)
    with pytest.raises(ServiceError, match="recipient"):
        acknowledge_assessment(participant=allies.participant("USA"), assessment=assessment)
    with pytest.raises(ServiceError, match="recipient"):
        comment_on_assessment(participant=allies.participant("DEU"), assessment=assessment, text="let me in")
    comment_on_assessment(participant=allies.participant("USA"), assessment=assessment, text="Updated track attached.")
    assert assessment.comments.count() == 1


def test_a_player_who_is_not_a_recipient_gets_404_on_the_assessment(allies, client):
    release_all(allies)
    assessment = share(allies, "USA", allies.injects["fvey"], ["GBR"], releasability="fvey", releasable_to=[])
    client.force_login(allies.players["FRA"])
    for name in ("acknowledge-assessment", "comment-assessment"):
        assert client.post(reverse(name, args=[allies.exercise.pk, assessment.pk]), {"text": "x"}).status_code == 404


def test_sharing_metrics_come_from_the_stored_timestamps(allies):
    release_all(allies)
    t0 = timezone.now().replace(microsecond=0)
    first = share(allies, "DEU", allies.injects["rel_to"], ["FRA"], title="first")
    second = share(
        allies,
        "DEU",
        allies.injects["national"],
        ["FRA", "GBR"],
        title="second",
        classification="secret",
        downgrade_reason="r",
        downgrade_removed="m",
    )
    SharedAssessment.objects.filter(pk=first.pk).update(source_arrived_at=t0, shared_at=t0 + timedelta(seconds=60))
    SharedAssessment.objects.filter(pk=second.pk).update(source_arrived_at=t0, shared_at=t0 + timedelta(seconds=180))
    acknowledge_assessment(participant=allies.participant("FRA"), assessment=first)
    acknowledge_assessment(participant=allies.participant("FRA"), assessment=second)
    first.acknowledgements.update(acknowledged_at=t0 + timedelta(seconds=90))  # 30 s after the share
    second.acknowledgements.update(acknowledged_at=t0 + timedelta(seconds=250))  # 70 s after the share
    matrix = selectors.sharing_matrix(allies.exercise)
    cells = {
        sender.code: dict(zip([t.code for t in matrix["teams"]], row, strict=True)) for sender, row in matrix["grid"]
    }
    assert cells["DEU"]["FRA"] == {
        "count": 2,
        "downgraded": 1,
        "median_to_share": 120.0,
        "median_to_ack": 50.0,
        "acknowledged": 2,
    }
    assert cells["DEU"]["GBR"] == {
        "count": 1,
        "downgraded": 1,
        "median_to_share": 180.0,
        "median_to_ack": None,
        "acknowledged": 0,
    }
    assert cells["USA"]["FRA"] is None and cells["DEU"]["DEU"] is None
