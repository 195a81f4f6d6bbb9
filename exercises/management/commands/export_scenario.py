"""Export a scenario in the Conjunction scenario format (JSON, versioned)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exercises.models import Scenario
from exercises.services.scenarios import export_scenario


class Command(BaseCommand):
    help = "Write a scenario as JSON (see docs/scenario-format.md); import_scenario reads it back unchanged."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The scenario's name.")
        parser.add_argument("--output", default="-", help="The file to write (default: standard output).")

    def handle(self, *args, name, output="-", **options):
        scenario = Scenario.objects.filter(name=name).first()
        if scenario is None:
            raise CommandError(f"No scenario named {name!r}.")
        text = json.dumps(export_scenario(scenario), indent=2, ensure_ascii=False) + "\n"
        if output == "-":
            self.stdout.write(text, ending="")
            return
        Path(output).write_text(text, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {name!r} to {output}."))
