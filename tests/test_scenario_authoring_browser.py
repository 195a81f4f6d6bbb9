"""A planner authors a MSEL in a real browser: inline add with errors beside the fields, preview,
reorder, and an import refused with its list of problems."""

import pytest
from playwright.sync_api import expect

from exercises.models import Scenario

pytestmark = pytest.mark.browser


def open_msel(page, base_url, scenario):
    page.goto(f"{base_url}/scenarios/{scenario.pk}/")
    expect(page.get_by_role("heading", name=scenario.name, level=1)).to_be_visible()


def test_a_planner_adds_an_inject_inline_and_sees_it_in_the_table(personas, log_in, live_daphne):
    scenario = Scenario.objects.get(name="Alpha scenario")
    page = log_in(personas.facilitator)
    open_msel(page, live_daphne.url, scenario)

    form = page.get_by_role("form", name="Add an inject")
    expect(form.get_by_label("No.", exact=True)).to_have_value("4")
    form.get_by_label("Scenario time", exact=True).fill("seven minutes")
    form.get_by_label("Inject type", exact=True).select_option(label="Press / media")
    form.get_by_label("Title", exact=True).fill("A journalist asks about USA-SAT 12")
    form.get_by_label("Text (what players read)", exact=True).fill("Le Monde asks whether USA-SAT 12 nearly collided.")
    form.locator("summary", has_text="TCBM").click()
    form.get_by_role("checkbox", name="TCBM-1", exact=False).check()
    form.get_by_role("button", name="Add inject").click()

    # The server refuses the time, beside the field, and keeps what was typed.
    time_field = page.get_by_role("form", name="Add an inject").get_by_label("Scenario time", exact=True)
    expect(time_field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#new-inject-scenario_time_error")).to_contain_text("is not a scenario time")
    expect(page.get_by_role("form", name="Add an inject").get_by_label("Title", exact=True)).to_have_value(
        "A journalist asks about USA-SAT 12"
    )

    time_field.fill("T+00:07")
    page.get_by_role("form", name="Add an inject").get_by_role("button", name="Add inject").click()

    expect(page.locator("#msel-status")).to_contain_text("Inject 4 added at T+00:07:00")
    rows = page.locator("#msel-body tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(1)).to_contain_text("A journalist asks about USA-SAT 12")  # between T+00:05 and T+00:10
    expect(rows.nth(1)).to_contain_text("TCBM-1")
    expect(page.get_by_role("form", name="Add an inject").get_by_label("No.", exact=True)).to_have_value("5")
    inject = scenario.injects.get(sequence=4)
    assert inject.title == "A journalist asks about USA-SAT 12"

    # The preview shows it as players will see it.
    page.get_by_role("button", name="Preview inject 4 as players see it").click()
    preview = page.locator("#inject-preview")
    expect(preview.get_by_role("heading", name="A journalist asks about USA-SAT 12")).to_be_visible()
    expect(preview).to_contain_text("T+00:07:00")

    # Move it up: it takes the first place, number and time.
    page.get_by_role("button", name="Move inject 4 up").click()
    expect(page.locator("#msel-status")).to_contain_text("now number 1 at T+00:05:00")
    expect(rows.first).to_contain_text("A journalist asks about USA-SAT 12")
    expect(page.get_by_role("button", name="Move inject 1 down")).to_be_focused()

    # Edit it inline.
    page.get_by_role("button", name="Edit inject 1: A journalist asks about USA-SAT 12").click()
    edit = page.get_by_role("form", name="Edit inject 1")
    edit.get_by_label("Title", exact=True).fill("A journalist calls CSPOC")
    edit.get_by_role("button", name="Save inject 1").click()
    expect(rows.first).to_contain_text("A journalist calls CSPOC")
    expect(page.get_by_role("button", name="Edit inject 1: A journalist calls CSPOC")).to_be_focused()


def test_an_import_with_bad_rows_shows_the_list_of_problems(personas, log_in, live_daphne):
    scenario = Scenario.objects.get(name="Alpha scenario")
    page = log_in(personas.facilitator)
    page.goto(f"{live_daphne.url}/scenarios/")
    expect(page.get_by_role("heading", name="Scenarios", level=1)).to_be_visible()
    bad = (
        b"No.,Scenario time,Inject type,To,Text\n"
        b"1,T+00:05,conjunction,USA,Conjunction warning\n"
        b"2,later,press,All,A journalist calls\n"
        b"3,T+00:20,meteor,ATL,A meteor\n"
    )

    form = page.locator("#import-msel")
    form.get_by_label("MSEL spreadsheet (.xlsx or .csv)").set_input_files(
        {"name": "bad-msel.csv", "mimeType": "text/csv", "buffer": bad}
    )
    form.get_by_label("Into the scenario").select_option(label="Alpha scenario")
    form.get_by_role("button", name="Import MSEL spreadsheet").click()

    alert = page.locator("#import-msel").get_by_role("alert")
    expect(alert).to_contain_text("Nothing was imported. 3 problems to fix")
    problems = alert.locator("tbody tr")
    expect(problems).to_have_count(3)
    expect(problems.nth(0)).to_contain_text("Row 3")
    expect(problems.nth(0)).to_contain_text("Scenario time")
    expect(problems.nth(1)).to_contain_text("Inject type")
    expect(problems.nth(2)).to_contain_text("unknown team(s) ATL")
    assert scenario.injects.count() == 3
