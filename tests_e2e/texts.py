"""What the user reads, per UI language.

The integration's own texts come from its translation files, so the tests check exactly
what ships. Home Assistant's texts (onboarding, buttons) are written out here; when a
Home Assistant release rewords one, this is the only place to change.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
from pathlib import Path
import re
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TRANSLATIONS = REPO / "custom_components" / "smspilot" / "translations"


@dataclass(frozen=True, kw_only=True)
class FrontendTexts:
    """Home Assistant's own words for the controls the scenario uses."""

    language_name: str  # as the language picker lists it
    create_smart_home: str
    user_name: str
    user_username: str
    user_password: str
    user_password_confirm: str
    create_account: str
    location_heading: str
    next: str
    country_search: str  # typed into the country picker
    country_name: str  # the entry to choose
    analytics_heading: str
    finish_onboarding: str
    add_integration: str
    brand_search: str
    submit: str
    skip_and_finish: str
    finish: str
    perform_action: str
    add_item: str
    notifications: str
    profile_language: str


FRONTEND: dict[str, FrontendTexts] = {
    "en": FrontendTexts(
        language_name="English",
        create_smart_home="Create my smart home",
        user_name="Name",
        user_username="Username",
        user_password="Password",
        user_password_confirm="Confirm password",
        create_account="Create account",
        location_heading="Home location",
        next="Next",
        country_search="Russia",
        country_name="Russia",
        analytics_heading="Help us help you",
        finish_onboarding="Finish",
        add_integration="Add integration",
        brand_search="Search for a brand name",
        submit="Submit",
        skip_and_finish="Skip and finish",
        finish="Finish",
        perform_action="Perform action",
        add_item="Add",
        notifications="Notifications",
        profile_language="Language",
    ),
    "ru": FrontendTexts(
        language_name="Русский",
        create_smart_home="Создать мой умный дом",
        user_name="Имя",
        user_username="Имя пользователя",
        user_password="Пароль",
        user_password_confirm="Подтвердите пароль",
        create_account="Создать учётную запись",
        location_heading="Местоположение дома",
        next="Далее",
        country_search="Россия",
        country_name="Россия",
        analytics_heading="Помогите нам помочь вам",
        finish_onboarding="Готово",
        add_integration="Добавить интеграцию",
        brand_search="Поиск по названию бренда",
        submit="Подтвердить",
        skip_and_finish="Пропустить и завершить",
        finish="Готово",
        perform_action="Выполнить действие",
        add_item="Добавить",
        notifications="Уведомления",
        profile_language="Язык",
    ),
}


@dataclass(frozen=True, kw_only=True)
class ScenarioData:
    """What the user types, per language."""

    user_display_name: str
    recipient_name: str
    sms_text: str
    inbound_text: str
    automation_alias: str
    automation_description: str
    notification_title: str  # a template; {{ phone }} comes from the event
    dashboard_title: str
    chat_name: str  # the chat with Assist (a subentry), as the logbook names it
    chat_question: str  # the SMS the chat's phone sends
    gate_name: str  # input_boolean.gate as this language's user calls it


SCENARIO: dict[str, ScenarioData] = {
    "en": ScenarioData(
        user_display_name="Demo",
        recipient_name="Mom",
        sms_text="Water leak in the bathroom!",
        inbound_text="Open the gate",
        automation_alias="Inbound SMS to a notification",
        automation_description="Shows every SMS that arrives at the SMSPilot number.",
        notification_title="SMS from {{ trigger.to_state.attributes.phone }}",
        dashboard_title="SMSPilot",
        chat_name="Dad",
        chat_question="Turn on the gate",
        gate_name="Gate",
    ),
    "ru": ScenarioData(
        user_display_name="Демо",
        recipient_name="Мама",
        sms_text="Протечка в ванной!",
        inbound_text="Открой ворота",
        automation_alias="Входящее SMS в уведомление",
        automation_description="Показывает каждое SMS, пришедшее на номер SMSPilot.",
        notification_title="SMS от {{ trigger.to_state.attributes.phone }}",
        dashboard_title="SMSPilot",
        chat_name="Папа",
        chat_question="Включи ворота",
        gate_name="Ворота",
    ),
}


def integration_strings(lang: str) -> dict[str, Any]:
    """Return the integration's translation file for a language."""
    strings: dict[str, Any] = json.loads((TRANSLATIONS / f"{lang}.json").read_text("utf-8"))
    return strings


def lookup(strings: dict[str, Any], dotted: str) -> str:
    """Return one text of a translation file by its dotted path."""
    node: Any = strings
    for part in dotted.split("."):
        node = node[part]
    if not isinstance(node, str):
        raise TypeError(f"{dotted} is not a text")
    return node


def plain(markdown: str) -> str:
    """Return a translation's text as the browser shows it (no Markdown marks)."""
    return re.sub(r"[*`]", "", markdown)
