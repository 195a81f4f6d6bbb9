"""The exercise domain: teams, protocols, scenarios (MSEL), exercises, releases, responses
and the append-only audit journal.

Single-object rules live here as methods; every write that involves more than one row
goes through exercises/services.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    """An allied national team, keyed by its ISO 3166 alpha-3 code."""

    code = models.CharField(
        primary_key=True, max_length=3, validators=[RegexValidator(r"^[A-Z]{3}$", _("Use an ISO alpha-3 code."))]
    )
    name = models.CharField(max_length=80)
    colour = models.CharField(
        max_length=7, validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a #rrggbb colour."))]
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


class CoreCapability(models.Model):
    """An HSEEP-style core capability that exercise objectives map to."""

    code = models.SlugField(primary_key=True, max_length=60)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "core capabilities"

    def __str__(self):
        return self.name


class Protocol(models.Model):
    """A crisis-response protocol the paper calls for (e.g. collision and conjunction)."""

    code = models.SlugField(primary_key=True, max_length=20)
    title = models.CharField(max_length=160)
    summary = models.TextField(blank=True)
    paper_section = models.CharField(max_length=120, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]

    def __str__(self):
        return f"{self.code} {self.title}"


class ProtocolStep(models.Model):
    class Actor(models.TextChoices):
        AFFECTED_TEAM = "affected", _("The affected team")
        ALL_TEAMS = "all", _("All teams")
        LEAD_NATION = "lead", _("The lead nation")

    code = models.CharField(primary_key=True, max_length=24)
    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True)
    paper_section = models.CharField(max_length=120)
    expected_minutes = models.PositiveIntegerField(help_text="Expected time after the triggering inject.")
    actor = models.CharField(max_length=10, choices=Actor.choices, default=Actor.AFFECTED_TEAM)
    legal_references = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["protocol__order", "order"]
        constraints = [models.UniqueConstraint(fields=["protocol", "order"], name="unique_step_order")]

    def __str__(self):
        return f"{self.code} {self.title}"


class AttackTechnique(models.Model):
    """A technique of an attack framework that a cyber, jamming, co-orbital or ASAT inject enacts: SPARTA's
    (space attack techniques, The Aerospace Corporation) or MITRE ATT&CK's. Reference data, loaded from
    fixtures/attack_techniques.json with its framework's version and the technique's page."""

    class Framework(models.TextChoices):
        SPARTA = "sparta", "SPARTA"
        ATTACK = "attack", "MITRE ATT&CK"

    code = models.CharField(
        primary_key=True,
        max_length=16,
        validators=[
            RegexValidator(r"^([A-Z]{2,3}-\d{4}(\.\d{2})?|T\d{4}(\.\d{3})?)$", _("Use a SPARTA or ATT&CK id."))
        ],
        help_text="The framework's id, e.g. EX-0016.01 (SPARTA) or T1078 (ATT&CK).",
    )
    name = models.CharField(max_length=160)
    framework = models.CharField(max_length=8, choices=Framework.choices)
    framework_version = models.CharField(max_length=20, help_text="The version the id and name were taken from.")
    url = models.URLField(help_text="The technique's page at its source.")
    note = models.TextField(blank=True, help_text="What is uncertain about the entry, or how the scenarios use it.")

    class Meta:
        ordering = ["code"]  # SPARTA ids (letters) sort before ATT&CK ids (T and digits)

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def source_name(self) -> str:
        """The framework's name in STIX external references (as its own STIX data names it)."""
        return "sparta" if self.framework == self.Framework.SPARTA else "mitre-attack"


