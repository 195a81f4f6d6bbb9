"""The orbit pictures in a real browser: the console's altitude picture loads, a player's browser draws the
pictures of a conjunction released to their team, and another team's browser gets none."""

import pytest
from playwright.sync_api import expect

from exercises.services.releases import release_inject
from tests.conjunctions import plant_conjunction
from tests.test_authorization_matrix import orbit_pictures_world

pytestmark = pytest.mark.browser

LOADED = "img => img.complete && img.naturalWidth > 0"
DRAWN = """async url => {
    const image = new Image();
    image.src = url;
    try { await image.decode(); } catch (error) { return 0; }
    return image.naturalWidth;
}"""


def test_the_console_shows_the_catalogue_and_a_team_sees_only_its_conjunctions_pictures(running, live_daphne, log_in):
    personas = running
    plant_conjunction(personas.exercise, personas.usa_only)
    conjunction, debris = orbit_pictures_world(personas.exercise, personas.usa_only)
    release_inject(inject=personas.usa_only, by=personas.facilitator)
    e = personas.exercise.pk

    console = log_in(personas.facilitator)
    picture = console.get_by_role("img", name="Altitude of the allied satellites over exercise time")
    expect(picture).to_be_visible()
    console.wait_for_function(f"() => ({LOADED})(document.querySelector('img[src$=\"catalogue/altitudes.svg\"]'))")
    assert picture.evaluate(LOADED)

    usa = log_in(personas.usa_player)
    gbr = log_in(personas.gbr_player)
    for name in ("encounter-plane", "miss-distance"):
        url = f"/exercises/{e}/conjunctions/{conjunction.pk}/{name}.svg"
        assert usa.evaluate(DRAWN, url) > 0, name
        assert gbr.evaluate(DRAWN, url) == 0, name
    for name in ("gabbard", "altitudes"):
        url = f"/exercises/{e}/debris/{debris.pk}/{name}.svg"
        assert usa.evaluate(DRAWN, url) > 0, name
        assert gbr.evaluate(DRAWN, url) == 0, name
