"""A real Dovecot IMAP server on loopback for the ingest tests (stack-notes §3).

Started from a temporary directory as root (the mail files belong to `nobody`), passwd-file
auth with plain passwords, no TLS. Users are added on the fly, one passwd file each (a new file
is read at once, where a changed one may wait for its mtime to tick), so every test gets an
empty mailbox of its own.
"""

from __future__ import annotations

import imaplib
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

CONFIG = """\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users/%u
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/users/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
"""


def find_dovecot() -> str | None:
    return shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None
    )


def install_dovecot() -> str | None:
    """apt-get install dovecot-imapd when it is missing (as the CI recipe does); None if not."""
    if find_dovecot():
        return find_dovecot()
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (
        ["apt-get", "install", "-y", "--no-install-recommends", "dovecot-imapd"],
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", "dovecot-imapd"],
    ):
        done = subprocess.run(command, env=env, capture_output=True, timeout=600, check=False)
        if command[1] == "install" and done.returncode == 0:
            break
    return find_dovecot()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Account:
    server: DovecotServer
    user: str
    password: str

    def connect(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.server.port)
        conn.login(self.user, self.password)
        return conn

    def append(self, *messages: bytes, folder: str = "INBOX") -> None:
        """Deliver by IMAP APPEND, one command per message."""
        conn = self.connect()
        try:
            for raw in messages:
                typ, data = conn.append(folder, None, None, raw)
                if typ != "OK":
                    raise RuntimeError(f"APPEND refused: {data!r}")
        finally:
            conn.logout()

    def create_folder(self, folder: str) -> None:
        conn = self.connect()
        try:
            conn.create(folder)
        finally:
            conn.logout()

    def recreate_folder(self, folder: str) -> None:
        """DELETE + CREATE: the folder gets a new UIDVALIDITY (as after a server migration)."""
        conn = self.connect()
        try:
            conn.delete(folder)
            conn.create(folder)
        finally:
            conn.logout()

    def uidvalidity(self, folder: str = "INBOX") -> int:
        conn = self.connect()
        try:
            conn.select(folder, readonly=True)
            return int(conn.response("UIDVALIDITY")[1][0])
        finally:
            conn.logout()

    def flags(self, folder: str = "INBOX") -> dict[int, str]:
        conn = self.connect()
        try:
            conn.select(folder, readonly=True)
            _typ, data = conn.uid("FETCH", "1:*", "(UID FLAGS)")
            result = {}
            for line in data:
                if isinstance(line, bytes) and b"UID" in line:
                    parts = line.decode()
                    uid = int(parts.split("UID ")[1].split()[0].rstrip(")"))
                    result[uid] = parts
            return result
        finally:
            conn.logout()

    def count(self, folder: str = "INBOX") -> int:
        conn = self.connect()
        try:
            _typ, data = conn.select(folder, readonly=True)
            return int(data[0])
        finally:
            conn.logout()

    @property
    def maildir(self) -> Path:
        return self.server.dir / "mail" / self.user / "Maildir"

    def deliver_to_maildir(self, raw: bytes) -> None:
        """Deliver as an MTA with maildir delivery would (tmp/ then rename into new/): works
        while the server is down, and the server finds the message when it is back."""
        for sub in ("tmp", "new", "cur"):
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
            shutil.chown(self.maildir / sub, "nobody", "nogroup")
        name = f"{time.time_ns()}.P{os.getpid()}Q{next(_deliveries)}.localhost"
        tmp = self.maildir / "tmp" / name
        tmp.write_bytes(raw.replace(b"\r\n", b"\n"))
        shutil.chown(tmp, "nobody", "nogroup")
        tmp.rename(self.maildir / "new" / name)


_deliveries = itertools.count(1)


class DovecotServer:
    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="dovecot."))
        self.port = _free_port()
        self.config = self.dir / "dovecot.conf"
        self._users = itertools.count(1)
        for sub in ("run", "state", "mail", "users"):
            (self.dir / sub).mkdir()
        shutil.chown(self.dir / "mail", "nobody", "nogroup")
        self.dir.chmod(0o755)
        self.config.write_text(CONFIG.format(d=self.dir, port=self.port))

    def start(self) -> None:
        subprocess.run([self.binary, "-c", str(self.config)], check=True, timeout=30)
        self._wait_until(accepting=True)

    def stop(self) -> None:
        pid_file = self.dir / "run" / "master.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text().strip())
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.02)
        self._wait_until(accepting=False)

    def restart(self) -> None:
        self.stop()
        self.start()

    def _wait_until(self, *, accepting: bool) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    if accepting:
                        return
            except OSError:
                if not accepting:
                    return
            time.sleep(0.02)
        raise RuntimeError(f"dovecot did not {'start' if accepting else 'stop'} on {self.port}")

    def add_user(self, name: str | None = None, password: str = "secret") -> Account:
        user = f"{name or 'crm'}{next(self._users)}-{os.getpid()}@example.test"
        home = self.dir / "mail" / user
        (self.dir / "users" / user).write_text(f"{user}:{{PLAIN}}{password}:65534:65534::{home}\n")
        return Account(self, user, password)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
