"""Reads, with the permission filters every view, consumer and export uses.

One place decides who sees what: a player sees only what was released to their team
and their own team's responses; facilitators and evaluators see the whole exercise.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from statistics import median

from django.conf import settings
from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q
from django.utils.translation import gettext

from exercises.models import (
    Acknowledgement,
    AuditEvent,
    Conjunction,
    Exercise,
    Feedback,
    Inject,
    InjectKind,
    LanguagePreference,
    Manoeuvre,
    Message,
    Participant,
    ProtocolStep,
    Release,
    Response,
    SharedAssessment,
    SpaceObject,
    StixObject,
    format_exercise_time,
)


def participation(user, exercise_id) -> Participant | None:
    """The user's role in the exercise, or None when they have none."""
    if not user.is_authenticated:
        return None
    # At most one row (one role per user per exercise): no ORDER BY (Participant's ordering joins the
    # exercise and the team only to sort that one row).
    participant = _one(
        Participant.objects.select_related("exercise", "team").filter(user=user, exercise_id=exercise_id)
    )
    if participant is not None:
        participant.user = user  # the same row: writes that name the author need not load it again
    return participant


def participations(user) -> list[Participant]:
    if not user.is_authenticated:
        return []
    return list(
        Participant.objects.select_related("exercise", "team").filter(user=user).order_by("-exercise__created_at")
    )


def user_language(user) -> str | None:
    """The language the user reads: the one they picked; else their team's (settings.TEAM_LANGUAGES: FRA
    plays in French) if they play for such a team in any exercise; else None (the browser's choice stands:
    the language cookie, then Accept-Language)."""
    if user is None or not user.is_authenticated:
        return None
    picked = LanguagePreference.objects.filter(user=user).values_list("language", flat=True).first()
    if picked in dict(settings.LANGUAGES):
        return picked
    team = (
        Participant.objects.filter(user=user, role=Participant.Role.PLAYER, team_id__in=list(settings.TEAM_LANGUAGES))
        .order_by("team_id")
        .values_list("team_id", flat=True)
        .first()
    )
    return settings.TEAM_LANGUAGES.get(team)


def msel_injects(exercise_id: int):
    """The exercise's injects in scheduled order, with their teams, steps and releases."""
    return (
        Inject.objects.filter(exercise_id=exercise_id)
        .prefetch_related(
            "teams",
            "protocol_steps",
            Prefetch("releases", queryset=Release.objects.select_related("team").order_by("team__order")),
        )
        .order_by("offset", "sequence")
    )


def msel(exercise: Exercise) -> list[Inject]:
    return list(msel_injects(exercise.pk))


def releases(participant: Participant):
    """The releases a participant may see (a player: their team's), newest first."""
    return (
        visible_to(participant, Release.objects.all())
        .select_related("inject")
        .prefetch_related("inject__teams", "inject__releasable_to", "inject__techniques")  # banner, techniques
        .order_by("-released_at", "-id")
    )


def visible_inject(
    participant: Participant, inject_id, *, related=("protocol_steps", "teams", "releasable_to")
) -> Inject | None:
    """The inject if the participant may see it (a player: only once released to their team), else None.

    `related` are the many-to-many relations to prefetch (responding needs only the steps). The
    inject's exercise is the participant's, already loaded."""
    inject = _one(visible_to(participant, Inject.objects.filter(pk=inject_id)))  # one row: no ORDER BY
    if inject is not None:
        inject.exercise = participant.exercise
        for relation in related:  # what prefetch_related would do for one inject, without its machinery
            as_prefetched(inject, relation, list(getattr(inject, relation).all()))
    return inject


def _one(queryset):
    """The only row of `queryset` (unique by its filter), or None; unordered, unlike first()."""
    return next(iter(queryset.order_by()[:1]), None)


def as_prefetched(instance, relation: str, objects: list) -> None:
    """Put `objects` where prefetch_related would have put `instance`'s `relation` (a many-to-many), so
    that `instance.<relation>.all()` returns them without a query."""
    queryset = getattr(instance, relation).all()  # lazy: no query
    queryset._result_cache = objects
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[relation] = queryset


