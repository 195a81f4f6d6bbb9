"""Reports: the after-action report of a big exercise, 7 teams × 60 injects × 10 responses each.

    python -m bench.reports --db postgres
    python -m bench.reports --db sqlite --profile

The exercise is made once per benchmark database by `manage.py simulate_exercise` (bots play a
60-inject scenario: the bundled "Operation Clear Orbit" repeated to 60 rows, each addressed to
every team, with --responses-per-inject 10) and reused after
(--fresh makes a new one). Each format is then exported in a fresh process: the first export there
(cold: templates compiled, fonts loaded) and --repeat more (warm), with the process's resident memory
before and its peak (ru_maxrss) after. The command a facilitator would type,
`manage.py export_aar <id> --format F --output PATH`, is timed end to end as well (Python and Django
start-up included). Targets: HTML ≤ 1 s, JSON archive ≤ 1 s, PDF ≤ 10 s.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import timedelta

from bench import harness
from bench.harness import ROOT, bench_env, child_env, emit, log, setup_django

# With the bundled scenario's orbit epoch, catalogue and injects' attack techniques, so that the report's conjunction
# and technique sections have work (the first version of this scenario, "… all released" alone, had neither).
SCENARIO = "Benchmark: Operation Clear Orbit ×60, to every team, all released, with its catalogue"
EXERCISE = "Benchmark report 7 teams × 60 injects × 10 responses"
TARGETS = {"html": 1.0, "json": 1.0, "pdf": 10.0}


def sixty_inject_scenario(rows: int = 60, name: str = SCENARIO):
    """The bundled scenario's injects repeated (later cycles shifted in time) to `rows` rows, each addressed
    to every team (the bundled scenario addresses some injects to a few teams only)."""
    from django.db import transaction

    from exercises.models import Objective, Releasability, Scenario, ScenarioInject, ScenarioSpaceObject, Trigger

    existing = Scenario.objects.filter(name=name).first()
    if existing is not None:
        return existing
    source = Scenario.objects.get(name="Operation Clear Orbit")
    injects = list(source.injects.order_by("offset", "sequence"))
    span = max(inject.offset for inject in injects) + timedelta(minutes=10)
    with transaction.atomic():
        scenario = Scenario.objects.create(name=name, description=source.description, orbit_epoch=source.orbit_epoch)
        columns = [f.name for f in ScenarioSpaceObject._meta.concrete_fields if f.name not in {"id", "scenario"}]
        for item in source.catalogue.all():
            values = {column: getattr(item, column) for column in columns}
            ScenarioSpaceObject.objects.create(scenario=scenario, **values)
        objectives = {}
        for objective in source.objectives.all():
            objectives[objective.pk] = Objective.objects.create(
                scenario=scenario, code=objective.code, text=objective.text, core_capability=objective.core_capability
            )
        fields = [f.name for f in ScenarioInject._meta.concrete_fields if f.name not in {"id", "scenario"}]
        for n in range(rows):
            original = injects[n % len(injects)]
            cycle = n // len(injects)
            copy = ScenarioInject(scenario=scenario, **{name: getattr(original, name) for name in fields})
            copy.sequence = n + 1
            # every team gets and answers every inject: 7 × 60 team-injects (the bundled scenario's on-demand and
            # contingency injects, and its nationally marked ones, would leave some teams out)
            copy.addressed_to_all = True
            copy.on_demand, copy.trigger, copy.trigger_step = False, Trigger.NONE, None
            copy.releasability = Releasability.ALL_ALLIES
            copy.offset = original.offset + cycle * span
            if cycle:
                copy.title = f"{original.title} (wave {cycle + 1})"[:200]
            copy.save()
            copy.protocol_steps.set(original.protocol_steps.all())
            copy.objectives.set([objectives[o.pk] for o in original.objectives.all()])
            copy.techniques.set(original.techniques.all())
    return scenario


def ensure_exercise(env: dict, fresh: bool, responses: int) -> tuple[int, dict]:
    from exercises.models import Exercise, Release, Response

    sixty_inject_scenario()
    found = (
        None if fresh else Exercise.objects.filter(name__startswith=EXERCISE, status="ended").order_by("-pk").first()
    )
    made = {}
    if found is None:
        name = f"{EXERCISE} {harness.RUN_ID}"
        command = [sys.executable, "manage.py", "simulate_exercise", SCENARIO, "--name", name]
        command += ["--responses-per-inject", str(responses), "--teams", *harness.TEAMS]
        log("reports: " + " ".join(command[1:]))
        started = time.monotonic()
        done = subprocess.run(command, cwd=ROOT, env=child_env(env), capture_output=True, text=True, timeout=3600)
        if done.returncode:
            raise RuntimeError(f"simulate_exercise failed: {done.stderr[-2000:]}")
        made = {"simulate_exercise_s": round(time.monotonic() - started, 1), "output": done.stdout.strip()[-1500:]}
        found = Exercise.objects.get(name=name)
    return found.pk, {
        "exercise_id": found.pk,
        "teams": found.teams.count(),
        "injects": found.injects.count(),
        "releases": Release.objects.filter(inject__exercise=found).count(),
        "responses": Response.objects.filter(exercise=found).count(),
        **made,
    }


def child(fmt: str, exercise_id: int, repeat: int, profile: bool) -> None:
    """In a fresh process: export `fmt` cold, then `repeat` times warm; print one JSON line."""
    import django

    django.setup()
    import psutil

    from exercises.models import Exercise
    from exercises.reports.exports import export

    exercise = Exercise.objects.get(pk=exercise_id)
    rss_before = psutil.Process().memory_info().rss / 2**20
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)
        profiler.start()
    started, cpu = time.perf_counter(), time.process_time()
    data = export(exercise, fmt)
    cold, cpu_cold = time.perf_counter() - started, time.process_time() - cpu
    peak_cold = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    text = ""
    if profiler:
        profiler.stop()
        text = profiler.output_text(unicode=False, color=False, show_all=False)
    warm, cpu_warm = [], []
    for _ in range(repeat):
        exercise = Exercise.objects.get(pk=exercise_id)
        started, cpu = time.perf_counter(), time.process_time()
        export(exercise, fmt)
        warm.append(time.perf_counter() - started)
        cpu_warm.append(time.process_time() - cpu)
    print(
        json.dumps(
            {
                "bytes": len(data),
                "cold_s": round(cold, 3),
                "warm_s": [round(value, 3) for value in warm],
                # the process's CPU time: on a loaded machine wall time waits for a core, CPU time much less so
                "cpu_cold_s": round(cpu_cold, 3),
                "cpu_warm_s": [round(value, 3) for value in cpu_warm],
                "rss_before_mb": round(rss_before, 1),
                "peak_rss_mb_after_cold": round(peak_cold, 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "profile": text.splitlines()[:60],
            }
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--db-name", default="conjunction_bench")
    parser.add_argument("--formats", nargs="+", default=["html", "json", "pdf"])
    parser.add_argument("--responses-per-inject", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3, help="warm exports after the cold one")
    parser.add_argument("--fresh", action="store_true", help="simulate a new exercise even if one exists")
    parser.add_argument("--profile", action="store_true", help="pyinstrument the cold export of each format")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--exercise", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.exercise, args.repeat, args.profile)

    env = bench_env(args.db, "memory", args.db_name)
    setup_django(env)
    exercise_id, exercise = ensure_exercise(env, args.fresh, args.responses_per_inject)
    results = {"benchmark": "reports", "db": args.db, "machine": harness.machine(), "exercise": exercise}
    formats = {}
    for fmt in args.formats:
        log(f"reports: {fmt}")
        command = [sys.executable, "-m", "bench.reports", "--child", fmt, "--exercise", str(exercise_id)]
        command += ["--repeat", str(args.repeat)] + (["--profile"] if args.profile else [])
        done = subprocess.run(command, cwd=ROOT, env=child_env(env), capture_output=True, text=True, timeout=1800)
        if done.returncode:
            formats[fmt] = {"error": done.stderr[-2000:]}
            continue
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        output = harness.WORK / f"aar-{exercise_id}.{fmt}"
        started = time.monotonic()
        cli = subprocess.run(
            [sys.executable, "manage.py", "export_aar", str(exercise_id), "--format", fmt, "--output", str(output)],
            cwd=ROOT,
            env=child_env(env),
            capture_output=True,
            text=True,
            timeout=1800,
        )
        figures["export_aar_command_s"] = round(time.monotonic() - started, 2) if cli.returncode == 0 else cli.stderr
        figures["warm_median_s"] = harness.median(figures["warm_s"])
        figures["cpu_warm_median_s"] = harness.median(figures["cpu_warm_s"])
        figures["target_s"] = TARGETS.get(fmt)
        figures["cold_over_target"] = harness.ratio(figures["cold_s"], TARGETS.get(fmt))
        figures["met"] = figures["cold_s"] <= TARGETS.get(fmt, float("inf"))
        if not args.profile:
            figures.pop("profile")
        formats[fmt] = figures
    results["formats"] = formats
    emit(results)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    main()
