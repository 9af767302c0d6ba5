"""An HTTP load generator on aiohttp: latency one request at a time, throughput with many."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
import time

import aiohttp

type BodyFactory = Callable[[int], dict[str, str]]


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadResult:
    """What one load run measured."""

    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]
    # With `timed`: SMS number -> (sent, answered), CLOCK_MONOTONIC ns (shared by processes).
    timings: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        """Return the completed requests per second."""
        return self.requests / self.seconds


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile (share in 0..1) of the values."""
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


async def run_load(
    url: str,
    body: BodyFactory,
    *,
    requests: int,
    concurrency: int,
    first_id: int,
    timed: bool = False,
) -> LoadResult:
    """POST `requests` forms to `url` from `concurrency` workers on kept-alive connections.

    The forms are numbered from `first_id`; `timed` keeps when each was sent and answered.
    """
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    timings: dict[int, tuple[int, int]] = {}
    next_index = 0
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)

    async def worker(session: aiohttp.ClientSession) -> None:
        """Send requests until the budget is used up."""
        nonlocal next_index
        while next_index < requests:
            index = next_index
            next_index += 1
            number = first_id + index
            form = body(number)
            # CLOCK_MONOTONIC (as perf_counter on Linux): Home Assistant's times compare.
            started = time.monotonic_ns()
            async with session.post(url, data=form) as response:
                await response.read()
                answered = time.monotonic_ns()
                statuses[response.status] = statuses.get(response.status, 0) + 1
            latencies.append((answered - started) / 1e6)
            if timed:
                timings[number] = (started, answered)

    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return LoadResult(
        requests=requests,
        seconds=seconds,
        latencies_ms=latencies,
        statuses=statuses,
        timings=timings,
    )
