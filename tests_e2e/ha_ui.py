"""Driving Home Assistant's frontend and the emulator: the steps the scenario is made of.

Home Assistant's frontend is built from web components; Playwright's role, text and CSS
locators reach into their (open) shadow roots. Every wait is on something the user would
see; there are no fixed sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
from dataclasses import dataclass
import json
import logging
from pathlib import Path
import re
import time
from typing import Any
import urllib.parse
import urllib.request

from playwright.sync_api import Locator, Page, TimeoutError as PlaywrightTimeoutError, expect

from texts import FRONTEND, FrontendTexts, ScenarioData, integration_strings, lookup, plain

LOGGER = logging.getLogger("e2e")

DEMO_API_KEY = "DEMOCBA864C3A2493CCBA809E18B78B7E7B1E36891FB9EB0EB619DB8EF6ECAA7"
WRONG_API_KEY = "NOT-A-VALID-SMSPILOT-KEY"
PASSWORD = "e2e-Demo-password-1"
RECIPIENT_PHONE = "+7 908 796-47-81"
INBOUND_PHONE = "79161234567"
# The chat with Assist: another phone than INBOUND_PHONE, so the earlier inbound SMS stays
# unanswered.
CHAT_PHONE = "+7 903 555-12-34"
CHAT_PHONE_DIGITS = "79035551234"
GATE = "input_boolean.gate"
AUTOMATION_ID = "smspilot_inbound_notification"
DASHBOARD_PATH = "smspilot-demo"
# The demo account's balance as the emulator starts it, in any locale's number format.
DEMO_BALANCE = re.compile(r"2[\s,.\u00a0\u202f]?934[.,]76")


@dataclass(frozen=True)
class Instance:
    """One Home Assistant and its emulator, for one UI language."""

    lang: str
    ha_url: str
    emulator_url: str
    config_dir: Path | None = None


class Emulator:
    """The emulator's control endpoints: what SMSPilot's side of the world does."""

    def __init__(self, base_url: str) -> None:
        """Remember where the emulator listens."""
        self.base_url = base_url

    def _post(self, path: str, form: dict[str, str] | None = None) -> Any:
        data = urllib.parse.urlencode(form or {}).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def set_inbound_webhook(self, api_key: str, url: str) -> None:
        """Paste the inbound address into the account's settings."""
        self._post(f"/emulator/accounts/{api_key}/webhook", {"url": url})

    def receive_sms(self, api_key: str, phone: str, message: str) -> dict[str, Any]:
        """Let an SMS arrive at the account's service number."""
        answer: dict[str, Any] = self._post(
            "/emulator/inbound", {"api_key": api_key, "phone": phone, "message": message}
        )
        return answer

    def deliver_all(self) -> int:
        """Let the operators report every pending message delivered."""
        completed: int = self._post("/emulator/complete")["completed"]
        return completed

    def state(self) -> dict[str, Any]:
        """Return the emulator's state (GET /emulator/state)."""
        with urllib.request.urlopen(self.base_url + "/emulator/state", timeout=10) as answer:
            state: dict[str, Any] = json.loads(answer.read())
        return state

    def sent_messages(self, api_key: str) -> list[dict[str, str]]:
        """Return the account's sent messages with every field (API-1 `check=all`)."""
        query = urllib.parse.urlencode(
            {"apikey": api_key, "check": "all", "fields": "all", "format": "json"}
        )
        with urllib.request.urlopen(f"{self.base_url}/api.php?{query}", timeout=10) as answer:
            messages: list[dict[str, str]] = json.loads(answer.read())["check"]
        return messages


