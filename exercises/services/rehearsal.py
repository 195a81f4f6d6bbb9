"""Rehearsal: a whole scenario played by bot teams, in simulated exercise time.

A facilitator previews the report this way, the benchmarks get realistic data, and the demo
shows a completed exercise at once. The bots behave like players: they acknowledge most
injects; they respond claiming the protocol steps the inject calls for (mostly all, sometimes
some, sometimes none), now and then after a step's expected time; they share assessments with
allies within the source's marking, or record a downgrade (why, and what they removed); and
they acknowledge what allies share with them. At the end the bot evaluator observes,
adjudicates some claims and rates every team on every objective, control ends the exercise,
and every bot player sends the hot-wash form.

Every write goes through the services, so the journal and the broadcasts are the real ones.
Time is simulated: actions are planned at exercise times, and the clock jumps from one planned
moment to the next (services.clock.jump_to); nothing sleeps unless `realtime=True`, which waits
for the running clock instead. The actions planned for one moment commit together. All choices
come from one random.Random(seed), drawn in a fixed order, so a seed always plays the same
exercise.
"""

import heapq
import itertools
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Prefetch

from exercises import coalition
from exercises.evaluation import suggest_rating
from exercises.models import (
    FVEY,
    Adjudication,
    Classification,
    Exercise,
    Feedback,
    Inject,
    Observation,
    Participant,
    ProtocolStep,
    Rating,
    Releasability,
    Release,
    Response,
    Scenario,
    Team,
)
from exercises.services import Conflict, ServiceError
from exercises.services.acknowledgements import acknowledge
from exercises.services.clock import MAX_SPEED, MIN_SPEED, change_status, jump_to, set_speed
from exercises.services.evaluation import adjudicate, rate_team, record_observation
from exercises.services.exercises import add_participant, create_exercise
from exercises.services.feedback import submit_feedback
from exercises.services.releases import contingency_holds, release_inject
from exercises.services.responses import submit_response
from exercises.services.sharing import CLASSIFICATION_ORDER, acknowledge_assessment, share_assessment

CONTROL_BOT = "bot-control"
EVALUATOR_BOT = "bot-evaluator"

# How the bots behave (probabilities per team and inject unless said otherwise).
ACKNOWLEDGE = 0.9
SILENT = 0.06  # the team never answers the inject
CLAIM_ALL, CLAIM_SOME = 0.7, 0.2  # otherwise it claims no step
LATE = (1, 4)  # one claim in four comes after the steps' expected time (a deck: even in a short run)
LATE_LIMIT = 60  # minutes: steps expected later than this are answered in time (no run past ENDEX)
ON_TIME_CAP = 45  # minutes: the latest an in-time claim comes
MARK = {"intelligence": 0.6, "asat": 0.4, "co_orbital": 0.4, "cyber": 0.4, "jamming": 0.3}
MARK_OTHER = 0.2  # a team marks its own responses more tightly than the inject
SHARE = 0.3
SHARE_MARKED = 0.6  # a team that marked its assessment tightly often still wants allies to have it
SHARE_FROM_RESPONSE = 0.6  # otherwise it passes the inject on
DOWNGRADE = (1, 2)  # when the marking stops some allies, one share in two downgrades for them (a deck)
ACKNOWLEDGE_ASSESSMENT = 0.75
ADJUDICATE = 0.3
EVALUATOR_DELAY = 5  # minutes after the last action
# Structured assessments of decision-bearing injects (their own random.Random(seed), so that the rest of the
# rehearsal plays as it did without them): most teams read the inject as its likeliest cause and first option;
# some dissent at first and come round later; a few waver after the allies agreed.
DISSENT = 0.35
RECONSIDER = 0.25  # a team in the majority revises its confidence
WAVER = 0.15  # a team revises to "unknown" after the others agreed
SHARE_NATIONAL = 0.7  # a team that alone received an inject passes it on, downgraded, to some allies

