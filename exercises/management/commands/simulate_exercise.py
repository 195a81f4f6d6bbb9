"""Rehearse a scenario with bot teams: a complete, ended exercise with responses, shares, ratings and feedback."""

import time

from django.core.management.base import BaseCommand, CommandError

from exercises.models import (
    Acknowledgement,
    Adjudication,
    AuditEvent,
    Feedback,
    Observation,
    Rating,
    Release,
    Response,
    Scenario,
    SharedAssessment,
    Team,
    format_exercise_time,
)
from exercises.services import ServiceError
from exercises.services.rehearsal import simulate_exercise


class Command(BaseCommand):
    help = (
        "Play a whole scenario with bot teams (acknowledge, respond, share, miss some deadlines), then evaluate, "
        "end and send the hot-wash forms. Runs in simulated time, as fast as the database allows."
    )

    def add_arguments(self, parser):
        parser.add_argument("scenario", help="The scenario's name, as in the library.")
        parser.add_argument("--name", help='The exercise\'s name (default "Rehearsal: <scenario>").')
        parser.add_argument("--teams", nargs="+", metavar="CODE", help="Team codes (default: every team).")
        parser.add_argument("--seed", type=int, default=0, help="The same seed plays the same exercise (default 0).")
        parser.add_argument(
            "--responses-per-inject", type=int, default=2, help="Responses per team and inject (default 2)."
        )
        parser.add_argument(
            "--realtime",
            action="store_true",
            help="Run the clock for real and wait for it, for a live demo. Open consoles see the bots only when "
            "daphne and this command share a channel layer (REDIS_URL).",
        )
        parser.add_argument(
            "--speed", type=float, default=60.0, help="Clock speed with --realtime, 1 to 60 (default 60); else unused."
        )

    def handle(self, *args, scenario, name, teams, seed, responses_per_inject, realtime, speed, **options):
        found = Scenario.objects.filter(name=scenario).first()
        if found is None:
            known = ", ".join(repr(name) for name in Scenario.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"No scenario named {scenario!r}. Known scenarios: {known}.")
        if teams:
            codes = [code.upper() for code in teams]
            unknown = sorted(set(codes) - set(Team.objects.filter(code__in=codes).values_list("code", flat=True)))
            if unknown:
                raise CommandError(f"Unknown team(s): {', '.join(unknown)}. Use ISO alpha-3 codes from the library.")
            teams = codes
        started = time.monotonic()
        try:
            exercise = simulate_exercise(
                scenario=found,
                name=name,
                teams=teams,
                seed=seed,
                speed=speed,
                realtime=realtime,
                responses_per_inject=responses_per_inject,
            )
        except ServiceError as error:
            raise CommandError(error.message) from error
        seconds = time.monotonic() - started
        injects = exercise.injects.filter(released_at__isnull=False).count()
        counts = [
            ("injects released", f"{injects} of {exercise.injects.count()}"),
            ("releases to teams", Release.objects.filter(inject__exercise=exercise).count()),
            ("acknowledgements", Acknowledgement.objects.filter(inject__exercise=exercise).count()),
            ("responses", Response.objects.filter(exercise=exercise).count()),
            ("shares", SharedAssessment.objects.filter(exercise=exercise).count()),
            ("  downgraded", SharedAssessment.objects.filter(exercise=exercise, downgraded=True).count()),
            ("observations", Observation.objects.filter(exercise=exercise).count()),
            ("adjudications", Adjudication.objects.filter(response__exercise=exercise).count()),
            ("ratings", Rating.objects.filter(exercise=exercise).count()),
            ("feedback forms", Feedback.objects.filter(exercise=exercise).count()),
            ("journal events", AuditEvent.objects.filter(exercise=exercise).count()),
        ]
        self.stdout.write(
            self.style.SUCCESS(
                f"Exercise {exercise.pk} {exercise.name!r}: {exercise.get_status_display().lower()} at "
                f"{format_exercise_time(exercise.exercise_time())}, played in {seconds:.1f} s."
            )
        )
        for label, value in counts:
            self.stdout.write(f"  {label:<18} {value}")
