"""The whole journey of a new user, once in English and once in Russian.

Each language runs against its own fresh Home Assistant and emulator (started by
scripts/e2e), so both begin at onboarding.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page
import pytest

from ha_ui import Emulator, HomeAssistantUI, Instance, step
from texts import FRONTEND, SCENARIO


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_new_user_journey(
    lang: str,
    instance: Instance,
    page: Page,
    screenshots: Path | None,
    artifacts: Path | None,
) -> None:
    """Onboard, add the account and a recipient, send, receive, chat with Assist by SMS."""
    ui = HomeAssistantUI(page, instance, FRONTEND[lang], SCENARIO[lang], screenshots)
    emulator = Emulator(instance.emulator_url)

    def run(name: str, action, *args) -> None:  # type: ignore[no-untyped-def]
        with step(page, lang, name, artifacts):
            action(*args)

    run("onboarding in the UI, choosing the language", ui.onboard)
    run("add SMSPilot: a wrong key, then the demo key", ui.add_integration)
    run("device page with the balance", ui.check_device_page)
    run("add a recipient (subentry)", ui.add_recipient)
    run("send an SMS from Developer tools -> Actions", ui.send_sms_from_developer_tools)
    run("the status changes from accepted to delivered", ui.watch_status_change, emulator)
    run("an automation on the inbound-SMS event", ui.create_inbound_automation)
    run("an inbound SMS fires the event and the automation", ui.receive_sms, emulator)
    run("a dashboard with the account", ui.show_dashboard)
    run("add a chat with Assist (subentry)", ui.add_chat)
    run("expose the gate to Assist", ui.expose_gate)
    run("an SMS to Assist turns the gate on; the answer, by 2WAY", ui.chat_with_assist, emulator)
    run("no repair issue from the integration", ui.check_no_repairs)
    run("no error from the integration in Home Assistant's log", ui.check_log)
