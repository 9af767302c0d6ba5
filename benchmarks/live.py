"""Benchmarks against a real `hass` process on loopback, with the emulator as a subprocess.

A throwaway configuration folder gets the repository's configuration.yaml (on free ports,
the integration's logger at warning as in a normal installation), the integration linked by
its absolute path, and a no-op webhook integration for comparison. A bare aiohttp server
runs beside it as the floor.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
import json
import os
from pathlib import Path
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
from typing import Any, Self

import aiohttp

from custom_components.smspilot.api import SmsPilotClient
from smspilot_emulator import DEMO_API_KEY, DEMO_USER_ID

# The throwaway Home Assistant configuration is prepared as the browser suite prepares it.
from tests_e2e.prepare_config import http_store, strip_top_level_block

from .loadgen import LoadResult, percentile, run_load

REPO = Path(__file__).resolve().parent.parent
HASS_START_TIMEOUT = 420.0
STOP_TIMEOUT = 30.0
ARRIVAL_TIMEOUT = 30.0
PHONE = "79087964781"


def free_ports(count: int) -> list[int]:
    """Return `count` different free TCP ports on 127.0.0.1."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


# Top-level blocks a configuration without the recorder must drop: these need it.
RECORDER_BLOCKS = ("recorder", "default_config", "history", "logbook")


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """What one benchmark instance runs besides the repository's configuration."""

    # Names its log in benchmarks/out.
    name: str = "main"
    # False: no recorder (nor history and logbook, which need it).
    recorder: bool = True
    # False: without the demo's gate automation (it listens for every inbound SMS).
    automation: bool = True
    # The benchmark's own integrations (folders in benchmarks/), set up from YAML.
    integrations: tuple[str, ...] = ("bench_noop",)
    # The bare aiohttp server beside Home Assistant.
    bare_server: bool = True


DEFAULT = Profile()
# The twilio comparison, as the issue measured: recorder off, no automation listening.
TWILIO = Profile(
    name="twilio",
    recorder=False,
    automation=False,
    integrations=("bench_announce",),
    bare_server=False,
)


def make_configuration(source: str, port: int, profile: Profile = DEFAULT) -> str:
    """Return the repository's configuration.yaml adjusted for a benchmark instance."""
    url = f"http://127.0.0.1:{port}"
    lines = strip_top_level_block(source.splitlines(), "http")
    dropped = (() if profile.recorder else RECORDER_BLOCKS) + (
        () if profile.automation else ("automation",)
    )
    for key in dropped:
        lines = strip_top_level_block(lines, key)
    out: list[str] = []
    for line in lines:
        if re.match(r"^\s+(internal_url|external_url):", line):
            continue
        # Debug logging writes a line per request; installations run without it.
        out.append(line.replace("smspilot: debug", "smspilot: warning"))
        if re.match(r"^homeassistant:\s*$", line):
            # The external URL makes the webhook reachable, so the integration uses callbacks.
            out.extend((f"  internal_url: {url}", f"  external_url: {url}"))
    out.extend(f"{name}:" for name in profile.integrations)
    return "\n".join(out) + "\n"


def prepare_config(target: Path, port: int, profile: Profile = DEFAULT) -> None:
    """Fill a throwaway configuration folder for one benchmark instance."""
    source = (REPO / "config" / "configuration.yaml").read_text(encoding="utf-8")
    (target / "configuration.yaml").write_text(
        make_configuration(source, port, profile), encoding="utf-8"
    )
    # Included files (automations.yaml for UI automations) start empty, as scripts/run makes them.
    for name in re.findall(r"!include\s+(\S+\.yaml)", source):
        included = target / name
        if not included.exists():
            included.write_text("[]\n", encoding="utf-8")
    storage = target / ".storage"
    storage.mkdir()
    (storage / "http").write_text(json.dumps(http_store(port)), encoding="utf-8")
    components = target / "custom_components"
    components.mkdir()
    (components / "smspilot").symlink_to(REPO / "custom_components" / "smspilot")
    for name in profile.integrations:
        (components / name).symlink_to(REPO / "benchmarks" / name)


LOG_RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+(?:[+-]\d\d:\d\d)? (\w+) \(", re.MULTILINE
)
# Printed for every custom integration; not about this one's behaviour.
UNTESTED_NOTICE = "We found a custom integration smspilot which has not been tested"


def integration_problems(log: str) -> list[str]:
    """Return the warnings and errors of Home Assistant's log that concern this integration.

    Others (the benchmark root has no ffmpeg or libturbojpeg) say nothing about it.
    """
    found: list[str] = []
    matches = list(LOG_RECORD.finditer(log))
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        record = log[match.start() : following.start() if following else len(log)]
        if match.group(1) not in {"WARNING", "ERROR", "CRITICAL"}:
            continue
        if "smspilot" not in record or UNTESTED_NOTICE in record:
            continue
        traceback = " (with a traceback)" if "Traceback" in record else ""
        found.append(record.splitlines()[0] + traceback)
    return found


