"""TAXII: pulling a big collection 100 objects a page with taxii2-client, against a minimal JSON view.

    python -m bench.taxii --db postgres --db-name conj_bench_taxii --runs 3

The collection is exercise control's (the whole exercise) of an exercise made once per database by
`simulate_exercise` on the bundled scenario repeated to --rows injects, each to all seven teams (one
response per team and inject): about 5,000 STIX objects. A facilitator's API token; daphne serving the app
(bench.settings, TAXII_READ_RATE raised so the pull is never throttled). Each run pulls the whole
collection with `taxii2client.v21.as_pages(collection.get_objects, per_request=100)`, timing each page
(the client's request, the server, the parsing), and after each page, interleaved, one page of the
baseline: bench/views.py's `rows_json`, 100 rows of one table (the journal) as JSON, by httpx on the same
daphne. Query counts per page are taken in process (django.test.Client, the same view and middleware) at
pages 1, 10 and 50. Target: p99 per page ≤ 2× the baseline's; queries per page constant.

The collection's objects are stored (models.StixObject) the first time it is read after they were released or
shared: the exercise made here was played with no reader, so its first read stores all of them. That first
read is timed apart, in process, before the pulls (`store`: the objects stored and the time; --no-store leaves
it to the first page, where the pulls time it); in a played exercise a reader's page stores what was released
since its last read.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

from bench import harness
from bench.harness import ROOT, Server, bench_env, child_env, emit, ensure_facilitator, log, setup_django

SCENARIO = "Benchmark: Operation Clear Orbit ×{rows}, to every team, all released"
EXERCISE = "Benchmark TAXII 7 teams × {rows} injects"
RATIO_TARGET = 2.0


def ensure_exercise(env: dict, rows: int):
    from bench.reports import sixty_inject_scenario
    from exercises.models import Exercise

    name = EXERCISE.format(rows=rows)
    found = Exercise.objects.filter(name=name, status="ended").order_by("-pk").first()
    if found is None:
        scenario = sixty_inject_scenario(rows, SCENARIO.format(rows=rows))
        command = [sys.executable, "manage.py", "simulate_exercise", scenario.name, "--name", name]
        command += ["--responses-per-inject", "1", "--teams", *harness.TEAMS]
        log("taxii: " + " ".join(command[1:]))
        done = subprocess.run(command, cwd=ROOT, env=child_env(env), capture_output=True, text=True, timeout=3600)
        if done.returncode:
            raise RuntimeError(f"simulate_exercise failed: {done.stderr[-2000:]}")
        found = Exercise.objects.get(name=name)
    return found


def token_for(exercise) -> str:
    from exercises.models import Participant
    from exercises.services.api_tokens import create_token
    from exercises.services.exercises import add_participant

    user = ensure_facilitator("bench-taxii-control")
    participant = Participant.objects.filter(exercise=exercise, user=user).first()
    if participant is None:
        participant = add_participant(exercise=exercise, user=user, role=Participant.Role.FACILITATOR)
    return create_token(participant=participant, name=f"bench {harness.RUN_ID}")[1]


def team_token_for(exercise, code: str) -> str:
    from exercises.models import Participant
    from exercises.services.api_tokens import create_token

    participant = Participant.objects.filter(exercise=exercise, team_id=code, role=Participant.Role.PLAYER).first()
    return create_token(participant=participant, name=f"bench {code} {harness.RUN_ID}")[1]


def queries_per_page(exercise, secret: str, collection_url: str, pages=(1, 10, 50)) -> dict:
    """Queries of the objects view at the given pages and the last (following `next`), and of the baseline's."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT": "application/taxii+json;version=2.1"}
    counts, cursor, page = {}, None, 0
    while page < max(pages):
        page += 1
        params = {"limit": 100, **({"next": cursor} if cursor else {})}
        with CaptureQueriesContext(connection) as captured:
            answer = client.get(collection_url, params, **headers)
        assert answer.status_code == 200, (answer.status_code, answer.content[:300])
        body = answer.json()
        if page in pages or not body.get("more"):
            counts[f"page_{page}"] = {"queries": len(captured.captured_queries), "objects": len(body["objects"])}
        if not body.get("more"):
            break
        cursor = body["next"]
    counts["pages_in_collection"] = page if not body.get("more") else None
    after, base = 0, {}
    for page in pages:
        with CaptureQueriesContext(connection) as captured:
            rows = client.get("/bench/rows/", {"after": after}).json()["objects"]
        after = rows[-1]["pk"] if rows else after
        base[f"page_{page}"] = len(captured.captured_queries)
    counts["baseline"] = base
    return counts


