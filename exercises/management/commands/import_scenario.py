"""Import a scenario from a file in the Conjunction scenario format (JSON): all or nothing."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exercises.services.scenarios import InvalidScenario, import_scenario


class Command(BaseCommand):
    help = "Import a scenario (JSON, see docs/scenario-format.md). Any problem: nothing is imported, all are listed."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The scenario file (.json).")
        parser.add_argument(
            "--replace", action="store_true", help="Overwrite the scenario of the same name (objectives and injects)."
        )

    def handle(self, *args, path, replace=False, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            data = json.loads(file.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(f"{file.name} is not a JSON scenario file: {error}") from error
        try:
            scenario = import_scenario(data, replace=replace)
        except InvalidScenario as error:
            for problem in error.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{file.name}: {error.message}") from error
        self.stdout.write(
            self.style.SUCCESS(f"Imported scenario {scenario.name!r} ({scenario.injects.count()} injects).")
        )