class HomeAssistantUI:
    """The scenario's steps, in one Home Assistant, in one language."""

    def __init__(
        self,
        page: Page,
        instance: Instance,
        frontend: FrontendTexts,
        data: ScenarioData,
        screenshots: Path | None,
    ) -> None:
        """Keep what every step needs."""
        self.page = page
        self.instance = instance
        self.lang = instance.lang
        self.t = frontend
        self.data = data
        self.strings = integration_strings(instance.lang)
        self.screenshots = screenshots
        self.inbound_url: str | None = None

    # ----- small helpers -------------------------------------------------------------

    def text(self, dotted: str) -> str:
        """Return one of the integration's texts in this language."""
        return plain(lookup(self.strings, dotted))

    def goto(self, path: str) -> None:
        """Open a page of Home Assistant by its path."""
        self.page.goto(self.instance.ha_url + path)

    def shot(self, name: str) -> None:
        """Save a screenshot for the documentation (docs/screenshots/<lang>-<name>.png)."""
        if self.screenshots is None:
            return
        self.screenshots.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(
            path=self.screenshots / f"{self.lang}-{name}.png",
            animations="disabled",
            caret="hide",
        )

    def pick(self, owner: Locator, search: str, item: str) -> None:
        """Choose an entry in one of Home Assistant's searchable pickers.

        The list opens in a popover in the browser's top layer, where Playwright's
        hit test sees the page beneath; the entry gets its click event directly.
        """
        owner.click()
        popover = self.page.locator("wa-popover[open]")
        popover.get_by_role("textbox").fill(search)
        entry = popover.get_by_text(item, exact=True).first
        entry.wait_for()
        entry.dispatch_event("click")
        expect(popover).to_have_count(0)

    def choose(self, owner: Locator, item: str) -> None:
        """Choose an entry of a plain drop-down (a select selector's menu, without search)."""
        owner.click()
        entry = self.page.get_by_role("menuitem", name=item, exact=True)
        entry.wait_for()
        entry.dispatch_event("click")
        expect(self.page.get_by_role("menuitem", name=item, exact=True)).to_have_count(0)

    def settle_dialogs(self) -> None:
        """Wait until a closed dialog has also left the browser history.

        Home Assistant pushes a history entry for each dialog and goes back when it
        closes; navigating before that back() lands would be undone by it.
        """
        self.page.wait_for_function("() => !(history.state && history.state.dialog)")

    def token(self) -> str:
        """Return the signed-in user's access token (the frontend keeps it)."""
        tokens = self.page.evaluate("() => localStorage.getItem('hassTokens')")
        return str(json.loads(tokens)["access_token"])

    def rest(self, method: str, path: str, body: Any = None) -> Any:
        """Call Home Assistant's REST API as the signed-in user."""
        request = urllib.request.Request(
            self.instance.ha_url + path,
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Bearer {self.token()}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read() or b"null")

    def ws(self, message: dict[str, Any]) -> Any:
        """Send a websocket command through the frontend's own connection."""
        return self.page.evaluate(
            "message => document.querySelector('home-assistant').hass.callWS(message)", message
        )

    def entity_ids(self) -> dict[str, str]:
        """Return the account's entity ids by translation key, as the frontend knows them."""
        entries = self.page.evaluate(
            """() => Object.values(document.querySelector('home-assistant').hass.entities)
                     .filter(e => e.platform === 'smspilot' && e.translation_key)
                     .map(e => [e.translation_key, e.entity_id])"""
        )
        return dict(entries)

    def frontend_state(self, entity_id: str) -> str | None:
        """Return an entity's state as the frontend has it (None: unknown to it)."""
        state: str | None = self.page.evaluate(
            "id => document.querySelector('home-assistant').hass.states[id]?.state ?? null",
            entity_id,
        )
        return state

    def flow_dialog(self) -> Locator:
        """Return the dialog of a config flow (setup, recipient, options)."""
        return self.page.locator("dialog-data-entry-flow")

    def entity_row(self, entity_name: str) -> Locator:
        """Return an entity's row (name and state) on the device page."""
        return self.page.locator("ha-device-entities-card hui-generic-entity-row").filter(
            has=self.page.get_by_text(entity_name, exact=True)
        )

    # ----- the scenario's steps ------------------------------------------------------

    def onboard(self) -> None:
        """Create the owner through the onboarding pages, choosing the UI language first."""
        t = self.t
        page = self.page
        self.goto("/")
        page.wait_for_url(re.compile(r"/onboarding\.html"))
        if self.lang != "en":
            # The browser asks for English; the user switches in the picker at the bottom.
            english = FRONTEND["en"].create_smart_home
            expect(page.get_by_role("button", name=english)).to_be_visible()
            self.pick(page.locator("ha-language-picker"), t.language_name, t.language_name)
        page.get_by_role("button", name=t.create_smart_home).click()

        def field(label: str) -> Locator:
            return page.get_by_role("textbox", name=re.compile(rf"^{re.escape(label)}\*?$"))

        field(t.user_name).fill(self.data.user_display_name)
        field(t.user_username).fill("demo")
        field(t.user_password).fill(PASSWORD)
        field(t.user_password_confirm).fill(PASSWORD)
        page.get_by_role("button", name=t.create_account).click()

        expect(page.get_by_role("heading", name=t.location_heading)).to_be_visible()
        page.get_by_role("button", name=t.next).click()

        country = page.locator("ha-country-picker")
        expect(country).to_be_visible()
        self.pick(country, t.country_search, t.country_name)
        expect(country).to_contain_text(t.country_name)
        page.get_by_role("button", name=t.next).click()

        expect(page.get_by_role("heading", name=t.analytics_heading)).to_be_visible()
        page.get_by_role("button", name=t.next).click()
        page.get_by_role("button", name=t.finish_onboarding).click()
        page.wait_for_url(re.compile(r"/home"))
        expect(page.locator("html")).to_have_attribute("lang", self.lang)
        config = self.rest("GET", "/api/config")
        LOGGER.info(
            "%s: onboarded; system language %s, country %s, time zone %s",
            self.lang,
            config["language"],
            config["country"],
            config["time_zone"],
        )
        assert config["language"] == self.lang
        assert config["country"] == "RU"

    def add_integration(self) -> None:
        """Add SMSPilot with a wrong key first, then with the emulator's demo key."""
        page = self.page
        self.goto("/config/integrations/dashboard")
        page.get_by_role("button", name=self.t.add_integration).click()
        page.get_by_placeholder(self.t.brand_search).fill("SMSPilot")
        page.get_by_role("listitem").get_by_role("button", name="SMSPilot", exact=True).click()

        dialog = self.flow_dialog()
        expect(dialog.get_by_text(self.text("config.step.user.title"))).to_be_visible()
        key = dialog.get_by_role(
            "textbox", name=re.compile("^" + re.escape(self.text("config.step.user.data.api_key")))
        )
        key.fill(WRONG_API_KEY)
        dialog.get_by_role("button", name=self.t.submit).click()
        expect(dialog.get_by_text(self.text("config.error.invalid_auth"))).to_be_visible()
        self.shot("setup-dialog")

        key.fill(DEMO_API_KEY)
        dialog.get_by_role("button", name=self.t.submit).click()
        expect(dialog.get_by_text(self.text("config.step.inbound.title"))).to_be_visible()
        address = dialog.locator("code")
        expect(address).to_have_text(
            re.compile("^" + re.escape(self.instance.ha_url) + r"/api/webhook/\w+$")
        )
        self.inbound_url = address.inner_text().strip()
        self.shot("setup-inbound")
        dialog.get_by_role("button", name=self.t.submit).click()
        dialog.get_by_role("button", name=self.t.skip_and_finish).click()
        expect(dialog.get_by_role("dialog")).to_have_count(0)
        self.settle_dialogs()

    def open_integration_page(self) -> None:
        """Open SMSPilot's page under Settings -> Devices & services.

        Now and then Home Assistant's frontend shows this page without its entries after a
        full page load (also without the integration's buttons) and never fills them in; a
        user reloads then, and so does the test, saying so in the log.
        """
        self.goto("/config/integrations/integration/smspilot")
        device = self.page.get_by_role("button", name=re.compile(r"^SMSPilot API-1")).first
        try:
            device.wait_for(timeout=8_000)
        except PlaywrightTimeoutError:
            LOGGER.warning("%s: the integration page came up without entries; reloading", self.lang)
            self.page.reload()
            device.wait_for()

    def open_device_page(self, *, through_ui: bool = False) -> None:
        """Open the account's device page: from the integration's page, or by its address."""
        if through_ui:
            self.open_integration_page()
            self.page.get_by_role("button", name=re.compile(r"^SMSPilot API-1")).first.click()
            self.page.wait_for_url(re.compile(r"/config/devices/device/"))
            return
        device_id = self.page.evaluate(
            """() => Object.values(document.querySelector('home-assistant').hass.entities)
                     .find(e => e.platform === 'smspilot' && e.translation_key === 'balance')
                     .device_id"""
        )
        self.goto(f"/config/devices/device/{device_id}")

    def check_device_page(self) -> None:
        """Check that the device page shows the balance and the account's entities."""
        self.open_device_page(through_ui=True)
        expect(self.entity_row(self.text("entity.sensor.balance.name"))).to_contain_text(
            DEMO_BALANCE
        )
        for name in (
            "entity.sensor.last_message_status.name",
            "entity.sensor.last_inbound_message.name",
            "entity.event.inbound_sms.name",
        ):
            expect(self.entity_row(self.text(name))).to_be_visible()

    def add_recipient(self) -> None:
        """Add a recipient (a config subentry): a wrong number first, then a good one."""
        page = self.page
        self.open_integration_page()
        page.get_by_role(
            "button", name=self.text("config_subentries.recipient.initiate_flow.user")
        ).click()
        dialog = self.flow_dialog()
        step = "config_subentries.recipient.step.user"
        expect(dialog.get_by_text(self.text(f"{step}.title"))).to_be_visible()

        def field(key: str) -> Locator:
            label = self.text(f"{step}.data.{key}")
            return dialog.get_by_role("textbox", name=re.compile("^" + re.escape(label)))

        field("name").fill(self.data.recipient_name)
        field("phone").fill(RECIPIENT_PHONE)
        expect(
            dialog.get_by_role("radio", name=self.text("selector.recipient_channel.options.sms"))
        ).to_be_checked()
        self.shot("recipient")
        field("phone").fill("123")
        dialog.get_by_role("button", name=self.t.submit).click()
        expect(
            dialog.get_by_text(self.text("config_subentries.recipient.error.invalid_phone"))
        ).to_be_visible()
        field("phone").fill(RECIPIENT_PHONE)
        dialog.get_by_role("button", name=self.t.submit).click()
        dialog.get_by_role("button", name=self.t.finish).click()
        expect(dialog.get_by_role("dialog")).to_have_count(0)
        self.settle_dialogs()
        expect(page.get_by_text(self.data.recipient_name, exact=True).first).to_be_visible()

    def send_sms_from_developer_tools(self) -> None:
        """Send an SMS with Developer tools -> Actions and read the response."""
        page = self.page
        self.goto("/developer-tools/action")
        self.pick(page.locator("ha-service-picker"), "smspilot.send_sms", "smspilot.send_sms")
        rows = page.locator("ha-service-control ha-settings-row")

        def row(field: str) -> Locator:
            name = self.text(f"services.send_sms.fields.{field}.name")
            return rows.filter(has=page.get_by_text(name, exact=True))

        to_row = row("to")
        to_row.get_by_role("button", name=self.t.add_item).click()
        to_row.get_by_role("textbox").first.fill(RECIPIENT_PHONE)
        row("message").get_by_role("textbox").fill(self.data.sms_text)
        page.get_by_role("button", name=self.t.perform_action).click()
        response = page.locator("ha-code-editor .cm-content").last
        expect(response).to_contain_text("status_name: accepted")
        expect(response).to_contain_text("79087964781")
        response.scroll_into_view_if_needed()
        self.shot("send-sms")

    def watch_status_change(self, emulator: Emulator) -> None:
        """Check the status sensor: "accepted", then "delivered" once the operator reports."""
        self.open_device_page()
        status = "entity.sensor.last_message_status"
        row = self.entity_row(self.text(f"{status}.name"))
        expect(row).to_contain_text(self.text(f"{status}.state.accepted"))
        assert emulator.deliver_all() >= 1
        # The page is not reloaded: the new state arrives over the websocket.
        expect(row).to_contain_text(self.text(f"{status}.state.delivered"))

    def create_inbound_automation(self) -> None:
        """Save an automation that turns each inbound SMS into a notification; show it."""
        event_entity = self.entity_ids()["inbound_sms"]
        config = {
            "alias": self.data.automation_alias,
            "description": self.data.automation_description,
            "mode": "queued",
            "triggers": [
                {
                    "trigger": "state",
                    "entity_id": event_entity,
                    "not_from": ["unavailable"],
                }
            ],
            "conditions": [],
            "actions": [
                {
                    "action": "persistent_notification.create",
                    "data": {
                        "title": self.data.notification_title,
                        "message": "{{ trigger.to_state.attributes.message }}",
                    },
                }
            ],
        }
        self.rest("POST", f"/api/config/automation/config/{AUTOMATION_ID}", config)
        self.goto(f"/config/automation/edit/{AUTOMATION_ID}")
        expect(self.page.get_by_text(self.data.automation_alias).first).to_be_visible()
        expect(
            self.page.get_by_text(self.text("entity.event.inbound_sms.name")).first
        ).to_be_visible()
        self.shot("automation")

    def receive_sms(self, emulator: Emulator) -> None:
        """Receive an SMS: the event entity fires and the automation notifies."""
        assert self.inbound_url, "the setup dialog showed no inbound address"
        emulator.set_inbound_webhook(DEMO_API_KEY, self.inbound_url)
        self.open_device_page()
        answer = emulator.receive_sms(DEMO_API_KEY, INBOUND_PHONE, self.data.inbound_text)
        assert answer["webhook_delivered"], answer
        last_inbound = self.text("entity.sensor.last_inbound_message.name")
        expect(self.entity_row(last_inbound)).to_contain_text(self.data.inbound_text)

        event_name = self.text("entity.event.inbound_sms.name")
        event_entity = self.entity_ids()["inbound_sms"]
        attributes = self.page.evaluate(
            "id => document.querySelector('home-assistant').hass.states[id].attributes",
            event_entity,
        )
        assert attributes["event_type"] == "received", attributes
        assert attributes["message"] == self.data.inbound_text, attributes
        assert INBOUND_PHONE in re.sub(r"\D", "", attributes["phone"]), attributes

        self.page.locator("ha-device-entities-card").get_by_text(event_name, exact=True).click()
        more_info = self.page.locator("ha-more-info-dialog")
        received = self.text("entity.event.inbound_sms.state_attributes.event_type.state.received")
        expect(more_info.get_by_text(received).first).to_be_visible()
        self.page.keyboard.press("Escape")
        expect(more_info.get_by_role("dialog")).to_have_count(0)
        self.settle_dialogs()

        # The automation made a notification of it.
        self.page.get_by_role("button", name=self.t.notifications).click()
        drawer = self.page.locator("notification-drawer")
        expect(drawer).to_contain_text(self.data.inbound_text)
        expect(drawer).to_contain_text(INBOUND_PHONE[1:])
        self.shot("inbound-notification")
        self.page.keyboard.press("Escape")
        self.settle_dialogs()
        # The device page after all that: balance, statuses, the SMS, the automation.
        expect(self.entity_row(last_inbound)).to_contain_text(self.data.inbound_text)
        self.shot("device")

    def show_dashboard(self) -> None:
        """Build a small SMSPilot dashboard and look at it."""
        ids = self.entity_ids()
        self.ws(
            {
                "type": "lovelace/dashboards/create",
                "url_path": DASHBOARD_PATH,
                "title": self.data.dashboard_title,
                "icon": "mdi:message-text",
                "show_in_sidebar": True,
                "require_admin": False,
                "mode": "storage",
            }
        )
        tiles = [
            {"type": "tile", "entity": ids[key], "grid_options": {"columns": 12}}
            for key in ("balance", "last_message_status", "inbound_sms", "last_inbound_message")
        ]
        self.ws(
            {
                "type": "lovelace/config/save",
                "url_path": DASHBOARD_PATH,
                "config": {
                    "views": [
                        {
                            "title": self.data.dashboard_title,
                            "type": "sections",
                            "max_columns": 2,
                            "sections": [
                                {"type": "grid", "cards": tiles},
                                {
                                    "type": "grid",
                                    "cards": [
                                        {
                                            "type": "logbook",
                                            "target": {
                                                "entity_id": [
                                                    ids["last_message_status"],
                                                    ids["inbound_sms"],
                                                    ids["last_inbound_message"],
                                                ]
                                            },
                                            "hours_to_show": 1,
                                            "grid_options": {"columns": 12},
                                        }
                                    ],
                                },
                            ],
                        }
                    ]
                },
            }
        )
        self.goto(f"/{DASHBOARD_PATH}/0")
        tiles_view = self.page.locator("hui-tile-card")
        expect(tiles_view).to_have_count(4)
        expect(tiles_view.first).to_contain_text(re.compile(r"\d[.,]\d\d"))
        expect(self.page.locator("hui-logbook-card")).to_contain_text(
            self.text("entity.sensor.last_message_status.state.delivered")
        )
        self.shot("dashboard")

    def add_chat(self) -> None:
        """Add a chat with Assist (a config subentry) for CHAT_PHONE, acting as the owner."""
        page = self.page
        self.open_integration_page()
        page.get_by_role(
            "button", name=self.text("config_subentries.chat.initiate_flow.user")
        ).click()
        dialog = self.flow_dialog()
        step = "config_subentries.chat.step.user"
        expect(dialog.get_by_text(self.text(f"{step}.title"))).to_be_visible()

        def label(key: str) -> re.Pattern[str]:
            return re.compile("^" + re.escape(self.text(f"{step}.data.{key}")))

        dialog.get_by_role("textbox", name=label("name")).fill(self.data.chat_name)
        dialog.get_by_role("textbox", name=label("phone")).fill(CHAT_PHONE)
        # The pickers show their label and the value as one button's name.
        user = dialog.get_by_role("button", name=label("user_id"))
        self.choose(user, self.data.user_display_name)
        expect(user).to_contain_text(self.data.user_display_name)
        # Home Assistant's own agent and the system language are the defaults.
        expect(dialog.get_by_role("button", name=label("agent_id"))).to_contain_text(
            "Home Assistant"
        )
        expect(dialog.get_by_role("button", name=label("language"))).to_be_visible()
        self.shot("chat-form")
        dialog.get_by_role("button", name=self.t.submit).click()
        dialog.get_by_role("button", name=self.t.finish).click()
        expect(dialog.get_by_role("dialog")).to_have_count(0)
        self.settle_dialogs()
        expect(page.get_by_text(self.data.chat_name, exact=True).first).to_be_visible()
        chats = [
            s
            for s in self.ws(
                {"type": "config_entries/subentries/list", "entry_id": self.entry_id()}
            )
            if s["subentry_type"] == "chat"
        ]
        assert [c["title"] for c in chats] == [self.data.chat_name], chats

    def entry_id(self) -> str:
        """Return the SMSPilot account's config entry id."""
        entries = self.ws({"type": "config_entries/get", "domain": "smspilot"})
        assert len(entries) == 1, entries
        return str(entries[0]["entry_id"])

    def expose_gate(self) -> None:
        """Name input_boolean.gate in this language and expose it to Assist.

        What a user does in the entity's settings (its name, Voice assistants -> Assist),
        done through the same websocket commands. The configuration names it "Gate".
        """
        if self.frontend_state(GATE) is None:
            raise AssertionError(f"{GATE} is missing from the test configuration")
        self.ws(
            {
                "type": "config/entity_registry/update",
                "entity_id": GATE,
                "name": self.data.gate_name,
            }
        )
        self.ws(
            {
                "type": "homeassistant/expose_entity",
                "assistants": ["conversation"],
                "entity_ids": [GATE],
                "should_expose": True,
            }
        )
        exposed = self.ws({"type": "homeassistant/expose_entity/list"})["exposed_entities"]
        assert exposed.get(GATE, {}).get("conversation") is True, exposed
        self.page.wait_for_function(
            "([id, name]) => document.querySelector('home-assistant')"
            ".hass.states[id]?.attributes.friendly_name === name",
            arg=[GATE, self.data.gate_name],
        )
        assert self.frontend_state(GATE) == "off"

    def chat_with_assist(self, emulator: Emulator) -> None:
        """Text the gate on from the chat's phone; check the 2WAY answer and the logbook."""
        assert self.inbound_url, "the setup dialog showed no inbound address"
        emulator.set_inbound_webhook(DEMO_API_KEY, self.inbound_url)
        sent_before = emulator.state()["messages"]["total"]
        self.goto("/logbook")
        logbook = self.page.locator("ha-logbook")
        expect(logbook).to_be_visible()
        answer = emulator.receive_sms(DEMO_API_KEY, CHAT_PHONE_DIGITS, self.data.chat_question)
        assert answer["webhook_delivered"], answer
        # The frontend learns the gate's new state over the websocket.
        self.page.wait_for_function(
            "id => document.querySelector('home-assistant').hass.states[id]?.state === 'on'",
            arg=GATE,
        )

        def replies() -> list[dict[str, str]]:
            return [
                m for m in emulator.sent_messages(DEMO_API_KEY) if m["phone"] == CHAT_PHONE_DIGITS
            ]

        sent = wait_until(replies, "the chat's reply reached the emulator")
        assert emulator.state()["messages"]["total"] == sent_before + 1
        assert len(sent) == 1, sent
        reply = sent[0]
        # SMSPilot sends 2WAY from its shared service number and keeps the asked-for sender.
        assert reply.get("sender_orig") == "2WAY", reply
        LOGGER.info("%s: the chat answered by 2WAY SMS: %s", self.lang, reply["message"])

        line = plain(lookup(self.strings, "exceptions.logbook_chat.message")).format(
            name=self.data.chat_name, question=self.data.chat_question, answer=reply["message"]
        )
        expect(logbook).to_contain_text(line)
        # The gate's own entry (its name right after the time) is there too. The pattern
        # runs in the browser (JavaScript), where \b knows no Cyrillic letters.
        gate_entry = re.compile(r"^[\d:.\sAPMapm]+" + re.escape(self.data.gate_name))
        expect(logbook.get_by_role("button", name=gate_entry).first).to_be_visible()
        self.shot("chat-logbook")

    def check_no_repairs(self) -> None:
        """Check that the integration raised no repair issue (SMSPilot can call it)."""
        issues = self.ws({"type": "repairs/list_issues"})["issues"]
        LOGGER.info(
            "%s: repair issues: %s",
            self.lang,
            "; ".join(
                f"{i['domain']}.{i['issue_id']} {i.get('translation_placeholders')}" for i in issues
            )
            or "none",
        )
        assert not [i for i in issues if i["domain"] == "smspilot"], issues

    def check_log(self) -> None:
        """Check Home Assistant's log: no error from the integration; show its warnings."""
        if self.instance.config_dir is None:
            return
        log = (self.instance.config_dir / "home-assistant.log").read_text("utf-8", "replace")
        # Since 2026.11 each record's time ends with its UTC offset (10:04:25.708+00:00).
        entries = re.split(r"\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+(?:[+-]\d\d:\d\d)? )", log)
        ours = [e for e in entries if "smspilot" in e.lower()]
        errors = [e for e in ours if re.match(r"\S+ \S+ (ERROR|CRITICAL) ", e)]
        for entry in ours:
            if re.match(r"\S+ \S+ WARNING ", entry) and "has not been tested" not in entry:
                LOGGER.warning("%s: Home Assistant log: %s", self.lang, entry.splitlines()[0])
        assert not errors, "\n".join(errors)


def wait_until(probe: Any, what: str, timeout: float = 20.0) -> Any:
    """Poll `probe` until it returns something truthy (outside the browser, e.g. the emulator)."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting until {what}")
        time.sleep(0.1)


@contextlib.contextmanager
def step(page: Page, lang: str, name: str, artifacts: Path | None) -> Iterator[None]:
    """Log a step; on failure keep a screenshot and name the step in the error."""
    LOGGER.info("%s: %s", lang, name)
    try:
        yield
    except BaseException as err:
        if artifacts is not None:
            artifacts.mkdir(parents=True, exist_ok=True)
            slug = re.sub(r"\W+", "-", name).strip("-")
            with contextlib.suppress(Exception):
                page.screenshot(path=artifacts / f"{lang}-failed-{slug}.png")
        err.add_note(f"[{lang}] step: {name}")
        raise
