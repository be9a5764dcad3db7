"""The IMAP door (#16): take what is waiting in a shared mailbox, file it through intake, and
move each message out of the way once it is filed. Mail is never deleted.

Each message is committed before it is moved to the filed folder (one MOVE per fetched batch),
so a crash between the two leaves it in the inbox: the next poll hands it to intake again, whose
dedupe (Message-ID or content hash) files nothing twice, and then moves it. A message intake cannot read at all
(UnparseableMessage), or one too large to fetch, goes to the failed folder instead of coming
round again for ever. One poller at a time, across hosts: a process lock (PostgreSQL advisory
lock, or flock beside a SQLite file) held for the whole poll.

The scheduler polls every IMAP_POLL_SECONDS; `fointracker mail poll` polls once.
"""

from __future__ import annotations

import ipaddress
import logging
import ssl
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError
from sqlalchemy.orm import Session

from ..domain.mail.parsing import MailLimits, UnparseableMessage
from ..process_locks import ProcessLock
from .file_store import FileStore

log = logging.getLogger("fointracker.mail.imap")

LOCK_NAME = "imap-poll"
DELETED = b"\\Deleted"
FETCH_BYTES = 32 * 1024 * 1024  # at most this much mail held in memory at once (besides one over-size message)


class ImapError(RuntimeError):
    """The mailbox cannot be polled: not configured, unreachable, refused the login. The text is
    for the operator and never holds the password."""


class ImapBusy(ImapError):
    """Another poller (the scheduler, or another `mail poll`) is polling now."""


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    username: str
    password: str = field(repr=False)
    security: str = "ssl"  # ssl (imaps://), starttls, none
    folder: str = "INBOX"
    filed_folder: str = "Filed"
    failed_folder: str = "Failed"
    batch: int = 50
    timeout: float = 30.0
    max_bytes: int = MailLimits().max_bytes

    @classmethod
    def from_config(cls, config: Mapping) -> ImapSettings | None:
        """The mailbox IMAP_URL names (None when it is not set). `imaps://user:pass@host[:993]`, or
        `imap://...?starttls=1`; plain `imap://` only to this machine or with `?plaintext=1` (the
        password would cross the network unencrypted). User and password are URL-encoded."""
        url = str(config.get("IMAP_URL") or "").strip()
        if not url:
            return None
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise ImapError("IMAP_URL is not a valid URL (imaps://user:password@host:993)") from None
        if parts.scheme not in ("imap", "imaps"):
            raise ImapError("IMAP_URL must begin imaps:// (or imap:// with ?starttls=1)")
        if not parts.hostname or parts.username is None or parts.password is None:
            raise ImapError("IMAP_URL needs a user, a password and a host: imaps://user:password@host:993")
        query = {key: values[-1].strip().lower() for key, values in parse_qs(parts.query).items()}
        yes = ("1", "true", "yes", "on")
        security = "ssl" if parts.scheme == "imaps" else "starttls" if query.get("starttls") in yes else "none"
        if security == "none" and not _is_loopback(parts.hostname) and query.get("plaintext") not in yes:
            raise ImapError(
                f"IMAP_URL: imap:// would send the password to {parts.hostname} unencrypted; use imaps://, "
                "or imap://...?starttls=1, or (on a network you trust) imap://...?plaintext=1"
            )
        try:
            timeout = float(query.get("timeout", 30))
        except ValueError:
            raise ImapError("IMAP_URL: timeout= must be a number of seconds") from None
        try:
            batch = int(config.get("IMAP_BATCH") or 50)
        except (TypeError, ValueError):
            raise ImapError("IMAP_BATCH must be a whole number of messages") from None
        return cls(
            host=parts.hostname,
            port=port or (993 if security == "ssl" else 143),
            username=unquote(parts.username),
            password=unquote(parts.password),
            security=security,
            folder=str(config.get("IMAP_FOLDER") or "INBOX"),
            filed_folder=str(config.get("IMAP_FILED_FOLDER") or "Filed"),
            failed_folder=str(config.get("IMAP_FAILED_FOLDER") or "Failed"),
            batch=min(max(1, batch), 1000),
            timeout=timeout if 0 < timeout <= 600 else 30.0,
        )

    def describe(self) -> str:
        """Where it polls, for logs and messages: no password."""
        scheme = "imaps" if self.security == "ssl" else "imap"
        starttls = "?starttls=1" if self.security == "starttls" else ""
        return f"{scheme}://{self.username}@{self.host}:{self.port}/{self.folder}{starttls}"

    def scrub(self, text: str) -> str:
        """`text` with the password taken out, whatever put it there."""
        return text.replace(self.password, "***") if self.password else text


