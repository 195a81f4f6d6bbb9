"""Scale-out: two daphne processes on different ports share PostgreSQL and Redis, half the players on each.

    python -m bench.scale_out --sockets 400 --releases 30

The facilitator releases through daphne A's HTTP endpoint; every player, on A or on B, must get the
inject. Baseline in the same run: one daphne holding all the sockets (same exercise, fresh injects).
One client process per daphne (so the figures split by side); the two daphnes and the two client
processes share the machine's 2 cores.
"""

import argparse
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
    ratio,
    setup_django,
    summary,
    team_sockets,
)


def releases(facilitator, bench, injects, sides: dict, *, warmup: int, gap: float, timeout: float) -> dict:
    """Release each inject through A; collect from every side's pool."""
    each = {name: [] for name in sides}
    last, lost = [], 0
    for index, (inject_id, m) in enumerate(injects):
        started = facilitator.release(bench.exercise_id, inject_id)
        latest = 0.0
        for name, pool in sides.items():
            got = pool.collect([m], timeout=timeout)
            times = got["times"][m]
            if index >= warmup:
                each[name] += [(t - started) * 1000 for t in times if t is not None]
                lost += sum(1 for t in times if t is None)
                latest = max([latest] + [(t - started) * 1000 for t in times if t is not None])
        if index >= warmup:
            last.append(latest)
        time.sleep(gap)
    every = [value for values in each.values() for value in values]
    return {
        "releases": len(injects) - warmup,
        "each_socket_ms": summary(every),
        "last_socket_ms": summary(last),
        "by_process": {name: summary(values) for name, values in each.items()},
        "lost": lost,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    harness.add_common_arguments(parser, db="postgres", layer="redis")
    parser.add_argument("--sockets", type=int, default=400)
    parser.add_argument("--releases", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--gap", type=float, default=0.2)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    if args.layer != "redis":
        parser.error("two processes share groups only through Redis: use --layer redis")

    env = bench_env(args.db, args.layer, args.db_name)
    setup_django(env)
    per_run = args.releases + args.warmup
    bench = make_exercise("Scale-out", players=args.sockets, injects=2 * per_run)
    create_sessions(bench.players)
    half_a, half_b = bench.players[0::2], bench.players[1::2]
    results = {
        "benchmark": "scale_out",
        "db": args.db,
        "layer": args.layer,
        "sockets": args.sockets,
        "machine": harness.machine(),
    }
    with Server("app", env) as a, Server("app", env) as b, ClientPool(1) as pool_a, ClientPool(1) as pool_b:
        facilitator = Facilitator(a, bench.facilitator)
        log(f"scale-out: {len(half_a)} sockets on A, {len(half_b)} on B")
        for pool, server, half in ((pool_a, a, half_a), (pool_b, b, half_b)):
            opened = pool.open(team_sockets(server, bench, half), concurrency=10, reconnect=True, timeout=180)
            if opened["failed"]:
                raise RuntimeError(f"{len(opened['failed'])} sockets failed: {opened['failed'][:3]}")
        time.sleep(1)
        rss = {"A_before": round(a.rss_mb(), 1), "B_before": round(b.rss_mb(), 1)}
        results["two_processes"] = releases(
            facilitator,
            bench,
            bench.injects[:per_run],
            {"A (releases here)": pool_a, "B": pool_b},
            warmup=args.warmup,
            gap=args.gap,
            timeout=args.timeout,
        )
        rss.update({"A_after": round(a.rss_mb(), 1), "B_after": round(b.rss_mb(), 1)})
        results["two_processes"]["daphne_rss_mb"] = rss
        results["two_processes"]["server_errors"] = (a.log_errors() + b.log_errors())[:5]
        pool_a.close_sockets()
        pool_b.close_sockets()

        log(f"baseline: all {args.sockets} sockets on A")
        for pool, half in ((pool_a, half_a), (pool_b, half_b)):
            opened = pool.open(team_sockets(a, bench, half), concurrency=10, reconnect=True, timeout=180)
            if opened["failed"]:
                raise RuntimeError(f"{len(opened['failed'])} sockets failed: {opened['failed'][:3]}")
        time.sleep(1)
        results["one_process"] = releases(
            facilitator,
            bench,
            bench.injects[per_run:],
            {"A half 1": pool_a, "A half 2": pool_b},
            warmup=args.warmup,
            gap=args.gap,
            timeout=args.timeout,
        )
        results["one_process"]["server_errors"] = a.log_errors()[:5]
        pool_a.close_sockets()
        pool_b.close_sockets()
        facilitator.close()
    results["ratios"] = {
        f"two/one {what} {p}": ratio(results["two_processes"][what].get(p), results["one_process"][what].get(p))
        for what in ("each_socket_ms", "last_socket_ms")
        for p in ("p50", "p99")
    }
    drop_redis_prefix(env)
    emit(results)


if __name__ == "__main__":
    main()
