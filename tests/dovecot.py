"""A real IMAP server for the mail tests: a private Dovecot, started per test session (per
pytest-xdist worker), with its own configuration, runtime folder, log, loopback port and one
passwd-file user whose mail lives in a temporary folder. The system's Dovecot (its service,
/etc/dovecot) is never read or touched. Messages are delivered with IMAP APPEND: real delivery.

    from tests.dovecot import dovecot  # noqa: F401  (the fixture)

Without the `dovecot` binary (Debian: dovecot-imapd) the tests that need it skip, except under
CI=true, where that is a failure (tests.conftest.need). The benchmark starts one the same way
(`DovecotServer(folder).start()`).
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pytest

USER = "foi"
PASSWORD = "imap test password 7"
DOVECOT_PATHS = ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next((p for p in DOVECOT_PATHS if os.access(p, os.X_OK)), None)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CONFIG = """\
# A private test instance (tests/dovecot.py): nothing here reads or changes the system's Dovecot.
base_dir = {run}
state_dir = {state}
log_path = {log}
info_log_path = {log}
protocols = imap
listen = 127.0.0.1, 127.0.0.2, 127.0.0.3
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# A wrong password is answered at once, not after Dovecot's default 2 s (its tests try several).
auth_failure_delay = 0
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{mail}/%u
mail_uid = {uid}
mail_gid = {gid}
# Short test runs: no waiting on idle processes at shutdown, no DNS lookups of the client.
shutdown_clients = yes
login_trusted_networks =
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail}/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1, 127.0.0.2, 127.0.0.3
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
# Older servers, for the mover's fallbacks: on 127.0.0.2 no MOVE (COPY, then UID EXPUNGE); on
# 127.0.0.3 neither MOVE nor UIDPLUS (COPY, and the original is only flagged \\Deleted).
local 127.0.0.2 {{
  protocol imap {{
    imap_capability = IMAP4rev1 LITERAL+ SASL-IR IDLE NAMESPACE UIDPLUS
  }}
}}
local 127.0.0.3 {{
  protocol imap {{
    imap_capability = IMAP4rev1 LITERAL+ SASL-IR IDLE NAMESPACE
  }}
}}
service anvil {{
  chroot =
}}
service imap {{
  process_limit = 64
}}
"""


class DovecotServer:
    """One private Dovecot, everything it has (configuration, runtime sockets, state, log, mail)
    in a fresh folder under the system's temporary folder: a short path (Unix socket paths are
    limited to about 100 characters) that its unprivileged processes can reach when the tests run
    as root (pytest's own temporary folders are private to root)."""

    def __init__(self, port: int | None = None):
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.user, self.password = USER, PASSWORD
        self.process: subprocess.Popen | None = None
        self.folder = Path(tempfile.mkdtemp(prefix="ftdc-"))
        self.log = self.folder / "dovecot.log"

    def url(self, user: str | None = None, password: str | None = None, query: str = "", host: str = "") -> str:
        """IMAP_URL for its user. host 127.0.0.2: a server without MOVE; 127.0.0.3: nor UIDPLUS."""
        user = self.user if user is None else user
        password = self.password if password is None else password
        where = f"{host or self.host}:{self.port}"
        return f"imap://{quote(user, safe='')}:{quote(password, safe='')}@{where}" + (f"?{query}" if query else "")

    def _accounts(self) -> dict:
        """Who its processes run as. As root, Dovecot refuses to run its login processes (and mail
        access) as root: the package's own users when there (dovenull, dovecot), else nobody."""
        if os.getuid() != 0:
            me = pwd.getpwuid(os.getuid())
            name = me.pw_name
            return dict(
                login_user=name,
                internal_user=name,
                internal_group=grp.getgrgid(me.pw_gid).gr_name,
                uid=me.pw_uid,
                gid=me.pw_gid,
            )

        def account(*names):
            for name in names:
                try:
                    return pwd.getpwnam(name)
                except KeyError:
                    continue
            raise RuntimeError(f"none of the users {names} exists to run Dovecot's processes as")

        login, internal = account("dovenull", "nobody"), account("dovecot", "nobody")
        return dict(
            login_user=login.pw_name,
            internal_user=internal.pw_name,
            internal_group=grp.getgrgid(internal.pw_gid).gr_name,
            uid=internal.pw_uid,
            gid=internal.pw_gid,
        )

    def start(self, timeout: float = 15.0) -> DovecotServer:
        binary = dovecot_binary()
        if binary is None:
            raise RuntimeError("the dovecot binary is not installed (Debian: apt-get install dovecot-imapd)")
        accounts = self._accounts()
        self.folder.chmod(0o755)
        for sub in ("run", "state", "mail"):
            (self.folder / sub).mkdir(exist_ok=True)
        os.chown(self.folder / "mail", accounts["uid"], accounts["gid"])
        passwd = self.folder / "passwd"
        passwd.write_text(f"{self.user}:{{PLAIN}}{self.password}::::::\n")
        config = self.folder / "dovecot.conf"
        config.write_text(
            CONFIG.format(
                run=self.folder / "run",
                state=self.folder / "state",
                log=self.log,
                mail=self.folder / "mail",
                passwd=passwd,
                port=self.port,
                **accounts,
            )
        )
        self.process = subprocess.Popen(
            [binary, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: stopped with its children, and only them
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                stderr = self.process.stderr.read().decode(errors="replace")
                raise RuntimeError(f"dovecot exited ({self.process.returncode}): {stderr.strip()} {self._log_tail()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as sock:
                    if sock.recv(200).startswith(b"* OK"):
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not answer on port {self.port} within {timeout} s. {self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-1500:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=10)
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()
        self.process = None
        shutil.rmtree(self.folder, ignore_errors=True)

    # ---- what tests do with the mailbox, through IMAP as any mail client would

    def client(self):
        from imapclient import IMAPClient

        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        return client

    def deliver(self, *messages: bytes, folder: str = "INBOX") -> None:
        with self.client() as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for raw in messages:
                client.append(folder, raw)

    def messages(self, folder: str) -> list[bytes]:
        """The messages in `folder`, in UID order ([] if it does not exist)."""
        with self.client() as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = client.search(["NOT", "DELETED"])
            fetched = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
            return [fetched[uid][b"BODY[]"] for uid in sorted(fetched)]

    def empty(self) -> None:
        """Every folder removed and INBOX emptied: each test starts with a clean mailbox."""
        with self.client() as client:
            for _flags, _delimiter, name in client.list_folders():
                if name.upper() != "INBOX":
                    client.delete_folder(name)
            client.select_folder("INBOX")
            uids = client.search()
            if uids:
                client.delete_messages(uids)
                client.expunge()


@pytest.fixture(scope="session")
def dovecot_server():
    from tests.conftest import need

    need(dovecot_binary() is not None, "Dovecot is not installed (Debian: dovecot-imapd)")
    server = DovecotServer()
    try:
        server.start()
    except RuntimeError as error:
        server.stop()
        need(False, f"Dovecot could not start: {error}")
    yield server
    server.stop()


@pytest.fixture
def dovecot(dovecot_server):
    """The session's Dovecot with an empty mailbox."""
    dovecot_server.empty()
    return dovecot_server
