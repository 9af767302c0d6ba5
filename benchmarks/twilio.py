"""Our inbound-SMS webhook against core Home Assistant's twilio webhook, in one Home Assistant.

Both integrations run in the same `hass` process without the recorder (as the issue measured),
with the benchmark's bench_announce integration counting announcements on the bus. Each load
shape runs three times per integration, alternating which goes first; the rows are medians.

An SMS counts as announced:
- twilio: when `twilio_data_received` is fired (its handler fires it before answering);
- ours: when `smspilot_sms_received` is fired AND the event entity and the last-inbound-message
  sensor have written a state for it (one showing its id or, should an entity coalesce a burst,
  the first state written after its event).
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from dataclasses import asdict, dataclass
import statistics
import time
from typing import Any

from smspilot_emulator import DEMO_USER_ID

from .live import PHONE, TWILIO, LiveBench, inbound_form
from .loadgen import LoadResult, percentile, run_load

NAMES = ("ours", "twilio")
# What bench_announce must have seen of each SMS before it counts as announced.
KINDS = {"ours": ("smspilot_event", "event_entity", "sensor"), "twilio": ("twilio_event",)}
# Load shape -> concurrent requests.
SHAPES = {"one": 1, "concurrent": 16}
REPEATS = 3
# Requests per run of each shape (a tenth with --quick).
REQUESTS = {"one": 2000, "concurrent": 5000}
WARM_UP = 200
DRAIN_TIMEOUT = 60.0
# Counts that stop growing for this long are final (an entity that coalesces never catches up).
DRAIN_STALL = 1.5
POLL = 0.1


def _save_delay() -> float:
    """Return how long after a burst our integration saves its de-duplication memory."""
    try:
        from custom_components.smspilot.inbound import SAVE_DELAY  # noqa: PLC0415
    except ImportError:  # renamed by a later version
        return 2.0
    return float(SAVE_DELAY)


# The next run starts once the previous one's delayed write is done.
SETTLE = {"ours": _save_delay() + 0.8, "twilio": 0.5}

ACCOUNT_SID = "AC" + "5ef8732a3c49700934481addd5ce1659"
TWILIO_NUMBER = "+15005550006"


def twilio_sid(sms_id: int) -> str:
    """Return the MessageSid of SMS number `sms_id`; bench_announce reads the number back."""
    return f"SM{sms_id:032x}"


def twilio_form(sms_id: int) -> dict[str, str]:
    """Return an inbound-SMS form with the fields Twilio posts to a messaging webhook."""
    sid = twilio_sid(sms_id)
    return {
        "ToCountry": "US",
        "ToState": "CA",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": "Open the gate",
        "FromCountry": "RU",
        "To": TWILIO_NUMBER,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": f"+{PHONE}",
        "ApiVersion": "2010-04-01",
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """One load run against one integration's webhook."""

    requests: int
    requests_per_second: float
    latency_p50: float
    announced: int
    announced_per_second: float
    # Milliseconds from sending a request to its SMS being announced.
    to_announce_p50: float
    to_announce_p99: float
    # Milliseconds from the answer to the announcement (negative: announced before answering).
    lag_p50: float
    lag_p99: float
    # Home Assistant's event-loop thread: CPU milliseconds per SMS, from the run's start until
    # its last SMS was announced (a few counter requests included).
    cpu_ms_per_sms: float
    statuses: dict[str, int]


def _first_after(times: list[int], moment: int) -> int | None:
    """Return the first of the sorted `times` at or after `moment`."""
    index = bisect_left(times, moment)
    return times[index] if index < len(times) else None


def _first_seen(pairs: list[list[int]]) -> dict[int, int]:
    """Return SMS number -> the first time it was seen, from [number, time] pairs."""
    return {pair[0]: pair[1] for pair in reversed(pairs)}


def announce_times(name: str, seen: dict[str, list[list[int]]]) -> dict[int, int]:
    """Return SMS number -> when it was announced (CLOCK_MONOTONIC ns), from the observations."""
    if name == "twilio":
        return _first_seen(seen["twilio_event"])
    events = _first_seen(seen["smspilot_event"])
    entities = [
        (_first_seen(seen[kind]), sorted(pair[1] for pair in seen[kind]))
        for kind in ("event_entity", "sensor")
    ]
    announced: dict[int, int] = {}
    for number, fired in events.items():
        moments = [fired]
        for exact, ordered in entities:
            shown = exact.get(number)
            if shown is None:
                shown = _first_after(ordered, fired)
            if shown is None:
                break
            moments.append(shown)
        else:
            announced[number] = max(moments)
    return announced


def _summarise(load: LoadResult, announced: dict[int, int], cpu_ns: int) -> Run:
    """Turn one load run and its announcements into the run's figures."""
    sent = {number: times for number, times in load.timings.items() if number in announced}
    first_sent = min(started for started, _ in load.timings.values())
    to_announce = [(announced[n] - started) / 1e6 for n, (started, _) in sent.items()]
    lag = [(announced[n] - answered) / 1e6 for n, (_, answered) in sent.items()]
    last = max((announced[n] for n in sent), default=first_sent)
    return Run(
        requests=load.requests,
        requests_per_second=load.per_second,
        latency_p50=percentile(load.latencies_ms, 0.5),
        announced=len(sent),
        announced_per_second=len(sent) / ((last - first_sent) / 1e9) if sent else 0.0,
        to_announce_p50=percentile(to_announce, 0.5) if sent else float("nan"),
        to_announce_p99=percentile(to_announce, 0.99) if sent else float("nan"),
        lag_p50=percentile(lag, 0.5) if sent else float("nan"),
        lag_p99=percentile(lag, 0.99) if sent else float("nan"),
        cpu_ms_per_sms=cpu_ns / 1e6 / load.requests,
        statuses={str(code): count for code, count in load.statuses.items()},
    )


