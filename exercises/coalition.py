"""Coalition analytics: do the allies reach a common picture and a coordinated response?

A decision-bearing inject asks each addressed team for a structured assessment (on its response): the
assessed cause (from the list for the inject's kind), the attributed actor, the confidence in the words of
estimative probability (ICD 203) and the recommended course of action (one of the inject's options, or
"other" with its own words). A team revises by amending its response: each version counts from its time.

The metrics (defined, with worked examples, in docs/evaluation.md) are plain functions on plain data:
`consensus`, `divergence`, `sharing_across_barriers`, `sharing_by_classification`, `manoeuvre_conflicts`,
`coordination` and `narrative`. `load` reads what they need for one exercise in a fixed number of queries
(it does not grow with injects, teams or responses) and `analyse` computes them all.
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import combinations

from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy, gettext_noop, ngettext, pgettext

# The causes a team may assess, and which of them fit each inject kind (the order is the form's). The labels are
# data in English (the journal, the CSV files, the rehearsal's texts); cause_label() translates one for a page.
CAUSES = {
    "accident": gettext_noop("accident"),
    "malfunction": gettext_noop("malfunction"),
    "hostile_act": gettext_noop("hostile act"),
    "natural": gettext_noop("natural (space weather)"),
    "unknown": gettext_noop("unknown"),
}
# The cause as the narrative sentence names it, with its article ("agreed on a hostile act").
CAUSE_PHRASES = {
    "accident": gettext_noop("an accident"),
    "malfunction": gettext_noop("a malfunction"),
    "hostile_act": gettext_noop("a hostile act"),
    "natural": gettext_noop("a natural (space weather)"),
    "unknown": gettext_noop("“unknown”"),
}
CAUSE_BY_LABEL = {label: key for key, label in CAUSES.items()}
ALL_CAUSES = list(CAUSES)
CAUSES_BY_KIND = {
    "conjunction": ["accident", "malfunction", "hostile_act", "unknown"],
    "collision": ["accident", "malfunction", "hostile_act", "unknown"],
    "debris": ["accident", "malfunction", "hostile_act", "unknown"],
    "asat": ["hostile_act", "accident", "unknown"],
    "co_orbital": ["hostile_act", "accident", "malfunction", "unknown"],
    "jamming": ["hostile_act", "accident", "natural", "unknown"],
    "cyber": ["hostile_act", "accident", "malfunction", "unknown"],
    "malfunction": ["malfunction", "natural", "hostile_act", "accident", "unknown"],
}

# ICD 203 (Analytic Standards): the words of estimative probability, in order, with their ranges (%).
CONFIDENCE = {
    "almost_no_chance": (gettext_noop("almost no chance"), 1, 5),
    "very_unlikely": (gettext_noop("very unlikely"), 5, 20),
    "unlikely": (gettext_noop("unlikely"), 20, 45),
    "roughly_even_chance": (gettext_noop("roughly even chance"), 45, 55),
    "likely": (gettext_noop("likely"), 55, 80),
    "very_likely": (gettext_noop("very likely"), 80, 95),
    "almost_certain": (gettext_noop("almost certain"), 95, 99),
}
CONFIDENCE_STEPS = {key: index for index, key in enumerate(CONFIDENCE)}
OTHER = "other"


def cause_label(cause: str) -> str:
    """The cause's label in the active language (a value not in the list as it is)."""
    return gettext(CAUSES[cause]) if cause in CAUSES else cause


def confidence_label(confidence: str) -> str:
    """The ICD 203 words in the active language, or "" for none."""
    return gettext(CONFIDENCE[confidence][0]) if confidence in CONFIDENCE else ""


def causes_for(kind: str) -> list[tuple[str, str]]:
    """(value, label) of the causes a team may assess for an inject of this kind, labels in the active language."""
    return [(key, cause_label(key)) for key in CAUSES_BY_KIND.get(kind, ALL_CAUSES)]


