"""Export a scenario's MSEL as a CSV or XLSX spreadsheet with the HSEEP columns."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exercises.models import Scenario
from exercises.services import msel_spreadsheet


class Command(BaseCommand):
    help = "Write a scenario's MSEL as a spreadsheet (CSV or XLSX) that import_msel reads back unchanged."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The scenario's name.")
        parser.add_argument("--format", choices=["csv", "xlsx"], help="Default: from the output file's extension.")
        parser.add_argument("--output", required=True, help="The file to write; '-' writes CSV to standard output.")

    def handle(self, *args, name, format=None, output, **options):
        scenario = Scenario.objects.filter(name=name).first()
        if scenario is None:
            raise CommandError(f"No scenario named {name!r}.")
        fmt = format or Path(output).suffix.lstrip(".").lower()
        if fmt not in ("csv", "xlsx"):
            raise CommandError("Choose --format csv or xlsx (or name the output .csv or .xlsx).")
        content = msel_spreadsheet.export_csv(scenario) if fmt == "csv" else msel_spreadsheet.export_xlsx(scenario)
        if output == "-":
            if fmt != "csv":
                raise CommandError("Only CSV can go to standard output; name an .xlsx file.")
            sys.stdout.buffer.write(content)
            return
        Path(output).write_bytes(content)
        self.stdout.write(self.style.SUCCESS(f"Wrote {scenario.injects.count()} injects of {name!r} to {output}."))
