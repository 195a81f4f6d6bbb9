"""An ASAT test's debris in real browsers: the facilitator releases the test, the console shows the cloud and
the drafted injects as soon as daphne's clock worker has broken the target up, and a released draft reaches
the owner team's page."""

import pytest
from playwright.sync_api import expect

from exercises.models import Inject
from tests.test_debris import debris_scenario, run_of
from tests.test_live_exercise_browser import wait_for_socket

pytestmark = pytest.mark.browser


@pytest.fixture
def world(library, transactional_db):
    return run_of(debris_scenario())


def test_the_asat_test_brings_its_debris_and_drafts_to_the_console_live(world, live_daphne_with_clock, log_in):
    exercise = world.exercise
    console = log_in(world.facilitator)
    usa = log_in(world.usa_player)
    wait_for_socket(console)
    wait_for_socket(usa)
    debris = console.locator("#debris-console")
    expect(debris).to_contain_text("Releasing inject 3 breaks up KRS-METEO 2 (KARSLAND).")

    # Paused at exactly T+00:15:00, so the break-up is the one tests/test_debris.py checks.
    console.get_by_role("button", name="Start exercise").click()
    console.get_by_role("button", name="Pause exercise").click()
    expect(console.get_by_role("button", name="Resume exercise")).to_be_visible(timeout=3000)
    console.get_by_label("Jump to").fill("T+00:15")
    console.get_by_role("button", name="Jump ahead").click()
    expect(console.get_by_role("timer")).to_contain_text("T+00:15:00", timeout=3000)
    console.get_by_role("button", name="Release inject 3: Direct-ascent ASAT test detected").click()

    # The clock worker breaks KRS-METEO 2 up after the release commits; the console gets it without a reload.
    expect(debris.locator(".catalogued-count")).to_be_visible(timeout=20000)
    expect(debris.locator(".catalogued-count")).to_have_text(str(world.target.fragments.count()))
    drafts = list(Inject.objects.filter(exercise=exercise, drafted_from=world.asat).order_by("sequence"))
    assert len(drafts) >= 2
    expect(debris.locator(".fragment-count")).not_to_be_empty()
    for draft in drafts:
        expect(debris.locator(f"#draft-{draft.pk}")).to_contain_text(draft.title)
        expect(console.locator(f"#inject-row-{draft.pk}")).to_contain_text("On demand")  # in the MSEL too
    first, last = drafts[0], drafts[-1]
    assert usa.get_by_role("heading", name=first.title).count() == 0, "a draft reaches no one until released"

    # Release one: it reaches USA, and the console's draft row says so.
    console.get_by_role("button", name=f"Release drafted inject {first.sequence}: {first.title}").click()
    expect(usa.get_by_role("heading", name=first.title)).to_be_visible(timeout=5000)
    expect(debris.locator(f"#draft-{first.pk}")).to_contain_text("Released", timeout=5000)

    # Discard another (after the confirmation): gone from the debris section and from the MSEL.
    console.once("dialog", lambda dialog: dialog.accept())
    console.get_by_role("button", name=f"Discard drafted inject {last.sequence}: {last.title}").click()
    expect(debris.locator(f"#draft-{last.pk}")).to_have_count(0, timeout=5000)
    expect(console.locator(f"#inject-row-{last.pk}")).to_have_count(0)
    assert not Inject.objects.filter(pk=last.pk).exists()

    # A reload shows the same: the state is in the database.
    console.reload()
    wait_for_socket(console)
    expect(debris.locator(f"#draft-{first.pk}")).to_contain_text("Released")
    expect(debris.locator(".catalogued-count")).to_have_text(str(world.target.fragments.count()))
