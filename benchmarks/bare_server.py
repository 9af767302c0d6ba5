"""A bare aiohttp server with one webhook-like handler: the floor for the webhook benchmark."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

from aiohttp import web


async def handle(request: web.Request) -> web.Response:
    """Read the body and answer 200, as the cheapest webhook would."""
    await request.read()
    return web.Response()


async def serve(port: int) -> None:
    """Serve POST /webhook on 127.0.0.1 until SIGTERM or SIGINT."""
    app = web.Application()
    app.router.add_post("/webhook", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    bound = runner.addresses[0][1]
    sys.stdout.write(json.dumps({"ready": f"http://127.0.0.1:{bound}/webhook"}) + "\n")
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bare_server")
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
