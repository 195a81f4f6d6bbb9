"""The clock worker as a process of its own: `python manage.py run_clock`."""

from django.conf import settings
from django.core.management.base import BaseCommand

from exercises import clock_worker


class Command(BaseCommand):
    help = "Release due injects and evaluate contingency injects of every running exercise."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=settings.CLOCK_INTERVAL, help="Seconds between ticks.")
        parser.add_argument("--once", action="store_true", help="Tick once and exit (for cron or tests).")

    def handle(self, *args, interval, once, **options):
        if once:
            released = clock_worker.safe_tick()
            self.stdout.write(f"Released {released} inject(s).")
            return
        self.stdout.write(f"Clock worker ticking every {interval} s (Ctrl-C stops it).")
        try:
            clock_worker.run(interval=interval)
        except KeyboardInterrupt:
            self.stdout.write("Clock worker stopped.")