def store(exercise) -> dict:
    """Store the objects of what the exercise released and shared that are not stored yet (the first read's work)."""
    import resource

    from exercises.models import StixObject
    from exercises.services.stix_objects import store_new

    cpu, started = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    stored = store_new(exercise)
    wall, after = time.monotonic() - started, resource.getrusage(resource.RUSAGE_SELF)
    figures = {"objects_stored": stored, "wall_s": round(wall, 3)}
    figures["cpu_s"] = round(after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime, 3)
    figures["objects_in_store"] = StixObject.objects.filter(exercise=exercise).count()
    log(f"taxii: stored {stored} objects in {wall:.2f} s")
    return figures


def analyze(db: str) -> None:
    """VACUUM ANALYZE the benchmark database, as autovacuum would have minutes after it was filled: this machine's
    PostgreSQL runs with autovacuum off (its CI configuration), and without statistics the planner guesses at
    plans a production database (autovacuum on) never runs."""
    from django.db import connection

    if db == "postgres":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        log("taxii: vacuumed and analyzed")


def pull(server, exercise, secret: str, collection_path: str) -> dict:
    """One whole pull, each page followed by one page of the baseline fetched by httpx (as before) and by requests,
    the HTTP client taxii2-client itself uses (so that ratio compares the two views through one client)."""
    import httpx
    import requests
    from taxii2client.v21 import Collection, as_pages

    collection = Collection(server.url + collection_path, user="bench", password=secret)
    plain, same_client = httpx.Client(base_url=server.url, timeout=60), requests.Session()
    app, baseline, baseline_requests, floor, objects, after = [], [], [], [], 0, 0
    # the app's own floor: the collection's resource, authenticated by the token and journaled as every TAXII
    # request is, with no objects (what a page pays before its page)
    resource_headers = {"Accept": "application/taxii+json;version=2.1", "Authorization": f"Bearer {secret}"}
    collection.get_objects(limit=1)  # a fresh daphne's first requests warm it up (imports, connections): not timed
    plain.get("/bench/rows/", params={"after": 0})
    same_client.get(server.url + "/bench/rows/", params={"after": 0})
    pages = as_pages(collection.get_objects, per_request=100)
    while True:
        started = time.monotonic()
        envelope = next(pages, None)
        if envelope is None:
            break
        app.append(1000 * (time.monotonic() - started))
        objects += len(envelope.get("objects", []))
        started = time.monotonic()
        rows = plain.get("/bench/rows/", params={"after": after}).json()["objects"]
        baseline.append(1000 * (time.monotonic() - started))
        started = time.monotonic()
        same_client.get(server.url + "/bench/rows/", params={"after": after}, timeout=60).json()
        baseline_requests.append(1000 * (time.monotonic() - started))
        started = time.monotonic()
        same_client.get(server.url + collection_path, headers=resource_headers, timeout=60).json()
        floor.append(1000 * (time.monotonic() - started))
        after = rows[-1]["pk"] if len(rows) == 100 else 0
    plain.close()
    same_client.close()
    figures = {"objects": objects, "app": harness.summary(app), "baseline": harness.summary(baseline)}
    # a read's first page also asks whether anything is not stored yet (a count of the exercise's sources against
    # the stored heads): the pages after it, apart
    figures["after_first"] = harness.summary(app[1:])
    figures["first_page"] = round(app[0], 1)
    figures["after_first_p99_ratio"] = harness.ratio(figures["after_first"]["p99"], figures["baseline"]["p99"])
    figures["first_page_ratio"] = harness.ratio(app[0], figures["baseline"]["p99"])
    tenth = max(1, len(app) // 10)  # a page's cost whatever its place in the collection: the first and last tenth
    figures["first_tenth_p50"] = round(statistics.median(app[1 : tenth + 1]), 2)
    figures["last_tenth_p50"] = round(statistics.median(app[-tenth:]), 2)
    figures["baseline_requests"] = harness.summary(baseline_requests)
    figures["floor"] = harness.summary(floor)
    figures["floor_p99_ratio"] = harness.ratio(figures["floor"]["p99"], figures["baseline_requests"]["p99"])
    figures["p99_ratio"] = harness.ratio(figures["app"]["p99"], figures["baseline"]["p99"])
    figures["p50_ratio"] = harness.ratio(figures["app"]["p50"], figures["baseline"]["p50"])
    figures["p99_ratio_same_client"] = harness.ratio(figures["app"]["p99"], figures["baseline_requests"]["p99"])
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    harness.add_common_arguments(parser, db="postgres")
    parser.add_argument("--rows", type=int, default=460, help="injects of the scenario (460: about 5,000 objects)")
    parser.add_argument("--runs", type=int, default=3, help="whole pulls of the collection")
    parser.add_argument("--exercise", type=int, help="an existing exercise instead")
    parser.add_argument("--no-store", action="store_true", help="leave storing the objects to the first page")
    parser.add_argument("--team", help="also pull this team's collection (a player's token), e.g. GBR")
    parser.add_argument("--no-analyze", action="store_true", help="leave the database without planner statistics")
    args = parser.parse_args()
    env = bench_env(args.db, args.layer, args.db_name)
    env["TAXII_READ_RATE"] = "100000/m"
    env["ALLOWED_HOSTS"] += ",testserver"
    setup_django(env)
    from exercises.models import Exercise
    from exercises.views.taxii import collection_id

    exercise = Exercise.objects.get(pk=args.exercise) if args.exercise else ensure_exercise(env, args.rows)
    secret = token_for(exercise)
    if not args.no_store:
        results_store = store(exercise)
    if not args.no_analyze:
        analyze(args.db)
    path = f"/taxii2/exercises/{exercise.pk}/collections/{collection_id(exercise.pk, None)}/"
    results = {"benchmark": "taxii", "db": args.db, "machine": harness.machine(), "exercise_id": exercise.pk}
    results["analyzed"] = not args.no_analyze
    if not args.no_store:
        results["store"] = results_store
    log("taxii: query counts")
    results["queries"] = queries_per_page(exercise, secret, path + "objects/")
    team_secret = team_path = None
    if args.team:
        team_secret = team_token_for(exercise, args.team)
        team_path = f"/taxii2/exercises/{exercise.pk}/collections/{collection_id(exercise.pk, args.team)}/"
        results["team"] = {
            "code": args.team,
            "queries": queries_per_page(exercise, team_secret, team_path + "objects/"),
        }
    runs, team_runs = [], []
    with Server("app", env) as server:
        for run in range(args.runs):
            log(f"taxii: pull {run + 1}")
            runs.append(pull(server, exercise, secret, path))
            if args.team:
                team_runs.append(pull(server, exercise, team_secret, team_path))
        results["server_errors"] = server.log_errors()[:20]
    results["runs"] = runs
    results["median"] = harness.median_of_runs(runs)
    medians = ("p99_ratio_same_client", "floor_p99_ratio", "first_tenth_p50", "last_tenth_p50", "first_page")
    for key in (*medians, "after_first_p99_ratio", "first_page_ratio"):
        results["median"][key] = statistics.median(run[key] for run in runs)
    if args.team:
        results["team"].update(runs=team_runs, median=harness.median_of_runs(team_runs))
    # a read's first page also asks whether anything is not stored: one query more than the pages after `next`
    pages = [
        value["queries"] for key, value in results["queries"].items() if key.startswith("page_") and key != "page_1"
    ]
    results["queries_constant"] = len(set(pages)) == 1
    results["met"] = results["median"]["p99_ratio"] <= RATIO_TARGET and results["queries_constant"]
    emit(results)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    main()