class Scenario(models.Model):
    """A reusable exercise template: objectives and a MSEL of injects."""

    name = models.CharField(max_length=160, unique=True)
    description = models.TextField(blank=True)
    orbit_epoch = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The UTC moment of STARTEX in the scenario's world: exercise time T+0 on the catalogue's orbits.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Exercise(models.Model):
    """One run of a scenario. Its clock is derived from stored timestamps only."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("exercise status", "Draft")
        RUNNING = "running", pgettext_lazy("exercise status", "Running")
        PAUSED = "paused", pgettext_lazy("exercise status", "Paused")
        ENDED = "ended", pgettext_lazy("exercise status", "Ended")

    name = models.CharField(max_length=160)
    scenario = models.ForeignKey(Scenario, null=True, blank=True, on_delete=models.SET_NULL, related_name="exercises")
    teams = models.ManyToManyField(Team, related_name="exercises", help_text="Participating teams.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # The clock: exercise time = elapsed_before_run + (now - running_since) * speed while running.
    running_since = models.DateTimeField(null=True, blank=True)
    elapsed_before_run = models.DurationField(default=timedelta)
    speed = models.FloatField(default=1.0, validators=[MinValueValidator(1.0)])
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    orbit_epoch = models.DateTimeField(
        null=True, blank=True, help_text="The UTC moment of STARTEX on the catalogue's orbits (from the scenario)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.name

    def exercise_time(self, at=None) -> timedelta:
        """Exercise time (time since STARTEX, scaled by speed) at wall time `at`."""
        if self.status != self.Status.RUNNING or self.running_since is None:
            return self.elapsed_before_run
        at = at or timezone.now()
        return self.elapsed_before_run + (at - self.running_since) * self.speed

    def can_transition(self, to: str) -> bool:
        allowed = {
            self.Status.DRAFT: {self.Status.RUNNING, self.Status.ENDED},
            self.Status.RUNNING: {self.Status.PAUSED, self.Status.ENDED},
            self.Status.PAUSED: {self.Status.RUNNING, self.Status.ENDED},
            self.Status.ENDED: set(),
        }
        return to in allowed[self.status]

    @property
    def is_live(self) -> bool:
        return self.status in {self.Status.RUNNING, self.Status.PAUSED}

    def team_codes(self) -> list[str]:
        return list(self.teams.values_list("code", flat=True))

    def orbit_time(self, exercise_time: timedelta):
        """The UTC moment on the catalogue's orbits that an exercise time stands for."""
        return None if self.orbit_epoch is None else self.orbit_epoch + exercise_time

    def exercise_time_of(self, orbit_time) -> timedelta | None:
        """The exercise time (since STARTEX) of a UTC moment on the orbits, e.g. a time of closest approach."""
        return None if self.orbit_epoch is None else orbit_time - self.orbit_epoch


class Objective(models.Model):
    """An exercise objective mapped to a core capability; belongs to a scenario or to an exercise's copy."""

    scenario = models.ForeignKey(Scenario, null=True, blank=True, on_delete=models.CASCADE, related_name="objectives")
    exercise = models.ForeignKey(Exercise, null=True, blank=True, on_delete=models.CASCADE, related_name="objectives")
    code = models.CharField(max_length=20)
    text = models.TextField()
    core_capability = models.ForeignKey(CoreCapability, on_delete=models.PROTECT, related_name="objectives")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scenario__isnull=False, exercise__isnull=True)
                | Q(scenario__isnull=True, exercise__isnull=False),
                name="objective_belongs_to_scenario_or_exercise",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.text[:60]}"


class InjectKind(models.TextChoices):
    CONJUNCTION = "conjunction", _("Conjunction warning")
    COLLISION = "collision", _("Collision")
    ASAT = "asat", _("ASAT missile test")
    CO_ORBITAL = "co_orbital", _("Co-orbital approach")
    JAMMING = "jamming", _("Jamming / dazzling")
    CYBER = "cyber", _("Cyberattack")
    MALFUNCTION = "malfunction", _("Satellite malfunction")
    DEBRIS = "debris", _("Debris")
    INTELLIGENCE = "intelligence", _("Intelligence report")
    DIPLOMATIC = "diplomatic", _("Diplomatic")
    PRESS = "press", _("Press / media")
    CONTROL = "control", _("Control message")


class DeliveryMethod(models.TextChoices):
    MESSAGE = "message", _("Message")
    EMAIL = "email", pgettext_lazy("delivery method", "Email")
    PHONE = "phone", _("Phone call")
    BRIEFING = "briefing", _("Briefing")
    NEWS = "news", _("News item")
    DATA_FEED = "data_feed", _("Data feed")


class Classification(models.TextChoices):
    UNCLASSIFIED = "unclassified", "EXERCISE UNCLASSIFIED"
    CONFIDENTIAL = "confidential", "EXERCISE CONFIDENTIAL"
    SECRET = "secret", "EXERCISE SECRET"


class Releasability(models.TextChoices):
    ALL_ALLIES = "all", _("Releasable to all allies")
    FVEY = "fvey", "REL TO FVEY"
    REL_TO = "rel_to", _("REL TO listed nations")
    NATIONAL = "national", _("National only")


FVEY = frozenset({"USA", "GBR", "CAN", "AUS", "NZL"})


