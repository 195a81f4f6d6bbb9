"""Markdown tables from the benchmarks' JSON lines (as docs/benchmarks.md quotes them).

python -m bench.summarize bench/results/*.json
"""

import json
import sys
from pathlib import Path


def load(path: Path) -> dict | None:
    lines = [line for line in path.read_text().splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else None


def ms(figure: dict | None, key: str) -> str:
    if not figure or figure.get(key) is None:
        return "–"
    return f"{figure[key]:.0f}"


def fanout(name: str, data: dict) -> list[str]:
    out = [
        f"**{name}** ({data['db']} + {data['layer']} layer; load {data['machine'].get('loadavg_at_start')})",
        "",
        "| sockets | path | each socket p50 / p99 / max (ms) | last socket p50 / p99 / max (ms) | lost "
        "| POST (ms, p50) |",
        "|---|---|---|---|---|---|",
    ]
    for n, row in data["by_sockets"].items():
        for path in ("app", "app_async", "app_async_deferred", "bare_sync", "bare_async", "raw"):
            if f"{path}_error" in row:
                out.append(f"| {n} | {path} | error: {row[f'{path}_error'][:80]} | | | |")
            figures = row.get(path)
            if not figures:
                continue
            each, last = figures["each_socket_ms"], figures["last_socket_ms"]
            out.append(
                f"| {n} | {path} | {ms(each, 'p50')} / {ms(each, 'p99')} / {ms(each, 'max')} "
                f"| {ms(last, 'p50')} / {ms(last, 'p99')} / {ms(last, 'max')} | {figures['lost']} "
                f"| {ms(figures['post_ms'], 'p50')} |"
            )
    out += ["", "| sockets | ratio | each p50 | each p99 | last p50 | last p99 |", "|---|---|---|---|---|---|"]
    for n, row in data["by_sockets"].items():
        for mine in ("app", "app_async", "app_async_deferred"):
            for other in ("bare_sync", "bare_async", "raw"):
                r = row.get("ratios", {})
                keys = [f"{mine}/{other} {w} {p}" for w in ("each_socket_ms", "last_socket_ms") for p in ("p50", "p99")]
                if keys[0] in r:
                    out.append(f"| {n} | {mine} / {other} | " + " | ".join(f"{r[k]}×" for k in keys) + " |")
    return out


def responses(name: str, data: dict) -> list[str]:
    out = [
        f"**{name}** ({data['db']} + {data['layer']}; {data['players']} players; "
        f"fixes {data.get('candidate_fixes') or 'none'}; load {data['machine'].get('loadavg_at_start')})",
        "",
        "| load | path | acknowledged / sent | refused or failed | responses/s | latency p50 / p99 (ms) "
        "| until the console p50 / p99 (ms) | lost in DB | lost on socket |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for load in ("saturation", "paced"):
        block = data[load]
        label = load if load == "saturation" else f"paced {block['rate_per_second']}/s"
        for path in ("baseline", "app"):
            f = block[path]
            out.append(
                f"| {label} | {path} | {f['acknowledged']} / {f['submitted']} | {f['refused_or_failed'] or '–'} "
                f"| {f['per_second']} | {ms(f['latency_ms'], 'p50')} / {ms(f['latency_ms'], 'p99')} "
                f"| {ms(f['until_console_ms'], 'p50')} / {ms(f['until_console_ms'], 'p99')} "
                f"| {f['lost_in_database']} | {f['lost_on_console_socket']} |"
            )
    out += ["", "Ratios: " + ", ".join(f"{k} {v}×" for k, v in data["ratios"].items())]
    return out


def generic(name: str, data: dict) -> list[str]:
    skip = {"machine", "benchmark", "profile", "profile_app_saturation", "samples"}
    body = {k: v for k, v in data.items() if k not in skip}
    return [f"**{name}**", "", "```json", json.dumps(body, indent=1, ensure_ascii=False)[:6000], "```"]


def main(paths: list[str]) -> None:
    for raw in paths:
        path = Path(raw)
        data = load(path)
        if data is None:
            print(f"{path.name}: no figures\n")
            continue
        kind = data.get("benchmark")
        lines = {"fanout": fanout, "responses": responses}.get(kind, generic)(path.stem, data)
        print("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
