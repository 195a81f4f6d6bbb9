"""Load the reference library: teams, core capabilities, protocols, attack techniques, and the bundled scenarios."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from exercises.models import Scenario
from exercises.services.scenarios import InvalidScenario, import_scenario

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
REFERENCE = ["teams.json", "capabilities.json", "protocols.json", "attack_techniques.json"]


class Command(BaseCommand):
    help = "Load teams, core capabilities, protocols and the bundled scenarios (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--replace-scenarios",
            action="store_true",
            help="Overwrite bundled scenarios that already exist (their past exercises keep their own copies).",
        )

    def handle(self, *args, replace_scenarios=False, **options):
        call_command("loaddata", *[str(FIXTURES / name) for name in REFERENCE], verbosity=0)
        self.stdout.write("Loaded teams, core capabilities, protocols and attack techniques (SPARTA, ATT&CK).")
        for path in sorted((FIXTURES / "scenarios").glob("*.json")):
            data = json.loads(path.read_text())
            if Scenario.objects.filter(name=data.get("name")).exists() and not replace_scenarios:
                self.stdout.write(f"Scenario {data.get('name')!r} already present; kept as is.")
                continue
            try:
                scenario = import_scenario(data, replace=replace_scenarios)
            except InvalidScenario as error:
                raise CommandError(f"{path.name}: " + "; ".join(str(p) for p in error.problems)) from error
            self.stdout.write(f"Loaded scenario {scenario.name!r} ({scenario.injects.count()} injects).")