class Marked(models.Model):
    """An item with an exercise classification and a releasability.

    `owner_codes()` are the nations the item belongs to (national-only means them alone);
    `releasable_to_codes` (a many-to-many on the concrete model) lists REL TO nations.
    """

    classification = models.CharField(
        max_length=14, choices=Classification.choices, default=Classification.UNCLASSIFIED
    )
    releasability = models.CharField(max_length=10, choices=Releasability.choices, default=Releasability.ALL_ALLIES)

    class Meta:
        abstract = True

    def owner_codes(self) -> set[str]:
        raise NotImplementedError

    def permits(self, team_code: str, *, rel_to: set[str] | None = None) -> bool:
        """May the item go to this team under its marking?"""
        if self.releasability == Releasability.ALL_ALLIES:
            return True
        if team_code in self.owner_codes():
            return True
        if self.releasability == Releasability.FVEY:
            return team_code in FVEY
        if self.releasability == Releasability.REL_TO:
            codes = rel_to if rel_to is not None else self.releasable_to_codes()
            return team_code in codes
        return False

    @property
    def banner(self) -> str:
        """The marking line shown wherever the item appears, e.g. EXERCISE SECRET // REL TO USA, GBR."""
        return marking_banner(self.classification, self.releasability, self.owner_codes, self.releasable_to_codes)

    def releasable_to_codes(self) -> set[str]:
        """The nations of a REL TO marking (from the prefetch when the caller made one: no query then)."""
        return {team.code for team in self.releasable_to.all()}


_CLASSIFICATION_LABELS = dict(Classification.choices)


def marking_banner(classification: str, releasability: str, owner_codes, releasable_to_codes) -> str:
    """The banner of an item so marked (Marked.banner); the nations are callables returning sets of codes,
    called only when the marking names them."""
    label = _CLASSIFICATION_LABELS.get(classification, classification)  # as get_classification_display()
    if releasability == Releasability.ALL_ALLIES:
        return f"{label} // REL TO ALL ALLIES"
    if releasability == Releasability.FVEY:
        return f"{label} // REL TO FVEY"
    if releasability == Releasability.NATIONAL:
        return f"{label} // {'/'.join(sorted(owner_codes()))} ONLY"
    codes = sorted(releasable_to_codes() | owner_codes())
    return f"{label} // REL TO {', '.join(codes)}"


class Trigger(models.TextChoices):
    NONE = "", _("Scheduled (no condition)")
    NOT_CLAIMED = "not_claimed", _("If the team has NOT claimed the step by its time")
    CLAIMED = "claimed", _("If the team HAS claimed the step by its time")


class MselRow(Marked):
    """The fields of one MSEL row, shared by a scenario's injects and an exercise's copies.

    A contingency inject (trigger set) is evaluated at its time for each addressed team and
    released to the teams for which the condition on `trigger_step` holds. An on-demand
    inject stays off the timeline until the facilitator releases it.
    """

    sequence = models.PositiveIntegerField()
    offset = models.DurationField(help_text="Scheduled exercise time after STARTEX.")
    kind = models.CharField(max_length=20, choices=InjectKind.choices)
    title = models.CharField(max_length=200)
    text = models.TextField(validators=[MaxLengthValidator(settings.CONJUNCTION_MAX_TEXT)])
    addressed_to_all = models.BooleanField(default=True)
    originator = models.CharField(max_length=120, blank=True)
    delivery_method = models.CharField(max_length=20, choices=DeliveryMethod.choices, default=DeliveryMethod.MESSAGE)
    expected_action = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    on_demand = models.BooleanField(default=False, help_text="Kept off the timeline until released by hand.")
    trigger = models.CharField(max_length=12, choices=Trigger.choices, default=Trigger.NONE, blank=True)
    trigger_step = models.ForeignKey(ProtocolStep, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The catalogue objects the inject is about, by name: a conjunction's two objects (its card shows the
    # screened event and its CDM), or an ASAT test's target (fragmented at release).
    primary_object = models.CharField(
        max_length=80,
        blank=True,
        help_text="Conjunction: the allied object. ASAT test: the target destroyed at release.",
    )
    secondary_object = models.CharField(max_length=80, blank=True, help_text="Conjunction: the other object.")
    # A decision-bearing inject asks each team for a structured assessment (exercises/coalition.py): the cause,
    # the attributed actor, the confidence and one of these courses of action (or "other").
    decision_bearing = models.BooleanField(
        default=False, help_text="Teams answer with a structured assessment (cause, confidence, course of action)."
    )
    course_of_action_options = models.JSONField(
        default=list, blank=True, help_text="The courses of action a team may recommend (short phrases)."
    )

    class Meta:
        abstract = True
        ordering = ["offset", "sequence"]

    def __str__(self):
        return f"{self.sequence}. {self.title}"

    @property
    def scenario_time(self) -> str:
        return format_exercise_time(self.offset)

    def owner_codes(self) -> set[str]:
        """An inject marked national-only belongs to the teams it is addressed to."""
        if self.addressed_to_all:
            return set()
        return {team.code for team in self.teams.all()}


class ScenarioInject(MselRow):
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="injects")
    teams = models.ManyToManyField(Team, blank=True, related_name="+")
    protocol_steps = models.ManyToManyField(ProtocolStep, blank=True, related_name="+")
    objectives = models.ManyToManyField(Objective, blank=True, related_name="+")
    releasable_to = models.ManyToManyField(Team, blank=True, related_name="+")
    techniques = models.ManyToManyField(AttackTechnique, blank=True, related_name="+")

    class Meta(MselRow.Meta):
        constraints = [models.UniqueConstraint(fields=["scenario", "sequence"], name="unique_scenario_sequence")]


