"""A conjunction inject's card: bound to its screened event by its two objects' names, its numbers shown
and its text's placeholders filled, on the team page, in the release's push and on the console."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exercises import conjunction_text, fragments, realtime, selectors
from exercises.models import Exercise, Inject, Participant, format_exercise_time
from exercises.services.catalogue import screen_exercise
from exercises.services.releases import release_inject
from tests.conjunctions import PLACEHOLDER_TEXT, TCA_AFTER, plant_conjunction


@pytest.fixture
def bound(running):
    """Exercise Alpha running, its USA-only conjunction inject (1) bound to a screened conjunction."""
    plant_conjunction(running.exercise, running.usa_only)
    running.exercise = Exercise.objects.get(pk=running.exercise.pk)
    return running


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def expected_numbers(conjunction) -> list[str]:
    """The card's numbers, formatted here from the screened row (distances to the metre, Pc to two digits)."""
    return [
        f"{round(conjunction.miss_distance_m)} m",
        f"{round(conjunction.radial_m)} / {round(conjunction.in_track_m)} / {round(conjunction.cross_track_m)} m",
        f"{conjunction.relative_speed_m_s:.1f} m/s",
        f"{conjunction.probability:.1e}",
    ]


def test_a_conjunction_inject_is_bound_to_the_current_screening_of_its_two_objects(bound):
    inject = bound.usa_only
    conjunction = selectors.current_conjunction(inject)
    card = conjunction_text.cards([inject])[inject.pk]
    assert card.conjunction == conjunction
    assert (card.primary.name, card.primary.owner_label) == ("ALLIED-SAT 7", "USA")
    assert (card.secondary.name, card.secondary.owner_label) == ("OBJECT 58213", "KARSLAND")
    assert card.tca_exercise_time == bound.exercise.exercise_time_of(conjunction.tca)
    assert abs(card.tca_exercise_time - TCA_AFTER) < timedelta(seconds=1)  # where the encounter was planted
    assert card.values["tca"] == format_exercise_time(card.tca_exercise_time)

    screen_exercise(exercise=bound.exercise, reason="again")  # a new screening supersedes the row
    again = conjunction_text.cards([Inject.objects.get(pk=inject.pk)])[inject.pk]
    assert again.conjunction.pk != conjunction.pk and again.conjunction.superseded_at is None


def test_the_placeholders_are_filled_from_the_conjunction_and_other_braces_are_left_alone(bound):
    inject = bound.usa_only
    conjunction = selectors.current_conjunction(inject)
    text = conjunction_text.cards([inject])[inject.pk].text
    assert text.startswith("CSpOC screening: ALLIED-SAT 7 and OBJECT 58213 pass within ")
    assert f"within {round(conjunction.miss_distance_m)} m at T+00:2" in text
    assert (
        f"R {round(conjunction.radial_m)} / T {round(conjunction.in_track_m)} / N {round(conjunction.cross_track_m)} m"
        in text
    )
    assert f"{conjunction.relative_speed_m_s:.1f} m/s" in text
    assert f"Pc {conjunction.probability:.1e})" in text
    assert text.endswith("Reply with {your decision} by {deadline}.")  # the author's own braces
    assert not any("{" + name + "}" in text for name in conjunction_text.PLACEHOLDERS)


def test_fill_placeholders_replaces_only_the_known_names():
    values = {"primary": "A", "pc": "1.0e-03"}
    assert conjunction_text.fill_placeholders("{primary} {pc} {primary} {x} {} {{pc}} {tca}", values) == (
        "A 1.0e-03 A {x} {} {1.0e-03} {tca}"
    )


def test_the_team_page_shows_the_card_with_the_computed_numbers_and_the_cdm_links(bound):
    release_inject(inject=bound.usa_only, by=bound.facilitator)
    conjunction = selectors.current_conjunction(bound.usa_only)
    page = client_for(bound.usa_player).get(reverse("team", args=[bound.exercise.pk])).content.decode()
    card = page[page.index(f'id="conjunction-{bound.usa_only.pk}"') :]
    card = card[: card.index("</section>")]
    for number in expected_numbers(conjunction):
        assert number in card
    assert 'ALLIED-SAT 7 <span class="muted">(USA)</span>' in card
    assert 'OBJECT 58213 <span class="muted">(KARSLAND)</span>' in card
    assert "T+00:2" in card and f"{conjunction.tca:%Y-%m-%d %H:%M:%S} UTC" in card
    for fmt in ("kvn", "xml"):
        assert reverse("inject-cdm", args=[bound.exercise.pk, bound.usa_only.pk, fmt]) in card
    assert "Download CDM (KVN)" in card and "Download CDM (XML)" in card
    assert "{primary}" not in page and "pass within" in page
    for picture in ("encounter-plane", "miss-distance"):  # the card's pictures, which the team may open
        url = reverse("conjunction-picture", args=[bound.exercise.pk, conjunction.pk, picture])
        assert url in card
        assert client_for(bound.usa_player).get(url).status_code == 200


