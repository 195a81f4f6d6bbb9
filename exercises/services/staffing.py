"""Staffing an exercise: people added one at a time or from a CSV roster, new accounts invited.

A roster is CSV (comma, semicolon or tab separated, as spreadsheets save or paste it) with the
columns name, email, role and team, and optionally username. Reading it validates every row
before anything is written: each problem names the row as a spreadsheet shows it (the header is
row 1), the column and the reason. An existing account is found by its email (whatever the case)
or its user name and linked; anyone else gets a new account without a password, and an
invitation link to set one (exercises/invitations.py).

`add_people` reads the roster again inside its transaction and writes nothing if any row has a
problem, so what was previewed is what is written, or nothing is.
"""

import csv
import io
import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext

from exercises.models import Exercise, Participant
from exercises.services import ServiceError, audit
from exercises.services.exercises import add_participant
from exercises.services.scenarios import Problem

COLUMNS = ["name", "email", "role", "team"]
OPTIONAL_COLUMNS = ["username"]
MAX_ROWS = 500
DELIMITERS = [",", ";", "\t"]


@dataclass
class Person:
    """One row of a roster (or the one-person form), validated."""

    row: int | None
    name: str = ""
    email: str = ""
    username: str = ""  # the existing account's, or the one the new account will get
    role: str = ""
    team: object = None
    team_code: str = ""  # as written
    user: object = None  # the existing account to link; None: a new account
    matched_by: str = ""  # "email" or "username" for an existing account
    problems: list[Problem] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        return self.user is None


@dataclass
class Roster:
    people: list[Person]
    problems: list[Problem]  # the file's and every row's, in order

    @property
    def ok(self) -> bool:
        return bool(self.people) and not self.problems


class InvalidRoster(ServiceError):
    def __init__(self, roster: Roster):
        super().__init__(gettext("%(count)d problem(s); nobody was added.") % {"count": len(roster.problems)})
        self.roster = roster


@dataclass
class Staffed:
    participant: Participant
    created: bool  # a new account, which has an invitation to set its password


def decode_roster(data: bytes) -> str:
    """UTF-8 (with or without Excel's byte-order mark), else Windows-1252 as Excel saves plain "CSV"."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    return max(DELIMITERS, key=header.count)


def read_roster(text: str, *, exercise: Exercise) -> Roster:
    """Parse and validate a roster; nothing is written."""
    from exercises.forms_staffing import PersonForm

    reader = csv.reader(io.StringIO(text.strip()), delimiter=_delimiter(text.strip()))
    records = [(number, cells) for number, cells in enumerate(reader, start=1)]
    if not records:
        return Roster(
            [], [Problem(gettext("the file"), "", gettext("It is empty: give a header row, then one person a row."))]
        )
    _, header = records[0]
    columns = [cell.strip().lower() for cell in header]
    row_1 = gettext("row %(number)d") % {"number": 1}
    problems = [Problem(row_1, column, gettext("Missing column.")) for column in COLUMNS if column not in columns]
    problems += [
        Problem(
            row_1,
            cell,
            gettext("Unknown column; the columns are %(columns)s.")
            % {"columns": ", ".join(COLUMNS + OPTIONAL_COLUMNS)},
        )
        for cell in columns
        if cell not in COLUMNS + OPTIONAL_COLUMNS
    ]
    problems += [
        Problem(row_1, cell, gettext("This column appears twice."))
        for position, cell in enumerate(columns)
        if cell and cell in columns[:position]
    ]
    rows = [(number, cells) for number, cells in records[1:] if any(cell.strip() for cell in cells)]
    if not rows and not problems:
        problems.append(Problem(gettext("the file"), "", gettext("There is no one to add: only a header row.")))
    if len(rows) > MAX_ROWS:
        problems.append(
            Problem(
                gettext("the file"),
                "",
                gettext("%(count)d rows; add at most %(max)d at a time.") % {"count": len(rows), "max": MAX_ROWS},
            )
        )
    if problems:
        return Roster([], problems)

    teams = {team.code: team for team in exercise.teams.all()}
    taken = set()  # user names given to new accounts of this roster, in lower case
    seen = {}  # an account (existing pk, or new email / user name) → the row it was first on
    already = dict(
        Participant.objects.filter(exercise=exercise).values_list("user_id", "role").order_by()
    )  # user id → role
    people = []
    for number, cells in rows:
        where = gettext("row %(number)d") % {"number": number}
        person = Person(row=number)
        if len(cells) > len(columns):
            person.problems.append(
                Problem(
                    where,
                    "",
                    gettext("%(cells)d cells for %(columns)d columns.")
                    % {"cells": len(cells), "columns": len(columns)},
                )
            )
        data = {column: (cells[i].strip() if i < len(cells) else "") for i, column in enumerate(columns)}
        form = PersonForm(data, teams=teams)
        if not form.is_valid():
            person.problems += [
                Problem(where, "" if name == "__all__" else name, str(message))
                for name, messages in form.errors.items()
                for message in messages
            ]
        cleaned = form.cleaned_data
        person.name, person.email = cleaned.get("name", data.get("name", "")), data.get("email", "")
        person.role, person.team = cleaned.get("role", data.get("role", "")), cleaned.get("team")
        person.team_code = data.get("team", "").upper()
        person.user, person.matched_by = cleaned.get("user"), cleaned.get("matched_by", "")
        if person.user is not None:
            person.username = person.user.get_username()
            keys = [("account", person.user.pk)]
            if person.user.pk in already:
                role = Participant.Role(already[person.user.pk]).label.lower()
                person.problems.append(
                    Problem(
                        where,
                        person.matched_by,
                        gettext(
                            "%(username)s already takes part in this exercise (%(role)s); "
                            "change their role on the participants page."
                        )
                        % {"username": person.username, "role": role},
                    )
                )
        else:
            keys = [("email", person.email.lower())] if person.email else []
            if cleaned.get("username"):
                keys.append(("username", cleaned["username"].lower()))
            if not person.problems:
                person.username = _new_username(cleaned.get("username") or person.email, taken)
                taken.add(person.username.lower())
        for kind, value in keys:
            if (kind, value) not in seen:
                seen[kind, value] = number
            elif kind == "username":
                person.problems.append(
                    Problem(
                        where,
                        "username",
                        gettext("Row %(number)d has this user name too.") % {"number": seen[kind, value]},
                    )
                )
            else:
                column = "email" if kind == "email" else person.matched_by
                person.problems.append(
                    Problem(
                        where, column, gettext("The same person as row %(number)d.") % {"number": seen[kind, value]}
                    )
                )
        problems += person.problems
        people.append(person)
    return Roster(people, problems)


def _new_username(source: str, taken: set[str]) -> str:
    """A free user name: the given one, or the email's local part (a digit added until it is free)."""
    base = source.split("@", 1)[0].lower() if "@" in source else source
    base = re.sub(r"[^\w.+-]", "", base)[:140] or "user"
    users = get_user_model().objects
    candidate, n = base, 1
    while candidate.lower() in taken or users.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


