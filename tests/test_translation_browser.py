"""English and French in real browsers: FRA plays in French, GBR in English, at the same time, live; a player
who picks French keeps it across reloads and logins."""

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from exercises.models import Participant, Team
from exercises.services.exercises import add_participant, create_exercise
from tests.conftest import PASSWORD, make_user, small_scenario

pytestmark = pytest.mark.browser

ASAT = "Direct-ascent ASAT test detected"  # inject 3, to every team: its title stays as its author wrote it


def french(text: str) -> str:
    """The catalogue's French for a string (the English itself while no French is given for it)."""
    with translation.override("fr"):
        return translation.gettext(text)


def wait_for_socket(page):
    page.wait_for_selector("body[data-connection=live]", timeout=5000)


@pytest.fixture
def entente(personas):
    """An exercise of GBR and FRA, run by the personas' facilitator."""
    exercise = create_exercise(
        scenario=small_scenario("Entente scenario"),
        name="Exercise Entente",
        teams=Team.objects.filter(code__in=["GBR", "FRA"]),
    )
    add_participant(exercise=exercise, user=personas.facilitator, role=Participant.Role.FACILITATOR)
    fra = make_user("fra_entente")
    gbr = make_user("gbr_entente")
    add_participant(exercise=exercise, user=fra, role=Participant.Role.PLAYER, team=Team.objects.get(code="FRA"))
    add_participant(exercise=exercise, user=gbr, role=Participant.Role.PLAYER, team=Team.objects.get(code="GBR"))
    personas.exercise, personas.fra, personas.gbr = exercise, fra, gbr
    return personas


def test_fra_reads_french_and_gbr_english_while_an_inject_reaches_both(entente, log_in, live_daphne):
    console = log_in(entente.facilitator)  # of two exercises: their list first
    console.goto(f"{live_daphne.url}/exercises/{entente.exercise.pk}/")
    fra = log_in(entente.fra)
    gbr = log_in(entente.gbr)
    expect(fra.locator("html")).to_have_attribute("lang", "fr")
    expect(fra.get_by_role("button", name="Se déconnecter")).to_be_visible()
    expect(fra.get_by_role("link", name="Aller au contenu")).to_be_attached()
    expect(fra.locator(".masthead .tagline")).to_have_text("Exercices alliés de crise spatiale")
    expect(gbr.locator("html")).to_have_attribute("lang", "en-gb")
    expect(gbr.get_by_role("button", name="Log out")).to_be_visible()
    for page in (console, fra, gbr):
        wait_for_socket(page)
    expect(fra.locator("#connection")).to_have_text("En direct")  # the badge's words come from base.html
    expect(gbr.locator("#connection")).to_have_text("Live")

    console.get_by_role("button", name="Start exercise").click()
    console.get_by_role("button", name=f"Release inject 3: {ASAT}").click()
    expect(fra.get_by_role("heading", name=ASAT)).to_be_visible(timeout=3000)
    expect(gbr.get_by_role("heading", name=ASAT)).to_be_visible(timeout=3000)
    # The card's fixed text, pushed over each page's socket: French from FRA's group, English from GBR's.
    fra_card = fra.locator("#inject-feed .inject").first
    gbr_card = gbr.locator("#inject-feed .inject").first
    expect(fra_card).to_contain_text(french("Respond to this inject"))
    expect(gbr_card).to_contain_text("Respond to this inject")
    # The push did not turn the page English: the masthead and the badge stay French.
    expect(fra.locator("html")).to_have_attribute("lang", "fr")
    expect(fra.locator("#connection")).to_have_text("En direct")
    expect(gbr.locator("#connection")).to_have_text("Live")


def log_in_french(page, server_url, user):
    """The login page as a French reader sees it."""
    page.goto(f"{server_url}/login/")
    expect(page.get_by_role("heading", name="Connexion à Conjunction")).to_be_visible()
    page.get_by_label("Nom d’utilisateur").fill(user.get_username())
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def test_a_gbr_player_who_picks_french_stays_in_french(personas, log_in, browser, live_daphne):
    page = log_in(personas.gbr_player)
    expect(page.locator("html")).to_have_attribute("lang", "en-gb")
    team_url = page.url

    picker = page.get_by_label("Language")
    expect(picker.locator("option")).to_have_text(["English", "Français"])
    picker.focus()
    page.keyboard.press("ArrowDown")  # the keyboard alone: the select, then Tab to its button and Enter
    expect(picker).to_have_value("fr")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Change")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(team_url)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    expect(page.get_by_label("Langue")).to_have_value("fr")

    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    wait_for_socket(page)
    expect(page.locator("#connection")).to_have_text("En direct")

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(r"/login/"))
    log_in_french(page, live_daphne.url, personas.gbr_player)  # the cookie keeps the login page French
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    elsewhere = browser.new_context().new_page()  # another browser: no cookie, English login page
    try:
        elsewhere.goto(f"{live_daphne.url}/login/")
        expect(elsewhere.locator("html")).to_have_attribute("lang", "en-gb")
        elsewhere.get_by_label("User name").fill(personas.gbr_player.get_username())
        elsewhere.get_by_label("Password").fill(PASSWORD)
        elsewhere.get_by_role("button", name="Log in").click()
        elsewhere.wait_for_load_state()
        expect(elsewhere.locator("html")).to_have_attribute("lang", "fr")  # the stored choice
        expect(elsewhere.get_by_role("button", name="Se déconnecter")).to_be_visible()
    finally:
        elsewhere.context.close()
