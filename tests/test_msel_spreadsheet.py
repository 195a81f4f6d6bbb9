"""MSEL spreadsheets (CSV and XLSX): lossless round trips, and bad rows that write nothing."""

import csv
import io
import json
import zipfile
from datetime import time, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from exercises.models import AuditEvent, Objective, Scenario, ScenarioInject
from exercises.services import msel_spreadsheet, scenarios
from exercises.services.msel_spreadsheet import HEADERS, import_msel_file, read_msel
from exercises.services.scenarios import InvalidScenario
from tests.test_scenario_library import bundled, full_scenario

HSEEP = [
    "No.",
    "Scenario time",
    "Inject type",
    "Delivery method",
    "From",
    "To",
    "Text",
    "Expected action",
    "Objective/capability",
    "Protocol steps",
    "Notes",
]


def counts() -> dict:
    return {model.__name__: model.objects.count() for model in (Scenario, ScenarioInject, Objective, AuditEvent)}


def to_csv(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def to_xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def build(rows, fmt) -> tuple[bytes, str]:
    return (to_csv(rows), "msel.csv") if fmt == "csv" else (to_xlsx(rows), "msel.xlsx")


def export(scenario, fmt) -> tuple[bytes, str]:
    if fmt == "csv":
        return msel_spreadsheet.export_csv(scenario), "msel.csv"
    return msel_spreadsheet.export_xlsx(scenario), "msel.xlsx"


@pytest.fixture
def default_scenario(library):
    return Scenario.objects.get(name=bundled("default.json")["name"])


# --- Round trips ----------------------------------------------------------------------------


def test_the_header_row_has_the_hseep_columns_in_order_with_title_after_inject_type():
    assert [h for h in HEADERS if h != "Title"][: len(HSEEP)] == HSEEP
    assert HEADERS.index("Title") == HEADERS.index("Inject type") + 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_default_scenario_round_trips_through_a_spreadsheet_losslessly(default_scenario, fmt):
    before = scenarios.export_scenario(default_scenario)
    data, filename = export(default_scenario, fmt)

    import_msel_file(data, filename, scenario=default_scenario, by=None)

    default_scenario.refresh_from_db()
    assert scenarios.export_scenario(default_scenario) == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_field_round_trips_into_a_copy_with_the_same_objectives(library, fmt):
    original = full_scenario()
    copy = scenarios.duplicate_scenario(scenario=original, name="Copy for the sheet", by=None)
    copy.injects.all().delete()
    data, filename = export(original, fmt)

    import_msel_file(data, filename, scenario=copy, by=None)

    assert {**scenarios.export_scenario(copy), "name": original.name} == scenarios.export_scenario(original)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_spreadsheet_becomes_a_new_scenario(default_scenario, fmt):
    rows = msel_spreadsheet.msel_rows(default_scenario)
    emptied = [HEADERS.index(h) for h in ("Objective/capability", "Primary object", "Secondary object")]
    for row in rows[1:]:
        for column in emptied:
            row[column] = ""  # a new scenario has no objectives and no catalogue yet
    data, filename = build(rows, fmt)

    scenario = import_msel_file(data, filename, new_name="From a sheet", by=None)

    assert scenario.name == "From a sheet"
    assert scenario.injects.count() == default_scenario.injects.count()
    event = AuditEvent.objects.filter(kind="scenario.imported").last()
    assert event.exercise is None and event.payload["source"] == fmt and event.payload["new"]


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised_and_come_back_unchanged(library):
    scenario = full_scenario()
    rows = list(csv.reader(io.StringIO(msel_spreadsheet.export_csv(scenario).decode("utf-8-sig"))))
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Title"] == "'=A title that looks like a formula"
    assert first["Text"].startswith("'+44")
    assert first["Expected action"] == "''=quoted already"
    assert first["Notes"] == "'plain apostrophe stays"

    sheet = load_workbook(io.BytesIO(msel_spreadsheet.export_xlsx(scenario)))["MSEL"]
    cells = {sheet.cell(1, column).value: sheet.cell(2, column) for column in range(1, len(HEADERS) + 1)}
    assert cells["Title"].data_type == "s" and cells["Title"].value.startswith("'=")


@pytest.mark.parametrize(
    "value, kept",
    [
        ("=1+1", "=1+1"),
        ("-5 dB", "-5 dB"),
        ("@here", "@here"),
        ("'=x", "'=x"),
        ("''", "''"),
        ("'ok", "'ok"),
        ("plain", "plain"),
    ],
)
def test_escaping_a_cell_and_reading_it_back_is_the_identity(value, kept):
    assert msel_spreadsheet.unescape_cell(msel_spreadsheet.escape_cell(value)) == kept
    assert not msel_spreadsheet.escape_cell(value).startswith(("=", "+", "-", "@"))


# --- What a hand-made sheet may look like ---------------------------------------------------


def minimal_rows():
    return [
        ["No.", "Scenario time", "Inject type", "Delivery method", "To", "Text", "Protocol steps"],
        [
            1,
            "T+00:05",
            "Conjunction warning",
            "email",
            "usa; gbr",
            "Conjunction warning for USA-SAT 12\nDetails.",
            "conj-1",
        ],
        [2, "00:10:00", "ASAT", "", "All", "Direct-ascent ASAT test detected", ""],
        [None, None, None, None, None, None, None],
        [3, "D+1 H+2 M+30", "diplomatic", "Phone call", "FRA", "A note verbale", "TCBM-1, TCBM-2"],
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_sheet_with_only_some_columns_labels_and_any_case_is_read(library, fmt):
    data, filename = build(minimal_rows(), fmt)
    _kind, rows = read_msel(data, filename, objective_codes=set())
    first, second, third = rows
    assert first["kind"] == "conjunction" and first["delivery_method"] == "email"
    assert [t.code for t in first["teams"]] == ["USA", "GBR"]
    assert first["title"] == "Conjunction warning for USA-SAT 12"  # the first line of the text
    assert [s.code for s in first["protocol_steps"]] == ["CONJ-1"]
    assert first["offset"] == timedelta(minutes=5)
    assert second["addressed_to_all"] and second["delivery_method"] == "message"
    assert third["offset"] == timedelta(days=1, hours=2, minutes=30)
    assert third["delivery_method"] == "phone"


def test_time_and_duration_cells_of_a_spreadsheet_program_are_read(library):
    rows = minimal_rows()
    rows[1][1] = time(1, 30)
    rows[2][1] = timedelta(hours=27, minutes=5)
    _kind, read = read_msel(to_xlsx(rows), "msel.xlsx", objective_codes=set())
    assert read[0]["offset"] == timedelta(hours=1, minutes=30)
    assert read[1]["offset"] == timedelta(hours=27, minutes=5)


def test_a_csv_separated_by_semicolons_with_a_title_row_above_the_header_is_read(library):
    text = (
        "Operation Clear Orbit — MSEL;;;;\n"
        "No.;Scenario time;Inject type;To;Text\n"
        "1;T+00:05;press;All;A journalist calls\n"
    )
    _kind, rows = read_msel(text.encode("utf-8-sig"), "msel.csv", objective_codes=set())
    assert rows[0]["kind"] == "press" and rows[0]["title"] == "A journalist calls"


# --- Each kind of bad row -------------------------------------------------------------------

BAD_ROWS = {
    "bad time": ("Scenario time", "1h30", "'1h30' is not a scenario time"),
    "unknown inject type": ("Inject type", "Alien invasion", "unknown inject type 'Alien invasion'"),
    "unknown team": ("To", "USA, XYZ", "unknown team(s) XYZ"),
    "unknown step": ("Protocol steps", "CONJ-1, CONJ-99", "unknown protocol step(s) CONJ-99"),
    "unknown objective": ("Objective/capability", "OBJ-1, OBJ-99", "unknown objective(s) OBJ-99"),
    "missing text": ("Text", "", "is required"),
    "duplicate No.": ("No.", 1, "1 is used again (first at row 2)"),
    "bad delivery method": ("Delivery method", "carrier pigeon", "unknown delivery method 'carrier pigeon'"),
    "empty To": ("To", "", "write All, or the team codes"),
    "bad on-demand": ("On demand", "maybe", "write Yes or No"),
    "rel_to without nations": ("Releasability", "rel_to", "name the nations"),
}
REPORTED_IN = {"rel_to without nations": "Releasable to"}  # the cell that is missing


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_each_kind_of_bad_row_is_named_by_row_and_column_and_nothing_is_written(default_scenario, fmt, case):
    column, value, message = BAD_ROWS[case]
    rows = msel_spreadsheet.msel_rows(default_scenario)
    rows[4][HEADERS.index(column)] = value  # spreadsheet row 5
    data, filename = build(rows, fmt)
    before, msel_before = counts(), scenarios.export_scenario(default_scenario)

    with pytest.raises(InvalidScenario) as refused:
        import_msel_file(data, filename, scenario=default_scenario, by=None)

    problems = refused.value.problems
    reported = REPORTED_IN.get(case, column)
    assert [(p.where, p.field) for p in problems] == [("row 5", reported)], problems
    assert message in problems[0].reason
    assert str(problems[0]).startswith(f"row 5, {reported}: ")
    assert counts() == before
    assert scenarios.export_scenario(default_scenario) == msel_before


def test_every_bad_row_is_listed_not_only_the_first(default_scenario):
    rows = msel_spreadsheet.msel_rows(default_scenario)
    rows[2][HEADERS.index("Scenario time")] = "soon"
    rows[5][HEADERS.index("Inject type")] = "meteor"
    rows[5][HEADERS.index("To")] = "ATL"
    rows[9][HEADERS.index("Text")] = ""
    before = counts()
    with pytest.raises(InvalidScenario) as refused:
        import_msel_file(to_xlsx(rows), "msel.xlsx", scenario=default_scenario, by=None)
    assert [(p.where, p.field) for p in refused.value.problems] == [
        ("row 3", "Scenario time"),
        ("row 6", "Inject type"),
        ("row 6", "To"),
        ("row 10", "Text"),
    ]
    assert counts() == before


def test_the_bound_objects_of_the_conjunction_injects_travel_in_their_own_columns(default_scenario):
    rows = msel_spreadsheet.msel_rows(default_scenario)
    by_number = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert (by_number[2]["Primary object"], by_number[2]["Secondary object"]) == ("ALLIED-SAT 7", "OBJECT 58213")
    assert (by_number[9]["Primary object"], by_number[9]["Secondary object"]) == ("KRS-METEO 2", "")
    first = rows[1 + list(by_number).index(1)]  # inject 1 now names two objects
    first[HEADERS.index("Primary object")], first[HEADERS.index("Secondary object")] = "KEA-1", "OBJECT 58213"
    copy = scenarios.duplicate_scenario(scenario=default_scenario, name="Bound copy", by=None)

    import_msel_file(to_xlsx(rows), "msel.xlsx", scenario=copy, by=None)

    assert (copy.injects.get(sequence=1).primary_object, copy.injects.get(sequence=1).secondary_object) == (
        "KEA-1",
        "OBJECT 58213",
    )
    assert (copy.injects.get(sequence=5).primary_object, copy.injects.get(sequence=5).secondary_object) == (
        "PELICAN-4",
        "OBJECT 27741",
    )


@pytest.mark.parametrize("column", ["Primary object", "Secondary object"])
def test_an_object_not_in_the_catalogue_is_refused_naming_the_column(default_scenario, column):
    rows = msel_spreadsheet.msel_rows(default_scenario)
    rows[4][HEADERS.index(column)] = "SPUTNIK-1"
    before, msel_before = counts(), scenarios.export_scenario(default_scenario)
    with pytest.raises(InvalidScenario) as refused:
        import_msel_file(to_csv(rows), "msel.csv", scenario=default_scenario, by=None)
    assert [(p.where, p.field) for p in refused.value.problems] == [("row 5", column)]
    assert "'SPUTNIK-1' is not an object of the scenario's catalogue" in refused.value.problems[0].reason
    assert counts() == before and scenarios.export_scenario(default_scenario) == msel_before


def test_objects_named_for_a_scenario_without_a_catalogue_are_refused_with_a_hint(default_scenario):
    rows = msel_spreadsheet.msel_rows(default_scenario)
    for row in rows[1:]:
        row[HEADERS.index("Objective/capability")] = ""
    with pytest.raises(InvalidScenario) as refused:
        import_msel_file(to_csv(rows), "msel.csv", new_name="No catalogue yet", by=None)
    fields = {p.field for p in refused.value.problems}
    assert fields == {"Primary object", "Secondary object"}
    assert all("the scenario has no space catalogue" in p.reason for p in refused.value.problems)
    assert not Scenario.objects.filter(name="No catalogue yet").exists()


def test_objectives_on_a_new_scenario_are_refused_with_a_hint(default_scenario):
    data = msel_spreadsheet.export_csv(default_scenario)
    with pytest.raises(InvalidScenario) as refused:
        import_msel_file(data, "msel.csv", new_name="No objectives yet", by=None)
    assert "a new scenario has no objectives yet" in refused.value.problems[0].reason
    assert not Scenario.objects.filter(name="No objectives yet").exists()


# --- Files that are not a MSEL --------------------------------------------------------------


@pytest.mark.parametrize(
    "data, filename, message",
    [
        (b"%PDF-1.7 binary \x00\x01", "msel.xlsx", "not an XLSX workbook"),
        (b"%PDF-1.7 binary \x00\x01", "msel.csv", "not CSV text"),
        (b"", "msel.csv", "The file is empty"),
        (b"No.,Scenario time\n", "msel.xls", "Upload a MSEL as .xlsx or .csv"),
        ("No.;Text\n1;é".encode("latin-1"), "msel.csv", "not UTF-8"),
        (b"Inject,When,What\n1,T+00:05,hello\n", "msel.csv", "no header row"),
    ],
)
def test_a_file_that_is_not_a_msel_is_refused_with_a_clear_message(library, data, filename, message):
    before = counts()
    with pytest.raises(InvalidScenario) as refused:
        read_msel(data, filename, objective_codes=set())
    assert message in str(refused.value.problems[0])
    assert counts() == before


def test_an_xlsx_named_csv_is_recognised(library):
    with pytest.raises(InvalidScenario) as refused:
        read_msel(to_xlsx(minimal_rows()), "msel.csv", objective_codes=set())
    assert "looks like an XLSX workbook" in refused.value.problems[0].reason


def test_a_zip_that_is_not_a_workbook_is_refused(library):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("content.xml", "<office:document/>")
    with pytest.raises(InvalidScenario) as refused:
        read_msel(buffer.getvalue(), "msel.xlsx", objective_codes=set())
    assert "not an XLSX workbook" in refused.value.problems[0].reason


def test_an_unknown_or_repeated_column_is_refused(library):
    rows = minimal_rows()
    rows[0] = [*rows[0], "Responsible controller", "Text"]
    for row in rows[1:]:
        row.extend(["", ""])
    with pytest.raises(InvalidScenario) as refused:
        read_msel(to_csv(rows), "msel.csv", objective_codes=set())
    found = [(p.where, p.field) for p in refused.value.problems]
    assert ("row 1", "Responsible controller") in found
    assert ("row 1", "Text") in found


def test_a_value_in_a_column_without_header_is_refused(library):
    rows = minimal_rows()
    rows[2] = [*rows[2], "stray"]
    with pytest.raises(InvalidScenario) as refused:
        read_msel(to_csv(rows), "msel.csv", objective_codes=set())
    assert [(p.where, p.field) for p in refused.value.problems] == [("row 3", "column 8")]


def test_the_upload_size_and_the_row_count_are_capped(library, settings):
    big = b"No.,Scenario time,Inject type,Text\n" + b"1,T+00:05,press," + b"x" * msel_spreadsheet.MAX_UPLOAD_BYTES
    with pytest.raises(InvalidScenario) as refused:
        read_msel(big, "msel.csv", objective_codes=set())
    assert "larger than 2 MB" in refused.value.problems[0].reason

    rows = [["No.", "Scenario time", "Inject type", "Text"]]
    rows += [[n, "T+00:05", "press", "Hi"] for n in range(1, msel_spreadsheet.MAX_ROWS + 2)]
    with pytest.raises(InvalidScenario) as refused:
        read_msel(to_csv(rows), "msel.csv", objective_codes=set())
    assert "more than 2000 rows" in refused.value.problems[0].reason

    _kind, read = read_msel(to_csv(rows[:-1]), "msel.csv", objective_codes=set())
    assert len(read) == msel_spreadsheet.MAX_ROWS


# --- Commands ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_msel_and_import_msel_commands_round_trip(default_scenario, tmp_path, fmt):
    path = tmp_path / f"msel.{fmt}"
    before = scenarios.export_scenario(default_scenario)
    call_command("export_msel", default_scenario.name, "--format", fmt, "--output", str(path), stdout=StringIO())
    out = StringIO()
    call_command("import_msel", str(path), "--scenario", default_scenario.name, stdout=out)
    assert "Imported 22 injects" in out.getvalue()
    default_scenario.refresh_from_db()
    assert scenarios.export_scenario(default_scenario) == before


def test_import_msel_command_prints_each_problem_and_fails(default_scenario, tmp_path):
    rows = msel_spreadsheet.msel_rows(default_scenario)
    rows[2][HEADERS.index("Scenario time")] = "soon"
    rows[3][HEADERS.index("To")] = "ATL"
    path = tmp_path / "bad.xlsx"
    path.write_bytes(to_xlsx(rows))
    before = counts()
    errors = StringIO()

    with pytest.raises(CommandError, match="2 problem"):
        call_command("import_msel", str(path), "--scenario", default_scenario.name, stderr=errors)

    lines = errors.getvalue().splitlines()
    assert lines[0].startswith("row 3, Scenario time: 'soon' is not a scenario time")
    assert lines[1] == "row 4, To: unknown team(s) ATL"
    assert counts() == before


def test_import_msel_command_creates_a_scenario_only_when_asked(library, tmp_path):
    path = tmp_path / "new.csv"
    path.write_bytes(to_csv(minimal_rows()))
    with pytest.raises(CommandError, match="pass --create"):
        call_command("import_msel", str(path), "--scenario", "Brand new")
    call_command("import_msel", str(path), "--scenario", "Brand new", "--create", stdout=StringIO())
    assert Scenario.objects.get(name="Brand new").injects.count() == 3
    with pytest.raises(CommandError, match="already exists"):
        call_command("import_msel", str(path), "--scenario", "Brand new", "--create")


def test_export_msel_command_refuses_an_unknown_scenario_or_format(library, tmp_path):
    with pytest.raises(CommandError, match="No scenario named"):
        call_command("export_msel", "Nope", "--output", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="csv or xlsx"):
        call_command("export_msel", bundled("default.json")["name"], "--output", str(tmp_path / "x.ods"))


def test_the_exported_workbook_explains_the_accepted_values(default_scenario):
    workbook = load_workbook(io.BytesIO(msel_spreadsheet.export_xlsx(default_scenario)))
    assert workbook.sheetnames == ["MSEL", "Values"]
    values = [row for row in workbook["Values"].iter_rows(values_only=True)]
    assert ("Inject type", "conjunction — Conjunction warning") in values
    assert any(row[0] == "Objective/capability" and "OBJ-1" in row[1] for row in values)
    assert json.dumps(values)  # plain values only


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_spreadsheet_keeps_the_english_choice_labels_whatever_the_readers_language(default_scenario, fmt):
    """The MSEL spreadsheet is data exchanged between planners: a French user's export reads back anywhere."""
    from django.utils import translation

    english = msel_spreadsheet.msel_rows(default_scenario)
    before = scenarios.export_scenario(default_scenario)
    with translation.override("fr"):
        assert msel_spreadsheet.msel_rows(default_scenario) == english
        data, filename = export(default_scenario, fmt)
    import_msel_file(data, filename, scenario=default_scenario, by=None)  # read back in English
    default_scenario.refresh_from_db()
    assert scenarios.export_scenario(default_scenario) == before
