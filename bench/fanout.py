"""Fan-out: N player sockets; the facilitator releases an inject addressed to all; until each socket has it.

    python -m bench.fanout --db sqlite --layer memory --sockets 50 200 500 --releases 30
    python -m bench.fanout --db postgres --layer redis --sockets 50 200 500 --releases 30

For each N, in this order and in the same run: the app (N real players over the seven teams, each
with its own session; releases POSTed to daphne as the console does), then the baselines with the
same client harness: a bare sync Channels consumer and a bare async one (bench/bare_asgi.py, a
group_send of a fragment of the app's size), and a raw `websockets` broadcast server (the limit).
Latency = arrival at the socket − monotonic time just before the POST (or the control message).
"""

import argparse
import time

import httpx
from websockets.sync.client import connect as ws_connect

from bench import harness
from bench.harness import (
    ClientPool,
    Facilitator,
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


def measure(pool: ClientPool, trigger, markers: list[str], *, warmup: int, gap: float, timeout: float) -> dict:
    """Trigger each marker in turn, wait until every socket has it, keep the per-socket latencies."""
    each, last, first, post, lost = [], [], [], [], 0
    for index, m in enumerate(markers):
        started, posted = trigger(m)
        got = pool.collect([m], timeout=timeout)
        times = got["times"][m]
        latencies = [(t - started) * 1000 for t in times if t is not None]
        lost_here = sum(1 for t in times if t is None)
        if index >= warmup:
            each += latencies
            if latencies:
                last.append(max(latencies))
                first.append(min(latencies))
            post.append((posted - started) * 1000)
            lost += lost_here
        time.sleep(gap)
    return {
        "releases": len(markers) - warmup,
        "each_socket_ms": summary(each),
        "last_socket_ms": summary(last),
        "first_socket_ms": summary(first),
        "post_ms": summary(post),
        "lost": lost,
    }


def connect_all(pool: ClientPool, sockets: list[dict], args) -> dict:
    """Open the sockets as browsers would (retrying after 1006); fail if any is still shut out."""
    started = time.monotonic()
    opened = pool.open(sockets, concurrency=args.concurrency, reconnect=True, timeout=180)
    if opened["failed"]:
        raise RuntimeError(f"{len(opened['failed'])} sockets failed to open: {opened['failed'][:3]}")
    return {"seconds": round(time.monotonic() - started, 1), "needed_a_retry": opened["retried"]}


def run_app(args, env, n: int, pool: ClientPool, **server_env) -> tuple[dict, int]:
    from exercises import fragments
    from exercises.models import Release

    bench = make_exercise(f"Fan-out {n}", players=n, injects=args.releases + args.warmup)
    create_sessions(bench.players)
    figures = {}
    with Server("app", env, **server_env) as server:
        facilitator = Facilitator(server, bench.facilitator)
        opened = connect_all(pool, team_sockets(server, bench), args)
        time.sleep(args.settle)
        rss_before = server.rss_mb()
        ids = dict((m, inject_id) for inject_id, m in bench.injects)

        def trigger(m):
            started = facilitator.release(bench.exercise_id, ids[m])
            return started, time.monotonic()

        profiler = None
        if args.profile and n == args.profile_at:
            label = "-".join(sorted(server_env)).lower().replace("bench_", "") or "as-is"
            profiler = Profiler(server.pid, harness.WORK / f"fanout-{args.layer}-{n}-{label}.pyspy.txt").start()
        figures = measure(
            pool, trigger, [m for _, m in bench.injects], warmup=args.warmup, gap=args.gap, timeout=args.timeout
        )
        if profiler:
            profiler.stop()
            figures["profile"] = profiler.top(args.profile_top)
        figures["connect"] = opened
        figures["daphne_rss_mb"] = {"before": round(rss_before, 1), "after": round(server.rss_mb(), 1)}
        figures["server_errors"] = server.log_errors()[:5]
        pool.close_sockets()
        facilitator.close()
    release = Release.objects.filter(inject_id=bench.injects[0][0]).select_related("inject").first()
    size = len(fragments.released_inject(release).encode())
    return figures, size


def run_bare(args, env, n: int, pool: ClientPool, size: int, flavour: str, base: int) -> dict:
    with Server("bare", env) as server:
        opened = connect_all(
            pool, [{"url": f"{server.ws}/ws/bare/{flavour}/", "origin": server.origin} for _ in range(n)], args
        )
        time.sleep(args.settle)
        client = httpx.Client(base_url=server.url, timeout=60)

        def trigger(m):
            started = time.monotonic()
            response = client.post("/send/", params={"group": f"bare-{flavour}", "marker": m, "size": size})
            response.raise_for_status()
            return started, time.monotonic()

        markers = [marker(base + i) for i in range(args.releases + args.warmup)]
        figures = measure(pool, trigger, markers, warmup=args.warmup, gap=args.gap, timeout=args.timeout)
        figures["connect"] = opened
        figures["server_errors"] = server.log_errors()[:5]
        pool.close_sockets()
        client.close()
    return figures


def run_raw(args, env, n: int, pool: ClientPool, size: int, base: int) -> dict:
    with Server("raw", env) as server:
        opened = connect_all(pool, [{"url": f"{server.ws}/", "origin": server.origin} for _ in range(n)], args)
        time.sleep(args.settle)
        with ws_connect(f"{server.ws}/control") as control:

            def trigger(m):
                started = time.monotonic()
                control.send(f"{m} {size}")
                control.recv(timeout=30)
                return started, time.monotonic()

            markers = [marker(base + i) for i in range(args.releases + args.warmup)]
            figures = measure(pool, trigger, markers, warmup=args.warmup, gap=args.gap, timeout=args.timeout)
        figures["connect"] = opened
        pool.close_sockets()
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    harness.add_common_arguments(parser)
    parser.add_argument("--sockets", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument("--releases", type=int, default=30, help="measured releases per N and path")
    parser.add_argument("--warmup", type=int, default=2, help="releases before the measured ones (not counted)")
    parser.add_argument("--gap", type=float, default=0.2, help="seconds between releases")
    parser.add_argument("--settle", type=float, default=1.0, help="seconds after connecting, before releasing")
    parser.add_argument("--timeout", type=float, default=30.0, help="longest wait for one release")
    parser.add_argument("--concurrency", type=int, default=10, help="handshakes in flight per client process")
    parser.add_argument(
        "--paths",
        nargs="+",
        default=["app", "bare-sync", "bare-async", "raw"],
        help="app: Conjunction's own consumers (async since issue #7); bare-sync / bare-async: bare Channels consumers",
    )
    parser.add_argument("--profile", action="store_true", help="py-spy the app's daphne at --profile-at sockets")
    parser.add_argument("--profile-at", type=int, default=200)
    parser.add_argument("--profile-top", type=int, default=25)
    args = parser.parse_args()

    env = bench_env(args.db, args.layer, args.db_name)
    setup_django(env)
    results = {
        "benchmark": "fanout",
        "db": args.db,
        "layer": args.layer,
        "clients": args.clients,
        "machine": harness.machine(),
        "by_sockets": {},
    }
    size = 2048
    with ClientPool(args.clients) as pool:
        for round_, n in enumerate(args.sockets):
            row = {}
            if "app" in args.paths:
                log(f"fan-out: app, {n} sockets")
                try:
                    row["app"], size = run_app(args, env, n, pool)
                    row["fragment_bytes"] = size
                except Exception as error:
                    row["app_error"] = f"{type(error).__name__}: {error}"[:500]
                    log(row["app_error"])
                    pool.close_sockets()
            for flavour in ("sync", "async"):
                if f"bare-{flavour}" in args.paths:
                    log(f"fan-out: bare Channels ({flavour}), {n} sockets")
                    base = 10000 * (round_ + 1) + (0 if flavour == "sync" else 5000)
                    row[f"bare_{flavour}"] = run_bare(args, env, n, pool, size, flavour, base)
            if "raw" in args.paths:
                log(f"fan-out: raw websockets, {n} sockets")
                row["raw"] = run_raw(args, env, n, pool, size, 100000 + 10000 * round_)
            ratios = {}
            for mine in ("app",):
                if "each_socket_ms" not in row.get(mine, {}):
                    continue
                for other in ("bare_sync", "bare_async", "raw"):
                    if other in row:
                        for what in ("each_socket_ms", "last_socket_ms"):
                            for p in ("p50", "p99"):
                                ratios[f"{mine}/{other} {what} {p}"] = ratio(
                                    row[mine][what].get(p), row[other][what].get(p)
                                )
            row["ratios"] = ratios
            results["by_sockets"][str(n)] = row
            log(f"fan-out {n}: " + ", ".join(f"{k}={v}" for k, v in row.get("ratios", {}).items() if "p99" in k))
    drop_redis_prefix(env)
    emit(results)


if __name__ == "__main__":
    main()