KIND_ASSESSMENT = {
    "conjunction": "We are reading the conjunction data and comparing the probability of collision with our "
    "manoeuvre threshold.",
    "collision": "We are confirming the collision with our own tracking and checking which of our satellites cross "
    "the debris altitudes.",
    "asat": "We are characterising the intercept (altitude band, fragment count) and screening our assets against "
    "the debris.",
    "co_orbital": "We are tracking the approaching object, estimating its closest approach and asking through the "
    "CSPOC whether its operator announced the manoeuvre.",
    "jamming": "We are geolocating the interference and listing the links and users it affects.",
    "cyber": "We are confirming the indicators of compromise and isolating the affected ground segment.",
    "malfunction": "We are confirming the anomaly from telemetry and keeping every hypothesis open: space weather, "
    "debris, interference or cyber.",
    "debris": "We are screening our satellites against the fragment catalogue and preparing avoidance options.",
    "intelligence": "We are assessing the reporting and its sources, what it means for our assets, and what we can "
    "release to allies.",
    "diplomatic": "We are reviewing the note with our foreign ministry and preparing a coordinated allied answer.",
    "press": "We are drafting a short factual line and checking it with allies before anyone speaks.",
    "control": "Received and understood; our point of contact is on the joint channel.",
}
UPDATES = [
    "Situation update on “{title}”: no change since our last report; we keep monitoring and will report any change "
    "through the CSPOC.",
    "“{title}”: the watch officer has briefed national command; next update in 15 minutes.",
    "“{title}”: we asked the CSPOC liaison for the latest tracking and are standing by for allied input.",
    "Decision log for “{title}”: we hold our current posture until the joint assessment is agreed.",
    "“{title}”: extra staff called in; our legal adviser is reviewing the options.",
    "“{title}”: operators informed; contingency procedures are ready if the situation worsens.",
]
STEP_DONE = [
    "done.",
    "done and logged.",
    "done; the CSPOC has been told.",
    "done, details in our log.",
    "done after a check with the operator.",
]
LATE_REASONS = [
    "the duty officer was on another incident",
    "we waited for national approval",
    "our tracking data arrived late",
    "the operator could not be reached at first",
]
DOWNGRADE_REASONS = [
    "Allies screening their own satellites need the warning now.",
    "The joint assessment needs every nation's view before the decision deadline.",
    "Operators outside our marking are exposed to the same hazard.",
]
DOWNGRADE_REMOVED = [
    "Sensor names and collection sources.",
    "Exact track accuracies and the originating radar.",
    "National system identifiers and the names of liaison officers.",
]
FEEDBACK_STRENGTHS = [
    "Injects were clear and arrived at a realistic pace; the joint channel worked well.",
    "Sharing through the joint centre was quick once the markings were understood.",
    "The protocol steps gave the team a clear checklist under time pressure.",
]
FEEDBACK_IMPROVEMENTS = [
    "Releasability decisions took too long; we need pre-agreed tear-lines.",
    "Some deadlines slipped while we waited for national approval.",
    "We lacked a single allied point of contact for public statements.",
]
CORRECTIVE_ACTIONS = [
    ("Pre-agree tear-line templates for conjunction and ASAT assessments", "high"),
    ("Name a 24/7 point of contact at the CSPOC for each nation", "high"),
    ("Train watch officers on the downgrade procedure", "medium"),
    ("Exercise the public statement drill with allies twice a year", "medium"),
    ("Add the fragment screening tool to the national watch floor", "low"),
]


@dataclass(frozen=True)
class Bots:
    control: Participant
    evaluator: Participant
    players: dict  # team code → Participant


@dataclass
class _Plan:
    """What the bots still have to do, by exercise time."""

    queue: list = field(default_factory=list)
    counter: itertools.count = field(default_factory=itertools.count)

    def at(self, when: timedelta, priority: int, action, *args) -> None:
        heapq.heappush(self.queue, (when, priority, next(self.counter), action, args))

    def next_moment(self) -> tuple[timedelta, list]:
        when = self.queue[0][0]
        moment = []
        while self.queue and self.queue[0][0] == when:
            moment.append(heapq.heappop(self.queue))
        return when, moment


class _Deck:
    """Random but even: `hits` of every `size` draws are True, in shuffled order."""

    def __init__(self, rng: random.Random, hits: int, size: int):
        self.rng, self.hits, self.size, self.cards = rng, hits, size, []

    def draw(self) -> bool:
        if not self.cards:
            self.cards = [True] * self.hits + [False] * (self.size - self.hits)
            self.rng.shuffle(self.cards)
        return self.cards.pop()


