"""Wait until URLs answer 200, while the processes that should serve them are alive.

Usage: python wait_ready.py TIMEOUT_SECONDS [--pgid N ...] URL [URL ...]
Exits 0 when every URL answered, 1 (with a reason) on timeout or when a process
group ended first.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.request


def alive(pgid: int) -> bool:
    """Tell whether a process group still has a member."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def answers(url: str) -> bool:
    """Tell whether a GET of the URL answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def main() -> int:
    """Poll until ready, a process ends, or time runs out."""
    parser = argparse.ArgumentParser()
    parser.add_argument("timeout", type=float)
    parser.add_argument("--pgid", type=int, action="append", default=[])
    parser.add_argument("urls", nargs="+")
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout
    pending = list(args.urls)
    while True:
        pending = [url for url in pending if not answers(url)]
        if not pending:
            return 0
        if ended := [pgid for pgid in args.pgid if not alive(pgid)]:
            sys.exit(f"process group {ended[0]} ended before {pending[0]} answered")
        if time.monotonic() > deadline:
            sys.exit(f"not ready after {args.timeout:.0f} s: {', '.join(pending)}")
        time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main())
