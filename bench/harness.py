"""Shared harness: the benchmark environment, servers, players and their sessions, the socket clients, figures.

The coordinator (the benchmark script) sets up Django against a benchmark database of its own,
creates the exercise, players and sessions, starts the servers as subprocesses and drives them
over HTTP; a pool of client processes holds the websockets (asyncio + `websockets`) and stamps
each fragment with time.monotonic() when it arrives. CLOCK_MONOTONIC is system-wide on Linux,
so the coordinator's "just before the POST" and the clients' arrival times share one clock.
"""

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(tempfile.gettempdir()) / "conjunction-bench"
SECRET = "bench-only-not-secret"
PG = "postgres://postgres@127.0.0.1:5432/{name}"
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")  # another db: BENCH_REDIS_URL
PASSWORD = "bench-facilitator-password"
TEAMS = ["USA", "GBR", "CAN", "AUS", "NZL", "DEU", "FRA"]

# Every release or response the clients must notice carries a marker like "BMk3x0042".
MARKER_RE = re.compile(r"BM[0-9a-z]+x[0-9]+")
# What a page counts for its sync report (static/js/conjunction.js): the items of each feed, by id.
FEED_ITEM_RE = {
    "injects": re.compile(r'<article class="inject [^"]*" id="inject-(\d+)"'),
    "responses": re.compile(r'<article class="response" id="response-(\d+)"'),
    "messages": re.compile(r'<article class="message [^"]*" id="message-(\d+)"'),
    "assessments": re.compile(r'<article class="assessment" id="assessment-(\d+)"'),
    "released": re.compile(r'<tr id="inject-row-(\d+)" class="released"'),  # the console's MSEL
}
SYNC_EVERY = 30.0  # seconds between a page's sync reports
RECONNECT_CODES = {1006, 1012, 1013, 4012, 4013}
WHOLE_STATE = 'id="inject-feed" hx-swap-oob="innerHTML"'  # the team state's feed, sent whole
RECONNECT_CAP_EXPONENT = 2  # static/js/conjunction.js: full jitter up to 2^min(retries, 2) s after a lost server
RUN_ID = "".join(random.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(5))


def marker(n: int) -> str:
    return f"BM{RUN_ID}x{n:04d}"


def median_of_runs(runs: list[dict]) -> dict:
    """The median over runs of each path's p50/p99/max (app, baseline) and of the p99 ratio."""
    median = {
        kind: {key: statistics.median(run[kind][key] for run in runs) for key in ("p50", "p99", "max")}
        for kind in ("app", "baseline")
    }
    median["p99_ratio"] = statistics.median(run["p99_ratio"] for run in runs)
    return median


def log(*parts) -> None:
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


