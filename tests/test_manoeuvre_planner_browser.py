"""A USA player plans a burn of ALLIED-SAT 7 against a conjunction, sees the new miss distance, commits it,
and the facilitator's console shows the manoeuvre as it happens."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from exercises import selectors
from exercises.models import Manoeuvre
from exercises.orbits.manoeuvre import apply_burn
from exercises.orbits.planning import closest_approach
from tests.test_manoeuvre_planner import EPOCH, orbiting_exercise

pytestmark = pytest.mark.browser


def wait_for_socket(page):
    page.wait_for_selector("body[data-connection=live]", timeout=5000)


def test_a_usa_player_plans_and_commits_a_burn_and_the_console_shows_it(library, log_in):
    planner = orbiting_exercise("Browser exercise")
    conjunction = planner.conjunction
    burned = apply_burn(planner.allied, EPOCH + timedelta(minutes=10), (0.5, 0.0, 0.0))
    expected = closest_approach(burned, planner.debris, conjunction.tca)
    new_miss = f"{expected.miss_distance_m:.0f} m"
    old_miss = f"{conjunction.miss_distance_m:.0f} m"

    console = log_in(planner.facilitator)
    usa = log_in(planner.usa.user)
    wait_for_socket(console)
    wait_for_socket(usa)
    expect(console.locator("#manoeuvre-feed")).to_contain_text("No manoeuvres committed yet")

    form = usa.locator(f"#plan-{conjunction.pk}")
    expect(form.get_by_role("heading", name="ALLIED-SAT 7 × OBJECT 58213")).to_be_visible()
    expect(form).to_contain_text(old_miss)
    form.get_by_label("Burn time (exercise time)").fill("T+00:10:00")
    form.get_by_label("Radial (m/s)").fill("0.5")
    form.get_by_label("CONJ-1").check()
    form.get_by_role("button", name="Plan manoeuvre").click()
    outcome = usa.get_by_role("table", name="Outcome of the planned burn")
    expect(outcome).to_contain_text(new_miss, timeout=5000)
    expect(outcome).to_contain_text("19.50 m/s")  # the budget left: 20 less the 0.5 m/s burn
    assert not Manoeuvre.objects.filter(exercise=planner.exercise).exists()  # planning wrote nothing

    usa.once("dialog", lambda dialog: dialog.accept())
    usa.locator(f"#plan-{conjunction.pk}").get_by_role("button", name="Commit manoeuvre").click()
    expect(usa.locator("#manoeuvre-planner").get_by_role("status")).to_contain_text(
        "Manoeuvre of ALLIED-SAT 7 committed", timeout=10000
    )
    manoeuvre = Manoeuvre.objects.get(exercise=planner.exercise)
    assert f"{manoeuvre.miss_distance_after_m:.0f} m" == new_miss

    # The console, loaded before the commit, shows it live: satellite, team, burn time, delta-v, miss before → after.
    item = console.locator(f"#manoeuvre-feed #manoeuvre-{manoeuvre.pk}")
    expect(item).to_be_visible(timeout=5000)
    for text in ("ALLIED-SAT 7", "USA", "burn at T+00:10:00", "0.50 m/s", old_miss, new_miss):
        expect(item).to_contain_text(text)
    expect(console.locator("#response-feed")).to_contain_text("Manoeuvre of ALLIED-SAT 7 at T+00:10:00")
    # The player's planner now shows the conjunction as screened after the burn.
    current = selectors.current_conjunction(planner.warning)
    expect(usa.locator(f"#plan-{current.pk}")).to_contain_text(new_miss)
    expect(usa.locator("#manoeuvre-feed")).to_contain_text("ALLIED-SAT 7")
    # The warning's card on the team page follows the screening live: the new miss distance, not the old one.
    card = usa.locator(f"#inject-{planner.warning.pk} .conjunction-miss")
    expect(card).to_have_text(new_miss, timeout=5000)