def responses(participant: Participant):
    return (
        visible_to(participant, Response.objects.all())
        .select_related("team", "author", "inject")
        .prefetch_related("protocol_steps", "releasable_to")
    )


def messages(participant: Participant):
    return visible_to(participant, Message.objects.all()).select_related("author", "from_team", "to_team")


def can_author_scenarios(user) -> bool:
    """Planners (facilitators in the planners group) author scenarios; players and evaluators do not."""
    return user.is_authenticated and user.has_perm("exercises.change_scenario")


def due_injects(exercise: Exercise, at):
    """Unreleased, not held, scheduled injects whose time has come, in order."""
    return (
        Inject.objects.filter(
            exercise=exercise,
            released_at__isnull=True,
            held=False,
            on_demand=False,
            offset__lte=exercise.exercise_time(at),
        )
        .select_related("trigger_step")
        .order_by("offset", "sequence")
    )


def running_exercise_ids() -> list[int]:
    return list(Exercise.objects.filter(status=Exercise.Status.RUNNING).values_list("pk", flat=True))


@dataclass
class Cell:
    """One team's state for one inject on the console matrix."""

    state: str  # not_delivered | delivered | acknowledged | responded | late | responded_late | not_addressed
    label: str
    detail: str = ""


@dataclass
class DeliveryRow:
    inject: Inject
    cells: list[Cell]


@dataclass
class Coverage:
    team: object
    claimed: list[str]
    expected: list[str]

    @property
    def percent(self) -> int:
        return round(100 * len(set(self.claimed) & set(self.expected)) / len(self.expected)) if self.expected else 0


def delivery_matrix(exercise: Exercise, at=None) -> tuple[list, list[DeliveryRow]]:
    """Team × released inject: not delivered / delivered / acknowledged / responded / late.

    Late is measured against the earliest expected time of the inject's protocol steps,
    counted from the moment the inject reached the team. A fixed number of queries.
    """
    return _delivery_rows(exercise, None, at)


def delivery_row(exercise: Exercise, inject_id: int, at=None) -> tuple[list, DeliveryRow | None]:
    """One released inject's row of the delivery matrix (None if it is not released), in queries of its own
    rows only: what a release, an acknowledgement or a response changes on the console."""
    teams, rows = _delivery_rows(exercise, inject_id, at)
    return teams, (rows[0] if rows else None)


def _delivery_rows(exercise: Exercise, inject_id: int | None, at) -> tuple[list, list[DeliveryRow]]:
    """The matrix's rows: every released inject's, or only `inject_id`'s."""
    now_time = exercise.exercise_time(at)
    teams = list(exercise.teams.all())
    injects = exercise.injects.filter(released_at__isnull=False)
    acks = Acknowledgement.objects.filter(inject__exercise=exercise)
    responses = Response.objects.filter(exercise=exercise, inject__isnull=False)
    if inject_id is not None:
        injects, acks, responses = (
            injects.filter(pk=inject_id),
            acks.filter(inject_id=inject_id),
            responses.filter(inject_id=inject_id),
        )
    injects = list(
        injects.only("id", "exercise_id", "sequence", "title", "released_at")  # not the texts: the matrix names injects
        .prefetch_related(
            Prefetch("protocol_steps", ProtocolStep.objects.only("code", "expected_minutes")),
            Prefetch("releases", Release.objects.only("id", "inject_id", "team_id", "exercise_time")),
        )
        .order_by("released_at", "sequence")
    )
    acks = {
        (inject_id, team_id): exercise_time
        for inject_id, team_id, exercise_time in acks.values_list("inject_id", "team_id", "exercise_time")
    }
    first_response = {
        (inject_id, team_id): first
        for inject_id, team_id, first in responses.order_by()
        .values("inject_id", "team_id")
        .annotate(first=Min("exercise_time"))
        .values_list("inject_id", "team_id", "first")
    }
    return teams, [_delivery_row(inject, teams, acks, first_response, now_time) for inject in injects]