def test_an_unbound_inject_keeps_its_text_and_has_no_card(running):
    inject = running.usa_only
    Inject.objects.filter(pk=inject.pk).update(text=PLACEHOLDER_TEXT)  # no objects named
    release_inject(inject=Inject.objects.get(pk=inject.pk), by=running.facilitator)
    page = client_for(running.usa_player).get(reverse("team", args=[running.exercise.pk])).content.decode()
    assert "CSpOC screening: {primary} and {secondary} pass within {miss_distance} m" in page
    assert 'class="conjunction"' not in page and "Download CDM" not in page


def test_an_inject_naming_a_pair_that_screening_did_not_find_keeps_its_text(bound):
    inject = bound.usa_only
    Inject.objects.filter(pk=inject.pk).update(secondary_object="KEA-1")
    assert conjunction_text.cards([Inject.objects.get(pk=inject.pk)]) == {}


def test_only_a_conjunction_inject_gets_a_card(bound):
    Inject.objects.filter(pk=bound.usa_only.pk).update(kind="intelligence")
    assert conjunction_text.cards([Inject.objects.get(pk=bound.usa_only.pk)]) == {}


def test_the_release_push_carries_the_filled_card_to_the_team_only(bound, listen, django_capture_on_commit_callbacks):
    usa = listen(realtime.team_group(bound.exercise.pk, "USA"))
    gbr = listen(realtime.team_group(bound.exercise.pk, "GBR"))
    facilitators = listen(realtime.facilitators_group(bound.exercise.pk))
    with django_capture_on_commit_callbacks(execute=True):
        release_inject(inject=bound.usa_only, by=bound.facilitator)
    conjunction = selectors.current_conjunction(bound.usa_only)
    [pushed] = [message["html"] for message in usa.messages() if "inject-feed" in message["html"]]
    assert "CSpOC screening: ALLIED-SAT 7 and OBJECT 58213 pass within" in pushed
    for number in expected_numbers(conjunction):
        assert number in pushed
    assert reverse("inject-cdm", args=[bound.exercise.pk, bound.usa_only.pk, "kvn"]) in pushed
    assert not [message for message in gbr.messages() if "ALLIED-SAT 7" in message["html"]]
    rows = [
        message["html"] for message in facilitators.messages() if f"inject-row-{bound.usa_only.pk}" in message["html"]
    ]
    assert rows and all("TCA T+00:2" in row and "CDM (KVN)" in row for row in rows)


