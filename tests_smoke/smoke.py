"""Smoke run: the integration on the newest Home Assistant release, used as a person would.

A real `hass` process (a throwaway configuration folder made as the browser suite makes it,
plus `default_config:`, on a free port, with an external URL the emulator can call) and the
SMSPilot emulator (`python -m smspilot_emulator`) as subprocesses. Everything goes through
Home Assistant's REST and websocket API: onboarding, adding the account by the config flow,
notify and an action with its response, an inbound SMS, the options flow, a reconfigure, two
quick reloads, deleting and adding the account again. At the end Home Assistant's log must
have nothing bad to say about the integration.

Run it with scripts/smoke, which sets up the environment (python -m tests_smoke.smoke).
Prints one line per step and `smoke: N passed, M failed`; exits 1 when a step failed.
The last run's logs and closing line stay in .test-logs/smoke/.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
import os
from pathlib import Path
import platform
import re
import shutil
import signal
import sys
import tempfile
import time
from typing import Any, override

import aiohttp

from benchmarks.live import HASS_START_TIMEOUT, UNTESTED_NOTICE, Child, LiveBench
from smspilot_emulator import DEMO_API_KEY
from tests_e2e import prepare_config

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / ".test-logs" / "smoke"
# Every step but the start of Home Assistant gets this long. The start, until every
# integration of default_config is set up, gets HASS_START_TIMEOUT (7 minutes: the very first
# one installs the frontend and the requirements of default_config).
STEP_TIMEOUT = 90.0
# Sends are checked again after this long, so that a late second request is seen too.
SETTLE_SECONDS = 1.0
PHONES = ["+7 908 796-47-81", "8 (916) 123-12-12"]
INBOUND_PHONE = "79161234567"
INBOUND_TEXT = "Smoke: open the gate"

# Home Assistant's own words for code that misuses it: bad wherever they come from.
ALWAYS_BAD = (
    "Detected that custom integration 'smspilot'",  # a frame report about this integration
    "Detected code that",  # a frame report about code outside any integration
    "will stop working",  # a deprecation with a deadline
    "Task exception was never retrieved",  # a task that failed and nobody looked
    "Error doing job",  # a job of the event loop that raised
)

# ERROR records of unrelated core components that cannot work on this machine, each with
# the reason; a record that mentions smspilot is never ignored. Their WARNING records need
# no entry: only the integration's own warnings count.
IGNORED: tuple[tuple[re.Pattern[str], str], ...] = (
    # tts (in default_config through assist_pipeline) loads the ffmpeg integration, which asks
    # the ffmpeg binary for its version: Debian's ffmpeg package, not in the Python 3.14 root.
    (
        re.compile(r"\[haffmpeg\.core\] FFmpeg fails .*No such file or directory: 'ffmpeg'"),
        "ffmpeg not installed",
    ),
    # Home Assistant's alerts feed is on the internet; this machine reaches package
    # registries only.
    (
        re.compile(
            r"\[homeassistant\.components\.homeassistant_alerts\.coordinator\] Error requesting"
        ),
        "no internet for homeassistant_alerts",
    ),
)

# The start of a log record: "2026-12-01 10:04:25.708 LEVEL (thread) [logger] message";
# since 2026.11 the time carries its UTC offset ("10:04:25.708+00:00").
RECORD = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+(?:[+-]\d\d:\d\d)?) (?P<level>[A-Z]+) "
    r"\((?P<thread>[^)]*)\) \[(?P<logger>[^\]]+)\]",
    re.MULTILINE,
)


class StepError(Exception):
    """A check of a step that did not hold."""


def check(condition: object, message: str) -> None:
    """Fail the step with `message` unless `condition` holds."""
    if not condition:
        raise StepError(message)


async def until(condition: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    """Poll `condition` every 0.2 s until it holds; fail the step after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        if await condition():
            return
        check(time.monotonic() < deadline, f"{what} within {seconds:.0f} s")
        await asyncio.sleep(0.2)


# --- Home Assistant's log --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One record of Home Assistant's log."""

    time: datetime
    level: str
    logger: str
    text: str