def new_delivery_row(inject: Inject, teams: list, now_time: timedelta) -> DeliveryRow:
    """The row of an inject released just now, from the inject with its releases and protocol steps
    prefetched (msel_injects): nobody has acknowledged or responded to it yet."""
    return _delivery_row(inject, teams, {}, {}, now_time)


def _delivery_row(inject: Inject, teams: list, acks: dict, first_response: dict, now_time: timedelta) -> DeliveryRow:
    releases = {release.team_id: release for release in inject.releases.all()}
    minutes = [step.expected_minutes for step in inject.protocol_steps.all()]
    window = timedelta(minutes=min(minutes)) if minutes else None
    cells = []
    for team in teams:
        release = releases.get(team.code)
        if release is None:
            cells.append(Cell("not_delivered", gettext("Not delivered")))
            continue
        due = release.exercise_time + window if window else None
        responded = first_response.get((inject.pk, team.code))
        if responded is not None:
            late = due is not None and responded > due
            cells.append(
                Cell(
                    "responded_late" if late else "responded",
                    gettext("Responded late") if late else gettext("Responded"),
                    format_exercise_time(responded),
                )
            )
        elif due is not None and now_time > due:
            cells.append(Cell("late", gettext("Late"), gettext("due %(time)s") % {"time": format_exercise_time(due)}))
        elif (inject.pk, team.code) in acks:
            cells.append(
                Cell("acknowledged", gettext("Acknowledged"), format_exercise_time(acks[(inject.pk, team.code)]))
            )
        else:
            cells.append(Cell("delivered", gettext("Delivered"), format_exercise_time(release.exercise_time)))
    return DeliveryRow(inject, cells)


def protocol_coverage(exercise: Exercise) -> list[Coverage]:
    """Per team: the protocol steps it claimed, against those linked to injects it received."""
    expected = defaultdict(set)
    for team_id, step in Release.objects.filter(inject__exercise=exercise).values_list(
        "team_id", "inject__protocol_steps"
    ):
        if step:
            expected[team_id].add(step)
    claimed = defaultdict(set)
    for team_id, step in Response.objects.filter(exercise=exercise).values_list("team_id", "protocol_steps"):
        if step:
            claimed[team_id].add(step)
    return [Coverage(team, sorted(claimed[team.code]), sorted(expected[team.code])) for team in exercise.teams.all()]


def presence(exercise: Exercise) -> list[tuple]:
    """Who is connected now: (team or None for control, [names])."""
    connected = defaultdict(set)
    for participant in Participant.objects.filter(exercise=exercise, connections__isnull=False).select_related(
        "user", "team"
    ):
        connected[participant.team_id].add(participant.user.get_full_name() or participant.user.get_username())
    rows = [(None, sorted(connected[None]))]
    rows += [(team, sorted(connected[team.code])) for team in exercise.teams.all()]
    return rows


def acknowledged(exercise_id: int, team_code: str) -> dict:
    """inject id → acknowledgement, for one team."""
    return {
        ack.inject_id: ack
        for ack in Acknowledgement.objects.filter(inject__exercise_id=exercise_id, team_id=team_code).select_related(
            "by"
        )
    }


# Visibility: the one rule every view, consumer and export uses ----------------------------------

EXERCISE_PATH = {
    Inject: "exercise_id",
    Release: "inject__exercise_id",
    Response: "exercise_id",
    SharedAssessment: "exercise_id",
    Message: "exercise_id",
}


def visible_to(participant: Participant, queryset):
    """What this participant may see of `queryset`, within their own exercise.

    Facilitators and evaluators see everything of the exercise. A player sees an inject only
    once it was released to their team, their own team's responses, the assessments their
    team shared or received, and the messages to or from their team (or to all teams).
    """
    model = queryset.model
    rows = queryset.filter(**{EXERCISE_PATH[model]: participant.exercise_id})
    if not participant.is_player:
        return rows
    team = participant.team_id
    if model is Inject:
        return rows.filter(releases__team_id=team)
    if model in (Release, Response):
        return rows.filter(team_id=team)
    if model is SharedAssessment:
        return rows.filter(Q(from_team_id=team) | Q(recipients=team)).distinct()
    if model is Message:
        return rows.filter(Q(from_team_id=team) | Q(from_team__isnull=True, to_team__isnull=True) | Q(to_team_id=team))
    raise TypeError(f"No visibility rule for {model.__name__}")


