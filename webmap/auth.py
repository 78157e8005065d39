"""Signing in and out, sessions that expire, and the ``crossmap users``
commands. Passwords are hashed with scrypt (werkzeug), never stored or
passed on a command line."""

import re
import secrets
import sys
from datetime import datetime, timezone

import click
from flask import (Blueprint, current_app, flash, redirect, render_template, request, session, url_for)
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from webmap import audit as audit_trail
from webmap.access import ROLES
from webmap.db import get_session
from webmap.models import User, now

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
# Counts live in memory: one process (waitress' threads) serves the cell.
limiter = Limiter(key_func=lambda: request.remote_addr or "", storage_uri="memory://", default_limits=[])

PASSWORD_MIN_LENGTH = 12
# A hash computed once, checked when the account does not exist, so that a
# wrong name takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(8), method="scrypt")


class PasswordError(ValueError):
    """A password that breaks the rules; the message is French."""


def check_password_rules(password, username=""):
    """Raise :class:`PasswordError` unless ``password`` is long and varied
    enough: 12 characters, with at least three of lowercase, uppercase,
    digits and other characters, and not containing the user name."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise PasswordError(f"le mot de passe doit compter au moins {PASSWORD_MIN_LENGTH} caractères")
    kinds = sum(bool(re.search(pattern, password)) for pattern in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]"))
    if kinds < 3:
        raise PasswordError("le mot de passe doit mêler au moins trois sortes de caractères "
                            "(minuscules, majuscules, chiffres, autres)")
    if username and username.lower() in password.lower():
        raise PasswordError("le mot de passe ne doit pas contenir le nom d'utilisateur")


def hash_password(password):
    return generate_password_hash(password, method="scrypt")


def create_user(db_session, username, password, *, role, agency, known_agencies):
    """Add a user (not committed); raises ``ValueError`` with a French message."""
    username = username.strip()
    if not re.fullmatch(r"[A-Za-z0-9._-]{2,80}", username):
        raise ValueError("nom d'utilisateur invalide (2 à 80 lettres, chiffres, points, tirets)")
    if role not in ROLES:
        raise ValueError(f"rôle inconnu « {role} » (rôles : {', '.join(ROLES)})")
    if agency not in known_agencies:
        raise ValueError(f"service inconnu « {agency} » (services : {', '.join(known_agencies)})")
    if db_session.scalar(select(User).where(User.username == username)) is not None:
        raise ValueError(f"l'utilisateur « {username} » existe déjà")
    check_password_rules(password, username)
    user = User(username=username, password_hash=hash_password(password), role=role, agency=agency,
                active=True, session_token=secrets.token_hex(32))
    db_session.add(user)
    return user


def authenticate(db_session, username, password):
    """The active user with this name and password, or ``None``."""
    user = db_session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def init_app(app):
    login_manager.init_app(app)
    limiter.init_app(app)
    app.register_blueprint(bp)
    app.cli.add_command(users_cli)


@login_manager.user_loader
def load_user(session_token):
    return get_session().scalar(select(User).where(User.session_token == session_token, User.active))


def enforce_session_limits():
    """Sign out a session older than the absolute limit or idle longer than
    the idle limit; return True when it did."""
    if not current_user.is_authenticated:
        return False
    config = current_app.config
    stamp = datetime.now(timezone.utc).timestamp()
    signed_in = session.get("signed_in_at", 0)
    seen = session.get("seen_at", 0)
    if (stamp - signed_in > config["SESSION_ABSOLUTE_MINUTES"] * 60
            or stamp - seen > config["SESSION_IDLE_MINUTES"] * 60):
        logout_user()
        session.clear()
        flash(_("Your session has expired: please sign in again."))
        return True
    # Rewriting the cookie on every request would be wasteful: once a minute
    # is precise enough for an idle limit counted in minutes.
    if stamp - seen > 60:
        session["seen_at"] = stamp
    return False


def _address_key():
    return f"address:{request.remote_addr}"


def _account_key():
    return f"account:{request.form.get('username', '').strip().lower()}"


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _failed(response):
    # Only failed attempts count towards the limit.
    return response.status_code == 401


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(_login_limit, key_func=_address_key, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed)
def login():
    target = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(target)
        return render_template("auth/login.html", next=target)
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    db_session = get_session()
    user = authenticate(db_session, username, password)
    if user is None:
        audit_trail.audit(db_session, "login_failed", username=username[:80] or None, agency=None)
        db_session.commit()
        return render_template("auth/login.html", next=target, username=username,
                               error=_("Unknown user name or wrong password.")), 401
    # A new session on sign-in: nothing set before it survives.
    session.clear()
    login_user(user)
    stamp = datetime.now(timezone.utc).timestamp()
    session["signed_in_at"] = session["seen_at"] = stamp
    session.permanent = True
    audit_trail.audit(db_session, "login", username=user.username, agency=user.agency)
    db_session.commit()
    return redirect(target)


@bp.app_errorhandler(RateLimitExceeded)
def too_many_attempts(error):
    db_session = get_session()
    audit_trail.audit(db_session, "login_blocked", username=request.form.get("username", "").strip()[:80] or None,
                      agency=None, limit=str(error.description))
    db_session.commit()
    return render_template("auth/login.html", next=_safe_next(request.values.get("next")),
                           error=_("Too many failed attempts: wait a few minutes before trying again.")), 429


@bp.post("/deconnexion")
def logout():
    if current_user.is_authenticated:
        audit_trail.audit(get_session(), "logout")
        get_session().commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."))
    return redirect(url_for("auth.login"))


def _safe_next(target):
    """Only a path on this site: ``next`` must not send anyone elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("map.index")


# -- crossmap users ... -----------------------------------------------------

users_cli = AppGroup("users", help="Comptes utilisateurs : créer, lister, désactiver, changer le rôle ou le mot de passe.")


def _known_agencies():
    return [a["code"] for a in current_app.config["AGENCIES"]]


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
    audit_trail.audit(db_session, action, username="(ligne de commande)", agency=None, address="cli", **details)


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--agency", required=True, help="Code du service, par ex. GN.")
def create_command(username, role, agency):
    """Create a user; the password is read from standard input or a prompt."""
    db_session = get_session()
    try:
        create_user(db_session, username, _read_password(), role=role, agency=agency,
                    known_agencies=_known_agencies())
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
    from webmap.db import has_fictitious_reports

    db_session = get_session()
    if not has_fictitious_reports(db_session):
        # Not an error: `make run` calls it on real data too.
        click.echo("Pas de données fictives chargées : pas de compte de démonstration.")
        return
    password = _demo_password()
    user = db_session.scalar(select(User).where(User.username == DEMO_ADMIN))
    if user is None:
        user = create_user(db_session, DEMO_ADMIN, password, role="admin", agency=_known_agencies()[0],
                           known_agencies=_known_agencies())
    else:
        user.password_hash = hash_password(password)
        user.session_token = secrets.token_hex(32)
        user.active = True
    _cli_audit(db_session, "password_reset", target=DEMO_ADMIN, demo=True)
    db_session.commit()
    click.echo(f"Compte de démonstration : {DEMO_ADMIN} / {password}  (mot de passe à usage unique, "
               "changé à chaque lancement)")


DEMO_ADMIN = "demo-admin"


def _demo_password():
    # Four kinds of characters whatever token_urlsafe draws.
    return f"Dm-{secrets.token_urlsafe(12)}-7x"
