"""Who may use the workbench and how forms are protected.

* Sessions live in one cookie, ``lh_session``: a JSON payload (user, CSRF token,
  expiry) signed with HMAC-SHA256 under a secret (``LAKEHOUSE_WORKBENCH_SECRET``, else
  random per process: sessions end when the server restarts). ``HttpOnly``,
  ``SameSite=Strict``; ``Secure`` behind HTTPS.
* Bound to loopback, the workbench needs no sign-in: decisions record the ``--user``
  it was started with. Bound elsewhere it needs ``LAKEHOUSE_WORKBENCH_TOKEN``: every
  user signs in with the token and their name, and each decision records that name.
* Every form carries the session's CSRF token; a POST without the same token, or
  from another origin, is refused (403). On loopback the ``Host`` header must name
  loopback too (no DNS rebinding).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from lakehouse.errors import LakehouseError

COOKIE = "lh_session"
SESSION_SECONDS = 12 * 3600
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


class AccessError(LakehouseError):
    """The workbench cannot start with the access it was given (names the fix)."""


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Access:
    """How the server was started: where it listens and who signs the decisions."""

    host: str
    token: str | None
    user: str
    secret: bytes

    @classmethod
    def create(cls, host: str, token: str | None, user: str, secret: str | None = None) -> Access:
        token = (token or "").strip() or None
        if not is_loopback(host) and token is None:
            raise AccessError(
                f"--host {host} is not loopback: set LAKEHOUSE_WORKBENCH_TOKEN (a long random "
                "string users sign in with) or bind to 127.0.0.1"
            )
        if token is not None and len(token) < 16:
            raise AccessError("LAKEHOUSE_WORKBENCH_TOKEN is shorter than 16 characters")
        key = secret.encode() if secret else secrets.token_bytes(32)
        return cls(host, token, user, key)

    @property
    def needs_sign_in(self) -> bool:
        return self.token is not None

    def token_ok(self, given: str) -> bool:
        return self.token is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def host_ok(self, header: str) -> bool:
        """On loopback the request must name a loopback host (DNS rebinding)."""
        if not is_loopback(self.host):
            return True
        name = urlsplit(f"//{header}").hostname or ""
        return is_loopback(name)


@dataclass(frozen=True)
class Session:
    user: str | None
    csrf: str
    expires: int

    @classmethod
    def new(cls, user: str | None) -> Session:
        return cls(user, secrets.token_urlsafe(24), int(time.time()) + SESSION_SECONDS)

    def dump(self, access: Access) -> str:
        payload = json.dumps({"u": self.user, "c": self.csrf, "e": self.expires}).encode()
        body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return f"{body}.{_sign(access, body)}"

    @classmethod
    def load(cls, access: Access, cookie: str | None) -> Session | None:
        """The session in ``cookie`` when its signature holds and it has not expired."""
        if not cookie or "." not in cookie:
            return None
        body, signature = cookie.rsplit(".", 1)
        if not hmac.compare_digest(signature, _sign(access, body)):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            session = cls(data["u"], str(data["c"]), int(data["e"]))
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires > time.time() else None

    def csrf_ok(self, given: str) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), self.csrf.encode())


def _sign(access: Access, body: str) -> str:
    digest = hmac.new(access.secret, body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def same_origin(origin: str | None, host: str) -> bool:
    """A POST's ``Origin`` (when the browser sends one) must be this server."""
    if not origin:
        return True
    return urlsplit(origin).netloc == host