class Inject(MselRow):
    """An exercise's copy of a MSEL row; editing the scenario never rewrites it."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="injects")
    teams = models.ManyToManyField(Team, blank=True, related_name="+")
    protocol_steps = models.ManyToManyField(ProtocolStep, blank=True, related_name="+")
    objectives = models.ManyToManyField(Objective, blank=True, related_name="+")
    releasable_to = models.ManyToManyField(Team, blank=True, related_name="+")
    techniques = models.ManyToManyField(AttackTechnique, blank=True, related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)
    held = models.BooleanField(default=False, help_text="Held by the facilitator: not released when due.")
    drafted_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="drafts",
        help_text="A contingency inject the app drafted from this inject's consequences (an ASAT test's debris).",
    )

    class Meta(MselRow.Meta):
        constraints = [models.UniqueConstraint(fields=["exercise", "sequence"], name="unique_exercise_sequence")]

    @property
    def is_released(self) -> bool:
        return self.released_at is not None

    def addressed_teams(self):
        """The teams this inject goes to: its own list, or every team in the exercise."""
        if self.addressed_to_all:
            return self.exercise.teams.all()
        return self.teams.filter(exercises=self.exercise)


class Participant(models.Model):
    """A user's role in one exercise: facilitator, evaluator, or player of exactly one team."""

    class Role(models.TextChoices):
        FACILITATOR = "facilitator", _("Facilitator")
        EVALUATOR = "evaluator", _("Evaluator")
        PLAYER = "player", _("Player")

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations")
    role = models.CharField(max_length=12, choices=Role.choices)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="players")

    class Meta:
        ordering = ["exercise", "role", "team"]
        constraints = [
            models.UniqueConstraint(fields=["exercise", "user"], name="one_role_per_user_per_exercise"),
            models.CheckConstraint(
                condition=Q(role="player", team__isnull=False) | (~Q(role="player") & Q(team__isnull=True)),
                name="player_has_exactly_one_team",
            ),
        ]

    def __str__(self):
        suffix = f" ({self.team_id})" if self.team_id else ""
        return f"{self.user} — {self.get_role_display()}{suffix} in {self.exercise}"

    @property
    def is_facilitator(self) -> bool:
        return self.role == self.Role.FACILITATOR

    @property
    def is_player(self) -> bool:
        return self.role == self.Role.PLAYER

    def clean(self):
        if self.team_id and not self.exercise.teams.filter(pk=self.team_id).exists():
            raise ValidationError({"team": gettext("That team does not take part in this exercise.")})


class Release(models.Model):
    """An inject reaching one team: when, and at what exercise time."""

    inject = models.ForeignKey(Inject, on_delete=models.CASCADE, related_name="releases")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="releases")
    released_at = models.DateTimeField()
    exercise_time = models.DurationField()
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-released_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["inject", "team"], name="release_once_per_team")]

    def __str__(self):
        return f"{self.inject} → {self.team_id}"


class Acknowledgement(models.Model):
    """A team confirming it has received an inject (once per team and inject)."""

    inject = models.ForeignKey(Inject, on_delete=models.CASCADE, related_name="acknowledgements")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="acknowledgements")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField()
    exercise_time = models.DurationField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["inject", "team"], name="acknowledge_once_per_team")]

    def __str__(self):
        return f"{self.team_id} acknowledged {self.inject}"


class Message(models.Model):
    """A message between exercise control and the teams.

    From control: to one team, or to all teams when `to_team` is empty.
    From a team: always to control.
    """

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(validators=[MaxLengthValidator(settings.CONJUNCTION_MAX_TEXT)])
    sent_at = models.DateTimeField()
    exercise_time = models.DurationField()

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(from_team__isnull=True) | Q(to_team__isnull=True), name="team_messages_go_to_control"
            )
        ]

    def __str__(self):
        return f"{'Control' if self.from_control else self.from_team_id} → {self.recipient}: {self.text[:40]}"

    @property
    def from_control(self) -> bool:
        return self.from_team_id is None

    @property
    def recipient(self) -> str:
        if not self.from_control:
            return gettext("Exercise control")
        return self.to_team.name if self.to_team_id else gettext("All teams")


class Connection(models.Model):
    """An open websocket, for presence on the console. Removed when the socket closes, or expired when its
    page has not been heard from for a while (services/presence.py)."""

    participant = models.ForeignKey("Participant", on_delete=models.CASCADE, related_name="connections")
    channel_name = models.CharField(max_length=200, unique=True)
    connected_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return f"{self.participant} connected at {self.connected_at:%H:%M:%S}"