@dataclass(frozen=True, slots=True)
class LogVerdict:
    """What the log check found."""

    bad: list[LogRecord]
    ignored: dict[str, int]


def log_records(text: str) -> list[LogRecord]:
    """Split Home Assistant's log into records (a record runs until the next one starts)."""
    matches = list(RECORD.finditer(text))
    records = []
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        stamp = datetime.fromisoformat(match.group("time"))
        records.append(
            LogRecord(
                # Records without an offset (before 2026.11) are in the machine's local time.
                time=stamp.astimezone(UTC),
                level=match.group("level"),
                logger=match.group("logger"),
                text=text[match.start() : following.start() if following else len(text)].rstrip(),
            )
        )
    return records


def judge_log(text: str) -> LogVerdict:
    """Return the records that concern the integration in a bad way, and what was ignored."""
    bad: list[LogRecord] = []
    ignored: dict[str, int] = {}
    for record in log_records(text):
        ours = (
            record.logger.startswith("custom_components.smspilot")
            or "smspilot" in record.text.lower()
        )
        if any(pattern in record.text for pattern in ALWAYS_BAD):
            bad.append(record)
        elif record.level in {"ERROR", "CRITICAL"}:
            reason = next((why for pattern, why in IGNORED if pattern.search(record.text)), None)
            if reason is None or ours:
                bad.append(record)
            else:
                ignored[reason] = ignored.get(reason, 0) + 1
        elif record.level == "WARNING" and ours and UNTESTED_NOTICE not in record.text:
            bad.append(record)
    return LogVerdict(bad=bad, ignored=ignored)


# --- the instance ------------------------------------------------------------------------------