def assessments_for(participant: Participant):
    return (
        visible_to(participant, SharedAssessment.objects.all())
        .select_related(
            "exercise",  # a CDM attached (the STIX export writes it in the exercise's world time)
            "from_team",
            "author",
            "source_inject",
            "source_response",
            "conjunction__primary__owner",
            "conjunction__secondary__owner",
        )
        .prefetch_related("recipients", "releasable_to", "acknowledgements__team", "comments__team", "comments__author")
    )


def assessments_to_export(participant: Participant):
    """assessments_for without what the STIX objects do not read (the comments' and acknowledgements' teams
    and authors: their ids are on the rows)."""
    return (
        assessments_for(participant)
        .prefetch_related(None)
        .prefetch_related("recipients", "releasable_to", "acknowledgements", "comments")
    )


def stix_objects(participant: Participant, *, markings: bool = True):
    """The stored STIX objects (StixObject) of the participant's TAXII collection. A player's team: those of the
    injects released to it and of the assessments it shared or received (with their comments and
    acknowledgements), every identity, and the marking definitions those carry (`markings` False: without the
    marking definitions). Staff: every one of the exercise."""
    rows = StixObject.objects.filter(exercise_id=participant.exercise_id)
    if not participant.is_player:
        return rows if markings else rows.exclude(type="marking-definition")
    item = (
        Q(inject__in=visible_to(participant, Release.objects.all()).values("inject_id"))
        | Q(assessment__in=visible_to(participant, SharedAssessment.objects.all()).values("pk"))
        | Q(type="identity")
    )
    if not markings:
        return rows.filter(item)
    items = rows.filter(item)
    carried = Q(stix_id__in=items.values("statement_ref")) | Q(stix_id__in=items.values("tlp_ref"))
    return rows.filter(item | (Q(type="marking-definition") & carried))


def sharing_matrix(exercise: Exercise) -> dict:
    """Who shared with whom in the exercise (see sharing_grid). A fixed number of queries."""
    shares = SharedAssessment.objects.filter(exercise=exercise).prefetch_related("recipients", "acknowledgements")
    return sharing_grid(list(exercise.teams.all()), shares)


def sharing_grid(teams: list, shares) -> dict:
    """Per (sender, recipient): the number of shares, how many were downgraded, the median seconds
    from the source's arrival to the share and from the share to the recipient's acknowledgement.
    `shares` have recipients and acknowledgements prefetched."""
    cells = defaultdict(lambda: {"count": 0, "downgraded": 0, "to_share": [], "to_ack": []})
    for share in shares:
        acks = {ack.team_id: ack for ack in share.acknowledgements.all()}
        for recipient in share.recipients.all():
            cell = cells[(share.from_team_id, recipient.code)]
            cell["count"] += 1
            cell["downgraded"] += share.downgraded
            cell["to_share"].append(share.seconds_to_share)
            if recipient.code in acks:
                cell["to_ack"].append((acks[recipient.code].acknowledged_at - share.shared_at).total_seconds())
    grid = []
    for sender in teams:
        row = []
        for recipient in teams:
            cell = cells.get((sender.code, recipient.code))
            if cell is None or sender.code == recipient.code:
                row.append(None)
                continue
            row.append(
                {
                    "count": cell["count"],
                    "downgraded": cell["downgraded"],
                    "median_to_share": median(cell["to_share"]),
                    "median_to_ack": median(cell["to_ack"]) if cell["to_ack"] else None,
                    "acknowledged": len(cell["to_ack"]),
                }
            )
        grid.append((sender, row))
    return {"teams": teams, "grid": grid}


