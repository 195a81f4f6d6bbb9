"""Responses: 200 players submitting through the real HTTP form path, against a minimal baseline view.

    python -m bench.responses --db postgres --layer redis --players 200 --per-player 5

Each player has its own session and CSRF cookie (it loads its team page first, as a browser does)
and POSTs /exercises/<id>/injects/<inject>/respond/ with kind, text and protocol_steps and the htmx
header. The baseline, on the same daphne and in the same run, is bench/views.py: one INSERT and one
group_send to the facilitators' group. The facilitator's console socket is open throughout.

Two loads, each for the baseline and then the app:
- saturation: every player submits --per-player times back to back (a closed loop): sustained
  responses/s, and the latency it costs (by Little's law ≈ players / throughput);
- paced: --paced-rate submissions/s spread over the players (default: half the app's saturation
  throughput), the latency a player sees below saturation.

Zero loss: every acknowledged submission (2xx) must be in the database and reach the facilitator's socket.
"""

import argparse
import random
import time

from bench import harness
from bench.harness import (
    ClientPool,
    Player,
    Profiler,
    Server,
    bench_env,
    create_sessions,
    drop_redis_prefix,
    emit,
    log,
    make_exercise,
    marker,
    ratio,
    setup_django,
    summary,
    team_sockets,
)

_counter = iter(range(200000, 10**6))


def next_marker() -> str:
    return marker(next(_counter))


def request_for(kind: str, bench, player: Player, steps: list[str]) -> dict:
    m = next_marker()
    if kind == "baseline":
        return {"path": "/bench/insert-and-send/", "data": {"text": m, "exercise": bench.exercise_id}, "marker": m}
    inject_id = bench.extra["released"][player.user_id % len(bench.extra["released"])]
    return {
        "path": f"/exercises/{bench.exercise_id}/injects/{inject_id}/respond/",
        "data": {
            "kind": "action",
            "text": f"{player.team} watch officer: avoidance manoeuvre planned, allies told ({m}).",
            "protocol_steps": steps,
        },
        "marker": m,
    }


def jobs_for(kind: str, bench, server: Server, steps, *, per_player: int = 0, rate: float = 0, total: int = 0):
    jobs = {player.username: [] for player in bench.players}
    if per_player:
        for player in bench.players:
            jobs[player.username] = [request_for(kind, bench, player, steps) for _ in range(per_player)]
    else:
        rng = random.Random(7)
        at = 0.0
        for k in range(total):
            player = bench.players[k % len(bench.players)]
            at += rng.expovariate(rate)  # Poisson arrivals at `rate` per second overall
            jobs[player.username].append({**request_for(kind, bench, player, steps), "at": at})
    by_name = {player.username: player for player in bench.players}
    return [
        {
            "base": server.url,
            "session": by_name[name].session,
            "prime": f"/exercises/{bench.exercise_id}/team/",
            "requests": requests,
        }
        for name, requests in jobs.items()
        if requests
    ]


def stored_markers(kind: str, bench) -> set[str]:
    from django.db import connection

    from exercises.models import Response

    if kind == "baseline":
        with connection.cursor() as cursor:
            cursor.execute("SELECT text FROM bench_ping WHERE text LIKE %s", [f"BM{harness.RUN_ID}%"])
            texts = [row[0] for row in cursor.fetchall()]
    else:
        texts = Response.objects.filter(exercise_id=bench.exercise_id).values_list("text", flat=True)
    return {m for text in texts for m in harness.MARKER_RE.findall(text)}


