"""The after-action report's conjunctions: what screening found, what each team decided and when, what the
manoeuvres did, and the debris clouds' follow-on events. Loaded in a fixed number of queries.

A section is one encounter: the screenings of one pair of objects with TCAs within ENCOUNTER_SPAN of each
other (a screening after a burn supersedes the rows it recomputes; the superseded rows keep the numbers
before). An encounter gets a section when an inject was bound to it (names its two objects: the pair's first
encounter, as selectors.current_conjunction binds it) or a manoeuvre answered it; the others are listed
in one table, and every screened row is in conjunctions.csv.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Q
from django.utils.translation import pgettext_lazy

from exercises.models import Conjunction, Manoeuvre, SpaceObject

ENCOUNTER_SPAN = timedelta(minutes=15)
# A response's kind as the report's tables name it (lower case, in the reader's language).
RESPONSE_KINDS = {
    "decision": pgettext_lazy("response kind", "decision"),
    "action": pgettext_lazy("response kind", "action"),
    "assessment": pgettext_lazy("response kind", "assessment"),
}


@dataclass(frozen=True, slots=True)
class Decision:
    """A team's response to an inject bound to the conjunction."""

    team_id: str
    kind: str
    exercise_time: timedelta
    inject_sequence: int
    protocol_steps: tuple[str, ...]

    @property
    def kind_label(self) -> str:
        return str(RESPONSE_KINDS.get(self.kind, self.kind))


@dataclass
class ConjunctionSection:
    conjunction: Conjunction  # the encounter as first screened: the numbers the teams decided on
    screenings: list  # every screening of the encounter, oldest first (the current one, if any, last)
    injects: list  # the injects bound to it (naming its two objects)
    decisions: list[Decision]
    manoeuvres: list  # Manoeuvre rows that answered it, in commit order
    tca_time: timedelta | None  # TCA as exercise time
    object_manoeuvres: list = field(default_factory=list)  # every manoeuvre of its two objects (for pictures)

    @property
    def latest(self) -> Conjunction:
        """The encounter's last screening: the current one, or the last before a burn took it out of range."""
        return self.screenings[-1]

    @property
    def is_current(self) -> bool:
        return self.latest.superseded_at is None


@dataclass
class DebrisCloud:
    parent: SpaceObject
    destroyed_time: timedelta | None  # exercise time of the break-up
    fragment_objects: list  # its fragments (SpaceObjects whose parent it is)
    created_by: object  # the inject that made the fragments (the ASAT test), or None
    drafted: list  # follow-on injects drafted from it (drafted_from), in MSEL order
    conjunctions: int  # current conjunctions of allied objects with its fragments

    @property
    def fragments(self) -> int:
        return len(self.fragment_objects)


@dataclass
class ConjunctionReport:
    sections: list[ConjunctionSection]
    others: list  # current conjunctions no inject or manoeuvre answered
    debris: list[DebrisCloud]
    rows: list  # every Conjunction row, current and superseded, in order of TCA (conjunctions.csv)

    def __bool__(self):
        return bool(self.rows or self.debris)


def _encounters(rows: list) -> list[list]:
    """Rows grouped by pair and by TCA within ENCOUNTER_SPAN of the group's first, each group oldest first."""
    by_pair = defaultdict(list)
    for row in rows:
        by_pair[(row.primary_id, row.secondary_id)].append(row)
    groups = []
    for pair_rows in by_pair.values():
        pair_rows.sort(key=lambda r: r.tca)
        for row in pair_rows:
            if groups and groups[-1][0].primary_id == row.primary_id and groups[-1][0].secondary_id == row.secondary_id:
                if row.tca - groups[-1][0].tca <= ENCOUNTER_SPAN:
                    groups[-1].append(row)
                    continue
            groups.append([row])
    for group in groups:
        group.sort(key=lambda r: (r.superseded_at is None, r.screened_at, r.pk))
    return groups


