"""Passwords and accounts: the rules a password must follow, scrypt hashes
(werkzeug), creating a user and checking a sign-in. Flask-free."""

import re
import secrets

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from webmap.db.models import User
from webmap.security.access import ROLES

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
        raise PasswordError(
            "le mot de passe doit mêler au moins trois sortes de caractères (minuscules, majuscules, chiffres, autres)"
        )
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
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        agency=agency,
        active=True,
        session_token=secrets.token_hex(32),
    )
    db_session.add(user)
    return user


def existing_username(db_session, typed):
    """``typed`` if an account has that name, else ``None``: what may be
    written about a sign-in attempt (an attacker's made-up names are not)."""
    return db_session.scalar(select(User.username).where(User.username == typed)) if typed else None


def authenticate(db_session, username, password):
    """The active user with this name and password, or ``None``."""
    user = db_session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user
