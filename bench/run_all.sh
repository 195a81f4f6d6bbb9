#!/usr/bin/env bash
# Run the benchmarks as docs/benchmarks.md reports them. Each writes its one JSON line to
# bench/results/<name>.json (its progress to /tmp/conjunction-bench/<name>.log).
#   bash bench/run_all.sh                 # everything (about an hour and a half, plus the soak)
#   bash bench/run_all.sh fanout-sqlite-memory responses-postgres-redis-fixed
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres) and Redis on 127.0.0.1:6379; uses its own
# database (conjunction_bench) and Redis key prefix. Not run by CI.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
OUT=bench/results
LOGS=/tmp/conjunction-bench
mkdir -p "$OUT" "$LOGS"

# The candidate fixes proposed in docs/benchmarks.md, switched on for the "-fixed" runs.
FIXES=(BENCH_HTTP_LIMIT=16 BENCH_REDIS_SOCKET_TIMEOUT=30)

declare -A RUNS=(
  [fanout-sqlite-memory]="$PY -m bench.fanout --db sqlite --layer memory --profile"
  [fanout-postgres-redis]="$PY -m bench.fanout --db postgres --layer redis --profile"
  [fanout-sqlite-memory-candidates]="$PY -m bench.fanout --db sqlite --layer memory --sockets 200 --paths app app-async app-async-deferred bare-sync bare-async raw"
  [fanout-postgres-redis-candidates]="env BENCH_REDIS_SOCKET_TIMEOUT=30 $PY -m bench.fanout --db postgres --layer redis --sockets 200 --paths app app-async app-async-deferred bare-sync bare-async raw"
  [responses-sqlite-memory]="$PY -m bench.responses --db sqlite --layer memory"
  [responses-sqlite-memory-fixed]="env BENCH_SQLITE_IMMEDIATE=1 BENCH_HTTP_LIMIT=16 $PY -m bench.responses --db sqlite --layer memory"
  [responses-postgres-redis-fixed]="env ${FIXES[*]} $PY -m bench.responses --db postgres --layer redis"
  [responses-postgres-redis-fixed-rerun]="env ${FIXES[*]} $PY -m bench.responses --db postgres --layer redis"
  [responses-postgres-redis-pool20-profiled]="env BENCH_PG_POOL=20 $PY -m bench.responses --db postgres --layer redis --profile"
  [responses-postgres-redis-fixed-profiled]="env ${FIXES[*]} $PY -m bench.responses --db postgres --layer redis --profile"
  [reports-postgres]="$PY -m bench.reports --db postgres --profile"
  [reports-postgres-after-archive-fix]="$PY -m bench.reports --db postgres --formats html json"
  [reports-sqlite]="$PY -m bench.reports --db sqlite"
  [scale-out-postgres-redis]="$PY -m bench.scale_out --sockets 400 --releases 30"
  [scale-out-postgres-redis-fixed]="env ${FIXES[*]} $PY -m bench.scale_out --sockets 400 --releases 30"
  [storm-sqlite-memory]="$PY -m bench.storm --db sqlite --layer memory"
  [storm-postgres-redis]="$PY -m bench.storm --db postgres --layer redis"
  [storm-postgres-redis-fixed]="env ${FIXES[*]} $PY -m bench.storm --db postgres --layer redis"
  [storm-sqlite-memory-async]="env BENCH_ASYNC_CONSUMERS=1 $PY -m bench.storm --db sqlite --layer memory"
  [storm-postgres-redis-async]="env ${FIXES[*]} BENCH_ASYNC_CONSUMERS=1 $PY -m bench.storm --db postgres --layer redis"
  [storm-postgres-redis-async-cached]="env ${FIXES[*]} BENCH_ASYNC_CONSUMERS=1 BENCH_STATE_CACHE=1 $PY -m bench.storm --db postgres --layer redis"
  [storm-postgres-redis-all-candidates]="env ${FIXES[*]} BENCH_ASYNC_CONSUMERS=1 BENCH_STATE_CACHE=1 BENCH_DEFER_MATRICES=0.5 $PY -m bench.storm --db postgres --layer redis"
  [storm-sqlite-memory-async-cached]="env BENCH_ASYNC_CONSUMERS=1 BENCH_STATE_CACHE=1 $PY -m bench.storm --db sqlite --layer memory"
  [soak-postgres-redis]="$PY -m bench.soak --db postgres --layer redis --duration 600"
  [soak-postgres-redis-fixed]="env ${FIXES[*]} $PY -m bench.soak --db postgres --layer redis --duration 300 --skip-memory"
)
ORDER=(reports-postgres fanout-sqlite-memory fanout-postgres-redis fanout-sqlite-memory-candidates
       fanout-postgres-redis-candidates responses-sqlite-memory responses-sqlite-memory-fixed responses-postgres-redis-fixed
       storm-sqlite-memory storm-postgres-redis storm-sqlite-memory-async storm-postgres-redis-async
       storm-postgres-redis-async-cached storm-postgres-redis-all-candidates
       scale-out-postgres-redis scale-out-postgres-redis-fixed soak-postgres-redis soak-postgres-redis-fixed)
# Also defined above but not in the default order: reports-sqlite, reports-postgres-after-archive-fix,
# responses-postgres-redis-fixed-rerun and -profiled, responses-postgres-redis-pool20-profiled (it
# times out PostgreSQL connections for everyone on that server), storm-sqlite-memory-async-cached.
# Not in the list: responses-postgres-redis as the app stands. At 200 concurrent players it opens more
# PostgreSQL connections than the server allows (see docs/benchmarks.md) and so disturbs anything else
# using that server; run it by hand: .venv/bin/python -m bench.responses --db postgres --layer redis

for name in "${@:-${ORDER[@]}}"; do
  echo "$(date +%T) $name: ${RUNS[$name]}" >&2
  ${RUNS[$name]} > "$OUT/$name.json" 2> "$LOGS/$name.log" || echo "$(date +%T) $name FAILED (see $LOGS/$name.log)" >&2
done
