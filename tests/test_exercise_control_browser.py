"""Exercise control in real browsers: the clock releases injects by itself; live control tools."""

import re

import pytest
from playwright.sync_api import expect

from tests.test_live_exercise_browser import wait_for_socket

pytestmark = pytest.mark.browser


def test_at_60x_two_scheduled_injects_reach_the_team_in_order_without_a_click(personas, live_daphne_with_clock, log_in):
    console = log_in(personas.facilitator)
    usa = log_in(personas.usa_player)
    wait_for_socket(console)
    wait_for_socket(usa)
    controls = console.locator("#clock-controls").element_handle()
    console.get_by_label("Speed").select_option("60")
    console.get_by_role("button", name="Set speed").click()
    # the speed's push replaces the controls: Start is clicked on the new ones (a click on the old ones as they
    # were swapped out was lost, and the exercise stayed a draft)
    controls.wait_for_element_state("hidden")
    expect(console.get_by_role("timer")).to_have_attribute("data-speed", "60.0")
    console.get_by_role("button", name="Start exercise").click()
    expect(console.get_by_role("timer")).to_contain_text("60×", timeout=3000)
    # T+00:05 (USA only) and T+00:15 (all) arrive at 5 s and 15 s of real time: no click from here on.
    first = usa.get_by_role("heading", name="Conjunction warning for USA-SAT 12")
    expect(first).to_be_visible(timeout=8000)
    second = usa.get_by_role("heading", name="Direct-ascent ASAT test detected")
    expect(second).to_be_visible(timeout=15000)
    titles = usa.locator("#inject-feed article h3").all_inner_texts()
    assert titles == ["Direct-ascent ASAT test detected", "Conjunction warning for USA-SAT 12"], "newest first"
    assert "UK-only intelligence" not in usa.content()
    expect(console.locator(f"#inject-row-{personas.usa_only.pk}")).to_contain_text("Released")


def test_ad_hoc_inject_messages_and_acknowledgement_flow_live(personas, live_daphne, log_in):
    console = log_in(personas.facilitator)
    gbr = log_in(personas.gbr_player)
    wait_for_socket(console)
    wait_for_socket(gbr)
    console.get_by_role("button", name="Start exercise").click()

    # An ad-hoc inject composed live reaches GBR at once.
    console.get_by_label("Inject type").select_option("press")
    console.get_by_label("Title").fill("Press query on debris")
    console.get_by_label("Text", exact=True).fill("The BBC asks whether UK satellites are at risk.")
    console.locator("form[data-reset-on-success]").get_by_label("GBR").check()
    console.get_by_role("button", name="Release ad-hoc inject now").click()
    expect(gbr.get_by_role("heading", name="Press query on debris")).to_be_visible(timeout=2000)

    # GBR acknowledges; the console's delivery matrix shows it.
    gbr.get_by_role("button", name=re.compile("Acknowledge inject .*Press query on debris")).click()
    expect(gbr.locator("#inject-feed")).to_contain_text("Acknowledged by", timeout=2000)
    expect(console.locator("#delivery")).to_contain_text("Acknowledged", timeout=2000)

    # Control writes to GBR; GBR answers control.
    console.get_by_label("Recipient").select_option("GBR")
    console.get_by_label("Message", exact=True).fill("GBR, brief your minister by T+00:30.")
    console.get_by_role("button", name="Send message").click()
    expect(gbr.locator("#message-feed")).to_contain_text("brief your minister", timeout=2000)
    gbr.get_by_label("Message to exercise control").fill("Minister briefed.")
    gbr.get_by_role("button", name="Send message").click()
    expect(console.locator("#message-feed")).to_contain_text("Minister briefed.", timeout=2000)

    # Presence: GBR's player shows as connected.
    expect(console.locator("#presence")).to_contain_text("Gbr_Player")


def test_a_player_moved_to_another_team_stops_seeing_the_old_team_at_once(personas, log_in, live_daphne):
    """The facilitator moves usa_player from USA to GBR: the open USA page disconnects (it may not receive
    USA's material any more); reloaded, it is GBR's page with GBR's injects."""
    console = log_in(personas.facilitator)
    usa = log_in(personas.usa_player)
    wait_for_socket(usa)
    console.goto(f"{live_daphne.url}/exercises/{personas.exercise.pk}/participants/")
    console.get_by_label("User name").fill("usa_player")
    console.get_by_label("Role").select_option("player")
    console.get_by_label("Team").select_option("GBR")
    console.get_by_role("button", name="Save participant").click()
    expect(usa.locator("#connection")).to_have_text("Disconnected", timeout=5000)
    usa.reload()
    wait_for_socket(usa)
    expect(usa.get_by_role("heading", name="United Kingdom")).to_be_visible()


def test_the_consoles_delivery_matrix_follows_releases_and_responses_row_by_row(personas, live_daphne, log_in):
    console = log_in(personas.facilitator)
    usa = log_in(personas.usa_player)
    wait_for_socket(console)
    wait_for_socket(usa)
    matrix = console.locator("#delivery")
    expect(matrix.get_by_text("Nothing released yet.")).to_be_visible()
    console.get_by_role("button", name="Start exercise").click()

    console.get_by_role("button", name="Release inject 3: Direct-ascent ASAT test detected").click()
    to_all = console.locator(f"#delivery-row-{personas.to_all.pk}")
    expect(to_all).to_contain_text("Direct-ascent ASAT test detected", timeout=3000)
    expect(matrix.get_by_text("Nothing released yet.")).to_be_hidden()
    console.get_by_role("button", name="Release inject 1: Conjunction warning for USA-SAT 12").click()
    usa_only = console.locator(f"#delivery-row-{personas.usa_only.pk}")
    expect(usa_only).to_contain_text("Conjunction warning for USA-SAT 12", timeout=3000)
    row_ids = console.locator("#delivery-rows > tr[id]").evaluate_all("rows => rows.map(row => row.id)")
    assert row_ids == [f"delivery-row-{personas.to_all.pk}", f"delivery-row-{personas.usa_only.pk}"], "in release order"
    expect(usa_only.locator("td").first).to_contain_text("Delivered")  # USA's column

    expect(usa.get_by_role("heading", name="Conjunction warning for USA-SAT 12")).to_be_visible(timeout=3000)
    card = usa.locator("article.inject", has=usa.get_by_role("heading", name="Conjunction warning for USA-SAT 12"))
    card.get_by_text("Respond to this inject").click()
    usa.get_by_role("textbox", name="Your team's response").fill("USA assesses the conjunction; CSPOC informed.")
    usa.get_by_label("CONJ-2").check()
    usa.get_by_role("button", name="Submit response to inject 1").click()
    expect(usa_only.locator("td").first).to_contain_text("Responded", timeout=3000)
    expect(console.locator("#coverage")).to_contain_text("CONJ-2", timeout=3000)

    console.reload()
    wait_for_socket(console)
    assert console.locator("#delivery-rows > tr[id]").count() == 2, "each row once after a reload"
