"""Authoring scenarios in the browser: who may, the inline inject table, and every write journaled."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from exercises.models import AuditEvent, Objective, Scenario, ScenarioInject
from exercises.services import Conflict, ServiceError, msel_spreadsheet, scenarios
from tests.test_access import PERSONAS, check, login_as
from tests.test_msel_spreadsheet import counts, to_csv

HX = {"HX-Request": "true"}


def inject_data(**overrides) -> dict:
    data = {
        "sequence": 9,
        "scenario_time": "T+00:20",
        "kind": "press",
        "title": "A journalist asks about the near miss",
        "text": "Le Monde asks whether USA-SAT 12 nearly collided.",
        "to": "all",
        "originator": "Le Monde",
        "delivery_method": "phone",
        "expected_action": "Give a short, coordinated answer.",
        "notes": "",
        "classification": "unclassified",
        "releasability": "all",
        "trigger": "",
        "trigger_step": "",
        "protocol_steps": ["TCBM-1"],
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def scenario_events():
    return AuditEvent.objects.filter(kind__startswith="scenario.")


@pytest.fixture
def alpha(personas):
    return Scenario.objects.get(name="Alpha scenario")


# --- Who may author: every URL, every method, every persona ------------------------------------


def msel_csv(scenario) -> bytes:
    return msel_spreadsheet.export_csv(scenario)


ROUTES = {
    # name: (method, args(scenario, inject), data(scenario), the facilitator's status)
    "list": ("get", "scenario-list", lambda s, i: [], None, 200),
    "create": ("post", "scenario-create", lambda s, i: [], lambda s: {"name": "Operation Bright Sky"}, 302),
    "import-json": (
        "post",
        "scenario-import",
        lambda s, i: [],
        lambda s: {
            "file": SimpleUploadedFile(
                "s.json", json.dumps({**scenarios.export_scenario(s), "name": "Imported Alpha"}).encode()
            )
        },
        302,
    ),
    "import-msel": (
        "post",
        "msel-import",
        lambda s, i: [],
        lambda s: {"file": SimpleUploadedFile("m.csv", msel_csv(s)), "scenario": s.pk},
        302,
    ),
    "detail": ("get", "scenario-detail", lambda s, i: [s.pk], None, 200),
    "row": ("get", "scenario-row", lambda s, i: [s.pk], None, 302),
    "rename-form": ("get", "scenario-rename", lambda s, i: [s.pk], None, 200),
    "rename": ("post", "scenario-rename", lambda s, i: [s.pk], lambda s: {"name": "Alpha, renamed"}, 302),
    "duplicate": ("post", "scenario-duplicate", lambda s, i: [s.pk], lambda s: {}, 302),
    "export-json": ("get", "scenario-export", lambda s, i: [s.pk], None, 200),
    "export-csv": ("get", "msel-export", lambda s, i: [s.pk, "csv"], None, 200),
    "export-xlsx": ("get", "msel-export", lambda s, i: [s.pk, "xlsx"], None, 200),
    "add-form": ("get", "scenario-inject-add", lambda s, i: [s.pk], None, 200),
    "add": ("post", "scenario-inject-add", lambda s, i: [s.pk], lambda s: inject_data(), 302),
    "inject-row": ("get", "scenario-inject-row", lambda s, i: [s.pk, i.pk], None, 302),
    "edit-form": ("get", "scenario-inject-edit", lambda s, i: [s.pk, i.pk], None, 200),
    "edit": (
        "post",
        "scenario-inject-edit",
        lambda s, i: [s.pk, i.pk],
        lambda s: inject_data(sequence=1, title="Edited"),
        302,
    ),
    "delete": ("post", "scenario-inject-delete", lambda s, i: [s.pk, i.pk], lambda s: {}, 302),
    "move": ("post", "scenario-inject-move", lambda s, i: [s.pk, i.pk, "down"], lambda s: {}, 302),
    "preview": ("get", "scenario-inject-preview", lambda s, i: [s.pk, i.pk], None, 200),
}


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize("route", list(ROUTES))
def test_only_exercise_planners_author_scenarios(client, personas, alpha, route, who):
    method, name, args, data, allowed = ROUTES[route]
    inject = alpha.injects.get(sequence=1)
    login_as(client, personas, who)
    events = scenario_events().count()

    url = reverse(name, args=args(alpha, inject))
    reply = client.get(url) if method == "get" else client.post(url, data(alpha))

    expected = allowed if who == "facilitator" else ("login" if who == "anonymous" else 403)
    check(reply, expected)
    wrote = scenario_events().count() - events
    assert wrote == (1 if method == "post" and who == "facilitator" else 0)


@pytest.mark.parametrize("who", ["evaluator", "usa_player", "no_role"])
def test_non_planners_are_refused_with_htmx_too_and_see_no_scenario_data(client, personas, alpha, who):
    login_as(client, personas, who)
    reply = client.get(reverse("scenario-detail", args=[alpha.pk]), headers=HX)
    assert reply.status_code == 403
    assert "Conjunction warning for USA-SAT 12" not in reply.content.decode()
    reply = client.get(reverse("scenario-export", args=[alpha.pk]))
    assert reply.status_code == 403


@pytest.mark.parametrize(
    "name, args",
    [
        ("scenario-detail", lambda s, other: [999999]),
        ("scenario-inject-edit", lambda s, other: [s.pk, 999999]),
        ("scenario-inject-edit", lambda s, other: [s.pk, other.pk]),  # an inject of another scenario
        ("scenario-inject-preview", lambda s, other: [s.pk, other.pk]),
        ("msel-export", lambda s, other: [s.pk, "ods"]),
    ],
)
def test_unknown_ids_are_404(client, personas, alpha, name, args):
    other = ScenarioInject.objects.exclude(scenario=alpha).first()
    client.force_login(personas.facilitator)
    assert client.get(reverse(name, args=args(alpha, other))).status_code == 404


def test_an_unknown_move_is_404(client, personas, alpha):
    client.force_login(personas.facilitator)
    inject = alpha.injects.get(sequence=1)
    assert client.post(reverse("scenario-inject-move", args=[alpha.pk, inject.pk, "sideways"])).status_code == 404


@pytest.mark.parametrize("name", ["scenario-create", "scenario-import", "msel-import"])
def test_writes_refuse_get(client, personas, name):
    client.force_login(personas.facilitator)
    assert client.get(reverse(name)).status_code == 405


# --- The library page ----------------------------------------------------------------------------


def test_the_library_lists_scenarios_with_their_actions(client, personas, alpha):
    client.force_login(personas.facilitator)
    page = client.get(reverse("scenario-list")).content.decode()
    assert "Alpha scenario" in page and "Operation Clear Orbit" in page
    assert f'aria-label="Rename {alpha.name}"' in page
    assert f'aria-label="Duplicate {alpha.name}"' in page
    assert reverse("msel-export", args=[alpha.pk, "xlsx"]) in page


def test_creating_a_scenario_with_a_taken_name_shows_the_error_beside_the_field(client, personas, alpha):
    client.force_login(personas.facilitator)
    reply = client.post(reverse("scenario-create"), {"name": "alpha SCENARIO"}, headers=HX)
    assert reply.status_code == 400
    body = reply.content.decode()
    assert 'id="new-scenario-name_error"' in body and "already exists" in body
    assert 'aria-invalid="true"' in body
    assert Scenario.objects.filter(name__iexact="alpha scenario").count() == 1


def test_creating_a_scenario_with_htmx_redirects_the_browser_to_its_msel(client, personas):
    client.force_login(personas.facilitator)
    reply = client.post(reverse("scenario-create"), {"name": "Operation Bright Sky"}, headers=HX)
    scenario = Scenario.objects.get(name="Operation Bright Sky")
    assert reply["HX-Redirect"] == reverse("scenario-detail", args=[scenario.pk])
    assert scenario_events().last().kind == "scenario.created"


def test_renaming_inline_returns_the_row(client, personas, alpha):
    client.force_login(personas.facilitator)
    form = client.get(reverse("scenario-rename", args=[alpha.pk]), headers=HX).content.decode()
    assert 'value="Alpha scenario"' in form
    reply = client.post(
        reverse("scenario-rename", args=[alpha.pk]), {"name": "Alpha (v2)", "description": "New."}, headers=HX
    )
    assert reply.status_code == 200
    assert f'id="scenario-{alpha.pk}"' in reply.content.decode() and "Alpha (v2)" in reply.content.decode()
    event = scenario_events().last()
    assert event.kind == "scenario.renamed" and event.payload["from"] == "Alpha scenario"
    assert event.payload["to"] == "Alpha (v2)" and event.payload["description_changed"]


def test_renaming_to_an_empty_name_is_refused_beside_the_field(client, personas, alpha):
    client.force_login(personas.facilitator)
    reply = client.post(reverse("scenario-rename", args=[alpha.pk]), {"name": "  "}, headers=HX)
    assert reply.status_code == 400
    assert f'id="rename-{alpha.pk}-name_error"' in reply.content.decode()


def test_duplicating_copies_every_field_under_a_new_name(client, personas, alpha):
    client.force_login(personas.facilitator)
    reply = client.post(reverse("scenario-duplicate", args=[alpha.pk]))
    copy = Scenario.objects.get(name="Copy of Alpha scenario")
    assert reply["Location"] == reverse("scenario-detail", args=[copy.pk])
    assert {**scenarios.export_scenario(copy), "name": alpha.name} == scenarios.export_scenario(alpha)
    client.post(reverse("scenario-duplicate", args=[alpha.pk]))
    assert Scenario.objects.filter(name="Copy of Alpha scenario (2)").exists()
    assert scenario_events().last().kind == "scenario.duplicated"


def test_the_json_export_is_a_download_of_the_scenario_format(client, personas, alpha):
    client.force_login(personas.facilitator)
    reply = client.get(reverse("scenario-export", args=[alpha.pk]))
    assert reply["Content-Disposition"] == 'attachment; filename="alpha-scenario.json"'
    assert json.loads(reply.content) == scenarios.export_scenario(alpha)
    reply = client.get(reverse("msel-export", args=[alpha.pk, "xlsx"]))
    assert reply["Content-Disposition"] == 'attachment; filename="alpha-scenario-msel.xlsx"'
    assert reply.content.startswith(b"PK")


@pytest.mark.parametrize(
    "language, expected",
    [
        (
            "fr",
            [
                "Rien n’a été importé.",
                "2 problèmes à corriger :",
                "<td>Ligne 3</td><td>Scenario time</td><td>&#x27;half past one&#x27; n’est pas un temps de scénario",
                "<td>Ligne 4</td><td>To</td><td>équipe(s) inconnue(s) ATL</td>",
            ],
        ),
        (
            None,
            [
                "Nothing was imported.",
                "2 problems to fix:",
                "<td>Row 3</td><td>Scenario time</td><td>&#x27;half past one&#x27; is not a scenario time",
                "<td>Row 4</td><td>To</td><td>unknown team(s) ATL</td>",
            ],
        ),
    ],
)
def test_a_bad_spreadsheet_import_lists_row_column_and_reason_in_the_uploaders_language_and_writes_nothing(
    client, personas, alpha, settings, language, expected
):
    """The row errors of a MSEL upload are in the planner's language; the column names stay the sheet's."""
    client.force_login(personas.facilitator)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    rows = msel_spreadsheet.msel_rows(alpha)
    rows[2][msel_spreadsheet.HEADERS.index("Scenario time")] = "half past one"
    rows[3][msel_spreadsheet.HEADERS.index("To")] = "USA, ATL"
    before = counts()

    reply = client.post(
        reverse("msel-import"),
        {"file": SimpleUploadedFile("alpha.csv", to_csv(rows)), "scenario": alpha.pk},
        headers=HX,
    )

    assert reply.status_code == 400
    body = reply.content.decode()
    for text in expected:
        assert text in body
    assert counts() == before
    other = "Row 3" if language == "fr" else "Ligne 3"
    assert other not in body
    assert counts() == before


def test_a_spreadsheet_import_without_htmx_shows_the_problems_on_the_library_page(client, personas, alpha):
    client.force_login(personas.facilitator)
    reply = client.post(
        reverse("msel-import"), {"file": SimpleUploadedFile("notes.txt", b"hello"), "new_name": "From notes"}
    )
    assert reply.status_code == 400
    body = reply.content.decode()
    assert "<h1>Scenarios</h1>" in body and "Upload a MSEL as .xlsx or .csv" in body


def test_a_spreadsheet_import_needs_a_target(client, personas, alpha):
    client.force_login(personas.facilitator)
    data = {"file": SimpleUploadedFile("alpha.csv", msel_csv(alpha))}
    reply = client.post(reverse("msel-import"), data, headers=HX)
    assert reply.status_code == 400 and "Name the new scenario" in reply.content.decode()
    data = {"file": SimpleUploadedFile("alpha.csv", msel_csv(alpha)), "new_name": "Alpha scenario"}
    reply = client.post(reverse("msel-import"), data, headers=HX)
    assert reply.status_code == 400 and "already exists" in reply.content.decode()


def test_an_oversized_upload_is_refused_before_it_is_read(client, personas, alpha):
    client.force_login(personas.facilitator)
    big = SimpleUploadedFile("big.csv", b"x" * (msel_spreadsheet.MAX_UPLOAD_BYTES + 1))
    reply = client.post(reverse("msel-import"), {"file": big, "scenario": alpha.pk}, headers=HX)
    assert reply.status_code == 400 and "larger than 2 MB" in reply.content.decode()


def test_a_json_import_that_is_not_json_is_refused(client, personas):
    client.force_login(personas.facilitator)
    reply = client.post(reverse("scenario-import"), {"file": SimpleUploadedFile("s.json", b"<xml/>")}, headers=HX)
    assert reply.status_code == 400 and "not a JSON scenario file" in reply.content.decode()


# --- The MSEL editor -----------------------------------------------------------------------------


def test_the_editor_shows_the_msel_by_time_then_number_with_named_controls(client, personas, alpha):
    a, b, c = (alpha.injects.get(sequence=n) for n in (1, 2, 3))
    ScenarioInject.objects.filter(pk=c.pk).update(offset=timedelta(minutes=1))
    client.force_login(personas.facilitator)
    page = client.get(reverse("scenario-detail", args=[alpha.pk])).content.decode()
    assert (
        page.index(f'id="inject-row-{c.pk}"')
        < page.index(f'id="inject-row-{a.pk}"')
        < page.index(f'id="inject-row-{b.pk}"')
    )
    assert f'aria-label="Edit inject 1: {a.title}"' in page
    assert 'aria-label="Delete inject 2: UK-only intelligence on the debris field"' in page
    assert 'aria-label="Move inject 1 up"' in page and 'aria-label="Move inject 3 down"' in page
    assert 'aria-label="Preview inject 3 as players see it"' in page
    assert 'name="sequence" value="4"' in page  # the add form offers the next number


def test_the_editor_speaks_french_to_a_french_speaking_planner_and_keeps_what_authors_wrote(
    client, personas, alpha, settings
):
    client.force_login(personas.facilitator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    first = alpha.injects.get(sequence=1)
    page = client.get(reverse("scenario-detail", args=[alpha.pk])).content.decode()
    assert f'aria-label="Modifier l’inject 1\u00a0: {first.title}"' in page  # the title stays as written
    assert '<h2 id="add-title">Ajouter un inject</h2>' in page and "Temps du scénario" in page
    reply = client.post(
        reverse("scenario-inject-add", args=[alpha.pk]), inject_data(scenario_time="twenty past"), headers=HX
    )
    assert reply.status_code == 400
    body = reply.content.decode()
    assert "Non enregistré\u00a0: corrigez les champs signalés ci-dessous." in body
    assert "&#x27;twenty past&#x27; n’est pas un temps de scénario" in body
    assert not alpha.injects.filter(sequence=9).exists()


def test_adding_an_inject_with_htmx_returns_a_fresh_form_and_the_rows(client, personas, alpha):
    client.force_login(personas.facilitator)
    reply = client.post(reverse("scenario-inject-add", args=[alpha.pk]), inject_data(), headers=HX)
    assert reply.status_code == 200
    inject = alpha.injects.get(sequence=9)
    body = reply.content.decode()
    assert 'id="new-inject-form"' in body and 'name="sequence" value="10"' in body
    assert '<tbody id="msel-body" hx-swap-oob="innerHTML">' in body
    assert f'id="inject-row-{inject.pk}"' in body and "Inject 9 added at T+00:20:00" in body
    assert inject.offset == timedelta(minutes=20) and inject.addressed_to_all
    assert list(inject.protocol_steps.values_list("code", flat=True)) == ["TCBM-1"]
    event = scenario_events().last()
    assert event.kind == "scenario.inject_added" and event.exercise is None
    assert event.actor == personas.facilitator and event.payload["sequence"] == 9


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"scenario_time": "twenty past"}, "scenario_time", "is not a scenario time"),
        ({"sequence": 2}, "sequence", "Inject number 2 is already used"),
        ({"sequence": 0}, "sequence", "greater than or equal to 1"),
        ({"text": ""}, "text", "Write the text players will read"),
        ({"title": "x" * 201}, "title", "at most 200 characters"),
        ({"to": "teams"}, "teams", "Tick at least one team"),
        ({"releasability": "rel_to"}, "releasable_to", "Tick the nations it is releasable to"),
        ({"releasable_to": ["USA"]}, "releasable_to", "only for “REL TO listed nations”"),
        ({"trigger": "not_claimed"}, "trigger_step", "Choose the protocol step"),
        ({"trigger_step": "CONJ-1"}, "trigger", "Choose the condition"),
        ({"kind": "meteor"}, "kind", "Select a valid choice"),
    ],
)
def test_an_invalid_inject_is_returned_with_the_error_beside_the_field(
    client, personas, alpha, overrides, field, message
):
    client.force_login(personas.facilitator)
    before = counts()
    reply = client.post(reverse("scenario-inject-add", args=[alpha.pk]), inject_data(**overrides), headers=HX)
    assert reply.status_code == 400
    body = reply.content.decode()
    error_id = f"new-inject-{field}_error"
    assert f'id="{error_id}"' in body, body[:2000]
    error_list = body[body.index(f'id="{error_id}"') :]
    assert message in error_list[: error_list.index("</ul>")]
    assert counts() == before


def test_editing_an_inject_inline_saves_it_and_returns_the_rows(client, personas, alpha):
    inject = alpha.injects.get(sequence=2)
    client.force_login(personas.facilitator)
    form = client.get(reverse("scenario-inject-edit", args=[alpha.pk, inject.pk]), headers=HX).content.decode()
    assert f'<tr id="inject-row-{inject.pk}" class="editing">' in form
    assert 'value="T+00:10:00"' in form and "UK-only intelligence" in form

    data = inject_data(
        sequence=2,
        scenario_time="T+00:12",
        kind="intelligence",
        title="UK intelligence, now releasable to FVEY",
        to="teams",
        teams=["GBR", "USA"],
        releasability="fvey",
        classification="confidential",
        protocol_steps=["INFO-1", "INFO-2"],
    )
    reply = client.post(reverse("scenario-inject-edit", args=[alpha.pk, inject.pk]), data, headers=HX)

    assert reply.status_code == 200
    assert reply["HX-Retarget"] == "#msel-body" and reply["HX-Reswap"] == "innerHTML"
    assert "UK intelligence, now releasable to FVEY" in reply.content.decode()
    inject.refresh_from_db()
    assert inject.offset == timedelta(minutes=12) and inject.releasability == "fvey"
    assert sorted(inject.teams.values_list("code", flat=True)) == ["GBR", "USA"]
    event = scenario_events().last()
    assert event.kind == "scenario.inject_changed"
    assert {"offset", "title", "teams", "releasability", "classification", "protocol_steps"} <= set(
        event.payload["changed"]
    )
    assert event.payload["before"]["offset"] == "T+00:10:00"


def test_an_invalid_edit_comes_back_in_its_row_with_the_errors(client, personas, alpha):
    inject = alpha.injects.get(sequence=2)
    client.force_login(personas.facilitator)
    reply = client.post(
        reverse("scenario-inject-edit", args=[alpha.pk, inject.pk]),
        inject_data(sequence=1, scenario_time="T+1h"),
        headers=HX,
    )
    assert reply.status_code == 400
    body = reply.content.decode()
    assert f'<tr id="inject-row-{inject.pk}" class="editing">' in body
    assert f'id="inject-{inject.pk}-sequence_error"' in body and f'id="inject-{inject.pk}-scenario_time_error"' in body
    inject.refresh_from_db()
    assert inject.sequence == 2


def test_cancel_puts_the_row_back(client, personas, alpha):
    inject = alpha.injects.get(sequence=2)
    client.force_login(personas.facilitator)
    reply = client.get(reverse("scenario-inject-row", args=[alpha.pk, inject.pk]), headers=HX)
    assert reply.content.decode().strip().startswith(f'<tr id="inject-row-{inject.pk}"')


def test_deleting_an_inject_returns_the_remaining_rows(client, personas, alpha):
    inject = alpha.injects.get(sequence=2)
    client.force_login(personas.facilitator)
    reply = client.post(reverse("scenario-inject-delete", args=[alpha.pk, inject.pk]), headers=HX)
    body = reply.content.decode()
    assert f'id="inject-row-{inject.pk}"' not in body and "Inject 2 deleted" in body
    assert not ScenarioInject.objects.filter(pk=inject.pk).exists()
    event = scenario_events().last()
    assert event.kind == "scenario.inject_deleted" and event.payload["title"] == inject.title


def test_moving_an_inject_swaps_its_place_number_and_time_with_its_neighbour(client, personas, alpha):
    first, second = alpha.injects.get(sequence=1), alpha.injects.get(sequence=2)
    client.force_login(personas.facilitator)
    reply = client.post(reverse("scenario-inject-move", args=[alpha.pk, second.pk, "up"]), headers=HX)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (second.sequence, second.offset) == (1, timedelta(minutes=5))
    assert (first.sequence, first.offset) == (2, timedelta(minutes=10))
    body = reply.content.decode()
    assert body.index(f'id="inject-row-{second.pk}"') < body.index(f'id="inject-row-{first.pk}"')
    assert "it is now number 1 at T+00:05:00" in body
    # At the top, "up" is disabled, so focus goes to "down".
    assert f'id="move-up-{second.pk}"' in body
    row = body[body.index(f'id="inject-row-{second.pk}"') :]
    assert "autofocus>↓ Down" in row[: row.index("</tr>")]
    event = scenario_events().last()
    assert event.kind == "scenario.injects_reordered" and event.payload["swapped_with"]["inject"] == first.pk


def test_moving_the_first_inject_up_changes_nothing(client, personas, alpha):
    first = alpha.injects.get(sequence=1)
    client.force_login(personas.facilitator)
    events = scenario_events().count()
    reply = client.post(reverse("scenario-inject-move", args=[alpha.pk, first.pk, "up"]), headers=HX)
    assert "already first" in reply.content.decode()
    assert scenario_events().count() == events


def test_injects_at_the_same_time_are_reordered_by_number(library):
    scenario = scenarios.create_scenario(name="Same time", by=None)
    for sequence in (1, 2, 3):
        scenarios.add_inject(scenario=scenario, values=values(sequence=sequence, offset=timedelta(minutes=5)), by=None)
    third = scenario.injects.get(sequence=3)
    scenarios.move_inject(inject=third, direction="up", by=None)
    scenarios.move_inject(inject=scenario.injects.get(pk=third.pk), direction="up", by=None)
    order = list(scenario.injects.order_by("offset", "sequence").values_list("pk", flat=True))
    assert order[0] == third.pk
    assert sorted(scenario.injects.values_list("sequence", flat=True)) == [1, 2, 3]


def test_the_preview_shows_the_inject_as_players_see_it_with_its_controls_disabled(client, personas, alpha):
    inject = alpha.injects.get(sequence=1)
    client.force_login(personas.facilitator)
    reply = client.get(reverse("scenario-inject-preview", args=[alpha.pk, inject.pk]), headers=HX)
    body = reply.content.decode()
    assert '<fieldset class="preview-frame" disabled>' in body
    assert f'<h3 id="inject-{inject.pk}-title">Conjunction warning for USA-SAT 12</h3>' in body
    assert "T+00:05:00" in body and "From CSPOC · Message" in body
    assert "as a player of\n    USA" in body
    assert "Expected action." in body  # for the planner, below the card, marked as not shown to players
    page = client.get(reverse("scenario-inject-preview", args=[alpha.pk, inject.pk]))
    assert "<h1>Player preview of inject 1</h1>" in page.content.decode()


def test_editing_a_scenario_never_changes_an_exercise_made_from_it(client, personas, alpha):
    inject = alpha.injects.get(sequence=1)
    client.force_login(personas.facilitator)
    client.post(reverse("scenario-inject-edit", args=[alpha.pk, inject.pk]), inject_data(sequence=1, title="Changed"))
    assert alpha.injects.get(sequence=1).title == "Changed"
    assert personas.exercise.injects.get(sequence=1).title == "Conjunction warning for USA-SAT 12"


def test_without_htmx_the_forms_work_as_plain_pages(client, personas, alpha):
    client.force_login(personas.facilitator)
    page = client.get(reverse("scenario-inject-add", args=[alpha.pk])).content.decode()
    assert "<h1>Add an inject to Alpha scenario</h1>" in page and "hx-post" not in page.split("<h1>")[1]
    reply = client.post(reverse("scenario-inject-add", args=[alpha.pk]), inject_data(scenario_time="x"))
    assert reply.status_code == 400 and "is not a scenario time" in reply.content.decode()
    reply = client.post(reverse("scenario-inject-add", args=[alpha.pk]), inject_data())
    inject = alpha.injects.get(sequence=9)
    assert reply["Location"] == f"{reverse('scenario-detail', args=[alpha.pk])}#inject-row-{inject.pk}"


# --- The services --------------------------------------------------------------------------------


def values(**overrides) -> dict:
    data = {
        "sequence": 1,
        "offset": timedelta(minutes=5),
        "kind": "press",
        "title": "A title",
        "text": "A text.",
        "addressed_to_all": True,
        "teams": [],
        "originator": "",
        "delivery_method": "message",
        "expected_action": "",
        "notes": "",
        "classification": "unclassified",
        "releasability": "all",
        "releasable_to": [],
        "on_demand": False,
        "trigger": "",
        "trigger_step": None,
        "protocol_steps": [],
        "objectives": [],
    }
    data.update(overrides)
    return data


def test_each_authoring_service_records_one_event_without_an_exercise(library, personas):
    by = personas.facilitator
    steps = [
        ("scenario.created", lambda: scenarios.create_scenario(name="Journaled", by=by)),
        (
            "scenario.renamed",
            lambda: scenarios.rename_scenario(
                scenario=Scenario.objects.get(name="Journaled"), name="Journaled 2", description="", by=by
            ),
        ),
        (
            "scenario.inject_added",
            lambda: scenarios.add_inject(scenario=Scenario.objects.get(name="Journaled 2"), values=values(), by=by),
        ),
        (
            "scenario.inject_added",
            lambda: scenarios.add_inject(
                scenario=Scenario.objects.get(name="Journaled 2"), values=values(sequence=2), by=by
            ),
        ),
        (
            "scenario.inject_changed",
            lambda: scenarios.change_inject(
                inject=ScenarioInject.objects.get(scenario__name="Journaled 2", sequence=1),
                values=values(title="Retitled"),
                by=by,
            ),
        ),
        (
            "scenario.injects_reordered",
            lambda: scenarios.move_inject(
                inject=ScenarioInject.objects.get(scenario__name="Journaled 2", sequence=1), direction="down", by=by
            ),
        ),
        (
            "scenario.inject_deleted",
            lambda: scenarios.delete_inject(
                inject=ScenarioInject.objects.get(scenario__name="Journaled 2", sequence=1), by=by
            ),
        ),
        (
            "scenario.duplicated",
            lambda: scenarios.duplicate_scenario(scenario=Scenario.objects.get(name="Journaled 2"), by=by),
        ),
    ]
    for kind, write in steps:
        count = AuditEvent.objects.count()
        write()
        assert AuditEvent.objects.count() == count + 1, kind
        event = AuditEvent.objects.last()
        assert (event.kind, event.exercise, event.actor) == (kind, None, by)


def test_services_refuse_what_the_form_would_have_caught(library, personas):
    scenario = scenarios.create_scenario(name="Guarded", by=None)
    scenarios.add_inject(scenario=scenario, values=values(), by=None)
    with pytest.raises(Conflict, match="already used"):
        scenarios.add_inject(scenario=scenario, values=values(), by=None)
    with pytest.raises(Conflict, match="already exists"):
        scenarios.create_scenario(name="guarded", by=None)
    with pytest.raises(ServiceError, match="needs a name"):
        scenarios.create_scenario(name=" ", by=None)
    elsewhere = Objective.objects.filter(scenario__name="Operation Clear Orbit").first()
    with pytest.raises(ServiceError, match="its own scenario"):
        scenarios.add_inject(scenario=scenario, values=values(sequence=5, objectives=[elsewhere]), by=None)
