"""Create the demo accounts, a ready-to-run exercise of the default scenario, and a completed
rehearsal of it whose report control and the evaluator can open at once (idempotent)."""

import json
import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from exercises.models import Exercise, Participant, Scenario, Team
from exercises.services.exercises import add_participant, create_exercise, planners_group
from exercises.services.rehearsal import simulate_exercise

DEMO_EXERCISE = "Demo exercise"
DEFAULT_SCENARIO_FILE = "default.json"
REHEARSAL_PREFIX = "Rehearsal: "


class Command(BaseCommand):
    help = "Create demo logins (control, evaluator, one player per team) and a demo exercise."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never on a real deployment)."
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Refusing to create demo accounts with DEBUG off; pass --force if you mean it.")
        password = os.environ.get("DEMO_PASSWORD", "conjunction")
        scenario = Scenario.objects.filter(name=default_scenario_name()).first()
        if scenario is None:
            raise CommandError("The default scenario is missing; run `python manage.py load_library` first.")
        teams = list(Team.objects.all())
        exercise = Exercise.objects.filter(name=DEMO_EXERCISE).first()
        if exercise is None:
            exercise = create_exercise(scenario=scenario, name=DEMO_EXERCISE, teams=teams)
        logins = [
            ("control", "Exercise Control", Participant.Role.FACILITATOR, None),
            ("evaluator", "Lead Evaluator", Participant.Role.EVALUATOR, None),
        ]
        logins += [(team.code.lower(), f"{team.name} player", Participant.Role.PLAYER, team) for team in teams]
        User = get_user_model()
        for username, full_name, role, team in logins:
            user, _ = User.objects.get_or_create(username=username)
            user.first_name = full_name
            user.set_password(password)
            user.save()
            if role == Participant.Role.FACILITATOR:
                user.groups.add(planners_group())
            if not Participant.objects.filter(exercise=exercise, user=user, role=role, team=team).exists():
                add_participant(exercise=exercise, user=user, role=role, team=team)
        rehearsal = self.rehearsal(scenario, teams)
        self.stdout.write(self.style.SUCCESS(f"Demo exercise ready: {exercise.name} (scenario {scenario.name})."))
        self.stdout.write(f"Completed rehearsal with bot teams, for its report: {rehearsal.name}.")
        self.stdout.write(f"Logins (password {password!r}):")
        for username, _full_name, role, team in logins:
            self.stdout.write(f"  {username:<10} {role}{' of ' + team.code if team else ''}")

    def rehearsal(self, scenario, teams):
        """A completed exercise played by bot teams, once; control and the evaluator staff it too."""
        name = f"{REHEARSAL_PREFIX}{scenario.name}"
        exercise = Exercise.objects.filter(name=name).first()
        if exercise is None:
            self.stdout.write(f"Rehearsing {scenario.name!r} with bot teams (a few seconds)...")
            exercise = simulate_exercise(scenario=scenario, name=name, teams=teams)
        User = get_user_model()
        for username, role in [("control", Participant.Role.FACILITATOR), ("evaluator", Participant.Role.EVALUATOR)]:
            user = User.objects.get(username=username)
            if not Participant.objects.filter(exercise=exercise, user=user, role=role).exists():
                add_participant(exercise=exercise, user=user, role=role)
        return exercise


def default_scenario_name() -> str:
    path = settings.BASE_DIR / "fixtures" / "scenarios" / DEFAULT_SCENARIO_FILE
    return json.loads(path.read_text())["name"]
