"""Talking to the outside world: SMTP for email, HTTP for webhooks. No database here."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

import requests


class DeliveryError(RuntimeError):
    """A message could not be handed over; it will be retried."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    security: str = "none"  # none, starttls or ssl
    username: str = ""
    password: str = ""
    sender: str = "fointracker@localhost"
    timeout: float = 20.0

    @classmethod
    def from_config(cls, config) -> SmtpSettings:
        return cls(
            host=config.get("SMTP_HOST", "localhost"),
            port=int(config.get("SMTP_PORT", 25)),
            security=config.get("SMTP_SECURITY", "none"),
            username=config.get("SMTP_USERNAME", ""),
            password=config.get("SMTP_PASSWORD", ""),
            sender=config.get("MAIL_FROM", "fointracker@localhost"),
            timeout=float(config.get("SMTP_TIMEOUT", 20)),
        )


class Mailer:
    """Sends EmailMessages over one SMTP connection, opened on first use."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "ssl":
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        if s.username:
            smtp.login(s.username, s.password)
        return smtp

    def send(self, message: EmailMessage) -> None:
        if "From" not in message:
            message["From"] = self.settings.sender
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise DeliveryError(f"SMTP {self.settings.host}:{self.settings.port}: {type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None


class WebhookSender:
    """POSTs JSON with a `text` field (what Slack, Teams and Mattermost accept)."""

    def __init__(self, timeout: tuple[float, float] = (3.05, 10.0)):
        self.timeout = timeout
        self.session = requests.Session()

    def send(self, url: str, payload: dict) -> None:
        try:
            response = self.session.post(url, json=payload, timeout=self.timeout)
        except requests.RequestException as exc:
            raise DeliveryError(f"webhook: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 300:
            raise DeliveryError(f"webhook answered HTTP {response.status_code}: {response.text[:200]}")

    def close(self) -> None:
        self.session.close()
