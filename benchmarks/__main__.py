"""Run every benchmark, print the table and write it to docs/benchmarks.md.

python -m benchmarks [--quick] [--no-write] [--only twilio]
(benchmarks/run sets up the environment first)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
import subprocess
import sys
import time
from typing import Any

from . import live, machine, twilio
from .report import Row, render

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "out"
DOC = REPO / "docs" / "benchmarks.md"
NOTIFY_SIZES = (1, 10, 100, 1000)


def run_simulations() -> dict[str, Any]:
    """Run the simulated days and memory measurements in Home Assistant's test harness."""
    out = OUT / "sim.json"
    out.unlink(missing_ok=True)
    subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "benchmarks/sim_day.py"],
        cwd=REPO,
        env={**os.environ, "BENCH_SIM_OUT": str(out)},
        check=True,
    )
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


async def run_live(quick: bool) -> dict[str, Any]:
    """Run the measurements against a real Home Assistant process."""
    scale = 10 if quick else 1
    bench = live.LiveBench()
    async with bench:
        webhooks = await live.measure_webhooks(
            bench,
            latency_requests=2000 // scale,
            throughput_requests=10000 // scale,
            concurrency=16,
        )
        action = await live.measure_action_latency(bench, samples=300 // scale)
        setup = await live.measure_setup(bench, samples=20 // (2 if quick else 1))
        notify = await live.measure_notify(bench, NOTIFY_SIZES)
    return {
        "webhook": {
            name: {
                "per_second": result.throughput.per_second,
                "statuses": {
                    str(code): count
                    for part in (result.latency, result.throughput)
                    for code, count in part.statuses.items()
                },
                "latency": live.summary(result.latency.latencies_ms),
                "concurrency": 16,
                "throughput_requests": result.throughput.requests,
            }
            for name, result in webhooks.items()
        },
        "action": {name: live.summary(values) for name, values in action.items()},
        "setup": {name: live.summary(values) for name, values in setup.items()},
        "notify": {str(size): values for size, values in notify.items()},
        "log_problems": bench.log_problems,
    }


def run_twilio(quick: bool) -> dict[str, Any]:
    """Compare our webhook with core twilio's in their own Home Assistant (recorder off)."""
    return asyncio.run(twilio.measure(quick))


def _n(value: float) -> str:
    """Format a count with thousands separators."""
    return f"{value:,.0f}"


def _ms(value: float) -> str:
    """Format milliseconds."""
    return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"


def _duration(seconds: float) -> str:
    """Format a duration in seconds or milliseconds."""
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


def _kib(size: float) -> str:
    """Format bytes in KiB or MiB."""
    return f"{size / 1024 / 1024:.2f} MiB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KiB"


SHAPE_LABELS = {"one": "one at a time", "concurrent": "16 concurrent"}
TWILIO_IS = "core twilio webhook, same Home Assistant, recorder off; median of 3 runs"


def _signed_ms(value: float) -> str:
    """Format milliseconds that may be negative (announced before the answer)."""
    return f"{value:+.1f} ms" if abs(value) < 100 else f"{value:+,.0f} ms"


def _announced(figures: dict[str, Any]) -> str:
    """Format SMS announced per second, with the share announced when some were missed."""
    text = f"{_n(figures['announced_per_second'])} SMS/s"
    if figures["announced_all"] < figures["requests_all"]:
        text += f" ({figures['announced_all']:,} of {figures['requests_all']:,} announced)"
    return text


def build_twilio_rows(measured: dict[str, Any]) -> list[Row]:
    """Turn the twilio comparison's medians into rows (ratio: ours / twilio)."""
    rows: list[Row] = []
    for shape, label in SHAPE_LABELS.items():
        ours = measured["median"][shape]["ours"]
        base = measured["median"][shape]["twilio"]
        rows.extend(
            (
                Row(
                    f"Inbound SMS vs twilio, {label}: requests answered",
                    f"{_n(ours['requests_per_second'])} req/s",
                    f"{_n(base['requests_per_second'])} req/s",
                    TWILIO_IS,
                    ours["requests_per_second"] / base["requests_per_second"],
                ),
                Row(
                    f"Inbound SMS vs twilio, {label}: answer latency p50",
                    _ms(ours["latency_p50"]),
                    _ms(base["latency_p50"]),
                    TWILIO_IS,
                    ours["latency_p50"] / base["latency_p50"],
                ),
                Row(
                    f"Inbound SMS vs twilio, {label}: SMS announced",
                    _announced(ours),
                    _announced(base),
                    TWILIO_IS,
                    ours["announced_per_second"] / base["announced_per_second"],
                ),
                Row(
                    f"Inbound SMS vs twilio, {label}: request sent → SMS announced, p50 / p99",
                    f"{_ms(ours['to_announce_p50'])} / {_ms(ours['to_announce_p99'])}",
                    f"{_ms(base['to_announce_p50'])} / {_ms(base['to_announce_p99'])}",
                    TWILIO_IS,
                    ours["to_announce_p50"] / base["to_announce_p50"],
                ),
                Row(
                    f"Inbound SMS vs twilio, {label}: event-loop CPU per SMS",
                    f"{ours['cpu_ms_per_sms'] * 1000:,.0f} µs",
                    f"{base['cpu_ms_per_sms'] * 1000:,.0f} µs",
                    TWILIO_IS,
                    ours["cpu_ms_per_sms"] / base["cpu_ms_per_sms"],
                ),
                Row(
                    f"Inbound SMS vs twilio, {label}: answer → SMS announced, p50 / p99",
                    f"{_signed_ms(ours['lag_p50'])} / {_signed_ms(ours['lag_p99'])}",
                    f"{_signed_ms(base['lag_p50'])} / {_signed_ms(base['lag_p99'])}",
                    "twilio fires its event before answering (negative: announced first)",
                    None,
                ),
            )
        )
    return rows


def build_rows(sim: dict[str, Any], measured: dict[str, Any]) -> list[Row]:
    """Turn the raw results into the table's rows."""
    rows: list[Row] = []
    for size in NOTIFY_SIZES:
        values = measured["notify"][str(size)]
        rows.append(
            Row(
                f"API requests for one notify to {size:,} recipient{'s' if size > 1 else ''}",
                f"{_n(values['ours_requests'])} ({_duration(values['ours_seconds'])})",
                f"{_n(values['baseline_requests'])} ({_duration(values['baseline_seconds'])})",
                "one request per recipient, sent one after another by the client",
                values["ours_requests"] / values["baseline_requests"],
            )
        )
    for key, label in (
        ("idle_webhook", "API requests per idle day, webhook reachable"),
        ("idle_polling", "API requests per idle day, no public URL"),
        ("sends_webhook", "API requests per day with 100 sends, webhook reachable"),
        ("sends_polling", "API requests per day with 100 sends, no public URL"),
    ):
        ours = sim[f"day_{key}"]
        baseline = sim[f"baseline_day_{key.split('_')[0]}"]
        detail = ", ".join(f"{kind} {count}" for kind, count in ours.items() if kind != "total")
        rows.append(
            Row(
                label,
                f"{_n(ours['total'])} ({detail})",
                _n(baseline["total"]),
                "status poll every minute" + (" + the 100 sends" if "sends" in key else ""),
                ours["total"] / baseline["total"],
            )
        )
    webhook = measured["webhook"]
    for other, what in (
        ("noop", "no-op webhook in the same Home Assistant"),
        ("bare", "bare aiohttp handler, own process"),
    ):
        rows.append(
            Row(
                "Inbound webhook throughput (16 concurrent)",
                f"{_n(webhook['ours']['per_second'])} req/s",
                f"{_n(webhook[other]['per_second'])} req/s",
                what,
                webhook["ours"]["per_second"] / webhook[other]["per_second"],
            )
        )
        rows.extend(
            Row(
                f"Inbound webhook latency {point} (one at a time)",
                _ms(webhook["ours"]["latency"][point]),
                _ms(webhook[other]["latency"][point]),
                what,
                webhook["ours"]["latency"][point] / webhook[other]["latency"][point],
            )
            for point in ("p50", "p99")
        )
    if "twilio" in measured:
        rows.extend(build_twilio_rows(measured["twilio"]))
    action = measured["action"]
    rows.extend(
        Row(
            f"Action call to request at the emulator, {point}",
            _ms(action["ours"][point]),
            _ms(action["direct"][point]),
            "direct SmsPilotClient.send_sms call",
            action["ours"][point] / action["direct"][point],
        )
        for point in ("p50", "p99")
    )
    setup = measured["setup"]
    rows.extend(
        Row(
            f"Integration set-up (reload of the entry), {point}",
            _ms(setup["ours"][point]),
            _ms(setup["baseline"][point]),
            "one direct user-info request (set-up makes it too)",
            setup["ours"][point] / setup["baseline"][point],
        )
        for point in ("p50", "p99")
    )
    for key, label, what in (
        ("memory_pending", "Memory of the pending-status store", "dict of 10,000 int ids → status"),
        ("memory_dedup", "Memory of the de-duplication store", "set of 10,000 int ids"),
    ):
        values = sim[key]
        per_entry = values["ours"] / values["entries"]
        rows.append(
            Row(
                f"{label}, 10,000 entries",
                f"{_kib(values['ours'])} ({per_entry:.0f} B/entry)",
                _kib(values["baseline"]),
                what,
                values["ours"] / values["baseline"],
            )
        )
    return rows


def main() -> int:
    """Run the benchmarks and report them."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="fewer requests (a smoke run)")
    parser.add_argument("--no-write", action="store_true", help=f"do not write {DOC.name}")
    parser.add_argument(
        "--only",
        choices=("twilio",),
        help=f"run only these rows (prints them; never writes {DOC.name})",
    )
    args = parser.parse_args()
    started = time.monotonic()
    OUT.mkdir(parents=True, exist_ok=True)
    facts = machine.describe()
    if args.only == "twilio":
        print("==> our webhook against core twilio's, one Home Assistant, recorder off", flush=True)
        compared = run_twilio(args.quick)
        (OUT / "twilio.json").write_text(json.dumps(compared, indent=2), encoding="utf-8")
        facts["load_end"] = f"{os.getloadavg()[0]:.1f}"
        print(
            render(
                facts,
                build_twilio_rows(compared),
                statuses=_twilio_statuses(compared),
                log_problems=compared["log_problems"],
                seconds=time.monotonic() - started,
            )
        )
        return 0
    print("==> simulated days and store memory (Home Assistant test harness)", flush=True)
    sim = run_simulations()
    print("==> real Home Assistant process, emulator and load generator on loopback", flush=True)
    measured = asyncio.run(run_live(args.quick))
    print("==> our webhook against core twilio's, one Home Assistant, recorder off", flush=True)
    measured["twilio"] = run_twilio(args.quick)
    (OUT / "live.json").write_text(json.dumps(measured, indent=2), encoding="utf-8")
    facts["load_end"] = f"{os.getloadavg()[0]:.1f}"
    rows = build_rows(sim, measured)
    statuses = {name: data["statuses"] for name, data in measured["webhook"].items()}
    statuses.update(_twilio_statuses(measured["twilio"]))
    text = render(
        facts,
        rows,
        statuses=statuses,
        log_problems=measured["log_problems"] + measured["twilio"]["log_problems"],
        seconds=time.monotonic() - started,
    )
    print(text)
    if not args.no_write and not args.quick:
        DOC.write_text(text, encoding="utf-8")
        print(f"written to {DOC.relative_to(REPO)}")
    return 0


def _twilio_statuses(compared: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Return the answers of the twilio comparison's runs, by integration (warm-up left out)."""
    totals: dict[str, dict[str, int]] = {}
    for by_name in compared["median"].values():
        for name, figures in by_name.items():
            codes = totals.setdefault(f"{name} (vs twilio)", {})
            for code, count in figures["statuses"].items():
                codes[code] = codes.get(code, 0) + count
    return totals


if __name__ == "__main__":
    sys.exit(main())
