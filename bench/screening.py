"""Conjunction screening of a debris cloud against the seven allied satellites, against its floors.

    python -m bench.screening                       # 1,000 fragments x 72 h, brute force, scaling
    python -m bench.screening --fragments 1000 --hours 72 --no-brute --no-scaling
    python -m bench.screening --profile             # cProfile of one screen() on stderr

Issue #18's target: a 1,000-fragment cloud against the seven allied satellites over 72 h finds
every approach under 5 km that dense brute-force sampling (1 s) finds, in <= 5 s wall, at >= 0.5x the
throughput of the floor: raw SatrecArray propagation of the same object-time samples, nothing else.

- screen: exercises.orbits.screening.screen(allied, cloud, start, hours, 5.0), wall time, median of
  --repeats runs (records built inside, as a caller would).
- floor: SatrecArray.sgp4 over the same objects and the same coarse grid screen() propagates (its
  `samples` stat), in the same chunks, records built beforehand; median of --repeats. The ratio
  floor / screen is screen's throughput relative to the floor. Screen also evaluates SGP4 in its
  refinement (a few thousand scalar calls); those are reported apart, not counted as samples.
- brute force: brute_force_many at 1 s over the whole window (every pair, dense sampling only), once;
  every approach it finds under the threshold must be in screen's list within 1 s and 1 m (missed = 0),
  and screen must find nothing brute force does not (extra). Run at 5 km and at a wider threshold,
  where there are more approaches to compare.
- scaling: 100 / 1,000 / 10,000 fragments x 24 / 72 h: screen's median wall time, samples, floor.

The cloud (debris_cloud) perturbs a parent's velocity at the breakup by isotropic delta-v, log-uniform
from --dv-min to --dv-max m/s, and fits SGP4 mean elements to each fragment's state with
elements.from_state; fragments whose perigee would be under 150 km are drawn again. Any list of
MeanElements (the breakup model's output) can be screened the same way: see run().
"""

from __future__ import annotations

import argparse
import cProfile
import math
import pstats
import statistics
import time
from datetime import UTC, datetime

import numpy as np

from bench.harness import emit, log, machine
from exercises.orbits.elements import ElementsError, MeanElements, circular, from_state, julian, state_at
from exercises.orbits.propagation import records
from exercises.orbits.screening import SAMPLES_PER_CHUNK, brute_force_many, screen

START = datetime(2031, 3, 1, tzinfo=UTC)


def allied(epoch: datetime = START) -> list[MeanElements]:
    """The seven allied satellites of the bundled scenarios, at the altitudes and inclinations their texts state."""
    return [
        circular("ALLIED-SAT 7", epoch, 548, 53.0, ra_of_asc_node=40, mean_anomaly=0),
        circular("ALBION-3", epoch, 35786, 0.05, ra_of_asc_node=0, mean_anomaly=120, eccentricity=0.0002),
        circular("BOREAL-1", epoch, 780, 98.0, ra_of_asc_node=100, mean_anomaly=200),
        circular("WATTLE-2", epoch, 530, 97.5, ra_of_asc_node=250, mean_anomaly=60),
        circular("KEA-1", epoch, 520, 51.6, ra_of_asc_node=300, mean_anomaly=300),
        circular("ADLER-5", epoch, 512, 97.4, ra_of_asc_node=170, mean_anomaly=90),
        circular("MISTRAL-2", epoch, 495, 98.2, ra_of_asc_node=20, mean_anomaly=180),
    ]


def parent(epoch: datetime = START) -> MeanElements:
    """KRS-METEO 2, the ASAT test's target: in the allied satellites' band, crossing their planes."""
    return circular("KRS-METEO 2", epoch, 515, 82.0, ra_of_asc_node=210, mean_anomaly=30)


def debris_cloud(
    target: MeanElements,
    at: datetime,
    count: int,
    *,
    seed: int = 1,
    dv_min_m_s: float = 10.0,
    dv_max_m_s: float = 300.0,
    prefix: str = "KRS-METEO 2 DEB",
) -> list[MeanElements]:
    """`count` fragments of `target` broken up at `at`: isotropic delta-v, log-uniform in magnitude, fitted elements."""
    rng = np.random.default_rng(seed)
    r, v = state_at(target, at)
    fragments: list[MeanElements] = []
    while len(fragments) < count:
        direction = rng.normal(size=3)
        direction /= np.linalg.norm(direction)
        magnitude = math.exp(rng.uniform(math.log(dv_min_m_s), math.log(dv_max_m_s))) / 1000.0
        try:
            fragment = from_state(f"{prefix} {len(fragments) + 1:05d}", at, r, v + magnitude * direction)
        except ElementsError:
            continue
        if fragment.perigee_km < 150:
            continue
        fragments.append(fragment)
    return fragments


