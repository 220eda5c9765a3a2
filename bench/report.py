"""The figures as a table a reader can check against the targets, the ingest plot, and the JSON line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def targets(figures: dict[str, Any]) -> dict[str, bool]:
    """Each target of issue 12, held or not, from this run's figures."""
    ingest, growth, sizes = figures["ingest"], figures["growth"], figures["sizes"]
    small, large = sizes["ingest"]
    bot_small, bot_large = ingest[f"bot_{small}"], ingest[f"bot_{large}"]
    costs = growth["change_ms"]
    sweep = figures["sweep"]
    return {
        "ingest >= 30x baseline": bot_small["throughput"] >= 30 * ingest[f"baseline_{small}"]["throughput"],
        "p99 < 50 ms": all(ingest[f"bot_{n}"]["p99_ms"] < 50 for n in (small, large)),
        "p99.9 < 200 ms": all(ingest[f"bot_{n}"]["p999_ms"] < 200 for n in (small, large)),
        "backlog drained within 5 s": all(
            ingest[f"bot_{n}"]["drain_s"] is not None and ingest[f"bot_{n}"]["drain_s"] <= 5
            for n in (small, large)
        ),
        "throughput at large within 1.3x": bot_small["throughput"] <= 1.3 * bot_large["throughput"],
        "change cost within 1.5x": costs[max(costs, key=int)] <= 1.5 * costs[min(costs, key=int)],
        "rss <= 300 MB": growth["serve"]["rss_mb"] <= 300,
        "start < 2 s": growth["serve"]["start_s"] < 2,
        "sweep calls = pages + changes + rotation": sweep["bot"]["calls"] <= sweep["expected_calls"],
    }


def table(figures: dict[str, Any]) -> str:
    lines = [
        "| ingest case | store | acks/s | p50 ms | p99 ms | p99.9 ms | max ms | backlog drained |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, case in figures["ingest"].items():
        drained = case.get("drain_s")
        drain = (
            ""
            if "drain_s" not in case
            else (f"{drained:.1f} s" if drained is not None else f"no ({case['backlog_at_end']:,} left)")
        )
        lines.append(
            f"| {name} | {case.get('store', 'baseline')} | {case['throughput']:,.1f} | "
            f"{case['p50_ms']:,.1f} | {case['p99_ms']:,.1f} | {case['p999_ms']:,.1f} | "
            f"{case['max_ms']:,.1f} | {drain} |"
        )
    growth = figures["growth"]
    lines += ["", "| store growth | value |", "|---|---:|"]
    lines += [f"| one recorded change at {int(n):,} | {ms:.1f} ms |" for n, ms in growth["change_ms"].items()]
    serve = growth["serve"]
    lines += [f"| serve resident at {serve['stored']:,} (both processes) | {serve['rss_mb']:.0f} MB |"]
    lines += [f"| serve start to /healthz 200 at {serve['stored']:,} | {serve['start_s']:.2f} s |"]
    burst = figures["apply"]
    lines += [
        f"| {burst['callbacks']:,} callbacks applied in process at {burst['stored']:,} | "
        f"{burst['seconds']:.2f} s ({burst['per_second']:,.0f}/s) |"
    ]
    sweep = figures["sweep"]
    lines += [
        "",
        f"| sweep: {sweep['pending']:,} pending, {sweep['changed']} changed | calls | wall s | paced s |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {sweep[name]['calls']:,} | {sweep[name]['wall_s']:.2f} | {sweep[name]['paced_s']:.0f} |"
        for name in ("bot", "naive")
    ]
    lines += [
        "",
        "| delivery | posts/s | channel done p50 s | p99 s | max s | 429s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, case in figures["delivery"].items():
        lines.append(
            f"| {name} | {case['posts_per_second']:.1f} | {case['channel_done_p50_s']:.1f} | "
            f"{case['channel_done_p99_s']:.1f} | {case['channel_done_max_s']:.1f} | {case['refused_429']} |"
        )
    lines += ["", "| target | held |", "|---|---|"]
    lines += [f"| {name} | {'yes' if held else 'NO'} |" for name, held in figures["targets"].items()]
    return "\n".join(lines)


def plot(figures: dict[str, Any], path: Path) -> None:
    """p99 latency per 1-s bucket of every ingest case, over the run (log scale: the baseline is slow)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(9, 4.5))
    for name, case in figures["ingest"].items():
        seconds = [s for s, _ in case["p99_per_second_ms"]]
        axes.plot(
            seconds,
            [ms for _, ms in case["p99_per_second_ms"]],
            label=name,
            linestyle="--" if name.startswith("baseline") else "-",
        )
    axes.set_yscale("log")
    axes.axhline(50, color="grey", linewidth=0.8)
    axes.set_xlabel("seconds into the load")
    axes.set_ylabel("p99 send-to-success, ms (1-s buckets)")
    axes.set_title("Callback ingest: 16 senders, every callback a new approval")
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def json_line(figures: dict[str, Any]) -> str:
    """Every figure on one line, the plot's per-second series left out."""
    slim = json.loads(json.dumps(figures))
    for case in slim["ingest"].values():
        case.pop("p99_per_second_ms", None)
        case.pop("applied_timeline", None)
    return json.dumps(slim, separators=(",", ":"))