def hot_wash(exercise: Exercise) -> dict:
    """Participant feedback of the exercise, aggregated (see summarise_feedback)."""
    return summarise_feedback(Feedback.objects.filter(exercise=exercise).select_related("team", "user"))


def summarise_feedback(forms) -> dict:
    """Mean rating per question, corrective actions by priority, and every form by team."""
    forms = sorted(forms, key=lambda form: form.team.order)
    questions = []
    for key, text in Feedback.QUESTIONS:
        scores = [form.ratings.get(key) for form in forms if form.ratings.get(key)]
        mean = round(sum(scores) / len(scores), 1) if scores else None
        questions.append({"key": key, "text": str(text), "mean": mean, "answers": len(scores)})
    order = {"high": 0, "medium": 1, "low": 2}
    actions = sorted(
        ({**action, "team": form.team_id} for form in forms for action in form.corrective_actions),
        key=lambda action: order.get(action.get("priority"), 3),
    )
    return {"forms": forms, "questions": questions, "actions": actions}


def item_counts(participant: Participant, *, settled_before=None) -> dict:
    """How many items of each feed the participant's page should show (the sync check).

    With `settled_before`, only the items that existed by then: a page reporting while pushes
    are on their way (a burst of releases) is behind by those, and is not stale for it.
    """
    feeds = {
        "responses": (responses(participant), "submitted_at"),
        "messages": (messages(participant), "sent_at"),
        "assessments": (visible_to(participant, SharedAssessment.objects.all()), "shared_at"),
    }
    if participant.is_player:
        feeds["injects"] = (releases(participant), "released_at")
    else:
        feeds["released"] = (
            Inject.objects.filter(exercise_id=participant.exercise_id, released_at__isnull=False),
            "released_at",
        )
    counts = {}
    for feed, (items, created) in feeds.items():
        if settled_before is not None:
            items = items.filter(**{f"{created}__lte": settled_before})
        counts[feed] = items.count()
    return counts


def catalogue(exercise: Exercise):
    """The exercise's space objects, all of them (what staff see; a team sees visible_objects)."""
    return SpaceObject.objects.filter(exercise=exercise).select_related("owner")


# The inject kinds that are about catalogue objects: their cards carry the named objects' OMMs and the CDM
# of the pair's screened conjunction, and a team may attach that CDM to an assessment it shares.
SPACE_DATA_KINDS = (InjectKind.CONJUNCTION, InjectKind.COLLISION, InjectKind.DEBRIS, InjectKind.ASAT)


def visible_objects(participant: Participant):
    """The exercise's space objects the participant may see, by name: staff all of them; a team the allied
    objects (any ally's), the objects named (primary or secondary) by injects released to it, and those an
    inject released to it made (the fragments of a break-up it was told of)."""
    objects = catalogue(participant.exercise)
    if not participant.is_player:
        return objects
    released = visible_to(participant, Inject.objects.all())
    return objects.filter(
        Q(owner__isnull=False)
        | Q(name__in=released.exclude(primary_object="").values("primary_object"))
        | Q(name__in=released.exclude(secondary_object="").values("secondary_object"))
        | Q(created_by__in=released.values("pk"))
    )


def visible_object(participant: Participant, object_id) -> SpaceObject | None:
    return _one(visible_objects(participant).filter(pk=object_id))


def warned_conjunctions(participant: Participant) -> dict[int, Conjunction]:
    """conjunction id → the current conjunctions an inject of a space-data kind naming the pair warned the
    participant of (a player: an inject released to their team; staff: any inject of the exercise)."""
    injects = visible_to(
        participant,
        Inject.objects.filter(kind__in=SPACE_DATA_KINDS).exclude(primary_object="").exclude(secondary_object=""),
    ).only("id", "exercise_id", "primary_object", "secondary_object")
    return {c.pk: c for c in current_conjunctions(participant.exercise_id, list(injects)).values()}