class SmokeInstance(LiveBench):
    """The benchmarks' live Home Assistant, with the stock emulator and default_config."""

    def __init__(self) -> None:
        """Choose ports and a throwaway folder (named without "smspilot", see judge_log)."""
        super().__init__()
        self.config_dir.rmdir()
        self.config_dir = Path(tempfile.mkdtemp(prefix="ha-smoke."))
        self.emulator_base = f"http://127.0.0.1:{self.emulator_port}"
        self.emulator_url = f"{self.emulator_base}/api.php"
        self.hass: asyncio.subprocess.Process | None = None
        self.hass_started = 0.0
        self.version = "unknown"
        self.log_text = ""

    @override
    async def _start(self) -> None:
        """Only open the HTTP session: each start is a step of its own."""
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))

    @override
    async def __aexit__(self, *exc_info: object) -> None:
        """Stop what is still running, keep the logs, remove the throwaway folder."""
        with contextlib.suppress(Exception):
            await self.stop_all()
        if self.session is not None:
            await self.session.close()
        for reader in self._readers:
            reader.cancel()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name in ("home-assistant.log", "hass.out"):
            source = self.config_dir / name
            if source.exists():
                shutil.copyfile(source, ARTIFACTS / name)
        log = self.config_dir / "home-assistant.log"
        self.log_text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        shutil.rmtree(self.config_dir, ignore_errors=True)

    # --- helpers -------------------------------------------------------------------------------

    @property
    def http(self) -> aiohttp.ClientSession:
        """Return the HTTP session (open between start and stop)."""
        if self.session is None:
            raise RuntimeError("the HTTP session is not open")
        return self.session

    async def emulator(self, method: str, path: str, form: dict[str, str] | None = None) -> Any:
        """Call one of the emulator's control endpoints."""
        async with self.http.request(method, self.emulator_base + path, data=form) as answer:
            answer.raise_for_status()
            return await answer.json()

    async def sends(self) -> tuple[int, int]:
        """Return the emulator's send requests (packets, held pending) and messages so far."""
        state = await self.emulator("GET", "/emulator/state")
        return int(state["pending_packets"]), int(state["messages"]["total"])

    async def expect_sends(self, before: tuple[int, int], messages: int) -> str:
        """Check that exactly one send request with `messages` messages arrived since `before`."""

        async def arrived() -> bool:
            return await self.sends() != before

        await until(arrived, 15, "no send request reached the emulator")
        await asyncio.sleep(SETTLE_SECONDS)
        packets, total = (a - b for a, b in zip(await self.sends(), before, strict=True))
        check(packets == 1, f"expected 1 send request at the emulator, got {packets}")
        check(total == messages, f"expected {messages} message(s) at the emulator, got {total}")
        return f"1 request, {messages} message(s) at the emulator"

    async def smspilot_entries(self) -> list[dict[str, Any]]:
        """Return the integration's config entries."""
        entries: list[dict[str, Any]] = await self.api(
            "GET", "/api/config/config_entries/entry?domain=smspilot"
        )
        return entries

    async def notify_services(self) -> set[str]:
        """Return the names of the notify actions Home Assistant offers now."""
        domains = await self.api("GET", "/api/services")
        return {
            name
            for domain in domains
            if domain["domain"] == "notify"
            for name in domain["services"]
        }

    async def smspilot_states(self) -> list[dict[str, Any]]:
        """Return the states of the integration's entities (their ids start with smspilot)."""
        states = await self.api("GET", "/api/states")
        return [s for s in states if s["entity_id"].split(".", 1)[1].startswith("smspilot")]

    async def event_entity(self) -> dict[str, Any]:
        """Return the state of the account's inbound-SMS event entity."""
        found = [
            s
            for s in await self.smspilot_states()
            if s["entity_id"].startswith("event.")
            and "received" in s["attributes"].get("event_types", [])
        ]
        check(len(found) == 1, f"expected one inbound-SMS event entity, found {len(found)}")
        return found[0]

    async def wait_reloaded(self) -> None:
        """Wait until the entry is loaded again after a reload that may not have begun yet."""
        await asyncio.sleep(0.5)
        await self.wait_loaded()

    async def notify(self, message: str) -> str:
        """Send `message` with notify.smspilot to both phones; check the single request."""
        before = await self.sends()
        await self.api(
            "POST",
            "/api/services/notify/smspilot",
            {"title": "Smoke", "message": message, "target": PHONES},
        )
        return await self.expect_sends(before, len(PHONES))

    # --- steps ---------------------------------------------------------------------------------

    async def start_emulator(self) -> str:
        """Start the emulator; statuses wait (15 min), so every send stays a pending packet."""
        emulator = await self._spawn(
            "emulator",
            "-m",
            "smspilot_emulator",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.emulator_port),
            "--status-delays",
            "900,900",
        )
        self._readers.append(asyncio.create_task(self._drain(emulator)))
        while True:
            check(emulator.process.returncode is None, "the emulator ended during start-up")
            with contextlib.suppress(aiohttp.ClientError):
                await self.emulator("GET", "/emulator/state")
                return self.emulator_base
            await asyncio.sleep(0.2)

    async def start_hass(self) -> str:
        """Write the configuration folder and start Home Assistant; wait until it answers."""
        prepare_config.main(["prepare_config", str(REPO), str(self.config_dir), str(self.ha_port)])
        configuration = self.config_dir / "configuration.yaml"
        text = configuration.read_text(encoding="utf-8")
        if not re.search(r"^default_config:", text, re.MULTILINE):
            text += "\n# Added by the smoke run: what a new installation has.\ndefault_config:\n"
            configuration.write_text(text, encoding="utf-8")
        self.hass_started = time.monotonic()
        with (self.config_dir / "hass.out").open("wb") as out:
            self.hass = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "homeassistant",
                "--config",
                str(self.config_dir),
                # Not the repository: `python -m` puts the working folder first on sys.path,
                # and the integration must load from the configuration folder, as installed.
                cwd=self.config_dir,
                env={**os.environ, "SMSPILOT_API_URL": self.emulator_url},
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        self.children.append(Child("Home Assistant", self.hass))
        await self._wait_for_home_assistant(self.hass)
        return self.ha_url

    async def onboard(self) -> str:
        """Create the owner through onboarding; wait until Home Assistant is running."""
        await self._onboard()
        deadline = self.hass_started + HASS_START_TIMEOUT
        while True:
            config = await self.api("GET", "/api/config")
            if config["state"] == "RUNNING":
                break
            check(time.monotonic() < deadline, f"still {config['state']} after the start")
            await asyncio.sleep(0.5)
        self.version = str(config["version"])
        return f"Home Assistant {self.version} running"

    async def add_account(self) -> str:
        """Add the demo account by the config flow; paste the inbound address at the emulator."""
        await self._add_account()
        check(
            self.webhook_url.startswith(f"{self.ha_url}/api/webhook/"),
            f"the inbound address is not this Home Assistant's: {self.webhook_url}",
        )
        await self.emulator(
            "POST", f"/emulator/accounts/{DEMO_API_KEY}/webhook", {"url": self.webhook_url}
        )
        services = await self.notify_services()
        check("smspilot" in services, "no notify.smspilot action after adding the account")
        return f"entry {self.entry_id} loaded"

    async def send_notify(self) -> str:
        """Send notify.smspilot to two numbers: one request."""
        return await self.notify("Smoke: notify to two numbers")

    async def send_action(self) -> str:
        """Call smspilot.send_sms and read the packet in its response."""
        before = await self.sends()
        answer = await self.api(
            "POST",
            "/api/services/smspilot/send_sms?return_response",
            {"to": PHONES[0], "message": "Smoke: the send_sms action"},
        )
        response = answer["service_response"]
        check(response.get("packet_id"), f"no packet_id in the response: {response}")
        messages = response.get("messages", [])
        check(len(messages) == 1, f"expected one message in the response: {response}")
        check(messages[0]["phone"] == "79087964781", f"unexpected phone: {messages[0]}")
        check(messages[0]["status_name"] == "accepted", f"not accepted: {messages[0]}")
        sent = await self.expect_sends(before, 1)
        return f"packet {response['packet_id']}; {sent}"

    async def receive_sms(self) -> str:
        """Receive an SMS at the emulator: smspilot_sms_received and the event entity fire."""
        before = await self.event_entity()
        async with self.http.ws_connect(f"{self.ha_url}/api/websocket") as ws:
            check((await ws.receive_json())["type"] == "auth_required", "no websocket auth")
            await ws.send_json({"type": "auth", "access_token": self.token})
            check((await ws.receive_json())["type"] == "auth_ok", "websocket auth failed")
            await ws.send_json(
                {"id": 1, "type": "subscribe_events", "event_type": "smspilot_sms_received"}
            )
            check((await ws.receive_json()).get("success"), "could not subscribe to the event")
            answer = await self.emulator(
                "POST",
                "/emulator/inbound",
                {"api_key": DEMO_API_KEY, "phone": INBOUND_PHONE, "message": INBOUND_TEXT},
            )
            check(answer["webhook_delivered"], f"the webhook did not take the SMS: {answer}")
            async with asyncio.timeout(20):
                message = await ws.receive_json()
        data = message["event"]["data"]
        check(data["message"] == INBOUND_TEXT, f"unexpected event data: {data}")
        check(INBOUND_PHONE in re.sub(r"\D", "", str(data["phone"])), f"unexpected phone: {data}")
        async with asyncio.timeout(20):
            while True:
                state = await self.event_entity()
                if state["state"] != before["state"]:
                    break
                await asyncio.sleep(0.2)
        attributes = state["attributes"]
        check(attributes.get("message") == INBOUND_TEXT, f"event entity: {attributes}")
        check(attributes.get("event_type") == "received", f"event entity: {attributes}")
        return f"event fired; {state['entity_id']} changed"

    async def options_flow(self) -> str:
        """Choose another default sender in the options flow."""
        base = "/api/config/config_entries/options/flow"
        form = await self.api("POST", base, {"handler": self.entry_id})
        check(form.get("type") == "form" and form.get("step_id") == "init", f"got {form}")
        field = next(f for f in form["data_schema"] if f["name"] == "default_sender")
        senders = [
            option if isinstance(option, str) else option["value"]
            for option in field["selector"]["select"]["options"]
        ]
        choice = next((s for s in senders if s != field.get("default")), senders[0])
        done = await self.api("POST", f"{base}/{form['flow_id']}", {"default_sender": choice})
        check(done.get("type") == "create_entry", f"the options flow ended with {done}")
        await self.wait_reloaded()
        return f"default sender {choice} (of {len(senders)})"

    async def reconfigure(self) -> str:
        """Reconfigure the entry with the same key, as the entry's menu does."""
        base = "/api/config/config_entries/flow"
        form = await self.api("POST", base, {"handler": "smspilot", "entry_id": self.entry_id})
        check(form.get("type") == "form" and form.get("step_id") == "reconfigure", f"got {form}")
        done = await self.api("POST", f"{base}/{form['flow_id']}", {"api_key": DEMO_API_KEY})
        check(
            done.get("type") == "abort" and done.get("reason") == "reconfigure_successful",
            f"the reconfigure flow ended with {done}",
        )
        await self.wait_reloaded()
        return "reconfigure_successful, entry loaded"

    async def quick_reloads(self) -> str:
        """Reload the entry twice without waiting for the first reload."""
        path = f"/api/config/config_entries/entry/{self.entry_id}/reload"
        answers = await asyncio.gather(self.api("POST", path), self.api("POST", path))
        await self.wait_reloaded()
        check("smspilot" in await self.notify_services(), "notify.smspilot is gone")
        state = await self.event_entity()
        check(state["state"] != "unavailable", f"{state['entity_id']} is unavailable")
        return f"both answered {answers[0]}, {answers[1]}; loaded"

    async def delete_entry(self) -> str:
        """Delete the entry: its actions and entities go with it."""
        await self.api("DELETE", f"/api/config/config_entries/entry/{self.entry_id}")
        check(not await self.smspilot_entries(), "the entry is still there")

        async def gone() -> bool:
            return "smspilot" not in await self.notify_services()

        await until(gone, 10, "notify.smspilot stayed")
        left = [s["entity_id"] for s in await self.smspilot_states()]
        check(not left, f"entities left behind: {left}")
        return "entry, notify actions and entities gone"

    async def add_again(self) -> str:
        """Add the account again by the config flow."""
        return await self.add_account()

    async def notify_again(self) -> str:
        """Send notify.smspilot after the account was added again."""
        return await self.notify("Smoke: notify after adding the account again")

    async def stop_all(self) -> str:
        """Stop Home Assistant, then the emulator; Home Assistant must exit cleanly."""
        codes = []
        for child in reversed(self.children):
            await child.stop()
            codes.append(f"{child.name} {child.process.returncode}")
        self.children.clear()
        if self.hass is not None:
            check(self.hass.returncode == 0, f"Home Assistant exited with {self.hass.returncode}")
        return "exit codes: " + ", ".join(codes)


