"""build/bench.png: the run's figures as six panels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.keys import GOALS


def chart(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = result["detail"]
    fig, axes = plt.subplots(2, 3, figsize=(19, 9))
    fig.suptitle(
        f"Payment webhook receiver benchmark ({'quick' if result['meta']['quick'] else 'full'} run, "
        f"{result['meta']['machine']}, Python {result['meta']['python']})",
        fontsize=12,
    )

    ax = axes[0][0]
    lat = d.get("latency_ms") or {}
    names = [n for n in ("bare_put", "ours", "seed", "powertools") if n in lat]
    if names:
        p50 = [lat[n]["p50_ms"] for n in names]
        p99 = [lat[n]["p99_ms"] for n in names]
        bars = ax.bar(names, p50, color=["#999999", "#1f77b4", "#ff7f0e", "#2ca02c"][: len(names)], label="p50")
        ax.scatter(names, p99, color="black", marker="_", s=400, label="p99", zorder=3)
        ax.bar_label(bars, fmt="%.2f")
        ax.legend()
    ax.set_title("Warm latency per event, same moto server, interleaved")
    ax.set_ylabel("ms")

    colors = {"ours": "#1f77b4", "seed": "#ff7f0e", "powertools": "#2ca02c"}
    ax = axes[0][1]
    start = d.get("cold_start") or {}
    names = [n for n in ("ours", "seed", "powertools") if n in start]
    if names:
        init = [start[n]["init_ms"] for n in names]
        first = [start[n]["cold_start_ms"] - start[n]["init_ms"] for n in names]
        ax.bar(names, init, color=[colors[n] for n in names], label="init (interpreter, runtime client, import)")
        bars = ax.bar(names, first, bottom=init, color="#bbbbbb", label="first invocation")
        ax.bar_label(bars, labels=[f"{start[n]['cold_start_ms']:.0f}" for n in names])
        ax.legend(fontsize=8, loc="upper left")
        ax.set_ylim(top=max(init[i] + first[i] for i in range(len(names))) * 1.3)
    ratio_value = result.get("cold_start_vs_seed_ratio")
    ax.set_title(
        "Cold start, aws-lambda-rie + awslambdaric (median)"
        + (f"\nours / seed = {ratio_value:.2f}" if ratio_value is not None else "")
    )
    ax.set_ylabel("ms (Init Duration + Duration of the first REPORT)")

    ax = axes[0][2]
    cost = (d.get("cost") or {}).get("peers") or {}
    names = [n for n in ("ours", "powertools", "seed") if n in cost]
    if names:
        bottoms = [0.0] * len(names)
        palette = ["#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#9467bd", "#c5b0d5"]
        for index, line in enumerate(cost[names[0]]["lines_usd"]):
            values = [cost[n]["lines_usd"][line] for n in names]
            ax.bar(names, values, bottom=bottoms, label=line, color=palette[index % len(palette)])
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
        for x, total in enumerate(bottoms):
            ax.text(x, total, f"${total:.2f}", ha="center", va="bottom")
        ax.set_xlim(-0.5, len(names) + 0.9)  # room for the legend on the right
        ax.legend(fontsize=7, loc="upper right")
    ax.set_title("Cost per million events (us-east-1, 256 MB arm64)")
    ax.set_ylabel("USD")

    ax = axes[1][0]
    cold = d.get("cold_import_ms") or {}
    kinds = [k for k in ("boto3", "ours", "ours_first_use", "seed", "powertools") if k in cold]
    if kinds:
        labels = {"ours_first_use": "ours +\nits clients"}
        bars = ax.bar([labels.get(k, k) for k in kinds], [cold[k]["median_ms"] for k in kinds], color="#9467bd")
        ax.bar_label(bars, fmt="%.0f")
    ax.set_title("Cold import, fresh interpreter (median)")
    ax.set_ylabel("ms")

    ax = axes[1][1]
    http = result.get("http")
    if http:
        levels = list(http["concurrency"])
        rps = [http["concurrency"][c]["rps"] or 0 for c in levels]
        bars = ax.bar([f"c={c}" for c in levels], rps, color="#17becf", label="req/s")
        ax.bar_label(bars, fmt="%.0f")
        ax.set_ylabel("requests/s")
        twin = ax.twinx()
        twin.plot(
            [f"c={c}" for c in levels],
            [http["concurrency"][c]["p50_ms"] or 0 for c in levels],
            "o-",
            color="black",
            label="p50 ms",
        )
        twin.plot(
            [f"c={c}" for c in levels],
            [http["concurrency"][c]["p99_ms"] or 0 for c in levels],
            "s--",
            color="red",
            label="p99 ms",
        )
        twin.set_ylabel("ms")
        twin.set_ylim(bottom=0)
        twin.legend(loc="upper left")
        ax.set_title(f"HTTP via local Function URL ({http['via'].split('/')[-1]})")
    else:
        ax.text(0.5, 0.5, f"HTTP not measured:\n{result.get('http_error')}", ha="center", va="center", wrap=True)
        ax.set_title("HTTP via local Function URL")

    ax = axes[1][2]
    goals = [(k, g) for k, g in result["goals"].items() if g["value"] is not None]
    if goals:
        fractions = [g["value"] / GOALS[k][1] for k, g in goals]
        goal_colors = ["#2ca02c" if g["met"] else "#d62728" for _, g in goals]
        ax.barh([k for k, _ in goals], fractions, color=goal_colors)
        for row, ((_, g), fraction) in enumerate(zip(goals, fractions, strict=True)):
            ax.text(max(fraction, 1.0) + 0.04, row, f"{g['value']:g}  ({g['goal']})", va="center", fontsize=8)
        ax.axvline(1.0, color="black", linestyle="--")
        ax.set_xlim(0, max(2.0, max(fractions) + 0.9))
        ax.invert_yaxis()
    ax.set_title("Goals: value / limit (left of the dashed line = met)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
