"""A throw-away Dovecot IMAP server on 127.0.0.1 for the IMAP adapter tests.

Generated config in a temp dir: one plain listener (``tls = "none"`` and
STARTTLS) and one implicit-TLS listener with a fresh self-signed certificate;
a static password for every user; maildir storage in the temp dir. Messages
are placed with IMAP APPEND by the tests themselves. :class:`OAuthDovecot` takes
OAuth 2.0 bearer tokens (AUTHENTICATE XOAUTH2) instead of the password, checked
against a token server's introspection URL (``tests/servers/oauth.py``). Installed by
``scripts/install-test-deps.sh`` (Debian package ``dovecot-imapd``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

PASSWORD = "dovecot-test-password"


def dovecot_or_skip(
    which: Callable[[str], str | None] = shutil.which,
    candidates: tuple[str, ...] = ("/usr/sbin/dovecot",),  # sbin is often not on PATH
) -> str:
    """The dovecot binary; skip when it is absent, fail when absent in CI."""
    binary = which("dovecot") or next((c for c in candidates if os.path.exists(c)), None)
    if binary is None:
        message = "dovecot is not installed: run scripts/install-test-deps.sh"
        if os.environ.get("CI"):
            pytest.fail(f"{message} (CI is set, so this is an error)")
        pytest.skip(message)
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test certificate")
    return binary


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Dovecot:
    """Start, reach and stop one Dovecot instance."""

    auth_mechanisms = "plain login"

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        # Dovecot's unprivileged processes must traverse the folder: pytest's own
        # temp root is private to the user, so use a world-traversable one.
        self.root = Path(tempfile.mkdtemp(prefix="watchtower-dovecot-"))
        self.root.chmod(0o755)
        self.workdir = workdir
        self.plain_port = _free_port()
        self.tls_port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.cert = self.root / "cert.pem"

    def _users(self) -> tuple[str, str, pwd.struct_passwd]:
        if os.geteuid() == 0:
            # Dovecot never gives mail access to uid 0: use its own system users.
            return "dovenull", "dovecot", pwd.getpwnam("dovecot")
        me = pwd.getpwuid(os.getuid())
        return me.pw_name, me.pw_name, me

    def _write_config(self) -> Path:
        login_user, internal_user, mail = self._users()
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(exist_ok=True)
        os.chown(self.root / "mail", mail.pw_uid, mail.pw_gid)
        key = self.root / "key.pem"
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-keyout",
                str(key),
                "-out",
                str(self.cert),
            ],
            check=True,
            capture_output=True,
        )
        key.chmod(0o644)  # read by Dovecot's config process, whatever user it runs as
        config = self.root / "dovecot.conf"
        config.write_text(
            f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = {mail.pw_uid}
last_valid_uid = {mail.pw_uid}
disable_plaintext_auth = no
auth_mechanisms = {self.auth_mechanisms}
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{key}
mail_location = maildir:{self.root}/mail/%u
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.plain_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
{self._passdb()}
userdb {{
  driver = static
  args = uid={mail.pw_uid} gid={mail.pw_gid} home={self.root}/mail/%u
}}
""",
            encoding="utf-8",
        )
        return config

    def _passdb(self) -> str:
        return f"passdb {{\n  driver = static\n  args = password={PASSWORD}\n}}"

    def start(self) -> None:
        config = self._write_config()
        self.process = subprocess.Popen(
            [self.binary, "-F", "-c", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", self.plain_port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.1)
        output = self.process.stdout.read() if self.process.stdout and self.process.poll() else b""
        self.stop()
        log = (
            (self.root / "dovecot.log").read_text(errors="replace")
            if (self.root / "dovecot.log").exists()
            else ""
        )
        raise RuntimeError(f"dovecot did not start: {output.decode(errors='replace')}\n{log}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def reset_mailbox(self, user: str) -> None:
        """Delete a user's maildir (a new one gets a new UIDVALIDITY)."""
        shutil.rmtree(self.root / "mail" / user, ignore_errors=True)


class OAuthDovecot(Dovecot):
    """A Dovecot whose only login is AUTHENTICATE XOAUTH2 with a bearer token that
    ``introspection_url`` says is active for that user (as Microsoft 365 or Gmail)."""

    auth_mechanisms = "xoauth2 oauthbearer"

    def __init__(self, binary: str, workdir: Path, introspection_url: str) -> None:
        super().__init__(binary, workdir)
        self.introspection_url = introspection_url

    def _passdb(self) -> str:
        settings = self.root / "dovecot-oauth2.conf.ext"
        settings.write_text(
            f"""introspection_mode = post
introspection_url = {self.introspection_url}
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 5000
""",
            encoding="utf-8",
        )
        settings.chmod(0o644)
        # No failure delay: tests refuse tokens on purpose. (Dovecot's anvil still
        # slows an address down after each refusal, up to 15 s: one server per test.)
        return (
            f"auth_failure_delay = 0\n"
            f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
            f"  args = {settings}\n}}"
        )
