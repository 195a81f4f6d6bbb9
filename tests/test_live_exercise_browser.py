"""A facilitator and two allied players in three browsers run an exercise live."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def wait_for_socket(page):
    """The page is live once the state sent on connect has arrived."""
    page.wait_for_selector("body[data-connection=live]", timeout=5000)


def test_a_released_inject_reaches_only_its_team_and_the_response_reaches_control(personas, log_in):
    console = log_in(personas.facilitator)
    usa = log_in(personas.usa_player)
    gbr = log_in(personas.gbr_player)
    expect(console.get_by_role("heading", name="Exercise Alpha")).to_be_visible()
    expect(usa.get_by_role("heading", name="United States")).to_be_visible()
    for page in (console, usa, gbr):
        wait_for_socket(page)

    console.get_by_role("button", name="Start exercise").click()
    expect(console.get_by_role("timer")).to_contain_text("Running", timeout=2000)
    expect(usa.get_by_role("timer")).to_contain_text("Running", timeout=2000)

    console.get_by_role("button", name="Release inject 1: Conjunction warning for USA-SAT 12").click()
    expect(usa.get_by_role("heading", name="Conjunction warning for USA-SAT 12")).to_be_visible(timeout=2000)
    expect(console.locator(f"#inject-row-{personas.usa_only.pk}")).to_contain_text("Released", timeout=2000)

    usa.get_by_text("Respond to this inject").click()
    usa.get_by_role("textbox", name="Your team's response").fill(
        "USA will manoeuvre USA-SAT 12 at T+00:40 and notify CSPOC."
    )
    usa.get_by_label("CONJ-2").check()
    usa.get_by_role("button", name="Submit response to inject 1").click()
    expect(usa.locator("#inject-feed").get_by_role("status")).to_contain_text("Response recorded", timeout=2000)
    expect(console.locator("#response-feed")).to_contain_text("USA will manoeuvre USA-SAT 12", timeout=2000)
    expect(console.locator("#response-feed")).to_contain_text("CONJ-2")
    expect(usa.locator("#response-feed")).to_contain_text("USA will manoeuvre USA-SAT 12", timeout=2000)

    # GBR never received the USA-only inject nor USA's response, live or on reload.
    assert "USA-SAT 12" not in gbr.content()
    gbr.reload()
    expect(gbr.get_by_role("heading", name="United Kingdom")).to_be_visible()
    assert "USA-SAT 12" not in gbr.content()
    assert "USA will manoeuvre" not in gbr.content()


def test_a_reload_loses_nothing_and_shows_each_inject_once(personas, log_in):
    console = log_in(personas.facilitator)
    usa = log_in(personas.usa_player)
    wait_for_socket(console)
    wait_for_socket(usa)
    console.get_by_role("button", name="Start exercise").click()
    console.get_by_role("button", name="Release inject 3: Direct-ascent ASAT test detected").click()
    expect(usa.get_by_role("heading", name="Direct-ascent ASAT test detected")).to_be_visible(timeout=2000)
    expect(usa.locator("#connection")).to_have_text("Live")
    usa.reload()
    wait_for_socket(usa)
    expect(usa.get_by_role("heading", name="Direct-ascent ASAT test detected")).to_have_count(1)


def test_controls_clicked_in_quick_succession_reach_the_server_in_order(personas, log_in):
    """A release clicked while "Start exercise" is still in flight waits for it instead of being refused."""
    console = log_in(personas.facilitator)
    usa = log_in(personas.usa_player)
    wait_for_socket(console)
    wait_for_socket(usa)
    held_starts = []
    console.route("**/clock/start/", lambda route: held_starts.append(route))  # waits here until let go
    sent = []
    console.on("request", lambda request: sent.append(request.url) if request.method == "POST" else None)

    console.get_by_role("button", name="Start exercise").click()
    for _ in range(100):  # Playwright hands the held route over while the test waits on the page
        if held_starts:
            break
        console.wait_for_timeout(20)
    assert held_starts, "the start request was not sent"
    console.get_by_role("button", name="Release inject 3: Direct-ascent ASAT test detected").click()
    console.wait_for_timeout(300)
    assert not [url for url in sent if "/release/" in url], "the release went out before the start had answered"

    held_starts[0].continue_()
    expect(usa.get_by_role("heading", name="Direct-ascent ASAT test detected")).to_be_visible(timeout=5000)
    expect(console.locator(f"#inject-row-{personas.to_all.pk}")).to_contain_text("Released", timeout=5000)
    expect(console.locator("#notice")).not_to_contain_text("Start the exercise before")
