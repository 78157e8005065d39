"""``crossmap users``: accounts from the command line. Passwords are read
from standard input or a hidden prompt, never from the command line."""

import secrets
import sys

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from webmap.config import agency_codes
from webmap.db import get_session, has_fictitious_reports
from webmap.db.models import User, now
from webmap.security.access import ROLES
from webmap.security.passwords import (
    PasswordError,
    check_password_rules,
    create_user,
    hash_password,
)
from webmap.services import audit as audit_trail

users_cli = AppGroup(
    "users", help="Comptes utilisateurs : créer, lister, désactiver, changer le rôle ou le mot de passe."
)


def _known_agencies():
    return agency_codes(current_app.config)


def _read_password(prompt_confirm=True):
    """From standard input when it is not a terminal, else a hidden prompt:
    a password on the command line would sit in the shell history."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Mot de passe", hide_input=True, confirmation_prompt=prompt_confirm)


def _cli_user(db_session, username):
    user = db_session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"utilisateur inconnu : « {username} »")
    return user


def _cli_audit(db_session, action, **details):
    audit_trail.audit(db_session, action, **details)


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--agency", required=True, help="Code du service, par ex. GN.")
def create_command(username, role, agency):
    """Create a user; the password is read from standard input or a prompt."""
    db_session = get_session()
    try:
        create_user(db_session, username, _read_password(), role=role, agency=agency, known_agencies=_known_agencies())
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    _cli_audit(db_session, "user_created", target=username, role=role, target_agency=agency)
    db_session.commit()
    click.echo(f"Utilisateur « {username} » créé ({role}, {agency}).")


@users_cli.command("list")
def list_command():
    """List users."""
    for user in get_session().scalars(select(User).order_by(User.username)):
        state = "actif" if user.active else "désactivé"
        click.echo(f"{user.username}\t{user.role}\t{user.agency}\t{state}")


@users_cli.command("disable")
@click.argument("username")
def disable_command(username):
    """Disable a user; their open sessions end at once."""
    db_session = get_session()
    user = _cli_user(db_session, username)
    user.active = False
    user.session_token = secrets.token_hex(32)
    _cli_audit(db_session, "user_disabled", target=username)
    db_session.commit()
    click.echo(f"Utilisateur « {username} » désactivé.")


@users_cli.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
def set_role_command(username, role):
    """Change a user's role."""
    db_session = get_session()
    user = _cli_user(db_session, username)
    previous, user.role = user.role, role
    _cli_audit(db_session, "role_changed", target=username, previous=previous, role=role)
    db_session.commit()
    click.echo(f"Rôle de « {username} » : {previous} → {role}.")


@users_cli.command("reset-password")
@click.argument("username")
def reset_password_command(username):
    """Set a new password (read from standard input or a prompt), re-enable
    the account and end its open sessions."""
    db_session = get_session()
    user = _cli_user(db_session, username)
    password = _read_password()
    try:
        check_password_rules(password, username)
    except PasswordError as error:
        raise click.ClickException(str(error)) from None
    user.password_hash = hash_password(password)
    user.password_changed_at = now()
    user.session_token = secrets.token_hex(32)
    user.active = True
    _cli_audit(db_session, "password_reset", target=username)
    db_session.commit()
    click.echo(f"Mot de passe de « {username} » changé.")


@users_cli.command("ensure-demo-admin")
def ensure_demo_admin_command():
    """With demo data loaded, give the demo admin a fresh one-time password
    and print it (``make run``)."""
    db_session = get_session()
    if not has_fictitious_reports(db_session):
        # Not an error: `make run` calls it on real data too.
        click.echo("Pas de données fictives chargées : pas de compte de démonstration.")
        return
    password = _demo_password()
    user = db_session.scalar(select(User).where(User.username == DEMO_ADMIN))
    if user is None:
        user = create_user(
            db_session,
            DEMO_ADMIN,
            password,
            role="admin",
            agency=_known_agencies()[0],
            known_agencies=_known_agencies(),
        )
    else:
        user.password_hash = hash_password(password)
        user.session_token = secrets.token_hex(32)
        user.active = True
    _cli_audit(db_session, "password_reset", target=DEMO_ADMIN, demo=True)
    db_session.commit()
    click.echo(
        f"Compte de démonstration : {DEMO_ADMIN} / {password}  (mot de passe à usage unique, changé à chaque lancement)"
    )


DEMO_ADMIN = "demo-admin"


def _demo_password():
    # Four kinds of characters whatever token_urlsafe draws.
    return f"Dm-{secrets.token_urlsafe(12)}-7x"