class TwilioComparison:
    """The comparison's Home Assistant, its two webhooks and the announcement counter."""

    def __init__(self, bench: LiveBench) -> None:
        """Measure against this (started) Home Assistant."""
        self.bench = bench
        self.urls = {"ours": bench.webhook_url, "twilio": ""}
        self.forms = {"ours": inbound_form, "twilio": twilio_form}
        self.next_id = 5_000_000

    async def prepare(self) -> None:
        """Add the twilio entry and check the counter sees what it must."""
        for _ in range(300):
            config = await self.bench.api("GET", "/api/config")
            if config["state"] == "RUNNING" and "bench_announce" in config["components"]:
                break
            await asyncio.sleep(0.1)
        else:
            raise TimeoutError("Home Assistant did not set up bench_announce (see its log)")
        twilio = await self.bench.api("POST", "/api/bench_announce/twilio")
        if twilio["state"] != "loaded":
            raise RuntimeError(f"the twilio entry did not load: {twilio}")
        self.urls["twilio"] = twilio["url"]
        found = await self.bench.api("POST", "/api/bench_announce/reset")
        if found["recorder"]:
            raise RuntimeError("the twilio comparison must run without the recorder")
        if sorted(found["entities"].values()) != ["event_entity", "sensor"]:
            raise RuntimeError(f"expected our event entity and sensor, found {found['entities']}")
        # Our forms must come from the account's user, or the handler refuses them.
        assert inbound_form(1)["user_id"] == str(DEMO_USER_ID)

    async def _drain(self, name: str, requests: int) -> int:
        """Wait until every SMS of the run is announced, or the counts stop growing.

        Return the event loop's CPU time (ns) when the last poll was answered.
        """
        kinds = KINDS[name]
        last: dict[str, int] = {}
        changed = time.monotonic()
        deadline = changed + DRAIN_TIMEOUT
        while True:
            answer = await self.bench.api("GET", "/api/bench_announce/count")
            counts = answer["counts"]
            if min(counts[kind] for kind in kinds) >= requests:
                break
            if counts != last:
                last, changed = counts, time.monotonic()
            elif time.monotonic() - changed > DRAIN_STALL or time.monotonic() > deadline:
                break
            await asyncio.sleep(POLL)
        return int(answer["cpu_ns"])

    async def run(self, name: str, concurrency: int, requests: int) -> Run:
        """Load one webhook once and read back when its SMS were announced."""
        reset = await self.bench.api("POST", "/api/bench_announce/reset")
        first_id, self.next_id = self.next_id, self.next_id + requests
        load = await run_load(
            self.urls[name],
            self.forms[name],
            requests=requests,
            concurrency=concurrency,
            first_id=first_id,
            timed=True,
        )
        cpu_ns = await self._drain(name, requests) - int(reset["cpu_ns"])
        seen = await self.bench.api("GET", "/api/bench_announce")
        result = _summarise(load, announce_times(name, seen), cpu_ns)
        await asyncio.sleep(SETTLE[name])
        return result

    async def warm_up(self, requests: int) -> None:
        """Send both webhooks a first burst: first requests pay one-time costs."""
        for name in NAMES:
            await self.run(name, 4, requests)


async def measure(quick: bool) -> dict[str, Any]:
    """Start the comparison's Home Assistant and measure both webhooks in both shapes."""
    scale = 10 if quick else 1
    runs: dict[str, dict[str, list[Run]]] = {
        shape: {name: [] for name in NAMES} for shape in SHAPES
    }
    bench = LiveBench(TWILIO)
    async with bench:
        comparison = TwilioComparison(bench)
        await comparison.prepare()
        await comparison.warm_up(WARM_UP // scale)
        for repeat in range(REPEATS):
            # Alternating which goes first spreads drift in the machine's load over both.
            order = NAMES if repeat % 2 == 0 else tuple(reversed(NAMES))
            for shape, concurrency in SHAPES.items():
                for name in order:
                    result = await comparison.run(name, concurrency, REQUESTS[shape] // scale)
                    runs[shape][name].append(result)
    return {
        "repeats": REPEATS,
        "concurrency": SHAPES,
        "runs": {
            shape: {name: [asdict(run) for run in results] for name, results in by_name.items()}
            for shape, by_name in runs.items()
        },
        "median": {
            shape: {name: medians(results) for name, results in by_name.items()}
            for shape, by_name in runs.items()
        },
        "log_problems": bench.log_problems,
    }


def medians(results: list[Run]) -> dict[str, Any]:
    """Return each figure's median over the runs (statuses are added up)."""
    figures: dict[str, Any] = {}
    for key in asdict(results[0]):
        if key == "statuses":
            total: dict[str, int] = {}
            for run in results:
                for code, count in run.statuses.items():
                    total[code] = total.get(code, 0) + count
            figures[key] = total
        else:
            figures[key] = statistics.median(getattr(run, key) for run in results)
    figures["announced_all"] = sum(run.announced for run in results)
    figures["requests_all"] = sum(run.requests for run in results)
    return figures