def phase(kind: str, load: str, pool: ClientPool, console: ClientPool, bench, server, steps, args, **load_args):
    jobs = jobs_for(kind, bench, server, steps, **load_args)
    pool.prime(jobs)  # the team pages load before the clock starts (once per player and run)
    time.sleep(2)
    log(f"responses: {kind}, {load}: {sum(len(job['requests']) for job in jobs)} submissions")
    rows = pool.http(jobs, timeout=args.timeout)
    ok, failed = [], {}
    for row in rows:
        if isinstance(row[3], int) and 200 <= row[3] < 300:
            ok.append(row)
        else:
            failed[str(row[3])] = failed.get(str(row[3]), 0) + 1
    acked = [row[0] for row in ok]
    seen = console.collect(acked, timeout=30) if acked else {"times": {}, "missing": 0}
    stored = stored_markers(kind, bench)
    started = {row[0]: row[1] for row in ok}
    to_console = [(t - started[m]) * 1000 for m, times in seen["times"].items() for t in times if t is not None]
    span = (max(row[2] for row in ok) - min(row[1] for row in ok)) if ok else 0
    return {
        "submitted": len(rows),
        "acknowledged": len(ok),
        "refused_or_failed": failed,
        "seconds": round(span, 2),
        "per_second": round(len(ok) / span, 1) if span else None,
        "latency_ms": summary([(row[2] - row[1]) * 1000 for row in ok]),
        "until_console_ms": summary(to_console),
        "lost_in_database": sum(1 for m in acked if m not in stored),
        "lost_on_console_socket": seen["missing"],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    harness.add_common_arguments(parser)
    parser.add_argument("--players", type=int, default=200)
    parser.add_argument("--per-player", type=int, default=5, help="saturation: submissions per player")
    parser.add_argument("--paced-rate", default="auto", help="paced: submissions/s (auto: half the app's saturation)")
    parser.add_argument("--paced-seconds", type=float, default=20, help="paced: how long to offer that rate")
    parser.add_argument("--player-sockets", action="store_true", help="also open every player's team socket")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--profile", action="store_true", help="py-spy the daphne during the app's saturation")
    args = parser.parse_args()

    env = bench_env(args.db, args.layer, args.db_name)
    setup_django(env)
    from exercises.models import Inject, Participant
    from exercises.services.releases import release_inject

    bench = make_exercise("Responses", players=args.players, injects=3)
    facilitator_user = Participant.objects.get(exercise_id=bench.exercise_id, role="facilitator").user
    for inject in Inject.objects.filter(exercise_id=bench.exercise_id):
        release_inject(inject=inject, by=facilitator_user)
    bench.extra["released"] = [inject_id for inject_id, _ in bench.injects]
    steps = list(Inject.objects.get(pk=bench.injects[0][0]).protocol_steps.values_list("code", flat=True))
    control = Player(user_id=facilitator_user.pk, username=facilitator_user.username, team="")
    create_sessions([*bench.players, control])

    results = {
        "benchmark": "responses",
        "db": args.db,
        "layer": args.layer,
        "clients": args.clients,
        "players": args.players,
        "player_sockets": args.player_sockets,
        "machine": harness.machine(),
    }
    with Server("app", env) as server, ClientPool(args.clients) as pool, ClientPool(1) as console:
        opened = console.open(
            [
                {
                    "url": f"{server.ws}/ws/exercises/{bench.exercise_id}/control/",
                    "origin": server.origin,
                    "cookie": f"sessionid={control.session}",
                }
            ]
        )
        if args.player_sockets:
            opened["failed"] += pool.open(team_sockets(server, bench))["failed"]
        if opened["failed"]:
            raise RuntimeError(f"sockets failed to open: {opened['failed'][:3]}")
        time.sleep(1)
        sat = {}
        sat["baseline"] = phase(
            "baseline", "saturation", pool, console, bench, server, steps, args, per_player=args.per_player
        )
        profiler = None
        if args.profile:
            profiler = Profiler(server.pid, harness.WORK / f"responses-{args.db}-{args.layer}.pyspy.txt").start()
        sat["app"] = phase("app", "saturation", pool, console, bench, server, steps, args, per_player=args.per_player)
        if profiler:
            profiler.stop()
            results["profile_app_saturation"] = profiler.top(30)
        rate = float(args.paced_rate) if args.paced_rate != "auto" else round((sat["app"]["per_second"] or 10) / 2, 1)
        total = int(rate * args.paced_seconds)
        paced = {
            kind: phase(kind, f"paced {rate}/s", pool, console, bench, server, steps, args, rate=rate, total=total)
            for kind in ("baseline", "app")
        }
        results["console_socket"] = console.snapshot()
        results["server_errors"] = server.log_errors()[:5]
        results["daphne_rss_mb"] = round(server.rss_mb(), 1)
    results["saturation"] = sat
    results["paced"] = {"rate_per_second": rate, **paced}
    results["ratios"] = {
        "app/baseline throughput (saturation)": ratio(sat["app"]["per_second"], sat["baseline"]["per_second"]),
        "app/baseline p99 (saturation)": ratio(
            sat["app"]["latency_ms"].get("p99"), sat["baseline"]["latency_ms"].get("p99")
        ),
        "app/baseline p99 (paced)": ratio(
            paced["app"]["latency_ms"].get("p99"), paced["baseline"]["latency_ms"].get("p99")
        ),
    }
    drop_redis_prefix(env)
    emit(results)


if __name__ == "__main__":
    main()