class ImmutableModel(models.Model):
    """A row that is written once and never changed or deleted through the ORM."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(f"{self._meta.verbose_name} is immutable once written.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(f"{self._meta.verbose_name} cannot be deleted.")


class Response(ImmutableModel, Marked):
    """A team's decision, action or assessment. An amendment is a new version linked to the old one.

    It belongs to its team: others see it only through a shared assessment.
    """

    class Kind(models.TextChoices):
        DECISION = "decision", _("Decision")
        ACTION = "action", _("Action")
        ASSESSMENT = "assessment", _("Assessment")

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="responses")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="responses")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="responses")
    inject = models.ForeignKey(Inject, null=True, blank=True, on_delete=models.PROTECT, related_name="responses")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.ACTION)
    text = models.TextField(validators=[MaxLengthValidator(settings.CONJUNCTION_MAX_TEXT)])
    protocol_steps = models.ManyToManyField(ProtocolStep, blank=True, related_name="responses")
    submitted_at = models.DateTimeField(default=timezone.now)
    exercise_time = models.DurationField()
    amends = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="amended_by")
    version = models.PositiveSmallIntegerField(default=1)
    releasable_to = models.ManyToManyField(Team, blank=True, related_name="+")
    # The structured assessment of a decision-bearing inject (blank otherwise); an amendment revises it.
    assessed_cause = models.CharField(max_length=20, blank=True)
    attributed_actor = models.CharField(max_length=120, blank=True)
    confidence = models.CharField(max_length=24, blank=True, help_text="ICD 203 words of estimative probability.")
    course_of_action = models.CharField(
        max_length=200, blank=True, help_text='One of the inject\'s options, or "other".'
    )
    course_of_action_other = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self):
        return f"{self.team_id} response v{self.version} at {format_exercise_time(self.exercise_time)}"

    def owner_codes(self) -> set[str]:
        return {self.team_id}

    @property
    def is_structured(self) -> bool:
        return bool(self.assessed_cause)


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError("The audit journal is append-only.")

    def delete(self):
        raise ValidationError("The audit journal is append-only.")


class AuditEvent(ImmutableModel):
    """The append-only journal: one row for every write."""

    exercise = models.ForeignKey(Exercise, null=True, blank=True, on_delete=models.PROTECT, related_name="journal")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=60)
    occurred_at = models.DateTimeField(default=timezone.now)
    exercise_time = models.DurationField(null=True, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    payload = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.kind}"

    @property
    def detail(self) -> str:
        """The payload as `key: value` pairs, for people reading the journal."""
        return "; ".join(
            f"{key}: {value}" for key, value in (self.payload or {}).items() if value not in (None, "", [], {})
        )


class SharedAssessment(Marked):
    """An assessment a team shares with chosen allies through the Combined Picture (joint centre).

    It comes from an inject the team received or a response it made. Sharing beyond the
    source's releasability needs a recorded downgrade: who, why and what was removed.
    """

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="shared_assessments")
    from_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="assessments_shared")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    source_inject = models.ForeignKey(Inject, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source_response = models.ForeignKey(Response, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    conjunction = models.ForeignKey(
        "Conjunction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The screened conjunction whose CDM the team attached (its source inject's, as screened then).",
    )
    source_arrived_at = models.DateTimeField(help_text="When the source item reached the sharing team.")
    title = models.CharField(max_length=200)
    text = models.TextField(validators=[MaxLengthValidator(settings.CONJUNCTION_MAX_TEXT)])
    recipients = models.ManyToManyField(Team, related_name="assessments_received")
    releasable_to = models.ManyToManyField(Team, blank=True, related_name="+")
    downgraded = models.BooleanField(default=False)
    downgrade_reason = models.TextField(blank=True)
    downgrade_removed = models.TextField(blank=True, help_text="What was removed or sanitised for release.")
    shared_at = models.DateTimeField()
    exercise_time = models.DurationField()

    class Meta:
        ordering = ["-shared_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source_inject__isnull=False, source_response__isnull=True)
                | Q(source_inject__isnull=True, source_response__isnull=False),
                name="assessment_has_one_source",
            ),
        ]

    def __str__(self):
        return f"{self.from_team_id}: {self.title}"

    def owner_codes(self) -> set[str]:
        return {self.from_team_id}

    @property
    def seconds_to_share(self) -> float:
        return (self.shared_at - self.source_arrived_at).total_seconds()


class AssessmentAcknowledgement(models.Model):
    assessment = models.ForeignKey(SharedAssessment, on_delete=models.CASCADE, related_name="acknowledgements")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField()

    class Meta:
        ordering = ["acknowledged_at"]
        constraints = [models.UniqueConstraint(fields=["assessment", "team"], name="acknowledge_assessment_once")]

    def __str__(self):
        return f"{self.team_id} acknowledged {self.assessment}"

    @property
    def seconds_after_share(self) -> float:
        return (self.acknowledged_at - self.assessment.shared_at).total_seconds()


class AssessmentComment(models.Model):
    assessment = models.ForeignKey(SharedAssessment, on_delete=models.CASCADE, related_name="comments")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(validators=[MaxLengthValidator(settings.CONJUNCTION_MAX_TEXT)])
    written_at = models.DateTimeField()

    class Meta:
        ordering = ["written_at", "id"]

    def __str__(self):
        return f"{self.team_id} on {self.assessment}: {self.text[:40]}"


class Observation(models.Model):
    """An evaluator's note: a strength or an area for improvement, tied to what it is about."""

    class Kind(models.TextChoices):
        STRENGTH = "strength", _("Strength")
        IMPROVEMENT = "improvement", _("Area for improvement")

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="observations")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    inject = models.ForeignKey(Inject, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    protocol_step = models.ForeignKey(ProtocolStep, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    objective = models.ForeignKey(Objective, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(validators=[MaxLengthValidator(settings.CONJUNCTION_MAX_TEXT)])
    recorded_at = models.DateTimeField()
    exercise_time = models.DurationField()

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.text[:50]}"


class Adjudication(models.Model):
    """An evaluator's verdict on a protocol step a team claimed in a response."""

    class Verdict(models.TextChoices):
        MET = "met", _("Met")
        PARTIAL = "partial", _("Partially met")
        NOT_MET = "not_met", _("Not met")

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="adjudications")
    protocol_step = models.ForeignKey(ProtocolStep, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(max_length=8, choices=Verdict.choices)
    note = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["response", "protocol_step"], name="one_verdict_per_claim")]

    def __str__(self):
        return f"{self.protocol_step_id} {self.get_verdict_display()}"


