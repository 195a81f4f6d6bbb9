"""Memory and soak: daphne's resident memory per 100 sockets, then a long run with reconnects.

    python -m bench.soak --db postgres --layer redis --duration 3600
    python -m bench.soak --db postgres --layer redis --duration 600 --restart-every 200

1. Memory: daphne's RSS after start-up and one release, then with 100, 200, … sockets open (each
   step settles first); the slope is MB per 100 sockets. The bare sync Channels consumer, measured
   the same way in the same run, is the baseline.
2. Soak for --duration seconds: every --cycle-every seconds a --fraction of the sockets drop (half
   abruptly, as a network cut: no close frame; half with a clean close, as a page left) and come back
   with htmx's backoff; an inject is released every --release-every seconds. Every --sample-every
   seconds: the size of each Redis group (ZCARD of the layer's group key), daphne's RSS, the presence
   rows (Connection) and the open sockets. The soak's daphne ticks the clock in-process, as `make run`
   does (it expires presence rows no page reports on). --restart-every kills daphne (SIGKILL) and starts
   it again, to show what a crash leaves in the groups (members stay until group_expiry, 300 s here).
   At the end every socket must hold every released inject (from a push or from its state on reconnect).
"""

import argparse
import signal
import time

from bench import harness
from bench.harness import (
    ClientPool,
    Facilitator,
    Server,
    bench_env,
    create_sessions,
    drop_redis_prefix,
    emit,
    log,
    make_exercise,
    setup_django,
    team_sockets,
)


def slope(points: list[tuple[int, float]]) -> float | None:
    """Least-squares MB per 100 sockets."""
    if len(points) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    num = sum((x - mean_x) * (y - mean_y) for x, y in points)
    den = sum((x - mean_x) ** 2 for x, _ in points)
    return round(100 * num / den, 2) if den else None


