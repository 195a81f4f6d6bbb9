"""A facilitator staffs an exercise from a CSV file in a real browser; a new player follows the invitation."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from exercises.models import Participant

pytestmark = pytest.mark.browser

GOOD = b"""name,email,role,team
Ada Byrne,ada.byrne@example.org,player,USA
Ben Okafor,ben@example.org,player,GBR
Chloe Martin,chloe@example.org,evaluator,
"""
BAD = b"""name,email,role,team
Dan Brown,not-an-email,player,USA
Eve Stone,eve@example.org,captain,USA
Fay Wong,fay@example.org,player,FRA
"""
NEW_PASSWORD = "orbital-debris-7731"


def csv_file(name, data):
    return {"name": name, "mimeType": "text/csv", "buffer": data}


def open_participants(log_in, personas, live_daphne):
    page = log_in(personas.facilitator)
    page.goto(f"{live_daphne.url}/exercises/{personas.exercise.pk}/participants/")
    expect(page.get_by_role("heading", name="Participants of Exercise Alpha")).to_be_visible()
    return page


def test_a_good_file_is_previewed_then_added_and_a_bad_one_shows_its_row_errors(personas, log_in, live_daphne):
    page = open_participants(log_in, personas, live_daphne)
    before = Participant.objects.count()

    page.get_by_label("Or upload a CSV file").set_input_files(csv_file("bad.csv", BAD))
    page.get_by_role("button", name="Preview").click()
    problems = page.locator(".problems")
    expect(problems).to_contain_text("Nobody will be added.")
    expect(problems).to_contain_text("3 problems")
    for where, column, reason in [
        ("Row 2", "email", "is not an email address"),
        ("Row 3", "role", "is not a role"),
        ("Row 4", "team", "FRA does not take part in this exercise"),
    ]:
        expect(problems.get_by_role("row").filter(has_text=where)).to_contain_text(column)
        expect(problems.get_by_role("row").filter(has_text=where)).to_contain_text(reason)
    expect(page.get_by_role("button", name="Add these")).to_have_count(0)
    assert Participant.objects.count() == before

    page.get_by_label("Or upload a CSV file").set_input_files(csv_file("roster.csv", GOOD))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview: 3 people")).to_be_visible()
    expect(page.locator(".roster-rows")).to_contain_text("new: ada.byrne, invited")
    assert Participant.objects.count() == before, "a preview writes nothing"
    page.get_by_role("button", name="Add these 3 people").click()

    expect(page.get_by_role("status").first).to_contain_text("Added 3 people. 3 new accounts")
    table = page.locator("#participants")
    for name in ("Ada Byrne", "Ben Okafor", "Chloe Martin"):
        expect(table).to_contain_text(name)
    assert Participant.objects.count() == before + 3
    expect(page.locator("#never-logged-in")).to_contain_text("Ada Byrne")


def test_a_new_player_follows_the_invitation_sets_a_password_and_logs_in_once(personas, log_in, live_daphne, browser):
    page = open_participants(log_in, personas, live_daphne)
    page.get_by_label("Paste the rows").fill(GOOD.decode())
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Add these 3 people").click()
    expect(page.get_by_role("status").first).to_contain_text("Added 3 people")
    ada = Participant.objects.get(exercise=personas.exercise, user__username="ada.byrne")
    row = page.locator(f"#participant-{ada.pk}")
    row.get_by_text("Awaiting: invitation link").click()
    link = row.get_by_label("Invitation link for ada.byrne").input_value()
    assert link.startswith(f"{live_daphne.url}/invitation/")

    cards = page.context.new_page()
    cards.goto(f"{live_daphne.url}/exercises/{personas.exercise.pk}/participants/cards/?team=USA")
    card = cards.get_by_role("article", name="Login card of ada.byrne")
    expect(card).to_contain_text("United States")
    expect(card).to_contain_text("Player")
    # The same account's link; its token may be a second younger (tokens are timestamped), and works as well.
    account = link.rsplit("/", 2)[0] + "/"  # …/invitation/<uid>/
    expect(card.locator("code.link")).to_contain_text(account)
    assert card.locator("code.link").inner_text().startswith(account)

    context = browser.new_context()  # Ada, on her own machine
    try:
        ada_page = context.new_page()
        ada_page.goto(link)
        expect(ada_page.get_by_role("heading", name="Welcome to Conjunction")).to_be_visible()
        expect(ada_page.locator("main")).to_contain_text("Your user name is ada.byrne")
        assert "/set-password/" in ada_page.url, "the token is out of the address bar"
        ada_page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        ada_page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
        ada_page.get_by_role("button", name="Set my password").click()
        expect(ada_page.get_by_role("heading", name="Your password is set")).to_be_visible()
        ada_page.get_by_role("link", name="Log in").click()
        ada_page.get_by_label("User name").fill("ada.byrne")
        ada_page.get_by_label("Password").fill(NEW_PASSWORD)
        ada_page.get_by_role("button", name="Log in").click()
        expect(ada_page.get_by_role("heading", name="United States")).to_be_visible()
    finally:
        context.close()
    assert get_user_model().objects.get(username="ada.byrne").last_login is not None

    context = browser.new_context()  # the same link, a second time
    try:
        again = context.new_page()
        again.goto(link)
        expect(again.get_by_role("heading", name="This invitation link does not work")).to_be_visible()
        expect(again.get_by_label("New password", exact=True)).to_have_count(0)
    finally:
        context.close()

    page.reload()
    expect(page.locator("#never-logged-in")).not_to_contain_text("Ada Byrne")