@dataclass
class PollResult:
    seen: int = 0
    filed: int = 0  # to a request
    triaged: int = 0  # to the triage inbox
    duplicates: int = 0  # filed before (by any door): nothing filed again
    failed: int = 0  # moved to the failed folder: not a message, or too large
    left: int = 0  # intake failed unexpectedly: left in the inbox for the next poll
    failures: list[str] = field(default_factory=list)  # why each failed or was left

    def __str__(self) -> str:
        text = (
            f"{self.seen} seen: {self.filed} filed to requests, {self.triaged} to triage, "
            f"{self.duplicates} duplicates, {self.failed} failed"
        )
        return text + (f", {self.left} left for the next poll" if self.left else "")


def poll(
    session_factory: Callable[[], Session], settings: ImapSettings, store: FileStore, config: Mapping
) -> PollResult:
    """File everything waiting in settings.folder, oldest (lowest UID) first. Raises ImapBusy when
    another poller holds the lock, ImapError when the mailbox cannot be reached or used."""
    session = session_factory()
    lock = ProcessLock(session.get_bind(), LOCK_NAME)
    if not lock.acquire():
        raise ImapBusy("another poll of the mailbox is running (the scheduler, or `fointracker mail poll`)")
    try:
        with _connected(settings) as client:
            return _poll(client, session, settings, store, config)
    finally:
        lock.release()


@dataclass
class _Mailbox:
    """The open connection, and which folders we know exist."""

    client: IMAPClient
    settings: ImapSettings
    existing: set[str] = field(default_factory=set)

    def move(self, uids: list[int], folder: str) -> None:
        """MOVE if the server can; else COPY, flag \\Deleted and expunge those UIDs only (UIDPLUS),
        or, without UIDPLUS, leave them flagged (a plain EXPUNGE would remove others' deleted mail)."""
        if not uids:
            return
        client = self.client
        if folder not in self.existing:
            if not client.folder_exists(folder):
                try:
                    client.create_folder(folder)
                except IMAPClientError as error:
                    raise ImapError(
                        f"cannot create the folder {folder!r} to move mail to: {_reason(error, self.settings)}"
                    ) from None
            self.existing.add(folder)
        if client.has_capability("MOVE"):
            client.move(uids, folder)
            return
        client.copy(uids, folder)
        client.add_flags(uids, [DELETED], silent=True)
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)


def _poll(client: IMAPClient, session: Session, settings: ImapSettings, store: FileStore, config: Mapping):
    from .mail_intake import receive

    result = PollResult()
    mailbox = _Mailbox(client, settings)
    try:
        client.select_folder(settings.folder)
    except IMAPClientError as error:
        raise ImapError(f"cannot open the folder {settings.folder!r}: {settings.scrub(str(error))}") from None
    # Messages flagged \Deleted are on their way out (someone's mail client, or a move without UIDPLUS).
    uids = sorted(client.search(["NOT", "DELETED"]))
    for batch in _chunks(uids, settings.batch):
        sizes = client.fetch(batch, ["RFC822.SIZE"])
        wanted = []
        for uid in batch:
            if uid not in sizes:  # expunged meanwhile by someone else
                continue
            size = sizes[uid].get(b"RFC822.SIZE", 0)
            result.seen += 1
            if size > settings.max_bytes:
                _fail(mailbox, result, uid, f"larger than {settings.max_bytes // (1024 * 1024)} MB ({size} bytes)")
            else:
                wanted.append((uid, size))
        for group in _by_bytes(wanted, FETCH_BYTES):
            bodies = client.fetch(group, ["BODY.PEEK[]"])  # PEEK: the server's \Seen is left as it was
            filed = []
            for uid in group:
                raw = bodies.pop(uid, {}).get(b"BODY[]")
                if raw is None:
                    result.seen -= 1  # gone meanwhile
                    continue
                if _file(mailbox, session, result, uid, raw, receive, store, config):
                    filed.append(uid)
            # One MOVE for the group: each is committed already, and a crash before this line
            # leaves them in the inbox for the next poll, which finds them filed (duplicates).
            mailbox.move(filed, settings.filed_folder)
    return result