def memory_steps(server: Server, pool: ClientPool, specs_for, steps: list[int], settle: float) -> dict:
    points = [(0, server.rss_mb())]
    opened = 0
    for step in steps:
        pool.open(specs_for(opened, step), concurrency=10, reconnect=True, timeout=180)
        opened = step
        time.sleep(settle)
        points.append((step, server.rss_mb()))
        log(f"memory: {step} sockets, {points[-1][1]:.1f} MB")
    pool.close_sockets()
    return {"rss_mb": {str(x): round(y, 1) for x, y in points}, "mb_per_100_sockets": slope(points)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    harness.add_common_arguments(parser, db="postgres", layer="redis")
    parser.add_argument("--steps", type=int, nargs="+", default=[100, 200, 300, 400, 500])
    parser.add_argument("--settle", type=float, default=5)
    parser.add_argument("--sockets", type=int, default=200, help="sockets during the soak")
    parser.add_argument("--duration", type=float, default=3600, help="soak seconds")
    parser.add_argument("--cycle-every", type=float, default=5)
    parser.add_argument("--fraction", type=float, default=0.1, help="share of sockets dropped at each cycle")
    parser.add_argument("--release-every", type=float, default=30)
    parser.add_argument("--sample-every", type=float, default=30)
    parser.add_argument("--restart-every", type=float, default=0, help="kill and restart daphne this often (0: never)")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()

    env = bench_env(args.db, args.layer, args.db_name)
    setup_django(env)
    from exercises import realtime
    from exercises.models import Connection

    releases_needed = int(args.duration / args.release_every) + 2
    top = max(args.steps + [args.sockets])
    bench = make_exercise("Soak", players=top, injects=releases_needed)
    create_sessions(bench.players)
    results = {
        "benchmark": "soak",
        "db": args.db,
        "layer": args.layer,
        "machine": harness.machine(),
        "settings": {k: v for k, v in vars(args).items() if k not in {"db", "layer", "db_name"}},
    }

    with ClientPool(args.clients) as pool:
        if not args.skip_memory:
            with Server("app", env) as server:
                facilitator = Facilitator(server, bench.facilitator)
                facilitator.release(bench.exercise_id, bench.injects[0][0])  # warm the release path
                time.sleep(1)
                log("memory: the app")
                results["memory_app"] = memory_steps(
                    server,
                    pool,
                    lambda start, stop: team_sockets(server, bench, bench.players[start:stop]),
                    args.steps,
                    args.settle,
                )
                facilitator.close()
            with Server("bare", env) as server:
                log("memory: the bare sync Channels consumer")
                results["memory_bare_sync"] = memory_steps(
                    server,
                    pool,
                    lambda start, stop: [
                        {"url": f"{server.ws}/ws/bare/sync/", "origin": server.origin} for _ in range(stop - start)
                    ],
                    args.steps,
                    args.settle,
                )

        groups = [realtime.team_group(bench.exercise_id, code) for code in harness.TEAMS]
        groups += realtime.staff_groups(bench.exercise_id)
        server = Server("app", env, CLOCK_IN_PROCESS="1").start()
        samples, released = [], []
        try:
            facilitator = Facilitator(server, bench.facilitator)
            log(f"soak: {args.sockets} sockets for {args.duration:.0f} s")
            pool.open(team_sockets(server, bench, bench.players[: args.sockets]), concurrency=10, reconnect=True)
            started = time.monotonic()
            next_cycle = started + args.cycle_every
            next_release = started + 1
            next_sample = started
            next_restart = started + args.restart_every if args.restart_every else float("inf")
            cycled = restarts = 0
            pending = list(bench.injects[1:])
            while time.monotonic() - started < args.duration:
                now = time.monotonic()
                if now >= next_sample:
                    sample = {"t_s": round(now - started), "daphne_rss_mb": round(server.rss_mb(), 1)}
                    if args.layer == "redis":
                        sizes = harness.redis_group_sizes(env, groups)
                        sample["group_members"] = sum(sizes.values())
                        sample["largest_group"] = max(sizes.values())
                    sample["presence_rows"] = Connection.objects.filter(
                        participant__exercise_id=bench.exercise_id
                    ).count()
                    sample["sockets_open"] = pool.snapshot()["open"]
                    samples.append(sample)
                    log(f"soak: {sample}")
                    next_sample += args.sample_every
                if now >= next_cycle:
                    cycled += pool.cycle(args.fraction, 0.5, seed=int(now))
                    next_cycle += args.cycle_every
                if now >= next_release and pending:
                    inject_id, m = pending.pop(0)
                    try:
                        facilitator.release(bench.exercise_id, inject_id)
                        released.append(m)
                    except Exception as error:  # daphne restarting: try the next one later
                        log(f"release failed: {error}")
                        pending.insert(0, (inject_id, m))
                    next_release += args.release_every
                if now >= next_restart:
                    server.stop(signal.SIGKILL)
                    server = Server("app", env, port=server.port, CLOCK_IN_PROCESS="1").start()
                    restarts += 1
                    next_restart += args.restart_every
                time.sleep(0.2)
            time.sleep(5)
            final = pool.collect(released, timeout=120)
            snapshot = pool.snapshot()
            results["soak"] = {
                "seconds": round(time.monotonic() - started),
                "sockets": args.sockets,
                "dropped_and_reconnected": cycled,
                "restarts": restarts,
                "released": len(released),
                "missing_injects_at_end": final["missing"],
                "reconnects_seen_by_clients": snapshot["reconnects"],
                "close_codes": snapshot["close_codes"],
                "samples": samples,
                "server_errors": server.log_errors()[:5],
            }
            pool.close_sockets()
            time.sleep(3)
            if args.layer == "redis":
                results["soak"]["group_members_after_all_closed"] = sum(harness.redis_group_sizes(env, groups).values())
            results["soak"]["presence_rows_after_all_closed"] = Connection.objects.filter(
                participant__exercise_id=bench.exercise_id
            ).count()
            facilitator.close()
        finally:
            server.stop()
    drop_redis_prefix(env)
    emit(results)


if __name__ == "__main__":
    main()
