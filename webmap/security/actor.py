"""Who is acting: the signed-in user of a request, or the system user of a
command. The one place that answers "who did this" for the audit trail,
batches, zones and export authors."""

import getpass
from dataclasses import dataclass

from flask import has_request_context, request
from flask_login import current_user

CLI_ADDRESS = "cli"


@dataclass(frozen=True)
class Actor:
    username: str | None
    agency: str | None
    address: str
    role: str | None = None

    @property
    def name(self):
        """A name to print: the user name, or "inconnu"."""
        return self.username or "inconnu"


def current_actor() -> Actor:
    """The signed-in user inside a request (anonymous: no name), the system
    user on the command line."""
    if has_request_context():
        address = request.remote_addr or ""
        if current_user.is_authenticated:
            return Actor(current_user.username, current_user.agency, address, current_user.role)
        return Actor(None, None, address)
    return Actor(f"{_system_user()} (ligne de commande)", None, CLI_ADDRESS, "admin")


def _system_user():
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "inconnu"
