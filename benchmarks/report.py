"""The benchmark table as Markdown (printed and written to docs/benchmarks.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Row:
    """One measured quantity next to its baseline from the same run."""

    what: str
    ours: str
    baseline: str
    baseline_is: str
    # None: the two are not comparable as a ratio (shown as a dash).
    ratio: float | None


HEADER = """# Benchmarks

Produced by `benchmarks/run` in one run ({seconds:.0f} s); every row is measured against its
baseline in that same run. Nothing here is a pass/fail threshold.

**Machine:** {cpu}, {cores} cores, {memory}, {os}; Python {python}, Home Assistant
{home_assistant}, aiohttp {aiohttp}; {date}. Load average {load} when the run started and
{load_end} at its end (other work on the machine skews the timing rows). Home Assistant, the
emulator and the load generator share these cores.

"""

METHOD = """
**Ratio** is integration ÷ baseline: below 1 means fewer requests, less time or less
memory than the baseline; for throughput, below 1 means fewer requests per second.

How each row is measured:

- *Notify*: `notify.smspilot` with N targets through Home Assistant's REST API; the emulator
  reports every request it receives. The baseline sends the same text with
  `SmsPilotClient.send_sms`, one recipient per request. Times in brackets are wall time.
- *Requests per day*: Home Assistant's test harness with simulated time (one-minute steps,
  `freezer` + `async_fire_time_changed`), the emulator in the same event loop, counting
  every API request after set-up. "Webhook reachable" means Home Assistant has an external
  URL, so statuses and inbound SMS arrive by callback; "no public URL" means both are polled.
  Sends go through `notify.smspilot` at evenly spaced minutes and are delivered within the
  minute. The baseline is a client that asks for `check=recent` every minute (plus the same
  sends). Each send reports the balance, which postpones the next balance poll.
- *Inbound webhook*: a real `hass` process on loopback with the repository's demo
  configuration.yaml (integration logging at warning; its gate automation checks every
  inbound SMS), inbound-SMS forms with unique ids
  POSTed by an aiohttp load generator on kept-alive connections: first one at a time for
  latency, then 16 at once for throughput. The no-op webhook is registered in the same
  Home Assistant by a tiny custom integration and only reads the body; the bare handler is
  an aiohttp server in its own process that does the same. Our handler parses the form,
  answers, then fires the event and updates the event entity and sensor (recorder on).
- *Inbound SMS vs twilio*: a second `hass` process with the same configuration but without
  the recorder (nor history and logbook, which need it) and without the gate automation,
  holding our account and core Home Assistant's `twilio` webhook (its requirement installed
  before the run; its entry is the one twilio's webhook config flow creates, added by the
  benchmark's `bench_announce` integration, as the flow's step imports Home Assistant Cloud,
  which this environment cannot import). The load generator posts our 5-field form (unique
  ids, the account's user id) and Twilio's 19-field one (From, To, Body, MessageSid,
  AccountSid, ...), one at a time and 16 at once; each shape runs three times per
  integration, alternating which goes first, and the rows are the medians. `bench_announce`
  counts inside Home Assistant: a twilio SMS is announced when `twilio_data_received` is
  fired, ours when `smspilot_sms_received` is fired and the event entity and the
  last-inbound-message sensor have written its state. SMS announced per second is SMS
  announced ÷ time from the first request sent to the last announcement; "request sent →
  announced" and "answer → announced" pair each SMS's announcement (CLOCK_MONOTONIC, taken
  in Home Assistant) with when the load generator sent it and got the answer. Event-loop
  CPU is `time.thread_time_ns` of Home Assistant's loop thread from a run's start until its
  last SMS was announced, divided by the SMS sent. A run starts after the previous one's SMS
  are announced and our de-duplication memory is saved.
- *Action call*: `smspilot.send_sms` through the REST API against a direct
  `SmsPilotClient.send_sms` call, alternating; the time is from starting the call to the
  request reaching the emulator (CLOCK_MONOTONIC, shared by the processes).
- *Set-up*: reload of the config entry through the REST API (unload and set-up; set-up makes
  the user-info request and the inbound catch-up request).
- *Memory*: `tracemalloc`, bytes still allocated after filling the store with 10,000
  entries through the tracker and the inbound processor (garbage collected before and after).
"""


TIMES = "\N{MULTIPLICATION SIGN}"


def _ratio(value: float | None) -> str:
    """Format a ratio."""
    if value is None:
        return "—"
    return f"{value:.2f}{TIMES}" if value < 10 else f"{value:.0f}{TIMES}"


def render(
    facts: dict[str, str],
    rows: list[Row],
    *,
    statuses: dict[str, dict[str, int]],
    log_problems: list[str],
    seconds: float,
) -> str:
    """Return the whole Markdown document."""
    lines = [
        "| Measure | Integration | Baseline | Baseline is | Ratio |",
        "| --- | ---: | ---: | --- | ---: |",
    ]
    lines.extend(
        f"| {row.what} | {row.ours} | {row.baseline} | {row.baseline_is} | {_ratio(row.ratio)} |"
        for row in rows
    )
    answers = "; ".join(
        f"{name}: "
        + ", ".join(f"HTTP {code} {TIMES} {count:,}" for code, count in sorted(codes.items()))
        for name, codes in statuses.items()
    )
    return (
        HEADER.format(seconds=seconds, **facts)
        + "\n".join(lines)
        + "\n"
        + METHOD
        + f"\nWebhook answers seen by the load generator: {answers}.\n"
        + _log_summary(log_problems)
    )


def _log_summary(problems: list[str]) -> str:
    """Describe the warnings and errors concerning the integration in Home Assistant's log."""
    if not problems:
        return "\nHome Assistant logged no warning or error concerning the integration.\n"
    shown = "\n".join(f"    {line[:220]}" for line in problems[:12])
    return (
        f"\nHome Assistant logged {len(problems)} warning or error line(s) concerning the "
        f"integration; the first ones:\n\n{shown}\n"
    )
