"""The SMSPilot emulator as a benchmark subprocess: reports when each API request arrives.

Every request to /api.php prints one JSON line to stdout with the CLOCK_MONOTONIC time it
arrived (shared by all processes on a Linux machine, so the parent can compare it with its
own clock), what kind of request it was, and the text of a send.
"""

from __future__ import annotations

import argparse
import asyncio
from decimal import Decimal
import json
import signal
import sys
import time
from typing import override

from aiohttp import web

from smspilot_emulator import DEMO_API_KEY, Emulator

# Enough money for every send of a benchmark run (a 1,000-recipient notify costs 1,310 roubles).
BALANCE = Decimal(100_000_000)


def request_kind(params: dict[str, str]) -> str:
    """Name an API request by its parameters (send, check, inbound, balance or user_info)."""
    for kind in ("send", "check", "inbound", "balance"):
        if kind in params:
            return kind
    return "user_info"


class ReportingEmulator(Emulator):
    """The emulator, printing an arrival line for every API request before answering it."""

    @override
    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        """Note the arrival time and kind of the request, then answer it as usual."""
        arrived = time.monotonic_ns()
        params = dict(request.query)
        if request.method == "POST":
            # aiohttp keeps the parsed form, so the emulator reads it again for free.
            form = await request.post()
            params.update({key: value for key, value in form.items() if isinstance(value, str)})
        line = {"t": arrived, "kind": request_kind(params)}
        if "send" in params:
            line["text"] = params["send"]
            line["to"] = params.get("to", "").count(",") + 1
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
        return await super()._handle_api(request)


async def serve(port: int, status_delays: tuple[float, float]) -> None:
    """Serve until SIGTERM or SIGINT."""
    emulator = ReportingEmulator(status_delays=status_delays)
    emulator.accounts[DEMO_API_KEY].balance = BALANCE
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    await emulator.start(host="127.0.0.1", port=port)
    sys.stdout.write(json.dumps({"ready": emulator.api_url}) + "\n")
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        await emulator.close()


def main() -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.emulator_proc")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--status-delays", default="3600,3600")
    args = parser.parse_args()
    sent, final = (float(part) for part in args.status_delays.split(","))
    asyncio.run(serve(args.port, (sent, final)))


if __name__ == "__main__":
    main()