def test_the_console_lists_the_conjunction_with_its_cdm_links(bound):
    conjunction = selectors.current_conjunction(bound.usa_only)
    page = client_for(bound.evaluator).get(reverse("console", args=[bound.exercise.pk])).content.decode()
    row = page[page.index(f'id="inject-row-{bound.usa_only.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "ALLIED-SAT 7 × OBJECT 58213" in row
    assert f"miss {round(conjunction.miss_distance_m)} m" in row
    assert reverse("inject-cdm", args=[bound.exercise.pk, bound.usa_only.pk, "xml"]) in row
    assert "{primary}" not in row  # the MSEL's excerpt of the text is filled too


def team_page_queries(exercise, user) -> int:
    client = client_for(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("team", args=[exercise.pk])).status_code == 200
    return len(queries)


def test_a_team_page_of_many_conjunction_injects_costs_no_more_queries_than_one(bound):
    release_inject(inject=bound.usa_only, by=bound.facilitator)
    one = team_page_queries(bound.exercise, bound.usa_player)
    usa = Participant.objects.get(exercise=bound.exercise, user=bound.usa_player)
    for sequence in range(10, 18):
        copy = Inject.objects.create(
            exercise=bound.exercise,
            sequence=sequence,
            offset=timedelta(minutes=sequence),
            kind="conjunction",
            title=f"Conjunction update {sequence}",
            text=PLACEHOLDER_TEXT,
            addressed_to_all=False,
            primary_object="ALLIED-SAT 7",
            secondary_object="OBJECT 58213",
        )
        copy.teams.set([usa.team])
        release_inject(inject=copy, by=bound.facilitator)
    many = team_page_queries(bound.exercise, bound.usa_player)
    page = client_for(bound.usa_player).get(reverse("team", args=[bound.exercise.pk])).content.decode()
    assert page.count('class="conjunction"') == 9
    assert many == one


def test_the_team_state_sent_on_reconnect_carries_the_card(bound):
    release_inject(inject=bound.usa_only, by=bound.facilitator)
    usa = selectors.participation(bound.usa_player, bound.exercise.pk)
    state = fragments.team_state(usa)
    assert f'id="conjunction-{bound.usa_only.pk}"' in state and "pass within" in state


def test_sharing_an_assessment_from_the_inject_quotes_its_filled_text(bound):
    release_inject(inject=bound.usa_only, by=bound.facilitator)
    url = reverse("share-assessment", args=[bound.exercise.pk]) + f"?inject={bound.usa_only.pk}"
    page = client_for(bound.usa_player).get(url).content.decode()
    assert "CSpOC screening: ALLIED-SAT 7 and OBJECT 58213 pass within" in page and "{primary}" not in page


def _move_debris_away(exercise, km: float = 60.0) -> None:
    """The debris object's orbit raised by `km`: the pair no longer comes within the screening threshold."""
    from exercises.models import SpaceObject
    from exercises.orbits.elements import circular

    debris = SpaceObject.objects.get(exercise=exercise, name="OBJECT 58213")
    raised = circular(
        "OBJECT 58213",
        exercise.orbit_epoch,
        548 + km,
        debris.mean_elements().inclination,
        norad_cat_id=58213,
        object_id="2031-002C",
    )
    debris.elements = raised.as_dict()
    debris.save(update_fields=["elements"])


def test_a_screening_after_release_pushes_the_card_again_with_the_numbers_as_screened_now(
    bound, listen, django_capture_on_commit_callbacks
):
    release_inject(inject=bound.usa_only, by=bound.facilitator)
    usa = listen(realtime.team_group(bound.exercise.pk, "USA"))
    gbr = listen(realtime.team_group(bound.exercise.pk, "GBR"))
    facilitators = listen(realtime.facilitators_group(bound.exercise.pk))
    with django_capture_on_commit_callbacks(execute=True):
        screen_exercise(exercise=bound.exercise, reason="test")
    conjunction = selectors.current_conjunction(bound.usa_only)
    [pushed] = [message["html"] for message in usa.messages() if f'id="inject-{bound.usa_only.pk}"' in message["html"]]
    assert 'hx-swap-oob="outerHTML"' in pushed
    for number in expected_numbers(conjunction):
        assert number in pushed
    assert "no longer come within" not in pushed
    assert not [message for message in gbr.messages() if "ALLIED-SAT 7" in message["html"]]
    assert [message for message in facilitators.messages() if f"inject-row-{bound.usa_only.pk}" in message["html"]]


def test_when_the_pair_is_no_longer_close_the_card_keeps_the_warning_and_says_so(
    bound, listen, django_capture_on_commit_callbacks
):
    release_inject(inject=bound.usa_only, by=bound.facilitator)
    warned = selectors.current_conjunction(bound.usa_only)
    _move_debris_away(bound.exercise)
    usa = listen(realtime.team_group(bound.exercise.pk, "USA"))
    with django_capture_on_commit_callbacks(execute=True):
        screen_exercise(exercise=bound.exercise, reason="test")
    assert selectors.current_conjunction(bound.usa_only) is None
    [pushed] = [message["html"] for message in usa.messages() if f'id="inject-{bound.usa_only.pk}"' in message["html"]]
    assert "no longer come within the screening threshold" in pushed
    for number in expected_numbers(warned):
        assert number in pushed  # the warning's numbers, and its text filled: no raw placeholder left
    assert "{miss_distance}" not in pushed
    assert reverse("inject-cdm", args=[bound.exercise.pk, bound.usa_only.pk, "kvn"]) not in pushed
    page = client_for(bound.usa_player).get(reverse("team", args=[bound.exercise.pk])).content.decode()
    assert "no longer come within the screening threshold" in page
    assert "{miss_distance}" not in page


def test_releasing_the_warning_pushes_the_owner_teams_manoeuvre_planner(
    bound, listen, django_capture_on_commit_callbacks
):
    usa = listen(realtime.team_group(bound.exercise.pk, "USA"))
    gbr = listen(realtime.team_group(bound.exercise.pk, "GBR"))
    with django_capture_on_commit_callbacks(execute=True):
        release_inject(inject=bound.usa_only, by=bound.facilitator)
    conjunction = selectors.current_conjunction(bound.usa_only)
    [planner] = [message["html"] for message in usa.messages() if 'id="manoeuvre-planner"' in message["html"]]
    assert 'hx-swap-oob="true"' in planner
    assert f'id="plan-{conjunction.pk}"' in planner
    assert reverse("plan-manoeuvre", args=[bound.exercise.pk, conjunction.pk]) in planner
    assert "csrfmiddlewaretoken" not in planner  # one rendering for the whole team: the page's CSRF header posts it
    assert not [message for message in gbr.messages() if "manoeuvre-planner" in message["html"]]


def test_a_screening_after_a_break_up_pushes_the_planner_but_one_after_a_burn_does_not(
    bound, listen, django_capture_on_commit_callbacks
):
    release_inject(inject=bound.usa_only, by=bound.facilitator)
    usa = listen(realtime.team_group(bound.exercise.pk, "USA"))
    with django_capture_on_commit_callbacks(execute=True):
        screen_exercise(exercise=bound.exercise, reason="breakup")
    assert [message for message in usa.messages() if 'id="manoeuvre-planner"' in message["html"]]
    with django_capture_on_commit_callbacks(execute=True):
        screen_exercise(exercise=bound.exercise, reason="manoeuvre")
    pushed = usa.messages()
    assert [message for message in pushed if f'id="inject-{bound.usa_only.pk}"' in message["html"]]
    assert not [message for message in pushed if 'id="manoeuvre-planner"' in message["html"]]
