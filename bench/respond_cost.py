"""The CPU and queries of one submission, measured in process (no server, no sockets, no concurrency).

    python -m bench.respond_cost --db postgres --layer redis -n 300 [--profile]

One player, logged in (a session in the database, as /login/ leaves it), POSTs the respond form
through django.test.Client with the htmx header and a urlencoded body, as the team page does; the baseline view of
bench/views.py (one INSERT, one group_send, the same middleware) is posted by the same client,
alternating with the app, so both see the same noise. Per submission: CPU (time.process_time, the
whole process: the request and the channel layer's send on the loop thread), the request thread's
CPU alone (time.thread_time), wall time; medians. Then the queries of one submission of each, listed.

As inside daphne, an event loop runs in a thread (realtime.use_event_loop): fragments go out through
the outbox, and the console's delivery matrix is coalesced — here never rendered (COALESCE_SECONDS is
set to an hour), because daphne renders it at most once a second whatever the rate of submissions.

--profile: pyinstrument over --profile-n more submissions of the app (the request thread's CPU time),
its text on stderr.
"""

import argparse
import asyncio
import statistics
import sys
import threading
import time
from urllib.parse import urlencode

from bench.harness import bench_env, create_sessions, emit, log, machine, make_exercise, setup_django


def start_loop():
    """An event loop in a thread, handed to realtime as daphne's is (config/asgi.py)."""
    from exercises import realtime

    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()

    async def adopt():
        realtime.use_event_loop(loop)

    asyncio.run_coroutine_threadsafe(adopt(), loop).result(timeout=10)
    return loop


def drain(loop) -> None:
    """Wait until the outbox has handed every fragment to the channel layer."""
    from exercises import realtime

    for _ in range(500):
        if realtime._outbox.empty():
            break
        time.sleep(0.01)
    asyncio.run_coroutine_threadsafe(asyncio.sleep(0.05), loop).result(timeout=10)


HTMX = {"content_type": "application/x-www-form-urlencoded", "HTTP_HX_REQUEST": "true"}


def form(data: dict) -> str:
    """The body as htmx sends a form (urlencoded, not the test client's multipart)."""
    return urlencode(data, doseq=True)


def timed(post) -> tuple[float, float, float]:
    wall, cpu, thread = time.perf_counter(), time.process_time(), time.thread_time()
    answer = post()
    result = (time.process_time() - cpu, time.thread_time() - thread, time.perf_counter() - wall)
    assert answer.status_code in (200, 204), (answer.status_code, answer.content[:500])
    return result


def medians(samples: list[tuple[float, float, float]]) -> dict:
    cpu, thread, wall = zip(*samples, strict=True)
    return {
        "cpu_ms": round(1000 * statistics.median(cpu), 2),
        "thread_cpu_ms": round(1000 * statistics.median(thread), 2),
        "wall_ms": round(1000 * statistics.median(wall), 2),
        "cpu_ms_mean": round(1000 * statistics.fmean(cpu), 2),
        "cpu_ms_p10": round(1000 * statistics.quantiles(cpu, n=10)[0], 2),  # the least disturbed
    }


def queries_of(post) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        post()
    return [query["sql"][:160] for query in captured.captured_queries]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--layer", choices=["memory", "redis"], default="redis")
    parser.add_argument("--db-name", default="conjunction_bench")
    parser.add_argument("-n", type=int, default=300, help="submissions of each (app and baseline), alternating")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--profile-n", type=int, default=200)
    parser.add_argument("--profile-all", action="store_true", help="the profile with Django's frames too")
    parser.add_argument(
        "--coalesce",
        type=float,
        default=3600,
        help="COALESCE_SECONDS (default an hour: the console's whole-exercise views left out; 1.0 is daphne's "
        "setting, 0 renders them at every commit: the A/B of the coalescing path)",
    )
    args = parser.parse_args()

    env = bench_env(args.db, args.layer, args.db_name)
    env["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    setup_django(env)
    from django.conf import settings
    from django.test import Client

    from exercises.models import Inject, Participant
    from exercises.services.releases import release_inject

    settings.COALESCE_SECONDS = args.coalesce  # the matrix: coalesced by daphne, left out here by default (see above)
    loop = start_loop()
    bench = make_exercise("Respond cost", players=7, injects=3)
    facilitator = Participant.objects.get(exercise_id=bench.exercise_id, role="facilitator").user
    for inject in Inject.objects.filter(exercise_id=bench.exercise_id):
        release_inject(inject=inject, by=facilitator)
    drain(loop)
    player = bench.players[0]
    create_sessions([player])
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = player.session
    inject_id = bench.injects[0][0]
    steps = list(Inject.objects.get(pk=inject_id).protocol_steps.values_list("code", flat=True))
    url = f"/exercises/{bench.exercise_id}/injects/{inject_id}/respond/"
    counter = iter(range(10**7))

    def app():
        text = f"{player.team} watch officer: avoidance manoeuvre planned, allies told (#{next(counter)})."
        return client.post(url, form({"kind": "action", "text": text, "protocol_steps": steps}), **HTMX)

    def baseline():
        data = {"text": f"ping {next(counter)}", "exercise": bench.exercise_id}
        return client.post("/bench/insert-and-send/", form(data), **HTMX)

    for _ in range(args.warmup):
        timed(app), timed(baseline)
    drain(loop)
    log(f"measuring {args.n} submissions of each")
    samples = {"app": [], "baseline": []}
    for _ in range(args.n):
        samples["app"].append(timed(app))
        samples["baseline"].append(timed(baseline))
    drain(loop)
    figures = {
        "benchmark": "respond_cost",
        "db": args.db,
        "layer": args.layer,
        "n": args.n,
        "coalesce_seconds": args.coalesce,
        "machine": machine(),
        **{kind: medians(rows) for kind, rows in samples.items()},
    }
    figures["cpu_ratio_baseline_over_app"] = round(figures["baseline"]["cpu_ms"] / figures["app"]["cpu_ms"], 3)
    figures["queries"] = {"app": queries_of(app), "baseline": queries_of(baseline)}
    figures["queries_per_submission"] = {kind: len(rows) for kind, rows in figures["queries"].items()}
    drain(loop)
    if args.profile:
        from pyinstrument import Profiler
        from pyinstrument.stack_sampler import get_stack_sampler

        get_stack_sampler().timer_func = time.thread_time  # CPU of the request thread, not wall time
        profiler = Profiler(interval=0.0005, async_mode="disabled")
        profiler.start()
        for _ in range(args.profile_n):
            app()
        profiler.stop()
        drain(loop)
        text = profiler.output_text(time="percent_of_total", show_all=args.profile_all)
        print(text, file=sys.stderr)
    emit(figures)


if __name__ == "__main__":
    main()
