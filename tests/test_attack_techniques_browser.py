"""A planner tags a cyber inject with attack techniques in the MSEL editor, in a real browser: an unknown id is
refused beside the field, and the preview shows the techniques as players will see them, linked to their source."""

import pytest
from playwright.sync_api import expect

from exercises.models import Scenario

pytestmark = pytest.mark.browser


def test_a_planner_tags_an_inject_and_the_preview_links_each_technique(personas, log_in, live_daphne):
    scenario = Scenario.objects.get(name="Alpha scenario")
    page = log_in(personas.facilitator)
    page.goto(f"{live_daphne.url}/scenarios/{scenario.pk}/")

    form = page.get_by_role("form", name="Add an inject")
    form.get_by_label("Scenario time", exact=True).fill("T+00:20")
    form.get_by_label("Inject type", exact=True).select_option(label="Cyberattack")
    form.get_by_label("Title", exact=True).fill("Intrusion at the USA-SAT 12 ground station")
    form.get_by_label("Text (what players read)", exact=True).fill("Rejected telecommands from the mission network.")
    form.get_by_label("Attack techniques (SPARTA, ATT&CK)", exact=True).fill("IA-0007.02, T9999")
    form.get_by_role("button", name="Add inject").click()

    techniques = page.get_by_role("form", name="Add an inject").get_by_label("Attack techniques (SPARTA, ATT&CK)")
    expect(techniques).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#new-inject-techniques_error")).to_contain_text("Unknown technique id(s) T9999")
    techniques.fill("ia-0007.02, T1078")
    page.get_by_role("form", name="Add an inject").get_by_role("button", name="Add inject").click()
    expect(page.locator("#msel-status")).to_contain_text("Inject 4 added at T+00:20:00")
    assert [t.code for t in scenario.injects.get(sequence=4).techniques.all()] == ["IA-0007.02", "T1078"]

    page.get_by_role("button", name="Preview inject 4 as players see it").click()
    preview = page.locator("#inject-preview")
    expect(preview).to_contain_text("Techniques:")
    sparta = preview.get_by_role("link", name="IA-0007.02 Compromise Ground System: Malicious Commanding via Valid GS")
    expect(sparta).to_have_attribute("href", "https://sparta.aerospace.org/technique/IA-0007/02/")
    attack = preview.get_by_role("link", name="T1078 Valid Accounts")
    expect(attack).to_have_attribute("href", "https://attack.mitre.org/techniques/T1078/")
