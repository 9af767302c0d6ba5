"""Command line: run the SMSPilot emulator until interrupted."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
import signal
import time

from .server import Emulator
from .state import DEMO_API_KEY


def parse_status_delays(value: str) -> tuple[float, float]:
    """Parse "SENT,FINAL" seconds, e.g. "2,5"."""
    try:
        sent, final = (float(part) for part in value.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("expected two numbers like 2,5") from None
    if not 0 <= sent <= final:
        raise argparse.ArgumentTypeError("expected 0 <= first <= second")
    return sent, final


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line options."""
    parser = argparse.ArgumentParser(
        prog="python -m smspilot_emulator", description="Run a local SMSPilot API-1 emulator."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8787, help="port (0 picks a free one)")
    parser.add_argument(
        "--inbound-webhook", metavar="URL", help="POST inbound SMS of the demo account here"
    )
    parser.add_argument(
        "--status-delays",
        type=parse_status_delays,
        default=(2.0, 5.0),
        metavar="SENT,FINAL",
        help="seconds until status 1 and until the final status (default 2,5)",
    )
    return parser


async def serve(args: argparse.Namespace, stop: asyncio.Event | None = None) -> None:
    """Run the emulator until `stop` is set or SIGINT/SIGTERM arrives."""
    emulator = Emulator(status_delays=args.status_delays)
    # SMSPilot's ids never repeat; a restarted standalone emulator must not reuse the ids a
    # running Home Assistant already remembers, so they continue from the clock.
    seed = int(time.time()) % 100_000_000
    emulator.store.next_server_id += seed * 100
    emulator.store.next_inbound_id += seed
    if args.inbound_webhook:
        emulator.accounts[DEMO_API_KEY].inbound_webhook_url = args.inbound_webhook
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal_number, stop.set)
    await emulator.start(host=args.host, port=args.port)
    try:
        print(f"SMSPilot emulator API URL: {emulator.api_url}", flush=True)
        print(f"Demo API key: {DEMO_API_KEY}", flush=True)
        print(f"State: {emulator.base_url}/emulator/state  (Ctrl+C stops)", flush=True)
        await stop.wait()
    finally:
        await emulator.close()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal_number)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and serve until interrupted; return the exit code."""
    args = build_parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
