"""Import a MSEL spreadsheet (CSV or XLSX) into a scenario: all rows or none."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exercises.models import Scenario
from exercises.services import ServiceError
from exercises.services.msel_spreadsheet import import_msel_file
from exercises.services.scenarios import InvalidScenario


class Command(BaseCommand):
    help = (
        "Replace a scenario's MSEL with a CSV or XLSX spreadsheet (its objectives are kept), or with --create "
        "make a new scenario. Any bad row: nothing is imported and every problem is listed (row, column, reason)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The spreadsheet, .csv or .xlsx.")
        parser.add_argument("--scenario", required=True, help="The name of the scenario to import into.")
        parser.add_argument("--create", action="store_true", help="Create a new scenario with this name.")

    def handle(self, *args, path, scenario, create=False, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"No such file: {path}")
        target = Scenario.objects.filter(name=scenario).first()
        if create and target is not None:
            raise CommandError(f"A scenario named {scenario!r} already exists; leave out --create to replace its MSEL.")
        if not create and target is None:
            raise CommandError(f"No scenario named {scenario!r}; pass --create to make a new one.")
        try:
            imported = import_msel_file(
                file.read_bytes(), file.name, scenario=target, new_name=scenario if create else "", by=None
            )
        except InvalidScenario as error:
            for problem in error.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{file.name}: {error.message}") from error
        except ServiceError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            self.style.SUCCESS(f"Imported {imported.injects.count()} injects into {imported.name!r} from {file.name}.")
        )
