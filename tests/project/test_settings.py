"""Settings: the fixed names and defaults, and one clear line for each bad setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import main
from bot.settings import SettingsError, load_settings

MOBPROC = {"MOBPROC_BASE_URL": "https://mobproc.example/v1",
           "MOBPROC_TOKEN_URL": "https://auth.example/token", "MOBPROC_CLIENT_ID": "cid",
           "MOBPROC_CLIENT_SECRET": "client-secret-value", "MOBPROC_USERNAME": "command://bot",
           "MOBPROC_PASSWORD": "password-value", "MOBPROC_TENANT": "ACME"}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(("SLACK_", "MOBPROC_")) or name in (
                "PORT", "DATABASE_URL", "APPROVERS", "APPROVAL_CHANNEL", "HELPDESK_CHANNELS",
                "STATUS_POLL_SECONDS", "DEFAULT_REGION", "LOG_LEVEL", "LOG_FORMAT",
                "APPROVALS_REQUIRED"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults() -> None:
    s = load_settings()
    assert (s.PORT, s.MOBPROC_SCOPE, s.STATUS_POLL_SECONDS, s.DEFAULT_REGION, s.LOG_LEVEL) == (
        3000, "MOBPROC", 60.0, "US", "INFO")
    assert s.DATABASE_URL == "sqlite+aiosqlite:///./mobproc-bot.db"
    assert s.LOG_FORMAT == "text"
    assert s.SLACK_API_URL == "https://slack.com/api/"
    assert s.use_simulator and not s.slack_configured and not s.socket_mode


def test_environment_and_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPROVERS", "U123, S456 ,W789")
    monkeypatch.setenv("HELPDESK_CHANNELS", "C1,C2")
    monkeypatch.setenv("PORT", "8080")
    s = load_settings()
    assert s.APPROVERS == ["U123", "S456", "W789"]
    assert s.HELPDESK_CHANNELS == ["C1", "C2"]
    assert s.PORT == 8080


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("APPROVAL_CHANNEL=C0APPROVE\nDEFAULT_REGION=gb\n")
    s = load_settings()
    assert s.APPROVAL_CHANNEL == "C0APPROVE" and s.DEFAULT_REGION == "GB"


@pytest.mark.parametrize(("overrides", "named"), [
    ({"MOBPROC_BASE_URL": "https://mobproc.example/v1"}, "MOBPROC_TOKEN_URL"),
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
    ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN"),
    ({"APPROVERS": "bob"}, "APPROVERS"),
    ({"DEFAULT_REGION": "XX"}, "DEFAULT_REGION"),
    ({"PORT": "web"}, "PORT"),
    ({"STATUS_POLL_SECONDS": "0"}, "STATUS_POLL_SECONDS"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
])
def test_bad_settings_name_themselves_in_one_line(overrides: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as failure:
        load_settings(**overrides)
    message = str(failure.value)
    assert named in message and "\n" not in message


def test_full_mobproc_configuration_is_accepted() -> None:
    s = load_settings(**MOBPROC)
    assert not s.use_simulator and s.MOBPROC_TENANT == "ACME"


def test_secrets_stay_hidden() -> None:
    s = load_settings(**MOBPROC, SLACK_BOT_TOKEN="xoxb-very-secret",
                      SLACK_SIGNING_SECRET="signing-very-secret")
    shown = repr(s) + str(s)
    for secret in ("client-secret-value", "password-value", "xoxb-very-secret",
                   "signing-very-secret"):
        assert secret not in shown
    with_db = load_settings(DATABASE_URL="postgresql+asyncpg://bot:db-pass-value@db/bot")
    assert "db-pass-value" not in repr(with_db) + str(with_db)
    assert "db-pass-value" in with_db.secret_values()
    assert set(s.secret_values()) == {"client-secret-value", "password-value",
                                      "xoxb-very-secret", "signing-very-secret"}
    with pytest.raises(SettingsError) as failure:
        load_settings(MOBPROC_BASE_URL="https://x", MOBPROC_PASSWORD="password-value")
    assert "password-value" not in str(failure.value)


def test_start_up_stops_with_one_line(monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    assert main([]) == 2
    err = capsys.readouterr().err.strip()
    assert "SLACK_SIGNING_SECRET" in err and len(err.splitlines()) == 1


def test_approvals_required_by_order_type(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.approval.approvers import ApprovalPolicy
    from bot.mobproc.models import TransactionType as T

    assert load_settings().APPROVALS_REQUIRED == {}
    monkeypatch.setenv("APPROVALS_REQUIRED", " deactivate=2 ; XFER_SERVICE_OUT = 3")
    s = load_settings()
    assert s.APPROVALS_REQUIRED == {"DEACTIVATE": 2, "XFER_SERVICE_OUT": 3}
    policy = ApprovalPolicy(s.APPROVALS_REQUIRED)
    assert [policy.required(t) for t in T] == [1, 1, 2, 3]  # unlisted types need one
    assert policy.for_types([T.SUSPEND, T.DEACTIVATE]) == 2  # a bundle: its most
    assert policy.for_types([T.SUSPEND, T.UNSUSPEND]) == 1
    assert ApprovalPolicy().for_types([]) == 1


@pytest.mark.parametrize(("value", "said"), [
    ("DEACTIVATE", "'DEACTIVATE' is not TYPE=NUMBER"),
    ("DEACTIVATE=two", "DEACTIVATE=two: the number of approvers must be a whole number"),
    ("DEACTIVATE=0", "DEACTIVATE=0: the number of approvers must be a whole number"),
    ("DEACTIVATE=-1", "DEACTIVATE=-1: the number"),
    ("DEACTIVATE=6", "from 1 to 5"),
    ("DEACTIVATE=", "DEACTIVATE=(nothing)"),
    ("TERMINATE=2", "'TERMINATE' is not one of SUSPEND, UNSUSPEND, DEACTIVATE"),
    ("DEACTIVATE=2,deactivate=3", "DEACTIVATE is given twice"),
])
def test_a_bad_approvals_required_stops_start_up_naming_it(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], value: str,
        said: str) -> None:
    with pytest.raises(SettingsError) as failure:
        load_settings(APPROVALS_REQUIRED=value)
    assert said in str(failure.value) and "\n" not in str(failure.value)
    assert str(failure.value).startswith("Setting APPROVALS_REQUIRED: ")
    monkeypatch.setenv("APPROVALS_REQUIRED", value)
    assert main([]) == 2
    err = capsys.readouterr().err.strip()
    assert "APPROVALS_REQUIRED" in err and said in err and len(err.splitlines()) == 1
