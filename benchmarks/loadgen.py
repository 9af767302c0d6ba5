"""An HTTP load generator on aiohttp: latency one request at a time, throughput with many."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
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
    url: str, body: BodyFactory, *, requests: int, concurrency: int, first_id: int
) -> LoadResult:
    """POST `requests` forms to `url` from `concurrency` workers on kept-alive connections."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    next_index = 0
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)

    async def worker(session: aiohttp.ClientSession) -> None:
        """Send requests until the budget is used up."""
        nonlocal next_index
        while next_index < requests:
            index = next_index
            next_index += 1
            started = time.perf_counter_ns()
            async with session.post(url, data=body(first_id + index)) as response:
                await response.read()
                statuses[response.status] = statuses.get(response.status, 0) + 1
            latencies.append((time.perf_counter_ns() - started) / 1e6)

    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return LoadResult(requests=requests, seconds=seconds, latencies_ms=latencies, statuses=statuses)