def person_from_form(cleaned: dict) -> Person:
    """The one person of ParticipantForm (an existing participant may be given a new role or team)."""
    person = Person(
        row=None,
        name=cleaned.get("name", ""),
        email=cleaned.get("email", ""),
        role=cleaned["role"],
        team=cleaned.get("team"),
        user=cleaned.get("user"),
        matched_by=cleaned.get("matched_by", ""),
    )
    if person.user is not None:
        person.username = person.user.get_username()
    else:
        person.username = _new_username(cleaned.get("username") or person.email, set())
    return person


def _create_account(person: Person, *, exercise, by):
    if get_user_model().objects.filter(username__iexact=person.username).exists():
        raise ServiceError(
            gettext("The user name %(username)s was taken meanwhile; preview again.") % {"username": person.username}
        )
    first, _, last = person.name.strip().rpartition(" ")
    if not first:
        first, last = last, ""
    user = get_user_model().objects.create_user(
        username=person.username, email=person.email, password=None, first_name=first[:150], last_name=last[:150]
    )
    audit.record(exercise=exercise, actor=by, kind="account.invited", obj=user, payload={"user": user.get_username()})
    return user


@transaction.atomic
def add_person(*, exercise: Exercise, person: Person, by) -> Staffed:
    """One person: an existing account linked (a participant's role or team changed), or a new one invited."""
    created = person.user is None
    user = _create_account(person, exercise=exercise, by=by) if created else person.user
    participant = add_participant(exercise=exercise, user=user, role=person.role, team=person.team, by=by)
    return Staffed(participant=participant, created=created)


@transaction.atomic
def add_people(*, exercise: Exercise, text: str, by) -> list[Staffed]:
    """Every person of the roster, or nobody: the roster is read again here, inside the transaction."""
    exercise = Exercise.objects.select_for_update().get(pk=exercise.pk)  # one roster at a time per exercise
    roster = read_roster(text, exercise=exercise)
    if not roster.ok:
        raise InvalidRoster(roster)
    return [add_person(exercise=exercise, person=person, by=by) for person in roster.people]
