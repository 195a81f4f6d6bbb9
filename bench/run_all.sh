#!/usr/bin/env bash
# Run the benchmarks as docs/benchmarks.md reports them. Each writes its one JSON line to
# bench/results/<name>.json (its progress to /tmp/conjunction-bench/<name>.log).
#   bash bench/run_all.sh                 # everything (about 50 minutes, plus the hour-long soak)
#   bash bench/run_all.sh fanout-sqlite-memory-after responses-postgres-redis-after
#   bash bench/run_all.sh issue18         # issue #18's targets (about 25 minutes)
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres) and Redis on 127.0.0.1:6379; uses its own
# database (conjunction_bench) and Redis key prefix. Not run by CI.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
OUT=bench/results
LOGS=/tmp/conjunction-bench
mkdir -p "$OUT" "$LOGS"

# The runs of docs/benchmarks.md as the app stands since issue #7's fifth round (the "-after" and "-rep" figures;
# round 4's are the "-round4" files, round 3's the "-round3" ones; round 2's hour-long soak is "-hour-round2"). The other files in
# bench/results/ are the "before" runs, made at commit 96b4076 with the candidate switches of that time
# (BENCH_HTTP_LIMIT, BENCH_ASYNC_CONSUMERS, …), which are in the core now; check that commit out to rerun them.
declare -A RUNS=(
  [fanout-sqlite-memory-after]="$PY -m bench.fanout --db sqlite --layer memory --sockets 50 200 500"
  [fanout-postgres-redis-after]="$PY -m bench.fanout --db postgres --layer redis --sockets 50 200 500"
  [fanout-postgres-redis-after-profiled]="$PY -m bench.fanout --db postgres --layer redis --sockets 200 --paths app --profile"
  [responses-postgres-redis-after]="$PY -m bench.responses --db postgres --layer redis"
  [responses-postgres-redis-after-profiled]="$PY -m bench.responses --db postgres --layer redis --profile"
  [responses-sqlite-memory-after]="$PY -m bench.responses --db sqlite --layer memory"
  [reports-postgres-after]="$PY -m bench.reports --db postgres"
  [scale-out-postgres-redis-after]="$PY -m bench.scale_out --sockets 400 --releases 30"
  [storm-postgres-redis-after]="$PY -m bench.storm --db postgres --layer redis"
  [storm-sqlite-memory-after]="$PY -m bench.storm --db sqlite --layer memory"
  [storm-postgres-redis-after-profiled]="$PY -m bench.storm --db postgres --layer redis --profile"
  [soak-postgres-redis-hour]="$PY -m bench.soak --db postgres --layer redis --duration 3600 --restart-every 1200"
  [soak-postgres-redis-after-15min]="$PY -m bench.soak --db postgres --layer redis --duration 900 --restart-every 450"
  # Fan-out at 200 sockets three times more per layer: one run's p99 moves by ±25 %, the target is read off the median.
  [fanout-sqlite-memory-200-rep1]="$PY -m bench.fanout --db sqlite --layer memory --sockets 200 --paths app bare-sync bare-async"
  [fanout-sqlite-memory-200-rep2]="$PY -m bench.fanout --db sqlite --layer memory --sockets 200 --paths app bare-sync bare-async"
  [fanout-sqlite-memory-200-rep3]="$PY -m bench.fanout --db sqlite --layer memory --sockets 200 --paths app bare-sync bare-async"
  [fanout-postgres-redis-200-rep1]="$PY -m bench.fanout --db postgres --layer redis --sockets 200 --paths app bare-sync bare-async"
  [fanout-postgres-redis-200-rep2]="$PY -m bench.fanout --db postgres --layer redis --sockets 200 --paths app bare-sync bare-async"
  [fanout-postgres-redis-200-rep3]="$PY -m bench.fanout --db postgres --layer redis --sockets 200 --paths app bare-sync bare-async"
  # The storm (its restart above all) more times too: the 10-s target is read off the spread of runs.
  [storm-postgres-redis-after-rep1]="$PY -m bench.storm --db postgres --layer redis"
  [storm-postgres-redis-after-rep2]="$PY -m bench.storm --db postgres --layer redis"
  [storm-postgres-redis-after-rep3]="$PY -m bench.storm --db postgres --layer redis"
  [storm-postgres-redis-after-rep4]="$PY -m bench.storm --db postgres --layer redis"
  [storm-sqlite-memory-after-rep1]="$PY -m bench.storm --db sqlite --layer memory"
  [storm-sqlite-memory-after-rep2]="$PY -m bench.storm --db sqlite --layer memory"
  # Issue #18: conjunction screening of a 1,000-fragment cloud against the seven allied satellites (orbits only, no server).
  [screening]="$PY -m bench.screening"
  # Issue #18's other targets (docs/benchmarks.md, the sections named after them). Each measures its baseline in the
  # same run, interleaved; the -1/-2/-3 runs give the medians.
  [coalition-postgres-1]="$PY -m bench.coalition --db postgres --db-name conj_bench_reports -n 9"
  [coalition-postgres-2]="$PY -m bench.coalition --db postgres --db-name conj_bench_reports -n 9"
  [coalition-postgres-3]="$PY -m bench.coalition --db postgres --db-name conj_bench_reports -n 9"
  [reports-postgres-issue18-catalogue]="$PY -m bench.reports --db postgres --db-name conj_bench_reports"
  [reports-postgres-issue18-profiled-html]="$PY -m bench.reports --db postgres --db-name conj_bench_reports --profile --formats html --repeat 1"
  # perf-report's after-runs (the -before ones: the same command at commit 5f8825b, interleaved with them)
  [reports-postgres-perf-report-after-1]="$PY -m bench.reports --db postgres --db-name conj_perf_report --formats html pdf --repeat 2"
  [reports-postgres-perf-report-after-2]="$PY -m bench.reports --db postgres --db-name conj_perf_report --formats html pdf --repeat 2"
  # perf-report2's after-runs (table-layout: fixed in print, stix2 off the URLconf); the -before ones: the same command
  # on main at 8cd9a52 (a worktree of it), interleaved before, after, before, after, …
  [reports-postgres-issue18-final-after-1]="$PY -m bench.reports --db postgres --db-name conj_perf_report2 --formats html pdf --repeat 3"
  [reports-postgres-issue18-final-after-2]="$PY -m bench.reports --db postgres --db-name conj_perf_report2 --formats html pdf --repeat 3"
  [reports-postgres-issue18-final-after-3]="$PY -m bench.reports --db postgres --db-name conj_perf_report2 --formats html pdf --repeat 3"
  [manoeuvre-preview-postgres]="$PY -m bench.manoeuvre --db postgres --db-name conj_bench_preview --previews 40 --runs 3"
  # After the preview's single visibility check (perf-preview): the same run plus the in-process CPU and queries. The
  # "-before-N" files are this command on the base commit 5f8825b's app (git archive, this bench script), interleaved.
  [manoeuvre-preview-postgres-after-1]="$PY -m bench.manoeuvre --db postgres --db-name conj_bench_preview --previews 40 --runs 3 --in-process 30"
  [manoeuvre-preview-postgres-after-2]="$PY -m bench.manoeuvre --db postgres --db-name conj_bench_preview --previews 40 --runs 3 --in-process 30"
  [manoeuvre-preview-postgres-after-3]="$PY -m bench.manoeuvre --db postgres --db-name conj_bench_preview --previews 40 --runs 3 --in-process 30"
  [taxii-postgres]="$PY -m bench.taxii --db postgres --db-name conj_bench_taxii --runs 3"
  [taxii-postgres-674-objects]="$PY -m bench.taxii --db postgres --db-name conj_bench_reports --exercise 1 --runs 3"
  # issue #18 after the fix (pages read and built in the database), on the same 2,464-object collection
  [taxii-postgres-paged]="$PY -m bench.taxii --db postgres --db-name conj_bench_taxii --exercise 1 --runs 3"
  # the stored STIX objects (taxii-store), on the 5,513-object collection; -before-N: this command (without --team)
  # on main at 8cd9a52, interleaved
  [taxii-postgres-store-after-4]="$PY -m bench.taxii --db postgres --db-name conj_bench_taxii --exercise 1 --runs 3 --team GBR"
  [taxii-postgres-store-after-5]="$PY -m bench.taxii --db postgres --db-name conj_bench_taxii --exercise 1 --runs 3 --team GBR"
  [taxii-postgres-store-after-6]="$PY -m bench.taxii --db postgres --db-name conj_bench_taxii --exercise 1 --runs 3 --team GBR"
  # third pass (taxii-dates): a page reads only the dates it sends, its index range from the cursor, one INSERT for
  # its journal entry, VACUUM ANALYZE first; the 5,176-object collection (437 injects of 460 played when the
  # hour-long simulation stopped). -before-N: this command on main at 623bb1a, interleaved after, before, after, ...
  # The -no-statistics runs: --no-analyze (after) and main's bench (before), on the database as it was filled.
  [taxii-postgres-third-after-1]="$PY -m bench.taxii --db postgres --db-name conj_bench_taxii --exercise 1 --runs 3 --team GBR"
  [taxii-postgres-third-after-2]="$PY -m bench.taxii --db postgres --db-name conj_bench_taxii --exercise 1 --runs 3 --team GBR"
  [taxii-postgres-third-after-3]="$PY -m bench.taxii --db postgres --db-name conj_bench_taxii --exercise 1 --runs 3 --team GBR"
  [taxii-postgres-third-after-4]="$PY -m bench.taxii --db postgres --db-name conj_bench_taxii --exercise 1 --runs 3 --team GBR"
  # the verdict's runs, on all of taxii-dates (the deferred views frozen too); -before-N as above
  [taxii-postgres-frozen-after-1]="$PY -m bench.taxii --db postgres --db-name conj_bench_taxii --exercise 1 --runs 3 --team GBR"
  [taxii-postgres-frozen-after-2]="$PY -m bench.taxii --db postgres --db-name conj_bench_taxii --exercise 1 --runs 3 --team GBR"
  [taxii-postgres-frozen-after-3]="$PY -m bench.taxii --db postgres --db-name conj_bench_taxii --exercise 1 --runs 3 --team GBR"
  [taxii-postgres-dates-after-no-statistics]="$PY -m bench.taxii --db postgres --db-name conj_bench_taxii --exercise 1 --runs 3 --team GBR --no-analyze"
  # the last changes merged (integrate): the preview and the fan-out again
  [manoeuvre-preview-postgres-final-1]="$PY -m bench.manoeuvre --db postgres --db-name conj_bench_preview --previews 40 --runs 3 --in-process 30"
  [manoeuvre-preview-postgres-final-2]="$PY -m bench.manoeuvre --db postgres --db-name conj_bench_preview --previews 40 --runs 3 --in-process 30"
  [manoeuvre-preview-postgres-final-3]="$PY -m bench.manoeuvre --db postgres --db-name conj_bench_preview --previews 40 --runs 3 --in-process 30"
  [fanout-postgres-redis-200-final-1]="$PY -m bench.fanout --db postgres --db-name conj_bench_fanout --layer redis --sockets 200 --releases 15 --paths app bare-sync bare-async"
  [fanout-sqlite-memory-200-final-1]="$PY -m bench.fanout --db sqlite --db-name conj_bench_fanout --layer memory --sockets 200 --releases 15 --paths app bare-sync bare-async"
  [fanout-sqlite-memory-200-issue18]="$PY -m bench.fanout --db sqlite --db-name conj_bench_fanout --layer memory --sockets 200 --releases 15 --paths app bare-sync bare-async"
  [fanout-postgres-redis-200-issue18]="$PY -m bench.fanout --db postgres --db-name conj_bench_fanout --layer redis --sockets 200 --releases 15 --paths app bare-sync bare-async"
  [respond-cost-postgres-redis-issue18]="$PY -m bench.respond_cost --db postgres --db-name conj_bench_respond --layer redis -n 200"
  [respond-cost-postgres-redis-issue18-profiled]="$PY -m bench.respond_cost --db postgres --db-name conj_bench_respond --layer redis -n 60 --warmup 10 --profile --profile-n 150"
)
ORDER=(fanout-sqlite-memory-after fanout-postgres-redis-after fanout-sqlite-memory-200-rep1 fanout-postgres-redis-200-rep1
       fanout-sqlite-memory-200-rep2 fanout-postgres-redis-200-rep2 fanout-sqlite-memory-200-rep3
       fanout-postgres-redis-200-rep3 responses-postgres-redis-after
       responses-sqlite-memory-after storm-postgres-redis-after storm-sqlite-memory-after
       storm-postgres-redis-after-rep1 storm-postgres-redis-after-rep2 storm-postgres-redis-after-rep3
       storm-postgres-redis-after-rep4 storm-sqlite-memory-after-rep1 storm-sqlite-memory-after-rep2
       scale-out-postgres-redis-after reports-postgres-after fanout-postgres-redis-after-profiled
       responses-postgres-redis-after-profiled soak-postgres-redis-hour)
# Issue #18's runs (no soak): bash bench/run_all.sh issue18
ISSUE18=(coalition-postgres-1 coalition-postgres-2 coalition-postgres-3 reports-postgres-issue18-catalogue
         reports-postgres-issue18-profiled-html manoeuvre-preview-postgres-after-1
         manoeuvre-preview-postgres-after-2 manoeuvre-preview-postgres-after-3 taxii-postgres
         fanout-sqlite-memory-200-issue18 fanout-postgres-redis-200-issue18 respond-cost-postgres-redis-issue18)
# (the Redis runs use db 0 unless BENCH_REDIS_URL says otherwise: issue #18's used redis://127.0.0.1:6379/5)

if [[ "${1:-}" == issue18 ]]; then set -- "${ISSUE18[@]}"; fi
for name in "${@:-${ORDER[@]}}"; do
  echo "$(date +%T) $name: ${RUNS[$name]}" >&2
  ${RUNS[$name]} > "$OUT/$name.json" 2> "$LOGS/$name.log" || echo "$(date +%T) $name FAILED (see $LOGS/$name.log)" >&2
done