def floor_seconds(objects: list[MeanElements], start: datetime, hours: float, step_s: float) -> float:
    """Raw SatrecArray propagation of the objects on screen()'s grid, in screen()'s chunks (records prebuilt)."""
    array = records(objects)
    jd0, fr0 = julian(start)
    n_intervals = round(hours * 3600 / step_s)
    chunk = max(8, SAMPLES_PER_CHUNK // len(objects))
    began = time.perf_counter()
    for k0 in range(0, n_intervals, chunk):
        k1 = min(n_intervals, k0 + chunk)
        offsets = np.arange(k0, k1 + 1) * step_s
        array.sgp4(np.full(offsets.size, jd0), fr0 + offsets / 86400.0)
    return time.perf_counter() - began


def timed_screen(primaries, secondaries, hours, threshold_km):
    stats: dict = {}
    began = time.perf_counter()
    found = screen(primaries, secondaries, START, hours, threshold_km, stats=stats)
    return time.perf_counter() - began, found, stats


def measure(primaries, cloud, hours, threshold_km, repeats):
    """Median screen and floor wall times (alternating, so both see the same noise)."""
    screen_times, floor_times, found, stats = [], [], [], {}
    for _ in range(repeats):
        seconds, found, stats = timed_screen(primaries, cloud, hours, threshold_km)
        screen_times.append(seconds)
        floor_times.append(floor_seconds(list(dict.fromkeys(primaries + cloud)), START, hours, stats["step_s"]))
    screen_s, floor_s = statistics.median(screen_times), statistics.median(floor_times)
    return {
        "fragments": len(cloud),
        "hours": hours,
        "threshold_km": threshold_km,
        "screen_s": round(screen_s, 3),
        "screen_runs_s": [round(x, 3) for x in screen_times],
        "floor_s": round(floor_s, 3),
        "floor_runs_s": [round(x, 3) for x in floor_times],
        "throughput_vs_floor": round(floor_s / screen_s, 3),
        "samples": stats["samples"],
        "samples_per_s": round(stats["samples"] / screen_s),
        "floor_samples_per_s": round(stats["samples"] / floor_s),
        "encounters": len(found),
        "stats": stats,
    }, found


def compare(found, reference):
    """Brute force's approaches missing from screen's list (1 s, 1 m), and screen's not in brute force's."""
    by_pair: dict = {}
    for e in found:
        by_pair.setdefault((e.primary, e.secondary), []).append(e)
    missed, worst_dt, worst_dm = [], 0.0, 0.0
    matched = set()
    for key, items in reference.items():
        for tca, miss_m in items:
            near = [e for e in by_pair.get(key, []) if abs((e.tca - tca).total_seconds()) < 1.0]
            if not near or abs(near[0].miss_distance_m - miss_m) >= 1.0:
                missed.append({"pair": list(key), "tca": tca.isoformat(), "miss_m": miss_m})
                continue
            matched.add(id(near[0]))
            worst_dt = max(worst_dt, abs((near[0].tca - tca).total_seconds()))
            worst_dm = max(worst_dm, abs(near[0].miss_distance_m - miss_m))
    extra = [
        {"pair": [e.primary, e.secondary], "tca": e.tca.isoformat(), "miss_m": e.miss_distance_m}
        for e in found
        if id(e) not in matched
    ]
    return {
        "brute_force_approaches": sum(len(x) for x in reference.values()),
        "screen_approaches": len(found),
        "missed": missed,
        "extra": extra,
        "worst_tca_difference_s": worst_dt,
        "worst_miss_difference_m": worst_dm,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fragments", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=72.0)
    parser.add_argument("--threshold-km", type=float, default=5.0)
    parser.add_argument("--wide-threshold-km", type=float, default=50.0, help="a second brute-force comparison")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dv-min", type=float, default=10.0)
    parser.add_argument("--dv-max", type=float, default=300.0)
    parser.add_argument("--no-brute", action="store_true")
    parser.add_argument("--no-scaling", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    primaries = allied()
    breakup = START  # the ASAT test at the start of the window: the cloud is at its densest along the parent's orbit
    cloud = debris_cloud(
        parent(), breakup, args.fragments, seed=args.seed, dv_min_m_s=args.dv_min, dv_max_m_s=args.dv_max
    )
    figures: dict = {"benchmark": "screening", "machine": machine()}

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        timed_screen(primaries, cloud, args.hours, args.threshold_km)
        profiler.disable()
        pstats.Stats(profiler, stream=__import__("sys").stderr).sort_stats("cumulative").print_stats(25)
        return

    log(f"screen and floor: {len(cloud)} fragments x {len(primaries)} allied x {args.hours} h, {args.repeats} runs")
    main_case, found = measure(primaries, cloud, args.hours, args.threshold_km, args.repeats)
    figures["target"] = main_case
    log(main_case)

    if not args.no_brute:
        for threshold in (args.threshold_km, args.wide_threshold_km):
            log(f"brute force at 1 s, {threshold} km")
            began = time.perf_counter()
            reference = brute_force_many(primaries, cloud, START, args.hours, 1.0, threshold)
            brute_s = time.perf_counter() - began
            if threshold == args.threshold_km:
                screened = found
            else:
                _, screened, _ = timed_screen(primaries, cloud, args.hours, threshold)
            result = compare(screened, reference)
            result["brute_force_s"] = round(brute_s, 1)
            result["screen_vs_brute_force_speedup"] = round(brute_s / main_case["screen_s"], 1)
            figures[f"brute_force_{threshold:g}km"] = result
            log({k: v for k, v in result.items() if k not in ("missed", "extra")}, "missed", len(result["missed"]))

    if not args.no_scaling:
        rows = []
        for count in (100, 1000, 10000):
            bigger = cloud if count == len(cloud) else debris_cloud(parent(), breakup, count, seed=args.seed)
            for hours in (24.0, 72.0):
                log(f"scaling: {count} fragments x {hours} h")
                row, _ = measure(primaries, bigger, hours, args.threshold_km, args.repeats)
                row.pop("stats")
                rows.append(row)
                log(row)
        figures["scaling"] = rows
    emit(figures)


if __name__ == "__main__":
    main()
