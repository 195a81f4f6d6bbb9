"""The console's coalition panel follows the nations' assessments live: USA, then GBR agree (consensus),
then USA revises and the console raises the divergence alert."""

import pytest
from playwright.sync_api import expect

from exercises.models import Team
from tests.test_live_exercise_browser import wait_for_socket

pytestmark = pytest.mark.browser

OPTIONS = ["Joint public condemnation", "Monitor and say nothing yet"]


def assess(page, inject, *, cause, action):
    page.get_by_text("Respond to this inject").click()
    form = page.locator(f"#respond-{inject.pk}")
    form.get_by_label("Your team's response").fill(f"We assess a {cause}.")
    form.get_by_label("Assessed cause").select_option(cause)
    if cause == "hostile_act":
        form.get_by_label("Attributed actor (if any)").fill("KARSLAND")
    form.get_by_label("Confidence (ICD 203)").select_option("likely")
    form.get_by_label("Recommended course of action").select_option(action)
    form.get_by_role("button", name=f"Submit response to inject {inject.sequence}").click()
    expect(page.get_by_role("status").filter(has_text="Response recorded")).to_be_visible()


def test_the_console_panel_shows_consensus_then_the_alert_when_a_team_revises(personas, log_in):
    inject = personas.exercise.injects.get(sequence=3)
    inject.addressed_to_all, inject.decision_bearing, inject.course_of_action_options = False, True, OPTIONS
    inject.save()
    inject.teams.set(Team.objects.filter(code__in=["USA", "GBR"]))
    console = log_in(personas.facilitator)
    usa = log_in(personas.usa_player)
    gbr = log_in(personas.gbr_player)
    for page in (console, usa, gbr):
        wait_for_socket(page)
    panel = console.locator("#coalition-panel")
    expect(panel).to_contain_text("No decision-bearing inject released yet")
    console.get_by_role("button", name="Start exercise").click()
    console.get_by_role("button", name=f"Release inject 3: {inject.title}").click()
    expect(usa.get_by_role("heading", name=inject.title)).to_be_visible(timeout=3000)
    expect(gbr.get_by_role("heading", name=inject.title)).to_be_visible(timeout=3000)
    expect(panel.locator("tr[data-team=USA]")).to_contain_text("no assessment yet", timeout=5000)  # on release

    assess(usa, inject, cause="hostile_act", action=OPTIONS[0])
    expect(panel.locator("tr[data-team=USA]")).to_contain_text("hostile act", timeout=5000)
    expect(panel.locator("tr[data-team=GBR]")).to_contain_text("no assessment yet")
    expect(panel).to_contain_text("No consensus yet")
    expect(panel).to_contain_text("One nation has assessed so far: no divergence to measure yet.")

    assess(gbr, inject, cause="hostile_act", action=OPTIONS[0])
    expect(panel).to_contain_text("Consensus since", timeout=5000)
    expect(panel.locator("tr[data-team=GBR]")).to_contain_text("Joint public condemnation")

    usa.get_by_role("link", name="Amend this response (version 1)").click()
    usa.get_by_label("Assessed cause").select_option("accident")
    usa.get_by_role("button", name="Submit amendment").click()
    wait_for_socket(usa)
    expect(panel.locator("tr[data-team=USA]")).to_contain_text("accident", timeout=5000)
    expect(panel.get_by_role("alert")).to_contain_text("Divergence after consensus")
    # Each nation's row fits its panel on a laptop screen (the console's column is narrow).
    console.set_viewport_size({"width": 1366, "height": 768})
    fits = "p => [...p.querySelectorAll('.coalition-inject')].every(a => a.scrollWidth <= a.clientWidth)"
    assert panel.evaluate(fits)