class Rating(models.Model):
    """HSEEP P/S/M/U for a team on an objective: the app's suggestion and the evaluator's rating."""

    class Scale(models.TextChoices):
        P = "P", _("P — Performed without challenges")
        S = "S", _("S — Performed with some challenges")
        M = "M", _("M — Performed with major challenges")
        U = "U", _("U — Unable to be performed")

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="ratings")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    objective = models.ForeignKey(Objective, on_delete=models.PROTECT, related_name="ratings")
    rating = models.CharField(max_length=1, choices=Scale.choices)
    suggested = models.CharField(max_length=1, choices=Scale.choices, blank=True)
    explanation = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "objective"], name="one_rating_per_team_objective")]

    def __str__(self):
        return f"{self.team_id} {self.objective.code}: {self.rating}"

    @property
    def overridden(self) -> bool:
        return bool(self.suggested) and self.suggested != self.rating


class Feedback(models.Model):
    """A player's participant feedback form (the hot wash), once the exercise has ended."""

    QUESTIONS = [
        ("realism", _("The scenario was realistic for allied space operations.")),
        ("clarity", _("The injects were clear and gave enough information to act.")),
        ("objectives", _("The exercise tested the objectives it set out.")),
        ("sharing", _("The exercise showed where allied information sharing breaks down.")),
        ("control", _("Exercise control ran the exercise well (pace, answers, tools).")),
    ]

    class Priority(models.TextChoices):
        HIGH = "high", _("High")
        MEDIUM = "medium", _("Medium")
        LOW = "low", _("Low")

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    strengths = models.TextField()
    improvements = models.TextField()
    corrective_actions = models.JSONField(default=list, help_text="[{action, priority, owner}]")
    ratings = models.JSONField(default=dict, help_text="question key → 1..5")
    submitted_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["exercise", "user"], name="one_feedback_per_player")]

    def __str__(self):
        return f"Feedback from {self.user} ({self.team_id})"