def confidence_choices() -> list[tuple[str, str]]:
    """(value, label) of the ICD 203 scale; lazy labels, translated when shown (a form's class may hold them)."""
    return [
        (key, format_lazy("{} ({}–{} %)", gettext_lazy(label), low, high))
        for key, (label, low, high) in CONFIDENCE.items()
    ]


def join_and(items) -> str:
    """USA, GBR and CAN (the last two joined by the language's "and")."""
    items = [str(item) for item in items]
    if len(items) < 2:
        return items[0] if items else ""
    # Translators: a list, "USA, GBR and CAN": %(items)s is "USA, GBR", %(last)s is "CAN".
    return gettext("%(items)s and %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


def cause_phrase(label: str) -> str:
    """A cause label as the narrative names it, with its article: "a hostile act", "“unknown”"."""
    key = CAUSE_BY_LABEL.get(label)
    if key is not None:
        return gettext(CAUSE_PHRASES[key])
    return f"{'an' if label[:1] in 'aeiou' else 'a'} {label}"


# Plain data ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assessment:
    """One version of a team's structured assessment of an inject, from its time on."""

    team: str
    at: timedelta  # exercise time
    cause: str
    confidence: str = ""
    action: str = ""  # one of the inject's options, or OTHER
    action_other: str = ""
    actor: str = ""
    steps: frozenset = frozenset()  # protocol steps the team had claimed for the inject by then
    response_id: int | None = None

    @property
    def action_key(self) -> str:
        """What two courses of action are compared by: the option, or "other" with its words (case aside)."""
        if self.action == OTHER:
            return f"{OTHER}:{' '.join(self.action_other.split()).casefold()}"
        return self.action

    @property
    def key(self) -> tuple[str, str]:
        return (self.cause, self.action_key)

    @property
    def cause_label(self) -> str:
        """In the active language (the console's panel); the narrative keeps CAUSES' English as its data."""
        return cause_label(self.cause)

    @property
    def confidence_label(self) -> str:
        return confidence_label(self.confidence)

    @property
    def action_label(self) -> str:
        return f"other: {self.action_other}" if self.action == OTHER else self.action


@dataclass(frozen=True)
class DecisionInject:
    pk: int
    sequence: int
    title: str
    kind: str
    released_at: timedelta  # exercise time of its first release
    teams: tuple  # codes of the teams it reached, in the exercise's order
    options: tuple = ()


@dataclass(frozen=True)
class Share:
    """A shared assessment: who, to whom, under which marking, and about which inject."""

    from_team: str
    recipients: tuple
    classification: str
    downgraded: bool
    at: timedelta  # exercise time of the share
    seconds_to_share: float  # from the source's arrival at the sharing team, in exercise time
    inject_id: int | None  # the source inject, or the inject of the source response


@dataclass(frozen=True)
class NationalInject:
    pk: int
    sequence: int
    title: str
    classification: str
    released_at: timedelta
    teams: tuple


@dataclass(frozen=True)
class BurnFacts:
    team: str
    object_id: int
    object_name: str
    inject_id: int | None
    committed_at: datetime


@dataclass(frozen=True)
class ConjunctionFacts:
    primary_id: int
    primary_name: str
    secondary_id: int
    secondary_name: str
    screened_at: datetime
    tca: timedelta | None  # exercise time
    miss_distance_m: float


# Time to consensus --------------------------------------------------------------------------------------------


@dataclass
class Consensus:
    reached_at: timedelta | None  # exercise time of the first consensus, None if never
    time_to_consensus: timedelta | None
    cause: str = ""
    action: str = ""  # the agreed course of action's label
    holdouts: list = field(default_factory=list)  # the team(s) that joined the consensus last
    periods: list = field(default_factory=list)  # [(start, end or None)] the consensus held
    silent: list = field(default_factory=list)  # addressed teams that never gave an assessment

    @property
    def reached(self) -> bool:
        return self.reached_at is not None

    @property
    def holding(self) -> bool:
        """Is the consensus in force after the last assessment?"""
        return bool(self.periods) and self.periods[-1][1] is None

    @property
    def since(self) -> timedelta | None:
        return self.periods[-1][0] if self.holding else None

    @property
    def lost_at(self) -> timedelta | None:
        """When a consensus reached earlier broke and has not been regained (the console's alert)."""
        return self.periods[-1][1] if self.periods and not self.holding else None


def current_at(assessments, at: timedelta) -> dict:
    """team → its latest assessment at or before `at` (a later version replaces an earlier one; at the same
    time, the later in the list)."""
    current = {}
    for assessment in sorted(assessments, key=lambda a: a.at):
        if assessment.at <= at:
            current[assessment.team] = assessment
    return current


def _moments(inject: DecisionInject, assessments) -> list[timedelta]:
    return sorted({a.at for a in assessments if a.team in inject.teams and a.at >= inject.released_at})


def _agreed(inject: DecisionInject, current: dict) -> tuple | None:
    if not inject.teams or any(team not in current for team in inject.teams):
        return None
    keys = {current[team].key for team in inject.teams}
    return keys.pop() if len(keys) == 1 else None


def consensus(inject: DecisionInject, assessments) -> Consensus:
    """The first moment all the inject's teams' current assessments agree on cause and course of action.

    `assessments`: the inject's assessments (every version); those of teams it did not reach are ignored."""
    assessments = [a for a in assessments if a.team in inject.teams]
    answered = {a.team for a in assessments}
    silent = [team for team in inject.teams if team not in answered]
    periods, start = [], None
    for moment in _moments(inject, assessments):
        agreed = _agreed(inject, current_at(assessments, moment))
        if agreed is not None and start is None:
            start = moment
        elif agreed is None and start is not None:
            periods.append((start, moment))
            start = None
    if start is not None:
        periods.append((start, None))
    if not periods:
        return Consensus(None, None, silent=silent)
    reached_at = periods[0][0]
    current = current_at(assessments, reached_at)
    agreed = current[inject.teams[0]]
    return Consensus(
        reached_at=reached_at,
        time_to_consensus=reached_at - inject.released_at,
        cause=agreed.cause,
        action=agreed.action_label,
        holdouts=_last_to_join(inject, assessments, reached_at, agreed.key),
        periods=periods,
        silent=silent,
    )


def joined_at(team: str, assessments, at: timedelta, key) -> timedelta | None:
    """When `team` came to hold `key` for good, as of `at`: the first of its unbroken run of versions with it."""
    versions = [a for a in sorted(assessments, key=lambda a: a.at) if a.team == team and a.at <= at]
    joined = None
    for version in versions:
        if version.key == key:
            joined = version.at if joined is None else joined
        else:
            joined = None
    return joined


def _last_to_join(inject, assessments, at, key) -> list[str]:
    joined = {team: joined_at(team, assessments, at, key) for team in inject.teams}
    last = max(joined.values())
    latest = [team for team in inject.teams if joined[team] == last]
    return [] if len(latest) == len(inject.teams) else latest


# Divergence ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DivergencePoint:
    at: timedelta
    assessed: int  # teams with a current assessment
    cause_disagreement: float | None  # share of pairs of teams that disagree on the cause
    action_disagreement: float | None  # share of pairs that disagree on the course of action
    confidence_spread: int | None  # highest minus lowest confidence, in steps of the ICD 203 scale
    steps_distance: float | None  # mean Jaccard distance of the pairs' claimed protocol steps


def jaccard_distance(a: frozenset, b: frozenset) -> float:
    """1 − |a ∩ b| / |a ∪ b|; two teams that claimed nothing are at distance 0."""
    union = a | b
    return 1 - len(a & b) / len(union) if union else 0.0


def divergence(inject: DecisionInject, assessments) -> list[DivergencePoint]:
    """How far the teams' current assessments differ, after each moment one of them assessed or revised."""
    assessments = [a for a in assessments if a.team in inject.teams]
    points = []
    for moment in _moments(inject, assessments):
        current = current_at(assessments, moment)
        teams = [current[team] for team in inject.teams if team in current]
        pairs = list(combinations(teams, 2))
        levels = [CONFIDENCE_STEPS[a.confidence] for a in teams if a.confidence in CONFIDENCE_STEPS]
        points.append(
            DivergencePoint(
                at=moment,
                assessed=len(teams),
                cause_disagreement=_share(a.cause != b.cause for a, b in pairs) if pairs else None,
                action_disagreement=_share(a.action_key != b.action_key for a, b in pairs) if pairs else None,
                confidence_spread=max(levels) - min(levels) if len(levels) >= 2 else None,
                steps_distance=statistics.fmean(jaccard_distance(a.steps, b.steps) for a, b in pairs)
                if pairs
                else None,
            )
        )
    return points


def _share(values) -> float:
    values = list(values)
    return sum(values) / len(values)


# Sharing across classification barriers ------------------------------------------------------------------------


@dataclass(frozen=True)
class BarrierRow:
    inject: NationalInject
    shares: int
    first_share_after: timedelta | None  # from the inject's release to its first share with an ally
    first_share_from: str = ""
    first_share_to: tuple = ()
    downgrade_needed: bool = False  # the first share was recorded as a downgrade
    first_downgrade_after: timedelta | None = None


def sharing_across_barriers(national_injects, shares) -> list[BarrierRow]:
    """For each national-only inject: how long until an ally got it (from the inject itself or a response to it)."""
    by_inject = defaultdict(list)
    for share in shares:
        if share.inject_id is not None:
            by_inject[share.inject_id].append(share)
    rows = []
    for inject in national_injects:
        about = sorted(by_inject.get(inject.pk, []), key=lambda s: s.at)
        if not about:
            rows.append(BarrierRow(inject, 0, None))
            continue
        first = about[0]
        downgrades = [s for s in about if s.downgraded]
        rows.append(
            BarrierRow(
                inject,
                len(about),
                first.at - inject.released_at,
                first.from_team,
                first.recipients,
                first.downgraded,
                downgrades[0].at - inject.released_at if downgrades else None,
            )
        )
    return rows


@dataclass(frozen=True)
class ClassificationCell:
    classification: str
    from_team: str
    to_team: str
    count: int
    downgraded: int
    median_minutes: float  # from the source's arrival to the share


def sharing_by_classification(shares) -> list[ClassificationCell]:
    """Who shared with whom, per classification (as shared): count and median minutes to share."""
    cells = defaultdict(list)
    for share in shares:
        for recipient in share.recipients:
            cells[(share.classification, share.from_team, recipient)].append(share)
    return [
        ClassificationCell(
            classification,
            sender,
            recipient,
            len(group),
            sum(s.downgraded for s in group),
            statistics.median(s.seconds_to_share for s in group) / 60,
        )
        for (classification, sender, recipient), group in sorted(cells.items())
    ]


# Coordination -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManoeuvreConflict:
    """A close approach between two objects that were both manoeuvred before it was screened."""

    primary: str
    secondary: str
    teams: tuple
    injects: frozenset
    tca: timedelta | None
    miss_distance_m: float


def manoeuvre_conflicts(burns, conjunctions) -> list[ManoeuvreConflict]:
    """Two manoeuvres that create a new conjunction are incompatible: a screened conjunction whose primary and
    secondary had both burned by the time of its screening (each pair of objects once, the first screening)."""
    burns_of = defaultdict(list)
    for burn in burns:
        burns_of[burn.object_id].append(burn)
    conflicts, seen = [], set()
    for conjunction in sorted(conjunctions, key=lambda c: c.screened_at):
        pair = frozenset((conjunction.primary_id, conjunction.secondary_id))
        if pair in seen:
            continue
        before = [
            [b for b in burns_of.get(obj, []) if b.committed_at <= conjunction.screened_at]
            for obj in (conjunction.primary_id, conjunction.secondary_id)
        ]
        if before[0] and before[1]:
            seen.add(pair)
            involved = before[0] + before[1]
            conflicts.append(
                ManoeuvreConflict(
                    conjunction.primary_name,
                    conjunction.secondary_name,
                    tuple(sorted({b.team for b in involved})),
                    frozenset(b.inject_id for b in involved if b.inject_id is not None),
                    conjunction.tca,
                    conjunction.miss_distance_m,
                )
            )
    return conflicts


@dataclass(frozen=True)
class CoordinationRow:
    inject: DecisionInject
    actions: dict  # team → its final course of action (label)
    actions_agree: bool | None  # None: fewer than two teams recommended one
    conflicts: tuple  # ManoeuvreConflicts its manoeuvres made

    @property
    def compatible(self) -> bool | None:
        if self.conflicts:
            return False
        return self.actions_agree


def coordination(inject: DecisionInject, assessments, conflicts) -> CoordinationRow:
    """Were the teams' final actions compatible: one course of action, and no manoeuvres in conflict?"""
    final = current_at([a for a in assessments if a.team in inject.teams], timedelta.max)
    actions = {team: final[team] for team in inject.teams if team in final and final[team].action}
    agree = len({a.action_key for a in actions.values()}) == 1 if len(actions) >= 2 else None
    return CoordinationRow(
        inject,
        {team: a.action_label for team, a in actions.items()},
        agree,
        tuple(c for c in conflicts if inject.pk in c.injects),
    )


# The narrative sentence ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Narrative:
    """What one sentence about an inject says (its labels the English data of CAUSES); `sentence` words it in the
    active language."""

    reached: bool
    agreed_teams: tuple = ()  # who agreed first (all teams when nobody held out)
    cause: str = ""  # label
    action: str = ""
    agreed_at: timedelta | None = None
    holdouts: tuple = ()  # (team, the cause it held before, or "", until)
    groups: tuple = ()  # not reached: (cause label, (teams,)) of the final assessments
    silent: tuple = ()

    @property
    def sentence(self) -> str:
        return narrative_sentence(self)


def narrative_sentence(n: Narrative) -> str:
    """The narrative as one sentence in the active language, each clause translated whole (named placeholders),
    the team lists joined by the language's "and": "USA and GBR agreed on a hostile act and “Condemn” at
    T+00:15:00; CAN held “unknown” until T+00:20:00." Team codes, times and the options' words stay as they are."""
    from exercises.models import format_exercise_time

    if n.reached:
        values = {
            "teams": join_and(n.agreed_teams),
            "cause": cause_phrase(n.cause),
            "action": n.action,
            "time": format_exercise_time(n.agreed_at),
        }
        if len(n.agreed_teams) > 1:
            clauses = [gettext("%(teams)s agreed on %(cause)s and “%(action)s” at %(time)s") % values]
        else:
            clauses = [gettext("%(teams)s assessed %(cause)s and recommended “%(action)s” at %(time)s") % values]
        for team, held, until in n.holdouts:
            cause = cause_label(CAUSE_BY_LABEL.get(held, held))
            values = {"team": team, "cause": cause, "time": format_exercise_time(until)}
            if held:
                clauses.append(gettext("%(team)s held “%(cause)s” until %(time)s") % values)
            else:
                clauses.append(gettext("%(team)s gave no assessment until %(time)s") % values)
        return _clauses(clauses) + "."
    clauses = [
        ngettext("%(teams)s assessed %(cause)s", "%(teams)s assessed %(cause)s", len(teams))
        % {"teams": join_and(teams), "cause": cause_phrase(cause)}
        for cause, teams in n.groups
    ]
    if n.silent:
        clauses.append(
            ngettext("%(teams)s never answered", "%(teams)s never answered", len(n.silent))
            % {"teams": join_and(n.silent)}
        )
    if not clauses:
        return gettext("No consensus.")
    return gettext("No consensus: %(clauses)s.") % {"clauses": _clauses(clauses)}


def _clauses(clauses) -> str:
    # Translators: what separates the clauses of the narrative sentence (French: a no-break space before ";").
    return pgettext("clause separator", "; ").join(clauses)


def narrative(inject: DecisionInject, assessments, result: Consensus) -> Narrative:
    assessments = [a for a in assessments if a.team in inject.teams]
    if result.reached:
        key = current_at(assessments, result.reached_at)[inject.teams[0]].key
        joined = {team: joined_at(team, assessments, result.reached_at, key) for team in inject.teams}
        early = tuple(team for team in inject.teams if team not in result.holdouts)
        holdouts = []
        for team in result.holdouts:
            before = [a for a in assessments if a.team == team and a.at < joined[team]]
            held = CAUSES.get(max(before, key=lambda a: a.at).cause, "") if before else ""
            holdouts.append((team, held, joined[team]))
        return Narrative(
            True,
            early,
            CAUSES.get(result.cause, result.cause),
            result.action,
            max(joined[team] for team in early),
            tuple(holdouts),
        )
    final = current_at(assessments, timedelta.max)
    groups = defaultdict(list)
    for team in inject.teams:
        if team in final:
            groups[CAUSES.get(final[team].cause, final[team].cause)].append(team)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    return Narrative(
        False, groups=tuple((cause, tuple(teams)) for cause, teams in ordered), silent=tuple(result.silent)
    )


# The whole exercise ---------------------------------------------------------------------------------------------


@dataclass
class InjectCoalition:
    inject: DecisionInject
    current: list  # (team, its current Assessment or None), in the inject's team order
    consensus: Consensus
    divergence: list
    coordination: CoordinationRow
    narrative: Narrative

    @property
    def alert(self) -> bool:
        """Divergence rose after consensus: the teams agreed, and no longer do."""
        return self.consensus.lost_at is not None


@dataclass
class CoalitionData:
    decisions: list  # DecisionInject, in MSEL order
    assessments: dict  # inject id → [Assessment], every version
    national: list  # NationalInject
    shares: list  # Share
    burns: list  # BurnFacts
    conjunctions: list  # ConjunctionFacts


@dataclass
class CoalitionReport:
    injects: list  # InjectCoalition
    barriers: list  # BarrierRow
    classification_cells: list  # ClassificationCell
    conflicts: list  # ManoeuvreConflict

    @property
    def alerts(self) -> list:
        return [item for item in self.injects if item.alert]


def analyse(data: CoalitionData) -> CoalitionReport:
    conflicts = manoeuvre_conflicts(data.burns, data.conjunctions)
    injects = []
    for inject in data.decisions:
        assessments = data.assessments.get(inject.pk, [])
        result = consensus(inject, assessments)
        final = current_at(assessments, timedelta.max)
        injects.append(
            InjectCoalition(
                inject=inject,
                current=[(team, final.get(team)) for team in inject.teams],
                consensus=result,
                divergence=divergence(inject, assessments),
                coordination=coordination(inject, assessments, conflicts),
                narrative=narrative(inject, assessments, result),
            )
        )
    return CoalitionReport(
        injects=injects,
        barriers=sharing_across_barriers(data.national, data.shares),
        classification_cells=sharing_by_classification(data.shares),
        conflicts=conflicts,
    )


def load(exercise) -> CoalitionData:
    """Everything the metrics read of one exercise, in a fixed number of queries of plain values whatever its size."""
    from exercises.models import (
        Conjunction,
        Inject,
        Manoeuvre,
        Releasability,
        Release,
        Response,
        SharedAssessment,
    )

    order = {code: index for index, code in enumerate(exercise.teams.values_list("code", flat=True))}
    injects = list(
        Inject.objects.filter(exercise=exercise)
        .order_by("offset", "sequence")
        .values_list(
            "pk",
            "sequence",
            "title",
            "kind",
            "decision_bearing",
            "course_of_action_options",
            "releasability",
            "classification",
        )
    )
    released, reached, arrived = {}, defaultdict(set), {}
    for inject_id, team, at in Release.objects.filter(inject__exercise=exercise).values_list(
        "inject_id", "team_id", "exercise_time"
    ):
        released[inject_id] = min(at, released.get(inject_id, at))
        reached[inject_id].add(team)
        arrived[(inject_id, team)] = at

    def teams_of(inject_id):
        return tuple(sorted(reached[inject_id], key=lambda code: order.get(code, len(order))))

    decisions, national = [], []
    for pk, sequence, title, kind, bearing, options, releasability, classification in injects:
        if pk not in released:
            continue
        if bearing:
            decisions.append(DecisionInject(pk, sequence, title, kind, released[pk], teams_of(pk), tuple(options)))
        if releasability == Releasability.NATIONAL:
            national.append(NationalInject(pk, sequence, title, classification, released[pk], teams_of(pk)))
    decision_ids = {inject.pk for inject in decisions}

    claimed = defaultdict(set)
    links = Response.protocol_steps.through.objects.filter(
        response__exercise=exercise, response__inject_id__in=decision_ids
    )
    for response_id, code in links.values_list("response_id", "protocolstep_id"):
        claimed[response_id].add(code)
    assessments, steps_so_far = defaultdict(list), defaultdict(set)
    rows = (
        Response.objects.filter(exercise=exercise, inject_id__in=decision_ids)
        .order_by("exercise_time", "id")
        .values_list(
            "pk",
            "team_id",
            "inject_id",
            "exercise_time",
            "assessed_cause",
            "confidence",
            "course_of_action",
            "course_of_action_other",
            "attributed_actor",
        )
    )
    for pk, team, inject_id, at, cause, confidence, action, other, actor in rows:
        steps_so_far[(inject_id, team)] |= claimed.get(pk, set())
        if cause:
            assessments[inject_id].append(
                Assessment(
                    team, at, cause, confidence, action, other, actor, frozenset(steps_so_far[(inject_id, team)]), pk
                )
            )

    recipients = defaultdict(list)
    for share_id, team in SharedAssessment.recipients.through.objects.filter(
        sharedassessment__exercise=exercise
    ).values_list("sharedassessment_id", "team_id"):
        recipients[share_id].append(team)
    shares = []
    rows = (
        SharedAssessment.objects.filter(exercise=exercise)
        .order_by("shared_at", "id")
        .values_list(
            "pk",
            "from_team_id",
            "classification",
            "downgraded",
            "exercise_time",
            "source_inject_id",
            "source_response__inject_id",
            "source_response__exercise_time",
        )
    )
    for pk, sender, classification, downgraded, at, source_inject, response_inject, response_at in rows:
        # Time to share in exercise time, from the source's arrival at the sharing team (its release to the team,
        # or the response's time): the clock's speed and jumps count as the players lived them.
        source_at = arrived.get((source_inject, sender)) if source_inject else response_at
        shares.append(
            Share(
                sender,
                tuple(sorted(recipients.get(pk, ()), key=lambda code: order.get(code, len(order)))),
                classification,
                downgraded,
                at,
                (at - source_at).total_seconds() if source_at is not None else 0.0,
                source_inject or response_inject,
            )
        )
    burns = [
        BurnFacts(*row)
        for row in Manoeuvre.objects.filter(exercise=exercise)
        .order_by("committed_at", "id")
        .values_list("team_id", "space_object_id", "space_object__name", "inject_id", "committed_at")
    ]
    conjunctions = [
        ConjunctionFacts(
            primary, primary_name, secondary, secondary_name, screened, exercise.exercise_time_of(tca), miss
        )
        for primary, primary_name, secondary, secondary_name, screened, tca, miss in Conjunction.objects.filter(
            exercise=exercise, primary__manoeuvres__isnull=False, secondary__manoeuvres__isnull=False
        )
        .distinct()
        .values_list(
            "primary_id",
            "primary__name",
            "secondary_id",
            "secondary__name",
            "screened_at",
            "tca",
            "miss_distance_m",
        )
    ]
    return CoalitionData(decisions, dict(assessments), national, shares, burns, conjunctions)


def coalition_report(exercise) -> CoalitionReport:
    return analyse(load(exercise))
