"""On the team page, DEU downloads its Combined Picture as a STIX bundle and shares a bundle through the page's
import form: FRA sees it live, USA never does."""

import json

import pytest
import stix2
from playwright.sync_api import expect

from exercises import stix
from exercises.models import SharedAssessment
from tests.test_live_exercise_browser import wait_for_socket
from tests.test_sharing import allies, allies_draft, release_all  # noqa: F401 - the fixtures
from tests.test_stix import assessment_bundle

pytestmark = pytest.mark.browser


def test_the_team_page_downloads_the_stix_bundle_and_imports_one_seen_live_by_an_ally(
    allies,  # noqa: F811
    log_in,
    tmp_path,
):
    release_all(allies)
    pages = {code: log_in(allies.players[code]) for code in ("DEU", "FRA", "USA")}
    for page in pages.values():
        wait_for_socket(page)
    deu = pages["DEU"]

    with deu.expect_download() as download:
        deu.get_by_role("link", name="Download the Combined Picture (STIX 2.1)").click()
    assert download.value.suggested_filename.endswith("-deu-combined-picture.stix.json")
    saved = tmp_path / "deu.stix.json"
    download.value.save_as(saved)
    bundle = stix2.parse(saved.read_text(), allow_custom=False)  # validates as STIX 2.1, no custom content
    source = allies.injects["rel_to"]
    reports = {obj.id: obj for obj in bundle.objects if obj.type == "report"}
    assert stix.inject_report_id(source) in reports  # the inject DEU received
    assert stix.inject_report_id(allies.injects["fvey"]) not in reports  # and not one it did not

    deu.get_by_role("link", name="Share a STIX bundle").click()
    upload = tmp_path / "assessment.stix.json"
    upload.write_text(assessment_bundle(source, banner="EXERCISE SECRET // REL TO DEU, FRA"))
    deu.get_by_label("STIX bundle file (.json)").set_input_files(str(upload))
    deu.locator("#id_recipients").get_by_label("France").check()
    deu.get_by_label("Classification").select_option("secret")
    deu.get_by_label("Releasability").select_option("rel_to")
    for name in ("Germany", "France"):
        deu.locator("#id_releasable_to").get_by_label(name).check()
    deu.get_by_role("button", name="Share the bundle").click()
    expect(deu.get_by_role("heading", name="Germany")).to_be_visible()

    fra = pages["FRA"].locator("#combined-picture")
    expect(fra).to_contain_text("Debris threatens MISTRAL-2", timeout=3000)
    expect(fra).to_contain_text("EXERCISE SECRET // REL TO DEU, FRA")
    usa = pages["USA"]
    assert "Debris threatens MISTRAL-2" not in usa.content()
    usa.reload()
    wait_for_socket(usa)
    assert "Debris threatens MISTRAL-2" not in usa.content()
    shared = SharedAssessment.objects.get()
    assert json.loads(upload.read_text())["objects"][1]["name"] == shared.title
    assert set(shared.recipients.values_list("code", flat=True)) == {"FRA"}
