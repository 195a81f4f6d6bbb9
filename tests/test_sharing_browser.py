"""The DEU player shares a downgraded assessment with FRA and GBR only: they see it live, USA never does."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import prefer_english
from tests.test_live_exercise_browser import wait_for_socket
from tests.test_sharing import allies_draft  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def test_a_downgraded_assessment_reaches_only_its_recipients_live(allies_draft, log_in):  # noqa: F811
    allies = allies_draft
    prefer_english(allies.players["FRA"])  # FRA would read French; this test clicks English buttons
    console = log_in(allies.facilitator)
    pages = {code: log_in(allies.players[code]) for code in ("DEU", "FRA", "GBR", "USA")}
    for page in (console, *pages.values()):
        wait_for_socket(page)
    console.get_by_role("button", name="Start exercise").click()
    national = allies.injects["national"]
    console.get_by_role("button", name=f"Release inject {national.sequence}: {national.title}").click()

    deu = pages["DEU"]
    expect(deu.get_by_role("heading", name=national.title)).to_be_visible(timeout=2000)
    expect(deu.locator(f"#inject-{national.pk}")).to_contain_text("EXERCISE SECRET // DEU ONLY")
    deu.get_by_role("link", name=f"Share an assessment from inject {national.sequence} with allies").click()
    deu.get_by_label("Title").fill("Debris cloud threatens MISTRAL-2 and ALBION-3")
    deu.get_by_label("Text").fill("Fragments cross 495-780 km within 6 hours. Manoeuvre planning advised.")
    recipients = deu.locator("#id_recipients")
    recipients.get_by_label("France").check()
    recipients.get_by_label("United Kingdom").check()
    deu.get_by_label("Classification").select_option("confidential")
    deu.get_by_label("Releasability").select_option("rel_to")
    rel_to = deu.locator("#id_releasable_to")
    for name in ("Germany", "France", "United Kingdom"):
        rel_to.get_by_label(name).check()

    # Without a downgrade the share is refused, and nothing typed is lost.
    deu.get_by_role("button", name="Share assessment").click()
    expect(deu.get_by_role("alert").first).to_contain_text("Downgrade needed")
    expect(deu.get_by_label("Title")).to_have_value("Debris cloud threatens MISTRAL-2 and ALBION-3")

    deu.get_by_label(re.compile("Why downgrade")).fill("Allied operators must manoeuvre in time")
    deu.get_by_label("What was removed or sanitised").fill("BND source and radar site names")
    deu.get_by_role("button", name="Share assessment").click()
    expect(deu.get_by_role("heading", name="Germany")).to_be_visible()

    for code in ("FRA", "GBR"):
        card = pages[code].locator("#combined-picture")
        expect(card).to_contain_text("Debris cloud threatens MISTRAL-2", timeout=2000)
        expect(card).to_contain_text("EXERCISE CONFIDENTIAL // REL TO DEU, FRA, GBR")
        expect(card).to_contain_text("Downgraded for release")
    pages["FRA"].get_by_role("button", name=re.compile("Acknowledge assessment")).click()
    wait_for_socket(deu)
    expect(deu.locator("#combined-picture")).to_contain_text("FRA: acknowledged after", timeout=2000)
    expect(console.locator("#sharing")).to_contain_text("(1↓)", timeout=2000)

    usa = pages["USA"]
    assert "Debris cloud threatens" not in usa.content()
    usa.reload()
    wait_for_socket(usa)
    assert "Debris cloud threatens" not in usa.content()
