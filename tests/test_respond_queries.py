"""The respond path's cost is pinned: a submission takes a fixed, small number of queries.

Counted through the real view (session, user, participation, the inject, the write, the push and the
form rendered back), so a regression anywhere on the path — a lost prefetch, a `set()` where `add()`
does, the form's querysets run again — fails here.
"""

from django.test import Client
from django.urls import reverse

from exercises.models import Response
from tests import test_respond

released = test_respond.released  # the fixture: Exercise Alpha running, its three injects released

# session, user, participation, inject, its steps, the exercise's teams; in the transaction (BEGIN
# and COMMIT): the exercise, the response, its steps, the audit event. The push reads nothing back
# (it is rendered from the rows just written).
RESPOND_QUERIES = 12


def usa_client(personas) -> Client:
    client = Client()
    client.force_login(personas.usa_player)
    return client


def test_a_submission_takes_a_fixed_small_number_of_queries(released, django_assert_max_num_queries):
    client = usa_client(released)
    url = reverse("respond", args=[released.exercise.pk, released.usa_only.pk])
    data = {"kind": "decision", "text": "Manoeuvre at 14:20Z.", "protocol_steps": ["CONJ-1", "CONJ-2"]}
    with django_assert_max_num_queries(RESPOND_QUERIES):
        answer = client.post(url, data, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    assert "Response recorded" in answer.content.decode()
    response = Response.objects.get()
    assert sorted(response.protocol_steps.values_list("code", flat=True)) == ["CONJ-1", "CONJ-2"]
    assert not response.releasable_to.exists()


def test_a_marked_submission_adds_only_its_rel_to_nations(released, django_assert_max_num_queries):
    """REL TO nations cost one INSERT, as the steps do (this one claims none); the marking line of the
    journal event and of the push reads them from memory."""
    client = usa_client(released)
    url = reverse("respond", args=[released.exercise.pk, released.usa_only.pk])
    data = {
        "kind": "assessment",
        "text": "Pc 1e-3.",
        "classification": "secret",
        "releasability": "rel_to",
        "releasable_to": ["GBR", "CAN"],
    }
    with django_assert_max_num_queries(RESPOND_QUERIES):
        answer = client.post(url, data, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    response = Response.objects.get()
    assert sorted(response.releasable_to.values_list("code", flat=True)) == ["CAN", "GBR"]
    assert response.banner == "EXERCISE SECRET // REL TO CAN, GBR, USA"


def test_a_refused_submission_costs_no_more_than_an_accepted_one(released, django_assert_max_num_queries):
    client = usa_client(released)
    url = reverse("respond", args=[released.exercise.pk, released.usa_only.pk])
    data = {"kind": "decision", "text": "x", "protocol_steps": ["ASAT-1"], "releasable_to": ["FRA"]}
    with django_assert_max_num_queries(6):  # session, user, participation, inject, steps, teams
        answer = client.post(url, data, HTTP_HX_REQUEST="true")
    assert answer.status_code == 400
    body = answer.content.decode()
    assert "ASAT-1 is not a protocol step of this inject." in body
    assert "FRA is not one of the available choices" in body
    assert not Response.objects.exists()