class _Ended(Exception):
    """Someone ended the exercise by hand while it played in real time."""


def simulate_exercise(
    *,
    scenario: Scenario,
    name: str | None = None,
    teams=None,
    speed: float = 60.0,
    seed: int = 0,
    realtime: bool = False,
    by=None,
    responses_per_inject: int = 2,
) -> Exercise:
    """Create an exercise of `scenario`, play it to the end with bot teams, and return it (ended).

    `teams`: Team objects or codes (default: every team). `speed` only matters with `realtime`:
    the clock then runs at that speed and the bots wait for it.
    """
    if responses_per_inject < 1:
        raise ServiceError("Each team needs at least one response per inject.")
    if realtime and not MIN_SPEED <= speed <= MAX_SPEED:
        raise ServiceError(f"Speed must be between {MIN_SPEED}× and {MAX_SPEED}×.")
    teams = resolve_teams(teams)
    with transaction.atomic():
        users = _bot_users(teams)
        by = by or users[CONTROL_BOT]
        exercise = create_exercise(scenario=scenario, name=name or f"Rehearsal: {scenario.name}", teams=teams, by=by)
        bots = _enrol(exercise, teams, users, by=by)
    rehearsal = _Rehearsal(
        exercise,
        bots,
        teams,
        rng=random.Random(seed),
        seed=seed,
        realtime=realtime,
        responses_per_inject=responses_per_inject,
    )
    if realtime:
        set_speed(exercise=exercise, speed=speed, by=bots.control.user)
    change_status(exercise=exercise, action="start", by=bots.control.user)
    rehearsal.play()
    return Exercise.objects.get(pk=exercise.pk)


def resolve_teams(teams) -> list[Team]:
    """Teams or codes → Team objects in the usual order; every team when `teams` is None."""
    if teams is None:
        return list(Team.objects.all())
    codes = [team.code if isinstance(team, Team) else str(team).upper() for team in teams]
    found = {team.code: team for team in Team.objects.filter(code__in=codes)}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise ServiceError(f"Unknown team(s): {', '.join(unknown)}.")
    return sorted(found.values(), key=lambda team: (team.order, team.code))


def bot_username(team_code: str) -> str:
    return f"bot-{team_code.lower()}"


def _bot_user(username: str, first_name: str):
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, first_name=first_name)
        user.set_unusable_password()
        user.save()
    return user


def _bot_users(teams) -> dict:
    """username → the bot account (reused when it exists)."""
    users = {
        CONTROL_BOT: _bot_user(CONTROL_BOT, "Control bot"),
        EVALUATOR_BOT: _bot_user(EVALUATOR_BOT, "Evaluator bot"),
    }
    for team in teams:
        users[bot_username(team.code)] = _bot_user(bot_username(team.code), f"{team.code} bot")
    return users


def _enrol(exercise, teams, users: dict, *, by) -> Bots:
    Role = Participant.Role
    return Bots(
        control=add_participant(exercise=exercise, user=users[CONTROL_BOT], role=Role.FACILITATOR, by=by),
        evaluator=add_participant(exercise=exercise, user=users[EVALUATOR_BOT], role=Role.EVALUATOR, by=by),
        players={
            team.code: add_participant(
                exercise=exercise, user=users[bot_username(team.code)], role=Role.PLAYER, team=team, by=by
            )
            for team in teams
        },
    )


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


