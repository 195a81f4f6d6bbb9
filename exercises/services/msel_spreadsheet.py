"""MSEL spreadsheets (CSV and XLSX) with the HSEEP columns, in and out.

Reading validates every row before anything is written: each problem names the row as the
spreadsheet shows it (the header is row 1), the column and the reason. The write itself is
services.scenarios.replace_msel, in one transaction.

Cells that a spreadsheet program would run as a formula (starting with = + - @ or a tab or
carriage return) are written with a leading apostrophe, and the apostrophe is removed on
reading, so a round trip gives back the same text.
"""

import csv
import io
import re
import zipfile
from datetime import datetime, time, timedelta

from django.utils import translation
from django.utils.translation import gettext, pgettext

from exercises.models import (
    Classification,
    DeliveryMethod,
    InjectKind,
    Releasability,
    Scenario,
    Trigger,
    format_exercise_time,
)
from exercises.services import scenarios
from exercises.services.scenarios import InvalidScenario, Problem

MAX_UPLOAD_BYTES = 2_000_000
MAX_ROWS = 2000
MAX_UNPACKED_BYTES = 50_000_000
TITLE_FROM_TEXT = 80
HEADER_SEARCH_ROWS = 10

# (column header, key of the scenario format). The HSEEP columns first, then Conjunction's own.
COLUMNS = [
    ("No.", "sequence"),
    ("Scenario time", "offset"),
    ("Inject type", "kind"),
    ("Title", "title"),
    ("Delivery method", "delivery_method"),
    ("From", "originator"),
    ("To", "to"),
    ("Text", "text"),
    ("Expected action", "expected_action"),
    ("Objective/capability", "objectives"),
    ("Protocol steps", "protocol_steps"),
    ("Notes", "notes"),
    ("Classification", "classification"),
    ("Releasability", "releasability"),
    ("Releasable to", "releasable_to"),
    ("On demand", "on_demand"),
    ("Trigger", "trigger"),
    ("Trigger step", "trigger_step"),
    ("Primary object", "primary_object"),
    ("Secondary object", "secondary_object"),
    ("Techniques", "techniques"),  # SPARTA and ATT&CK ids (fixtures/attack_techniques.json)
    ("Decision-bearing", "decision_bearing"),
    ("Courses of action", "course_of_action_options"),
]
OPTION_SEPARATOR = " | "  # between the courses of action of one cell (an option may hold commas)
HEADERS = [header for header, _key in COLUMNS]
HEADER_OF = {key: header for header, key in COLUMNS}
KEY_OF = dict(COLUMNS)
REQUIRED = ["No.", "Scenario time", "Inject type", "Text"]
ALIASES = {
    "no": "No.",
    "number": "No.",
    "inject no.": "No.",
    "inject number": "No.",
    "objective": "Objective/capability",
    "objectives": "Objective/capability",
    "objective / capability": "Objective/capability",
    "event synopsis": "Title",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
YES = {"yes", "y", "true", "1", "x"}
NO = {"no", "n", "false", "0", ""}
SEPARATORS = re.compile(r"[,;\s]+")


def _normal(header) -> str:
    return " ".join(str(header or "").split()).lower().rstrip(":")


_CANONICAL = {_normal(h): h for h in HEADERS} | {_normal(alias): h for alias, h in ALIASES.items()}


# --- Formula injection ---------------------------------------------------------------------


def escape_cell(value: str) -> str:
    """Text safe to open in a spreadsheet program: never read as a formula."""
    if value.startswith(FORMULA_STARTS) or (value.startswith("'") and value[1:2] in (*FORMULA_STARTS, "'")):
        return "'" + value
    return value


def unescape_cell(value: str) -> str:
    if value.startswith("'") and value[1:2] and value[1:2] in (*FORMULA_STARTS, "'"):
        return value[1:]
    return value


# --- Export ------------------------------------------------------------------------------


def _codes(items) -> str:
    return ", ".join(sorted(item.code for item in items))


@translation.override("en-gb")  # a spreadsheet is data: its choice labels are the English ones
def msel_rows(scenario: Scenario) -> list[list]:
    """The header and one row per inject, in MSEL order (time, then number)."""
    injects = scenario.injects.select_related("trigger_step").prefetch_related(
        "teams", "protocol_steps", "objectives", "releasable_to", "techniques"
    )
    rows = [list(HEADERS)]
    for inject in injects.order_by("offset", "sequence"):
        rows.append(
            [
                inject.sequence,
                format_exercise_time(inject.offset),
                inject.get_kind_display(),
                inject.title,
                inject.get_delivery_method_display(),
                inject.originator,
                "All" if inject.addressed_to_all else _codes(inject.teams.all()),
                inject.text,
                inject.expected_action,
                _codes(inject.objectives.all()),
                _codes(inject.protocol_steps.all()),
                inject.notes,
                inject.get_classification_display(),
                inject.get_releasability_display(),
                _codes(inject.releasable_to.all()),
                "Yes" if inject.on_demand else "No",
                inject.trigger,
                inject.trigger_step_id or "",
                inject.primary_object,
                inject.secondary_object,
                ", ".join(technique.code for technique in inject.techniques.all()),
                "Yes" if inject.decision_bearing else "No",
                OPTION_SEPARATOR.join(inject.course_of_action_options),
            ]
        )
    return [[escape_cell(cell) if isinstance(cell, str) else cell for cell in row] for row in rows]


def export_csv(scenario: Scenario) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens accents and dashes as written."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(msel_rows(scenario))
    return buffer.getvalue().encode("utf-8-sig")


@translation.override("en-gb")  # a spreadsheet is data: its choice labels are the English ones
def export_xlsx(scenario: Scenario) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "MSEL"
    for row in msel_rows(scenario):
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = {"Text": 70, "Expected action": 40, "Notes": 40, "Title": 40, "From": 24}
    for index, header in enumerate(HEADERS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(header, max(12, len(header) + 2))
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = sheet.dimensions

    values = workbook.create_sheet("Values")
    values.append(["Column", "Accepted values (value or label; case does not matter)"])
    values["A1"].font = values["B1"].font = Font(bold=True)
    for header, choices in (
        ("Inject type", InjectKind.choices),
        ("Delivery method", DeliveryMethod.choices),
        ("Classification", Classification.choices),
        ("Releasability", Releasability.choices),
        ("Trigger", [c for c in Trigger.choices if c[0]]),
    ):
        for value, label in choices:
            values.append([header, f"{value} — {label}"])
    values.append(["To", "All, or team codes separated by commas (e.g. USA, GBR)"])
    values.append(["Objective/capability", "Objective codes of the scenario: " + _codes(scenario.objectives.all())])
    values.append(["Scenario time", "T+01:30, 01:30:00 or D+0 H+1 M+30"])
    values.append(["On demand", "Yes or No"])
    names = ", ".join(scenario.catalogue.order_by("name").values_list("name", flat=True))
    for header in ("Primary object", "Secondary object"):
        values.append([header, f"A name of the scenario's catalogue: {names}" if names else "Empty (no catalogue)"])
    values.append(["Techniques", "SPARTA or ATT&CK ids separated by commas (e.g. EX-0016.01, T1078)"])
    values.column_dimensions["A"].width = 22
    values.column_dimensions["B"].width = 80

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- Import ------------------------------------------------------------------------------


def _refuse(reason: str):
    raise InvalidScenario([Problem(pgettext("where a problem is", "file"), "", reason)])


def _row(number: int) -> str:
    """Where a problem is: the row as the spreadsheet program numbers it."""
    return gettext("row %(number)s") % {"number": number}


def spreadsheet_kind(filename: str) -> str:
    name = (filename or "").lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".xlsx"):
        return "xlsx"
    _refuse(gettext("Upload a MSEL as .xlsx or .csv (save an .xls or .ods sheet as .xlsx first)."))


def read_sheet(data: bytes, filename: str) -> tuple[str, list[tuple[int, list]]]:
    """The file's kind and its non-empty rows, each with its row number as a spreadsheet shows it."""
    kind = spreadsheet_kind(filename)
    if not data:
        _refuse(gettext("The file is empty."))
    if len(data) > MAX_UPLOAD_BYTES:
        message = gettext("The file is larger than %(megabytes)s MB; split the MSEL into several files.")
        _refuse(message % {"megabytes": MAX_UPLOAD_BYTES // 1_000_000})
    rows = _read_csv(data) if kind == "csv" else _read_xlsx(data)
    return kind, rows


def _too_many_rows():
    _refuse(gettext("The sheet has more than %(max)s rows; a MSEL holds at most %(max)s injects.") % {"max": MAX_ROWS})


def _read_csv(data: bytes) -> list[tuple[int, list]]:
    if data.startswith(b"PK\x03\x04"):
        _refuse(gettext("This file is not CSV text: it looks like an XLSX workbook. Name it .xlsx, or save it as CSV."))
    if b"\x00" in data:
        _refuse(
            gettext("This file is not CSV text (it contains binary data). Save the sheet as CSV UTF-8, or as .xlsx.")
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        _refuse(gettext("This CSV is not UTF-8 text. Save it as “CSV UTF-8”, or as .xlsx."))
    first_line = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    rows = []
    number = 0  # records, as a spreadsheet program numbers them (a quoted line break stays in its row)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for number, row in enumerate(reader, start=1):
            if any(cell.strip() for cell in row):
                rows.append((number, row))
                if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
                    _too_many_rows()
    except csv.Error as error:
        _refuse(gettext("Row %(number)s is not well-formed CSV (%(error)s).") % {"number": number + 1, "error": error})
    return rows


def _read_xlsx(data: bytes) -> list[tuple[int, list]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        _refuse(gettext("This file is not an XLSX workbook. Save the sheet as .xlsx, or as CSV and name it .csv."))
    if "xl/workbook.xml" not in names:
        _refuse(
            gettext("This file is not an XLSX workbook (an .xls, .ods or other zip file?). Save the sheet as .xlsx.")
        )
    if unpacked > MAX_UNPACKED_BYTES:
        message = gettext("The workbook unpacks to more than %(megabytes)s MB; it cannot be a MSEL.")
        _refuse(message % {"megabytes": MAX_UNPACKED_BYTES // 1_000_000})
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        message = gettext("This XLSX workbook could not be read (%(error)s). Open it and save it again.")
        _refuse(message % {"error": type(error).__name__})
    try:
        sheet = workbook["MSEL"] if "MSEL" in workbook.sheetnames else workbook.worksheets[0]
        rows = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if any(cell not in (None, "") for cell in row):
                rows.append((number, list(row)))
                if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
                    _too_many_rows()
    finally:
        workbook.close()
    return rows


def _header(rows) -> tuple[int, list[str | None], list[Problem]]:
    """Find the header row (the first of the first rows that names the required columns)."""
    for index, (number, row) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = [_CANONICAL.get(_normal(cell)) if cell not in (None, "") else None for cell in row]
        if all(required in names for required in REQUIRED):
            problems = []
            seen = set()
            for position, (cell, name) in enumerate(zip(row, names, strict=True), start=1):
                if cell in (None, ""):
                    continue
                if name is None:
                    reason = gettext("unknown column (column %(position)s); the columns are: %(columns)s")
                    problems.append(
                        Problem(_row(number), str(cell), reason % {"position": position, "columns": ", ".join(HEADERS)})
                    )
                elif name in seen:
                    problems.append(Problem(_row(number), name, gettext("this column appears twice")))
                seen.add(name)
            return index, names, problems
    missing = ", ".join(REQUIRED)
    where = _row(rows[0][0] if rows else 1)
    reason = gettext("no header row: the first row must name the columns, at least %(columns)s")
    raise InvalidScenario([Problem(where, "", reason % {"columns": missing})])


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return unescape_cell(str(value))


def _time(value):
    """A scenario time cell: text, or a time or duration cell of a spreadsheet program."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, time):
        return timedelta(hours=value.hour, minutes=value.minute, seconds=value.second)
    if isinstance(value, datetime):  # a duration of a day or more, counted from Excel's day zero
        return value - datetime(1899, 12, 30)
    return _text(value)


@translation.override("en-gb")  # a spreadsheet is data: its choice labels are the English ones
def _choice(value: str, choices) -> str | None:
    wanted = value.strip().lower()
    for choice_value, label in choices:
        if wanted in (str(choice_value).lower(), str(label).lower()):
            return choice_value
    return None


def _code_list(value: str, known) -> list[str]:
    """Codes separated by commas, semicolons or spaces, matched to `known` whatever their case."""
    by_lower = {code.lower(): code for code in known}
    return [by_lower.get(code.lower(), code) for code in SEPARATORS.split(value.strip()) if code]


def read_msel(
    data: bytes, filename: str, *, objective_codes: set[str], object_names: set[str] = frozenset()
) -> tuple[str, list[dict]]:
    """Validate a whole MSEL spreadsheet; return its kind and the rows, or raise InvalidScenario.

    `object_names` is the target scenario's catalogue: the primary and secondary objects must be in it."""
    kind, rows = read_sheet(data, filename)
    if not rows:
        _refuse(gettext("The sheet is empty: the first row must name the columns, then one row per inject."))
    header_index, names, problems = _header(rows)
    body = rows[header_index + 1 :]
    if len(body) > MAX_ROWS:
        _too_many_rows()
    references = scenarios.References()
    cleaned, numbers = [], []
    for number, cells in body:
        where = _row(number)
        cell = {}
        for position, value in enumerate(cells):
            name = names[position] if position < len(names) else None
            if name is None:
                if value not in (None, ""):
                    column = gettext("column %(position)s") % {"position": position + 1}
                    problems.append(Problem(where, column, gettext("a value in a column with no header")))
                continue
            cell[name] = value
        raw, reported = {}, set()

        def problem(header, reason, where=where, reported=reported):
            problems.append(Problem(where, header, reason))
            reported.add(header)

        raw["sequence"] = _text(cell.get("No."))
        raw["offset"] = _time(cell.get("Scenario time"))
        for header, key, choices, default in (
            ("Inject type", "kind", InjectKind.choices, None),
            ("Delivery method", "delivery_method", DeliveryMethod.choices, DeliveryMethod.MESSAGE),
            ("Classification", "classification", Classification.choices, Classification.UNCLASSIFIED),
            ("Releasability", "releasability", Releasability.choices, Releasability.ALL_ALLIES),
            ("Trigger", "trigger", Trigger.choices, Trigger.NONE),
        ):
            value = _text(cell.get(header))
            if not value:
                if default is None:
                    problem(header, gettext("is required"))
                raw[key] = default
                continue
            raw[key] = _choice(value, choices)
            if raw[key] is None:
                with translation.override("en-gb"):  # the values a spreadsheet accepts are the English labels
                    labels = "; ".join(str(label) for choice_value, label in choices if choice_value)
                reason = gettext("unknown %(column)s %(value)s; use one of: %(labels)s")
                problem(header, reason % {"column": header.lower(), "value": repr(value), "labels": labels})
        for header in ("Title", "From", "Text", "Expected action", "Notes"):
            raw[dict(COLUMNS)[header]] = _text(cell.get(header))
        if not raw["title"]:
            first_line = scenarios.normalise_text(raw["text"]).split("\n", 1)[0]
            raw["title"] = first_line[:TITLE_FROM_TEXT].strip()
            if not raw["title"]:
                reported.add("Title")  # the title comes from the text, which is missing: one message
        if "To" in names:
            to = _text(cell.get("To")).strip()
            if not to:
                problem("To", gettext("write All, or the team codes it is addressed to (e.g. USA, GBR)"))
            raw["to"] = "all" if to.lower() in ("all", "all teams") else _code_list(to.upper(), [])
        raw["objectives"] = _code_list(_text(cell.get("Objective/capability")), objective_codes)
        raw["protocol_steps"] = _code_list(_text(cell.get("Protocol steps")), references.steps)
        raw["releasable_to"] = _code_list(_text(cell.get("Releasable to")).upper(), [])
        raw["techniques"] = _code_list(_text(cell.get("Techniques")).upper(), [])
        trigger_steps = _code_list(_text(cell.get("Trigger step")), references.steps)
        if len(trigger_steps) > 1:
            problem("Trigger step", gettext("name one protocol step"))
        raw["trigger_step"] = trigger_steps[0] if trigger_steps else None
        for header in ("Primary object", "Secondary object"):
            raw[KEY_OF[header]] = _text(cell.get(header)).strip()
        on_demand = _text(cell.get("On demand")).strip().lower()
        if on_demand in YES or on_demand in NO:
            raw["on_demand"] = on_demand in YES
        else:
            problem("On demand", _yes_or_no(on_demand))
        decision = _text(cell.get("Decision-bearing")).strip().lower()
        if decision in YES or decision in NO:
            raw["decision_bearing"] = decision in YES
        else:
            problem("Decision-bearing", _yes_or_no(decision))
        raw["course_of_action_options"] = [
            option for option in _text(cell.get("Courses of action")).split(OPTION_SEPARATOR.strip()) if option.strip()
        ]

        row, row_problems = scenarios.clean_msel_row(raw, objective_codes, references, set(object_names))
        for key, reason in row_problems:
            header = HEADER_OF[key]
            if header in reported:
                continue
            if key == "objectives" and not objective_codes:
                reason = gettext(
                    "%(reason)s; a new scenario has no objectives yet: import into a scenario that has them, "
                    "or leave the column empty"
                ) % {"reason": reason}
            if key in ("primary_object", "secondary_object") and not object_names:
                reason = gettext(
                    "the scenario has no space catalogue: leave the column empty, or add the objects first"
                )
            problems.append(Problem(where, header, reason))
        cleaned.append(row)
        numbers.append(number)
    for duplicate in scenarios.duplicate_sequences(cleaned, lambda index: _row(numbers[index - 1])):
        problems.append(Problem(duplicate.where, "No.", duplicate.reason))
    if problems:
        raise InvalidScenario(sorted(problems, key=_problem_order))
    return kind, cleaned


def _yes_or_no(value: str) -> str:
    return gettext("write Yes or No, not %(value)s") % {"value": repr(value)}


def _problem_order(problem: Problem):
    match = re.search(r"\d+", problem.where)  # "row 7", in the user's language
    column = HEADERS.index(problem.field) if problem.field in HEADERS else len(HEADERS)
    return (int(match[0]) if match else 0, column)


def import_msel_file(data: bytes, filename: str, *, scenario: Scenario | None = None, new_name: str = "", by):
    """Replace the scenario's MSEL with the spreadsheet's (or create `new_name`); all or nothing."""
    objective_codes = set(scenario.objectives.values_list("code", flat=True)) if scenario else set()
    object_names = set(scenario.catalogue.values_list("name", flat=True)) if scenario else set()
    kind, rows = read_msel(data, filename, objective_codes=objective_codes, object_names=object_names)
    return scenarios.replace_msel(rows=rows, scenario=scenario, new_name=new_name, source=kind, by=by)