class ImprovementItem(models.Model):
    """A row of the improvement plan (HSEEP AAR/IP Appendix A), edited in the app."""

    class Element(models.TextChoices):
        PLANNING = "planning", _("Planning")
        ORGANISATION = "organisation", _("Organisation")
        EQUIPMENT = "equipment", _("Equipment")
        TRAINING = "training", _("Training")
        EXERCISE = "exercise", pgettext_lazy("capability element", "Exercise")

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="improvement_plan")
    core_capability = models.ForeignKey(
        CoreCapability, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issue = models.TextField(help_text=_("The issue or area for improvement."))
    corrective_action = models.TextField()
    capability_element = models.CharField(max_length=14, choices=Element.choices, default=Element.PLANNING)
    responsible = models.CharField(max_length=160, help_text=_("Primary responsible nation or organisation."))
    point_of_contact = models.CharField(max_length=160, blank=True)
    start_date = models.DateField(null=True, blank=True)
    completion_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.issue[:60]

    def clean(self):
        if self.start_date and self.completion_date and self.completion_date < self.start_date:
            raise ValidationError({"completion_date": gettext("The completion date cannot be before the start date.")})


def format_exercise_time(value: timedelta | None) -> str:
    """T+HH:MM:SS, the way controllers read exercise time ("" for anything that is not a duration)."""
    if not isinstance(value, timedelta):
        return ""
    total = int(value.total_seconds())
    sign = "-" if total < 0 else "+"
    total = abs(total)
    return f"T{sign}{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


class ObjectType(models.TextChoices):
    PAYLOAD = "payload", _("Payload")
    ROCKET_BODY = "rocket_body", _("Rocket body")
    DEBRIS = "debris", _("Debris")


class CatalogueObject(models.Model):
    """A space object of a catalogue: who owns it, what it is, and its orbit as OMM mean elements.

    `elements` holds `exercises.orbits.elements.MeanElements.as_dict()` (the OMM's fields in lower case),
    so that the orbit travels as plain data; `mean_elements()` turns it back into the dataclass.
    """

    name = models.CharField(max_length=80)
    owner = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="Blank: not allied."
    )
    owner_other = models.CharField(
        max_length=80, blank=True, help_text="The owner when it is not an allied team, e.g. KARSLAND or a company."
    )
    object_type = models.CharField(max_length=12, choices=ObjectType.choices, default=ObjectType.PAYLOAD)
    manoeuvrable = models.BooleanField(default=False)
    hard_body_radius_m = models.FloatField(
        default=5.0, validators=[MinValueValidator(0.01)], help_text="Radius of the sphere that bounds the object."
    )
    mass_kg = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0.001)])
    delta_v_budget_m_s = models.FloatField(
        default=0.0, validators=[MinValueValidator(0.0)], help_text="Propellant left, as delta-v (manoeuvrable only)."
    )
    # 1-sigma position uncertainty (radial, in-track, cross-track); blank: the default for the object type
    # (exercises.orbits.collision.DEFAULT_COVARIANCE_RTN_M).
    sigma_radial_m = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0.0)])
    sigma_in_track_m = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0.0)])
    sigma_cross_track_m = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0.0)])
    elements = models.JSONField(help_text="OMM mean elements (exercises.orbits.elements.MeanElements.as_dict()).")

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def owner_label(self) -> str:
        return self.owner_id or self.owner_other or gettext("Unknown")

    @property
    def is_allied(self) -> bool:
        return self.owner_id is not None

    def mean_elements(self):
        from exercises.orbits.elements import MeanElements

        return MeanElements.from_dict({**self.elements, "object_name": self.name})

    def clean(self):
        from exercises.orbits.elements import ElementsError

        if self.manoeuvrable is False and self.delta_v_budget_m_s:
            raise ValidationError({"delta_v_budget_m_s": gettext("Only a manoeuvrable object has a delta-v budget.")})
        try:
            self.mean_elements()
        except ElementsError as error:
            raise ValidationError({"elements": str(error)}) from None


class ScenarioSpaceObject(CatalogueObject):
    """An object of a scenario's catalogue (copied into each exercise of the scenario)."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="catalogue")

    class Meta(CatalogueObject.Meta):
        constraints = [models.UniqueConstraint(fields=["scenario", "name"], name="unique_scenario_object_name")]


class SpaceObject(CatalogueObject):
    """An object of an exercise's catalogue: the scenario's copy, and what the exercise adds (fragments)
    and changes (a committed manoeuvre replaces `elements`)."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="catalogue")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="fragments", help_text="Broken up from."
    )
    created_by = models.ForeignKey(
        Inject, null=True, blank=True, on_delete=models.CASCADE, related_name="+", help_text="The inject that made it."
    )
    destroyed_at = models.DateTimeField(null=True, blank=True, help_text="Orbit time (UTC) of its break-up.")

    class Meta(CatalogueObject.Meta):
        constraints = [models.UniqueConstraint(fields=["exercise", "name"], name="unique_exercise_object_name")]