def _conjunctions(exercise_id: int):
    return Conjunction.objects.filter(exercise_id=exercise_id).select_related(
        "exercise", "primary", "secondary", "primary__owner", "secondary__owner"
    )


def cdm_conjunction(participant: Participant, conjunction_id) -> Conjunction | None:
    """A conjunction whose CDM the participant may download, else None. Staff: any of the exercise's (current or
    superseded). A team: a current one it was warned of (warned_conjunctions), or one whose CDM its team shared
    or an ally shared with it (an assessment it may see carries it: the assessment's releasability)."""
    conjunction = _one(_conjunctions(participant.exercise_id).filter(pk=conjunction_id))
    if conjunction is None or not participant.is_player:
        return conjunction
    if conjunction.pk in warned_conjunctions(participant):
        return conjunction
    if visible_to(participant, SharedAssessment.objects.filter(conjunction_id=conjunction.pk)).exists():
        return conjunction
    return None


def cdm_conjunctions(participant: Participant) -> list[Conjunction]:
    """The conjunctions whose CDM the participant may download, by TCA: staff every current one of the exercise;
    a team those it was warned of and those shared with it (cdm_conjunction)."""
    rows = _conjunctions(participant.exercise_id)
    if not participant.is_player:
        return list(rows.filter(superseded_at__isnull=True).order_by("tca", "pk"))
    warned = list(warned_conjunctions(participant))
    shared = visible_to(participant, SharedAssessment.objects.filter(conjunction__isnull=False))
    rows = rows.filter(Q(pk__in=warned) | Q(pk__in=shared.values("conjunction_id")))
    return list(rows.order_by("tca", "pk"))


def source_conjunction(source) -> Conjunction | None:
    """The screened conjunction whose CDM a team may attach when it shares from `source`: an inject of a
    space-data kind naming both objects, bound to their current conjunction. None for anything else."""
    if not isinstance(source, Inject) or source.kind not in SPACE_DATA_KINDS:
        return None
    return current_conjunction(source)


@dataclass
class SpaceData:
    """What an inject's card attaches: the OMMs of the objects it names, and the CDM of their conjunction."""

    objects: list  # the named objects found in the catalogue, primary first
    conjunction: Conjunction | None  # its CDM link (None for a conjunction inject: its card has the link)


def inject_space_data(injects, exercise_id: int) -> dict[int, SpaceData]:
    """inject id → SpaceData, for the injects of a space-data kind among `injects` that name an object found in
    the catalogue. Two queries (none when no inject names an object)."""
    injects = [
        inject
        for inject in injects
        if inject.kind in SPACE_DATA_KINDS and (inject.primary_object or inject.secondary_object)
    ]
    if not injects:
        return {}
    names = {name for inject in injects for name in (inject.primary_object, inject.secondary_object) if name}
    found = {obj.name: obj for obj in SpaceObject.objects.filter(exercise_id=exercise_id, name__in=names)}
    bound = current_conjunctions(exercise_id, [inject for inject in injects if inject.kind != InjectKind.CONJUNCTION])
    attached = {}
    for inject in injects:
        objects = [found[name] for name in (inject.primary_object, inject.secondary_object) if name in found]
        if objects:
            attached[inject.pk] = SpaceData(objects, bound.get(inject.pk))
    return attached


def current_conjunction(inject: Inject) -> Conjunction | None:
    """The screened close approach an inject is bound to (its primary and secondary objects), as screened
    now: the first current one by TCA, or None when the inject names no pair or screening found none."""
    if not inject.primary_object or not inject.secondary_object:
        return None
    return (
        Conjunction.objects.filter(
            exercise_id=inject.exercise_id,
            superseded_at__isnull=True,
            primary__name=inject.primary_object,
            secondary__name=inject.secondary_object,
        )
        .select_related("primary", "secondary", "primary__owner", "secondary__owner")
        .order_by("tca")
        .first()
    )