@dataclass(slots=True)
class Child:
    """A subprocess this benchmark started, stopped by its own process id only."""

    name: str
    process: asyncio.subprocess.Process

    async def stop(self) -> None:
        """Ask the process to end, and kill it if it does not."""
        if self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


@dataclass(slots=True)
class Arrivals:
    """API requests as the emulator reported them: arrival times by send text, counts by kind."""

    by_text: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, line: dict[str, Any]) -> None:
        """Record one arrival line."""
        self.by_kind[line["kind"]] += 1
        if "text" in line:
            self.by_text[line["text"]].append((int(line["t"]), int(line["to"])))
        self.changed.set()

    async def wait_for(self, text: str, count: int = 1) -> list[tuple[int, int]]:
        """Return the arrivals of sends with this text once `count` have arrived (30 s at most)."""
        try:
            async with asyncio.timeout(ARRIVAL_TIMEOUT):
                while len(self.by_text.get(text, ())) < count:
                    self.changed.clear()
                    await self.changed.wait()
        except TimeoutError:
            raise TimeoutError(f"{count} send(s) of {text!r} did not reach the emulator") from None
        return self.by_text[text]


class LiveBench:
    """A real Home Assistant with the integration set up, the emulator and a bare server."""

    def __init__(self, profile: Profile = DEFAULT) -> None:
        """Choose ports and a throwaway folder; `__aenter__` starts everything."""
        self.profile = profile
        self.ha_port, self.emulator_port = free_ports(2)
        self.ha_url = f"http://127.0.0.1:{self.ha_port}"
        self.config_dir = Path(tempfile.mkdtemp(prefix="smspilot-bench."))
        self.children: list[Child] = []
        self.arrivals = Arrivals()
        self.emulator_url = ""
        self.bare_url = ""
        self.webhook_url = ""
        self.noop_url = f"{self.ha_url}/api/webhook/bench-noop"
        self.entry_id = ""
        self.token = ""
        self.session: aiohttp.ClientSession | None = None
        self._readers: list[asyncio.Task[None]] = []
        # Home Assistant's log lines at WARNING and above, read when the instance stops.
        self.log_problems: list[str] = []

    async def __aenter__(self) -> Self:
        """Start the emulator, the bare server and Home Assistant; add the account."""
        try:
            await self._start()
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop every process started here and remove the throwaway folder."""
        if self.session is not None:
            await self.session.close()
        for child in reversed(self.children):
            await child.stop()
        for reader in self._readers:
            reader.cancel()
        failed = exc_info[0] is not None
        log = self.config_dir / "hass.out"
        if failed and log.exists():
            sys.stderr.write(log.read_text(encoding="utf-8", errors="replace")[-6000:])
        ha_log = self.config_dir / "home-assistant.log"
        if ha_log.exists():
            text = ha_log.read_text(encoding="utf-8", errors="replace")
            # Kept (git-ignored) for a look at what the table's note counts.
            suffix = "" if self.profile.name == DEFAULT.name else f".{self.profile.name}"
            kept = REPO / "benchmarks" / "out" / f"home-assistant{suffix}.log"
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_text(text, encoding="utf-8")
            self.log_problems = integration_problems(text)
        shutil.rmtree(self.config_dir, ignore_errors=True)

    # --- start-up ------------------------------------------------------------------------------

    async def _spawn(self, name: str, *args: str, env: dict[str, str] | None = None) -> Child:
        """Start a Python subprocess whose stdout is read here."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *args,
            cwd=REPO,
            env={**os.environ, **(env or {})},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        child = Child(name, process)
        self.children.append(child)
        return child

    async def _ready_line(self, child: Child) -> str:
        """Return the address a server subprocess prints when it listens."""
        assert child.process.stdout is not None
        while True:
            raw = await asyncio.wait_for(child.process.stdout.readline(), 60)
            if not raw:
                raise RuntimeError(f"{child.name} ended before it was ready")
            if raw.startswith(b"{"):
                data = json.loads(raw)
                if "ready" in data:
                    return str(data["ready"])

    async def _read_arrivals(self, child: Child) -> None:
        """Record the emulator's arrival lines until it ends."""
        assert child.process.stdout is not None
        while raw := await child.process.stdout.readline():
            if raw.startswith(b"{"):
                self.arrivals.add(json.loads(raw))

    async def _drain(self, child: Child) -> None:
        """Read and drop a subprocess's output so its pipe never fills."""
        assert child.process.stdout is not None
        while await child.process.stdout.read(65536):
            pass

    async def _start(self) -> None:
        """Start everything and set up the account through the config flow."""
        emulator = await self._spawn(
            "emulator", "-m", "benchmarks.emulator_proc", "--port", str(self.emulator_port)
        )
        self.emulator_url = await self._ready_line(emulator)
        self._readers.append(asyncio.create_task(self._read_arrivals(emulator)))
        if self.profile.bare_server:
            bare = await self._spawn("bare server", "-m", "benchmarks.bare_server")
            self.bare_url = await self._ready_line(bare)
            self._readers.append(asyncio.create_task(self._drain(bare)))

        prepare_config(self.config_dir, self.ha_port, self.profile)
        log = (self.config_dir / "hass.out").open("wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "homeassistant",
            "--config",
            str(self.config_dir),
            # `python -m` puts the working folder first on sys.path. From the repository,
            # `custom_components` would be its own folder (Home Assistant mounts the
            # configuration folder only while it first imports the namespace), which holds
            # smspilot alone: the benchmark's integrations would silently not load.
            cwd=self.config_dir,
            env={**os.environ, "SMSPILOT_API_URL": self.emulator_url},
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.children.append(Child("Home Assistant", process))
        self.session = aiohttp.ClientSession()
        await self._wait_for_home_assistant(process)
        await self._onboard()
        await self._add_account()

    async def _wait_for_home_assistant(self, process: asyncio.subprocess.Process) -> None:
        """Wait until Home Assistant answers HTTP."""
        assert self.session is not None
        deadline = time.monotonic() + HASS_START_TIMEOUT
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError("Home Assistant ended during start-up")
            try:
                async with self.session.get(f"{self.ha_url}/api/onboarding") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
        raise TimeoutError("Home Assistant did not start")

    async def _onboard(self) -> None:
        """Create the owner and get an access token."""
        assert self.session is not None
        client_id = f"{self.ha_url}/"
        async with self.session.post(
            f"{self.ha_url}/api/onboarding/users",
            json={
                "client_id": client_id,
                "name": "Benchmark",
                "username": "bench",
                "password": "bench-password-1",
                "language": "en",
            },
        ) as answer:
            answer.raise_for_status()
            code = (await answer.json())["auth_code"]
        async with self.session.post(
            f"{self.ha_url}/auth/token",
            data={"grant_type": "authorization_code", "code": code, "client_id": client_id},
        ) as answer:
            answer.raise_for_status()
            self.token = (await answer.json())["access_token"]

    async def api(self, method: str, path: str, payload: Any = None) -> Any:
        """Call Home Assistant's REST API and return the decoded answer."""
        assert self.session is not None
        async with self.session.request(
            method,
            f"{self.ha_url}{path}",
            json=payload,
            headers={"Authorization": f"Bearer {self.token}"},
        ) as answer:
            text = await answer.text()
            if answer.status >= 400:
                raise RuntimeError(f"{method} {path}: HTTP {answer.status}: {text[:500]}")
            return json.loads(text) if text else None

    async def _add_account(self) -> None:
        """Add the emulator's demo account through the config flow, as a user would."""
        try:
            flow = await self.api(
                "POST", "/api/config/config_entries/flow", {"handler": "smspilot"}
            )
        except RuntimeError as err:
            raise RuntimeError(
                "Home Assistant did not load the integration (recovery mode after a "
                f"configuration error?); see benchmarks/out/home-assistant.log: {err}"
            ) from err
        flow_path = f"/api/config/config_entries/flow/{flow['flow_id']}"
        step = await self.api("POST", flow_path, {"api_key": DEMO_API_KEY})
        if step.get("step_id") != "inbound":
            raise RuntimeError(f"expected the inbound step with a webhook address, got {step}")
        self.webhook_url = step["description_placeholders"]["url"]
        done = await self.api("POST", flow_path, {})
        if done.get("type") != "create_entry":
            raise RuntimeError(f"the config flow did not create an entry: {done}")
        self.entry_id = done["result"]["entry_id"]
        await self.wait_loaded()

    async def wait_loaded(self) -> None:
        """Wait until the account's entry is loaded."""
        for _ in range(200):
            entries = await self.api("GET", "/api/config/config_entries/entry?domain=smspilot")
            if any(e["entry_id"] == self.entry_id and e["state"] == "loaded" for e in entries):
                return
            await asyncio.sleep(0.1)
        raise TimeoutError("the SMSPilot entry did not load")

    def client(self) -> SmsPilotClient:
        """Return an SMSPilot client of the benchmark's own, for direct calls."""
        assert self.session is not None
        return SmsPilotClient(self.session, DEMO_API_KEY, api_url=self.emulator_url)


# --- measurements ------------------------------------------------------------------------------


def inbound_form(sms_id: int) -> dict[str, str]:
    """Return an inbound-SMS form as SMSPilot posts it."""
    return {
        "phone": PHONE,
        "message": "Open the gate",
        "user_id": str(DEMO_USER_ID),
        "id": str(sms_id),
        "num": "79533984570",
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookResult:
    """Throughput and latency of one webhook target."""

    throughput: LoadResult
    latency: LoadResult


async def measure_webhooks(
    bench: LiveBench, *, latency_requests: int, throughput_requests: int, concurrency: int
) -> dict[str, WebhookResult]:
    """Load our webhook, the no-op webhook and the bare server the same way."""
    targets = {"bare": bench.bare_url, "noop": bench.noop_url, "ours": bench.webhook_url}
    results: dict[str, WebhookResult] = {}
    next_id = 1_000_000
    for name, url in targets.items():
        await run_load(url, inbound_form, requests=200, concurrency=4, first_id=next_id)
        next_id += 200
        latency = await run_load(
            url, inbound_form, requests=latency_requests, concurrency=1, first_id=next_id
        )
        next_id += latency_requests
        throughput = await run_load(
            url,
            inbound_form,
            requests=throughput_requests,
            concurrency=concurrency,
            first_id=next_id,
        )
        next_id += throughput_requests
        results[name] = WebhookResult(throughput=throughput, latency=latency)
        # Let Home Assistant finish announcing the SMS before the next target is measured.
        await asyncio.sleep(3)
    return results


async def _arrival_delay(bench: LiveBench, text: str, call: Callable[[], Awaitable[Any]]) -> float:
    """Return milliseconds from starting `call` to the send with `text` reaching the emulator."""
    started = time.monotonic_ns()
    await call()
    arrivals = await bench.arrivals.wait_for(text)
    return (arrivals[0][0] - started) / 1e6


async def measure_action_latency(bench: LiveBench, *, samples: int) -> dict[str, list[float]]:
    """Time smspilot.send_sms through Home Assistant and the client's direct call, alternately."""
    client = bench.client()
    ours: list[float] = []
    direct: list[float] = []
    for index in range(samples):
        text = f"Action probe {index}"
        action = partial(
            bench.api, "POST", "/api/services/smspilot/send_sms", {"to": PHONE, "message": text}
        )
        ours.append(await _arrival_delay(bench, text, action))
        text = f"Direct probe {index}"
        direct.append(await _arrival_delay(bench, text, partial(client.send_sms, PHONE, text)))
    return {"ours": ours, "direct": direct}


def recipients(count: int) -> list[str]:
    """Return `count` different Russian mobile numbers."""
    return [f"7916{index:07d}" for index in range(count)]


async def measure_notify(bench: LiveBench, sizes: tuple[int, ...]) -> dict[int, dict[str, float]]:
    """Count the API requests of one notify to N recipients, and of one request per recipient."""
    client = bench.client()
    # The first notify and send of a run pay one-time costs; they are not measured.
    await bench.api(
        "POST", "/api/services/notify/smspilot", {"message": "Warm-up", "target": [PHONE]}
    )
    await client.send_sms(PHONE, "Warm-up")
    results: dict[int, dict[str, float]] = {}
    for size in sizes:
        phones = recipients(size)
        text = f"Notify to {size}"
        started = time.perf_counter()
        await bench.api(
            "POST", "/api/services/notify/smspilot", {"message": text, "target": phones}
        )
        ours_seconds = time.perf_counter() - started
        ours = await bench.arrivals.wait_for(text)

        text = f"One by one to {size}"
        started = time.perf_counter()
        for phone in phones:
            await client.send_sms(phone, text)
        baseline_seconds = time.perf_counter() - started
        baseline = await bench.arrivals.wait_for(text, size)
        results[size] = {
            "ours_requests": len(ours),
            "ours_recipients": sum(to for _, to in ours),
            "ours_seconds": ours_seconds,
            "baseline_requests": len(baseline),
            "baseline_seconds": baseline_seconds,
        }
    return results


async def measure_setup(bench: LiveBench, *, samples: int) -> dict[str, list[float]]:
    """Time reloading the account (unload and set-up) against one direct user-info request."""
    client = bench.client()
    reloads: list[float] = []
    requests: list[float] = []
    for _ in range(samples):
        started = time.perf_counter()
        await bench.api("POST", f"/api/config/config_entries/entry/{bench.entry_id}/reload")
        reloads.append((time.perf_counter() - started) * 1000)
        await bench.wait_loaded()
        started = time.perf_counter()
        await client.get_user_info()
        requests.append((time.perf_counter() - started) * 1000)
    return {"ours": reloads, "baseline": requests}


def summary(values: list[float]) -> dict[str, float]:
    """Return the median and 99th percentile of a list of milliseconds."""
    return {"p50": percentile(values, 0.5), "p99": percentile(values, 0.99), "n": len(values)}
