"""Connect storm, burst and restart, on one daphne (clock in-process, as `make run` starts it).

    python -m bench.storm --db sqlite --layer memory --sockets 200 --burst 100
    python -m bench.storm --db postgres --layer redis --sockets 200 --burst 100

1. Storm: every player socket starts its handshake at a random moment within --window (0.5 s).
   All must be accepted (their first message, the state, arrives) at the first attempt, with no
   error in the server log (e.g. redis-py's MaxConnectionsError when its pool caps at 100).
2. Burst: --burst injects fall due at the same exercise time; the facilitator jumps the clock there
   (POST /jump/) and the next tick releases them all in one transaction. Every socket must get every
   inject, in MSEL order; we report how long until the last one lands.
3. Restart: daphne is stopped (SIGTERM, or SIGKILL with --kill), an inject is released while it is
   down (straight into the database), daphne starts again on the same port. The clients reconnect as
   the htmx ws extension does (full-jitter backoff, only after 1006/1012/1013); a socket is resynced
   when its new state holds that inject. Target: all back and resynced within 10 s.
"""

import argparse
import signal
import time
from datetime import timedelta

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
    setup_django,
    summary,
    team_sockets,
)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    harness.add_common_arguments(parser)
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--window", type=float, default=0.5, help="seconds over which the storm's handshakes start")
    parser.add_argument("--burst", type=int, default=100, help="injects released at once")
    parser.add_argument("--kill", action="store_true", help="restart with SIGKILL (a crash) instead of SIGTERM")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the restarted daphne until every socket is resynced"
    )
    args = parser.parse_args()

    env = bench_env(args.db, args.layer, args.db_name)
    setup_django(env)
    from exercises.models import Connection, Inject, Participant
    from exercises.services.releases import release_inject

    # The burst's injects are due together at T+02:00; one more, on demand, is released during the restart.
    bench = make_exercise(
        "Storm", players=args.sockets, injects=args.burst, on_demand=False, same_offset=True, offset_hours=2
    )
    extra = harness.marker(args.burst)
    late_inject = Inject.objects.create(
        exercise_id=bench.exercise_id,
        sequence=args.burst + 1,
        offset=timedelta(hours=5),
        kind="conjunction",
        title=f"Conjunction warning {extra}",
        text=harness.INJECT_TEXT,
        addressed_to_all=True,
        on_demand=True,
    )
    create_sessions(bench.players)
    results = {
        "benchmark": "storm",
        "db": args.db,
        "layer": args.layer,
        "clients": args.clients,
        "sockets": args.sockets,
        "machine": harness.machine(),
    }

    server = Server("app", env, CLOCK_IN_PROCESS="1").start()
    try:
        with ClientPool(args.clients) as pool:
            facilitator = Facilitator(server, bench.facilitator)
            time.sleep(1)
            log(f"storm: {args.sockets} sockets within {args.window} s")
            opened = pool.open(team_sockets(server, bench), window=args.window, reconnect=True, timeout=60)
            errors = server.log_errors()
            results["storm"] = {
                "window_s": args.window,
                "accepted": opened["opened"],
                "failed": len(opened["failed"]),
                "failures": opened["failed"][:5],
                "needed_a_retry": opened["retried"],
                "state_received_ms_after_storm_start": summary(opened["state_ms"]),
                "pool_errors_in_log": sum(1 for line in errors if "MaxConnections" in line or "Too many" in line),
                "server_errors": errors[:5],
            }
            time.sleep(2)

            log(f"burst: {args.burst} injects due at once")
            markers = [m for _, m in bench.injects]
            started = time.monotonic()
            response = facilitator.post(f"/exercises/{bench.exercise_id}/jump/", {"exercise_time": "T+02:00:00"})
            if response.status_code >= 400:
                raise RuntimeError(f"jump failed: {response.status_code} {response.text[:300]}")
            got = pool.collect(markers, timeout=120)
            per_socket_last = []
            sockets = got["sockets"]
            for index in range(sockets):
                times = [got["times"][m][index] for m in markers]
                if all(t is not None for t in times):
                    per_socket_last.append((max(times) - started) * 1000)
            first_inject = [(t - started) * 1000 for t in got["times"][markers[0]] if t is not None]
            results["burst"] = {
                "injects": args.burst,
                "sockets": sockets,
                "sockets_with_every_inject": len(per_socket_last),
                "missing_deliveries": got["missing"],
                "sockets_out_of_order": got["out_of_order"],
                "sockets_sent_the_state_again": got["resent"],
                "first_inject_ms": summary(first_inject),
                "all_injects_per_socket_ms": summary(per_socket_last),
                "last_lands_ms": round(max(per_socket_last), 1) if per_socket_last else None,
                "server_errors": server.log_errors()[:5],
            }
            time.sleep(2)

            log("restart: stop daphne, release while down, start again")
            facilitator_user = Participant.objects.get(exercise_id=bench.exercise_id, role="facilitator").user
            stopped = time.monotonic()
            server.stop(signal.SIGKILL if args.kill else signal.SIGTERM)
            down_at = time.monotonic()
            release_inject(inject=late_inject, by=facilitator_user)
            rows_while_down = Connection.objects.filter(participant__exercise_id=bench.exercise_id).count()
            server = Server("app", env, port=server.port, CLOCK_IN_PROCESS="1").start()
            up_at = time.monotonic()
            profiler = None
            if args.profile:  # attaching takes a second of its own: the restart's times are not the unprofiled ones
                profiler = Profiler(server.pid, harness.WORK / "storm-restart.pyspy.txt", rate=100).start()
            back = pool.resynced(extra, since=stopped, timeout=60)
            if profiler:
                profiler.stop()
            snapshot = pool.snapshot()
            results["restart"] = {
                "signal": "SIGKILL" if args.kill else "SIGTERM",
                "stop_s": round(down_at - stopped, 2),
                "daphne_start_s": round(up_at - down_at, 2),
                "resynced": len(back["times"]),
                "not_resynced": back["missing"],
                "connect_attempts": back["attempts"],
                "close_codes_seen": snapshot["close_codes"],
                "resynced_after_stop_s": summary([t - stopped for t in back["times"]], 2),
                "all_resynced_after_stop_s": round(max(back["times"]) - stopped, 2) if back["times"] else None,
                "all_resynced_after_daphne_up_s": round(max(back["times"]) - up_at, 2) if back["times"] else None,
                "handshake_done_after_daphne_up_s": summary([t - up_at for t in back["handshakes"]], 2),
                "presence_rows_while_down": rows_while_down,
                "presence_rows_after": Connection.objects.filter(participant__exercise_id=bench.exercise_id).count(),
                "server_errors": server.log_errors()[:5],
            }
            if profiler:
                results["restart"]["profile"] = profiler.top(40)
            pool.close_sockets()
            facilitator.close()
    finally:
        server.stop()
    drop_redis_prefix(env)
    emit(results)


if __name__ == "__main__":
    main()