def _file(
    mailbox: _Mailbox, session: Session, result: PollResult, uid: int, raw: bytes, receive, store, config
) -> bool:
    """Intake and commit one message; True when it is filed (or was already) and is to be moved."""
    settings = mailbox.settings
    try:
        intake = receive(session, raw, source="imap", store=store, config=config)
        session.commit()
    except UnparseableMessage as error:
        session.rollback()
        _fail(mailbox, result, uid, str(error))
        return False
    except Exception as error:  # a fault of ours or the database's: try again next time, go on with the rest
        session.rollback()
        log.exception("IMAP: intake failed on UID %s; left in %s for the next poll", uid, settings.folder)
        result.left += 1
        result.failures.append(f"UID {uid}: left in {settings.folder}: {type(error).__name__}")
        return False
    kind = intake.filed_to
    result.filed += kind == "request"
    result.triaged += kind == "triage"
    result.duplicates += kind == "duplicate"
    session.expunge_all()  # memory stays flat however many messages there are
    return True


def _fail(mailbox: _Mailbox, result: PollResult, uid: int, reason: str) -> None:
    folder = mailbox.settings.failed_folder
    log.warning("IMAP: UID %s moved to %s: %s", uid, folder, reason)
    mailbox.move([uid], folder)
    result.failed += 1
    result.failures.append(f"UID {uid}: moved to {folder}: {reason}")


class _connected:
    """An IMAPClient logged in to settings' mailbox, logged out at the end; errors as ImapError."""

    def __init__(self, settings: ImapSettings):
        self.settings = settings
        self.client: IMAPClient | None = None

    def __enter__(self) -> IMAPClient:
        settings = self.settings
        where = f"{settings.host}:{settings.port}"
        context = ssl.create_default_context()
        try:
            client = IMAPClient(
                settings.host,
                port=settings.port,
                ssl=settings.security == "ssl",
                ssl_context=context,
                timeout=settings.timeout,
            )
        except (OSError, IMAPClientError) as error:
            raise ImapError(f"cannot reach the IMAP server {where}: {_reason(error, settings)}") from None
        try:
            if settings.security == "starttls":
                client.starttls(context)
            client.login(settings.username, settings.password)
        except LoginError:
            _close(client)
            raise ImapError(
                f"the IMAP server {where} refused the login of {settings.username!r}: "
                "check the user name and password in IMAP_URL"
            ) from None
        except (OSError, IMAPClientError) as error:
            _close(client)
            raise ImapError(f"cannot log in to the IMAP server {where}: {_reason(error, settings)}") from None
        self.client = client
        return client

    def __exit__(self, kind, error, traceback) -> None:
        if self.client is not None:
            _close(self.client)
        if isinstance(error, (OSError, IMAPClientError)) and not isinstance(error, ImapError):
            raise ImapError(
                f"the IMAP server {self.settings.host}:{self.settings.port} failed during the poll: "
                f"{_reason(error, self.settings)}"
            ) from None


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except (OSError, IMAPClientError):
        try:
            client.shutdown()
        except OSError:
            pass


def _reason(error: BaseException, settings: ImapSettings) -> str:
    text = settings.scrub(str(error).strip()) or type(error).__name__
    return text[:300]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _by_bytes(items: list[tuple[int, int]], limit: int) -> Iterator[list[int]]:
    """UIDs in groups whose messages together stay under `limit` bytes (a big one alone)."""
    group, total = [], 0
    for uid, size in items:
        if group and total + size > limit:
            yield group
            group, total = [], 0
        group.append(uid)
        total += size
    if group:
        yield group