class Conjunction(models.Model):
    """A close approach found by screening an exercise's catalogue (exercises.orbits.screening).

    A screening after a change of the catalogue (a burn, a break-up) supersedes the rows it recomputes;
    superseded rows stay, so the report can say what the numbers were before.
    """

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="conjunctions")
    primary = models.ForeignKey(SpaceObject, on_delete=models.CASCADE, related_name="+")
    secondary = models.ForeignKey(SpaceObject, on_delete=models.CASCADE, related_name="+")
    tca = models.DateTimeField(help_text="Time of closest approach (UTC on the orbits).")
    miss_distance_m = models.FloatField()
    radial_m = models.FloatField()
    in_track_m = models.FloatField()
    cross_track_m = models.FloatField()
    relative_speed_m_s = models.FloatField()
    probability = models.FloatField(help_text="Probability of collision (Foster 2-D).")
    primary_state = models.JSONField(help_text="{'r': [km]*3, 'v': [km/s]*3} at TCA, TEME.")
    secondary_state = models.JSONField()
    screened_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["tca"]
        indexes = [models.Index(fields=["exercise", "superseded_at", "tca"])]

    def __str__(self):
        return f"{self.primary} × {self.secondary} at {self.tca:%Y-%m-%d %H:%M:%S}"

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None


class Manoeuvre(models.Model):
    """A burn a team committed for its satellite: the orbit before and after, and what it did to the encounter."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="manoeuvres")
    space_object = models.ForeignKey(SpaceObject, on_delete=models.PROTECT, related_name="manoeuvres")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    inject = models.ForeignKey(Inject, null=True, blank=True, on_delete=models.PROTECT, related_name="manoeuvres")
    conjunction = models.ForeignKey(Conjunction, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    response = models.OneToOneField(
        "Response", null=True, blank=True, on_delete=models.PROTECT, related_name="manoeuvre"
    )
    burn_at = models.DateTimeField(help_text="Orbit time (UTC) of the burn.")
    radial_m_s = models.FloatField()
    in_track_m_s = models.FloatField()
    cross_track_m_s = models.FloatField()
    delta_v_m_s = models.FloatField(help_text="The burn's cost, as delta-v.")
    miss_distance_before_m = models.FloatField(null=True, blank=True)
    probability_before = models.FloatField(null=True, blank=True)
    miss_distance_after_m = models.FloatField(null=True, blank=True)
    probability_after = models.FloatField(null=True, blank=True)
    elements_before = models.JSONField()
    elements_after = models.JSONField()
    committed_at = models.DateTimeField(default=timezone.now)
    exercise_time = models.DurationField()

    class Meta:
        ordering = ["committed_at"]

    def __str__(self):
        return f"{self.space_object} burn of {self.delta_v_m_s:.2f} m/s"


class ApiToken(models.Model):
    """A participant's key for the TAXII server (HTTP Basic password or Bearer token).

    Only the SHA-256 of the secret is kept: the secret is shown once, when the token is made.
    A revoked token is refused from the moment `revoked_at` is set.
    """

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)  # to the minute: api_tokens.LAST_USED_EVERY
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.participant})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class StixObject(models.Model):
    """One STIX object of an exercise's Combined Picture as the TAXII collections serve it, serialized once.

    Built by exercises/services/stix_objects.py from what it is about (`source`: a released inject, a shared
    assessment, a comment, an acknowledgement, the exercise's identities, a marking), the first time a collection
    is read after that was released or shared; never edited afterwards (an inject cannot change once released,
    nor a share, comment or acknowledgement once made). Derived data like a cache: what a collection holds is
    decided when it is read, by the selectors' visibility applied to the source (inject, assessment), not stored
    here.
    """

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=40, help_text="What it was built from: inject:12, assessment:5, team:USA, ...")
    stix_id = models.CharField(max_length=120)
    type = models.CharField(max_length=40)
    version = models.DateTimeField(help_text="Its modified time (created, or date added, if it has none).")
    added = models.DateTimeField(help_text="TAXII's date_added: when it entered the collections.")
    inject = models.ForeignKey(Inject, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    assessment = models.ForeignKey(SharedAssessment, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey("AssessmentComment", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    acknowledgement = models.ForeignKey(
        "AssessmentAcknowledgement", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    statement_ref = models.CharField(max_length=80, blank=True, help_text="Its statement marking definition's id.")
    tlp_ref = models.CharField(max_length=80, blank=True, help_text="Its TLP marking definition's id.")
    body = models.TextField(help_text="The object as JSON.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["exercise", "source", "stix_id", "version"], name="stix_object_once")
        ]
        indexes = [
            models.Index(fields=["exercise", "added", "stix_id"], name="stix_object_page"),
            models.Index(fields=["exercise", "stix_id", "version"], name="stix_object_versions"),
            models.Index(fields=["exercise", "type"], name="stix_object_types"),
        ]

    def __str__(self):
        return f"{self.stix_id} ({self.source})"


class LanguagePreference(models.Model):
    """The language a user picked (the masthead's picker): it wins over their team's language and the
    browser's (exercises.selectors.user_language)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="language_preference")
    language = models.CharField(max_length=10, choices=settings.LANGUAGES)
    chosen_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.user} speaks {self.language}"