def _shorten(record: str, lines: int = 25) -> str:
    """Return a log record, indented and cut to its first lines."""
    kept = record.splitlines()
    more = f"\n    … {len(kept) - lines} more line(s)" if len(kept) > lines else ""
    return "\n".join(f"    {line}" for line in kept[:lines]) + more


# --- the run -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Result:
    """One step's outcome."""

    name: str
    status: str  # ok, FAIL or skip
    started: datetime
    seconds: float
    detail: str


class Run:
    """Steps in order. A failed step does not stop the run, unless the rest need it."""

    def __init__(self) -> None:
        """Start with no results."""
        self.results: list[Result] = []
        self.blocked = False

    @property
    def failed(self) -> bool:
        """Whether a step has failed."""
        return any(r.status == "FAIL" for r in self.results)

    async def step(
        self,
        name: str,
        action: Callable[[], Awaitable[str]],
        *,
        limit: float = STEP_TIMEOUT,
        required: bool = False,
        always: bool = False,
    ) -> None:
        """Run one step within its time and print its line.

        After a failed `required` step the rest are skipped, except those that `always` run.
        """
        started = datetime.now(UTC)
        if self.blocked and not always:
            self._report(Result(name, "skip", started, 0.0, "needs a step that failed"))
            return
        clock = time.monotonic()
        try:
            async with asyncio.timeout(limit):
                detail = await action()
            status = "ok"
        except TimeoutError:
            status, detail = "FAIL", f"no result within {limit:.0f} s"
        except (StepError, RuntimeError, OSError, aiohttp.ClientError, KeyError, ValueError) as err:
            status, detail = "FAIL", f"{type(err).__name__}: {err}"
        self.blocked |= required and status == "FAIL"
        self._report(Result(name, status, started, time.monotonic() - clock, detail))

    def _report(self, result: Result) -> None:
        self.results.append(result)
        first, *rest = result.detail.splitlines() or [""]
        lines = [f"  {result.status:<4} {result.seconds:6.1f} s  {result.name}: {first}", *rest]
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()

    def step_at(self, moment: datetime) -> str:
        """Name the step that was running at `moment`."""
        name = "before the first step"
        for result in self.results:
            if result.started <= moment:
                name = result.name
        return name

    async def check_log(self, text: str) -> str:
        """Check that nothing in Home Assistant's log concerns the integration in a bad way."""
        check(text, "Home Assistant wrote no log")
        verdict = judge_log(text)
        ignored = "; ".join(f"{n} x {why}" for why, n in verdict.ignored.items()) or "none"
        if verdict.bad:
            shown = "\n".join(
                f"  during: {self.step_at(record.time)}\n{_shorten(record.text)}"
                for record in verdict.bad
            )
            raise StepError(f"{len(verdict.bad)} bad record(s):\n{shown}\n  ignored: {ignored}")
        return f"clean (ignored: {ignored})"

    def summary(self) -> str:
        """Return the closing line."""
        passed = sum(r.status == "ok" for r in self.results)
        failed = sum(r.status == "FAIL" for r in self.results)
        skipped = sum(r.status == "skip" for r in self.results)
        return f"smoke: {passed} passed, {failed} failed" + (
            f", {skipped} skipped" if skipped else ""
        )


