"""The USA player shares an assessment of a conjunction warning with its CDM attached, REL TO USA, GBR: the GBR
player sees it arrive live on the Combined Picture and downloads the CDM, with the screening's numbers."""

import re

import pytest
from playwright.sync_api import expect

from exercises import selectors
from exercises.orbits.messages import parse_cdm
from tests.conjunctions import plant_conjunction
from tests.test_live_exercise_browser import wait_for_socket

pytestmark = pytest.mark.browser


def test_a_cdm_shared_with_an_ally_arrives_live_and_downloads(personas, log_in):
    plant_conjunction(personas.exercise, personas.usa_only)
    inject = personas.usa_only
    conjunction = selectors.current_conjunction(inject)

    console = log_in(personas.facilitator)
    usa = log_in(personas.usa_player)
    gbr = log_in(personas.gbr_player)
    for page in (console, usa, gbr):
        wait_for_socket(page)
    console.get_by_role("button", name="Start exercise").click()
    expect(usa.get_by_role("timer")).to_contain_text("Running", timeout=2000)
    console.get_by_role("button", name=f"Release inject 1: {inject.title}").click()

    card = usa.locator(f"#inject-{inject.pk}")
    expect(card.get_by_role("link", name="Download the OMM of OBJECT 58213 (KVN)")).to_be_visible(timeout=2000)
    card.get_by_role("link", name="Share an assessment from inject 1 with allies").click()
    usa.get_by_label("Title").fill("ALLIED-SAT 7 will manoeuvre")
    usa.get_by_label("Text").fill("Burn planned before TCA; our CDM is attached.")
    usa.locator("#id_recipients").get_by_label("United Kingdom").check()
    usa.get_by_label("Classification").select_option("secret")
    usa.get_by_label("Releasability").select_option("rel_to")
    rel_to = usa.locator("#id_releasable_to")
    for name in ("United States", "United Kingdom"):
        rel_to.get_by_label(name).check()
    usa.get_by_label(re.compile("Attach the CDM of ALLIED-SAT 7 × OBJECT 58213")).check()
    usa.get_by_role("button", name="Share assessment").click()
    expect(usa.get_by_role("heading", name="United States")).to_be_visible()

    picture = gbr.locator("#combined-picture")
    expect(picture).to_contain_text("ALLIED-SAT 7 will manoeuvre", timeout=2000)  # live, without a reload
    expect(picture).to_contain_text("EXERCISE SECRET // REL TO GBR, USA")
    expect(picture).to_contain_text("CDM attached: ALLIED-SAT 7 × OBJECT 58213")
    with gbr.expect_download() as downloading:
        picture.get_by_role("link", name="Download the shared CDM (KVN)").click()
    download = downloading.value
    assert download.suggested_filename == f"cdm-exercise-{personas.exercise.pk}-conjunction-{conjunction.pk}.kvn"
    with open(download.path(), encoding="utf-8") as kvn:
        cdm = parse_cdm(kvn.read())
    assert cdm.miss_distance_m == pytest.approx(conjunction.miss_distance_m, abs=1e-6)
    assert cdm.collision_probability == pytest.approx(conjunction.probability, rel=1e-9)
    assert (cdm.object1.object_name, cdm.object2.object_name) == ("ALLIED-SAT 7", "OBJECT 58213")

    # The panel of GBR's space data lists the shared conjunction too (fetched when the page loads).
    gbr.reload()
    wait_for_socket(gbr)
    expect(gbr.locator(f"#catalogue-conjunction-{conjunction.pk}")).to_contain_text("ALLIED-SAT 7 × OBJECT 58213")