def build_conjunctions(exercise, injects: list, responses: list) -> ConjunctionReport:
    """`injects` and `responses` (ResponseFacts, in time order) as build_report loaded them."""
    rows = list(
        Conjunction.objects.filter(exercise=exercise)
        .select_related("primary", "secondary", "primary__owner", "secondary__owner")
        .order_by("tca", "screened_at", "id")
    )
    manoeuvres = list(Manoeuvre.objects.filter(exercise=exercise).select_related("team").order_by("committed_at"))
    for row in rows:
        row.exercise = exercise
    bound = defaultdict(list)  # {object name, object name} → injects naming both
    for inject in injects:
        if inject.primary_object and inject.secondary_object:
            bound[frozenset((inject.primary_object, inject.secondary_object))].append(inject)
    responses_by_inject = defaultdict(list)
    for response in responses:
        if response.inject_id:
            responses_by_inject[response.inject_id].append(response)
    sequence = {inject.pk: inject.sequence for inject in injects}

    sections, others, seen_pairs = [], [], set()
    for group in sorted(_encounters(rows), key=lambda g: min(row.tca for row in g)):
        latest = group[-1]
        ids = {row.pk for row in group}
        names = frozenset((latest.primary.name, latest.secondary.name))
        # An inject is bound to its pair's first encounter (selectors.current_conjunction); the pair's later
        # encounters (crossing orbits meet again every half revolution or so) are listed with the others.
        first_of_pair = names not in seen_pairs
        seen_pairs.add(names)
        bound_injects = bound.get(names, []) if first_of_pair else []
        answered = [m for m in manoeuvres if m.conjunction_id in ids]
        if not bound_injects and not answered:
            if latest.superseded_at is None:
                others.append(latest)
            continue
        decisions = [
            Decision(
                r.team_id,
                r.kind,
                r.exercise_time,
                sequence[r.inject_id],
                tuple(step.code for step in r.protocol_steps.all()),
            )
            for inject in bound_injects
            for r in responses_by_inject.get(inject.pk, [])
        ]
        decisions.sort(key=lambda d: (d.exercise_time, d.team_id))
        if not answered:  # a manoeuvre of the bound inject's team, recorded without the conjunction
            bound_ids = {inject.pk for inject in bound_injects}
            answered = [m for m in manoeuvres if m.conjunction_id is None and m.inject_id in bound_ids]
        sections.append(
            ConjunctionSection(
                conjunction=group[0],
                screenings=group,
                injects=bound_injects,
                decisions=decisions,
                manoeuvres=answered,
                tca_time=exercise.exercise_time_of(group[0].tca),
                object_manoeuvres=[
                    m for m in manoeuvres if m.space_object_id in (latest.primary_id, latest.secondary_id)
                ],
            )
        )
    return ConjunctionReport(sections=sections, others=others, debris=_debris(exercise, injects, rows), rows=rows)


def _debris(exercise, injects: list, rows: list) -> list[DebrisCloud]:
    """Each broken-up object: its fragments, the inject that made them, and the injects drafted from it."""
    by_parent = defaultdict(list)
    for fragment in SpaceObject.objects.filter(exercise=exercise, parent__isnull=False).order_by("name"):
        by_parent[fragment.parent_id].append(fragment)
    parents = SpaceObject.objects.filter(Q(destroyed_at__isnull=False) | Q(pk__in=list(by_parent)), exercise=exercise)
    by_id = {inject.pk: inject for inject in injects}
    clouds = []
    for parent in parents.order_by("destroyed_at", "name"):
        fragments = by_parent.get(parent.pk, [])
        creator = by_id.get(next((f.created_by_id for f in fragments if f.created_by_id), None))
        conjunctions = sum(
            1
            for row in rows
            if row.superseded_at is None and parent.pk in (row.primary.parent_id, row.secondary.parent_id)
        )
        clouds.append(
            DebrisCloud(
                parent=parent,
                destroyed_time=exercise.exercise_time_of(parent.destroyed_at) if parent.destroyed_at else None,
                fragment_objects=fragments,
                created_by=creator,
                drafted=[i for i in injects if creator is not None and i.drafted_from_id == creator.pk],
                conjunctions=conjunctions,
            )
        )
    return clouds
