"""Talking to the outside world: SMTP for email, HTTP for webhooks. No database here."""

from __future__ import annotations

import json
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

import requests
import urllib3

from .domain.webhooks import WebhookRefused, WebhookTarget, allowed_hosts_setting, check_addresses, parse_webhook_url


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


def resolve_webhook(url: str, allowed_hosts=(), resolve=None) -> tuple[WebhookTarget, str]:
    """The webhook's parts and the one address to connect to, after checking every address its
    host resolves to (domain.webhooks); WebhookRefused when it may not be used. The sender
    connects to that address, so a name that resolves differently a moment later (DNS
    rebinding) cannot switch it to an internal one."""
    target = parse_webhook_url(url)
    try:
        infos = (resolve or socket.getaddrinfo)(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise WebhookRefused(f"the webhook's host {target.host} could not be resolved ({exc})") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    check_addresses(target, addresses, allowed_hosts_setting(allowed_hosts))
    return target, addresses[0]


class WebhookSender:
    """POSTs JSON with a `text` field (what Slack, Teams and Mattermost accept), only to an
    address domain.webhooks allows, checked at each send; no redirects are followed, and a
    refusal reports the HTTP status only, never the body (it could hold an internal page)."""

    def __init__(self, timeout: tuple[float, float] = (3.05, 10.0), allowed_hosts=()):
        self.timeout = urllib3.Timeout(connect=timeout[0], read=timeout[1])
        self.allowed_hosts = allowed_hosts_setting(allowed_hosts)

    @classmethod
    def from_config(cls, config) -> WebhookSender:
        seconds = config.get("WEBHOOK_TIMEOUT_SECONDS")  # connect and read, each; default (3.05, 10)
        timeout = (float(seconds), float(seconds)) if seconds else (3.05, 10.0)
        return cls(timeout, config.get("WEBHOOK_ALLOWED_HOSTS", ()))

    def send(self, url: str, payload: dict) -> None:
        try:
            target, address = resolve_webhook(url, self.allowed_hosts)
        except WebhookRefused as exc:
            raise DeliveryError(f"webhook refused: {exc}") from exc
        if target.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                address,
                target.port,
                server_hostname=target.host,  # SNI and the certificate check use the name, not the address
                assert_hostname=target.host,
                cert_reqs="CERT_REQUIRED",
                ca_certs=requests.certs.where(),
                retries=False,
            )
        else:
            pool = urllib3.HTTPConnectionPool(address, target.port, retries=False)
        try:
            response = pool.urlopen(
                "POST",
                target.path,
                body=json.dumps(payload).encode("utf-8"),
                headers={"Host": target.host_header, "Content-Type": "application/json", "User-Agent": "fointracker"},
                timeout=self.timeout,
                redirect=False,
                retries=False,
                assert_same_host=False,
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise DeliveryError(f"webhook {target.host}: {type(exc).__name__}: {exc}") from exc
        finally:
            pool.close()
        if response.status >= 300:
            raise DeliveryError(f"webhook answered HTTP {response.status}")

    def close(self) -> None:
        pass