class _Rehearsal:
    def __init__(self, exercise, bots: Bots, teams, *, rng, realtime, responses_per_inject, seed=0):
        self.exercise = exercise
        self.bots = bots
        self.teams = teams
        self.rng = rng
        self.realtime = realtime
        self.responses_per_inject = responses_per_inject
        self.plan = _Plan()
        self.late = _Deck(rng, *LATE)
        self.downgrade = _Deck(rng, *DOWNGRADE)
        self.now = timedelta()  # the moment being played
        self.first_response = {}  # (team code, inject id) → the team's first response to it
        self.assessing = random.Random(f"coalition-{seed}")
        self.assessed = {}  # (team code, inject id) → the team's latest structured assessment of it
        self.injects = list(
            Inject.objects.filter(exercise=exercise)
            .prefetch_related(
                "teams",
                "releasable_to",
                "objectives",
                Prefetch(
                    "protocol_steps",
                    queryset=ProtocolStep.objects.select_related("protocol").order_by("protocol__order", "order"),
                ),
            )
            .order_by("offset", "sequence")
        )

    # The clock -------------------------------------------------------------------------------

    def play(self) -> None:
        """Play every planned moment in order, then evaluate, end and send the hot-wash forms.

        In real time a facilitator may pause, jump or change the speed meanwhile; ending the
        exercise by hand stops the bots where they are.
        """
        for inject in self.injects:
            self.plan.at(inject.offset, 0, self.release, inject)
        try:
            while self.plan.queue:
                when, moment = self.plan.next_moment()
                self._at_moment(when, [(action, args) for *_, action, args in moment])
            wrap_up = _whole_minutes(self.now) + minutes(EVALUATOR_DELAY)
            self._at_moment(wrap_up, [(self.evaluate, ()), (self.end, ())])
        except (_Ended, Conflict):
            if self.realtime and Exercise.objects.filter(pk=self.exercise.pk, status=Exercise.Status.ENDED).exists():
                return
            raise
        self._refresh()
        self.hot_wash()

    def _at_moment(self, when: timedelta, actions) -> None:
        """Bring the clock to `when`, then do the actions in one transaction."""
        if self.realtime:
            self._wait_for(when)
        with transaction.atomic():
            if not self.realtime:
                self._jump(when)
            self._refresh()
            self.now = when
            for action, args in actions:
                action(*args)

    def _refresh(self) -> None:
        """Services read the clock from `participant.exercise`: give them the current row."""
        self.exercise = Exercise.objects.get(pk=self.exercise.pk)
        for participant in [self.bots.control, self.bots.evaluator, *self.bots.players.values()]:
            participant.exercise = self.exercise

    def _jump(self, when: timedelta) -> None:
        exercise = Exercise.objects.get(pk=self.exercise.pk)
        if when > exercise.exercise_time():
            try:
                jump_to(exercise=exercise, exercise_time=when, by=self.bots.control.user)
            except Conflict:
                pass  # the running clock got there first

    def _wait_for(self, when: timedelta) -> None:
        """Real time: wait until the running clock reaches `when` (pauses and speed changes included)."""
        while True:
            exercise = Exercise.objects.get(pk=self.exercise.pk)
            if exercise.status == Exercise.Status.ENDED:
                raise _Ended
            ahead = (when - exercise.exercise_time()).total_seconds()
            if ahead <= 0:
                return
            running = exercise.status == Exercise.Status.RUNNING
            time.sleep(min(ahead / exercise.speed, 1.0) if running else 1.0)

    # Releases and the teams' plans ---------------------------------------------------------------

    def release(self, inject: Inject) -> None:
        if not self.recipients(inject):
            # Releasing an inject that reaches no team fails today in the MSEL row fragment
            # (`inject.releases.all.0` is empty there); the bots leave such an inject unreleased.
            return
        try:
            if inject.on_demand:
                release_inject(inject=inject, by=self.bots.control.user)  # control releases it by hand
            else:
                release_inject(inject=inject, by=None, scheduled=True)  # as the clock worker does
        except Conflict:
            pass  # a clock worker released it meanwhile: the teams still get it
        received = {release.team_id for release in Release.objects.filter(inject=inject)}
        for team in self.teams:
            if team.code in received:
                self.plan_team(inject, team, self.now)

    def recipients(self, inject: Inject) -> list[str]:
        """The teams a release now would reach: addressed, permitted by the marking, and (a
        scheduled contingency inject) for which the condition holds — as release_inject decides."""
        rel_to = {team.code for team in inject.releasable_to.all()}
        codes = [team.code for team in inject.addressed_teams() if inject.permits(team.code, rel_to=rel_to)]
        if inject.trigger and not inject.on_demand:
            codes = [code for code in codes if contingency_holds(inject, code)]
        return codes

    def plan_team(self, inject: Inject, team: Team, arrived: timedelta) -> None:
        rng = self.rng
        player = self.bots.players[team.code]
        if inject.decision_bearing:
            self.plan_assessments(inject, team, arrived)
        if inject.releasability == Releasability.NATIONAL and len(self.teams) > 1:
            if self.assessing.random() < SHARE_NATIONAL:
                later = arrived + minutes(self.assessing.randint(4, 30))
                self.plan.at(later, 2, self.share_across_barrier, player, inject)
        if rng.random() < ACKNOWLEDGE:
            self.plan.at(arrived + minutes(rng.randint(1, 3)), 1, self.acknowledge, player, inject)
        if rng.random() < SILENT:
            return
        steps = list(inject.protocol_steps.all())
        draw = rng.random()
        if draw < CLAIM_ALL:
            claimed = steps
        elif draw < CLAIM_ALL + CLAIM_SOME and steps:
            chosen = set(rng.sample(steps, rng.randint(1, len(steps))))
            claimed = [step for step in steps if step in chosen]
        else:
            claimed = []
        marking = self.marking(inject, team)
        count = self.responses_per_inject
        groups = _split(claimed, count - 1 if count > 1 else 1)
        planned = []  # (delay in minutes, kind, text, steps)
        if count > 1 or not groups:
            planned.append((rng.randint(1, 4), Response.Kind.ASSESSMENT, self.assessment_text(inject, team), []))
        for group in groups:
            delay, is_late = self.claim_delay(group)
            planned.append((delay, Response.Kind.ACTION, self.claim_text(inject, group, is_late), group))
        window = max([delay for delay, *_ in planned] + [20])
        while len(planned) < count:
            text = rng.choice(UPDATES).format(title=inject.title)
            planned.append(
                (rng.randint(2, window), rng.choice([Response.Kind.DECISION, Response.Kind.ACTION]), text, [])
            )
        for delay, kind, text, group in planned:
            self.plan.at(arrived + minutes(delay), 1, self.respond, player, inject, kind, text, group, marking)
        if len(self.teams) > 1 and rng.random() < (SHARE_MARKED if marking else SHARE):
            self.plan.at(arrived + minutes(planned[0][0] + rng.randint(1, 5)), 2, self.share, player, inject)

    def plan_assessments(self, inject: Inject, team: Team, arrived: timedelta) -> None:
        """The team's structured assessment of a decision-bearing inject, and its revisions."""
        rng = self.assessing
        if rng.random() < SILENT:
            return  # this team never gives one: no consensus for the inject
        causes = [value for value, _ in coalition.causes_for(inject.kind)]
        options = list(inject.course_of_action_options) or [coalition.OTHER]
        lead = {"cause": causes[0], "action": options[0]}
        first = minutes(rng.randint(3, 12))
        if rng.random() < DISSENT:
            if len(options) > 1 and rng.random() < 0.5:
                view = {**lead, "action": rng.choice(options[1:])}
            else:
                view = {**lead, "cause": rng.choice(causes[1:])}
            self.plan_assessment(inject, team, arrived + first, view, rng.choice(["unlikely", "roughly_even_chance"]))
            self.plan_assessment(inject, team, arrived + first + minutes(rng.randint(8, 30)), lead, "likely")
            return
        confidence = rng.choice(["likely", "very_likely", "almost_certain"])
        self.plan_assessment(inject, team, arrived + first, lead, confidence)
        if rng.random() < RECONSIDER:
            self.plan_assessment(inject, team, arrived + first + minutes(rng.randint(4, 15)), lead, "very_likely")
        if rng.random() < WAVER:
            later = arrived + first + minutes(rng.randint(30, 50))
            self.plan_assessment(inject, team, later, {**lead, "cause": "unknown"}, "roughly_even_chance")

    def plan_assessment(self, inject, team, when, view: dict, confidence: str) -> None:
        action = view["action"]
        values = {
            "assessed_cause": view["cause"],
            "confidence": confidence,
            "course_of_action": action,
            "course_of_action_other": "Consult the allies through the CSPOC first" if action == coalition.OTHER else "",
            "attributed_actor": "KARSLAND" if view["cause"] == "hostile_act" else "",
        }
        self.plan.at(when, 1, self.assess, self.bots.players[team.code], inject, values)

    def claim_delay(self, group) -> tuple[int, bool]:
        """Minutes after the inject's arrival, and whether that is after the steps' expected time."""
        longest = max(step.expected_minutes for step in group)
        shortest = min(step.expected_minutes for step in group)
        if longest <= LATE_LIMIT and self.late.draw():
            return longest + self.rng.randint(2, 12), True
        return self.rng.randint(1, max(1, min(shortest - 1, ON_TIME_CAP))), False

    def marking(self, inject: Inject, team: Team) -> dict:
        """Usually the inject's marking (the service's default); sometimes a tighter national one."""
        rng = self.rng
        if inject.releasability != Releasability.ALL_ALLIES or rng.random() >= MARK.get(inject.kind, MARK_OTHER):
            return {}
        others = [t for t in self.teams if t.code != team.code]
        options = [(Classification.SECRET, Releasability.NATIONAL)]
        if team.code in FVEY:
            options.append((Classification.SECRET, Releasability.FVEY))
        if others:
            options.append((Classification.CONFIDENTIAL, Releasability.REL_TO))
        classification, releasability = rng.choice(options)
        rel_to = []
        if releasability == Releasability.REL_TO:
            rel_to = rng.sample(others, rng.randint(1, min(2, len(others))))
        return {"classification": classification, "releasability": releasability, "releasable_to": rel_to}

    # The teams' actions ---------------------------------------------------------------------------

    def acknowledge(self, player: Participant, inject: Inject) -> None:
        acknowledge(participant=player, inject=inject, by=player.user)

    def respond(self, player: Participant, inject: Inject, kind: str, text: str, steps, marking: dict) -> None:
        response = submit_response(
            participant=player, inject=inject, kind=kind, text=text, protocol_steps=steps, **marking
        )
        self.first_response.setdefault((player.team_id, inject.pk), response)

    def assess(self, player: Participant, inject: Inject, values: dict) -> None:
        key = (player.team_id, inject.pk)
        previous = self.assessed.get(key)
        cause = coalition.CAUSES[values["assessed_cause"]]
        confidence = coalition.CONFIDENCE[values["confidence"]][0]
        action = values["course_of_action_other"] or values["course_of_action"]
        verb = "revises its assessment" if previous else "assesses"
        text = f"{player.team.name} {verb} of “{inject.title}”: {cause}, {confidence}; we recommend: {action}."
        self.assessed[key] = submit_response(
            participant=player,
            inject=inject,
            kind=Response.Kind.ASSESSMENT,
            text=text[:4000],
            protocol_steps=[],
            amends=previous,
            assessment=values,
        )

    def share_across_barrier(self, player: Participant, inject: Inject) -> None:
        """A national-only inject passed on to one to three allies: always a downgrade, sometimes a lower one."""
        rng = self.assessing
        others = [team for team in self.teams if team.code != player.team_id]
        recipients = sorted(rng.sample(others, rng.randint(1, min(3, len(others)))), key=self.teams.index)
        classification = inject.classification
        if classification != Classification.UNCLASSIFIED and rng.random() < 0.5:
            classification = CLASSIFICATION_ORDER[CLASSIFICATION_ORDER.index(classification) - 1]
        share_assessment(
            participant=player,
            source=inject,
            title=f"{player.team_id}: {inject.title}"[:200],
            text=f"{player.team.name} releases to allies, sanitised: “{inject.title}”. "
            f"{KIND_ASSESSMENT.get(inject.kind, '')}"[:4000],
            recipients=recipients,
            classification=classification,
            releasability=Releasability.REL_TO,
            releasable_to=[player.team, *recipients],
            downgrade_reason=rng.choice(DOWNGRADE_REASONS),
            downgrade_removed=rng.choice(DOWNGRADE_REMOVED),
        )

    def share(self, player: Participant, inject: Inject) -> None:
        rng = self.rng
        response = self.first_response.get((player.team_id, inject.pk))
        marked = response is not None and response.releasability != Releasability.ALL_ALLIES
        source = response if marked or (response is not None and rng.random() < SHARE_FROM_RESPONSE) else inject
        rel_to = set(source.releasable_to.values_list("code", flat=True))
        others = [team for team in self.teams if team.code != player.team_id]
        permitted = [team for team in others if source.permits(team.code, rel_to=rel_to)]
        beyond = [team for team in others if team not in permitted]
        downgrade = bool(beyond) and self.downgrade.draw()
        if downgrade:
            chosen = rng.sample(beyond, rng.randint(1, len(beyond)))
            chosen += rng.sample(permitted, rng.randint(0, len(permitted)))
        elif permitted:
            chosen = rng.sample(permitted, rng.randint(1, len(permitted)))
        else:
            return  # the marking stops every ally, and this team does not downgrade
        recipients = [team for team in others if team in chosen]
        classification = source.classification
        if downgrade and classification != Classification.UNCLASSIFIED and rng.random() < 0.5:
            classification = CLASSIFICATION_ORDER[CLASSIFICATION_ORDER.index(classification) - 1]
        if not downgrade and source.releasability == Releasability.ALL_ALLIES:
            releasability, releasable_to = Releasability.ALL_ALLIES, []
        else:
            releasability, releasable_to = Releasability.REL_TO, recipients
        team = player.team
        if source is response:
            text = f"{team.name} shares its report on “{inject.title}”:\n\n{response.text}"
        else:
            text = f"{team.name} passes on “{inject.title}”. {KIND_ASSESSMENT.get(inject.kind, '')}"
        assessment = share_assessment(
            participant=player,
            source=source,
            title=f"{team.code}: {inject.title}"[:200],
            text=text[:4000],
            recipients=recipients,
            classification=classification,
            releasability=releasability,
            releasable_to=releasable_to,
            downgrade_reason=rng.choice(DOWNGRADE_REASONS) if downgrade else "",
            downgrade_removed=rng.choice(DOWNGRADE_REMOVED) if downgrade else "",
        )
        for recipient in recipients:
            if rng.random() < ACKNOWLEDGE_ASSESSMENT:
                self.plan.at(
                    self.now + minutes(rng.randint(1, 6)),
                    3,
                    self.acknowledge_assessment,
                    self.bots.players[recipient.code],
                    assessment,
                )

    def acknowledge_assessment(self, player: Participant, assessment) -> None:
        acknowledge_assessment(participant=player, assessment=assessment)

    # Texts ----------------------------------------------------------------------------------------

    def assessment_text(self, inject: Inject, team: Team) -> str:
        return f"Initial assessment of “{inject.title}” ({team.name}). {KIND_ASSESSMENT.get(inject.kind, '')}".strip()

    def claim_text(self, inject: Inject, steps, late: bool) -> str:
        lines = [f"“{inject.title}”, actions taken:"]
        lines += [f"- {step.code} {step.title}: {self.rng.choice(STEP_DONE)}" for step in steps]
        if late:
            lines.append(f"Later than planned: {self.rng.choice(LATE_REASONS)}.")
        return "\n".join(lines)[:4000]

    # The evaluator, ENDEX and the hot wash -----------------------------------------------------------

    def evaluate(self) -> None:
        rng = self.rng
        evaluator = self.bots.evaluator
        arrived = {
            (release.inject_id, release.team_id): release.exercise_time
            for release in Release.objects.filter(inject__exercise=self.exercise)
        }
        injects = {inject.pk: inject for inject in self.injects}
        claims = {team.code: [] for team in self.teams}  # (minutes after arrival, on time, response, step)
        claimed = set()
        responses = (
            Response.objects.filter(exercise=self.exercise)
            .prefetch_related(
                Prefetch(
                    "protocol_steps",
                    queryset=ProtocolStep.objects.select_related("protocol").order_by("protocol__order", "order"),
                )
            )
            .order_by("exercise_time", "id")
        )
        for response in responses:
            for step in response.protocol_steps.all():
                taken = response.exercise_time - arrived[(response.inject_id, response.team_id)]
                on_time = taken <= minutes(step.expected_minutes)
                claims[response.team_id].append((round(taken.total_seconds() / 60), on_time, response, step))
                claimed.add((response.team_id, response.inject_id, step.code))
                if rng.random() < ADJUDICATE:
                    verdict = rng.choices(list(Adjudication.Verdict), weights=[7, 2, 1])[0]
                    adjudicate(
                        participant=evaluator,
                        response=response,
                        protocol_step=step,
                        verdict=verdict,
                        note=_verdict_note(verdict, step),
                    )
        for team in self.teams:
            in_time = [claim for claim in claims[team.code] if claim[1]]
            late = [claim for claim in claims[team.code] if not claim[1]]
            missed = []
            for inject_id, code in sorted(arrived, key=lambda key: (arrived[key], key)):
                if code == team.code:
                    inject = injects[inject_id]
                    steps = inject.protocol_steps.all()
                    missed += [(inject, step) for step in steps if (code, inject_id, step.code) not in claimed]
            if in_time and rng.random() < 0.8:
                taken, _, response, step = rng.choice(in_time)
                inject = injects[response.inject_id]
                text = (
                    f"{team.name} completed {step.code} ({step.title.lower()}) {taken} min after “{inject.title}” "
                    f"reached it, inside the {step.expected_minutes} min the protocol allows."
                )
                self.observe(Observation.Kind.STRENGTH, text, team, inject, step)
            if late and (not missed or rng.random() < 0.5):
                taken, _, response, step = rng.choice(late)
                inject = injects[response.inject_id]
                text = (
                    f"{team.name} took {taken} min to complete {step.code} ({step.title.lower()}) after "
                    f"“{inject.title}”; the protocol expects {step.expected_minutes} min."
                )
                self.observe(Observation.Kind.IMPROVEMENT, text, team, inject, step)
            elif missed:
                inject, step = rng.choice(missed)
                text = f"{team.name} never reported {step.code} ({step.title.lower()}) for “{inject.title}”."
                self.observe(Observation.Kind.IMPROVEMENT, text, team, inject, step)
        objectives = list(self.exercise.objectives.order_by("code"))
        for team in self.teams:
            for objective in objectives:
                suggestion = suggest_rating(self.exercise, team.code, objective)
                if suggestion.rating:
                    rating = suggestion.rating
                    explanation = f"{suggestion.reason} Rated {rating}, as the app suggests, after review of the log."
                else:
                    rating = Rating.Scale.M
                    explanation = (
                        f"{suggestion.reason} Rated M pending the hot wash: the objective was not tested for "
                        f"{team.name}."
                    )
                rate_team(participant=evaluator, team=team, objective=objective, rating=rating, explanation=explanation)

    def end(self) -> None:
        change_status(exercise=self.exercise, action="end", by=self.bots.control.user)

    def observe(self, kind: str, text: str, team, inject, step) -> None:
        record_observation(
            participant=self.bots.evaluator,
            kind=kind,
            text=text,
            team=team,
            inject=inject,
            protocol_step=step,
            objective=next(iter(inject.objectives.all()), None),
        )

    def hot_wash(self) -> None:
        rng = self.rng
        for code, player in self.bots.players.items():
            actions = rng.sample(CORRECTIVE_ACTIONS, 2)
            submit_feedback(
                participant=player,
                strengths=rng.choice(FEEDBACK_STRENGTHS),
                improvements=rng.choice(FEEDBACK_IMPROVEMENTS),
                corrective_actions=[
                    {"action": action, "priority": priority, "owner": code} for action, priority in actions
                ],
                ratings={key: rng.choice([2, 3, 4, 4, 5]) for key, _ in Feedback.QUESTIONS},
            )


def _split(items: list, parts: int) -> list[list]:
    """`items` in at most `parts` consecutive, nearly equal groups (none empty)."""
    parts = min(parts, len(items))
    if parts == 0:
        return []
    size, extra = divmod(len(items), parts)
    groups, start = [], 0
    for index in range(parts):
        end = start + size + (1 if index < extra else 0)
        groups.append(items[start:end])
        start = end
    return groups


def _whole_minutes(value: timedelta) -> timedelta:
    return minutes(int(value.total_seconds() // 60))


def _verdict_note(verdict: str, step) -> str:
    if verdict == Adjudication.Verdict.MET:
        return f"{step.title}: done as the protocol describes."
    if verdict == Adjudication.Verdict.PARTIAL:
        return f"{step.title}: done in part; not every ally concerned was reached."
    return f"{step.title}: claimed, but the log shows no sign of it."