def emit(figures: dict) -> None:
    """The benchmark's one JSON line of figures, on stdout (with the load average: the machine is shared)."""
    figures.setdefault("machine", {})["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    figures["candidate_fixes"] = {key: value for key, value in os.environ.items() if key.startswith("BENCH_")}
    print(json.dumps(figures, sort_keys=False), flush=True)


# The environment ----------------------------------------------------------------------------------


def add_common_arguments(parser: argparse.ArgumentParser, *, db="sqlite", layer="memory") -> None:
    parser.add_argument("--db", choices=["sqlite", "postgres"], default=db)
    parser.add_argument("--layer", choices=["memory", "redis"], default=layer)
    parser.add_argument("--db-name", default="conjunction_bench", help="benchmark database (never the app's own)")
    parser.add_argument("--clients", type=int, default=2, help="client processes holding the sockets")


def bench_env(db: str, layer: str, db_name: str = "conjunction_bench", *, prefix: str | None = None) -> dict:
    env = {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "SECRET_KEY": SECRET,
        "SECURE_COOKIES": "0",
        "SECURE_SSL_REDIRECT": "0",
        "CLOCK_IN_PROCESS": "0",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SUBMISSION_RATE": "100000/m",  # the per-user limit stays on the path; the benchmark must not trip it
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": f"sqlite:///{WORK / db_name}.sqlite3" if db == "sqlite" else PG.format(name=db_name),
    }
    if layer == "redis":
        env["REDIS_URL"] = REDIS
        env["CHANNEL_LAYER_PREFIX"] = prefix or f"conjbench-{RUN_ID}"
    return env


def child_env(env: dict, **extra) -> dict:
    base = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL", "CI"}}
    base.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return {**base, **env, **extra}


def setup_django(env: dict) -> None:
    """Point this process at the benchmark database and layer, create and migrate it, load the library."""
    # A SIGTERM unwinds the `with` blocks, so the servers this benchmark started are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    WORK.mkdir(parents=True, exist_ok=True)
    for key in ("REDIS_URL", "CHANNEL_LAYER_PREFIX"):
        os.environ.pop(key, None)
    os.environ.update(env)
    if env["DATABASE_URL"].startswith("postgres"):
        ensure_postgres_database(env["DATABASE_URL"].rsplit("/", 1)[1])
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from bench.views import create_table
    from exercises.models import Team

    with contextlib.redirect_stdout(sys.stderr):  # stdout carries only the JSON line of figures
        call_command("migrate", verbosity=0, interactive=False)
        if not Team.objects.exists():
            call_command("load_library", verbosity=0)
    create_table()


def ensure_postgres_database(name: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def drop_redis_prefix(env: dict) -> int:
    """Delete this run's channel-layer keys (our prefix only)."""
    prefix = env.get("CHANNEL_LAYER_PREFIX")
    if not prefix:
        return 0
    import redis

    client = redis.Redis.from_url(REDIS)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    return len(keys)


def redis_group_sizes(env: dict, groups: list[str]) -> dict:
    import redis

    client = redis.Redis.from_url(REDIS)
    return {group: client.zcard(f"{env['CHANNEL_LAYER_PREFIX']}:group:{group}") for group in groups}


def machine() -> dict:
    import platform

    import psutil

    return {
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


# Servers ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """daphne (the app or the bare-Channels baseline) or the raw websockets server, as a subprocess."""

    def __init__(self, kind: str, env: dict, *, port: int | None = None, **extra_env):
        self.kind = kind
        self.env = child_env(env, **extra_env)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}"
        self.origin = self.url
        self.process = None
        self.log_path = WORK / f"{kind}-{self.port}.log"

    def command(self) -> list[str]:
        if self.kind == "raw":
            return [sys.executable, "-m", "bench.raw_server", "--port", str(self.port)]
        app = "bench.bare_asgi:application" if self.kind == "bare" else "bench.asgi:application"
        return [sys.executable, "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(self.port), app]

    def start(self, timeout: float = 60) -> "Server":
        WORK.mkdir(parents=True, exist_ok=True)
        self.log = open(self.log_path, "a")  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command(), cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited: {self.log_path.read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.kind} did not start within {timeout} s")

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mb(self) -> float:
        import psutil

        return psutil.Process(self.pid).memory_info().rss / 2**20

    def stop(self, sig=signal.SIGTERM, timeout: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def log_errors(self) -> list[str]:
        """Lines of the server log that name an error (tracebacks, pool exhaustion, full channels)."""
        if not self.log_path.exists():
            return []
        words = ("Error", "Exception", "Traceback", "MaxConnections", "ChannelFull", "Too many connections")
        return [
            line for line in self.log_path.read_text(errors="replace").splitlines() if any(w in line for w in words)
        ]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class Profiler:
    """py-spy sampling a server for the measured phase; `top()` gives the hottest frames as text.

    py-spy takes CPU from the 2 cores too (much more with many threads): a profiled run is slower than
    an unprofiled one, so targets are judged on unprofiled runs."""

    def __init__(self, pid: int, path: Path, *, rate: int = int(os.environ.get("BENCH_PYSPY_RATE", "50"))):
        self.pid, self.path, self.rate = pid, path, rate
        self.process = None

    def start(self) -> "Profiler":
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        self.process = subprocess.Popen(
            [
                py_spy,
                "record",
                "--nonblocking",  # sampling without pausing the server: a paused daphne with many threads stalls
                "--pid",
                str(self.pid),
                "--rate",
                str(self.rate),
                "--format",
                "raw",
                *(["--threads"] if os.environ.get("BENCH_PYSPY_THREADS") else []),
                "-o",
                str(self.path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)  # py-spy attaches
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def top(self, n: int = 25) -> dict:
        return top_frames(self.path, n)


def top_frames(path: Path, n: int = 25) -> dict:
    """From py-spy's collapsed stacks: the functions with the most samples, inclusive and self."""
    inclusive, own, total = {}, {}, 0
    if not Path(path).exists():
        return {"samples": 0, "inclusive": [], "self": []}
    for line in Path(path).read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        count = int(count)
        total += count
        frames = [_short(frame) for frame in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
        own[frames[-1]] = own.get(frames[-1], 0) + count

    def best(table):
        ranked = sorted(table.items(), key=lambda item: -item[1])[:n]
        return [f"{100 * count / max(total, 1):5.1f}%  {frame}" for frame, count in ranked]

    return {"samples": total, "inclusive": best(inclusive), "self": best(own)}


def _short(frame: str) -> str:
    # "function (path/to/module.py:123)" → "function (module.py)"
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    file = where.rsplit(":", 1)[0]
    parts = Path(file).parts
    short = "/".join(parts[-2:]) if parts else file
    return f"{name} ({short})"


# The exercise, its players and their sessions ---------------------------------------------------


@dataclass
class Player:
    user_id: int
    username: str
    team: str
    session: str = ""


@dataclass
class BenchExercise:
    exercise_id: int
    facilitator: str
    players: list[Player]
    injects: list[tuple[int, str]]  # (inject id, marker in its title), in sequence order
    extra: dict = field(default_factory=dict)


INJECT_TEXT = (
    "The Combined Space Operations Centre reports a conjunction between your satellite and a fragment of the "
    "debris cloud created by last week's direct-ascent ASAT test. Time of closest approach is in 3 hours 40 "
    "minutes; the predicted miss distance is 180 m radial, 1.2 km in-track, with a probability of collision "
    "of 1 in 2,300 that is rising with each new observation. The owner of the debris has not published any "
    "tracking data. Your operators ask whether to plan an avoidance manoeuvre now, which would cost 8 days of "
    "station-keeping propellant, or to wait for the next tracking update in 90 minutes. Allies with assets in "
    "the same orbital regime have asked to be told of any manoeuvre plan so they can screen against the new "
    "ephemeris. Press officers have received a first query about debris near your constellation."
)


def ensure_users(prefix: str, count: int) -> list:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    names = [f"{prefix}{i:04d}" for i in range(count)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create(
        [User(username=name, first_name=name, password="!bench-unusable") for name in names if name not in existing]
    )
    users = {user.username: user for user in User.objects.filter(username__in=names)}
    return [users[name] for name in names]


def ensure_facilitator(username: str = "bench-control"):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username=username, password=PASSWORD, first_name="Bench control")
    return user


def make_exercise(
    name: str,
    *,
    players: int,
    injects: int,
    teams=TEAMS,
    start: bool = True,
    offset_hours: float = 10,
    on_demand: bool = True,
    same_offset: bool = False,
) -> BenchExercise:
    """An exercise of `teams` with `players` players spread over them, and `injects` injects addressed to
    all, each titled with a fresh marker. On-demand injects stay off the timeline (only a release sends
    them); with same_offset they all fall due at the same exercise time, in sequence order."""
    from django.db import transaction

    from exercises.models import Inject, Participant, ProtocolStep, Scenario, Team
    from exercises.services.clock import change_status
    from exercises.services.exercises import add_participant, create_exercise

    facilitator = ensure_facilitator()
    users = ensure_users("bench-p", players)
    team_rows = {team.code: team for team in Team.objects.filter(code__in=teams)}
    steps = list(ProtocolStep.objects.order_by("protocol__order", "order")[:2])
    with transaction.atomic():
        scenario, _ = Scenario.objects.get_or_create(name="Benchmark (empty)", defaults={"description": "bench"})
        exercise = create_exercise(
            scenario=scenario, name=f"{name} {RUN_ID}", teams=[team_rows[code] for code in teams], by=facilitator
        )
        add_participant(exercise=exercise, user=facilitator, role=Participant.Role.FACILITATOR)
        roster = []
        for index, user in enumerate(users):
            team = teams[index % len(teams)]
            add_participant(exercise=exercise, user=user, role=Participant.Role.PLAYER, team=team_rows[team])
            roster.append(Player(user_id=user.pk, username=user.username, team=team))
        base = timedelta(hours=offset_hours)
        rows = Inject.objects.bulk_create(
            [
                Inject(
                    exercise=exercise,
                    sequence=n + 1,
                    offset=base if same_offset else base + timedelta(seconds=n),
                    kind="conjunction",
                    title=f"Conjunction warning {marker(n)}",
                    text=INJECT_TEXT,
                    addressed_to_all=True,
                    originator="CSPOC",
                    expected_action="Follow the protocol.",
                    on_demand=on_demand,
                )
                for n in range(injects)
            ]
        )
        Through = Inject.protocol_steps.through
        Through.objects.bulk_create(
            [Through(inject_id=row.pk, protocolstep_id=step.pk) for row in rows for step in steps]
        )
    if start:
        change_status(exercise=exercise, action="start", by=facilitator)
    created = [(row.pk, marker(n)) for n, row in enumerate(rows)]
    return BenchExercise(exercise.pk, facilitator.username, roster, created)


def create_sessions(players: list[Player]) -> None:
    """A logged-in session per player, as /login/ would leave it (sessions live in the shared database)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    users = get_user_model().objects.in_bulk([player.user_id for player in players])
    for player in players:
        store = SessionStore()
        store[SESSION_KEY] = str(player.user_id)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = users[player.user_id].get_session_auth_hash()
        store.create()
        player.session = store.session_key


def team_sockets(server: Server, bench: BenchExercise, players: list[Player] | None = None) -> list[dict]:
    return [
        {
            "url": f"{server.ws}/ws/exercises/{bench.exercise_id}/team/",
            "origin": server.origin,
            "cookie": f"sessionid={player.session}",
        }
        for player in (bench.players if players is None else players)
    ]


class Facilitator:
    """Exercise control in a browser: logs in through /login/, then posts as htmx does (CSRF header)."""

    def __init__(self, server: Server, username: str, password: str = PASSWORD):
        import httpx

        self.server = server
        self.client = httpx.Client(base_url=server.url, timeout=60, follow_redirects=False)
        self.login(username, password)

    def login(self, username: str, password: str) -> None:
        self.client.get("/login/")
        response = self.client.post(
            "/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": self.client.cookies["csrftoken"]},
            headers={"Origin": self.server.origin, "Referer": f"{self.server.url}/login/"},
        )
        if response.status_code != 302:
            raise RuntimeError(f"facilitator login failed: {response.status_code} {response.text[:500]}")

    def post(self, path: str, data=None, *, server: Server | None = None):
        server = server or self.server
        return self.client.post(
            f"{server.url}{path}",
            data=data or {},
            headers={"X-CSRFToken": self.client.cookies["csrftoken"], "HX-Request": "true", "Origin": server.origin},
        )

    def release(self, exercise_id: int, inject_id: int, *, server: Server | None = None) -> float:
        """POST the release; return the monotonic time taken just before it."""
        started = time.monotonic()
        response = self.post(f"/exercises/{exercise_id}/injects/{inject_id}/release/", server=server)
        if response.status_code not in (204, 302):
            raise RuntimeError(f"release failed: {response.status_code} {response.text[:500]}")
        return started

    def close(self) -> None:
        self.client.close()


# The client processes ---------------------------------------------------------------------------------


class ClientPool:
    """K processes, each an asyncio loop holding its share of the sockets (socket i → process i % K)."""

    def __init__(self, processes: int = 2):
        context = multiprocessing.get_context("spawn")
        self.pipes, self.processes = [], []
        for index in range(processes):
            parent, child = context.Pipe()
            process = context.Process(target=_client_main, args=(child, index), daemon=True)
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)
        self.count = 0

    def _all(self, command: str, args: list[dict], timeout: float) -> list:
        for pipe, arg in zip(self.pipes, args, strict=True):
            pipe.send((command, arg))
        results = []
        deadline = time.monotonic() + timeout
        for pipe in self.pipes:
            if not pipe.poll(max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"client process did not answer {command!r} within {timeout} s")
            result = pipe.recv()
            if isinstance(result, dict) and result.get("error"):
                raise RuntimeError(f"client process failed on {command!r}: {result['error']}")
            results.append(result)
        return results

    def _same(self, command: str, wait: float, **arg) -> list:
        return self._all(command, [arg] * len(self.pipes), wait)

    def open(
        self,
        sockets: list[dict],
        *,
        window: float = 0.0,
        concurrency: int = 20,
        reconnect: bool = False,
        timeout: float = 120,
    ) -> dict:
        """Open sockets (adding to those open); wait for each one's first message (the state).

        window > 0: start every connect at a random moment within `window` seconds (a storm);
        otherwise at most `concurrency` handshakes per process at once."""
        shares = [[] for _ in self.pipes]
        for offset, spec in enumerate(sockets):
            shares[(self.count + offset) % len(self.pipes)].append(spec)
        self.count += len(sockets)
        start_at = time.monotonic() + 0.2
        args = [
            {
                "sockets": share,
                "window": window,
                "concurrency": concurrency,
                "reconnect": reconnect,
                "start_at": start_at,
                "timeout": timeout,
            }
            for share in shares
        ]
        results = self._all("open", args, timeout + 30)
        merged = {"opened": 0, "failed": [], "retried": 0, "state_ms": [], "started": start_at}
        for result in results:
            merged["opened"] += result["opened"]
            merged["retried"] += result["retried"]
            merged["failed"] += result["failed"]
            merged["state_ms"] += [(t - start_at) * 1000 for t in result["state_at"]]
        return merged

    def collect(self, markers: list[str], timeout: float = 30) -> dict:
        """Wait until every open socket has every marker (or the timeout); arrival times per marker."""
        results = self._same("collect", timeout + 30, markers=markers, timeout=timeout)
        merged = {"times": {m: [] for m in markers}, "missing": 0, "out_of_order": 0, "sockets": 0, "resent": 0}
        for result in results:
            merged["resent"] += result["resent"]
            for m in markers:
                merged["times"][m] += result["times"][m]
            merged["missing"] += result["missing"]
            merged["out_of_order"] += result["out_of_order"]
            merged["sockets"] += result["sockets"]
        return merged

    def resynced(self, marker_: str, since: float, timeout: float = 60) -> dict:
        """Wait until every socket has reconnected after `since` and its state holds the marker."""
        results = self._same("resynced", timeout + 30, marker=marker_, since=since, timeout=timeout)
        return {
            "times": [t for result in results for t in result["times"]],
            "missing": sum(result["missing"] for result in results),
            "attempts": sum(result["attempts"] for result in results),
            "handshakes": [t for result in results for t in result["handshakes"]],
        }

    def snapshot(self) -> dict:
        results = self._same("snapshot", 30)
        keys = ("open", "sockets", "messages", "reconnects", "state_messages")
        merged = {key: sum(result[key] for result in results) for key in keys}
        codes = {}
        for result in results:
            for code, count in result["close_codes"].items():
                codes[code] = codes.get(code, 0) + count
        merged["close_codes"] = codes
        return merged

    def cycle(self, fraction: float, abrupt: float, seed: int) -> int:
        """Drop a fraction of the sockets (some abruptly, some with a clean close); they reconnect."""
        args = [{"fraction": fraction, "abrupt": abrupt, "seed": seed + index} for index in range(len(self.pipes))]
        return sum(self._all("cycle", args, 60))

    def prime(self, jobs: list[dict]) -> int:
        """Every player loads its team page once, before anything is measured; returns how many could."""
        shares = [[] for _ in self.pipes]
        for offset, job in enumerate(jobs):
            shares[offset % len(self.pipes)].append(job)
        return sum(result["primed"] for result in self._all("prime", [{"jobs": share} for share in shares], 600))

    def http(self, jobs: list[dict], *, start_delay: float = 0.5, timeout: float = 300) -> list:
        """Players posting over HTTP: each job is one player's cookie jar and requests, run one after another
        (closed loop, or paced by each request's `at` offset). Returns (marker, start, end, status) rows."""
        shares = [[] for _ in self.pipes]
        for offset, job in enumerate(jobs):
            shares[offset % len(self.pipes)].append(job)
        start_at = time.monotonic() + start_delay
        args = [{"jobs": share, "start_at": start_at, "timeout": timeout} for share in shares]
        rows = []
        for result in self._all("http", args, timeout + 60):
            rows += result["rows"]
        return rows

    def close_sockets(self) -> None:
        self._same("close", 60)
        self.count = 0

    def shutdown(self) -> None:
        for pipe in self.pipes:
            try:
                pipe.send(("exit", {}))
            except (BrokenPipeError, OSError):
                pass
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()


@dataclass
class _Socket:
    spec: dict
    reconnect: bool
    ws: object = None
    task: object = None
    seen: dict = field(default_factory=dict)  # marker → first arrival
    order: list = field(default_factory=list)
    state_at: list = field(default_factory=list)  # arrival of each (re)connect's first message
    opened_at: list = field(default_factory=list)  # each completed handshake
    messages: int = 0
    states_resent: int = 0  # whole states sent on an open socket (a sync report found it short), not on connect
    attempts: int = 0
    close_code: object = None
    error: str = ""
    closing: bool = False
    revive: bool = False  # closed on purpose by cycle(): comes back as a new page would
    items: dict = field(default_factory=lambda: {kind: set() for kind in FEED_ITEM_RE})  # feed → ids shown


def _client_main(pipe, index: int) -> None:
    try:
        asyncio.run(_ClientWorker(pipe, index).serve())
    except KeyboardInterrupt:
        pass


class _ClientWorker:
    def __init__(self, pipe, index):
        self.pipe = pipe
        self.index = index
        self.sockets: list[_Socket] = []
        self.close_codes = {}

    async def serve(self):
        loop = asyncio.get_running_loop()
        while True:
            command, arg = await loop.run_in_executor(None, self.pipe.recv)
            if command == "exit":
                await self.close({})
                return
            try:
                result = await getattr(self, command)(arg)
            except Exception as error:  # reported to the coordinator, which raises
                result = {"error": f"{type(error).__name__}: {error}"}
            self.pipe.send(result)

    # Sockets

    async def _connect(self, sock: _Socket):
        from websockets.asyncio.client import connect

        sock.attempts += 1
        spec = sock.spec
        return await connect(
            spec["url"],
            origin=spec["origin"],
            additional_headers={"Cookie": spec["cookie"]} if spec.get("cookie") else None,
            compression=None,
            max_size=None,
            ping_interval=None,
            open_timeout=30,
            close_timeout=2,
        )

    async def _run(self, sock: _Socket, delay: float, semaphore):
        """Connect, read until closed; with reconnect, come back with htmx's full-jitter backoff."""
        await asyncio.sleep(max(0.0, delay))
        retries = 0
        while True:
            try:
                if semaphore is not None:
                    async with semaphore:
                        sock.ws = await self._connect(sock)
                else:
                    sock.ws = await self._connect(sock)
                sock.opened_at.append(time.monotonic())
                retries = 0
                first = True
                reports = asyncio.create_task(self._report(sock, sock.ws))
                try:
                    async for message in sock.ws:
                        now = time.monotonic()
                        sock.messages += 1
                        if first:
                            sock.state_at.append(now)
                            first = False
                        elif isinstance(message, str) and WHOLE_STATE in message:
                            sock.states_resent += 1
                        if isinstance(message, str):
                            for found in MARKER_RE.findall(message):
                                if found not in sock.seen:
                                    sock.seen[found] = now
                                    sock.order.append(found)
                            for kind, pattern in FEED_ITEM_RE.items():
                                sock.items[kind].update(pattern.findall(message))
                finally:
                    reports.cancel()
                code = sock.ws.close_code
            except Exception as error:
                code = getattr(getattr(error, "rcvd", None), "code", None) or type(error).__name__
                if code == "ConnectionClosedError":
                    code = 1006  # closed without a close frame: what a browser reports as 1006
                sock.error = f"{type(error).__name__}: {error}"[:200]
            sock.close_code = code
            self.close_codes[str(code)] = self.close_codes.get(str(code), 0) + 1
            # The htmx ws extension reconnects after 1006, 1012 and 1013 (a failed connect shows as 1006 in a
            # browser), with full jitter up to 2^min(retries, 2) s (static/js/conjunction.js's reconnectDelay;
            # the extension's own default capped at 2^6); the page reconnects after the server's 4012/4013,
            # waiting min(30, 2^retries) s × (0.5–1). 44xx and 1000 are final.
            if sock.revive:
                sock.revive = False
                await asyncio.sleep(random.random())  # the user opens the page again
                continue
            if sock.closing or not sock.reconnect or (isinstance(code, int) and code not in RECONNECT_CODES):
                return
            if code in (4012, 4013):
                await asyncio.sleep(min(30.0, 2.0**retries) * (0.5 + random.random() / 2))
            else:
                await asyncio.sleep(random.random() * 2 ** min(retries, RECONNECT_CAP_EXPONENT))
            retries += 1

    async def _report(self, sock: _Socket, ws) -> None:
        """Every SYNC_EVERY seconds (first at a random moment), what the page does: report how many items
        of each feed it shows, so the server re-joins its groups and keeps its presence row."""
        await asyncio.sleep(random.random() * SYNC_EVERY)
        while True:
            counts = {kind: len(ids) for kind, ids in sock.items.items()}
            counts.pop("released" if "/team/" in sock.spec["url"] else "injects")
            with contextlib.suppress(Exception):
                await ws.send(json.dumps({"type": "sync", "counts": counts}))
            await asyncio.sleep(SYNC_EVERY)

    async def open(self, arg):
        semaphore = None if arg["window"] else asyncio.Semaphore(arg["concurrency"])
        new = [_Socket(spec=spec, reconnect=arg["reconnect"]) for spec in arg["sockets"]]
        base = arg["start_at"] - time.monotonic()
        for sock in new:
            delay = base + (random.random() * arg["window"] if arg["window"] else 0)
            sock.task = asyncio.create_task(self._run(sock, delay, semaphore))
        self.sockets += new
        deadline = time.monotonic() + arg["timeout"]
        while time.monotonic() < deadline:
            if all(sock.state_at or (sock.task.done() and not sock.reconnect) for sock in new):
                break
            await asyncio.sleep(0.01)
        failed = [
            {"code": str(sock.close_code), "error": sock.error}
            for sock in new
            if not sock.state_at or (sock.close_code is not None and not sock.reconnect)
        ]
        return {
            "opened": sum(1 for sock in new if sock.state_at and sock.close_code is None),
            "failed": failed,
            "retried": sum(1 for sock in new if sock.attempts > 1),
            "state_at": [sock.state_at[0] for sock in new if sock.state_at],
        }

    def _live(self):
        return [sock for sock in self.sockets if not sock.closing]

    async def collect(self, arg):
        markers, deadline = arg["markers"], time.monotonic() + arg["timeout"]
        live = self._live()
        while time.monotonic() < deadline:
            if all(all(m in sock.seen for m in markers) for sock in live):
                break
            await asyncio.sleep(0.005)
        times = {m: [sock.seen.get(m) for sock in live] for m in markers}
        missing = sum(1 for m in markers for sock in live if m not in sock.seen)
        wanted = set(markers)
        out_of_order = sum(
            1 for sock in live if [m for m in sock.order if m in wanted] != [m for m in markers if m in sock.seen]
        )
        resent = sum(1 for sock in live if sock.states_resent)
        return {
            "times": times,
            "missing": missing,
            "out_of_order": out_of_order,
            "sockets": len(live),
            "resent": resent,
        }

    async def resynced(self, arg):
        target, since, deadline = arg["marker"], arg["since"], time.monotonic() + arg["timeout"]
        live = self._live()

        def done(sock):
            return target in sock.seen and any(t >= since for t in sock.state_at)

        while time.monotonic() < deadline and not all(done(sock) for sock in live):
            await asyncio.sleep(0.01)
        return {
            "times": [
                max(sock.seen[target], min(t for t in sock.state_at if t >= since)) for sock in live if done(sock)
            ],
            "missing": sum(1 for sock in live if not done(sock)),
            "attempts": sum(sock.attempts for sock in live),
            "handshakes": [min(t for t in sock.opened_at if t >= since) for sock in live if done(sock)],
        }

    async def snapshot(self, arg):
        live = self._live()
        return {
            "sockets": len(live),
            "open": sum(
                1 for sock in live if sock.ws is not None and sock.ws.close_code is None and not sock.task.done()
            ),
            "messages": sum(sock.messages for sock in live),
            "reconnects": sum(max(0, len(sock.state_at) - 1) for sock in live),
            "state_messages": sum(len(sock.state_at) for sock in live),
            "close_codes": dict(self.close_codes),
        }

    async def cycle(self, arg):
        rng = random.Random(arg["seed"])
        chosen = [sock for sock in self._live() if sock.ws is not None and rng.random() < arg["fraction"]]
        for sock in chosen:
            if rng.random() < arg["abrupt"]:
                sock.ws.transport.abort()  # the network drops: no close frame
            else:
                sock.revive = True
                await sock.ws.close(code=1001)  # the page is left (and opened again)
        return len(chosen)

    async def close(self, arg):
        for sock in self.sockets:
            sock.closing = True
        await asyncio.gather(*(sock.ws.close() for sock in self.sockets if sock.ws is not None), return_exceptions=True)
        for sock in self.sockets:
            if sock.task is not None:
                sock.task.cancel()
        await asyncio.gather(*(sock.task for sock in self.sockets if sock.task is not None), return_exceptions=True)
        self.sockets = []
        self.close_codes = {}
        return {"closed": True}

    # HTTP

    async def prime(self, arg):
        """Each player opens its team page once (session and CSRF cookies, as a browser's visit does)."""
        import httpx

        self.players = getattr(self, "players", {})
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        semaphore = asyncio.Semaphore(arg.get("concurrency", 10))

        async def one(job):
            known = self.players.get(job["session"])
            if known and known[1] and known[2] == 200:
                return
            client = httpx.AsyncClient(base_url=job["base"], timeout=120, limits=limits)
            client.cookies.set("sessionid", job["session"], domain="127.0.0.1")
            try:
                async with semaphore:
                    status = (await client.get(job["prime"])).status_code
            except Exception as error:
                status = type(error).__name__
            self.players[job["session"]] = (client, client.cookies.get("csrftoken") or "", status)

        await asyncio.gather(*(one(job) for job in arg["jobs"]))
        return {"primed": sum(1 for _, token, status in self.players.values() if token and status == 200)}

    async def http(self, arg):
        rows = []
        start_at, deadline = arg["start_at"], arg["start_at"] + arg["timeout"]
        self.players = getattr(self, "players", {})

        async def player(job):
            if job["session"] not in self.players:
                await self.prime({"jobs": [job]})
            client, token, status = self.players[job["session"]]
            if status != 200 or not token:
                rows.extend((request["marker"], 0.0, 0.0, f"team page {status}") for request in job["requests"])
                return
            headers = {"X-CSRFToken": token, "HX-Request": "true", "Origin": job["base"]}
            await asyncio.sleep(max(0.0, start_at - time.monotonic()))
            for request in job["requests"]:
                if "at" in request:
                    await asyncio.sleep(max(0.0, start_at + request["at"] - time.monotonic()))
                if time.monotonic() > deadline:
                    return
                started = time.monotonic()
                try:
                    response = await client.post(request["path"], data=request["data"], headers=headers)
                    status = response.status_code
                except Exception as error:
                    status = type(error).__name__
                rows.append((request["marker"], started, time.monotonic(), status))

        await asyncio.gather(*(player(job) for job in arg["jobs"]))
        return {"rows": rows}


# Figures ---------------------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (p in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def summary(values: list[float], digits: int = 1) -> dict:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": round(percentile(values, 50), digits),
        "p99": round(percentile(values, 99), digits),
        "max": round(max(values), digits),
    }


def ratio(a, b, digits: int = 2):
    return round(a / b, digits) if a is not None and b else None


def median(values):
    return statistics.median(values) if values else None