async def smoke() -> int:
    """Run every step against a fresh Home Assistant; return the exit code."""
    if task := asyncio.current_task():
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    started = time.monotonic()
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    sys.stdout.write(f"smoke: Python {platform.python_version()}, logs in {ARTIFACTS}\n")
    run = Run()
    ha = SmokeInstance()
    async with ha:
        await run.step("start the emulator", ha.start_emulator, limit=30, required=True)
        await run.step(
            "start Home Assistant (the first start installs requirements)",
            ha.start_hass,
            limit=HASS_START_TIMEOUT + 10,
            required=True,
        )
        await run.step(
            "onboarding, until running", ha.onboard, limit=HASS_START_TIMEOUT + 30, required=True
        )
        await run.step("add the account by the config flow", ha.add_account, required=True)
        await run.step("notify.smspilot to two numbers", ha.send_notify)
        await run.step("smspilot.send_sms with its response", ha.send_action)
        await run.step("inbound SMS: event and event entity", ha.receive_sms)
        await run.step("options flow", ha.options_flow)
        await run.step("reconfigure flow with the same key", ha.reconfigure)
        await run.step("two quick reloads", ha.quick_reloads)
        await run.step("delete the entry", ha.delete_entry)
        await run.step("add the account again", ha.add_again)
        await run.step("notify.smspilot after adding again", ha.notify_again)
        await run.step("stop Home Assistant and the emulator", ha.stop_all, always=True)
    await run.step(
        "Home Assistant's log about smspilot", partial(run.check_log, ha.log_text), always=True
    )
    sys.stdout.write(
        f"smoke: Home Assistant {ha.version}, whole run {time.monotonic() - started:.0f} s\n"
    )
    sys.stdout.write(run.summary() + "\n")
    # For .ci/run, which repeats it at the end.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "summary.txt").write_text(run.summary() + "\n", encoding="utf-8")
    return 1 if run.failed else 0


def main() -> int:
    """Run the smoke run; Ctrl+C or SIGTERM stop everything it started."""
    try:
        return asyncio.run(smoke())
    except (KeyboardInterrupt, asyncio.CancelledError):
        sys.stdout.write("smoke: interrupted; everything it started is stopped\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
