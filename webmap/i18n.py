"""French user interface through Flask-Babel's message catalogue."""

from flask_babel import Babel

babel = Babel()


def init_app(app):
    babel.init_app(app, locale_selector=lambda: "fr", timezone_selector=lambda: "Europe/Paris")
