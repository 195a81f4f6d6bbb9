"""Coalition metrics: the console's coalition panel and the report's coalition section, at two sizes.

    python -m bench.coalition --db postgres --db-name conj_bench_reports -n 9

Measured in process (no server): `coalition_report` (load + analyse, what both the panel and the report
compute), the console's panel (`fragments.coalition`: the metrics and its template) and the report's
coalition section (the metrics and the report's tables of them, `coalition_tables.tables` and
`archive_tables`; the charts are drawing, timed apart). Baseline, interleaved with each (A, B, A, B …): a
trivial query of the same rows, the exercise's responses and releases as plain values, one query each.

Sizes: the big exercise of bench/reports.py (7 teams × 60 injects × 10 responses, made by
`simulate_exercise`, with the structured assessments the rehearsal plays on decision-bearing injects) and a
small one (the bundled "Operation Clear Orbit", 3 teams × 2 responses), made here once per database. The
query count of each must be the same at both sizes. Target: ≤ 100 ms at the big size.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

from bench import harness
from bench.harness import ROOT, bench_env, child_env, emit, log, setup_django

SMALL = "Benchmark coalition small: Operation Clear Orbit, 3 teams × 2 responses"
TARGET_MS = 100.0


def small_exercise(env: dict) -> int:
    from exercises.models import Exercise

    found = Exercise.objects.filter(name=SMALL, status="ended").order_by("-pk").first()
    if found is None:
        command = [sys.executable, "manage.py", "simulate_exercise", "Operation Clear Orbit", "--name", SMALL]
        command += ["--responses-per-inject", "2", "--teams", "USA", "GBR", "FRA"]
        log("coalition: " + " ".join(command[1:]))
        done = subprocess.run(command, cwd=ROOT, env=child_env(env), capture_output=True, text=True, timeout=1800)
        if done.returncode:
            raise RuntimeError(f"simulate_exercise failed: {done.stderr[-2000:]}")
        found = Exercise.objects.get(name=SMALL)
    return found.pk


def size_of(exercise) -> dict:
    from exercises.models import Inject, Release, Response

    responses = Response.objects.filter(exercise=exercise)
    return {
        "exercise_id": exercise.pk,
        "teams": exercise.teams.count(),
        "injects": Inject.objects.filter(exercise=exercise).count(),
        "decision_bearing_injects": Inject.objects.filter(exercise=exercise, decision_bearing=True).count(),
        "releases": Release.objects.filter(inject__exercise=exercise).count(),
        "responses": responses.count(),
        "structured_assessments": responses.exclude(assessed_cause="").count(),
    }


def paths(exercise) -> dict:
    from exercises import fragments
    from exercises.coalition import coalition_report
    from exercises.models import Release, Response
    from exercises.reports import coalition_charts, coalition_tables

    def baseline():
        rows = list(
            Response.objects.filter(exercise=exercise).values_list(
                "pk", "team_id", "inject_id", "exercise_time", "assessed_cause", "confidence", "course_of_action"
            )
        )
        rows += list(
            Release.objects.filter(inject__exercise=exercise).values_list("inject_id", "team_id", "exercise_time")
        )
        return rows

    def report_section():
        coalition = coalition_report(exercise)
        return coalition_tables.tables(coalition), coalition_tables.archive_tables(coalition)

    return {
        "metrics": lambda: coalition_report(exercise),
        "console_panel": lambda: fragments.coalition(exercise),
        "report_section": report_section,
        "report_charts": lambda: coalition_charts.render_all(coalition_report(exercise)),
        "baseline": baseline,
    }


def measure(exercise, n: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    functions = paths(exercise)
    for function in functions.values():  # warm: templates compiled, matplotlib loaded
        function()
    times = {name: [] for name in functions}
    for _ in range(n):
        for name in functions:  # interleaved: each path, then the baseline, every round
            if name == "baseline":
                continue
            for which in (name, "baseline"):
                started = time.perf_counter()
                functions[which]()
                times[which].append(1000 * (time.perf_counter() - started))
    figures = {}
    for name, function in functions.items():
        with CaptureQueriesContext(connection) as captured:
            function()
        values = times[name]
        figures[name] = {
            "median_ms": round(statistics.median(values), 1),
            "min_ms": round(min(values), 1),
            "max_ms": round(max(values), 1),
            "n": len(values),
            "queries": len(captured.captured_queries),
        }
    base = figures["baseline"]["median_ms"]
    for name in functions:
        figures[name]["ratio_to_baseline"] = harness.ratio(figures[name]["median_ms"], base)
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--db-name", default="conjunction_bench")
    parser.add_argument("-n", type=int, default=9, help="rounds (each path and the baseline, interleaved)")
    args = parser.parse_args()

    env = bench_env(args.db, "memory", args.db_name)
    setup_django(env)
    from bench.reports import ensure_exercise
    from exercises.models import Exercise

    big_id, _ = ensure_exercise(env, False, 10)
    small_id = small_exercise(env)
    results = {"benchmark": "coalition", "db": args.db, "machine": harness.machine(), "target_ms": TARGET_MS}
    for label, pk in (("small", small_id), ("big", big_id)):
        exercise = Exercise.objects.get(pk=pk)
        log(f"coalition: {label} exercise {pk}")
        results[label] = {"size": size_of(exercise), "paths": measure(exercise, args.n)}
    big, small = results["big"]["paths"], results["small"]["paths"]
    results["queries_independent_of_size"] = all(big[name]["queries"] == small[name]["queries"] for name in big)
    results["met"] = {
        name: big[name]["median_ms"] <= TARGET_MS for name in ("metrics", "console_panel", "report_section")
    }
    emit(results)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    main()
