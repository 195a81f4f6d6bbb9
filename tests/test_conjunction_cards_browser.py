"""A USA player sees the conjunction card's computed numbers the moment control releases it, and downloads its CDM."""

import pytest
from playwright.sync_api import expect

from exercises import selectors
from exercises.models import Exercise, format_exercise_time
from exercises.orbits.messages import parse_cdm
from tests.conjunctions import plant_conjunction

pytestmark = pytest.mark.browser


def wait_for_socket(page):
    page.wait_for_selector("body[data-connection=live]", timeout=5000)


def test_a_player_sees_the_screened_numbers_after_release_and_downloads_the_cdm(personas, log_in):
    plant_conjunction(personas.exercise, personas.usa_only)
    inject = personas.usa_only
    conjunction = selectors.current_conjunction(inject)
    tca = Exercise.objects.get(pk=personas.exercise.pk).exercise_time_of(conjunction.tca)

    console = log_in(personas.facilitator)
    usa = log_in(personas.usa_player)
    wait_for_socket(console)
    wait_for_socket(usa)
    console.get_by_role("button", name="Start exercise").click()
    expect(usa.get_by_role("timer")).to_contain_text("Running", timeout=2000)
    console.get_by_role("button", name="Release inject 1: Conjunction warning for USA-SAT 12").click()

    card = usa.get_by_role("region", name="Screened conjunction of inject 1")
    expect(card).to_be_visible(timeout=2000)
    expect(card.locator(".conjunction-primary")).to_have_text("ALLIED-SAT 7 (USA)")
    expect(card.locator(".conjunction-secondary")).to_have_text("OBJECT 58213 (KARSLAND)")
    expect(card.locator(".conjunction-tca")).to_contain_text(format_exercise_time(tca))
    expect(card.locator(".conjunction-miss")).to_have_text(f"{round(conjunction.miss_distance_m)} m")
    expect(card.locator(".conjunction-speed")).to_have_text(f"{conjunction.relative_speed_m_s:.1f} m/s")
    expect(card.locator(".conjunction-pc")).to_have_text(f"{conjunction.probability:.1e}")
    expect(usa.locator(f"#inject-{inject.pk} .inject-text")).to_contain_text(
        f"ALLIED-SAT 7 and OBJECT 58213 pass within {round(conjunction.miss_distance_m)} m"
    )

    with usa.expect_download() as downloading:
        card.get_by_role("link", name="Download CDM (KVN)").click()
    download = downloading.value
    assert download.suggested_filename == f"cdm-exercise-{personas.exercise.pk}-inject-1.kvn"
    with open(download.path(), encoding="utf-8") as kvn:
        cdm = parse_cdm(kvn.read())
    assert cdm.miss_distance_m == pytest.approx(conjunction.miss_distance_m, abs=1e-6)
    assert (cdm.object1.object_name, cdm.object2.object_name) == ("ALLIED-SAT 7", "OBJECT 58213")

    usa.reload()  # the page as served, not only the push, shows the card
    card = usa.get_by_role("region", name="Screened conjunction of inject 1")
    expect(card.locator(".conjunction-miss")).to_have_text(f"{round(conjunction.miss_distance_m)} m")
