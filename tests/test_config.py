"""Settings: defaults, normalisation, and one-line errors naming the variable."""

import pytest

from peerbot.config import DEFAULT_DATABASE_URL, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in (
        "BOT_TOKEN",
        "DATABASE_URL",
        "TELEGRAM_API_URL",
        "COORDINATOR_CHAT_ID",
        "COORDINATOR_IDS",
        "NO_COORDINATOR_GROUP",
        "PROGRAM_DIR",
        "ENCRYPTION_KEY",
        "TIMEZONE",
        "WEBHOOK_URL",
        "WEBHOOK_SECRET",
        "LISTEN_HOST",
        "LISTEN_PORT",
        "LOG_FORMAT",
        "REPLICA_ID",
    ):
        monkeypatch.delenv(f"PEERBOT_{name}", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_use_embedded_sqlite_and_telegram():
    settings = load_settings()
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.bot_token is None
    assert settings.coordinator_ids == frozenset()


def test_environment_values_are_normalised(monkeypatch):
    monkeypatch.setenv("PEERBOT_BOT_TOKEN", " 123:abc ")
    monkeypatch.setenv("PEERBOT_DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("PEERBOT_TELEGRAM_API_URL", "http://127.0.0.1:8081/")
    monkeypatch.setenv("PEERBOT_COORDINATOR_IDS", "11, 22,33")
    settings = load_settings()
    assert settings.bot_token is not None and settings.bot_token.get_secret_value() == "123:abc"
    assert settings.database_url == "postgresql+asyncpg://u@h/db"
    assert settings.telegram_api_url == "http://127.0.0.1:8081"
    assert settings.coordinator_ids == frozenset({11, 22, 33})


def test_dotenv_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("PEERBOT_TIMEZONE=Europe/Madrid\n")
    assert load_settings().timezone == "Europe/Madrid"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BOT_TOKEN", "no-colon"),
        ("DATABASE_URL", "mysql://x/y"),
        ("TELEGRAM_API_URL", "http://host/bot123:abc"),
        ("COORDINATOR_CHAT_ID", "the-group"),
        ("COORDINATOR_IDS", "12,abc"),
        ("PROGRAM_DIR", "/no/such/folder"),
        ("TIMEZONE", "Mars/Olympus"),
    ],
)
def test_invalid_setting_names_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(f"PEERBOT_{variable}", value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith(f"PEERBOT_{variable}:")
    assert "\n" not in message


def test_webhook_settings(monkeypatch):
    monkeypatch.setenv("PEERBOT_WEBHOOK_URL", " https://bot.example.org/telegram/hook ")
    monkeypatch.setenv("PEERBOT_WEBHOOK_SECRET", "Az09_-" * 40)
    monkeypatch.setenv("PEERBOT_LISTEN_PORT", "9000")
    settings = load_settings()
    assert settings.webhook_path == "/telegram/hook"
    assert settings.webhook_secret is not None
    assert settings.webhook_secret.get_secret_value() == "Az09_-" * 40
    assert (settings.listen_host, settings.listen_port) == ("0.0.0.0", 9000)
    assert settings.replica_id  # hostname-pid by default


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WEBHOOK_URL", "http://bot.example.org/hook"),
        ("WEBHOOK_SECRET", "no spaces allowed"),
        ("WEBHOOK_SECRET", "x" * 257),
        ("LISTEN_PORT", "0"),
        ("LOG_FORMAT", "xml"),
    ],
)
def test_bad_webhook_settings_name_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(f"PEERBOT_{variable}", value)
    with pytest.raises(SettingsError, match=f"PEERBOT_{variable}"):
        load_settings()


def test_without_a_group_or_the_alternative_the_bot_is_in_setup_mode():
    assert load_settings().setup_mode
    assert not load_settings(coordinator_chat_id=-1001).setup_mode


def test_empty_group_settings_mean_not_set(monkeypatch):
    monkeypatch.setenv("PEERBOT_COORDINATOR_CHAT_ID", "")
    monkeypatch.setenv("PEERBOT_NO_COORDINATOR_GROUP", "")
    settings = load_settings()
    assert settings.coordinator_chat_id is None
    assert not settings.no_coordinator_group
    assert settings.setup_mode


def test_empty_values_mean_not_set(monkeypatch, tmp_path):
    (tmp_path / ".env").write_text(
        "PEERBOT_PROGRAM_DIR=\nPEERBOT_ENCRYPTION_KEY=\nPEERBOT_COORDINATOR_IDS=\n"
        "PEERBOT_WEBHOOK_URL=\nPEERBOT_TIMEZONE=\nPEERBOT_LISTEN_PORT=\n"
    )
    monkeypatch.setenv("PEERBOT_DATABASE_URL", "")
    settings = load_settings()
    assert settings.program_dir is None  # not the working folder
    assert settings.encryption_key is None  # so on SQLite the key file is used
    assert settings.coordinator_ids == frozenset()
    assert settings.webhook_url is None
    assert settings.timezone == "UTC"
    assert settings.listen_port == 8080
    assert settings.database_url == DEFAULT_DATABASE_URL


def test_no_coordinator_group_sends_cards_to_the_listed_coordinators(monkeypatch):
    monkeypatch.setenv("PEERBOT_NO_COORDINATOR_GROUP", "true")
    monkeypatch.setenv("PEERBOT_COORDINATOR_IDS", "11,22")
    settings = load_settings()
    assert settings.no_coordinator_group
    assert not settings.setup_mode


def test_no_coordinator_group_without_coordinator_ids_names_that_setting(monkeypatch):
    monkeypatch.setenv("PEERBOT_NO_COORDINATOR_GROUP", "true")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith("PEERBOT_COORDINATOR_IDS:")
    assert "\n" not in message


def test_no_coordinator_group_beside_a_group_is_refused(monkeypatch):
    monkeypatch.setenv("PEERBOT_NO_COORDINATOR_GROUP", "1")
    monkeypatch.setenv("PEERBOT_COORDINATOR_IDS", "11")
    monkeypatch.setenv("PEERBOT_COORDINATOR_CHAT_ID", "-1001")
    with pytest.raises(SettingsError, match="^PEERBOT_NO_COORDINATOR_GROUP:"):
        load_settings()