def bound_conjunctions(participant: Participant) -> list[tuple[Conjunction, Inject]]:
    """The current conjunctions the participant may see, each with the conjunction inject bound to it (a
    player: only injects released to their team), once each, in order of the injects' release."""
    injects = list(
        visible_to(participant, Inject.objects.exclude(primary_object="").exclude(secondary_object=""))
        .prefetch_related("protocol_steps")
        .order_by("released_at", "sequence")
        .distinct()
    )
    bound = current_conjunctions(participant.exercise_id, injects)  # one query, however many injects
    found = {}
    for inject in injects:
        conjunction = bound.get(inject.pk)
        if conjunction is not None and conjunction.pk not in found:
            inject.exercise = participant.exercise
            found[conjunction.pk] = (conjunction, inject)
    return list(found.values())


def visible_conjunction(participant: Participant, conjunction_id) -> tuple[Conjunction, Inject] | None:
    """(the conjunction, the inject that warned of it) if it is current and the participant may see it."""
    return next((pair for pair in bound_conjunctions(participant) if str(pair[0].pk) == str(conjunction_id)), None)


def planner_conjunctions(participant: Participant) -> list[tuple[Conjunction, Inject]]:
    """The team's manoeuvre planner: the current conjunctions it was warned of whose primary is its own."""
    if not participant.is_player:
        return []
    return [pair for pair in bound_conjunctions(participant) if pair[0].primary.owner_id == participant.team_id]


def superseded_team_conjunction(participant: Participant, conjunction_id) -> bool:
    """Whether the id is a superseded conjunction of one of the player's team's satellites."""
    if not participant.is_player or not str(conjunction_id).isdigit():
        return False
    return Conjunction.objects.filter(
        pk=conjunction_id,
        exercise_id=participant.exercise_id,
        primary__owner_id=participant.team_id,
        superseded_at__isnull=False,
    ).exists()


def manoeuvres(participant: Participant):
    """Committed manoeuvres, newest first: a player sees their own team's, staff every team's."""
    rows = Manoeuvre.objects.filter(exercise_id=participant.exercise_id)
    if participant.is_player:
        rows = rows.filter(team_id=participant.team_id)
    return rows.select_related("exercise", "space_object", "team", "conjunction__secondary").order_by(
        "-committed_at", "-id"
    )


def current_conjunctions(exercise_id: int, injects) -> dict[int, Conjunction]:
    """inject id → its current_conjunction, for many injects of one exercise in one query (none when no
    inject names a pair): a team page or the console shows every conjunction inject's screened event."""
    return _conjunctions_of_pairs(exercise_id, injects, current=True)


def last_screened_conjunctions(exercise_id: int, injects) -> dict[int, Conjunction]:
    """inject id → the last screened approach of its pair, superseded since (a burn or a break-up changed the
    catalogue and the pair no longer comes within the screening threshold): what the inject warned of. One
    query, and none when no inject names a pair."""
    return _conjunctions_of_pairs(exercise_id, injects, current=False)


def _conjunctions_of_pairs(exercise_id: int, injects, *, current: bool) -> dict[int, Conjunction]:
    """inject id → the first by TCA of its pair's current rows, or the latest screened of its superseded ones."""
    pairs = {
        (inject.primary_object, inject.secondary_object)
        for inject in injects
        if inject.primary_object and inject.secondary_object
    }
    if not pairs:
        return {}
    rows = (
        Conjunction.objects.filter(
            exercise_id=exercise_id,
            superseded_at__isnull=current,
            primary__name__in={primary for primary, _ in pairs},
            secondary__name__in={secondary for _, secondary in pairs},
        )
        .select_related("primary", "secondary", "primary__owner", "secondary__owner")
        .order_by(*(["tca"] if current else ["-screened_at", "tca"]))
    )
    found = {}
    for row in rows:
        found.setdefault((row.primary.name, row.secondary.name), row)
    return {
        inject.pk: found[(inject.primary_object, inject.secondary_object)]
        for inject in injects
        if (inject.primary_object, inject.secondary_object) in found
    }


# An ASAT test's debris (services/debris.py) --------------------------------------------------------


