"""(a) daphne killed and restarted under an open page: it reconnects by itself, shows what was
released meanwhile, and keeps a response the player was writing."""

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.live import Daphne
from tests.test_faults import release_in_another_process, run_in_another_process


@pytest.mark.browser
def test_daphne_killed_and_restarted_under_an_open_page_loses_nothing(personas, browser, transactional_db):
    run_in_another_process(
        "from exercises.models import Exercise; from exercises.services.clock import change_status; "
        f"change_status(exercise=Exercise.objects.get(pk={personas.exercise.pk}), action='start', by=None)"
    )
    release_in_another_process(personas.to_all.pk, personas.facilitator.pk)
    daphne = Daphne()
    with daphne:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{daphne.url}/login/")
        page.get_by_label("User name").fill("usa_player")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_selector("body[data-connection=live]", timeout=10000)
        expect(page.get_by_role("heading", name="Direct-ascent ASAT test detected")).to_be_visible()
        page.get_by_text("Respond to this inject").click()  # the player starts writing a response
        draft = page.get_by_role("textbox", name="Your team's response")
        draft.fill("USA assesses a debris-generating intercept; notifying allies.")
        daphne.process.kill()  # a crash: no goodbye to the browser
        daphne.process.wait(timeout=10)
        expect(page.locator("#connection")).to_have_text("Reconnecting…", timeout=10000)
        release_in_another_process(personas.usa_only.pk, personas.facilitator.pk)  # released while daphne is down
    with Daphne(port=daphne.port):
        expect(page.get_by_role("heading", name="Conjunction warning for USA-SAT 12")).to_be_visible(timeout=60000)
        expect(page.locator("#connection")).to_have_text("Live")
        # The state sent on reconnect replaced the feed around the open form and kept what was typed.
        expect(draft).to_be_visible()
        expect(draft).to_have_value("USA assesses a debris-generating intercept; notifying allies.")
        context.close()


@pytest.mark.browser
def test_a_page_retries_a_lost_server_at_least_every_four_seconds(personas, log_in):
    """The ws extension's own backoff grows to 64 s, so after a restart of a few seconds pages came back
    one by one over 10–20 s; the page's reconnect delay is full jitter capped at 4 s, whatever the count."""
    page = log_in(personas.usa_player)
    page.wait_for_selector("body[data-connection=live]", timeout=10000)
    delays = page.evaluate(
        "() => typeof htmx.config.wsReconnectDelay === 'function' ? "
        "[0, 1, 2, 3, 6, 20].map(n => Array.from({length: 200}, () => htmx.config.wsReconnectDelay(n))) : null"
    )
    assert delays is not None, "the page left the ws extension's default backoff in place"
    first, second, *later = delays
    assert max(first) <= 1000 and max(second) <= 2000
    for samples in later:
        assert 0 <= min(samples) and max(samples) <= 4000
        assert max(samples) > 2000  # jittered over the whole range, not a fixed delay
