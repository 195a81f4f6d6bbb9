"""The player's pages and the live cards in French: the fixed text is French, what people wrote and the markings
stay as they are, the numbers the JavaScript reads stay plain, and every control still names what it acts on."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from exercises.services.clock import set_speed
from tests.test_manoeuvre_planner import orbiting_exercise


@pytest.fixture
def planner(library, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return orbiting_exercise("Francophone exercise")


def page(user, name, *args, language="fr"):
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    reply = client.get(reverse(name, args=args))
    assert reply.status_code == 200
    return reply.content.decode()


def test_the_team_page_reads_in_french_and_keeps_what_people_wrote(planner):
    html = page(planner.usa.user, "team", planner.exercise.pk)
    for french in (
        "Répondre à cet inject",
        "Accuser réception",
        "Situation commune",
        "Planification de manœuvre",
        "Distance de passage",
        "Probabilité de collision",
        "Valider la manœuvre",
        "Messages avec la direction de l’exercice",
        "Aucune réponse de votre équipe pour l’instant.",
    ):
        assert french in html, french
    for english in ("Respond to this inject", "Acknowledge receipt", "Combined Picture", "Miss distance"):
        assert english not in html, english
    assert "Conjunction warning for USA-SAT 12" in html  # the inject's title, as its author wrote it
    assert "EXERCISE UNCLASSIFIED // REL TO ALL ALLIES" in html  # a marking is never translated


def test_english_stays_the_default(planner):
    html = page(planner.usa.user, "team", planner.exercise.pk, language="en-gb")
    assert "Respond to this inject" in html and "Répondre" not in html


def test_the_clock_numbers_stay_plain_in_french_for_the_javascript(planner):
    set_speed(exercise=planner.exercise, speed=2.5, by=planner.facilitator)
    for user, name in ((planner.usa.user, "team"), (planner.facilitator, "console")):
        html = page(user, name, planner.exercise.pk)
        assert re.search(r'data-elapsed="\d+\.\d{3}" data-speed="2\.5"', html), name
    assert '<option value="10" ' in page(planner.facilitator, "console", planner.exercise.pk)


def test_every_control_and_download_names_what_it_acts_on_in_french(planner):
    console = page(planner.facilitator, "console", planner.exercise.pk)
    assert "Diffuser l’inject 2\u00a0: UK-only intelligence on the debris field" in console
    assert "Reporter l’inject 2" in console
    assert "Télécharger le CDM de l’inject 1 (KVN)" in console
    catalogue = page(planner.usa.user, "exercise-catalogue", planner.exercise.pk)
    assert "Télécharger l’OMM de ALLIED-SAT 7 (XML)" in catalogue
    assert "Télécharger le CDM de ALLIED-SAT 7 et OBJECT 58213 (KVN)" in catalogue
    for html in (console, catalogue, page(planner.usa.user, "team", planner.exercise.pk)):
        assert 'aria-label=""' not in html