def pending_breakups():
    """Released ASAT tests whose target is still whole, in live exercises with orbits: the break-ups the clock
    worker has yet to do (services.debris.break_up_released_targets). Derived from the rows alone, so a
    restart loses none and one that is done is never pending again."""
    intact_target = SpaceObject.objects.filter(
        exercise_id=OuterRef("exercise_id"), name=OuterRef("primary_object"), destroyed_at__isnull=True
    )
    return (
        Inject.objects.filter(
            kind=InjectKind.ASAT,
            released_at__isnull=False,
            exercise__status__in=[Exercise.Status.RUNNING, Exercise.Status.PAUSED],
            exercise__orbit_epoch__isnull=False,
        )
        .exclude(primary_object="")
        .filter(Exists(intact_target))
        .select_related("exercise")
        .order_by("released_at", "pk")
    )


@dataclass
class DraftedInject:
    """A conjunction inject the app drafted from a cloud, and the screened event it is bound to."""

    inject: Inject
    conjunction: Conjunction | None
    tca: timedelta | None  # exercise time of closest approach

    @property
    def probability(self) -> str:
        return "" if self.conjunction is None else f"{self.conjunction.probability:.1e}"


@dataclass
class DebrisCloud:
    """An ASAT test of the exercise and what it made: its target, the fragments and the drafted injects."""

    inject: Inject  # the ASAT test
    target: SpaceObject | None  # None: the inject names an object the catalogue does not have
    breakup: dict | None  # the catalogue.breakup journal entry's payload, once broken up
    catalogued: int
    drafts: list[DraftedInject]

    @property
    def broken_up(self) -> bool:
        return self.breakup is not None

    @property
    def fragment_count(self) -> int | None:
        return None if self.breakup is None else self.breakup["fragments"]

    @property
    def broken_up_at(self) -> timedelta | None:
        """Exercise time of the break-up (the ASAT test's release)."""
        return None if self.breakup is None else timedelta(seconds=self.breakup["exercise_seconds"])


def debris_clouds(exercise: Exercise) -> list[DebrisCloud]:
    """The exercise's ASAT tests that name a target, with their clouds and drafts, in MSEL order (a fixed
    number of queries)."""
    tests = list(
        Inject.objects.filter(exercise=exercise, kind=InjectKind.ASAT)
        .exclude(primary_object="")
        .order_by("offset", "sequence")
    )
    if not tests:
        return []
    targets = {
        target.name: target
        for target in SpaceObject.objects.filter(
            exercise=exercise, name__in=[test.primary_object for test in tests]
        ).annotate(catalogued=Count("fragments"))
    }
    breakups = {
        event.payload.get("inject"): event.payload
        for event in AuditEvent.objects.filter(exercise=exercise, kind="catalogue.breakup")
    }
    drafts = defaultdict(list)
    for draft in (
        Inject.objects.filter(exercise=exercise, drafted_from__in=tests)
        .prefetch_related("teams", Prefetch("releases", queryset=Release.objects.order_by("team__order")))
        .order_by("offset", "sequence")
    ):
        drafts[draft.drafted_from_id].append(draft)
    conjunctions = {}
    for conjunction in (
        Conjunction.objects.filter(
            exercise=exercise, superseded_at__isnull=True, secondary__parent__in=list(targets.values())
        )
        .select_related("primary", "secondary")
        .order_by("-tca")  # the earliest last, so it is the one kept
    ):
        conjunctions[(conjunction.primary.name, conjunction.secondary.name)] = conjunction
    clouds = []
    for test in tests:
        target = targets.get(test.primary_object)
        bound = [(draft, conjunctions.get((draft.primary_object, draft.secondary_object))) for draft in drafts[test.pk]]
        clouds.append(
            DebrisCloud(
                inject=test,
                target=target,
                breakup=breakups.get(test.pk),
                catalogued=target.catalogued if target is not None else 0,
                drafts=[
                    DraftedInject(draft, found, exercise.exercise_time_of(found.tca) if found else None)
                    for draft, found in bound
                ],
            )
        )
    return clouds
